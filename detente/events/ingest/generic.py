"""Bring your own events: CSV, JSON (array or lines) or Parquet, with a column mapping.

Reading goes through DuckDB, so a million-row file never passes through Python row by row. A
file written by ``detente events list --format csv|json`` (or ``Store.export_parquet``) maps
itself: its columns already have the event field names, and its ``also`` column restores the
further sources of each event. Any other file needs ``mapping`` (event field -> column, with
``attrs.NAME`` for attributes) and/or ``constants`` (event field -> fixed value).

Columns named like event fields (``date``, ``actor``, ``kind``, ...) map to them by default.

When DuckDB cannot read a CSV file, the file is scanned again with Python's csv module to
report the first bad line precisely (encoding, field count, unterminated quote).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError, Problem
from detente.events.ingest import Batch
from detente.events.ingest.guard import FileState
from detente.events.kinds import COMMON_ATTRS, KIND_ATTRS

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


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def detect(path: Path) -> bool:
    return _suffix(path) in _SUFFIXES


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _s(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _is_parquet(path: Path) -> bool:
    return _suffix(path) in (".parquet", ".pq")


def _scan(path: Path, con: duckdb.DuckDBPyConnection, encoding: str,
          delimiter: str | None) -> duckdb.DuckDBPyRelation:
    suffix = _suffix(path)
    if _is_parquet(path):
        return con.sql(f"SELECT * FROM read_parquet({_s(path)})")
    if suffix in (".json", ".jsonl", ".ndjson"):
        fmt = "newline_delimited" if suffix in (".jsonl", ".ndjson") else "auto"
        return con.sql(f"SELECT * FROM read_json({_s(path)}, format={_s(fmt)})")
    delim = delimiter or ("\t" if suffix == ".tsv" else _sniff_delimiter(path, encoding))
    return con.sql(
        f"SELECT * FROM read_csv({_s(path)}, header=true, delim={_s(delim)}, quote='\"', "
        f"escape='\"', encoding={_s(encoding)}, strict_mode=true, all_varchar=true)")


def _sniff_delimiter(path: Path, encoding: str) -> str:
    try:
        with _open_text(path, encoding) as handle:
            head = handle.readline()
    except UnicodeDecodeError:
        return ","
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _open_text(path: Path, encoding: str):
    codec = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}.get(
        encoding.lower(), encoding)
    if path.suffix.lower() == ".gz":
        import gzip

        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=codec, newline="")
    return open(path, encoding=codec, newline="")


def diagnose_csv(path: Path, encoding: str = "utf-8",
                 delimiter: str | None = None) -> list[Problem]:
    """Locate what makes a CSV file unreadable: the first bad bytes, short or long rows,
    an unterminated quote. Used only after DuckDB has refused the file."""
    file = str(path)
    try:
        raw = path.read_bytes()
        if path.suffix.lower() == ".gz":
            import gzip

            raw = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        return [Problem(f"cannot read the file ({exc})", file=file)]
    codec = {"utf-8": "utf-8-sig"}.get(encoding.lower(), encoding)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return [Problem(f"not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start}); pass --encoding (e.g. latin-1)", file=file, line=line)]
    delim = delimiter or ("\t" if _suffix(path) == ".tsv" else
                          max((",", ";", "\t", "|"), key=text.split("\n", 1)[0].count))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [Problem("the file is empty", file=file)]
    start = 1
    try:
        for row in reader:
            if row and len(row) != len(header):
                problems.append(Problem(
                    f"has {len(row)} fields, the header has {len(header)}"
                    + (" (truncated file?)" if reader.line_num == text.count("\n") + 1 else ""),
                    file=file, line=start + 1))
                if len(problems) >= 20:
                    break
            start = reader.line_num
    except csv.Error as exc:
        problems.append(Problem(f"malformed CSV: {exc}", file=file, line=reader.line_num))
    if not problems and text.count('"') % 2:
        # The unterminated field opens on the last line where the quote parity turns odd.
        odd, opened = False, 1
        for number, line in enumerate(text.splitlines(), start=1):
            if line.count('"') % 2:
                odd = not odd
                if odd:
                    opened = number
        problems.append(Problem("unterminated quoted field", file=file, line=opened))
    return problems


def _read_error(path: Path, exc: duckdb.Error, encoding: str, delimiter: str | None) -> IngestError:
    if _suffix(path) in (".csv", ".tsv"):
        problems = diagnose_csv(path, encoding, delimiter)
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
    try:
        scan = _scan(path, con, encoding, delimiter)
        columns = scan.columns
        types = {c: str(t) for c, t in zip(scan.columns, scan.types, strict=True)}
    except duckdb.Error as exc:
        raise _read_error(path, exc, encoding, delimiter) from None
    exported = {"id", "date", "kind", "actor", "source", "source_ref", "attrs"} <= set(columns)
    # Columns named like event fields map to them unless the user says otherwise; a constant
    # always wins over a column.
    mapping = {**{f: f for f in (*FIELDS, "attrs") if f in columns}, **mapping}
    mapping = {f: c for f, c in mapping.items() if f not in constants}
    _check_mapping(file, mapping, constants, columns)

    def text_of(field: str) -> str:
        if field in constants:
            value = constants[field]
            return "NULL" if value is None else _s(value)
        if field in mapping:
            return f"CAST({_q(mapping[field])} AS VARCHAR)"
        return "NULL"

    def date_of(field: str) -> tuple[str, str]:
        if field not in mapping and field not in constants:
            return "NULL", "NULL"
        raw = text_of(field)
        column = mapping.get(field)
        if column and types.get(column, "").startswith(("DATE", "TIMESTAMP")):
            return f"CAST({_q(column)} AS DATE)", raw
        if date_format:
            return f"CAST(try_strptime(trim({raw}), {_s(date_format)}) AS DATE)", raw
        return f"TRY_CAST(trim({raw}) AS DATE)", raw

    attr_columns = {k.removeprefix("attrs."): v for k, v in mapping.items()
                    if k.startswith("attrs.")}
    attr_constants = {k.removeprefix("attrs."): v for k, v in constants.items()
                      if k.startswith("attrs.")}
    parts = []
    if "attrs" in mapping:
        column = mapping["attrs"]
        parts.append(f"TRY_CAST({_q(column)} AS JSON)" if types.get(column) == "VARCHAR"
                     else f"to_json({_q(column)})")
    if attr_columns or attr_constants:
        pairs = [f"{_s(name)}, {_attr_value(name, col, types.get(col, ''))}"
                 for name, col in attr_columns.items()]
        pairs += [f"{_s(name)}, {_s(json.dumps(v))}::JSON" for name, v in attr_constants.items()]
        # Merging into {} drops null members (RFC 7396), so an empty cell means "absent":
        # a column mapped to attrs.class leaves no class on rows of other kinds.
        parts.append(f"json_merge_patch('{{}}', json_object({', '.join(pairs)}))")
    if not parts:
        attrs_sql = None  # no attributes: the store gives every row {} and skips their checks
    elif len(parts) == 1:
        attrs_sql = f"CAST({parts[0]} AS VARCHAR)"
    else:
        attrs_sql = f"CAST(json_merge_patch(coalesce({parts[0]}, '{{}}'), {parts[1]}) AS VARCHAR)"

    content_keyed = "source_ref" not in mapping and "source_ref" not in constants
    if not content_keyed:
        ref_sql = text_of("source_ref")
    else:
        # No key column: the row's content is its key, so identical rows are duplicates and a
        # re-ingest of the same file adds nothing (but an edited row becomes a new event).
        ref_sql = "'md5:' || md5(CAST(to_json(t) AS VARCHAR))"
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
        select.insert(0, "id")
        also = "also" if types.get("also", "").startswith("STRUCT") else (
            "CAST(from_json(CAST(also AS JSON), '[{\"source\":\"VARCHAR\",\"source_ref\":"
            "\"VARCHAR\"}]') AS STRUCT(source VARCHAR, source_ref VARCHAR)[])")
        select.append(f"{also} AS also")
    if _is_parquet(path) and not prebuilt and not content_keyed \
            and "file_row_number" not in columns:
        # Parquet is cheap to read again, so the store checks and writes it where it is
        # (no copy); rows are numbered by their position in the file, and the store makes
        # sure the file did not change between its reads (``unchanged``). Content keys are
        # left to the copy: the row number must not enter the key.
        before = FileState.of(path)
        scan = con.sql(f"SELECT * FROM read_parquet({_s(path)}, file_row_number=true)")
        relation = scan.set_alias("t").query(
            "t", f"SELECT file_row_number + 1 AS _loc, {', '.join(select)} FROM t")
        return Batch(file=file, format=FORMAT, data=relation, loc="row", in_place=True,
                     unchanged=lambda: FileState.of(path) == before)
    relation = scan.set_alias("t").query("t", f"SELECT {', '.join(select)} FROM t")
    return Batch(file=file, format=FORMAT, data=relation, loc="row", prebuilt=prebuilt)


_CASTS = {"int": ("BIGINT",), "float": ("DOUBLE",), "bool": ("BOOLEAN",),
          None: ("BIGINT", "DOUBLE")}


def _attr_value(name: str, column: str, column_type: str) -> str:
    """A mapped attribute as a JSON value. Text columns (every CSV column is read as text, so
    no type is guessed from a sample) become the attribute's declared type where the value
    converts; a value that does not stays text, and validation then names its row."""
    col = _q(column)
    if column_type != "VARCHAR":
        return f"to_json({col})"
    text = f"nullif(trim({col}), '')"
    declared = ATTRIBUTE_TYPES.get(name)
    casts = _CASTS.get(declared, ()) if name in ATTRIBUTE_TYPES else _CASTS[None]
    if not casts:
        return f"to_json({text})"
    tries = " ".join(f"WHEN TRY_CAST({text} AS {t}) IS NOT NULL "
                     f"THEN to_json(TRY_CAST({text} AS {t}))" for t in casts)
    return f"CASE {tries} ELSE to_json({text}) END"


def _check_mapping(file: str, mapping: dict[str, str], constants: dict[str, Any],
                   columns: list[str]) -> None:
    problems = []
    for field, column in mapping.items():
        if field not in FIELDS and field != "attrs" and not field.startswith("attrs."):
            problems.append(Problem(f"unknown event field; expected one of {', '.join(FIELDS)}, "
                                    "attrs or attrs.NAME", file=file, field=field))
        elif column not in columns:
            problems.append(Problem(
                f"column not found in the file (columns: {', '.join(columns)})",
                file=file, field=field, value=column))
    for field in constants:
        if field not in FIELDS and not field.startswith("attrs."):
            problems.append(Problem("unknown event field", file=file, field=field))
    for field in REQUIRED:
        if field not in mapping and field not in constants:
            problems.append(Problem(
                f"no column mapped to required field; pass --map {field}=COLUMN or "
                f"--set {field}=VALUE", file=file, field=field))
    IngestError.collect(f"{file}: the column mapping does not fit the file", problems)
