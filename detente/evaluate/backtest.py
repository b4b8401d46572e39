"""Rolling-origin backtest: every forecast, made at each origin from the record before it,
against what the record then shows.

For each agreement (its restraint commitments, open-ended: the first breach is what is
forecast) and each origin (1 January of each year), starts every 7 days through the year after
the origin are replayed (``detente.replay.whatif``), and each (start, horizon) is **scored only
when the record can decide it**: the whole window ``start .. start + 7h - 1`` lies inside the
record and no day of it is blind for any party (coverage ``none``). Windows that run past the
record's end are left out whatever happened in them (keeping only their early breaches would
bias the outcomes towards breaking), and so are windows with a blind day (an unobserved outcome
is not a non-event). Every forecaster (``forecasters``) is fitted on the record before the
origin.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente import matcher
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from detente.evaluate import forecasters as fc
from detente.evaluate.scores import ReliabilityBin, Score, Skill, score
from detente.progress import Progress
from detente.simulate import engine, history

HORIZONS = (13, 26, 52, 104)
FIRST_ORIGIN = 2008
MIN_HISTORY_DAYS = 730
CASE_COLUMNS = ["agreement", "origin", "start", "horizon", "held"]


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` returns: every scored case with each method's forecast, and the
    scores computed from them."""

    agreements: tuple[str, ...]
    origins: tuple[int, ...]
    horizons: tuple[int, ...]
    methods: tuple[str, ...]
    runs: int
    seed: int
    draws: int
    cases: pd.DataFrame
    scores: tuple[Score, ...]
    skills: tuple[Skill, ...]
    reliability: tuple[ReliabilityBin, ...]
    record_end: dt.date
    skipped: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def verdicts(self) -> list[str]:
        return [s.verdict for s in self.skills if s.verdict]

    def score(self, method: str, horizon: int) -> Score | None:
        return next((s for s in self.scores if s.method == method and s.horizon == horizon),
                    None)

    def skill(self, model: str, baseline: str, horizon: int) -> Skill | None:
        return next((s for s in self.skills if (s.model, s.baseline, s.horizon)
                     == (model, baseline, horizon)), None)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "agreements": list(self.agreements), "origins": list(self.origins),
            "horizons_weeks": list(self.horizons), "methods": list(self.methods),
            "runs_per_start": self.runs, "seed": self.seed, "bootstrap_draws": self.draws,
            "record_end": self.record_end.isoformat(), "cases": len(self.cases),
            "scored": "windows wholly inside the record with no blind day",
            "scores": [s.to_json_dict() for s in self.scores],
            "skills": [s.to_json_dict() for s in self.skills],
            "verdicts": self.verdicts,
            "reliability": [b.to_json_dict() for b in self.reliability],
            "skipped": dict(self.skipped), "elapsed_s": round(self.elapsed, 2),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``scores`` (one row per method and horizon: the main table), ``skills`` (each model
        against each baseline, with the interval and the verdict), ``reliability`` and
        ``cases`` (the results contract, ``detente.results``)."""
        return {"scores": pd.DataFrame([s.to_json_dict() for s in self.scores]),
                "skills": pd.DataFrame([s.to_json_dict() for s in self.skills]),
                "reliability": pd.DataFrame([b.to_json_dict() for b in self.reliability]),
                "cases": self.cases_frame()}

    def cases_frame(self) -> pd.DataFrame:
        """One row per scored case: agreement, origin, start, horizon, held, each method."""
        return self.cases.copy()


def origin_years(store, first: int | None = None, last: int | None = None) -> tuple[int, ...]:
    """1 January of ``first`` (default 2008) to the record's last full year."""
    end = store.record_end()
    if end is None:
        raise ParameterError.single("the event store is empty", field="store", value="")
    last_full = end.year - 1 if end < dt.date(end.year, 12, 31) else end.year
    last = last_full if last is None else last
    first = FIRST_ORIGIN if first is None else first
    if last < first:
        raise ParameterError.single(f"no origin between {first} and {last} (the record ends "
                                    f"{end})", field="origins", value=f"{first}:{last}")
    return tuple(range(first, last + 1))


def _first_seen(record: history.Record) -> int:
    """The first day from which every party is seen (the end of any blind span at the start
    of the record, plus one)."""
    first = matcher.day_number(history.FIRST)
    for p in record.parties:
        b0, b1 = record.blind[p]
        if len(b0) and b0[0] <= matcher.day_number(history.FIRST):
            first = max(first, int(b1[0]) + 1)
    return first


def evaluate(agreements: Sequence[Agreement], store, *, origins: Sequence[int] | None = None,
             horizons: Sequence[int] = HORIZONS, methods: Sequence[str] = fc.METHODS,
             runs: int = 256, seed: int = 0, draws: int = 2000,
             progress: Progress | None = None) -> Evaluation:
    """Backtest ``methods`` on ``agreements`` (see the module docstring)."""
    from detente.replay import whatif

    started = time.perf_counter()
    methods = tuple(dict.fromkeys(methods))
    for m in methods:
        if m not in fc.FORECASTERS:
            raise ParameterError.single(f"unknown method; known: {', '.join(fc.METHODS)}",
                                        field="method", value=m)
    horizons = tuple(sorted({int(h) for h in horizons}))
    if not horizons or horizons[0] < 1:
        raise ParameterError.single("horizons must be positive numbers of weeks",
                                    field="horizon", value=",".join(map(str, horizons)))
    if runs < 1:
        raise ParameterError.single("must be at least 1", field="runs", value=runs)
    years = tuple(origins) if origins else origin_years(store)
    end = store.record_end()
    last = matcher.day_number(end)
    seeds = engine.seed_children(np.random.SeedSequence(seed), len(agreements) * len(years))
    frames, skipped = [], {}
    total = len(agreements) * len(years)
    for a_index, spec in enumerate(agreements):
        agreement = history.restraint_agreement(spec)
        if not agreement.commitments:
            skipped[spec.id] = "no restraint commitments to forecast"
            continue
        record = history.load(agreement, store)
        first = _first_seen(record)
        replay = whatif(agreement, store, matcher.from_day_number(first), end, 1,
                        bootstrap=0).starts
        arrays = {"held": replay["days_held"].to_numpy(np.int64),
                  "broken": (~replay["censored"]).to_numpy(bool)}
        for y_index, year in enumerate(years):
            if progress:
                progress("backtest", a_index * len(years) + y_index, total)
            origin = matcher.day_number(dt.date(year, 1, 1))
            if origin - first < MIN_HISTORY_DAYS or origin > last:
                skipped[f"{spec.id}@{year}"] = "less than two years of record before it"
                continue
            starts = origin + 7 * np.arange(52)
            starts = starts[starts <= last]
            rows = _outcomes(record, arrays, first, starts, horizons, last)
            if rows is None:
                continue
            o = fc.Origin(agreement=agreement, record=record, replay=arrays, origin=origin,
                          starts=starts, horizons=horizons, first=first, replay_first=first,
                          store=store, runs=runs, seed=seeds[a_index * len(years) + y_index])
            keep = rows.pop("_index")
            frame = pd.DataFrame({"agreement": spec.id, "origin": year, **rows})
            for m in methods:
                try:
                    f = fc.FORECASTERS[m](o)
                except ParameterError as exc:
                    skipped[f"{m}:{spec.id}@{year}"] = exc.problems[0].message \
                        if getattr(exc, "problems", None) else str(exc)
                    f = np.full((len(starts), len(horizons)), np.nan)
                frame[m] = f[keep]
            frames.append(frame)
    if progress:
        progress("backtest", total, total)
    if not frames:
        raise ParameterError.single("nothing to score: " + "; ".join(
            f"{k}: {v}" for k, v in skipped.items()), field="origins",
            value=f"{years[0]}:{years[-1]}")
    cases = pd.concat(frames, ignore_index=True)
    models = tuple(m for m in methods if m in fc.MODELS)
    baselines = tuple(m for m in methods if m in fc.BASELINES)
    scores, skills, bins = score(cases, methods, horizons, models, baselines, draws=draws,
                                 seed=seed)
    return Evaluation(agreements=tuple(a.id for a in agreements), origins=years,
                      horizons=horizons, methods=methods, runs=runs, seed=seed, draws=draws,
                      cases=cases, scores=tuple(scores), skills=tuple(skills),
                      reliability=tuple(bins), record_end=end, skipped=skipped,
                      elapsed=time.perf_counter() - started)


def _outcomes(record: history.Record, replay: dict[str, np.ndarray], first: int,
              starts: np.ndarray, horizons: tuple[int, ...], last: int
              ) -> dict[str, Any] | None:
    """The decidable (start, horizon) pairs: start date, horizon, held, and the flat index
    into the (start, horizon) forecast array."""
    out: dict[str, list] = {"start": [], "horizon": [], "held": [], "_index": []}
    held = replay["held"][starts - first]
    for j, h in enumerate(horizons):
        window_end = starts + 7 * h - 1
        inside = window_end <= last
        seen = ~record.blind_in(starts, window_end)
        for k in np.flatnonzero(inside & seen):
            out["start"].append(matcher.from_day_number(int(starts[k])))
            out["horizon"].append(h)
            out["held"].append(int(held[k] >= 7 * h))
            out["_index"].append((k, j))
    if not out["start"]:
        return None
    index = tuple(np.array(out.pop("_index")).T)
    return {**out, "_index": index}
