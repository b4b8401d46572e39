"""Event filters: one value object turned into SQL for the store, the CLI and the web API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from detente.dates import parse_date
from detente.errors import ParameterError
from detente.events.kinds import COMMON_ATTRS, KIND_ATTRS, Kind

_KINDS = frozenset(k.value for k in Kind)
_CONDITION_RE = re.compile(
    r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>.*)$")
_LIST_ATTRS = {name for name, spec in COMMON_ATTRS.items() if spec.type == "list"} | {
    name for specs in KIND_ATTRS.values() for name, spec in specs.items() if spec.type == "list"}


@dataclass(frozen=True)
class Condition:
    """A test on one attribute: ``class=ICBM,IRBM``, ``apogee_km>=1000``, ``status!=held``."""

    key: str
    op: str
    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION_RE.match(text.strip())
        if not match:
            raise ParameterError.single(
                "expected KEY=VALUE (or !=, >=, <=, >, <), e.g. class=ICBM or apogee_km>=1000",
                field="where", value=text)
        op, raw = match["op"], match["value"].strip()
        values = tuple(v.strip() for v in raw.split(",")) if op in ("=", "!=") else (raw,)
        if not all(values):
            raise ParameterError.single("empty value", field="where", value=text)
        if op not in ("=", "!=") and _number(raw) is None:
            raise ParameterError.single(f"'{op}' needs a number", field="where", value=text)
        return cls(match["key"], op, values)

    def sql(self) -> tuple[str, list[Any]]:
        path = f'$."{self.key}"'
        if self.op in ("=", "!="):
            marks = ", ".join("?" for _ in self.values)
            params: list[Any] = list(self.values)
            if self.key in _LIST_ATTRS:
                test = f"list_has_any(json_extract_string(e.attrs, '{path}[*]'), [{marks}])"
            else:
                test = f"json_extract_string(e.attrs, '{path}') IN ({marks})"
                numbers = [n for n in map(_number, self.values) if n is not None]
                if numbers:  # apogee_km=2802 matches a stored 2802.0 (numbers, not text)
                    test = (f"({test} OR (json_type(e.attrs, '{path}') IN "
                            f"('BIGINT', 'UBIGINT', 'DOUBLE') AND CAST(json_extract(e.attrs, "
                            f"'{path}') AS DOUBLE) IN ({', '.join('?' for _ in numbers)})))")
                    params += numbers
            if self.op == "!=":
                test = f"NOT coalesce({test}, false)"
            return test, params
        return (f"TRY_CAST(json_extract_string(e.attrs, '{path}') AS DOUBLE) {self.op} ?",
                [float(self.values[0])])


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _as_tuple(value: str | Any | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def as_date(value: Any, name: str) -> dt.date | None:
    """``value`` as a date (``dates.parse_date``: a date or ``YYYY-MM-DD`` text)."""
    return parse_date(value, name)


@dataclass(frozen=True)
class EventFilter:
    """Which events to select. Every field is optional; fields combine with AND, values within
    a field with OR. ``start``/``end`` select events that overlap the range."""

    actor: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    involving: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    where: tuple[Condition, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    text: str | None = None
    source: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        for name in ("actor", "target", "involving", "kind", "source", "ids"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))
        # Stored as ingest normalises them: actor codes upper case, kinds lower case.
        for name in ("actor", "target", "involving"):
            object.__setattr__(self, name, tuple(v.upper() for v in getattr(self, name)))
        object.__setattr__(self, "kind", tuple(k.lower() for k in self.kind))
        where = self.where
        if isinstance(where, str | Condition):
            where = (where,)
        object.__setattr__(self, "where", tuple(
            w if isinstance(w, Condition) else Condition.parse(w) for w in where or ()))
        object.__setattr__(self, "start", as_date(self.start, "start"))
        object.__setattr__(self, "end", as_date(self.end, "end"))
        for k in self.kind:
            if k not in _KINDS:
                raise ParameterError.single(
                    f"unknown kind; expected one of {', '.join(sorted(_KINDS))}",
                    field="kind", value=k)
        if self.start and self.end and self.end < self.start:
            raise ParameterError.single(f"end is before start {self.start}", field="end",
                                        value=str(self.end))
        if self.limit is not None and self.limit < 0:
            raise ParameterError.single("must be >= 0", field="limit", value=self.limit)
        if self.offset < 0:
            raise ParameterError.single("must be >= 0", field="offset", value=self.offset)

    def sql(self, span_days: int | None = None) -> tuple[str, list[Any]]:
        """A ``WHERE`` clause over ``events e`` and its parameters ('' when unfiltered).

        ``span_days``, the longest event in the store (``end - date``), bounds how early an
        event overlapping ``start`` can begin; the extra ``date >= start - span`` test changes
        no result but lets DuckDB skip row groups (events are stored in date order).
        """
        clauses: list[str] = []
        params: list[Any] = []

        def one_of(column: str, values: tuple[str, ...]) -> None:
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)

        one_of("e.actor", self.actor)
        one_of("e.target", self.target)
        one_of("e.kind", self.kind)
        one_of("e.source", self.source)
        one_of("e.id", self.ids)
        if self.involving:
            marks = ", ".join("?" for _ in self.involving)
            clauses.append(
                f"(e.actor IN ({marks}) OR e.target IN ({marks}) OR list_has_any("
                f"json_extract_string(e.attrs, '$.parties[*]'), [{marks}]))")
            params.extend(self.involving * 3)
        for condition in self.where:
            test, values = condition.sql()
            clauses.append(test)
            params.extend(values)
        if self.start is not None:
            clauses.append('coalesce(e."end", e.date) >= ?')
            params.append(self.start)
            if span_days is not None and self.start - dt.date.min > dt.timedelta(span_days):
                clauses.append("e.date >= ?")
                params.append(self.start - dt.timedelta(days=span_days))
        if self.end is not None:
            clauses.append("e.date <= ?")
            params.append(self.end)
        if self.text:
            # Literal text (no LIKE wildcards), in the summary or an attribute's value.
            clauses.append("(contains(lower(e.summary), lower(?)) OR contains(lower("
                           "array_to_string(json_extract_string(e.attrs, '$.*'), ' ')), "
                           "lower(?)))")
            params.extend([self.text] * 2)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
