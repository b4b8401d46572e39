"""Shared machinery of the machine-coded event adapters (GDELT, ICEWS, POLECAT).

One pipeline for every tab-separated export, all in DuckDB so a 10-million-row file never passes
through Python row by row:

1. **Guards** (``guard.py``). A file that is still being written is refused whole:
   ``.tmp``/``.part`` names, a missing final newline (a truncated last line), a NUL byte, or a
   size or modification time that changes while it is read. Compressed files (``.gz``,
   ``.zip``) are decompressed once to a temporary file with their checksums verified, so broken
   compression is refused before anything is read.
2. **Check pass.** Every line is split on tabs and its fields checked against the codebook
   (field count, numbers, dates and their range, codes, actor codes). One scan records, per
   line, its key and the first failing rule; skipped rows (no state actor) are counted.
3. **Rejects.** Failing lines go to a JSON-lines rejects file (one record per line: line number,
   every problem with its field and value, the original text), written atomically; duplicates
   of a key already seen earlier in the file are rejected too.
4. **Batch.** The same scan normalises the good lines into a temporary DuckDB table (so the
   store ingests exactly what was checked, even if the file changes afterwards); the store
   ingests them in one transaction (all good rows or none).

The summary (lines read, accepted, rejected by field, skipped) is returned with the batch
(``Batch.notes``), logged, and returned by :func:`ingest`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import os
import re
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError, Problem
from detente.events import actors as actor_codes
from detente.events.ingest import Batch
from detente.events.ingest.guard import (  # re-exported: the adapters' one import
    REJECTS_SUFFIX,
    FileState,
    compression_of,
    discard,
    first_line,
    in_progress_reason,
    is_side_file,
    open_text_head,
    prepare,
)
from detente.events.store import IngestResult, Progress, Store, file_sql
from detente.sql import literal

__all__ = ["REJECTS_SUFFIX", "Cast", "FileIngest", "FileState", "Layout", "Lookups", "Rule",
           "Summary", "cameo_code_rule", "compression_of", "discard", "first_line",
           "in_progress_reason", "ingest", "is_side_file", "location_rules", "open_text_head",
           "prepare", "read_coded", "read_guarded", "scale_rule"]

log = logging.getLogger("detente.ingest")

_BUFFER = 1 << 25  # DuckDB CSV buffer: large buffers parse long files much faster


def header_index(plain: Path, file: str, wanted: Mapping[str, tuple[str, ...]],
                 required: tuple[str, ...], label: str) -> tuple[dict[str, int], int]:
    """Positions (1-based) of the ``wanted`` columns in the header line, and the header's
    width. ``wanted`` maps each column to the header names accepted for it (compared without
    case, quotes or surrounding space); a missing ``required`` column refuses the file."""
    with open(plain, "rb") as handle:
        raw = handle.readline()
    text = raw.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    names = [n.strip().strip('"').strip().lower() for n in text.split("\t")]
    index: dict[str, int] = {}
    for column, accepted in wanted.items():
        for name in accepted:
            if name.lower() in names:
                index[column] = names.index(name.lower()) + 1
                break
    missing = [c for c in required if c not in index]
    if missing:
        raise IngestError.single(
            f"not a {label} file: its header lacks {', '.join(missing)} (found: "
            f"{', '.join(n for n in names if n) or 'nothing'})", file=file, line=1)
    return index, len(names)


def unquote_sql(expr: str) -> str:
    """SQL for a field without surrounding space and one pair of double quotes."""
    t = f"trim({expr})"
    return (f"(CASE WHEN len({t}) >= 2 AND starts_with({t}, '\"') AND ends_with({t}, '\"') "
            f"THEN replace(substr({t}, 2, len({t}) - 2), '\"\"', '\"') ELSE {t} END)")


# --- format specification -----------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A per-row check: rows where ``failing`` holds are rejected, reporting ``value``."""

    field: str
    reason: str
    failing: str
    value: str


# Rules the coded exports share, over the layout fields they name.

def cameo_code_rule(field: str, code: str = "code") -> Rule:
    """A CAMEO event code: 2-4 digits with a root from 01 to 20."""
    return Rule(field, "not a CAMEO event code (2-4 digits, root 01-20)",
                f"NOT coalesce(regexp_full_match({code}, '(0[1-9]|1[0-9]|20)[0-9]{{0,2}}'), "
                "false)", code)


def scale_rule(field: str, number: str) -> Rule:
    """A Goldstein-style score from -10 to 10 (``number``, parsed; ``raw_<number>``, text)."""
    return Rule(field, "not a number from -10 to 10",
                f"coalesce(abs({number}) > 10 OR isnan({number}), true)", f"raw_{number}")


def location_rules(latitude: str, longitude: str) -> tuple[Rule, Rule]:
    """An optional location in range (layout fields ``lat``/``raw_lat``, ``lon``/``raw_lon``)."""
    return (Rule(latitude, "not a latitude (-90..90)",
                 "raw_lat IS NOT NULL AND coalesce(abs(lat) > 90, true)", "raw_lat"),
            Rule(longitude, "not a longitude (-180..180)",
                 "raw_lon IS NOT NULL AND coalesce(abs(lon) > 180, true)", "raw_lon"))


@dataclass(frozen=True)
class Cast:
    """An input column's type: a value that does not cast to it is rejected for ``reason``."""

    type: str
    reason: str


@dataclass(frozen=True)
class Layout:
    """How one export's rows become events.

    ``fields`` are SQL expressions giving typed columns: over ``f`` (the line split on tabs,
    1-based) for a layout read line by line (``widths`` set), or over the named ``inputs``
    (``detente.events.ingest.tabular``: column -> its ``Cast``, or None for text) otherwise;
    ``rules`` and ``skip`` are SQL over those columns; ``select`` gives the normalised event
    columns (``date``, ``actor``, ``target``, ``kind``, ``attrs``, ``summary``) and ``key`` the
    source's own row key (``source_ref``).
    """

    format: str
    source: str
    label: str
    widths: tuple[int, ...]
    first_data_line: int
    fields: dict[str, str]
    rules: tuple[Rule, ...]
    skip: tuple[tuple[str, str], ...]
    key: str
    select: dict[str, str]
    confidence: str = "low"
    trailing_tabs: bool = False  # accept extra, empty fields after the last column
    params: dict[str, Any] = field(default_factory=dict)  # named parameters (Lookups)
    inputs: dict[str, Cast | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """What a coded-data read found: lines, accepted rows, rejects by field, skipped rows."""

    file: str
    format: str
    lines: int
    accepted: int
    rejected: int
    skipped: int
    blank: int
    rejected_by: dict[str, int] = field(default_factory=dict)
    skipped_by: dict[str, int] = field(default_factory=dict)
    rejects_file: str | None = None
    unit: str = "data lines"  # "rows" for a frame or a Parquet file

    def describe(self) -> str:
        text = (f"{self.file}: {self.lines:,} {self.unit}; {self.accepted:,} accepted, "
                f"{self.rejected:,} rejected, {self.skipped:,} skipped")
        if self.rejected_by:
            text += " (rejected: " + ", ".join(f"{k} {v:,}" for k, v in
                                               sorted(self.rejected_by.items())) + ")"
        if self.skipped_by:
            text += " (skipped: " + ", ".join(f"{k} {v:,}" for k, v in
                                              sorted(self.skipped_by.items())) + ")"
        if self.blank:
            text += f"; {self.blank:,} blank lines ignored"
        if self.rejects_file:
            text += f"; rejects with line numbers in {self.rejects_file}"
        return text

    def to_json_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --- actor tables -------------------------------------------------------------------------------

def known_actor_codes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Built-in codes plus those declared in the store behind ``con`` (if it is one)."""
    codes = set(actor_codes.builtin_actors())
    with contextlib.suppress(duckdb.Error):  # not a store connection: built-in codes only
        codes |= {c for (c,) in con.execute("SELECT code FROM actors").fetchall()}
    return codes


@functools.lru_cache(maxsize=64)
def _perfect_hash(items: tuple[tuple[str, str], ...],
                  hashes: tuple[int, ...]) -> tuple[int, list[str | None], list[str | None]]:
    """The smallest table size >= 4x the keys with no collision, and its two slot lists."""
    size = 4 * len(items)
    while len({h % size for h in hashes}) < len(items):
        size += 1
    slots_k: list[str | None] = [None] * size
    slots_v: list[str | None] = [None] * size
    for (key, value), h in zip(items, hashes, strict=True):
        slots_k[h % size], slots_v[h % size] = key, value
    return size, slots_k, slots_v


class Lookups:
    """Lookup tables for a layout's SQL, as perfect-hash lists passed as named parameters.

    A join would do, but DuckDB cannot estimate a CSV scan's size and may hash the whole file
    as the build side; a lookup keyed by DuckDB's own ``hash()`` costs O(1) per row and no
    memory. The lists are bound as parameters: as SQL literals, a thousand-element list costs
    tens of milliseconds to parse, every time it is referenced. A DuckDB map took as long (93
    against 89 ms over 2M rows read flat, as the CSV reader gives them) and grows with its size
    (323 ms at 1,000 keys); only over a stored table's dictionary vectors did it look faster.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.params: dict[str, list[str | None]] = {}

    def sql(self, expr: str, mapping: dict[str, str]) -> str:
        """SQL for ``mapping.get(expr)``."""
        if not mapping:
            return "CAST(NULL AS VARCHAR)"
        items = tuple(sorted(mapping.items()))
        hashes = tuple(h for (h,) in self.con.execute(
            "SELECT hash(k) FROM unnest(?) WITH ORDINALITY AS t(k, i) ORDER BY i",
            [[k for k, _ in items]]).fetchall())
        size, slots_k, slots_v = _perfect_hash(items, hashes)
        name = "lk" + hashlib.sha256(repr(items).encode()).hexdigest()[:12]
        self.params[name + "k"], self.params[name + "v"] = slots_k, slots_v
        slot = f"(CAST(hash({expr}) % {size} AS BIGINT) + 1)"
        return f"(CASE WHEN ${name}k[{slot}] = {expr} THEN ${name}v[{slot}] END)"


def execute(con: duckdb.DuckDBPyConnection, sql: str,
            params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Run ``sql`` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    return con.execute(sql, used) if used else con.execute(sql)


# --- the pipeline -------------------------------------------------------------------------------

def _read_csv(plain: Path, encoding: str, skip: int = 0) -> str:
    # NUL as the delimiter: a text line never holds one, and a line that does (a preallocated
    # file still being filled) fails loudly with its line number.
    # compression='none': ``prepare`` decompressed it already (DuckDB would go by the name).
    return (f"read_csv({file_sql(plain)}, compression='none', columns={{'l': 'VARCHAR'}}, "
            "delim=chr(0), quote='', "
            f"escape='', header=false, auto_detect=false, encoding={literal(encoding)}, "
            f"buffer_size={_BUFFER}, skip={int(skip)})")


def lines_sql(plain: Path, encoding: str) -> str:
    """Every line of ``plain`` with its 1-based number (blank lines give NULL)."""
    return f"(SELECT row_number() OVER () AS line, l FROM {_read_csv(plain, encoding)})"


def _typed_sql(layout: Layout, base: str) -> str:
    """``base`` has ``l`` (and any other columns, kept); the result adds n (the field count)
    and the layout's fields."""
    fields = ", ".join(f"{sql} AS {name}" for name, sql in layout.fields.items())
    return (f"(SELECT * EXCLUDE (f), len(f) AS n, {fields} FROM "
            f"(SELECT *, string_split(l, chr(9)) AS f FROM {base}))")


def _width_bad(layout: Layout) -> str:
    widths = ", ".join(str(w) for w in layout.widths)
    if layout.trailing_tabs:
        return (f"(n NOT IN ({widths}) AND NOT (n > {max(layout.widths)} AND "
                f"len(rtrim(l, chr(9) || chr(13))) - len(replace(rtrim(l, chr(9) || chr(13)), "
                f"chr(9), '')) + 1 IN ({widths})))")
    return f"n NOT IN ({widths})"


def check_unchanged(path: Path, before: FileState, file: str) -> None:
    """Refuse a file that changed while it was read (a download still being written)."""
    if FileState.of(path) != before:
        raise IngestError.single(
            "the file changed while it was being read (still being written?); nothing was "
            "ingested; retry when it is complete", file=file)


EVENT_FIELDS = ("date", "actor", "target", "kind", "attrs", "summary")


def store_columns_sql(layout: Layout, loc: str) -> str:
    """The store's columns of a layout's checked rows (columns ``EVENT_FIELDS`` and ``key``),
    with ``loc`` (SQL) as the row's place in its input."""
    return (f'{loc} AS _loc, date, CAST(NULL AS DATE) AS "end", actor, target, kind, attrs, '
            f"{literal(layout.source)} AS source, key AS source_ref, "
            f"{literal(layout.confidence)} AS confidence, summary, "
            "CAST(NULL AS VARCHAR) AS match_key")


def event_columns_sql(sel: dict[str, str], good: str) -> str:
    """The event's fields of a checked row, NULL for a rejected one (``good`` false)."""
    return ",\n".join(f"CASE WHEN {good} THEN {sel[c]} END AS {c}" for c in EVENT_FIELDS)


def _err_sql(layout: Layout) -> str:
    cases = ["WHEN l IS NULL THEN 'blank'", f"WHEN {_width_bad(layout)} THEN 'columns'"]
    cases += [f"WHEN {r.failing} THEN {literal(r.field)}" for r in layout.rules]
    cases += [f"WHEN {sql} THEN {literal('skip:' + reason)}" for reason, sql in layout.skip]
    return "CASE " + " ".join(cases) + " END"


def _problems_sql(layout: Layout) -> str:
    """A list of every problem of a row (only evaluated for rejected rows)."""
    expected = " or ".join(str(w) for w in layout.widths)
    items = ", ".join(
        f"CASE WHEN {r.failing} THEN {{'field': {literal(r.field)}, 'reason': {literal(r.reason)}, "
        f"'value': CAST({r.value} AS VARCHAR)}} END" for r in layout.rules)
    return (f"CASE WHEN {_width_bad(layout)} THEN [{{'field': 'columns', "
            f"'reason': 'has ' || n || ' tab-separated fields, expected {expected} "
            f"({layout.label})', 'value': CAST(n AS VARCHAR)}}] "
            f"ELSE list_filter([{items}], lambda x: x IS NOT NULL) END")


def read_guarded(path: Path, con: duckdb.DuckDBPyConnection,
                 make_layout: Callable[[Path], Layout], *, encoding: str = "utf-8",
                 rejects: str | Path | bool | None = None,
                 allow_unterminated: bool = False) -> tuple[Batch, Summary]:
    """Guard ``path`` (``prepare``), build its layout from the plain file, and read it; the
    temporary decompressed copy is removed whatever happens."""
    path = Path(path)
    plain, workdir, before = prepare(path, allow_unterminated=allow_unterminated)
    try:
        spec = make_layout(plain)
    except BaseException:
        discard(workdir)
        raise
    return read_coded(path, con, spec, plain=plain, workdir=workdir, before=before,
                      encoding=encoding, rejects=rejects)


def read_coded(path: Path, con: duckdb.DuckDBPyConnection, layout: Layout, *,
               plain: Path, workdir: Path | None, before: FileState, encoding: str = "utf-8",
               rejects: str | Path | bool | None = None) -> tuple[Batch, Summary]:
    """Run the check pass, write rejects, and return the batch of good rows and the summary.

    One scan parses, checks and normalises every line into a temporary table, so what the
    store ingests is exactly what was checked. ``rejects``: where to write rejected lines (a
    file or a directory); default next to the input as ``NAME.rejects.jsonl``; False: none.
    """
    file = str(path)
    tag = uuid.uuid4().hex[:12]
    table, rows = f"_coded_table_{tag}", f"_coded_rows_{tag}"
    first = layout.first_data_line
    # Lines are numbered by the table's rowid: with insertion order preserved, a parallel scan
    # stores them in file order (blank lines included, as NULL). row_number() would do the
    # same but serialises the whole pass onto one thread.
    ordered = con.execute(
        "SELECT current_setting('preserve_insertion_order')").fetchall()[0][0] in (True, "true")
    source = f"(SELECT l FROM {_read_csv(plain, encoding, skip=first - 1)})" if ordered else \
        f"(SELECT line, l FROM {lines_sql(plain, encoding)} WHERE line >= {first})"
    typed = _typed_sql(layout, source)
    sel = layout.select
    good = "e IS NULL"
    try:
        try:
            execute(con, f"""CREATE TEMP TABLE {table} AS
                SELECT {'' if ordered else 'line, '}e AS err,
                       CASE WHEN e IS NULL THEN CAST({layout.key} AS VARCHAR) END AS key,
                       CASE WHEN e IS NOT NULL AND NOT starts_with(e, 'skip:') AND e <> 'blank'
                            THEN l END AS text,
                       {event_columns_sql(sel, good)}
                FROM (SELECT *, {_err_sql(layout)} AS e FROM {typed})""", layout.params)
            line = f"rowid + {first} AS line, " if ordered else ""
            con.execute(f"CREATE TEMP VIEW {rows} AS SELECT {line}* FROM {table}")
        except duckdb.Error as exc:
            raise read_error(file, exc) from None
        check_unchanged(path, before, file)
        table_line = f"{table}.rowid + {first}" if ordered else f"{table}.line"
        duplicates = _mark_duplicates(con, rows, table, table_line, lines_sql(plain, encoding))
        counts = dict(con.execute(f"SELECT coalesce(err, ''), count(*) FROM {rows} "
                                  "GROUP BY ALL").fetchall())
        rejects_path = _write_rejects(con, path, layout, rows, rejects, any(
            e and e != "blank" and not e.startswith("skip:") for e in counts), duplicates)
    except BaseException:
        _drop(con, rows, table)
        raise
    finally:
        discard(workdir)  # the rows are in DuckDB now; the decompressed copy can go
    lines = sum(counts.values())
    blank = counts.pop("blank", 0)
    accepted = counts.pop("", 0)
    rejected_by = {e: c for e, c in counts.items() if not e.startswith("skip:")}
    skipped_by = {e.removeprefix("skip:"): c for e, c in counts.items() if e.startswith("skip:")}
    summary = Summary(file=file, format=layout.format, lines=lines, accepted=accepted,
                      rejected=sum(rejected_by.values()), skipped=sum(skipped_by.values()),
                      blank=blank, rejected_by=rejected_by, skipped_by=skipped_by,
                      rejects_file=str(rejects_path) if rejects_path else None)
    relation = con.sql(f"SELECT {store_columns_sql(layout, 'line')} FROM {rows} "
                       "WHERE err IS NULL")
    batch = Batch(file=file, format=layout.format, data=relation, loc="line",
                  notes=(summary.describe(),), in_place=True)
    weakref.finalize(batch, _drop, con, rows, table)
    log.info("%s", summary.describe())  # the CLI prints the batch notes; logs stay quiet
    return batch, summary


def _mark_duplicates(con: duckdb.DuckDBPyConnection, rows: str, table: str, table_line: str,
                     base: str) -> bool:
    """Reject repeats of a key seen earlier in the file (their text is read back from the
    file: duplicates are rare, so the extra scan happens only when there are some)."""
    found = con.execute(f"""SELECT count(*) FROM (SELECT key FROM {rows} WHERE err IS NULL
                            GROUP BY key HAVING count(*) > 1)""").fetchall()[0][0]
    if not found:
        return False
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _coded_dups AS
        SELECT d.line, b.l AS text FROM (
            SELECT line FROM (SELECT line, min(line) OVER (PARTITION BY key) AS first
                              FROM {rows} WHERE err IS NULL) WHERE line > first) d
        JOIN {base} b ON b.line = d.line""")
    con.execute(f"""UPDATE {table} SET err = 'duplicate', text = d.text FROM _coded_dups d
                    WHERE {table_line} = d.line""")
    con.execute("DROP TABLE _coded_dups")
    return True


def _write_rejects(con: duckdb.DuckDBPyConnection, path: Path, layout: Layout, keys: str,
                   rejects: str | Path | bool | None, rejected: bool,
                   duplicates: bool) -> Path | None:
    """Write the rejected lines (atomically) and return the file, or None when there are none
    (a stale rejects file from an earlier read of the same input is removed)."""
    if rejects is False:
        return None
    target = Path(rejects) if isinstance(rejects, str | Path) else \
        path.with_name(path.name + REJECTS_SUFFIX)
    if target.is_dir():
        target = target / (path.name + REJECTS_SUFFIX)
    if not rejected:
        if rejects in (None, True) and target.exists():
            target.unlink()
        return None
    typed = _typed_sql(layout, f"(SELECT line, text AS l FROM {keys} WHERE text IS NOT NULL "
                               "AND err <> 'duplicate')")
    query = f"""SELECT {literal(str(path))} AS file, line, {_problems_sql(layout)} AS problems,
                      l AS text FROM {typed}"""
    if duplicates:
        # The first line of each repeated key, looked up for the repeats only.
        first = (f"(SELECT key, min(line) AS first FROM {keys} WHERE err IS NULL AND key IN "
                 f"(SELECT key FROM {keys} WHERE err = 'duplicate') GROUP BY key)")
        query += f"""
        UNION ALL
        SELECT {literal(str(path))}, k.line,
               [{{'field': 'key', 'reason': 'duplicate: same {layout.label} key as line ' ||
                  f.first, 'value': CAST(k.key AS VARCHAR)}}], k.text
        FROM {keys} k JOIN {first} f ON f.key = k.key WHERE k.err = 'duplicate'"""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    table = f"_coded_rejects_{uuid.uuid4().hex[:12]}"
    try:
        # COPY takes no parameters: the rejects (few) go through a temp table first.
        execute(con, f"CREATE TEMP TABLE {table} AS {query}", layout.params)
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY line) TO {literal(tmp)} "
                    "(FORMAT json)")
        os.replace(tmp, target)
    except (OSError, duckdb.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise IngestError.single(f"cannot write the rejects file ({exc}); nothing was ingested",
                                 file=str(target)) from None
    finally:
        _drop(con, None, table)
    return target


def _drop(con: duckdb.DuckDBPyConnection, view: str | None, table: str) -> None:
    with contextlib.suppress(duckdb.Error):  # a closed connection took its temp tables along
        if view:
            con.execute(f"DROP VIEW IF EXISTS {view}")
        con.execute(f"DROP TABLE IF EXISTS {table}")


def read_error(file: str, exc: duckdb.Error) -> IngestError:
    text = str(exc)
    first = text.split("\n", 1)[0]
    line = None
    match = re.search(r"[Ll]ine:? (\d+)", text)
    if match:
        line = int(match.group(1))
    if "Expected Number of Columns: 1" in text:
        message = ("a NUL byte in the line: the file is corrupt or still being written; "
                   "nothing was ingested")
    elif "unicode" in text.lower() or "encoding" in text.lower():
        message = "not valid UTF-8 text; pass encoding='latin-1' (--encoding latin-1)"
    else:
        message = f"cannot read the file ({first}); nothing was ingested"
    return IngestError(f"{file}: {message}", [Problem(message, file=file, line=line)])


def today() -> dt.date:
    """The latest date a coded row may carry (tomorrow, for time zones ahead of UTC)."""
    return dt.date.today() + dt.timedelta(days=1)


@dataclass(frozen=True)
class FileIngest:
    """One file ingested: what the store did and, for coded data, the read summary."""

    file: str
    format: str
    result: IngestResult
    summary: Summary | None

    def describe(self) -> str:
        r = self.result
        text = (f"{r.file}: {r.rows:,} rows, {r.added:,} events added, {r.unchanged:,} already "
                "present")
        if self.summary is not None and (self.summary.rejected or self.summary.skipped):
            text += (f"; {self.summary.rejected:,} rejected, {self.summary.skipped:,} skipped"
                     + (f" (rejects: {self.summary.rejects_file})"
                        if self.summary.rejects_file else ""))
        return text

    def to_json_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "result": dict(self.result.__dict__),
                "summary": self.summary.to_json_dict() if self.summary else None}


def ingest(store: Store, path: str | Path, fmt: str | None = None, *,
           progress: Progress | None = None, **options: Any) -> FileIngest:
    """Ingest one file with any adapter (detected when ``fmt`` is None), in one transaction,
    returning the store's result and, for GDELT/ICEWS/POLECAT, the summary with rejects."""
    from detente.events import ingest as ingest_lib

    path = Path(path)
    ingest_lib.refuse_the_store(store, path)
    module = ingest_lib.adapter_for(path, fmt)  # also: the file exists, is a file, not empty
    fmt = module.FORMAT
    if hasattr(module, "ingest_with_summary"):  # an adapter that may ingest as it reads
        result, summary = module.ingest_with_summary(store, path, progress=progress, **options)
        return FileIngest(file=str(path), format=fmt, result=result, summary=summary)
    if hasattr(module, "read_with_summary"):
        batch, summary = module.read_with_summary(path, store.con, **options)
    else:
        batch, summary = ingest_lib.read(path, store.con, fmt, **options), None
    result = ingest_lib.ingest_batch(store, batch, progress=progress)
    return FileIngest(file=str(path), format=fmt, result=result, summary=summary)
