"""Where a text file's rows are in it: line numbers and the text of the lines that must be
named (rejected lines, lines holding a repeated key).

DuckDB's CSV reader keeps no line numbers and skips blank lines without counting them; the
check pass (``tabular``) numbers its rows by rowid in file order, and these functions find
the lines between: ``set_dropped`` numbers the rows given the lines the reader did not return;
``texts_by_count`` reads the wanted lines by position from the file's bytes when the reader
kept every line; otherwise ``locate`` scans the file's line breaks once (in DuckDB) for the
blank lines and the lines holding a wanted key. A read that keeps no positions at all (the
one-statement ingest, ``stream``) finds its lines by key with ``by_key``.
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from detente.errors import IngestError, Problem
from detente.events.ingest.coded import read_error
from detente.events.store import file_sql
from detente.sql import literal

if TYPE_CHECKING:
    from detente.events.ingest.tabular import Read, Text

_ASCII_SUPERSETS = ("utf-8", "utf8", "latin-1", "latin1", "iso-8859-1")


@contextlib.contextmanager
def insertion_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Preserve insertion order (the reader's rows numbered by rowid) for one statement."""
    kept = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    if kept in (True, "true"):
        yield
        return
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute("SET preserve_insertion_order = false")


def set_dropped(read: Read, first: int, lines: Iterable[int]) -> None:
    """Number the reader's rows by line, given the lines it did not return (rejected or
    blank): row i is line ``first + i + #{j : t_j <= i}`` with t_j = d_j - first - j over the
    sorted lines d. (Inline thresholds: a correlated subquery would join every scan of the
    rows on rowid, used or not.)"""
    ordered = sorted(set(lines))
    thresholds = [d - first - j for j, d in enumerate(ordered)]
    shift = (f" + len(list_filter({thresholds}, lambda t: t <= rowid))" if thresholds else "")
    read.con.execute(f"""CREATE OR REPLACE TEMP VIEW {read.rows} AS SELECT rowid AS rid,
        rowid + {int(first)}{shift} AS pos, * FROM {read.table}""")


def _wanted(read: Read, repeated: bool) -> str:
    """SQL of the rows whose lines must be named, ``(pos, key)``: those the check pass
    rejected (their GLOBALEVENTID as read) and, when ``repeated``, the good rows whose key
    occurs twice."""
    at = list(read.layout.inputs).index("GLOBALEVENTID") + 1  # in the list ``input``
    sql = f"""SELECT pos, input[{at}] AS key FROM {read.rows}
              WHERE err IS NOT NULL AND NOT starts_with(err, 'skip:')"""
    if repeated:
        sql += f"""UNION SELECT pos, key FROM {read.rows} WHERE key IN (
                       SELECT key FROM {read.table} GROUP BY key HAVING count(*) > 1)"""
    return sql


def locate(read: Read, plain: Path, text: Text, first: int, key_at: int,
           reader: dict[int, str], repeated: bool, *, buffer: int) -> dict[int, str]:
    """Number every line exactly (one more scan, only its line breaks and the lines holding a
    wanted key): the blank lines the reader skipped, the true lines of the reader's rejects
    (``reader``: DuckDB's line -> text; corrected in place) and the text of every line a kept
    row was rejected on, by position (``repeated``: some key occurs twice among the good
    rows; their lines are wanted too)."""
    con = read.con
    keys = [k for (k,) in con.execute(f"SELECT DISTINCT key FROM ({_wanted(read, repeated)})"
                                      ).fetchall() if k is not None]
    keys += [_field(t, text, key_at) for t in reader.values()]
    delim = literal(text.delimiter)
    field = (f"left(l, strpos(l, {delim}) - 1)" if key_at == 0 and not text.quote else
             f"trim(split_part(l, {delim}, {key_at + 1}), {literal(text.quote or ' ')})")
    # Numbered by row_number() over the scan, not by the rowid of a table written from it:
    # DuckDB 2.0 stored such a table (of mostly NULL text) out of file order, so the lines
    # found were the wrong ones past the first 32 MB buffer (a rejected line's text came
    # out null); the streaming row_number() keeps the scan's order.
    try:
        with insertion_order(con):
            rows = con.execute(f"""SELECT line, l FROM (
                SELECT row_number() OVER () AS line, l FROM read_csv(
                    {file_sql(plain)}, compression='none', columns={{'l': 'VARCHAR'}},
                    delim=chr(0), quote='', escape='', header=false, auto_detect=false,
                    encoding={literal(text.encoding)}, buffer_size={int(buffer)}))
                WHERE l IS NULL OR list_contains(?, {field})""", [sorted(set(keys))]).fetchall()
    except duckdb.Error as exc:
        raise read_error(read.file, exc) from None
    blank = [int(line) for line, t in rows if t is None and line >= first]
    found = {int(line): t.rstrip("\r") for line, t in rows if t is not None}
    read.blank, read.located = len(blank), True
    # DuckDB's own line numbers are a guess here: it misnumbers some rejects (an ENUM value
    # after a short line); the line holding the same text nearest to it is the one.
    corrected: dict[int, str] = {}
    for line, t in sorted(reader.items()):
        same = [n for n, u in found.items() if u == t.rstrip("\r") and n not in corrected]
        corrected[min(same, key=lambda n: abs(n - line)) if same else line] = t
    reader.clear()
    reader.update(corrected)
    set_dropped(read, first, [*reader, *blank])
    return found


def texts_by_count(read: Read, plain: Path, text: Text, first: int, key_at: int,
                   repeated: bool) -> dict[int, str] | None:
    """The text of every rejected line (and of every line holding a repeated key), read by
    position in one pass over the file's bytes, when the reader kept every line: then a
    row's position is its line. None when that does not hold (the file's line breaks are
    more than the rows read: blank lines the reader skipped; or an encoding where a byte
    0x0A need not be a line break, or a BOM), and ``locate`` scans the file instead.

    For a file whose rejects are all rule breaks (the usual case) this reads the file at
    the disk's pace in Python, where the line scan in DuckDB parsed every line again. Each
    line found must hold its row's key (field ``key_at``): the positions rest on DuckDB
    keeping the file's order in the check table, and a line that does not match stops the
    ingest (``IngestError``) rather than name the wrong line."""
    if text.encoding.lower() not in _ASCII_SUPERSETS:
        return None
    con = read.con
    rows = con.execute(f"SELECT count(*) FROM {read.table}").fetchall()[0][0]
    keys = {int(p): k for p, k in con.execute(_wanted(read, repeated)).fetchall()}
    wanted = sorted(keys)
    starts: dict[int, int] = {1: 0}  # line -> the offset where it starts
    breaks = offset = 0  # line breaks and bytes before the current chunk
    at = 0  # the next wanted line's index
    last = b""
    with open(plain, "rb") as handle:
        # Chunks of 1 MB: counting is as fast as in larger ones, and no chunk is copied.
        while chunk := handle.read(1 << 20):
            found = chunk.count(b"\n")
            # Line n starts after the (n - 1)th line break. The wanted lines are sorted, so
            # the search goes on from the last one found (one walk per chunk, however many
            # lines were rejected in it).
            pos, seen = -1, breaks  # seen: the line breaks up to and including ``pos``
            while at < len(wanted) and wanted[at] - 1 <= breaks + found:
                if wanted[at] > 1:
                    for _ in range(wanted[at] - 1 - seen):
                        pos = chunk.find(b"\n", pos + 1)
                    seen = max(seen, wanted[at] - 1)
                    starts[wanted[at]] = offset + pos + 1
                at += 1
            breaks += found
            offset += len(chunk)
            last = chunk[-1:]
        if last != b"\n" or breaks != first - 1 + rows or at < len(wanted):
            return None
        texts: dict[int, str] = {}
        for line in wanted:
            handle.seek(starts[line])
            if line == 1 and handle.read(3) == b"\xef\xbb\xbf":
                return None  # a BOM: DuckDB's first line need not be these bytes
            handle.seek(starts[line])
            texts[line] = handle.readline().decode(text.encoding, errors="replace").rstrip(
                "\r\n")
    for line, held in texts.items():
        if not _same_key(_field(held, text, key_at), keys[line]):
            raise IngestError(
                f"{read.file}: the rows read are not in the file's order, so the rejected lines "
                "cannot be named; nothing was ingested (a fault in detente: please report it)",
                [Problem(f"line {line} holds key {_field(held, text, key_at)!r}, the row read "
                         f"there {keys[line]!r}", file=read.file, line=line)])
    return texts


def _same_key(field: str, key: str | None) -> bool:
    """Whether a line's key field is the key its row was read with (a number as the reader
    typed it, so ``007`` is ``7``)."""
    if key is None or field == "":
        return key is None and field == ""
    try:
        return int(field) == int(key)
    except ValueError:
        return field == key


def _field(line: str, text: Text, at: int) -> str:
    """Field ``at`` of a line of the file (quotes and spaces trimmed), "" past its end."""
    parts = line.split(text.delimiter)
    return parts[at].strip().strip(text.quote or " ") if at < len(parts) else ""


def by_key(plain: Path, text: Text, first: int, key_at: int, keys: Sequence[int],
           breaks: LineBreaks | None = None) -> tuple[dict[int, tuple[int, str]], int] | None:
    """The line (number, text) holding each of ``keys`` (integers, field ``key_at``) and the
    file's line count, or None when a key is not found this way.

    Each key is found by binary search over the file's bytes, which holds for a file whose
    rows are in ascending key order (GDELT's raw exports, numbered as they are written); a
    line found holds the key (it is read back), so a file in another order gives None, never a
    wrong line. The caller makes sure no other line holds the same key. The line breaks are
    counted by ``breaks`` (perhaps already, beside other work), or here."""
    if text.encoding.lower() not in _ASCII_SUPERSETS or text.quote:
        return None  # a quoted field may hold the delimiter or a line break
    with open(plain, "rb") as handle:
        found: dict[int, int] = {}
        if keys:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                searched = _search(data, text, first, key_at, sorted(set(keys)))
            if searched is None:
                return None
            found = searched
        counts = (breaks or LineBreaks(plain)).counts()
        numbers, total = _count_lines(handle, sorted(found.values()), counts)
        lines: dict[int, tuple[int, str]] = {}
        for key, start in found.items():
            handle.seek(start)
            lines[key] = (numbers[start], handle.readline().decode(
                text.encoding, errors="replace").rstrip("\r\n"))
    return lines, total


class LineBreaks:
    """A file's line breaks counted per 1 MB chunk in a background thread, started on demand
    (by the one-statement ingest at its first rejected row, so the count runs beside DuckDB's
    INSERT instead of after it). ``counts`` waits for it; ``stop`` ends it early."""

    def __init__(self, path: Path):
        self.path = path
        self._counts: list[int] = []
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._count, daemon=True,
                                                name="detente-line-breaks")
                self._thread.start()

    def _count(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                while not self._stopped and (chunk := handle.read(_CHUNK)):
                    self._counts.append(chunk.count(b"\n"))
        except OSError as exc:
            self._error = exc

    def counts(self) -> list[int]:
        """The line breaks of each 1 MB chunk of the file, in order."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._counts

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        if self._thread is not None:
            self._thread.join()


_CHUNK = 1 << 20


def _search(data: mmap.mmap, text: Text, first: int, key_at: int,
            keys: list[int]) -> dict[int, int] | None:
    """The offset of the line holding each key (binary search, see ``by_key``), or None."""
    size, begin = len(data), 0
    for _ in range(first - 1):  # past the header
        begin = data.find(b"\n", begin) + 1
        if begin == 0:
            return None

    def line_at(offset: int) -> tuple[int, int] | None:
        """(start, end) of the first non-blank line starting at or after ``offset``."""
        start = begin
        if offset > begin:
            start = data.find(b"\n", offset - 1) + 1
            if start == 0:
                return None
        while start < size:
            end = data.find(b"\n", start)
            end = size if end < 0 else end
            if data[start:end].strip(b"\r"):
                return start, end
            start = end + 1
        return None

    def key_of(span: tuple[int, int]) -> int:
        held = data[span[0]:span[1]].decode(text.encoding, errors="replace").rstrip("\r")
        return int(_field(held, text, key_at))

    found: dict[int, int] = {}
    try:
        for key in keys:
            low, high = begin, size
            while low < high:
                middle = (low + high) // 2
                span = line_at(middle)
                if span is not None and key_of(span) < key:
                    low = span[1] + 1
                else:
                    high = middle
            span = line_at(low)
            if span is None or key_of(span) != key:
                return None
            found[key] = span[0]
    except ValueError:  # a key field that is not an integer: not a file in key order
        return None
    return found


def _count_lines(handle, starts: list[int], counts: list[int]) -> tuple[dict[int, int], int]:
    """The line number of each offset in ``starts`` and the file's line count, from each 1 MB
    chunk's count of line breaks (``counts``) and the part of a chunk before each offset."""
    before = list(itertools.accumulate(counts, initial=0))
    numbers: dict[int, int] = {}
    for start in starts:
        chunk = start // _CHUNK
        handle.seek(chunk * _CHUNK)
        numbers[start] = before[chunk] + handle.read(start - chunk * _CHUNK).count(b"\n") + 1
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size:
        handle.seek(size - 1)
    return numbers, before[-1] + (size > 0 and handle.read(1) != b"\n")
