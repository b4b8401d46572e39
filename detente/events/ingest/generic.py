"""Bring your own events: CSV, JSON (array or lines) or Parquet, with a column mapping.

Reading goes through DuckDB, so a million-row file never passes through Python row by row. A
file written by ``detente events list --format csv|json`` (or ``Store.export_parquet``) maps
itself: its columns already have the event field names, and its ``also`` column restores the
further sources of each event. Any other file needs ``mapping`` (event field -> column, with
``attrs.NAME`` for attributes) and/or ``constants`` (event field -> fixed value).

Columns named like event fields (``date``, ``actor``, ``kind``, ...) map to them by default.

CSV and JSON files are read whole into a temp table before the store sees them, so a file that
cannot be read is refused here, with its line: a CSV file is scanned again with Python's csv
module (encoding, field count, unterminated quote, over-long line), a JSON file with Python's
json module. Each JSON record keeps exactly its own members (read as JSON text, never as a
struct unified across records, which would give every record every key and one number type).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import re
import uuid
import weakref
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError, Problem
from detente.events.event import FORMULA_SQL
from detente.events.ingest import Batch, records
from detente.events.ingest.guard import FileState, open_text_head
from detente.events.ingest.records import diagnose_csv, diagnose_json, frame
from detente.events.kinds import COMMON_ATTRS, KIND_ATTRS
from detente.events.store import file_sql
from detente.sql import identifier, literal

# Each attribute name has one type whatever the kind (checked by the tests).
ATTRIBUTE_TYPES = {name: spec.type for specs in (COMMON_ATTRS, *KIND_ATTRS.values())
                   for name, spec in specs.items()}

FORMAT = "generic"
DESCRIPTION = ("any CSV, JSON, JSON-lines or Parquet file, with --map FIELD=COLUMN and "
               "--set FIELD=VALUE (files exported by detente map themselves)")

FIELDS = ("date", "end", "actor", "target", "kind", "source", "source_ref", "confidence",
          "summary", "match_key")
REQUIRED = ("date", "actor", "kind", "source")
_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet", ".pq")
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
# Python codec name -> DuckDB's name, for the encodings DuckDB's CSV reader has built in.
# (ASCII is UTF-8; DuckDB skips a UTF-8 byte order mark.)
_CSV_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "ascii": "utf-8", "utf-16": "utf-16",
                  "iso8859-1": "latin-1"}
_ROW = "_detente_row"  # a JSON record's own text (its content key)
_SHOWN_COLUMNS = 25  # of a file's columns named in a mapping error


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _compression(path: Path) -> str:
    """DuckDB's ``compression`` for ``path``, by its last suffix. Given, never left to
    DuckDB: it does not recognise ``.gz`` in a name that holds a ``?``."""
    return {".gz": "gzip", ".zst": "zstd"}.get(path.suffix.lower(), "none")


def detect(path: Path) -> bool:
    return _suffix(path) in _SUFFIXES


def _is_parquet(path: Path) -> bool:
    return _suffix(path) in (".parquet", ".pq")


@dataclass(frozen=True)
class _Source:
    """What ``read`` selects from: a FROM item aliased ``t``, its columns and their types, the
    SQL of a row's content key, and the temp table behind it (JSON) to drop afterwards."""

    sql: str
    columns: list[str]
    types: dict[str, str]
    content_key: str
    table: str | None = None
    delimiter: str | None = None


def _codec(file: str, encoding: str) -> str:
    """The Python codec name of ``encoding``, or a located error for an unknown one."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise IngestError.single("unknown encoding; e.g. utf-8, utf-16 or latin-1", file=file,
                                 field="encoding", value=encoding) from None


def _check_date_format(con: duckdb.DuckDBPyConnection, file: str, date_format: str) -> None:
    try:
        con.execute(f"SELECT try_strptime('2000-01-01', {literal(date_format)})").fetchall()
    except duckdb.Error as exc:
        detail = str(exc).split("\n", 1)[0].split(": ", 1)[-1]
        raise IngestError.single(f"not a valid strptime format ({detail})", file=file,
                                 field="date_format", value=date_format) from None


def _open_text(path: Path, codec: str):
    codec = "utf-8-sig" if codec == "utf-8" else codec
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=codec, newline="")
    return open(path, encoding=codec, newline="")


def _first_line(path: Path, con: duckdb.DuckDBPyConnection, codec: str) -> str:
    if path.suffix.lower() == ".zst":  # Python has no zstd: DuckDB reads the line
        rows = con.execute(
            f"SELECT * FROM read_csv({file_sql(path)}, compression={literal(_compression(path))}, "
            f"header=false, auto_detect=false, "
            f"columns={{'l': 'VARCHAR'}}, delim=chr(31), quote='', escape='', "
            f"encoding={literal(_CSV_ENCODINGS[codec])}, strict_mode=false, "
            f"max_line_size={records.MAX_LINE_BYTES}) LIMIT 1").fetchall()
        return rows[0][0].lstrip("\ufeff") if rows and rows[0][0] else ""
    with _open_text(path, codec) as handle:
        return handle.readline()


def _csv_source(path: Path, con: duckdb.DuckDBPyConnection, encoding: str, codec: str,
                delimiter: str | None) -> _Source:
    """The CSV file's columns from its first line as Python's csv module reads it, so that
    DuckDB reads exactly that header (its sniffer may take a longer row further down for the
    header and drop the rows above it)."""
    file = str(path)
    if codec not in _CSV_ENCODINGS:
        raise IngestError.single(
            f"CSV files are read as utf-8, utf-16 or latin-1; convert the file first (e.g. "
            f"iconv -f {encoding} -t utf-8)", file=file, field="encoding", value=encoding)
    try:
        first = _first_line(path, con, codec).rstrip("\r\n")
    except UnicodeError as exc:
        problems = diagnose_csv(path, codec, delimiter or ",") \
            if isinstance(exc, UnicodeDecodeError) else []
        raise IngestError(f"{file}: cannot read the file; nothing was ingested", problems or [
            Problem(f"not {encoding} text ({exc}); pass the file's encoding with --encoding",
                    file=file, line=1, field="encoding", value=encoding)]) from None
    except (OSError, EOFError, zlib.error, duckdb.Error) as exc:
        raise IngestError.single(f"cannot read the file ({exc})", file=file) from None
    if not first.strip():
        raise IngestError.single("the first line is empty: expected a header with the column "
                                 "names", file=file, line=1)
    delim = delimiter or ("\t" if _suffix(path) == ".tsv" else _sniff_delimiter(first))
    header = next(csv.reader([first], delimiter=delim))
    names = _column_names(header)
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    sql = (f"read_csv({file_sql(path)}, compression={literal(_compression(path))}, header=true, "
           f"auto_detect=false, columns={columns}, "
           f"delim={literal(delim)}, quote='\"', escape='\"', "
           f"encoding={literal(_CSV_ENCODINGS[codec])}, "
           f"strict_mode=true, max_line_size={records.MAX_LINE_BYTES}) t")
    return _Source(sql, names, dict.fromkeys(names, "VARCHAR"),
                   "'md5:' || md5(CAST(to_json(t) AS VARCHAR))", delimiter=delim)


def _column_names(header: list[str]) -> list[str]:
    """Header cells as DuckDB's sniffer names them: trimmed, ``columnN`` for an empty one,
    ``NAME_1``... for repeats."""
    names: list[str] = []
    for i, cell in enumerate(header):
        name = cell.strip() or f"column{i}"
        base, n = name, 0
        while name.lower() in (m.lower() for m in names):
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def _sniff_delimiter(head: str) -> str:
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _json_source(path: Path, con: duckdb.DuckDBPyConnection, encoding: str, codec: str,
                 mapping: Mapping[str, str]) -> tuple[_Source, int]:
    """The records of a JSON file (an array of objects, or one object per line) in a temp
    table, each as its own JSON text, with the union of their keys as columns; and how many
    there are."""
    file = str(path)
    if _CSV_ENCODINGS.get(codec) != "utf-8":
        raise IngestError.single("JSON files are read as UTF-8 (RFC 8259); --encoding applies "
                                 "to CSV files", file=file, field="encoding", value=encoding)
    lines = _suffix(path) != ".json"
    # DuckDB's guess at the layout reads a list after a UTF-8 byte order mark as one value
    # per line, and then calls the file a list rather than objects: a list is said outright.
    head = open_text_head(path, 4096).removeprefix(codecs.BOM_UTF8).lstrip()
    fmt = "newline_delimited" if lines else "array" if head.startswith(b"[") else "auto"
    raw = f"_generic_json_{uuid.uuid4().hex[:12]}"
    try:
        con.execute(f"CREATE TEMP TABLE {raw} AS SELECT json FROM "
                    f"read_json_objects({file_sql(path)}, format={literal(fmt)}, "
                    f"compression={literal(_compression(path))})")
    except duckdb.Error as exc:
        problems = diagnose_json(path, lines) or [Problem(
            "not valid JSON: " + str(exc).split("\n", 1)[0].split(": ", 1)[-1], file=file)]
        raise IngestError(f"{file}: cannot read the file; nothing was ingested",
                          problems) from None
    try:
        count = con.execute(f"SELECT count(*) FROM {raw}").fetchall()[0][0]
        _refuse_non_objects(con, raw, file, lines)
        keys: list[str] = []
        for (found,) in con.execute(
                f"SELECT keys FROM (SELECT json_keys(json) AS keys, min(rowid) AS first "
                f"FROM {raw} GROUP BY ALL) ORDER BY first").fetchall():
            # An empty key cannot name a column (nor be mapped); it stays in the row's text.
            keys += [k for k in dict.fromkeys(found) if k and k not in keys]
        _refuse_case_twins(file, keys)
        if count == 1 and not lines:
            _refuse_wrapped_list(con, raw, file, keys, mapping)
    except BaseException:
        _drop(con, raw)
        raise
    structure = json.dumps(dict.fromkeys(keys, "JSON"))
    sql = (f"(SELECT unnest(from_json(json, {literal(structure)})), json AS {_ROW} FROM {raw}) t"
           if keys else f"(SELECT json AS {_ROW} FROM {raw}) t")
    return _Source(sql, keys, dict.fromkeys(keys, "JSON"),
                   f"'md5:' || md5(CAST(json({_ROW}) AS VARCHAR))", table=raw), count


_JSON_TYPE_NAMES = {"UBIGINT": "a number", "BIGINT": "a number", "DOUBLE": "a number",
                    "VARCHAR": "a string", "ARRAY": "a list", "BOOLEAN": "true or false",
                    "NULL": "null"}


def _refuse_non_objects(con: duckdb.DuckDBPyConnection, raw: str, file: str,
                        lines: bool) -> None:
    found = con.execute(f"SELECT rowid + 1, json_type(json), left(CAST(json AS VARCHAR), 60) "
                        f"FROM {raw} WHERE json_type(json) <> 'OBJECT' ORDER BY rowid "
                        "LIMIT 20").fetchall()
    shape = ("one JSON object per line" if lines
             else "a list of JSON objects ([{...}, ...]) or one JSON object per line")
    IngestError.collect(
        f"{file}: the file must hold {shape}; nothing was ingested",
        [Problem(f"is {_JSON_TYPE_NAMES.get(kind, kind.lower())}, not an object", file=file,
                 row=row, value=text)
         for row, kind, text in found])


def _refuse_case_twins(file: str, keys: list[str]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for key in keys:
        other = seen.setdefault(key.lower(), key)
        if other != key:
            problems.append(Problem(f"differs from key '{other}' only in case; column names "
                                    "ignore case, so rename one", file=file, field=key))
    IngestError.collect(f"{file}: keys that differ only in case; nothing was ingested",
                        problems)


def _refuse_wrapped_list(con: duckdb.DuckDBPyConnection, raw: str, file: str,
                         keys: list[str], mapping: Mapping[str, str]) -> None:
    """A file holding one object that wraps the records (``{"events": [...]}``) is a common
    mistake; say so rather than that no column maps to the required fields."""
    if set(keys) & {*FIELDS, *mapping.values()}:
        return
    lists = [k for (k,) in con.execute(
        f"SELECT key FROM (SELECT unnest(json_keys(json)) AS key, json FROM {raw}) "
        "WHERE json_type(json, '$.\"' || replace(key, '\"', '\\\"') || '\"') = 'ARRAY'"
    ).fetchall()]
    if lists:
        raise IngestError.single(
            "the file holds one object, not a list of objects (or one object per line); its "
            f"member '{lists[0]}' is a list: make that list the whole file", file=file,
            field=lists[0])


def _parquet_source(path: Path, con: duckdb.DuckDBPyConnection) -> _Source:
    scan = con.sql(f"SELECT * FROM read_parquet({file_sql(path)})")
    types = {c: str(t) for c, t in zip(scan.columns, scan.types, strict=True)}
    return _Source(f"read_parquet({file_sql(path)}) t", list(scan.columns), types,
                   "'md5:' || md5(CAST(to_json(t) AS VARCHAR))")


def _read_error(path: Path, exc: duckdb.Error, codec: str, delimiter: str | None) -> IngestError:
    if delimiter:  # a CSV file
        problems = diagnose_csv(path, codec, delimiter)
        if problems:
            return IngestError(f"{path}: cannot read the file; nothing was ingested", problems)
    first = str(exc).split("\n", 1)[0]
    match = re.search(r"[Ll]ine:? (\d+)", str(exc))
    return IngestError(f"{path}: cannot read the file; nothing was ingested",
                       [Problem(first, file=str(path),
                                line=int(match.group(1)) if match else None)])


def read(path: Path, con: duckdb.DuckDBPyConnection, *, mapping: Mapping[str, str] | None = None,
         constants: Mapping[str, Any] | None = None, date_format: str | None = None,
         encoding: str = "utf-8", delimiter: str | None = None, **_: Any) -> Batch:
    """A ``Batch`` from any tabular file; see the module docstring for ``mapping``."""
    mapping = dict(mapping or {})
    constants = dict(constants or {})
    file = str(path)
    codec = _codec(file, encoding)
    if date_format:
        _check_date_format(con, file, date_format)
    if _suffix(path) in _JSON_SUFFIXES:
        source, count = _json_source(path, con, encoding, codec, mapping)
        if not count:  # an empty list: nothing to map, nothing to ingest
            _drop(con, source.table)
            return Batch(file=file, format=FORMAT, data=frame([]), loc="row")
    elif _is_parquet(path):
        try:
            source = _parquet_source(path, con)
        except duckdb.Error as exc:
            raise _read_error(path, exc, codec, None) from None
    else:
        source = _csv_source(path, con, encoding, codec, delimiter)
    try:
        return _batch(path, con, source, mapping, constants, date_format, codec)
    finally:
        _drop(con, source.table)


def _batch(path: Path, con: duckdb.DuckDBPyConnection, source: _Source, mapping: dict[str, str],
           constants: dict[str, Any], date_format: str | None, codec: str) -> Batch:
    file, columns, types = str(path), source.columns, source.types
    exported = {"id", "date", "kind", "actor", "source", "source_ref", "attrs"} <= set(columns)
    # Columns named like event fields map to them unless the user says otherwise; a constant
    # always wins over a column.
    mapping = {**{f: f for f in (*FIELDS, "attrs") if f in columns}, **mapping}
    mapping = {f: c for f, c in mapping.items() if f not in constants}
    _check_mapping(file, mapping, constants, columns)

    def column_text(column: str) -> str:
        if types.get(column) == "JSON":  # a JSON string's text, other values as JSON
            return f"({identifier(column)} ->> '$')"
        if exported and source.delimiter is not None:
            # A CSV export defuses cells a spreadsheet would run (``event.defused``): undo it.
            return (f"(CASE WHEN regexp_matches({identifier(column)}, {literal(FORMULA_SQL)}) "
                    f"THEN substr({identifier(column)}, 2) ELSE {identifier(column)} END)")
        return f"CAST({identifier(column)} AS VARCHAR)"

    def text_of(field: str) -> str:
        if field in constants:
            value = constants[field]
            return "NULL" if value is None else literal(value)
        if field in mapping:
            return column_text(mapping[field])
        return "NULL"

    def date_of(field: str) -> tuple[str, str]:
        if field not in mapping and field not in constants:
            return "NULL", "NULL"
        raw = text_of(field)
        column = mapping.get(field)
        if column and types.get(column, "").startswith(("DATE", "TIMESTAMP")):
            return f"CAST({identifier(column)} AS DATE)", raw
        if date_format:
            return f"CAST(try_strptime(trim({raw}), {literal(date_format)}) AS DATE)", raw
        return f"TRY_CAST(trim({raw}) AS DATE)", raw

    attrs_sql = _attrs_sql(mapping, constants, types)
    content_keyed = "source_ref" not in mapping and "source_ref" not in constants
    # No key column: the row's content is its key, so identical rows are duplicates and a
    # re-ingest of the same file adds nothing (but an edited row becomes a new event).
    ref_sql = source.content_key if content_keyed else text_of("source_ref")
    date_sql, raw_date = date_of("date")
    end_sql, raw_end = date_of("end")
    select = [
        f"{date_sql} AS date", f"{end_sql} AS \"end\"",
        f"upper(trim({text_of('actor')})) AS actor",
        f"nullif(upper(trim({text_of('target')})), '') AS target",
        f"lower(trim({text_of('kind')})) AS kind",
        *([f"{attrs_sql} AS attrs"] if attrs_sql else []),
        f"{text_of('source')} AS source", f"{ref_sql} AS source_ref",
        f"coalesce(lower(trim({text_of('confidence')})), 'high') AS confidence",
        f"{text_of('summary')} AS summary", f"{text_of('match_key')} AS match_key",
        f"{raw_date} AS _raw_date", f"{raw_end} AS _raw_end",
    ]
    prebuilt = exported and "also" in columns and mapping.get("source") == "source"
    if prebuilt:
        select.insert(0, f"{column_text('id')} AS id")
        also = "also" if types.get("also", "").startswith("STRUCT") else (
            "CAST(from_json(CAST(also AS JSON), '[{\"source\":\"VARCHAR\",\"source_ref\":"
            "\"VARCHAR\"}]') AS STRUCT(source VARCHAR, source_ref VARCHAR)[])")
        select.append(f"{also} AS also")
    if _is_parquet(path):
        return _parquet_batch(path, con, source, select, prebuilt, content_keyed)
    table = f"_generic_rows_{uuid.uuid4().hex[:12]}"
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT {', '.join(select)} FROM {source.sql}")
    except duckdb.Error as exc:
        _drop(con, table)
        raise _read_error(path, exc, codec, source.delimiter) from None
    # Rows are numbered by the table's rowid: with insertion order preserved, the copy keeps
    # the file's order (row_number() would serialise the scan).
    relation = con.sql(f"SELECT rowid + 1 AS _loc, * FROM {table}")
    # The table is read where it is (no second copy), and dropped with the batch.
    batch = Batch(file=file, format=FORMAT, data=relation, loc="row", prebuilt=prebuilt,
                  in_place=not prebuilt)
    weakref.finalize(batch, _drop, con, table)
    return batch


def _parquet_batch(path: Path, con: duckdb.DuckDBPyConnection, source: _Source,
                   select: list[str], prebuilt: bool, content_keyed: bool) -> Batch:
    file = str(path)
    numbered = "file_row_number" not in source.columns
    if not prebuilt and not content_keyed and numbered:
        # Parquet is cheap to read again, so the store checks and writes it where it is
        # (no copy); rows are numbered by their position in the file, and the store makes
        # sure the file did not change between its reads (``unchanged``). Content keys are
        # left to the copy: the row number must not enter the key.
        before = FileState.of(path)
        relation = con.sql(f"SELECT file_row_number + 1 AS _loc, {', '.join(select)} "
                           f"FROM read_parquet({file_sql(path)}, file_row_number=true) t")
        return Batch(file=file, format=FORMAT, data=relation, loc="row", in_place=True,
                     unchanged=lambda: FileState.of(path) == before)
    relation = con.sql(f"SELECT {', '.join(select)} FROM {source.sql}")
    return Batch(file=file, format=FORMAT, data=relation, loc="row", prebuilt=prebuilt)


def _drop(con: duckdb.DuckDBPyConnection, table: str | None) -> None:
    if table:
        with contextlib.suppress(duckdb.Error):  # a closed connection took it along
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _attrs_sql(mapping: dict[str, str], constants: dict[str, Any],
               types: dict[str, str]) -> str | None:
    """The attributes of a row as JSON text: the ``attrs`` column, merged with the attrs.NAME
    columns and constants; None when there are none (the store gives every row {} and skips
    the attribute checks). Text in the ``attrs`` column that is not a JSON object is passed
    on as it is, so the store refuses it with its row."""
    attr_columns = {k.removeprefix("attrs."): v for k, v in mapping.items()
                    if k.startswith("attrs.")}
    attr_constants = {k.removeprefix("attrs."): v for k, v in constants.items()
                      if k.startswith("attrs.")}
    base = None
    if "attrs" in mapping:
        col = identifier(mapping["attrs"])
        kind = types.get(mapping["attrs"], "")
        if kind == "JSON":  # an object, or a string holding one (null: none)
            base = (f"CASE json_type({col}) WHEN 'VARCHAR' THEN {col} ->> '$' WHEN 'NULL' "
                    f"THEN NULL ELSE CAST({col} AS VARCHAR) END")
        elif kind == "VARCHAR":
            base = f"CAST({col} AS VARCHAR)"
        else:  # a struct or map: members that are null are absent
            base = f"CAST(json_merge_patch('{{}}', to_json({col})) AS VARCHAR)"
    if not attr_columns and not attr_constants:
        return base
    pairs = [f"{literal(name)}, {_attr_value(name, col, types.get(col, ''))}"
             for name, col in attr_columns.items()]
    pairs += [f"{literal(name)}, {literal(json.dumps(v))}::JSON"
              for name, v in attr_constants.items()]
    # Merging into {} drops null members (RFC 7396), so an empty cell means "absent":
    # a column mapped to attrs.class leaves no class on rows of other kinds.
    mapped = f"json_merge_patch('{{}}', json_object({', '.join(pairs)}))"
    if base is None:
        return f"CAST({mapped} AS VARCHAR)"
    # CASE, not AND: json_type() fails on text that is not JSON at all.
    return (f"CASE WHEN nullif(trim({base}), '') IS NULL THEN CAST({mapped} AS VARCHAR) "
            f"WHEN NOT json_valid({base}) THEN {base} "
            f"WHEN json_type({base}) <> 'OBJECT' THEN {base} "
            f"ELSE CAST(json_merge_patch({base}, {mapped}) AS VARCHAR) END")


# Text that a declared number type takes as a number (anything else stays text, and the store
# names its row): 7, +7, 007 and 7.0 are the integer 7; 2.5, .5, 1e3 are floats; 2.5 is not
# an integer, and nan, inf, 1_000 and 0x10 (which DuckDB's casts accept) are not numbers.
_INT_TEXT = r"[+-]?[0-9]+(\.0*)?"
_FLOAT_TEXT = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
# Text that an extension attribute (x_...) takes as a number: a number written as JSON
# writes it, so the text comes back unchanged (007, +7, 2.50 and 1e3 stay text).
_JSON_INT_TEXT = r"0|-?[1-9][0-9]*"
_JSON_FLOAT_TEXT = r"-?(0|[1-9][0-9]*)\.[0-9]+"


def _from_text(name: str, text: str) -> str:
    """A text value of attribute ``name`` as JSON: a number or boolean where the attribute's
    declared type says so and the text is one (see above), else the text."""
    text = f"nullif(trim({text}), '')"
    declared = ATTRIBUTE_TYPES.get(name)
    if declared == "int":
        tests = [(f"regexp_full_match({text}, '{_INT_TEXT}')", "BIGINT")]
    elif declared == "float":
        tests = [(f"regexp_full_match({text}, '{_FLOAT_TEXT}') "
                  f"AND isfinite(TRY_CAST({text} AS DOUBLE))", "DOUBLE")]
    elif declared == "bool":
        tests = [("true", "BOOLEAN")]
    elif declared is None:
        tests = [(f"regexp_full_match({text}, '{_JSON_INT_TEXT}')", "BIGINT"),
                 (f"regexp_full_match({text}, '{_JSON_FLOAT_TEXT}') AND "
                  f"CAST(TRY_CAST({text} AS DOUBLE) AS VARCHAR) = {text}", "DOUBLE")]
    else:
        return f"to_json({text})"
    cases = " ".join(f"WHEN {test} AND TRY_CAST({text} AS {cast}) IS NOT NULL "
                     f"THEN to_json(TRY_CAST({text} AS {cast}))" for test, cast in tests)
    return f"CASE {cases} ELSE to_json({text}) END"


def _attr_value(name: str, column: str, column_type: str) -> str:
    """A mapped attribute column's value as JSON. Text (every CSV column is read as text, so
    no type is guessed from a sample) goes through ``_from_text``; typed columns keep their
    type; JSON values stay as they are, except a string given for a declared number or
    boolean, which is read like CSV text."""
    col = identifier(column)
    if column_type == "JSON":
        if ATTRIBUTE_TYPES.get(name) in ("int", "float", "bool"):
            return (f"CASE WHEN json_type({col}) = 'VARCHAR' "
                    f"THEN {_from_text(name, f'({col} ->> {literal(chr(36))})')} ELSE {col} END")
        return col
    if column_type != "VARCHAR":
        return f"to_json({col})"
    return _from_text(name, col)


def _check_mapping(file: str, mapping: dict[str, str], constants: dict[str, Any],
                   columns: list[str]) -> None:
    problems = []
    for field, column in mapping.items():
        if field not in FIELDS and field != "attrs" and not field.startswith("attrs."):
            problems.append(Problem(f"unknown event field; expected one of {', '.join(FIELDS)}, "
                                    "attrs or attrs.NAME", file=file, field=field))
        elif column not in columns:
            problems.append(Problem("column not found in the file", file=file, field=field,
                                    value=column))
    for field in constants:
        if field not in FIELDS and not field.startswith("attrs."):
            problems.append(Problem("unknown event field", file=file, field=field))
    for field in REQUIRED:
        if field not in mapping and field not in constants:
            problems.append(Problem(
                f"no column mapped to required field; pass --map {field}=COLUMN or "
                f"--set {field}=VALUE", file=file, field=field))
    # The file's columns are named once, after the problems (a wide file has dozens).
    shown = ", ".join(columns[:_SHOWN_COLUMNS]) + (
        f", ... ({len(columns) - _SHOWN_COLUMNS} more)" if len(columns) > _SHOWN_COLUMNS else "")
    has = f"the file's columns: {shown}" if columns else "the file has no columns"
    IngestError.collect(f"{file}: the column mapping does not fit the file ({has})",
                        problems)
