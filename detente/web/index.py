"""Event queries for the API: an in-memory index for the common filters, SQL for the rest.

``GET /api/events`` must answer in milliseconds with a million events and many clients, but
scanning a million rows per request in DuckDB costs tens of milliseconds of CPU. So the server
keeps a read-only snapshot: every event as an Arrow table sorted like the store's queries
(``date, id``), with the filter columns as integer codes. A query with actor, target,
involving, kind, source and date filters is a binary search on the dates plus a few vectorised
comparisons; the page is ``take``n from the table. Attribute conditions (``where``), ``text``
and ``ids`` go to DuckDB (``sql_page``), which returns the same rows in the same order.

The snapshot is rebuilt when the store changes (``StoreAccess.signature``), and not built at
all above ``Settings.index_max_events`` events (memory: about 130 MB per million events).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detente.events.event import json_record
from detente.events.query import EventFilter
from detente.events.store import EVENT_COLUMNS, Store
from detente.web.access import StoreAccess

EPOCH = np.datetime64("1970-01-01", "D")
_COLUMNS = ", ".join(f'e."{c}"' for c in EVENT_COLUMNS)
_ALSO = ("coalesce((SELECT list({'source': a.source, 'source_ref': a.source_ref} "
         "ORDER BY a.source, a.source_ref) FROM aliases a WHERE a.event_id = p.id), []) AS also")


def _day(value) -> np.int32:
    # An int32 like the arrays searched: a Python int would make numpy cast the whole array.
    return np.int32((np.datetime64(value, "D") - EPOCH).astype(np.int64))


def sql_page(store: Store, flt: EventFilter) -> tuple[int, list[dict[str, Any]]]:
    """(total matching, the page) straight from DuckDB: the page is cut before the sources
    (``also``) are gathered, so only its own rows pay for them."""
    where, params = flt.sql()
    limit = f"LIMIT {int(flt.limit)}" if flt.limit is not None else ""
    offset = f"OFFSET {int(flt.offset)}" if flt.offset else ""
    sql = (f"WITH p AS (SELECT {_COLUMNS} FROM events e {where} ORDER BY e.date, e.id "
           f"{limit} {offset}) SELECT p.*, {_ALSO} FROM p ORDER BY p.date, p.id")
    cursor = store.con.cursor()
    try:
        rows = cursor.sql(sql, params=params).to_arrow_table().to_pylist()
        total = cursor.execute(f"SELECT count(*) FROM events e {where}",
                               params).fetchall()[0][0]
    finally:
        cursor.close()
    return int(total), [json_record(r) for r in rows]


@dataclass(frozen=True)
class _Codes:
    codes: np.ndarray                 # int32 per row, -1 for null
    lookup: dict[str, int]            # value -> code
    positions: dict[int, np.ndarray]  # code -> its rows, ascending (int32)

    @classmethod
    def of(cls, column: pa.ChunkedArray | pa.Array) -> _Codes:
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        order = np.argsort(codes, kind="stable").astype(np.int32)
        bounds = np.searchsorted(codes[order], np.arange(len(encoded.dictionary) + 1))
        positions = {c: order[bounds[c]:bounds[c + 1]] for c in range(len(encoded.dictionary))}
        return cls(codes, {v: i for i, v in enumerate(encoded.dictionary.to_pylist())},
                   positions)

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
        self.columns = {c: _Codes.of(self.table.column(c))
                        for c in ("actor", "target", "kind", "source")}
        self.parties = self._parties()
        self.also: dict[str, list[dict[str, str]]] = {}
        for event_id, refs in store.con.execute(
                "SELECT event_id, list({'source': source, 'source_ref': source_ref} "
                "ORDER BY source, source_ref) FROM aliases GROUP BY event_id").fetchall():
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

        Work is proportional to the rows of the most selective filter, not to the store: the
        date range is two binary searches, and each value filter has its rows precomputed.
        """
        lo, hi = 0, self.size
        if flt.end is not None:
            hi = int(np.searchsorted(self.d, _day(flt.end), "right"))
        start = _day(flt.start) if flt.start is not None else None
        if start is not None:
            lo = int(np.searchsorted(self.reach, start, "left"))
        if hi <= lo:
            return 0, []
        filters = [(n, tuple(getattr(flt, n))) for n in ("actor", "target", "kind", "source")
                   if getattr(flt, n)]
        if not filters and not flt.involving:
            return self._range_page(flt, lo, hi, start)
        candidates = [(self.columns[n].rows(v, lo, hi), n) for n, v in filters]
        if flt.involving:
            candidates.append((self._involving_rows(flt.involving, lo, hi), "involving"))
        rows, chosen = min(candidates, key=lambda c: len(c[0]))
        keep = np.ones(len(rows), bool)
        for name, values in filters:
            if name != chosen:
                keep &= self.columns[name].test(values, rows)
        if flt.involving and chosen != "involving":
            keep &= np.isin(rows, self._involving_rows(flt.involving, lo, hi))
        if start is not None:
            # Rows dated before the start count only while in force; later ones all count.
            early = int(np.searchsorted(rows, np.searchsorted(self.d, start, "left")))
            keep[:early] &= self.last[rows[:early]] >= start
        rows = rows[keep]
        stop = None if flt.limit is None else flt.offset + flt.limit
        return len(rows), self._records(rows[flt.offset:stop])

    def _range_page(self, flt: EventFilter, lo: int, hi: int,
                    start: np.int32 | None) -> tuple[int, list[dict[str, Any]]]:
        """Only a date range: rows dated from the start on all match, so only the few rows
        dated before it (but perhaps still in force) are tested one by one."""
        split = lo if start is None else max(lo, int(np.searchsorted(self.d, start, "left")))
        split = min(split, hi)
        early = lo + np.flatnonzero(self.last[lo:split] >= start) if split > lo \
            else np.empty(0, np.int64)
        total = len(early) + (hi - split)
        first = flt.offset
        stop = total if flt.limit is None else min(total, first + flt.limit)
        if first >= stop:
            return total, []
        page = np.concatenate([early[first:stop],
                               np.arange(split + max(0, first - len(early)),
                                         split + max(0, stop - len(early)))])
        return total, self._records(page)

    def _records(self, rows: np.ndarray) -> list[dict[str, Any]]:
        if not len(rows):
            return []
        # Column-wise conversion: several times cheaper than Table.to_pylist's row dicts.
        columns = self.table.take(pa.array(rows.astype(np.int64))).to_pydict()
        names = list(columns)
        out = []
        for values in zip(*columns.values(), strict=True):
            row = dict(zip(names, values, strict=True))
            row["also"] = self.also.get(row["id"], [])
            out.append(json_record(row))
        return out

    def _involving_rows(self, parties: tuple[str, ...], lo: int, hi: int) -> np.ndarray:
        parts = [self.columns["actor"].rows(parties, lo, hi),
                 self.columns["target"].rows(parties, lo, hi)]
        for party in parties:
            rows = self.parties.get(party)
            if rows is not None:
                parts.append(rows[(rows >= lo) & (rows < hi)])
        return np.unique(np.concatenate(parts))


class EventQueries:
    """Answers event queries from the current snapshot, rebuilding it when the store changed;
    falls back to SQL for filters the index does not cover or stores too big to index."""

    def __init__(self, access: StoreAccess, max_events: int):
        self.access = access
        self.max_events = max_events
        self._index: EventIndex | None = None
        self._lock = threading.Lock()
        self._too_big_at: tuple | None = None

    def fresh(self) -> EventIndex | None:
        """The snapshot if it is up to date (no rebuild, no store access), else None."""
        index = self._index
        return index if index is not None and index.signature == self.access.signature() \
            else None

    def current(self) -> EventIndex | None:
        signature = self.access.signature()
        index = self._index
        if index is not None and index.signature == signature:
            return index
        if self._too_big_at == signature:
            return None
        with self._lock:
            signature = self.access.signature()
            if self._index is not None and self._index.signature == signature:
                return self._index
            with self.access.read() as store:
                # Taken again while open read-only: no other process can write now, so this
                # is exactly the state the snapshot reads.
                signature = self.access.signature()
                if self._index is not None and self._index.signature == signature:
                    return self._index
                if store.count() > self.max_events:
                    self._index, self._too_big_at = None, signature
                    return None
                self._index = EventIndex(store, signature)
            return self._index

    def page(self, flt: EventFilter) -> tuple[int, list[dict[str, Any]]]:
        if EventIndex.supports(flt):
            index = self.current()
            if index is not None:
                return index.query(flt)
        with self.access.read() as store:
            return sql_page(store, flt)

    def get(self, event_id: str) -> dict[str, Any] | None:
        with self.access.read() as store:
            event = store.get(event_id)
        return event.to_json_dict() if event is not None else None
