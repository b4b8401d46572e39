"""Heavy scans fanned out over the record's parts, on a Dask cluster: the tension index of every
dyad, and the what-if of many agreements.

The record splits into **parts**: the stored events (read by this process, which holds the
store) and each Parquet file of every attached dataset (one per year/month partition of an
export; ``detente.events.attached``). A task reads one part with its own DuckDB connection and
returns partial results, which combine into exactly what one process computes over the whole
record:

* :func:`dyads`: the partial sums of ``tension.dyad_parts`` (weights in thousandths, integers:
  they add up alike in any order), combined by ``tension.combine_dyads``;
* :func:`whatif_many`: each agreement's matched events (``Matcher.frame``) per part,
  concatenated and sorted by (date, id) as one query returns them, then replayed by
  ``detente.whatif`` as usual.

``workers=N`` starts a ``LocalCluster`` of N worker processes for the call; ``scheduler``
(``tcp://host:8786``) uses a running Dask cluster whose workers can read the datasets' files
at the same paths; neither runs every part in this process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from detente import tension as tension_lib
from detente.errors import ParameterError, SchedulerError
from detente.events import attached
from detente.events.query import EventFilter
from detente.events.store import Store, events_relation

CONNECT_TIMEOUT = 10.0
TASKS_PER_WORKER = 4  # a scheduler's workers are not counted: 8 are assumed


@dataclass(frozen=True)
class Part:
    """A part of the record: Parquet files of an attached dataset, or (no files) the stored
    events, which the process holding the store reads."""

    files: tuple[str, ...]
    span_days: int
    has_also: bool = True       # the files carry ``also`` (a detente export does)
    threads: int | None = None  # DuckDB threads of the task (1 on a cluster: a task a core)

    @property
    def stored(self) -> bool:
        return not self.files


def parts(store: Store, tasks: int = 1) -> list[Part]:
    """The stored events, then the files of the attached datasets in about ``tasks`` parts of
    similar size (whole files of one dataset, in path order: a partition is never split)."""
    stored = int(store.con.execute('SELECT coalesce(max("end" - date), 0) FROM stored_events'
                                   ).fetchall()[0][0])
    found = [Part((), stored)]
    datasets = store.datasets()
    share = sum(size for d in datasets for _, size, _ in d.files) / max(1, tasks)
    for d in datasets:
        group: list[str] = []
        size = 0
        for name, bytes_, _ in d.files:
            if group and size + bytes_ / 2 > share:
                found.append(Part(tuple(group), d.span_days, d.has_also))
                group, size = [], 0
            group.append(name)
            size += bytes_
        found.append(Part(tuple(group), d.span_days, d.has_also))
    return found


class PartReader:
    """One part read by its own connection, through the names the store's queries use: a view
    ``events`` over the part's files, an empty ``aliases`` (attached events carry ``also``)."""

    def __init__(self, part: Part):
        self.part = part
        # No progress bar: a worker's stderr is no terminal, and a slow scan would print one.
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        if part.threads:
            self.con.execute(f"SET threads = {int(part.threads)}")
        select = ", ".join(f'"{c}"' for c in attached.EVENT_COLUMNS)
        also = "also" if part.has_also else f"CAST([] AS {attached.ALSO_TYPE})"
        self.con.execute(f"""CREATE VIEW events AS SELECT {select}, {also} AS _also
                             FROM {attached.parquet_sql(list(part.files))}""")
        self.con.execute("CREATE TABLE aliases (id VARCHAR, event_id VARCHAR, source VARCHAR, "
                         "source_ref VARCHAR)")

    def relation(self, flt: EventFilter | None = None) -> duckdb.DuckDBPyRelation:
        return events_relation(self.con, flt, self.part.span_days)

    def close(self) -> None:
        self.con.close()


_STORED = f"(SELECT *, CAST(NULL AS {attached.ALSO_TYPE}) AS _also FROM stored_events)"


def _tension_part(part: Part, options: dict[str, Any]) -> dict[str, pd.DataFrame]:
    reader = PartReader(part)
    try:
        return tension_lib.dyad_parts(reader.con, "events", **options)
    finally:
        reader.close()


def _frames_part(part: Part, agreements: list[Any], start: dt.date, end: dt.date
                 ) -> list[pd.DataFrame]:
    from detente import matcher

    reader = PartReader(part)
    try:
        return [matcher.compile(a).frame(reader, start, end) for a in agreements]
    finally:
        reader.close()


@contextmanager
def _client(scheduler: str | None, workers: int | None,
            connect_timeout: float) -> Iterator[Any]:
    """A Dask client for ``scheduler``, or for a LocalCluster of ``workers`` processes."""
    if scheduler:
        from detente.simulate.sweep import connect

        client = connect(scheduler, connect_timeout)
        try:
            yield client
        finally:
            client.close()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        raise SchedulerError("--workers needs dask.distributed: pip install 'detente[dist]'"
                             ) from None
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster, set_as_default=False) as client:
        yield client


def run(store: Store, task: Callable[..., Any], local: Callable[[], Any], *args: Any,
        scheduler: str | None = None, workers: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT) -> list[Any]:
    """``task(part, *args)`` for every dataset file and ``local()`` for the stored events,
    in part order: on the cluster (see the module docstring), or all here."""
    if workers is not None and workers < 1:
        raise ParameterError.single("must be at least 1", field="workers", value=workers)
    # Several tasks per worker even out their sizes; one process reads every file at once.
    tasks = TASKS_PER_WORKER * (workers or 8) if scheduler or workers else 1
    found = parts(store, tasks)
    remote = [p for p in found if not p.stored]
    results = [local()]
    if not remote:
        return results
    if scheduler is None and workers is None:
        return results + [task(p, *args) for p in remote]
    remote = [dataclasses.replace(p, threads=1) for p in remote]
    with _client(scheduler, workers, connect_timeout) as client:
        futures = client.map(task, remote, *[[a] * len(remote) for a in args], pure=False)
        try:
            return results + client.gather(futures)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"the Dask cluster failed: {exc}") from None


def dyads(store: Store, *, weekly: bool = False, start: dt.date | None = None,
          end: dt.date | None = None, sources: Sequence[str] | None = None,
          per_mention: bool = False, unilateral: bool = True, scheduler: str | None = None,
          workers: int | None = None) -> tension_lib.DyadTension:
    """``tension.dyads`` fanned out over the record's parts; equal to it."""
    options: dict[str, Any] = {"weekly": weekly, "start": start, "end": end,
                               "sources": sources, "per_mention": per_mention,
                               "unilateral": unilateral}
    found = run(store, _tension_part,
                lambda: tension_lib.dyad_parts(store.con, _STORED, **options), options,
                scheduler=scheduler, workers=workers)
    return tension_lib.combine_dyads(store.con, found, weekly=weekly, per_mention=per_mention,
                                     unilateral=unilateral)


def whatif_many(agreements: Sequence[Any], store: Store, start: dt.date, end: dt.date,
                step_days: int = 7, *, record_end: dt.date | None = None,
                scheduler: str | None = None, workers: int | None = None) -> dict[str, Any]:
    """``detente.whatif`` of each agreement (by id, in order), their events matched part by
    part (see the module docstring); equal to one ``whatif`` each."""
    from detente import matcher, monitor
    from detente.replay import whatif

    agreements = list(agreements)
    last = record_end or monitor.record_end(store)
    stored = _StoredReader(store)
    found = run(store, _frames_part,
                lambda: [matcher.compile(a).frame(stored, start, last) for a in agreements],
                agreements, start, last, scheduler=scheduler, workers=workers)
    out = {}
    for i, agreement in enumerate(agreements):
        frames = [f[i] for f in found if len(f[i])] or [found[0][i]]
        frame = pd.concat(frames, ignore_index=True).sort_values(["d", "id"],
                                                                 ignore_index=True)
        out[agreement.id] = whatif(agreement, store, start, end, step_days,
                                   record_end=last, frame=frame)
    return out


class _StoredReader:
    """The stored events only, as ``Matcher.frame`` reads a store."""

    def __init__(self, store: Store):
        self.store = store

    def relation(self, flt: EventFilter | None = None) -> duckdb.DuckDBPyRelation:
        return events_relation(self.store.con, flt, self.store.span_days(), _STORED)
