"""Event datasets read in place beside the store: ``detente events attach PATH [--name NAME]``.

A world-scale record does not belong in one store file. A dataset is a folder of Parquet files
in detente's event layout, as ``detente events export --partition-by year,month`` writes it
(``year=2024/month=3/data_0.parquet``, each file sorted by date), or a single such file.

**Attaching** checks it once (its columns; every row against the store's rules, as an ingest
of an export would; no id repeated, in it or among the events already there) and records it in
the store (table ``datasets``: its name, its files with their sizes and modification times, its
events, dates and longest span), in one transaction with the coverage declared for it. The
store's view ``events`` then reads the stored events (table ``stored_events``) and every attached
dataset, in place. Everything that reads events (queries, check, what-if, rates, tension,
windows, watch, the web API) reads that view, so attached events count exactly as stored ones,
with the same filters; a date filter skips the row groups whose dates it excludes, by their
Parquet statistics.

A dataset has a **name**, unique in the store (``--name``; by default its folder's name or its
file's stem, ``detente.events.dataset_names``); ``events detach`` takes the name or the path.
Attaching a path again keeps its name, or gives it the one asked for; a name another path
holds is refused, naming that path.

A dataset's files are those found when it was attached: a file added later is not read, and a
store whose attached files changed or went missing refuses to open until the dataset is
attached again (``events attach`` re-checks it) or detached.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError, ParameterError, Problem, StoreError
from detente.events import dataset_names

EVENT_COLUMNS = ("id", "date", "end", "actor", "target", "kind", "attrs", "source",
                 "source_ref", "confidence", "summary", "match_key")
ALSO_TYPE = "STRUCT(source VARCHAR, source_ref VARCHAR)[]"
# What each column of an attached file must be (attributes as JSON text, like the store's).
_TYPES = {"id": "VARCHAR", "date": "DATE", "end": "DATE", "actor": "VARCHAR",
          "target": "VARCHAR", "kind": "VARCHAR", "attrs": "VARCHAR", "source": "VARCHAR",
          "source_ref": "VARCHAR", "confidence": "VARCHAR", "summary": "VARCHAR",
          "match_key": "VARCHAR"}
_SELECT = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)

# Migration 5 (``schema.MIGRATIONS``): the stored events become a table beside the view.
MIGRATION = [
    "ALTER TABLE events RENAME TO stored_events",
    """CREATE TABLE datasets (path VARCHAR PRIMARY KEY, files JSON NOT NULL,
        events BIGINT NOT NULL, first DATE, last DATE, span_days INTEGER NOT NULL,
        has_also BOOLEAN NOT NULL, attached_at TIMESTAMP NOT NULL)""",
    f"CREATE VIEW events AS SELECT {_SELECT}, CAST(NULL AS {ALSO_TYPE}) AS _also "
    "FROM stored_events",
]


@dataclass(frozen=True)
class Dataset:
    """An attached dataset: its name, its folder (or file), its files, events and dates."""

    name: str
    path: Path
    files: tuple[tuple[str, int, int], ...]   # (path, size, mtime_ns)
    events: int
    first: dt.date | None
    last: dt.date | None
    span_days: int
    has_also: bool
    attached_at: dt.datetime | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "files": len(self.files),
                "events": self.events, "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None,
                "span_days": self.span_days,
                "attached_at": self.attached_at.isoformat() if self.attached_at else None}


def parquet_sql(files: list[str] | tuple[str, ...], *, row_numbers: bool = False) -> str:
    """``read_parquet`` of exactly these files (a list of literal paths: no glob is
    expanded)."""
    from detente.events.store import file_sql

    listed = ", ".join(file_sql(f) for f in files)
    extra = ", file_row_number = true, filename = true" if row_numbers else ""
    return f"read_parquet([{listed}], union_by_name = true, hive_partitioning = false{extra})"


def find_files(path: Path) -> list[Path]:
    """The Parquet files of a dataset: the file itself, or every ``*.parquet`` under the
    folder (hive partitions ``year=.../month=...`` included), in path order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise IngestError.single("no such file or folder", file=str(path))
    found = sorted(p for p in path.rglob("*.parquet") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not found:
        raise IngestError.single("no Parquet files (*.parquet) in this folder", file=str(path))
    return found


def _stat(files: list[Path]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for f in files:
        st = os.stat(f)
        out.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


def check(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> Dataset:
    """Check a dataset for attaching as ``name`` (see the module docstring); ``IngestError``
    naming the file, row and field otherwise. ``con``: the store's connection, in its
    transaction."""
    from detente.events import validation, writer

    path = Path(path).expanduser().absolute()
    files = find_files(path)
    state = _stat(files)
    names = [f for f, _, _ in state]
    try:
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * "
                                 f"FROM {parquet_sql(names)})").fetchall())
    except duckdb.Error as exc:
        raise IngestError.single(f"cannot read the Parquet files ({str(exc).splitlines()[0]})",
                                 file=str(path)) from None
    wrong = [Problem(f"must be {t} (found {types.get(c, 'no such column')})", file=str(path),
                     field=c) for c, t in _TYPES.items()
             if types.get(c) != t and not (c == "attrs" and types.get(c) == "JSON")]
    IngestError.collect(f"{path}: not a dataset in detente's event layout (write one with "
                        "detente events export --partition-by year,month)", wrong)
    has_also = types.get("also", "").replace('"', "") == ALSO_TYPE

    def check_rows(files: list[str], label: str) -> None:
        relation = con.sql(f"""SELECT file_row_number + 1 AS _loc, {_SELECT}
            {', also' if has_also else ''} FROM {parquet_sql(files, row_numbers=True)}""")
        writer.stage(con, relation, label, prebuilt=True, in_place=True)  # read where it is
        try:
            validation.check_staged(con, file=label, loc="row", prebuilt=True)
        finally:
            writer.drop_staged(con)

    # Every row against the store's rules, as an ingest of the export would: all files in
    # one pass; a problem is then named by file and row, file by file.
    try:
        check_rows(names, str(path))
    except IngestError:
        for file in names:
            check_rows([file], file)
        raise
    source = parquet_sql(names)
    repeated = con.execute(f"""SELECT id, count(*) FROM {source} GROUP BY id
                               HAVING count(*) > 1 LIMIT 5""").fetchall()
    if repeated:
        raise IngestError.single(f"event id {repeated[0][0]} appears {repeated[0][1]} times "
                                 "in the dataset; an id names one event", file=str(path),
                                 field="id", value=repeated[0][0])
    known = con.execute(f"""SELECT d.id, d.source, d.source_ref FROM {source} d
                            WHERE d.id IN (SELECT id FROM events) LIMIT 5""").fetchall()
    if known:
        raise IngestError.single(
            f"event {known[0][0]} ({known[0][1]} {known[0][2]!r}) is already in the store "
            "(stored or in another attached dataset); a dataset must hold events the store "
            "does not", file=str(path), field="id", value=known[0][0])
    events, first, last, span = con.execute(
        f'SELECT count(*), min(date), max(coalesce("end", date)), '
        f'coalesce(max("end" - date), 0) FROM {source}').fetchall()[0]
    return Dataset(name, path, state, int(events), first, last, int(span), has_also)


def record(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> None:
    """Store ``dataset`` (replacing an earlier attach of the same path) and redefine the view
    ``events`` over every attached dataset."""
    con.execute("DELETE FROM datasets WHERE path = ?", [str(dataset.path)])
    con.execute("""INSERT INTO datasets (path, files, events, first, last, span_days, has_also,
                                         attached_at, name)
                   VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?)""",
                [str(dataset.path), json.dumps(dataset.files), dataset.events, dataset.first,
                 dataset.last, dataset.span_days, dataset.has_also, dataset.name])
    define_view(con)


def define_view(con: duckdb.DuckDBPyConnection) -> None:
    """``events``: the stored events, then every attached dataset's (with its ``also``)."""
    parts = [f"SELECT {_SELECT}, CAST(NULL AS {ALSO_TYPE}) AS _also FROM stored_events"]
    for d in datasets(con):
        also = "also" if d.has_also else f"CAST([] AS {ALSO_TYPE})"
        parts.append(f"SELECT {_SELECT}, {also} AS _also FROM "
                     f"{parquet_sql([f for f, _, _ in d.files])}")
    con.execute("CREATE OR REPLACE VIEW events AS " + " UNION ALL ".join(parts))


def datasets(con: duckdb.DuckDBPyConnection) -> list[Dataset]:
    """The attached datasets, by path."""
    rows = con.execute("""SELECT name, path, files, events, first, last, span_days, has_also,
                                 attached_at FROM datasets ORDER BY path""").fetchall()
    return [Dataset(m, Path(p), tuple(tuple(x) for x in json.loads(f)), int(n), a, b, int(s),
                    bool(h), t) for m, p, f, n, a, b, s, h, t in rows]


def find(con: duckdb.DuckDBPyConnection, name_or_path: str | Path) -> Dataset | None:
    """The dataset named ``name_or_path`` (a ``str``: names first), else the one attached from
    that path, else None."""
    found = datasets(con)
    if isinstance(name_or_path, str):
        for d in found:
            if d.name == name_or_path:
                return d
    path = Path(name_or_path).expanduser().absolute()
    return next((d for d in found if d.path == path), None)


def verify(store_path: Path, found: list[Dataset]) -> None:
    """``StoreError`` if an attached dataset's files changed or went missing since it was
    attached (its checks and dates would no longer hold)."""
    for d in found:
        for name, size, mtime in d.files:
            try:
                st = os.stat(name)
            except OSError:
                problem = "is missing"
            else:
                if (st.st_size, st.st_mtime_ns) == (size, mtime):
                    continue
                problem = "changed"
            raise StoreError(
                f"the event store {store_path} reads the dataset {d.name} ({d.path}) in place, "
                f"and its file {name} {problem} since it was attached; attach it again to check "
                f"it anew (detente events attach {d.path}) or detach it (detente events detach "
                f"{d.name})")


def attach(store: Any, path: Path, coverage: Any = (), name: str | None = None) -> Dataset:
    """``Store.attach``: check and record the dataset as ``name``, and declare its coverage, in
    one transaction (an earlier attach of the same path is replaced, and its name kept unless
    ``name`` is given); ``ParameterError`` for a name against the rule or held by another
    path."""
    from detente.events.store import rollback

    if name is not None:
        dataset_names.check(name)
    path = Path(path).expanduser().absolute()
    con = store.con
    con.begin()
    try:
        known = datasets(con)
        earlier = next((d for d in known if d.path == path), None)
        name = name or (earlier.name if earlier else dataset_names.default(path))
        holder = next((d for d in known if d.name == name), None)
        if holder is not None and holder.path != path:
            raise ParameterError.single(
                f"the name {name!r} is taken by the dataset attached from {holder.path}; a "
                "dataset's name is unique in the store: give this one another (--name), or "
                f"detach that one (detente events detach {name})", field="name", value=name)
        con.execute("DELETE FROM datasets WHERE path = ?", [str(path)])
        define_view(con)
        dataset = check(con, path, name)
        record(con, dataset)
        store._insert_coverage(coverage)
        if coverage:
            store._check_coverage({d.source for d in coverage})
        con.commit()
    except BaseException:
        rollback(con)
        raise
    return dataset


def detach(con: duckdb.DuckDBPyConnection, name_or_path: str | Path) -> Dataset | None:
    """``Store.detach``: forget the dataset ``find`` gives; that dataset, or None if none was
    attached by that name or path."""
    from detente.events.store import rollback

    con.begin()
    try:
        found = find(con, name_or_path)
        if found is not None:
            con.execute("DELETE FROM datasets WHERE path = ?", [str(found.path)])
            define_view(con)
        con.commit()
    except BaseException:
        rollback(con)
        raise
    return found


def span_days(con: duckdb.DuckDBPyConnection) -> int:
    """The longest event span among the attached datasets (0 without any)."""
    return int(con.execute("SELECT coalesce(max(span_days), 0) FROM datasets").fetchall()[0][0])
