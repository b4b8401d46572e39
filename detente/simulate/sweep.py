"""Parameter sweeps: the same simulation over a grid, locally on every core or on Dask.

Grid point ``i`` (in the order of the cartesian product of the grids as given) runs with the
``i``-th child of ``SeedSequence(seed)``, so a sweep is bit for bit the same in one process, on
a local process pool or on a Dask cluster.

Grid names (``NAME`` for every party, ``NAME@PARTY`` for one): ``detection``, ``false_alarm``
(per week), ``delay_days``, ``temptation`` (per week), ``tremble``, ``forgiveness`` (the
``forgive`` parameter of generous strategies), any other strategy parameter (``k``, ``window``,
``cooloff``), and ``discount`` (per year, no party).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import pickle
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.agreements.spec import MAX_DELAY_DAYS
from detente.errors import ParameterError, SchedulerError
from detente.progress import Progress, silent
from detente.simulate import engine
from detente.simulate.model import Model, per_period
from detente.simulate.simulation import simulate
from detente.simulate.strategy import Strategy

if TYPE_CHECKING:
    import pandas as pd

MONITOR_PARAMS = ("detection", "false_alarm", "delay_days")
PARTY_PARAMS = ("temptation", "tremble")
PROBABILITIES = {"detection", "false_alarm", "temptation", "tremble", "forgiveness", "forgive"}
MAX_POINTS = 100_000
IN_PROCESS_WORK = 300_000_000  # party-periods: about a second on one core
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Grid:
    """One swept parameter: ``name``, optional ``party``, and its values."""

    name: str
    party: str | None
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        return self.name if self.party is None else f"{self.name}@{self.party}"


def parse_grid(text: str) -> Grid:
    """``NAME[@PARTY]=START:STOP:STEP`` (STOP included), ``=V1,V2,...`` or ``=V``."""
    key, eq, spec = text.partition("=")
    name, _, party = key.strip().partition("@")
    if not eq or not name:
        raise ParameterError.single("expected NAME[@PARTY]=START:STOP:STEP or NAME=V1,V2,...",
                                    field="grid", value=text)
    try:
        if ":" in spec:
            parts = [float(p) for p in spec.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, stop, step = parts
            if not all(math.isfinite(p) for p in parts):
                raise ParameterError.single("values must be finite", field=f"grid {key}",
                                            value=text)
            if not step > 0:
                raise ParameterError.single("STEP must be > 0", field=f"grid {key}", value=text)
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_POINTS:
                raise ParameterError.single(f"more than {MAX_POINTS} points", field=f"grid {key}",
                                            value=text)
            values = tuple(round(start + i * step, 12) for i in range(max(count, 0)))
        else:
            values = tuple(float(v) for v in spec.split(",") if v.strip())
    except ValueError:
        raise ParameterError.single("values must be numbers: START:STOP:STEP or V1,V2,...",
                                    field=f"grid {key}", value=text) from None
    if not values:
        raise ParameterError.single("the grid has no points", field=f"grid {key}", value=text)
    if any(not math.isfinite(v) for v in values):
        raise ParameterError.single("values must be finite", field=f"grid {key}", value=text)
    return Grid(name.strip(), party.strip() or None, values)


def _check_value(grid: Grid, value: float) -> None:
    if grid.name in PROBABILITIES and not 0.0 <= value <= 1.0:
        raise ParameterError.single("must be a probability in [0, 1]", field=f"grid {grid.column}",
                                    value=value)
    if grid.name == "delay_days" and not 0 <= value <= MAX_DELAY_DAYS:
        raise ParameterError.single(f"must be from 0 to {MAX_DELAY_DAYS} days",
                                    field=f"grid {grid.column}", value=value)
    if grid.name == "discount" and not 0.0 < value <= 1.0:
        raise ParameterError.single("must be in (0, 1] (per year)", field=f"grid {grid.column}",
                                    value=value)


def apply(model: Model, strategies: Sequence[Strategy], grid: Grid, value: float
          ) -> tuple[Model, list[Strategy]]:
    """``model`` and ``strategies`` with one grid parameter set to ``value``."""
    _check_value(grid, value)
    if grid.party is not None:
        model.index(grid.party)
    targets = [p.code for p in model.parties if grid.party in (None, p.code)]
    strategies = list(strategies)
    if grid.name == "discount":
        if grid.party is not None:
            raise ParameterError.single("discount applies to every party", field="grid",
                                        value=grid.column)
        return dataclasses.replace(model, discount=value), strategies
    if grid.name in MONITOR_PARAMS:
        for code in targets:
            if grid.name == "detection":
                model = model.with_monitors(code, detection=value)
            elif grid.name == "false_alarm":
                model = model.with_monitors(code, false_alarm=per_period(value, model.days))
            else:
                model = model.with_monitors(code, delay_days=value,
                                            delay=math.floor(value / model.days + 0.5))
        return model, strategies
    if grid.name in PARTY_PARAMS:
        for code in targets:
            converted = per_period(value, model.days) if grid.name == "temptation" else value
            model = model.replace_party(code, **{grid.name: converted})
        return model, strategies
    param = "forgive" if grid.name == "forgiveness" else grid.name
    hit = False
    for i, code in enumerate(model.codes):
        fields = {f.name: f for f in dataclasses.fields(strategies[i])}
        if code in targets and param in fields:
            kind = type(getattr(strategies[i], param))
            strategies[i] = strategies[i].with_params(**{param: kind(value) if kind is int
                                                         and float(value).is_integer()
                                                         else value})
            hit = True
    if not hit:
        known = ", ".join((*MONITOR_PARAMS, *PARTY_PARAMS, "forgiveness", "discount"))
        who = "party" if grid.party is None else grid.party
        raise ParameterError.single(f"unknown grid parameter, or no {who} plays a strategy "
                                    f"with a '{param}' parameter; known: {known}",
                                    field="grid", value=grid.column)
    return model, strategies


@dataclass(frozen=True)
class Task:
    """One grid point, ready to ship to a worker."""

    index: int
    params: dict[str, float]
    model: Model
    strategies: tuple[Strategy, ...]
    runs: int
    seed: np.random.SeedSequence
    chunk_size: int


def run_task(task: Task) -> dict[str, Any]:
    """One row of the sweep table."""
    result = simulate(task.model, list(task.strategies), runs=task.runs, seed=task.seed,
                      chunk_size=task.chunk_size, workers=1)
    causes = result.collapse_causes
    total = max(result.collapsed, 1)
    row: dict[str, Any] = {"point": task.index, **task.params, "runs": task.runs,
                           "median_periods": result.median_periods,
                           "mean_periods": result.mean_periods}
    for m in (6, 12, 24):
        row[f"p_holding_{m}m"] = result.p_holding(m)
    row["collapsed"] = result.collapsed / task.runs
    row["real_breach_share"] = causes["real_breach"] / total
    row["false_alarm_share"] = causes["false_alarm"] / total
    for code, share in result.first_breaker.items():
        row[f"first_breaker@{code}"] = share
    for code, t in result.critical_detection().items():
        row[f"critical@{code}"] = t["critical"]
        row[f"self_enforcing@{code}"] = t["self_enforcing"]
    return row


def _work(task: Task) -> int:
    return task.runs * task.model.horizon * len(task.model.parties)


def _run_blob(blob: bytes) -> dict[str, Any]:
    return run_task(_loads(blob))


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle  # classes defined in __main__ travel by value
    except ImportError:  # pragma: no cover - cloudpickle comes with the dist extra
        return pickle.dumps(obj)
    return cloudpickle.dumps(obj)


def _loads(blob: bytes) -> Any:
    return pickle.loads(blob)


@dataclass(frozen=True)
class SweepResult:
    """One row per grid point; parameters first, then the outcomes."""

    frame: pd.DataFrame
    grids: tuple[Grid, ...]
    seed: int | None
    runs: int
    backend: str
    elapsed: float
    info: Mapping[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``points``: one row per grid point (the results contract, ``detente.results``)."""
        return {"points": self.frame.copy()}

    def to_json_dict(self) -> dict[str, Any]:
        frame = self.frame
        return {"points": len(frame), "runs": self.runs, "seed": self.seed,
                "backend": self.backend, "elapsed_s": round(self.elapsed, 3),
                "grid": [g.column for g in self.grids],
                "rows": frame.astype(object).where(frame.notna(), None).to_dict("records")}

    def to_parquet(self, path: str | Path) -> Path:
        """Write the table, whole or not at all (``detente.output``)."""
        from detente.output import write_atomically

        return write_atomically(path, lambda tmp: self.frame.to_parquet(tmp, index=False),
                                "out")


def plan(model: Model, strategies: Sequence[Strategy], grids: Sequence[Grid], *, runs: int,
         seed: np.random.SeedSequence, chunk_size: int = engine.DEFAULT_CHUNK) -> list[Task]:
    """Every grid point as a task, validated before anything runs."""
    if not grids:
        raise ParameterError.single("give at least one --grid NAME=START:STOP:STEP", field="grid")
    columns = [g.column for g in grids]
    if len(set(columns)) != len(columns):
        raise ParameterError.single("a parameter is swept twice", field="grid",
                                    value=", ".join(columns))
    engine.plan_chunks(runs, chunk_size)
    points = list(itertools.product(*(g.values for g in grids)))
    if len(points) > MAX_POINTS:
        raise ParameterError.single(f"{len(points)} grid points; at most {MAX_POINTS}",
                                    field="grid")
    seeds = engine.seed_children(seed, len(points))
    tasks = []
    for i, values in enumerate(points):
        m, s = model, list(strategies)
        for g, v in zip(grids, values, strict=True):
            m, s = apply(m, s, g, v)
        tasks.append(Task(i, dict(zip(columns, values, strict=True)), m, tuple(s), runs,
                          seeds[i], chunk_size))
    return tasks


def connect(address: str, timeout: float = CONNECT_TIMEOUT):
    """A Dask client for ``address``, or ``SchedulerError`` within ``timeout`` seconds."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover
        raise SchedulerError("--scheduler needs dask.distributed: pip install 'detente[dist]'"
                             ) from None
    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address!r} within "
                             f"{timeout:g} s: {exc}") from None


def execute(tasks: Sequence[Task], *, scheduler: str | None = None, workers: int | None = None,
            progress: Progress | None = None,
            connect_timeout: float = CONNECT_TIMEOUT) -> tuple[list[dict[str, Any]], str]:
    """Rows in task order, and the backend used (``process``, ``processes:N``, ``dask``)."""
    total = len(tasks)
    rows: list[Any] = [None] * total
    note = progress or silent
    if scheduler:
        client = connect(scheduler, connect_timeout)
        try:
            futures = client.map(_run_blob, [_dumps(t) for t in tasks], pure=False)
            for i, future in enumerate(futures):  # in order: the bar moves as rows arrive
                rows[i] = future.result()
                note("sweeping", i + 1, total)
        finally:
            client.close()
        return rows, "dask"
    if workers is None and sum(_work(t) for t in tasks) < IN_PROCESS_WORK:
        workers = 1  # starting worker processes would cost more than the work itself
    workers = max(1, min(workers or os.cpu_count() or 1, total))
    if workers == 1:
        for i, task in enumerate(tasks):
            rows[i] = run_task(task)
            note("sweeping", i + 1, total)
        return rows, "process"
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import as_completed as completed

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_blob, _dumps(t)): i for i, t in enumerate(tasks)}
        for done, future in enumerate(completed(futures), 1):
            rows[futures[future]] = future.result()
            note("sweeping", done, total)
    return rows, f"processes:{workers}"


def sweep(model: Model, strategies: Mapping[str, Strategy | str] | Sequence[Strategy] | None,
          grids: Sequence[Grid | str], *, runs: int = 2_000,
          seed: int | np.random.SeedSequence | None = None, scheduler: str | None = None,
          workers: int | None = None, chunk_size: int = engine.DEFAULT_CHUNK,
          progress: Progress | None = None,
          connect_timeout: float = CONNECT_TIMEOUT) -> SweepResult:
    """Simulate every point of the grids; see the module docstring."""
    import pandas as pd

    parsed = tuple(g if isinstance(g, Grid) else parse_grid(g) for g in grids)
    seq = engine.as_seed(seed)
    ordered = engine.resolve_strategies(model, strategies or {})
    tasks = plan(model, ordered, parsed, runs=runs, seed=seq, chunk_size=chunk_size)
    started = time.perf_counter()
    rows, backend = execute(tasks, scheduler=scheduler, workers=workers, progress=progress,
                            connect_timeout=connect_timeout)
    frame = pd.DataFrame(rows)
    return SweepResult(frame=frame, grids=parsed,
                       seed=seq.entropy if isinstance(seq.entropy, int) else None, runs=runs,
                       backend=backend, elapsed=time.perf_counter() - started,
                       info={"agreement": model.agreement, "period": model.period,
                             "horizon_periods": model.horizon,
                             "strategies": dict(zip(model.codes, (s.label() for s in ordered),
                                                    strict=True))})
