"""Coded data read by column name: DuckDB's native CSV reader and its rejects tables, Parquet
files and data frames.

A layout over named columns (``coded.Layout.inputs``: column -> ``Cast`` or None for text) is
read from three kinds of source:

* **Text files** (GDELT's raw exports, headered CSV written by BigQuery or gdeltPyR) are parsed
  by DuckDB's own CSV reader with the layout's column types. A line with the wrong number of
  fields, or a value that does not cast (an unknown CAMEO code is no value of the code ENUM),
  lands in DuckDB's rejects table with its line number and text, in the same scan. The reader
  skips blank lines without counting them, so its row *i* is line ``first + i`` plus the lines
  skipped before it: those it rejected are known; blank lines are looked for (one more scan of
  the file, only for its line breaks) when a row it kept must be named by line (a rule broken,
  a key repeated).
* **Parquet files and frames** give typed columns: each is cast to the layout's type in SQL (a
  value that does not cast is rejected for the same reason), and rows are named by number.

One scan checks every row against the layout's rules and writes the normalised good rows to a
temporary table, which the store ingests where it is (``Batch.in_place``): no second copy.
Rejected rows go to the JSON-lines rejects file with every problem: a rejected line's fields
are read again from its text (few lines), so DuckDB's rejects and the layout's rules are
reported alike.

Ingested into a store, a GDELT text file first tries the one-statement path (``stream``: the
store's INSERT parses and checks it, with the same outcome) and comes here when that path
cannot name something (a line the reader refuses, a repeated key, a file not in key order).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError, Problem
from detente.events.ingest import Batch, lines
from detente.events.ingest.coded import (
    REJECTS_SUFFIX,
    Cast,
    FileState,
    Layout,
    Summary,
    check_unchanged,
    discard,
    event_columns_sql,
    execute,
    log,
    read_error,
    store_columns_sql,
)
from detente.events.store import file_sql
from detente.sql import identifier, literal

_BUFFER = 1 << 25  # DuckDB CSV buffer: large buffers parse long files much faster
_WIDTH_ERRORS = ("MISSING COLUMNS", "TOO MANY COLUMNS")
_ENCODING_ERRORS = ("INVALID ENCODING", "INVALID UNICODE")


def _raw(name: str) -> str:
    return identifier("_raw_" + name)


@dataclass(frozen=True)
class Text:
    """How a text file is read: delimiter, quote character ('' for none), header line."""

    delimiter: str
    quote: str
    header: bool
    encoding: str = "utf-8"

    def options(self) -> str:
        return (f"delim={literal(self.delimiter)}, quote={literal(self.quote)}, "
                f"escape={literal(self.quote)}, "
                f"header={'true' if self.header else 'false'}, auto_detect=false, "
                f"encoding={literal(self.encoding)}")


def _type_of(layout: Layout, name: str) -> str:
    cast = layout.inputs.get(name)
    return cast.type if cast is not None else "VARCHAR"


def _columns(names: Sequence[str], layout: Layout | None) -> str:
    return "{" + ", ".join(f"{literal(n)}: {literal(_type_of(layout, n) if layout else 'VARCHAR')}"
                           for n in names) + "}"


def _reader(plain: Path, names: Sequence[str], layout: Layout | None, text: Text,
            rejects: tuple[str, str] | None = None) -> str:
    stored = (f", store_rejects=true, rejects_table={literal(rejects[0])}, "
              f"rejects_scan={literal(rejects[1])}") if rejects else ""
    # compression='none': the guard decompressed it already (DuckDB would go by the name).
    return (f"read_csv({file_sql(plain)}, compression='none', columns={_columns(names, layout)}, "
            f"{text.options()}, buffer_size={_BUFFER}{stored})")


def text_source(plain: Path, names: Sequence[str], layout: Layout, text: Text,
                rejects: tuple[str, str] | None) -> str:
    """The reader of a text file with every input column of the layout (NULL for those the
    file lacks), its rejects kept in the tables ``rejects`` (errors, scans), or (None) an
    error at the first line it cannot read."""
    source = _reader(plain, names, layout, text, rejects)
    absent = ", ".join(f"CAST(NULL AS {_type_of(layout, n)}) AS {identifier(n)}"
                       for n in layout.inputs if n not in names)
    # The back files have no SOURCEURL; a headered file may lack more.
    return f"(SELECT *, {absent} FROM {source})" if absent else source


# --- SQL over the layout ------------------------------------------------------------------------

def typed_sql(layout: Layout, source: str, present: dict[str, str], keep: Sequence[str] = ()
              ) -> str:
    """``source`` (columns ``present``: name -> DuckDB type, and ``keep``) with every input
    column cast to the layout's type (NULL when the source lacks it), and its text as
    ``_raw_<name>`` for the rejects of a value that does not cast."""
    items = [identifier(k) for k in keep]
    for name, cast in layout.inputs.items():
        target = cast.type if cast is not None else "VARCHAR"
        if name not in present:
            items += [f"CAST(NULL AS {target}) AS {identifier(name)}", f"CAST(NULL AS VARCHAR) AS "
                      f"{_raw(name)}"]
            continue
        text = f"nullif(trim(CAST({identifier(name)} AS VARCHAR)), '')"
        value = text if target == "VARCHAR" else f"TRY_CAST({text} AS {target})"
        if present[name] == target:
            value = identifier(name) if target != "VARCHAR" else f"nullif({identifier(name)}, '')"
        items += [f"{value} AS {identifier(name)}", f"{text} AS {_raw(name)}"]
    return f"(SELECT {', '.join(items)} FROM {source})"


def _cast_failing(name: str) -> str:
    return f"({_raw(name)} IS NOT NULL AND {identifier(name)} IS NULL)"


def _casts(layout: Layout, casts: bool) -> list[tuple[str, Cast]]:
    return [(n, c) for n, c in layout.inputs.items() if c is not None] if casts else []


def fields_sql(layout: Layout, source: str) -> str:
    fields = ", ".join(f"{sql} AS {name}" for name, sql in layout.fields.items())
    return f"(SELECT *, {fields} FROM {source})"


def err_sql(layout: Layout, casts: bool) -> str:
    """The first failing check of a row (``skip:<reason>`` for a skipped row), or NULL."""
    cases = [f"WHEN {_cast_failing(n)} THEN {literal(n)}" for n, _ in _casts(layout, casts)]
    cases += [f"WHEN {r.failing} THEN {literal(r.field)}" for r in layout.rules]
    cases += [f"WHEN {sql} THEN {literal('skip:' + reason)}" for reason, sql in layout.skip]
    return "CASE " + " ".join(cases) + " END"


def verdict_sql(layout: Layout, casts: bool) -> str:
    """``err_sql``, with 'nul' first for a NUL byte in a text field (a file still being
    filled, refused whole)."""
    nul = [f"contains({identifier(n)}, chr(0))" for n, c in layout.inputs.items() if c is None]
    err = err_sql(layout, casts)
    return f"CASE WHEN {' OR '.join(nul)} THEN 'nul' ELSE {err} END" if nul else err


def problems_sql(layout: Layout, casts: bool) -> str:
    """Every problem of a row, as a list of {field, reason, value}: a value that does not cast,
    then each broken rule (not repeating a field whose value did not cast)."""
    failed = {n: _cast_failing(n) for n, _ in _casts(layout, casts)}
    items = [f"CASE WHEN {failed[n]} THEN {{'field': {literal(n)}, 'reason': {literal(c.reason)}, "
             f"'value': {_raw(n)}}} END" for n, c in _casts(layout, casts)]
    for r in layout.rules:
        test = r.failing if r.field not in failed else f"{r.failing} AND NOT {failed[r.field]}"
        items.append(f"CASE WHEN {test} THEN {{'field': {literal(r.field)}, 'reason': "
                     f"{literal(r.reason)}, 'value': CAST({r.value} AS VARCHAR)}} END")
    return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"


def _input_names(layout: Layout, casts: bool) -> list[str]:
    """A rejected row's inputs (with their text, ``_raw_<name>``, when cast in SQL)."""
    return [*layout.inputs, *(f"_raw_{n}" for n in layout.inputs if casts)]


def _inputs_list(layout: Layout, casts: bool) -> str:
    """A rejected row's inputs as a list of text (``_inputs`` rebuilds their struct). A NULL
    list costs a good row its offsets only; a struct of the inputs stored every field's slot
    for every row (half the check table, which spills beyond the memory limit)."""
    return "[" + ", ".join(f"CAST({identifier(n)} AS VARCHAR)"
                           for n in _input_names(layout, casts)) + "]"


def _inputs(layout: Layout, casts: bool) -> str:
    """SQL for the struct of a rejected row's inputs (typed as read) from its list ``input``:
    text casts back exactly (a DOUBLE's text is its shortest exact form)."""
    names = _input_names(layout, casts)
    types = ["VARCHAR" if n.startswith("_raw_") else _type_of(layout, n) for n in names]
    items = [f"{literal(n)}: CAST(input[{i}] AS {t})"
             for i, (n, t) in enumerate(zip(names, types, strict=True), start=1)]
    return "{" + ", ".join(items) + "}"


# --- the check pass -----------------------------------------------------------------------------

def _check(con: duckdb.DuckDBPyConnection, layout: Layout, table: str, source: str, *,
           casts: bool, position: str | None) -> None:
    """Write ``table``: per row its first problem (``err``), key, inputs (rejected rows) and
    normalised columns (good rows); ``position`` (SQL) is kept as ``pos`` when given."""
    sel, good, err = layout.select, "e IS NULL", verdict_sql(layout, casts)
    execute(con, f"""CREATE TEMP TABLE {table} AS
        SELECT {f'{position} AS pos, ' if position else ''}e AS err,
               CASE WHEN {good} THEN CAST({layout.key} AS VARCHAR) END AS key,
               CASE WHEN e IS NOT NULL AND NOT starts_with(e, 'skip:') THEN
                    {_inputs_list(layout, casts)} END AS input,
               {event_columns_sql(sel, good)}
        FROM (SELECT *, {err} AS e FROM {fields_sql(layout, source)})""", layout.params)


@dataclass
class Read:
    """One read in progress: its temp objects, what the reader rejected, and positions."""

    file: str
    con: duckdb.DuckDBPyConnection
    layout: Layout
    table: str
    rows: str             # view of the table with ``pos``
    loc: str              # "line" or "row"
    blank: int = 0
    located: bool = False

    def drop(self) -> None:
        with contextlib.suppress(duckdb.Error):  # a closed connection took its temp tables
            self.con.execute(f"DROP VIEW IF EXISTS {self.rows}")
            self.con.execute(f"DROP TABLE IF EXISTS {self.table}")


def _repeated(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether a key occurs twice among the good rows (64-bit hashes count faster than the
    keys; a repeated hash is checked on the keys themselves)."""
    if not con.execute(f"SELECT count(key) - count(DISTINCT hash(key)) FILTER (key IS NOT NULL) "
                       f"FROM {table}"
                       ).fetchall()[0][0]:
        return False
    return bool(con.execute(f"SELECT count(key) - count(DISTINCT key) FROM {table}"
                            ).fetchall()[0][0])


def _mark_duplicates(read: Read, repeated: bool) -> dict[int, int]:
    """Reject repeats of a key seen earlier in the input (``repeated``: ``_repeated`` found
    some): {position: first position}."""
    con, table = read.con, read.table
    if not repeated:
        return {}
    repeats = con.execute(f"""SELECT rid, pos, first FROM (
        SELECT rid, pos, min(pos) OVER (PARTITION BY key) AS first
        FROM {read.rows} WHERE err IS NULL) WHERE pos > first""").fetchall()
    con.execute(f"UPDATE {table} SET err = 'duplicate' WHERE list_contains(?, rowid)",
                [[r[0] for r in repeats]])
    return {int(pos): int(first) for _, pos, first in repeats}


def _refuse(read: Read, err: str, message: str) -> None:
    found = read.con.execute(f"SELECT min(pos) FROM {read.rows} WHERE err = ?",
                             [err]).fetchall()[0][0]
    if found is not None:
        problem = (Problem(message, file=read.file, line=int(found)) if read.loc == "line"
                   else Problem(message, file=read.file, row=int(found)))
        raise IngestError(f"{read.file}: {message}", [problem])


_NUL = "a NUL byte in the line: the file is corrupt or still being written; nothing was ingested"
_UTF8 = "not valid UTF-8 text; pass encoding='latin-1' (--encoding latin-1)"


# --- rejects ------------------------------------------------------------------------------------

def _problem_rows(con: duckdb.DuckDBPyConnection, layout: Layout, source: str, *,
                  casts: bool, typed: bool) -> list[tuple[int, list[dict]]]:
    """(pos, problems) of every row of ``source`` (``pos`` and the input columns; ``typed``:
    already cast, with ``_raw_<name>`` when ``casts``; else text, cast here)."""
    if not typed:
        present = {n: "VARCHAR" for n in layout.inputs}
        source = typed_sql(layout, source, present, keep=("pos",))
    return execute(con, f"SELECT pos, {problems_sql(layout, casts)} FROM "
                   f"{fields_sql(layout, source)} ORDER BY pos", layout.params).fetchall()


def text_problems(con: duckdb.DuckDBPyConnection, layout: Layout, names: Sequence[str],
                  text: Text, lines: dict[int, str]) -> dict[int, list[dict]]:
    """Every problem of some lines (line -> text; those the reader rejected for a value, or
    that the one-statement ingest set aside), read again as text."""
    if not lines:
        return {}
    order = sorted(lines)
    folder = Path(tempfile.mkdtemp(prefix="detente-rejects-"))
    try:
        path = folder / "lines.csv"
        header = text.delimiter.join(names) + "\n" if text.header else ""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(header + "".join(lines[n] + "\n" for n in order))
        source = (f"(SELECT row_number() OVER () AS _n, * FROM "
                  f"{_reader(path, names, None, Text(text.delimiter, text.quote, text.header))})")
        numbered = f"(SELECT ({literal(json.dumps(order))}::JSON->>(_n - 1)::INTEGER)::BIGINT AS " \
                   f"pos, * FROM {source})"
        return dict(_problem_rows(con, layout, numbered, casts=True, typed=False))
    finally:
        with contextlib.suppress(OSError):
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()


def _width_problem(layout: Layout, text: Text, line: str, message: str) -> dict[str, str]:
    found = message.rsplit("Found: ", 1)[-1].strip() if "Found: " in message else None
    if text.quote == "" or found is None:
        found = str(line.count(text.delimiter) + 1)
    expected = " or ".join(str(w) for w in layout.widths) or "the header's"
    sep = "tab-separated" if text.delimiter == "\t" else f"{text.delimiter!r}-separated"
    return {"field": "columns", "reason": f"has {found} {sep} fields, expected {expected} "
            f"({layout.label})", "value": found}


def _write_records(target: Path, records: list[dict[str, Any]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise IngestError.single(f"cannot write the rejects file ({exc}); nothing was ingested",
                                 file=str(target)) from None


def rejects_target(label: str, rejects: str | Path | bool | None,
                   default_dir: Path | None) -> Path | None:
    """Where a read's rejects go: ``rejects`` (a file or folder), by default next to the input
    (``default_dir``; None for a frame: no file unless asked), or nowhere (False)."""
    if rejects is False or (rejects in (None, True) and default_dir is None):
        return None
    name = Path(label).name + REJECTS_SUFFIX
    target = (Path(rejects) if isinstance(rejects, str | Path)
              else Path(str(default_dir)) / name)
    return target / name if target.is_dir() else target


# --- reads --------------------------------------------------------------------------------------

def _batch(read: Read, summary: Summary) -> Batch:
    layout = read.layout
    relation = read.con.sql(f"SELECT {store_columns_sql(layout, 'pos')} FROM {read.rows} "
                            "WHERE err IS NULL")
    # The key is the text of an integer (GLOBALEVENTID read as BIGINT): as the store trims
    # it, so repeats are exactly those ``_mark_duplicates`` rejected.
    batch = Batch(file=read.file, format=layout.format, data=relation, loc=read.loc,
                  notes=(summary.describe(),), in_place=True, unique_keys=True)
    weakref.finalize(batch, read.drop)
    log.info("%s", summary.describe())  # the CLI prints the batch notes; logs stay quiet
    return batch


def _summary(read: Read, extra: Counter, target: Path | None, written: bool) -> Summary:
    counts = Counter(dict(read.con.execute(
        f"SELECT coalesce(err, ''), count(*) FROM {read.table} GROUP BY ALL").fetchall()))
    return summary_of(read, counts + extra, target, written)


def summary_of(read: Read, counts: Counter, target: Path | None, written: bool) -> Summary:
    """The summary of a read from its rows' count by first problem ('' for a good row,
    ``skip:<reason>`` for a skipped one) and where its rejects went."""
    counts = Counter(counts)
    accepted = counts.pop("", 0)
    rejected_by = {e: c for e, c in counts.items() if not e.startswith("skip:")}
    skipped_by = {e.removeprefix("skip:"): c for e, c in counts.items() if e.startswith("skip:")}
    lines = accepted + sum(rejected_by.values()) + sum(skipped_by.values()) + read.blank
    return Summary(file=read.file, format=read.layout.format, lines=lines, accepted=accepted,
                   rejected=sum(rejected_by.values()), skipped=sum(skipped_by.values()),
                   blank=read.blank, rejected_by=rejected_by, skipped_by=skipped_by,
                   rejects_file=str(target) if written else None,
                   unit="data lines" if read.loc == "line" else "rows")


def finish_rejects(records: list[dict[str, Any]], target: Path | None,
                   default: bool) -> bool:
    """Write the records (sorted) to ``target``; none: remove a stale default rejects file."""
    if target is None:
        return False
    if not records:
        if default and target.exists():
            target.unlink()
        return False
    records.sort(key=lambda r: r.get("line", r.get("row", 0)))
    _write_records(target, records)
    return True


def _kept_rejects(read: Read, casts: bool, repeats: dict[int, int],
                  texts: dict[int, str] | None) -> list[dict[str, Any]]:
    """Records of the rows the check pass rejected (rules, values that did not cast, repeated
    keys): with the line's text (``texts``), or the row's values."""
    con, layout, file, loc = read.con, read.layout, read.file, read.loc
    rejected = (f"FROM {read.rows} WHERE err IS NOT NULL AND err <> 'duplicate' "
                "AND NOT starts_with(err, 'skip:')")
    inputs = _inputs(layout, casts)
    problems = _problem_rows(con, layout, f"(SELECT pos, unnest({inputs}) {rejected})",
                             casts=casts, typed=True)
    values = dict(con.execute(f"SELECT pos, CAST(to_json({inputs}) AS VARCHAR) {rejected}"
                              ).fetchall()) if texts is None else {}
    records = [_record(file, loc, pos, found, texts, values.get(pos))
               for pos, found in problems]
    keys = dict(con.execute(f"SELECT pos, key FROM {read.rows} WHERE err = 'duplicate'"
                            ).fetchall()) if repeats else {}
    for pos, first in repeats.items():
        found = [{"field": "key", "reason": f"duplicate: same {layout.label} key as {loc} "
                  f"{first}", "value": keys.get(pos)}]
        records.append(_record(file, loc, pos, found, texts, None))
    return records


def _record(file: str, loc: str, pos: int, problems: list[dict], texts: dict[int, str] | None,
            values: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"file": file, loc: int(pos), "problems": problems}
    if texts is not None:
        record["text"] = texts.get(int(pos))
    elif values is not None:  # a row of a frame or Parquet file: its values as given
        record["values"] = {k.removeprefix("_raw_"): v for k, v in json.loads(values).items()
                            if k.startswith("_raw_")}
    return record


def read_text(path: Path, con: duckdb.DuckDBPyConnection, layout: Layout, *, plain: Path,
              workdir: Path | None, before: FileState, text: Text, names: Sequence[str],
              rejects: str | Path | bool | None = None) -> tuple[Batch, Summary]:
    """Read a text file with DuckDB's CSV reader (see the module docstring): the batch of good
    rows and the summary; rejected lines go to ``rejects`` (default: next to the file)."""
    file = str(path)
    tag = uuid.uuid4().hex[:12]
    errors, scans = f"_tab_errors_{tag}", f"_tab_scans_{tag}"
    first = 2 if text.header else 1
    read = Read(file, con, layout, f"_tab_{tag}", f"_tab_rows_{tag}", "line")
    try:
        try:
            source = text_source(plain, names, layout, text, (errors, scans))
            with lines.insertion_order(con):  # rows in file order: row i is a line (docstring)
                _check(con, layout, read.table, source, casts=False, position=None)
        except duckdb.Error as exc:
            raise read_error(file, exc) from None
        check_unchanged(path, before, file)
        reader = _reader_rejects(con, file, errors)
        lines.set_dropped(read, first, reader)
        rejected = con.execute(f"""SELECT count(*) FROM {read.table} WHERE err IS NOT NULL
            AND NOT starts_with(err, 'skip:')""").fetchall()[0][0]
        texts: dict[int, str] = {}
        repeated = _repeated(con, read.table)
        if reader or rejected or repeated:  # lines named: number them exactly
            key_at = list(names).index("GLOBALEVENTID") if "GLOBALEVENTID" in names else 0
            by_count = None if reader else lines.texts_by_count(read, plain, text, first,
                                                                key_at, repeated)
            if by_count is not None:
                texts, read.located = by_count, True
            else:
                texts = lines.locate(read, plain, text, first, key_at, reader, repeated,
                                     buffer=_BUFFER)
        _refuse(read, "nul", _NUL)
        repeats = _mark_duplicates(read, repeated)
        target = rejects_target(file, rejects, path.parent)
        records, extra = _reader_records(con, layout, file, names, text, errors, reader)
        if target is not None:
            records += _kept_rejects(read, False, repeats, texts)
        written = finish_rejects(records, target, rejects in (None, True))
        summary = _summary(read, extra, target, written)
    except BaseException:
        read.drop()
        raise
    finally:
        discard(workdir)  # the rows are in DuckDB now; the decompressed copy can go
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS {errors}")
            con.execute(f"DROP TABLE IF EXISTS {scans}")
    return _batch(read, summary), summary


def _reader_rejects(con: duckdb.DuckDBPyConnection, file: str, errors: str) -> dict[int, str]:
    """Lines DuckDB's reader rejected and their text; a line it could not decode refuses the
    file."""
    bad = con.execute(f"""SELECT min(line) FILTER (WHERE error_type IN {_ENCODING_ERRORS}),
                                 min(line) FILTER (WHERE contains(csv_line, chr(0)))
                          FROM {errors}""").fetchall()[0]
    for line, message in zip(bad, (_UTF8, _NUL), strict=True):
        if line is not None:
            raise IngestError(f"{file}: {message}", [Problem(message, file=file,
                                                             line=int(line))])
    # The reader may prefix a line that follows a blank one with its line break.
    return {int(line): text.lstrip("\r\n") for line, text in con.execute(
        f"SELECT line, any_value(csv_line) FROM {errors} GROUP BY line").fetchall()}


def _reader_records(con: duckdb.DuckDBPyConnection, layout: Layout, file: str,
                    names: Sequence[str], text: Text, errors: str, lines: dict[int, str]
                    ) -> tuple[list[dict[str, Any]], Counter]:
    """Records of the lines DuckDB's reader rejected (``lines``: line -> text), and their
    count by first problem."""
    if not lines:
        return [], Counter()
    rows = {t.rstrip("\r"): (types, messages, columns) for t, types, messages, columns in
            con.execute(f"""SELECT ltrim(any_value(csv_line), chr(13) || chr(10)),
                                   list(error_type), list(error_message), list(column_name)
                            FROM {errors} GROUP BY line""").fetchall()}
    widths = {n for n, t in lines.items()
              if any(e in _WIDTH_ERRORS for e in rows[t.rstrip("\r")][0])}
    again = text_problems(con, layout, names, text,
                           {n: t for n, t in lines.items() if n not in widths})
    records: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for line, line_text in sorted(lines.items()):
        types, messages, columns = rows[line_text.rstrip("\r")]
        if line in widths:
            message = next(m for t, m in zip(types, messages, strict=True)
                           if t in _WIDTH_ERRORS)
            found = [_width_problem(layout, text, line_text, message)]
        else:
            found = again.get(line) or [
                {"field": c or "line", "reason": m, "value": None}
                for c, m in zip(columns, messages, strict=True)]
        counts[found[0]["field"]] += 1
        records.append({"file": file, "line": line, "problems": found, "text": line_text})
    return records, counts


def read_relation(label: str, con: duckdb.DuckDBPyConnection, layout: Layout, source: str,
                  present: dict[str, str], *, rejects: str | Path | bool | None = None,
                  default_dir: Path | None = None) -> tuple[Batch, Summary]:
    """Read ``source`` (a FROM item with ``_pos``, the row number, and the columns ``present``:
    name -> DuckDB type), casting each input to the layout's type: the batch of good rows and
    the summary; rejected rows go to ``rejects`` (by default next to the file, none for a
    frame) with their row number and values."""
    tag = uuid.uuid4().hex[:12]
    read = Read(label, con, layout, f"_tab_{tag}", f"_tab_rows_{tag}", "row")
    try:
        try:
            _check(con, layout, read.table, typed_sql(layout, source, present, keep=("_pos",)),
                   casts=True, position="_pos")
            con.execute(f"CREATE TEMP VIEW {read.rows} AS SELECT rowid AS rid, * "
                        f"FROM {read.table}")
        except duckdb.Error as exc:
            raise read_error(label, exc) from None
        _refuse(read, "nul", _NUL.replace("the line", "the row"))
        repeats = _mark_duplicates(read, _repeated(con, read.table))
        target = rejects_target(label, rejects, default_dir)
        records = _kept_rejects(read, True, repeats, None) if target is not None else []
        written = finish_rejects(records, target, rejects in (None, True))
        summary = _summary(read, Counter(), target, written)
    except BaseException:
        read.drop()
        raise
    return _batch(read, summary), summary
