"""The event store: one DuckDB file, versioned schema, transactional idempotent ingest.

Ingest runs in one transaction (all rows or none). Identity works at two levels:

* ``id`` is a hash of (source, source_ref): the same source row always gets the same id, so
  re-ingesting a file adds nothing.
* ``match_key`` names the real-world event across sources (``missile_test|PRK|2017-07-04|1``).
  A row whose key matches an existing event becomes an *alias* of it (its source is kept on the
  event as ``also``) instead of a second event. A key ending in ``*`` is a summary row (a salvo
  reported once) that links to every event whose key starts with the rest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import platformdirs

from detente.errors import IngestError, StoreError
from detente.events import attached as attached_model
from detente.events import connection, schema, validation, writer
from detente.events import coverage as coverage_model
from detente.events.connection import rollback
from detente.events.event import Event, id_sql, json_record
from detente.events.query import EventFilter
from detente.progress import silent
from detente.sql import literal

ENV_VAR = "DETENTE_DB"
ATTRS_JSON = "attrs_json"  # store.query()'s column of attributes as JSON text
BUNDLED_EVENTS = Path(__file__).resolve().parent.parent / "data" / "events.parquet"
BUNDLED_SOURCES = BUNDLED_EVENTS.with_name("sources.json")

EVENT_COLUMNS = writer.EVENT_COLUMNS
STAGED_COLUMNS = writer.STAGED_COLUMNS
MIGRATIONS = schema.MIGRATIONS

Progress = writer.Progress
log = logging.getLogger("detente.store")
IngestResult = writer.IngestResult


def default_path() -> Path:
    """``$DETENTE_DB`` if set, else ``events.duckdb`` in the user data directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("detente", appauthor=False)) / "events.duckdb"


class Store:
    """An event store in one DuckDB file.

    ``Store(path)`` opens (and if needed creates) the file; a new file starts with the bundled
    record loaded unless ``empty=True``. Use as a context manager or call ``close()``.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False,
                 empty: bool = False, verify_datasets: bool = True):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.read_only = read_only
        self._pending_actors: dict[str, str | None] = {}
        self._pending_coverage: list[coverage_model.Coverage] = []
        is_new = not self.path.exists()
        if is_new and read_only:
            # Read-only on a missing file cannot create it: create it once, then reopen.
            Store(self.path, empty=empty).close()
            is_new = False
        if is_new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = self._connect()
        self.created = is_new
        try:
            if not read_only:
                self._migrate()
                if is_new and not empty:
                    self.load_bundled()
                if is_new:
                    log.info("created a new event store at %s%s", self.path,
                             "" if empty else " with the bundled record")
            elif self._check_version() < len(MIGRATIONS):
                # An older schema read-only: bring it up to date once, then read it.
                self.con.close()
                Store(self.path, verify_datasets=False).close()
                self.con = self._connect()
            if verify_datasets:
                attached_model.verify(self.path, self.datasets())
        except BaseException:
            self.con.close()
            raise

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return connection.connect(self.path, read_only=self.read_only)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # --- schema -------------------------------------------------------------------------------

    def schema_version(self) -> int:
        return schema.version(self.con)

    def _check_version(self) -> int:
        return schema.check_version(self.con, self.path)

    def _migrate(self) -> None:
        schema.migrate(self.con, self.path)

    def load_bundled(self, path: Path = BUNDLED_EVENTS) -> IngestResult:
        """Load the bundled record (already merged across sources) into this store."""
        if not path.exists():
            raise StoreError(f"the bundled dataset {path} is missing; run scripts/build_dataset.py")
        sources = path.with_name("sources.json")
        if sources.exists():
            self.declare_coverage(coverage_model.read_sources(sources), with_next_ingest=True)
        return self.ingest_relation(
            self.con.sql(f"SELECT * FROM read_parquet({file_sql(path)})"),
            file=str(path), fmt="bundled", prebuilt=True)

    # --- ingest -------------------------------------------------------------------------------

    def declare_actor(self, code: str, name: str | None = None, *,
                      with_next_ingest: bool = False) -> None:
        """Allow ``code`` as an actor in this store. ``with_next_ingest``: declare it in the
        transaction of the next ingest that succeeds instead, so that a refused file leaves no
        declaration behind."""
        from detente.events import actors

        if not actors.is_valid_code(code):
            raise IngestError.single("actor codes are 2-16 upper-case letters or digits",
                                     field="actor", value=code)
        self._require_writable()
        if with_next_ingest:
            self._pending_actors[code] = name
        else:
            self._write("INSERT OR REPLACE INTO actors VALUES (?, ?)", [code, name])

    def _begin_ingest(self) -> None:
        """Open an ingest's transaction, with the actors and coverage declared for it."""
        self.con.begin()
        for code, name in self._pending_actors.items():
            self.con.execute("INSERT OR REPLACE INTO actors VALUES (?, ?)", [code, name])
        self._insert_coverage(self._pending_coverage)

    # --- coverage -----------------------------------------------------------------------------

    def declare_coverage(self, declarations: Sequence[coverage_model.Coverage], *,
                         with_next_ingest: bool = False, extend: bool = False) -> int:
        """Record what sources cover (``coverage.Coverage``); returns how many are new.

        A declaration that the stored events contradict (an event of its source, kind and
        actors dated outside its days, and outside every other declaration about it) is
        refused, naming the event. ``with_next_ingest``: declare them in the transaction of the
        next ingest that succeeds, checked against the events stored with it. ``extend``: a
        declaration replaces stored ones that differ from it only by ending earlier (a watched
        feed's coverage grows day by day without piling up rows).
        """
        self._require_writable()
        if with_next_ingest:
            self._pending_coverage.extend(declarations)
            return len(declarations)
        self.con.begin()
        try:
            if extend:
                stored = self.coverage()
                for d in declarations:
                    for old in stored:
                        if old.end < d.end and coverage_model.same_scope(old, d):
                            self.con.execute("DELETE FROM coverage WHERE key = ?", [old.key])
            added = self._insert_coverage(declarations)
            self._check_coverage({d.source for d in declarations})
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return added

    def _insert_coverage(self, declarations: Sequence[coverage_model.Coverage]) -> int:
        added = 0
        for d in declarations:
            body = json.dumps(d.to_json_dict(), sort_keys=True)
            found = self.con.execute("SELECT count(*) FROM coverage WHERE key = ?",
                                     [d.key]).fetchall()[0][0]
            if not found:
                self.con.execute("INSERT INTO coverage VALUES (?, ?, ?, ?, ?, now())",
                                 [d.key, d.source, d.start, d.end, body])
                added += 1
        return added

    def _check_coverage(self, sources: set[str]) -> None:
        """Refuse declarations of ``sources`` that their stored events contradict."""
        coverage_model.check_events(self.con, self.coverage(), sources)

    def coverage(self) -> list[coverage_model.Coverage]:
        """Every coverage declaration in the store, by source and start."""
        rows = self.con.execute(
            "SELECT declaration FROM coverage ORDER BY source, start, key").fetchall()
        return [coverage_model.Coverage.model_validate(json.loads(r[0])) for r in rows]

    def record_end(self) -> dt.date | None:
        """The last day the record covers: the latest end of a coverage declaration, or (in a
        store without declarations) the last day of its latest event."""
        declared = self.con.execute('SELECT max("end") FROM coverage').fetchall()[0][0]
        return declared if declared is not None else self.date_range()[1]

    def declared_actors(self) -> dict[str, str | None]:
        return dict(self.con.execute("SELECT code, name FROM actors ORDER BY code").fetchall())

    def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._require_writable()
        self.con.execute(sql, params)

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"the event store {self.path} is open read-only")

    def ingest_events(self, events: Sequence[Event], *, file: str = "<events>") -> IngestResult:
        """Ingest ``Event`` objects (already validated by their model)."""
        rows = [{"_loc": i + 1, **{c: getattr(e, c) for c in EVENT_COLUMNS[1:]}}
                for i, e in enumerate(events)]
        for row in rows:
            row["attrs"] = json.dumps(row["attrs"], sort_keys=True, separators=(",", ":"))
            row["kind"] = str(row["kind"])
        frame = pd.DataFrame(rows, columns=list(STAGED_COLUMNS))
        return self.ingest_frame(frame, file=file, fmt="events")

    def ingest_frame(self, frame: Any, *, file: str = "<frame>", fmt: str = "frame",
                     loc: str = "row", progress: Progress | None = None,
                     format: str | None = None, **options: Any) -> IngestResult:
        """Ingest a normalised frame with the columns ``STAGED_COLUMNS``; or, with ``format``
        (e.g. ``"gdelt"``), a pandas or Arrow frame of that source's own columns, checked and
        normalised by its adapter like a file (``ingest.ingest_frame``; ``options`` go to it,
        e.g. ``version="2"``, ``rejects="bad.jsonl"``)."""
        if format is not None:
            from detente.events import ingest

            return ingest.ingest_frame(self, frame, format, label=file, progress=progress,
                                       **options)
        missing = [c for c in STAGED_COLUMNS if c not in frame.columns]
        if missing:
            raise IngestError.single(f"normalised frame lacks columns {missing}", file=file)
        frame = frame.astype({"date": "datetime64[ms]", "end": "datetime64[ms]"})
        name = f"incoming_{id(frame)}"
        self.con.register(name, frame)
        try:
            return self.ingest_relation(self.con.sql(f"SELECT * FROM {name}"), file=file,
                                        fmt=fmt, loc=loc, progress=progress)
        finally:
            self.con.unregister(name)

    def ingest_relation(self, relation: duckdb.DuckDBPyRelation, *, file: str, fmt: str,
                        loc: str = "row", progress: Progress | None = None,
                        prebuilt: bool = False, in_place: bool = False,
                        unchanged: Callable[[], bool] | None = None,
                        unique_keys: bool = False) -> IngestResult:
        """Ingest a DuckDB relation with the normalised columns, in one transaction (see
        ``_ingest_relation``). A write the disk refuses (full, or over a file-size limit)
        is a ``StoreError`` naming the store and the cause; the store is unchanged."""
        with self._disk_errors(file):
            return self._ingest_relation(relation, file=file, fmt=fmt, loc=loc,
                                         progress=progress, prebuilt=prebuilt,
                                         in_place=in_place, unchanged=unchanged,
                                         unique_keys=unique_keys)

    def ingest_stream(self, relation: duckdb.DuckDBPyRelation, *, file: str, fmt: str,
                      loc: str, rows: Callable[[], int], finish: Callable[[], None],
                      progress: Progress | None = None) -> IngestResult | None:
        """Ingest a relation that may be read only once (a file parsed by the INSERT itself,
        ``detente.events.ingest.stream``), in one transaction: single-day events without
        match keys, with unique source keys, their text trimmed (not trimmed again); ``rows()``
        gives their number after the write, ``finish()`` runs after it, before the commit (it
        may raise: nothing is ingested). None when a row breaks one of the store's rules
        (nothing is ingested; the caller reads the input the ordinary way, which names it)."""
        self._require_writable()
        with self._disk_errors(file):
            return self._write_direct(relation, file=file, fmt=fmt, loc=loc,
                                      note=progress or silent,
                                      after=lambda written: finish() if written else None,
                                      in_place=True, unique_keys=True, streamed=rows,
                                      trimmed=True)

    def _write_direct(self, relation: duckdb.DuckDBPyRelation, *, file: str, fmt: str,
                      loc: str, note: Progress, after: Callable[[bool], None],
                      **direct: Any) -> IngestResult | None:
        """The direct path (``writer.write_direct`` with the options ``direct``) in a
        transaction of its own: the result, committed, or None, rolled back (the batch needs
        the full path). ``after(written)`` runs after the write, before the commit; what it
        raises rolls the transaction back."""
        self._begin_ingest()
        try:
            note("reading", 0, None)
            done = writer.write_direct(self.con, relation, file=file, loc=loc, note=note,
                                       **direct)
            after(done is not None)
        except BaseException:
            rollback(self.con)
            writer.drop_staged(self.con)
            raise
        if done is None:
            rollback(self.con)
            writer.drop_staged(self.con)
            return None
        result, span = done
        return self._finish(fmt, result, span, note, loc)

    @contextlib.contextmanager
    def _disk_errors(self, file: str) -> Iterator[None]:
        """A write the disk refuses (full, or over a file-size limit; also a failed COMMIT) as
        a ``StoreError`` naming the store and the cause."""
        try:
            yield
        except (duckdb.IOException, duckdb.TransactionException) as exc:
            cause = re.sub(r"^(IO Error|TransactionContext Error): (Failed to commit: )?", "",
                           str(exc).split("\n", 1)[0])
            raise StoreError(f"cannot write the event store {self.path} ({cause}); nothing "
                             f"was ingested from {file}") from None

    def _ingest_relation(self, relation: duckdb.DuckDBPyRelation, *, file: str, fmt: str,
                         loc: str, progress: Progress | None, prebuilt: bool, in_place: bool,
                         unchanged: Callable[[], bool] | None,
                         unique_keys: bool = False) -> IngestResult:
        """Ingest a DuckDB relation with the normalised columns, in one transaction.

        Raises ``IngestError`` listing every problem (file, row or line, field) and leaves the
        store unchanged. ``prebuilt`` rows come from an exported store (they carry ``id`` and
        ``also`` and are trusted to be merged already). Most batches take the direct path
        (validated and written in one pass, see ``writer``); the full path runs when the
        batch has match keys to merge or a problem to report. ``in_place``: the relation (with
        ``_loc``) is cheap to read more than once, so the direct path reads it where it is
        instead of copying it; ``unchanged`` (if given) must still hold after the write, or
        nothing is ingested (a file replaced between the reads). ``unique_keys``: the caller
        guarantees that no source key repeats (``Batch.unique_keys``).
        """
        self._require_writable()
        note = progress or silent
        if not prebuilt:
            def still_unchanged(_written: bool) -> None:
                if in_place and unchanged is not None and not unchanged():
                    raise IngestError.single(
                        "the file changed while it was being ingested; nothing was ingested; "
                        "retry when it is complete", file=file)

            done = self._write_direct(relation, file=file, fmt=fmt, loc=loc, note=note,
                                      after=still_unchanged, in_place=in_place,
                                      unique_keys=unique_keys)
            if done is not None:
                return done
            # Rolled back: the full path below names the problem, or merges match keys.
        self._begin_ingest()
        try:
            note("reading", 0, None)
            writer.stage(self.con, relation, file, prebuilt)
            total = self.con.execute("SELECT count(*) FROM staged").fetchall()[0][0]
            note("validating", 0, total)
            validation.check_staged(self.con, file=file, loc=loc, prebuilt=prebuilt)
            note("merging", 0, total)
            result = writer.merge(self.con, file, total, prebuilt=prebuilt)
        except BaseException:
            rollback(self.con)
            raise
        return self._finish(fmt, result, None, note, loc)

    def _finish(self, fmt: str, result: IngestResult, span: int | None,
                note: Progress, loc: str = "row") -> IngestResult:
        """Record the ingest, drop the staging objects and commit (inside the transaction)."""
        try:
            if result.unchanged:
                differing, first = writer.differing_known(self.con)
                if differing:
                    where = f"{loc} {first}" if first is not None else "the input"
                    result = dataclasses.replace(result, notes=(*result.notes, (
                        f"{result.file}: {differing:,} row(s) have the source key of a stored "
                        f"event but differ from it (first at {where}); the stored events are "
                        "kept: a source key names one event")))
            if result.added:
                writer.update_span(self.con, span)
            if result.changed:
                self.con.execute(
                    "INSERT INTO ingests VALUES (now(), ?, ?, ?, ?, ?, ?, ?)",
                    [result.file, fmt, result.rows, result.added, result.merged, result.linked,
                     result.unchanged])
            note("committing", result.rows, result.rows)
            writer.drop_staged(self.con)
            if self._pending_coverage:
                self._check_coverage({d.source for d in self._pending_coverage})
            self.con.commit()
        except BaseException:
            rollback(self.con)
            raise
        self._pending_actors.clear()
        self._pending_coverage.clear()
        note("done", result.rows, result.rows)
        return result

    # --- queries ------------------------------------------------------------------------------

    def relation(self, flt: EventFilter | None = None) -> duckdb.DuckDBPyRelation:
        """The events matching ``flt`` as a DuckDB relation, ordered by date, with ``also``."""
        return events_relation(self.con, flt, self.span_days())

    def query(self, flt: EventFilter | None = None, *, expand_attrs: bool = False,
              **filters: Any) -> pd.DataFrame:
        """Matching events as a DataFrame: the columns of ``Event``, with the attributes as
        JSON text in ``attrs_json`` (pandas' own ``DataFrame.attrs`` is another thing), or with
        ``expand_attrs`` one column per attribute key, ``attr.KEY`` (nested keys dotted;
        missing values NaN)."""
        flt = _as_filter(flt, filters)
        frame = self.relation(flt).df().rename(columns={"attrs": ATTRS_JSON})
        for column in ("date", "end"):
            frame[column] = pd.to_datetime(frame[column])
        if expand_attrs:
            parsed = [json.loads(text) if text else {} for text in frame.pop(ATTRS_JSON)]
            expanded = pd.json_normalize(parsed).add_prefix("attr.") if parsed else \
                pd.DataFrame(index=frame.index)
            expanded.index = frame.index
            frame = pd.concat([frame, expanded], axis=1)
        return frame

    def arrow(self, flt: EventFilter | None = None, **filters: Any):
        """Matching events as a ``pyarrow.Table``."""
        return self.relation(_as_filter(flt, filters)).to_arrow_table()

    def events(self, flt: EventFilter | None = None, **filters: Any) -> Iterator[Event]:
        """Matching events as ``Event`` objects, in date order, streamed in batches."""
        flt = _as_filter(flt, filters)
        reader = self.relation(flt).to_arrow_reader(batch_size=10_000)
        for batch in reader:
            for row in batch.to_pylist():
                yield Event.from_row(row)

    def records(self, flt: EventFilter | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        """Matching events in their public JSON form, streamed (no model validation: fast)."""
        reader = self.relation(_as_filter(flt, filters)).to_arrow_reader(batch_size=10_000)
        for batch in reader:
            for row in batch.to_pylist():
                yield json_record(row)

    def get(self, event_id: str) -> Event | None:
        """The event with ``event_id`` or, for an alias id, the first (by date) it stands for
        (a summary row stands for several: ``alias_of``), or None."""
        targets = self.alias_of(event_id)
        found = list(self.events(EventFilter(ids=(targets[0] if targets else event_id,))))
        return found[0] if found else None

    def alias_of(self, alias_id: str) -> list[str]:
        """The ids of the events ``alias_id`` is a further source of (by date, then id);
        several for a row that summarises them (a salvo); empty if it is not an alias."""
        found = [r[0] for r in self.con.execute(
            """SELECT a.event_id FROM aliases a JOIN events e ON e.id = a.event_id
               WHERE a.id = ? ORDER BY e.date, e.id""", [alias_id]).fetchall()]
        if found or not self.datasets():
            return found
        # An attached event lists its further sources itself (a scan of the datasets).
        return [r[0] for r in self.con.execute(
            f"""SELECT e.id FROM events e, unnest(e._also) AS u(x) WHERE len(e._also) > 0
               AND {id_sql('x.source', 'x.source_ref')} = ?
               ORDER BY e.date, e.id""", [alias_id]).fetchall()]

    def count(self, flt: EventFilter | None = None, **filters: Any) -> int:
        where, params = _as_filter(flt, filters).sql(self.span_days())
        return self.con.execute(f"SELECT count(*) FROM events e {where}", params).fetchall()[0][0]

    def span_days(self) -> int:
        """Days between ``date`` and ``end`` of the longest event (0 for an empty store), the
        attached datasets' included.

        Kept in ``meta`` by every ingest (and in ``datasets`` by attach), so queries can bound
        how early an event overlapping a date may begin (see ``EventFilter.sql``)."""
        rows = self.con.execute("SELECT value FROM meta WHERE key = 'span_days'").fetchall()
        stored = int(rows[0][0]) if rows else int(self.con.execute(
            'SELECT coalesce(max("end" - date), 0) FROM stored_events').fetchall()[0][0])
        return max(stored, attached_model.span_days(self.con))

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        return tuple(self.con.execute(
            'SELECT min(date), max(coalesce("end", date)) FROM events').fetchall()[0])

    def stats(self) -> dict[str, pd.DataFrame]:
        """Counts of events by kind, by actor and by year."""
        out = {}
        for name, expr in (("kind", "kind"), ("actor", "actor"), ("year", "year(date)")):
            out[name] = self.con.sql(
                f"SELECT {expr} AS {name}, count(*) AS events FROM events "
                f"GROUP BY ALL ORDER BY {'year' if name == 'year' else 'events DESC, ' + name}"
            ).df()
        return out

    def ingest_log(self) -> pd.DataFrame:
        return self.con.sql("SELECT * FROM ingests ORDER BY ingested_at").df()

    def fingerprint(self) -> str:
        """A digest of every row of every table: equal fingerprints mean equal contents."""
        parts = []
        for table, order in (("stored_events", "id"), ("aliases", "id, event_id"),
                             ("actors", "code"), ("ingests", "ingested_at, file"), ("meta", "key")):
            digest = self.con.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::VARCHAR, '|' ORDER BY {order})), '')"
                f" FROM {table} t").fetchall()[0]
            # The stored events keep the label "events" they had before migration 5.
            parts.append(f"{table.removeprefix('stored_')}:{digest[0]}:{digest[1]}")
        return ";".join(parts)

    def export_parquet(self, path: str | Path, *, partition_by: Sequence[str] = ()) -> int:
        """Write every event (with ``also``) to a Parquet file sorted by date and id, or with
        ``partition_by`` (``("year", "month")``) to a folder of hive partitions
        (``year=2024/month=3/...``) that ``attach`` reads in place; whole or not at all
        (``detente.output``)."""
        from detente import output

        def write(tmp: Path) -> None:
            try:
                if partition_by:
                    output.copy_partitioned(self.con, self.relation(), tmp, partition_by)
                else:
                    self.relation().write_parquet(str(tmp), compression="zstd")
            except duckdb.IOException as exc:  # a full disk, a refused folder
                raise output.failure(path, exc) from None

        if partition_by:
            output.write_folder_atomically(path, write)
        else:
            output.write_atomically(path, write)
        return self.count()

    # --- datasets read in place (detente/events/attached.py) ----------------------------------

    def attach(self, path: str | Path, coverage: Sequence[coverage_model.Coverage] = (), *,
               name: str | None = None) -> attached_model.Dataset:
        """Read the Parquet dataset at ``path`` in place as ``name`` (by default its folder's
        name), checked once, with the ``coverage`` of its sources, in one transaction
        (``attached.attach``); a path attached again is checked anew (renamed, given a name)."""
        self._require_writable()
        return attached_model.attach(self, Path(path), coverage, name)

    def detach(self, name_or_path: str | Path) -> attached_model.Dataset | None:
        """Stop reading the dataset of that name (a ``str``; names first) or path; the dataset,
        or None if none was attached. Its coverage declarations stay (they are about sources)."""
        self._require_writable()
        return attached_model.detach(self.con, name_or_path)

    def datasets(self) -> list[attached_model.Dataset]:
        """The attached datasets."""
        return attached_model.datasets(self.con)


def events_relation(con: duckdb.DuckDBPyConnection, flt: EventFilter | None,
                    span_days: int, source: str = "events") -> duckdb.DuckDBPyRelation:
    """The events of ``source`` (``events``, or a FROM item with its columns and ``_also``)
    matching ``flt``, ordered by date, with ``also``: ``Store.relation``, and a part of the
    record (``detente.scale``)."""
    flt = flt or EventFilter()
    where, params = flt.sql(span_days)
    sql = f"""SELECT {_PUBLIC_SELECT} FROM {source} e {where}
              ORDER BY e.date, e.id"""
    if flt.limit is not None:
        sql += f" LIMIT {int(flt.limit)} OFFSET {int(flt.offset)}"
    elif flt.offset:
        sql += f" OFFSET {int(flt.offset)}"
    return con.sql(sql, params=params) if params else con.sql(sql)


def _as_filter(flt: EventFilter | None, filters: dict[str, Any]) -> EventFilter:
    if flt is not None and filters:
        raise TypeError("pass either an EventFilter or keyword filters, not both")
    return flt if flt is not None else EventFilter(**filters)


_GLOB_CHARS = re.compile(r"([*?\[\]])")


def file_sql(path: Path | str) -> str:
    """``path`` as the SQL string literal that makes DuckDB's file readers open exactly that
    file: they take ``*``, ``?`` and ``[...]`` as glob patterns (each is bracketed, ``[*]``,
    to stand for itself) and expand a leading ``~`` (the path is made absolute)."""
    return literal(_GLOB_CHARS.sub(r"[\1]", str(Path(path).absolute())))


# An attached event carries its further sources itself (``_also``); a stored one has them in
# the aliases table.
_PUBLIC_SELECT = (", ".join(f'e."{c}"' for c in EVENT_COLUMNS) + """,
    coalesce(e._also, (SELECT list({'source': a.source, 'source_ref': a.source_ref}
                                   ORDER BY a.source, a.source_ref)
                       FROM aliases a WHERE a.event_id = e.id), []) AS also""")
