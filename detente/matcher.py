"""One compiler from an agreement's commitments to event matchers.

The monitor, the what-if, the temptation-rate estimate, watch and the tension index all find
the events that break (or fulfil) a commitment through ``compile(agreement)``, so they agree on
what matches and on what the record can see:

* An event **breaks** a commitment when its party did it (``spec.by_party``: the actor, or one
  of ``attrs.parties``) and it matches one of the commitment's ``refrains_from`` selectors; it
  **fulfils** an undertaking when the party did it and it matches the undertaking's selector.
* An event is **in force** on every day from ``date`` to ``end`` (``date`` alone when it has no
  end); it counts in a window or a period it overlaps.
* SQL decides wherever it can say exactly what a selector means (string and list attributes);
  where a selector tests a number or a boolean, SQL narrows the candidates and the spec's own
  Python test decides.
* A commitment is **observable** on a day at the level the store's coverage declarations give
  every one of its selectors (``detente.events.coverage``): ``complete``, ``partial`` (thin) or
  ``none`` (blind). A store without declarations sees everything and says so (``declared``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.agreements.spec import Agreement, Commitment, Selector, Undertaking
from detente.events import coverage
from detente.events.event import Event
from detente.events.kinds import attr_specs
from detente.events.query import EventFilter
from detente.sql import literal

EPOCH = dt.date(1970, 1, 1)


def _list(values: Sequence[Any]) -> str:
    return ", ".join(literal(v) for v in values)


def party_sql(party: str) -> str:
    """SQL (over the store's public event columns) for ``spec.by_party(event, party)``."""
    # CASE evaluates lazily: the JSON list is only parsed for rows that name parties at all.
    return (f"(CASE WHEN actor = {literal(party)} THEN true "
            "WHEN contains(CAST(attrs AS VARCHAR), '\"parties\"') THEN coalesce(list_contains("
            f"json_extract_string(attrs, '$.parties[*]'), {literal(party)}), false) "
            "ELSE false END)")


def selector_sql(selector: Selector | Undertaking) -> tuple[str, bool]:
    """SQL for ``selector.matches(event)`` and whether it is exact (else a superset: values of
    numeric or boolean attributes are checked in Python afterwards)."""
    parts = [f"kind = {literal(selector.kind.value)}"]
    exact = True
    target = getattr(selector, "target", None)
    if target is not None:
        parts.append(f"target IN ({_list(target)})" if target else "false")
    specs = attr_specs(selector.kind)
    for name, value in selector.where.items():
        accepted = list(value) if isinstance(value, list) else [value]
        spec = specs[name]
        if not all(isinstance(v, str) for v in accepted) or spec.type not in ("str", "date",
                                                                               "list"):
            exact = False
            continue
        if spec.type == "list":
            parts.append(f"coalesce(list_has_any(json_extract_string(attrs, '$.\"{name}\"[*]'), "
                         f"[{_list(accepted)}]), false)")
        else:
            parts.append(f"coalesce(json_extract_string(attrs, '$.\"{name}\"') IN "
                         f"({_list(accepted)}), false)")
    return "(" + " AND ".join(parts) + ")", exact


@dataclass(frozen=True)
class Rule:
    """What one commitment forbids (``undertaking`` None) or one undertaking asks for."""

    position: int                 # the commitment's position in the spec
    commitment: Commitment
    undertaking: Undertaking | None
    sql: str
    exact: bool

    @property
    def party(self) -> str:
        return self.commitment.party

    @property
    def column(self) -> str:
        """The flag column of this rule in ``Matcher.frame`` and ``Matcher.relation``."""
        if self.undertaking is None:
            return f"_c{self.position}"
        j = self.commitment.undertakes.index(self.undertaking)
        return f"_u{self.position}_{j}"

    @property
    def selectors(self) -> tuple[Selector, ...]:
        if self.undertaking is None:
            return tuple(self.commitment.refrains_from)
        return (self.undertaking.selector,)

    def matches(self, event: Event) -> bool:
        if self.undertaking is None:
            return self.commitment.is_breach(event)
        from detente.agreements.spec import by_party

        return by_party(event, self.party) and self.undertaking.selector.matches(event)

    def targets(self) -> list[coverage.Target]:
        """What the record must cover to see this rule kept or broken."""
        return [coverage.Target(s.kind.value, self.party, s.where) for s in self.selectors]


@dataclass(frozen=True)
class Observability:
    """Per commitment id, the spans of days at each level over ``start..end``."""

    start: dt.date
    end: dt.date
    by_commitment: dict[str, tuple[coverage.Span, ...]]
    declared: bool = True
    labels: dict[str, str] = field(default_factory=dict)   # commitment -> what must be seen

    def gaps(self, level: coverage.Level = "none") -> list[tuple[str, coverage.Span]]:
        """(commitment, span) for every span at ``level``, in date order."""
        out = [(cid, s) for cid, spans in self.by_commitment.items() for s in spans
               if s.level == level]
        return sorted(out, key=lambda item: (item[1].start, item[0]))

    def first_gap(self, commitment: str, on_or_after: dt.date,
                  level: coverage.Level = "none") -> coverage.Span | None:
        for span in self.by_commitment.get(commitment, ()):
            if span.level == level and span.end >= on_or_after:
                return span
        return None

    def level_on(self, commitment: str, day: dt.date) -> coverage.Level:
        for span in self.by_commitment.get(commitment, ()):
            if span.start <= day <= span.end:
                return span.level
        return "none"

    def intervals(self, commitment: str, level: coverage.Level = "none"
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Day numbers (since 1970-01-01) of the first and last day of each span at ``level``."""
        chosen = [s for s in self.by_commitment.get(commitment, ()) if s.level == level]
        first = np.array([(s.start - EPOCH).days for s in chosen], np.int64)
        last = np.array([(s.end - EPOCH).days for s in chosen], np.int64)
        return first, last

    def to_json_dict(self) -> dict[str, Any]:
        return {"declared": self.declared, "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "commitments": {cid: {"needs": self.labels.get(cid, ""),
                                      "spans": [s.to_json_dict() for s in spans]}
                                for cid, spans in self.by_commitment.items()}}


@dataclass(frozen=True)
class Matcher:
    """The compiled form of an agreement: one rule per commitment and per undertaking."""

    agreement: Agreement
    rules: tuple[Rule, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every event kind the rules mention."""
        return tuple(sorted({s.kind.value for r in self.rules for s in r.selectors}))

    def acts(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.undertaking is None)

    def relation(self, store, start: dt.date, end: dt.date,
                 rules: Sequence[Rule] | None = None):
        """Events in force in ``start..end`` that some rule may match, with one boolean flag
        column per rule (exact only where ``rule.exact``)."""
        rules = list(self.rules if rules is None else rules)
        kinds = sorted({s.kind.value for r in rules for s in r.selectors})
        rel = store.relation(EventFilter(kind=tuple(kinds), start=start, end=end))
        if not rules:
            return rel.filter("false")
        flags = ", ".join(f"{r.sql} AS {r.column}" for r in rules)
        return rel.filter(" OR ".join(r.sql for r in rules)).project(f"*, {flags}")

    def events(self, store, start: dt.date, end: dt.date,
               rules: Sequence[Rule] | None = None) -> Iterator[tuple[Event, tuple[Rule, ...]]]:
        """Each event in force in ``start..end`` that some rule matches, with those rules."""
        rules = list(self.rules if rules is None else rules)
        if not rules:
            return
        for batch in self.relation(store, start, end, rules).to_arrow_reader(batch_size=10_000):
            for row in batch.to_pylist():
                marks = {r.column: row.pop(r.column) for r in rules}
                event = Event.from_row(row)
                hit = tuple(r for r in rules if marks[r.column] and (r.exact or r.matches(event)))
                if hit:
                    yield event, hit

    def frame(self, store, start: dt.date, end: dt.date,
              rules: Sequence[Rule] | None = None) -> pd.DataFrame:
        """Matching events as day numbers: ``id``, ``d`` (first day), ``l`` (last day) and one
        exact boolean column per rule, sorted by (date, id)."""
        rules = list(self.rules if rules is None else rules)
        days = ("datediff('day', DATE '1970-01-01', date) AS d, "
                "datediff('day', DATE '1970-01-01', coalesce(\"end\", date)) AS l")
        rel = self.relation(store, start, end, rules)
        columns = [r.column for r in rules]
        if all(r.exact for r in rules):
            frame = rel.project(f"id, {days}{''.join(', ' + c for c in columns)}"
                                ).order("d, id").df()
            for c in columns:
                frame[c] = frame[c].astype(bool)
            return frame
        records = rel.project(f"*, {days}").order("d, id").to_arrow_table().to_pylist()
        frame = pd.DataFrame({"id": [r["id"] for r in records],
                              "d": np.array([r["d"] for r in records], np.int64),
                              "l": np.array([r["l"] for r in records], np.int64)})
        public = [k for k in (records[0] if records else {})
                  if not k.startswith("_") and k not in ("d", "l")]
        events = [Event.from_row({k: r[k] for k in public}) for r in records]
        for rule in rules:
            frame[rule.column] = np.array(
                [bool(r[rule.column]) and (rule.exact or rule.matches(e))
                 for r, e in zip(records, events, strict=True)], dtype=bool)
        return frame

    def observability(self, store, start: dt.date, end: dt.date,
                      declarations: Sequence[coverage.Coverage] | None = None) -> Observability:
        """How well the record sees each commitment over ``start..end`` (refrains and
        undertakings together)."""
        declarations = store.coverage() if declarations is None else declarations
        by_commitment: dict[str, tuple[coverage.Span, ...]] = {}
        labels: dict[str, str] = {}
        for c in self.agreement.commitments:
            targets = [t for r in self.rules if r.commitment.id == c.id for t in r.targets()]
            labels[c.id] = "; ".join(dict.fromkeys(t.label() for t in targets))
            if declarations:
                by_commitment[c.id] = coverage.spans(declarations, targets, start, end)
            else:
                by_commitment[c.id] = (coverage.Span(start, end, "complete"),) \
                    if end >= start else ()
        return Observability(start, end, by_commitment, declared=bool(declarations),
                             labels=labels)


def compile(agreement: Agreement) -> Matcher:
    """The agreement's rules: each commitment's refrains, then each of its undertakings."""
    rules: list[Rule] = []
    for i, c in enumerate(agreement.commitments):
        if c.refrains_from:
            pieces = [selector_sql(s) for s in c.refrains_from]
            sql = (f"({party_sql(c.party)} AND ("
                   + " OR ".join(p for p, _ in pieces) + "))")
            rules.append(Rule(i, c, None, sql, all(e for _, e in pieces)))
        for u in c.undertakes:
            usql, exact = selector_sql(u)
            rules.append(Rule(i, c, u, f"({party_sql(c.party)} AND {usql})", exact))
    return Matcher(agreement, tuple(rules))


def day_number(value: dt.date) -> int:
    return (value - EPOCH).days




def from_day_number(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))
