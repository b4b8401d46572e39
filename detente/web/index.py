"""Event queries for the API: an in-memory index for the common filters, SQL for the rest.

``GET /api/events`` must answer in well under a millisecond of CPU with a million events and
many clients, but scanning a million rows per request in DuckDB costs tens of milliseconds.
So each server process keeps a read-only snapshot: every event as an Arrow table sorted like
the store's queries (``date, id``), with the filter columns as integer codes and each value's
rows precomputed. The rows matching a combination of value filters (actor, target, involving,
kind, source) are computed once, from the filter with the fewest rows, and cached (bounded:
about two entries per indexed event in total, least recently used out first); a query is then
a few binary searches for its date range plus its page, taken column by column from the
table. Attribute conditions (``where``), ``text`` and ``ids`` go to DuckDB (``sql_page``),
which returns the same rows in the same order.

The snapshot is rebuilt when the store changes (``StoreAccess.signature``, which sees other
processes' writes too), and not built at all above ``Settings.index_max_events`` events
(memory: about 130 MB per million events).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from detente.errors import LimitError
from detente.events.event import json_record
from detente.events.query import EventFilter
from detente.events.store import EVENT_COLUMNS, Store
from detente.web.access import StoreAccess

EPOCH = np.datetime64("1970-01-01", "D")
_TEXT = ("id", "attrs", "source_ref", "summary", "match_key")  # the rest come from codes
_MAX_DAYS_TABLE = 200_000  # a table of ISO dates for stores spanning up to ~550 years
_ENTRY_COST = 64  # what a cached entry costs beyond its rows, counted in rows
_COLUMNS = ", ".join(f'e."{c}"' for c in EVENT_COLUMNS)
# An attached event carries its further sources (``_also``); a stored one's are in aliases.
_ALSO = ("coalesce(p._also, (SELECT list({'source': a.source, 'source_ref': a.source_ref} "
         "ORDER BY a.source, a.source_ref) FROM aliases a WHERE a.event_id = p.id), []) "
         "AS also")


def _day(value) -> np.int32:
    # An int32 like the arrays searched: a Python int would make numpy cast the whole array.
    # (numpy's stubs type the difference as datetime.timedelta; it is a timedelta64)
    return np.int32((np.datetime64(value, "D") - EPOCH).astype(np.int64))  # type: ignore[attr-defined]


def sql_page(store: Store, flt: EventFilter,
             timeout: float | None = None) -> tuple[int, list[dict[str, Any]]]:
    """(total matching, the page) straight from DuckDB: the page is cut before the sources
    (``also``) are gathered, so only its own rows pay for them. Stopped after ``timeout``
    seconds (``LimitError``): attribute conditions and text scan every event."""
    where, params = flt.sql()
    limit = f"LIMIT {int(flt.limit)}" if flt.limit is not None else ""
    offset = f"OFFSET {int(flt.offset)}" if flt.offset else ""
    sql = (f"WITH p AS (SELECT {_COLUMNS}, e._also FROM events e {where} "
           f"ORDER BY e.date, e.id {limit} {offset}) SELECT p.* EXCLUDE (_also), {_ALSO} "
           "FROM p ORDER BY p.date, p.id")
    cursor = store.con.cursor()
    timer = threading.Timer(timeout, cursor.interrupt) if timeout else None
    try:
        if timer is not None:
            timer.start()
        rows = cursor.sql(sql, params=params).to_arrow_table().to_pylist()
        total = cursor.execute(f"SELECT count(*) FROM events e {where}",
                               params).fetchall()[0][0]
    except duckdb.InterruptException:
        raise LimitError(f"the query took more than {timeout:g} s; narrow it (fewer `where` "
                         "conditions or no `text`; an actor, kind or date range)") from None
    finally:
        if timer is not None:
            timer.cancel()
        cursor.close()
    return int(total), [json_record(r) for r in rows]


@dataclass(frozen=True)
class _Codes:
    codes: np.ndarray                 # int32 per row, -1 for null
    lookup: dict[str, int]            # value -> code
    positions: dict[int, np.ndarray]  # code -> its rows, ascending (int32)
    values: np.ndarray                # code -> value (objects), None last: code -1 is null

    @classmethod
    def of(cls, column: pa.ChunkedArray | pa.Array) -> _Codes:
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        order = np.argsort(codes, kind="stable").astype(np.int32)
        bounds = np.searchsorted(codes[order], np.arange(len(encoded.dictionary) + 1))
        positions = {c: order[bounds[c]:bounds[c + 1]] for c in range(len(encoded.dictionary))}
        names = encoded.dictionary.to_pylist()
        values = np.array([*names, None], dtype=object)
        return cls(codes, {v: i for i, v in enumerate(names)}, positions, values)

    def at(self, rows: np.ndarray) -> list[str | None]:
        """The values of ``rows``."""
        return self.values[self.codes[rows]].tolist()

    def wanted(self, values: tuple[str, ...]) -> list[int]:
        return [self.lookup[v] for v in values if v in self.lookup]

    def rows(self, values: tuple[str, ...], lo: int, hi: int) -> np.ndarray:
        """Rows in [lo, hi) holding one of ``values``, ascending."""
        parts = []
        for code in self.wanted(values):
            rows = self.positions[code]
            parts.append(rows[np.searchsorted(rows, lo):np.searchsorted(rows, hi)])
        if not parts:
            return np.empty(0, np.int32)
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    def test(self, values: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` hold one of ``values``."""
        wanted = self.wanted(values)
        found = self.codes[rows]
        if not wanted:
            return np.zeros(len(rows), bool)
        return found == wanted[0] if len(wanted) == 1 else np.isin(found, wanted)


class EventIndex:
    """An immutable snapshot of the store's events (see the module docstring)."""

    def __init__(self, store: Store, signature: tuple):
        self.signature = signature
        # False: taken within a clock tick of the store's last write, so a write just after
        # it might not change the signature; the snapshot is rebuilt once it settles.
        self.settled = True
        table = store.con.sql(
            f"SELECT {_COLUMNS} FROM events e ORDER BY e.date, e.id").to_arrow_table()
        self.table = table.combine_chunks()
        self.size = self.table.num_rows
        dates = self.table.column("date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
        ends = self.table.column("end")
        last = pc.coalesce(ends, self.table.column("date"))
        self.d = (dates - EPOCH).astype(np.int32)
        self.last = (last.to_numpy(zero_copy_only=False).astype("datetime64[D]")
                     - EPOCH).astype(np.int32)
        # Events are sorted by date; the running maximum of their last days is sorted too, so
        # "some event from here on may still be in force on day s" is a binary search.
        self.reach = np.maximum.accumulate(self.last) if self.size else self.last
        self.has_end = self.table.column("end").is_valid().to_numpy(zero_copy_only=False)
        self.text = self.table.select(_TEXT)  # shares the table's buffers
        self._first_day = int(min(self.d.min(), self.last.min())) if self.size else 0
        span = int(self.last.max()) - self._first_day + 1 if self.size else 0
        self._days = np.array(np.datetime_as_string(
            np.arange(self._first_day, self._first_day + span).astype("datetime64[D]")
        ).tolist(), dtype=object) if span <= _MAX_DAYS_TABLE else None
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cached = 0
        self._cache_budget = 2 * self.size + 1000 * _ENTRY_COST
        self.columns = {c: _Codes.of(self.table.column(c))
                        for c in ("actor", "target", "kind", "source", "confidence")}
        self.parties = self._parties()
        self.also: dict[str, list[dict[str, str]]] = {}
        for event_id, refs in store.con.execute(
                "SELECT event_id, list({'source': source, 'source_ref': source_ref} "
                "ORDER BY source, source_ref) FROM aliases GROUP BY event_id UNION ALL "
                "SELECT id, _also FROM events WHERE len(_also) > 0").fetchall():
            self.also[event_id] = refs

    def _parties(self) -> dict[str, np.ndarray]:
        """Row numbers naming each party in ``attrs.parties`` (few rows have the key)."""
        attrs = self.table.column("attrs")
        rows = np.flatnonzero(pc.match_substring(attrs, '"parties"').fill_null(False)
                              .to_numpy(zero_copy_only=False))
        found: dict[str, list[int]] = {}
        for row in rows:
            for party in json.loads(attrs[int(row)].as_py()).get("parties") or []:
                found.setdefault(party, []).append(int(row))
        return {p: np.array(r, np.int64) for p, r in found.items()}

    @staticmethod
    def supports(flt: EventFilter) -> bool:
        return not (flt.where or flt.text or flt.ids)

    def query(self, flt: EventFilter) -> tuple[int, list[dict[str, Any]]]:
        """(total matching, the page), exactly as ``sql_page`` would answer.

        The rows matching the value filters (actor, target, kind, source, involving) are found
        once per combination of values and kept (``_matching``); the date range is then a few
        binary searches in them, so a query costs about log(n) plus its page, not its matches.
        """
        lo, hi = 0, self.size
        if flt.end is not None:
            hi = int(np.searchsorted(self.d, _day(flt.end), "right"))
        start = _day(flt.start) if flt.start is not None else None
        split = lo
        if start is not None:
            lo = int(np.searchsorted(self.reach, start, "left"))
            split = int(np.searchsorted(self.d, start, "left"))
        if hi <= lo:
            return 0, []
        split = min(hi, max(lo, split))
        # Rows from lo to split are dated before the start: they count only while in force.
        key = self._key(flt)
        if key:
            rows = self._matching(key)
            a, b, c = np.searchsorted(rows, np.array([lo, split, hi], np.int32)).tolist()
            early, later, later_first, later_count = rows[a:b], rows[b:c], 0, c - b
        else:  # every row from split to hi matches: no array needed
            early, later, later_first, later_count = (np.arange(lo, split, dtype=np.int32),
                                                      None, split, hi - split)
        if len(early):
            early = early[self.last[early] >= start]
        total = len(early) + later_count
        first = flt.offset
        stop = total if flt.limit is None else min(total, first + flt.limit)
        if first >= stop:
            return total, []
        k0, k1 = max(0, first - len(early)), max(0, stop - len(early))
        tail = later[k0:k1] if later is not None else np.arange(later_first + k0,
                                                                 later_first + k1)
        head = early[first:stop]
        return total, self._records(np.concatenate([head, tail]) if len(head) else tail)

    @staticmethod
    def _key(flt: EventFilter) -> tuple:
        return tuple((name, tuple(sorted(set(getattr(flt, name)))))
                     for name in ("actor", "target", "kind", "source", "involving")
                     if getattr(flt, name))

    def _matching(self, key: tuple) -> np.ndarray:
        """Rows (ascending, read-only) matching every value filter in ``key``; kept in a cache
        bounded by rows held (each entry also counts a fixed overhead), least recently used
        out first."""
        with self._cache_lock:
            rows = self._cache.get(key)
            if rows is not None:
                self._cache.move_to_end(key)
                return rows
        rows = self._compute(key)
        with self._cache_lock:
            if key not in self._cache:
                self._cache[key] = rows
                self._cached += len(rows) + _ENTRY_COST
                while self._cached > self._cache_budget and len(self._cache) > 1:
                    _, old = self._cache.popitem(last=False)
                    self._cached -= len(old) + _ENTRY_COST
        return rows

    def _compute(self, key: tuple) -> np.ndarray:
        """Start from the filter with the fewest rows; test the others on those rows only."""
        candidates = [(self._involving_rows(values) if name == "involving"
                       else self.columns[name].rows(values, 0, self.size), name, values)
                      for name, values in key]
        rows, chosen, _ = min(candidates, key=lambda c: len(c[0]))
        keep = np.ones(len(rows), bool)
        for other, name, values in candidates:
            if name == "involving" and chosen != "involving":
                keep &= np.isin(rows, other, assume_unique=True)
            elif name != chosen and name != "involving":
                keep &= self.columns[name].test(values, rows)
        out = np.array(rows[keep], dtype=np.int32)  # a copy: never a view of the index
        out.flags.writeable = False
        return out

    def _records(self, rows: np.ndarray) -> list[dict[str, Any]]:
        """The page's rows as ``json_record`` would give them, built column by column: one
        ``take`` of the free-text columns, the others from their codes, dates from a table of
        ISO strings."""
        if not len(rows):
            return []
        taken = self.text.take(pa.array(rows, pa.int32()))
        ids, attrs, refs, summaries, keys = (taken.column(i).to_pylist()
                                             for i in range(taken.num_columns))
        dates = self._iso(self.d[rows])
        ends = [day if has else None
                for day, has in zip(self._iso(self.last[rows]), self.has_end[rows].tolist(),
                                    strict=True)]
        col = self.columns
        also = self.also
        return [{"id": i, "date": date, "end": end, "actor": actor, "target": target,
                 "kind": kind, "attrs": _attrs(attr), "source": source, "source_ref": ref,
                 "confidence": confidence, "summary": summary, "match_key": key,
                 "also": [dict(r) for r in refs_of] if (refs_of := also.get(i)) else []}
                for i, date, end, actor, target, kind, attr, source, ref, confidence, summary,
                key in zip(ids, dates, ends, col["actor"].at(rows), col["target"].at(rows),
                           col["kind"].at(rows), attrs, col["source"].at(rows), refs,
                           col["confidence"].at(rows), summaries, keys, strict=True)]

    def _iso(self, days: np.ndarray) -> list[str]:
        """ISO dates of day numbers: looked up in a table of the store's span of days (numpy's
        conversion costs ~0.3 us a date), converted when the span is too long to tabulate."""
        if self._days is not None:
            return self._days[days - self._first_day].tolist()
        return np.datetime_as_string(days.astype("datetime64[D]")).tolist()

    def _involving_rows(self, parties: tuple[str, ...]) -> np.ndarray:
        parts = [self.columns["actor"].rows(parties, 0, self.size),
                 self.columns["target"].rows(parties, 0, self.size)]
        parts += [self.parties[p] for p in parties if p in self.parties]
        return np.unique(np.concatenate(parts).astype(np.int32))


def _attrs(text: str | None) -> dict[str, Any]:
    """``attrs`` as ``json_record`` parses it: orjson (several times faster), or the standard
    library for what orjson refuses (NaN, integers over 64 bits)."""
    if not text or text == "{}":
        return {}
    try:
        return orjson.loads(text) or {}
    except orjson.JSONDecodeError:
        return json.loads(text) or {}


class EventQueries:
    """Answers event queries from the current snapshot, rebuilding it when the store changed;
    falls back to SQL for filters the index does not cover or stores too big to index."""

    def __init__(self, access: StoreAccess, max_events: int, query_seconds: float | None = None):
        self.access = access
        self.max_events = max_events
        self.query_seconds = query_seconds
        self._index: EventIndex | None = None
        self._lock = threading.Lock()
        self._too_big_at: tuple | None = None

    def _valid(self, index: EventIndex | None, signature: tuple) -> bool:
        return index is not None and index.signature == signature and (
            index.settled or not self.access.settled(signature))

    def fresh(self) -> EventIndex | None:
        """The snapshot if it is up to date (no rebuild, no store access), else None."""
        index = self._index
        return index if self._valid(index, self.access.signature()) else None

    def current(self, wait: bool = False) -> EventIndex | None:
        """The snapshot, rebuilt first if the store changed. While another request of this
        process rebuilds it, the previous snapshot answers (unless ``wait``): a rebuild takes
        about 0.5 s per million events, and every reader queued behind it made the p99 of
        reads mixed with writes over a second."""
        signature = self.access.signature()
        index = self._index
        if self._valid(index, signature):
            return index
        if self._too_big_at == signature:
            return None
        if wait or index is None:
            self._lock.acquire()
        elif not self._lock.acquire(blocking=False):
            return index  # at most one rebuild behind: the one under way
        try:
            signature = self.access.signature()
            if self._valid(self._index, signature):
                return self._index
            with self.access.read() as store:
                # Taken again while open read-only: no other process can write now, so this
                # is exactly the state the snapshot reads.
                signature = self.access.signature()
                if self._valid(self._index, signature):
                    return self._index
                if store.count() > self.max_events:
                    self._index, self._too_big_at = None, signature
                    return None
                index = EventIndex(store, signature)
                # Judged once built, still inside the read (no write can have happened yet):
                # a build slower than a clock tick is settled, and is not built twice.
                index.settled = self.access.settled(signature)
                self._index = index
            return self._index
        finally:
            self._lock.release()

    def page(self, flt: EventFilter) -> tuple[int, list[dict[str, Any]]]:
        if EventIndex.supports(flt):
            index = self.current()
            if index is not None:
                return index.query(flt)
        with self.access.read() as store:
            return sql_page(store, flt, self.query_seconds)

    def get(self, event_id: str) -> dict[str, Any] | None:
        with self.access.read() as store:
            event = store.get(event_id)
        return event.to_json_dict() if event is not None else None
