"""The compliance monitor: replay an agreement against the event record.

Semantics (documented in full in docs/agreements.md):

* The **window** is ``[start, end]``, both days included; an open end runs to ``as_of`` (by
  default the last day of the record). ``check(..., start=, end=)`` replays any proposal over any
  window.
* An **act** breaks a commitment when it is done by the commitment's party (``spec.by_party``:
  the actor, or one of ``attrs.parties``) and matches one of its ``refrains_from`` selectors.
  A multi-day event counts when it **overlaps** the window; its date in the report is the first
  day it is in force inside the window (``max(event.date, start)``): an exercise already under
  way on the start day and carried on is a breach on the start day.
* A **default** is a missed positive obligation (``undertakes``): no matching act by the party
  inside ``[start, deadline]``; it is dated ``deadline + 1``.
* Acts and defaults are taken in order of (date, commitment order in the spec, act before
  default, event date, event id). Each is a **breach** unless its party had been **released**
  (``reciprocity``) by another party's breach on an earlier day, before breaching itself; then
  it is a **response**. Only breaches release; a party that has breached is never released;
  parties breaching on the same day are all breakers.
* The **timeline** gives, for each day, ``holding`` (no breach yet), ``breached`` (by the
  parties listed, while some party bound by a commitment still keeps it) or ``collapsed`` (every
  party bound by a commitment has breached or responded). It is stored as change points
  (``Segment``); ``Report.daily()`` expands it to one row per day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from detente.agreements.spec import Agreement, Commitment, Selector, Undertaking
from detente.errors import ParameterError
from detente.events.event import Event
from detente.events.kinds import attr_specs
from detente.events.query import EventFilter
from detente.events.store import Store

Status = Literal["holding", "breached", "collapsed"]
ONE_DAY = dt.timedelta(days=1)


# --- SQL for selectors --------------------------------------------------------------------------

def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _list(values: list[Any]) -> str:
    return ", ".join(_lit(v) for v in values)


def party_sql(party: str) -> str:
    """SQL (over the store's public event columns) for ``spec.by_party(event, party)``."""
    # CASE evaluates lazily: the JSON list is only parsed for rows that name parties at all.
    return (f"(CASE WHEN actor = {_lit(party)} THEN true "
            "WHEN contains(CAST(attrs AS VARCHAR), '\"parties\"') THEN coalesce(list_contains("
            f"json_extract_string(attrs, '$.parties[*]'), {_lit(party)}), false) ELSE false END)")


def selector_sql(selector: Selector | Undertaking) -> tuple[str, bool]:
    """SQL for ``selector.matches(event)`` and whether it is exact (else a superset: values of
    numeric or boolean attributes are checked in Python afterwards)."""
    parts = [f"kind = {_lit(selector.kind.value)}"]
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
        path = f"'$.\"{name}\"'"
        if spec.type == "list":
            parts.append(f"coalesce(list_has_any(json_extract_string(attrs, '$.\"{name}\"[*]'), "
                         f"[{_list(accepted)}]), false)")
        else:
            parts.append(f"coalesce(json_extract_string(attrs, {path}) IN ({_list(accepted)}), "
                         "false)")
    return "(" + " AND ".join(parts) + ")", exact


def commitment_sql(commitment: Commitment) -> tuple[str, bool]:
    """SQL for ``commitment.is_breach(event)`` and whether it is exact."""
    if not commitment.refrains_from:
        return "false", True
    pieces = [selector_sql(s) for s in commitment.refrains_from]
    return (f"({party_sql(commitment.party)} AND ("
            + " OR ".join(sql for sql, _ in pieces) + "))", all(e for _, e in pieces))


def undertaking_sql(party: str, undertaking: Undertaking) -> tuple[str, bool]:
    sql, exact = selector_sql(undertaking)
    return f"({party_sql(party)} AND {sql})", exact


def kinds_of(agreement: Agreement) -> tuple[str, ...]:
    """Every event kind the agreement's selectors and undertakings mention."""
    kinds = {s.kind.value for c in agreement.commitments for s in c.refrains_from}
    kinds |= {u.kind.value for c in agreement.commitments for u in c.undertakes}
    return tuple(sorted(kinds))


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Breach:
    """One act (or default) of a party against a commitment; as a response, who released it."""

    party: str
    commitment: str
    date: dt.date
    event: Event | None
    undertaking: str | None = None
    released_by: str | None = None

    @property
    def is_default(self) -> bool:
        return self.event is None

    def to_json_dict(self) -> dict[str, Any]:
        out = {"party": self.party, "commitment": self.commitment, "date": self.date.isoformat(),
               "event": self.event.to_json_dict() if self.event is not None else None,
               "undertaking": self.undertaking}
        if self.released_by is not None:
            out["released_by"] = self.released_by
        return out


@dataclass(frozen=True)
class Obligation:
    """A positive obligation's outcome: ``met`` (with the event), ``missed`` or ``pending``."""

    party: str
    commitment: str
    undertaking: str
    deadline: dt.date
    status: Literal["met", "missed", "pending"]
    date: dt.date | None
    event: Event | None

    def to_json_dict(self) -> dict[str, Any]:
        return {"party": self.party, "commitment": self.commitment,
                "undertaking": self.undertaking, "deadline": self.deadline.isoformat(),
                "status": self.status, "date": self.date.isoformat() if self.date else None,
                "event": self.event.to_json_dict() if self.event is not None else None}


@dataclass(frozen=True)
class Segment:
    """A run of days ``start..end`` (inclusive) with one status."""

    start: dt.date
    end: dt.date
    status: Status
    breached_by: tuple[str, ...] = ()
    responded: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.status == "breached":
            return "breached by " + ", ".join(self.breached_by)
        return self.status

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_json_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "status": self.status, "label": self.label,
                "breached_by": list(self.breached_by), "responded": list(self.responded)}


@dataclass(frozen=True)
class CommitmentReport:
    commitment: str
    party: str
    breaches: tuple[Breach, ...]
    responses: tuple[Breach, ...]

    @property
    def first_breach(self) -> Breach | None:
        return self.breaches[0] if self.breaches else None

    def to_json_dict(self) -> dict[str, Any]:
        return {"commitment": self.commitment, "party": self.party,
                "breaches": len(self.breaches), "responses": len(self.responses),
                "first_breach": self.first_breach.to_json_dict() if self.first_breach else None}


@dataclass(frozen=True)
class Report:
    """What the monitor found for one agreement over one window."""

    agreement: Agreement
    start: dt.date
    end: dt.date | None
    as_of: dt.date
    breaches: tuple[Breach, ...]
    responses: tuple[Breach, ...]
    obligations: tuple[Obligation, ...]
    timeline: tuple[Segment, ...]
    commitments: tuple[CommitmentReport, ...] = field(default=())

    @property
    def last_day(self) -> dt.date:
        """The last day the report covers: the window end or ``as_of``, whichever is earlier."""
        return min(self.end, self.as_of) if self.end is not None else self.as_of

    @property
    def status(self) -> Status:
        return self.timeline[-1].status if self.timeline else "holding"

    @property
    def status_label(self) -> str:
        if self.status == "holding" and self.end is not None and self.end < self.as_of:
            return f"held (window ended {self.end})"
        return self.timeline[-1].label if self.timeline else "holding"

    @property
    def first_breach(self) -> Breach | None:
        return self.breaches[0] if self.breaches else None

    def first_breach_by(self, party: str) -> Breach | None:
        return next((b for b in self.breaches if b.party == party), None)

    @property
    def first_breach_by_party(self) -> dict[str, Breach | None]:
        return {p: self.first_breach_by(p) for p in self.agreement.parties}

    def status_on(self, day: dt.date) -> Segment | None:
        """The segment covering ``day``, or None outside the timeline."""
        for seg in self.timeline:
            if seg.start <= day <= seg.end:
                return seg
        return None

    def daily(self) -> pd.DataFrame:
        """The timeline expanded to one row per day (``date``, ``status``, ``label``)."""
        return expand_timeline(self.timeline)

    def _repr_html_(self) -> str:
        """Rich output in a notebook (tables and the report's chart; detente.report)."""
        from detente.report.notebook import html_for

        return html_for(self)

    def to_json_dict(self) -> dict[str, Any]:
        first = self.first_breach
        return {
            "agreement": self.agreement.id,
            "title": self.agreement.title,
            "window": {"start": self.start.isoformat(),
                       "end": self.end.isoformat() if self.end else None},
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "status_label": self.status_label,
            "first_breach": first.to_json_dict() if first else None,
            "first_breach_by_party": {p: (b.to_json_dict() if b else None)
                                      for p, b in self.first_breach_by_party.items()},
            "breaches": [b.to_json_dict() for b in self.breaches],
            "responses": [b.to_json_dict() for b in self.responses],
            "obligations": [o.to_json_dict() for o in self.obligations],
            "commitments": [c.to_json_dict() for c in self.commitments],
            "timeline": [s.to_json_dict() for s in self.timeline],
        }


def expand_timeline(timeline: tuple[Segment, ...] | list[Segment]) -> pd.DataFrame:
    """One row per day: ``date``, ``status``, ``label``, ``breached_by``, ``responded``."""
    rows = []
    for seg in timeline:
        for i in range(seg.days):
            rows.append({"date": seg.start + dt.timedelta(days=i), "status": seg.status,
                         "label": seg.label, "breached_by": ",".join(seg.breached_by),
                         "responded": ",".join(seg.responded)})
    return pd.DataFrame(rows, columns=["date", "status", "label", "breached_by", "responded"])


# --- the monitor --------------------------------------------------------------------------------

def record_end(store: Store) -> dt.date:
    """The last day of the record: the latest event date or end."""
    last = store.date_range()[1]
    if last is None:
        raise ParameterError.single("the event store is empty: nothing to replay against",
                                    field="store", value=str(store.path))
    return last


def resolve_window(agreement: Agreement, start: dt.date | None, end: dt.date | None
                   ) -> tuple[dt.date, dt.date | None]:
    """The window after overrides (an override start keeps the spec's end; a window whose end
    comes before its start is an error naming the option to change)."""
    new_start = start or agreement.start
    new_end = end if end is not None else agreement.end
    if new_end is not None and new_end < new_start:
        field_name = "end" if end is not None else "start"
        raise ParameterError.single(
            f"the window end {new_end} is before its start {new_start}", field=field_name,
            value=str(end if end is not None else start))
    return new_start, new_end


def _candidates(store: Store, agreement: Agreement, start: dt.date, last: dt.date
                ) -> list[tuple[Event, list[int], list[tuple[int, int]]]]:
    """Events in the window matching some commitment or obligation.

    The SQL decides wherever it is exact; where a selector tests numbers or booleans the SQL
    narrows the candidates down and the spec's own Python test decides.
    """
    flags, any_sql = [], []
    exact_c, exact_u = [], {}
    for i, c in enumerate(agreement.commitments):
        sql, exact = commitment_sql(c)
        flags.append(f"{sql} AS _c{i}")
        any_sql.append(sql)
        exact_c.append(exact)
        for j, u in enumerate(c.undertakes):
            usql, exact_u[i, j] = undertaking_sql(c.party, u)
            flags.append(f"{usql} AS _u{i}_{j}")
            any_sql.append(usql)
    kinds = kinds_of(agreement)
    rel = store.relation(EventFilter(kind=kinds, start=start, end=last))
    rel = rel.filter(" OR ".join(any_sql)).project("*, " + ", ".join(flags))
    out = []
    for batch in rel.to_arrow_reader(batch_size=10_000):
        for row in batch.to_pylist():
            marks = {k: row.pop(k) for k in list(row) if k.startswith(("_c", "_u"))}
            event = Event.from_row(row)
            acts = [i for i, c in enumerate(agreement.commitments)
                    if marks[f"_c{i}"] and (exact_c[i] or c.is_breach(event))]
            dues = [(i, j) for i, c in enumerate(agreement.commitments)
                    for j, u in enumerate(c.undertakes)
                    if marks[f"_u{i}_{j}"] and (exact_u[i, j] or u.selector.matches(event))]
            if acts or dues:
                out.append((event, acts, dues))
    return out


def check(agreement: Agreement, store: Store, *, start: dt.date | None = None,
          end: dt.date | None = None, as_of: dt.date | None = None) -> Report:
    """Replay ``agreement`` against ``store`` over its window, or ``[start, end]`` if given.

    ``as_of`` is the last day of data to use (default: the last day of the record).
    """
    start, end = resolve_window(agreement, start, end)
    as_of = as_of or record_end(store)
    if start > as_of:
        raise ParameterError.single(f"the window starts after the record ends ({as_of})",
                                    field="start", value=str(start))
    last = min(end, as_of) if end is not None else as_of
    # Undertakings may fall due after the window's last day: fetch up to their deadlines too.
    fetch_end = max([last, *(min(u.deadline(start), as_of) for c in agreement.commitments
                             for u in c.undertakes)])
    found = _candidates(store, agreement, start, fetch_end)
    commitments = agreement.commitments
    order = {c.id: i for i, c in enumerate(commitments)}

    # (date, commitment order, act=0/default=1, event date, event id, Breach)
    items: list[tuple[Any, ...]] = []
    for event, acts, _ in found:
        for i in acts if event.date <= last else ():
            day = max(event.date, start)
            items.append((day, i, 0, event.date, event.id,
                          Breach(commitments[i].party, commitments[i].id, day, event)))
    obligations = []
    for i, c in enumerate(commitments):
        for j, u in enumerate(c.undertakes):
            obligation = _obligation(c, u, j, i, found, start, as_of)
            obligations.append(obligation)
            if obligation.status == "missed" and obligation.date <= last:
                items.append((obligation.date, i, 1, obligation.date, u.id,
                              Breach(c.party, c.id, obligation.date, None, undertaking=u.id)))
    items.sort(key=lambda item: item[:5])

    breaches, responses = classify(agreement, [item[5] for item in items])

    per_commitment = tuple(
        CommitmentReport(c.id, c.party,
                         tuple(b for b in breaches if b.commitment == c.id),
                         tuple(r for r in responses if r.commitment == c.id))
        for c in sorted(commitments, key=lambda c: order[c.id]))
    timeline = build_timeline(agreement, start, last, breaches, responses)
    return Report(agreement=agreement, start=start, end=end, as_of=as_of,
                  breaches=tuple(breaches), responses=tuple(responses),
                  obligations=tuple(obligations), timeline=timeline, commitments=per_commitment)


def classify(agreement: Agreement, acts: list[Breach]) -> tuple[list[Breach], list[Breach]]:
    """Split date-ordered acts into breaches and responses.

    A party's act is a response when an earlier day's breach by another party released it
    (``reciprocity``) and it had not itself breached before that release. Parties breaching on
    the same day are all breakers; only breaches release.
    """
    released: dict[str, tuple[dt.date, str]] = {}
    breakers: set[str] = set()
    breaches: list[Breach] = []
    responses: list[Breach] = []
    k = 0
    while k < len(acts):
        day = acts[k].date
        today = []
        while k < len(acts) and acts[k].date == day:
            today.append(acts[k])
            k += 1
        new_breaches = []
        for act in today:
            release = released.get(act.party)
            if release is not None and release[0] < day:
                responses.append(replace(act, released_by=release[1]))
            else:
                new_breaches.append(act)
        breaches.extend(new_breaches)
        breakers |= {b.party for b in new_breaches}
        # Releases take effect from the next day, for parties that have not broken it themselves.
        for b in new_breaches:
            for other in agreement.reciprocity.released_by(b.party, agreement.parties):
                if other not in breakers:
                    released.setdefault(other, (day, b.party))
    return breaches, responses


def _obligation(c: Commitment, u: Undertaking, j: int, i: int,
                found: list[tuple[Event, list[int], list[tuple[int, int]]]],
                start: dt.date, as_of: dt.date) -> Obligation:
    deadline = u.deadline(start)
    hits = sorted((e for e, _, dues in found if (i, j) in dues
                   and e.date <= deadline and e.last_day >= start),
                  key=lambda e: (e.date, e.id))
    if hits:
        return Obligation(c.party, c.id, u.id, deadline, "met", max(hits[0].date, start), hits[0])
    if deadline < as_of:
        return Obligation(c.party, c.id, u.id, deadline, "missed",
                          max(deadline + ONE_DAY, start), None)
    return Obligation(c.party, c.id, u.id, deadline, "pending", None, None)


def bound_parties(agreement: Agreement) -> tuple[str, ...]:
    """Parties with at least one commitment, in the spec's order."""
    bound = {c.party for c in agreement.commitments}
    return tuple(p for p in agreement.parties if p in bound)


def build_timeline(agreement: Agreement, start: dt.date, last: dt.date,
                   breaches: list[Breach], responses: list[Breach]) -> tuple[Segment, ...]:
    """Status change points over ``[start, last]`` (see the module docstring)."""
    if last < start:
        return ()
    first_breach: dict[str, dt.date] = {}
    for b in breaches:
        first_breach.setdefault(b.party, b.date)
    first_response: dict[str, dt.date] = {}
    for r in responses:
        first_response.setdefault(r.party, r.date)
    bound = bound_parties(agreement)
    days = sorted({start, *(d for d in [*first_breach.values(), *first_response.values()]
                            if start <= d <= last)})
    segments: list[Segment] = []
    for k, day in enumerate(days):
        until = days[k + 1] - ONE_DAY if k + 1 < len(days) else last
        by = tuple(p for p in agreement.parties if first_breach.get(p, dt.date.max) <= day)
        answered = tuple(p for p in agreement.parties
                         if first_response.get(p, dt.date.max) <= day)
        if not by:
            status: Status = "holding"
        elif all(p in by or p in answered for p in bound):
            status = "collapsed"
        else:
            status = "breached"
        if segments and segments[-1].status == status and segments[-1].breached_by == by \
                and segments[-1].responded == answered:
            segments[-1] = Segment(segments[-1].start, until, status, by, answered)
        else:
            segments.append(Segment(day, until, status, by, answered))
    return tuple(segments)
