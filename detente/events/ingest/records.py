"""Shared pieces of the source adapters: decoding bytes, CSV records with line numbers, numbers
and links in free text, the missile match key, and the normalised frame a ``Batch`` carries.

Not an adapter itself (it has no ``FORMAT``); the adapters in this package import it.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from detente.errors import IngestError, Problem
from detente.events.store import STAGED_COLUMNS

AUTO = "auto"


def read_text(path: Path, encoding: str = AUTO, *, default: str = "utf-8") -> str:
    """The text of ``path``. ``auto`` takes UTF-8 when the bytes are valid UTF-8, else
    ``default`` (e.g. cp1252), and refuses UTF-16/32 and binary files with a located error."""
    file = str(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError.single("the file is empty", file=file)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise IngestError.single(
            "the file is UTF-16/UTF-32 or binary (it contains NUL bytes); save it as UTF-8 or "
            f"{default} text", file=file, field="encoding")
    if encoding == AUTO:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            encoding = default
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return raw.decode(codec)
    except LookupError:
        raise IngestError.single("unknown encoding", file=file, field="encoding",
                                 value=encoding) from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise IngestError.single(
            f"not valid {encoding} text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            f"({exc.reason}); pass encoding='auto' or the file's real encoding",
            file=file, line=line, field="encoding", value=encoding) from None


def csv_records(text: str, file: str, required: Sequence[str]
                ) -> list[tuple[int, dict[str, str]]]:
    """(first line, row as column -> text) for each record of a CSV text with a header.

    Records may span lines (quoted fields with line breaks); the line given is the record's
    first. Raises ``IngestError`` for missing columns (named), rows with the wrong number of
    fields and unterminated quotes (a truncated file), with their line numbers.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise IngestError.single("the file is empty", file=file) from None
    except csv.Error as exc:
        raise IngestError.single(f"malformed CSV header: {exc}", file=file, line=1) from None
    missing = [c for c in required if c not in header]
    if missing:
        found = ", ".join(repr(h) for h in header)
        raise IngestError(
            f"{file}: {len(missing)} required column(s) missing; nothing was ingested",
            [Problem(f"column not found in the header (found: {found})", file=file, line=1,
                     field=c) for c in missing])
    problems: list[Problem] = []
    records: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                start = reader.line_num + 1
                continue
            if len(row) != len(header):
                problems.append(Problem(
                    f"has {len(row)} fields, the header has {len(header)} "
                    "(a truncated file or an unquoted comma?)", file=file, line=start))
            else:
                records.append((start, dict(zip(header, row, strict=True))))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(
            f"malformed CSV ({exc}): a quoted field is never closed (truncated file?)",
            file=file, line=start))
    IngestError.collect(f"{file}: {len(problems)} problem(s) reading the CSV; nothing was "
                        "ingested", problems)
    return records


def sniff_header(path: Path, size: int = 4096) -> str:
    """The first line of ``path`` decoded leniently (for ``detect``); '' if unreadable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(size)
    except OSError:
        return ""
    return head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf").split("\n", 1)[0].strip("\r ")


def header_fields(path: Path) -> list[str]:
    """The header cells of a CSV file (for ``detect``)."""
    line = sniff_header(path)
    try:
        return [c.strip() for c in next(csv.reader([line]))]
    except (csv.Error, StopIteration):
        return []


def csv_with_columns(path: Path, *columns: str) -> bool:
    """Whether ``path`` is a ``.csv`` file whose header has all ``columns`` (for ``detect``)."""
    return path.suffix.lower() == ".csv" and set(columns) <= set(header_fields(path))


def head_text(path: Path, size: int = 8192) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(size).decode("latin-1")
    except OSError:
        return ""


class Issues:
    """Problems found while reading one file; raised together so the user sees all of them."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, message: str, **where: Any) -> None:
        self.problems.append(Problem(message, file=self.file, **where))

    def raise_if_any(self) -> None:
        IngestError.collect(f"{self.file}: {len(self.problems)} problem(s); nothing was ingested",
                            self.problems)


def iso_date(text: str | None, issues: Issues, field: str, *, required: bool = False,
             **where: Any) -> dt.date | None:
    """An ISO ``YYYY-MM-DD`` date; None for an empty cell (a problem is recorded if the date is
    invalid, or if it is empty and ``required``)."""
    text = (text or "").strip()
    if not text:
        if required:
            issues.add("missing value", field=field, **where)
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        issues.add("not a valid date (expected YYYY-MM-DD)", field=field, value=text, **where)
        return None


_KM = re.compile(r"^(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>km|lm)?\.?$", re.I)


def parse_km(value: Any, *, unit_required: bool = False) -> float | None:
    """A distance in km when the text gives a single figure ("1,380 km", "350"), else None
    (ranges, "Unknown", "N/A"). "lm" is accepted as the CNS file's typo for "km"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _KM.match(str(value).strip())
    if not match or (unit_required and not match["unit"]):
        return None
    return float(match["n"].replace(",", ""))


def km_text(value: Any) -> str | None:
    """The source's own text for a distance (None for an empty cell)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


_URL = re.compile(r"https?://")


def citations(text: str | None) -> list[str]:
    """The links and citations in a free-text sources cell, one item each.

    Splits on ';', line breaks, 'Video:' and wherever a new link starts, and separates a
    goo.gl short link from a citation glued to it ("https://goo.gl/NEgR7xThe US Military...").
    """
    if not text:
        return []
    parts = []
    for chunk in re.split(r";|\n|\r|Video:|\">", text):
        chunk = chunk.strip()
        starts = [m.start() for m in _URL.finditer(chunk)]
        pieces = []
        if not starts or starts[0] > 0:
            pieces.append(chunk[: starts[0]] if starts else chunk)
        for i, s in enumerate(starts):
            pieces.append(chunk[s: starts[i + 1] if i + 1 < len(starts) else None])
        for piece in pieces:
            piece = piece.strip().strip(",")
            short = re.match(r"(https?://goo\.gl/[A-Za-z0-9]{6})(\S.*)$", piece)
            if short:
                parts += [short[1], short[2].strip()]
            elif piece:
                parts.append(piece)
    seen: dict[str, None] = {}
    for part in parts:
        seen.setdefault(" ".join(part.split()), None)
    return list(seen)


def first_url(items: Iterable[str]) -> str | None:
    for item in items:
        if _URL.match(item):
            return item.split()[0]
    return None


# Launches the per-missile sources date by the Korean day although their own UTC launch time
# falls on the day before (Korea is UTC+9): (date as read, HH:MM UTC) -> (UTC day, evidence).
# Applied only while a row still reads the same, and reported in the batch notes.
UTC_DAY_ERRATA: dict[tuple[dt.date, str], tuple[dt.date, str]] = {
    (dt.date(2016, 4, 15), "20:33"): (
        dt.date(2016, 4, 14),
        "the Musudan launched at 20:33 UTC on 2016-04-14 (05:33 on 04-15 in Korea): the row "
        "gives the Korean day"),
    (dt.date(2017, 5, 14), "20:28"): (
        dt.date(2017, 5, 13),
        "the Hwasong-12 launched at 20:28 UTC on 2017-05-13 (05:28 on 05-14 in Korea): the row "
        "gives the Korean day"),
    (dt.date(2022, 1, 5), "23:10"): (
        dt.date(2022, 1, 4),
        "launched at 23:10 UTC on 2022-01-04 (08:10 on 01-05 in Korea): the row gives the "
        "Korean day, the JSON and CSIS's time of day give the UTC day"),
}


def utc_day(day: dt.date, time_utc: str | None) -> tuple[dt.date, str | None]:
    """``day`` corrected to the UTC day by ``UTC_DAY_ERRATA``, and why (None: unchanged)."""
    fix = UTC_DAY_ERRATA.get((day, time_utc or ""))
    return fix if fix is not None else (day, None)


def missile_key(day: str, n: int) -> str:
    """The cross-source key of the ``n``-th missile (1-based) launched on ``day``.

    ``day`` is ``YYYY-MM-DD``, or ``YYYY-MM`` for a month-only date, so the per-missile sources
    (CNS CSV and the JSON) give the same launch the same key; a summary row uses the prefix
    with ``*`` (``missile_test|PRK|2017-03-06|*``) to link to the whole salvo.
    """
    return f"missile_test|PRK|{day}|{n}"


MISSILE_KEY_PREFIX = "missile_test|PRK|"


def nuclear_key(day: dt.date) -> str:
    return f"nuclear_test|PRK|{day.isoformat()}"


def compact_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """``attrs`` without unknown (None) values and empty lists."""
    return {k: v for k, v in attrs.items() if v is not None and v != []}


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The normalised frame of a ``Batch`` from event dicts (``attrs`` as a dict)."""
    out = []
    for row in rows:
        record = {c: row.get(c) for c in STAGED_COLUMNS}
        record["attrs"] = json.dumps(compact_attrs(row.get("attrs") or {}), sort_keys=True,
                                     ensure_ascii=False)
        record["confidence"] = record["confidence"] or "high"
        out.append(record)
    data = pd.DataFrame(out, columns=list(STAGED_COLUMNS))
    for column in ("date", "end"):
        data[column] = pd.to_datetime(data[column]).astype("datetime64[ms]")
    data["_loc"] = data["_loc"].astype("int64")
    return data


# --- reading errors and non-finite numbers in the generic adapter's files ---------------------

# The longest CSV line the generic adapter reads (DuckDB's default, 2,000,000 bytes, refused a
# 2 MB summary; a higher limit costs nothing until a line needs it). Its errors state it.
MAX_LINE_BYTES = 64 * 1024 * 1024


def _raw_bytes(path: Path) -> bytes:
    if path.suffix.lower() == ".zst":
        raise OSError("zstd-compressed; decompress it to see where")
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix.lower() == ".gz" else raw


def diagnose_csv(path: Path, encoding: str, delimiter: str) -> list[Problem]:
    """Locate what makes a CSV file unreadable: the first bad bytes, over-long lines, short or
    long rows, an unterminated quote. Used only after DuckDB has refused the file."""
    file = str(path)
    try:
        raw = _raw_bytes(path)
    except (OSError, EOFError, zlib.error) as exc:
        return [Problem(f"cannot read the file ({exc})", file=file)]
    codec = {"utf-8": "utf-8-sig"}.get(encoding.lower(), encoding)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        return [_undecodable(raw, exc, encoding, "pass --encoding (e.g. latin-1)", file=file,
                             field="encoding", value=encoding)]
    except (UnicodeError, LookupError) as exc:
        return [Problem(f"not valid {encoding} text ({exc})", file=file, field="encoding",
                        value=encoding)]
    long = [Problem(f"the line is {len(line.encode()):,} bytes long; a CSV line may hold at "
                    f"most {MAX_LINE_BYTES:,} bytes", file=file, line=number)
            for number, line in enumerate(text.split("\n"), start=1)
            if len(line) * 4 > MAX_LINE_BYTES and len(line.encode()) > MAX_LINE_BYTES]
    if long:
        return long[:20]
    limit = csv.field_size_limit(MAX_LINE_BYTES)  # the csv module's own 131,072 is not ours
    try:
        return _field_counts(file, text, delimiter)
    finally:
        csv.field_size_limit(limit)


def _field_counts(file: str, text: str, delimiter: str) -> list[Problem]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [Problem("the file is empty", file=file)]
    except csv.Error as exc:
        return [Problem(f"malformed CSV header: {exc}", file=file, line=1)]
    start = 1
    try:
        for row in reader:
            if row and len(row) != len(header):
                hint = (" (an unquoted delimiter?)" if len(row) > len(header) else
                        " (truncated file?)" if reader.line_num == text.count("\n") + 1 else "")
                problems.append(Problem(f"has {len(row)} fields, the header has "
                                        f"{len(header)}{hint}", file=file, line=start + 1))
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


def diagnose_json(path: Path, lines: bool) -> list[Problem]:
    """Locate what makes a JSON file unreadable (bad UTF-8, a syntax error) by its line, with
    Python's json module. Used only after DuckDB has refused the file (DuckDB's own line
    numbers run one ahead). ``lines``: one value per line; else an array or values in a row."""
    file = str(path)
    try:
        raw = _raw_bytes(path)
    except (OSError, EOFError, zlib.error) as exc:
        return [Problem(f"cannot read the file ({exc})", file=file)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [_undecodable(raw, exc, "UTF-8", "JSON files must be UTF-8", file=file)]
    decoder = json.JSONDecoder()
    if lines:
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                try:
                    decoder.decode(line)
                except json.JSONDecodeError as exc:
                    return [_json_problem(file, exc, number)]
        return []
    try:
        if text.lstrip().startswith("["):
            decoder.decode(text)
        else:  # values one after another (JSON lines in a .json file, or one object)
            position = 0
            while (position := _skip_space(text, position)) < len(text):
                position = decoder.raw_decode(text, position)[1]
    except json.JSONDecodeError as exc:
        return [_json_problem(file, exc, exc.lineno)]
    return []


def _undecodable(raw: bytes, exc: UnicodeDecodeError, encoding: str, hint: str,
                 **where: Any) -> Problem:
    """The first byte ``encoding`` cannot decode, with its line and offset."""
    return Problem(f"not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset "
                   f"{exc.start}); {hint}", line=raw.count(b"\n", 0, exc.start) + 1, **where)


def _json_problem(file: str, exc: json.JSONDecodeError, line: int) -> Problem:
    return Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=line)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
