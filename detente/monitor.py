"""The compliance monitor: replay an agreement against the event record.

Semantics (documented in full in docs/agreements.md):

* The **window** is ``[start, end]``, both days included; an open end runs to ``as_of`` (by
  default the last day the record covers, ``Store.record_end``). ``check(..., start=, end=)``
  replays any proposal over any window.
* An **act** breaks a commitment when it is done by the commitment's party (``spec.by_party``:
  the actor, or one of ``attrs.parties``) and matches one of its ``refrains_from`` selectors
  (``detente.matcher``). A multi-day event counts when it **overlaps** the window; its date in
  the report is the first day it is in force inside the window (``max(event.date, start)``).
* A **default** is a missed positive obligation (``undertakes``): no matching act by the party
  inside ``[start, deadline]``; it is dated ``deadline + 1``. Where the record cannot see the
  undertaking on some day before the deadline, a missing act is ``unobservable``, not missed.
* Acts and defaults are taken in order of (date, commitment order in the spec, act before
  default, event date, event id). Each is a **breach** unless its party had been **released**
  (``reciprocity``) by another party's breach on an earlier day, before breaching itself, and
  it falls within the agreement's ``response_window_days`` (default 90) of that release; then
  it is a **response**. A released party's act after that window is a breach again (it is
  reported with the release it came after). Only breaches release; parties breaching on the
  same first day are joint first breakers.
* **Observability**: for each commitment, the spans of days on which the record's coverage
  declarations can (``complete``), barely (``partial``) or cannot (``none``) see it kept or
  broken. A blind span is never compliance: the timeline marks it, and a first breach with
  another party blind before it is flagged as uncertain.
* The **timeline** gives, for each day, ``holding`` (no breach yet), ``breached`` (by the
  parties listed, while some party bound by a commitment still keeps it) or ``collapsed`` (every
  party bound by a commitment has breached or responded), with the commitments the record
  cannot see that day. It is stored as change points (``Segment``); ``Report.daily()`` expands
  it to one row per day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from detente import matcher
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from detente.events.event import Event
from detente.events.store import Store

Status = Literal["holding", "breached", "collapsed"]
ONE_DAY = dt.timedelta(days=1)


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Breach:
    """One act (or default) of a party against a commitment; as a response, who released it.

    ``released_by`` on a *breach* (not a response) names the party whose earlier breach had
    released this one: its act came after the response window, so it counts on its own.
    """

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
    """A positive obligation's outcome: ``met`` (with the event), ``missed``, ``pending``, or
    ``unobservable`` (no act seen, but the record was blind to it before the deadline)."""

    party: str
    commitment: str
    undertaking: str
    deadline: dt.date
    status: Literal["met", "missed", "pending", "unobservable"]
    date: dt.date | None
    event: Event | None

    def to_json_dict(self) -> dict[str, Any]:
        return {"party": self.party, "commitment": self.commitment,
                "undertaking": self.undertaking, "deadline": self.deadline.isoformat(),
                "status": self.status, "date": self.date.isoformat() if self.date else None,
                "event": self.event.to_json_dict() if self.event is not None else None}


@dataclass(frozen=True)
class Segment:
    """A run of days ``start..end`` (inclusive) with one status, and the commitments the record
    cannot see (``unobserved``) or sees only through partial sources (``thin``) on them."""

    start: dt.date
    end: dt.date
    status: Status
    breached_by: tuple[str, ...] = ()
    responded: tuple[str, ...] = ()
    unobserved: tuple[str, ...] = ()
    thin: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        text = "breached by " + ", ".join(self.breached_by) if self.status == "breached" \
            else self.status
        if self.unobserved:
            text += "; unobserved: " + ", ".join(self.unobserved)
        if self.thin:
            text += "; thin: " + ", ".join(self.thin)
        return text

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_json_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "status": self.status, "label": self.label,
                "breached_by": list(self.breached_by), "responded": list(self.responded),
                "unobserved": list(self.unobserved), "thin": list(self.thin)}


@dataclass(frozen=True)
class CommitmentReport:
    commitment: str
    party: str
    breaches: tuple[Breach, ...]
    responses: tuple[Breach, ...]
    unobserved: tuple[Any, ...] = ()   # coverage.Span: days the record cannot see it

    @property
    def first_breach(self) -> Breach | None:
        return self.breaches[0] if self.breaches else None

    @property
    def unobserved_days(self) -> int:
        return sum(s.days for s in self.unobserved)

    def to_json_dict(self) -> dict[str, Any]:
        return {"commitment": self.commitment, "party": self.party,
                "breaches": len(self.breaches), "responses": len(self.responses),
                "first_breach": self.first_breach.to_json_dict() if self.first_breach else None,
                "unobserved_days": self.unobserved_days,
                "unobserved": [s.to_json_dict() for s in self.unobserved]}


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
    observability: matcher.Observability | None = None

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
            label = f"held (window ended {self.end})"
            return label + ("; unobserved: " + ", ".join(self.timeline[-1].unobserved)
                            if self.timeline and self.timeline[-1].unobserved else "")
        return self.timeline[-1].label if self.timeline else "holding"

    @property
    def first_breach(self) -> Breach | None:
        return self.breaches[0] if self.breaches else None

    @property
    def first_breaches(self) -> tuple[Breach, ...]:
        """Every breach on the first breach day (joint first breakers)."""
        first = self.first_breach
        return tuple(b for b in self.breaches if first and b.date == first.date)

    @property
    def first_breakers(self) -> tuple[str, ...]:
        """The parties that breached on the first breach day, in the spec's order."""
        on_day = {b.party for b in self.first_breaches}
        return tuple(p for p in self.agreement.parties if p in on_day)

    @property
    def uncertain_first(self) -> tuple[str, ...]:
        """Commitments (of parties other than the first breakers) the record could not see on
        some day before the first breach: one of them may have been broken first, unseen."""
        first = self.first_breach
        if first is None or self.observability is None:
            return ()
        out = []
        for c in self.agreement.commitments:
            if c.party in self.first_breakers:
                continue
            gap = self.observability.first_gap(c.id, self.start)
            if gap is not None and gap.start < first.date:
                out.append(c.id)
        return tuple(out)

    @property
    def unobserved(self) -> list[tuple[str, Any]]:
        """(commitment, span) for every stretch of the window the record cannot see."""
        return self.observability.gaps("none") if self.observability else []

    @property
    def coverage_declared(self) -> bool:
        return self.observability is None or self.observability.declared

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


    def tables(self) -> dict[str, pd.DataFrame]:
        """``acts`` (every breach and response, one row each, first), ``timeline``,
        ``unobserved`` and ``obligations`` (the results contract, ``detente.results``)."""
        acts = []
        for role, items in (("breach", self.breaches), ("response", self.responses)):
            for b in items:
                e = b.event
                acts.append({
                    "date": b.date, "party": b.party, "commitment": b.commitment, "role": role,
                    "released_by": b.released_by, "undertaking": b.undertaking,
                    "event_id": e.id if e else None, "kind": e.kind.value if e else None,
                    "event_date": e.date if e else None, "event_end": e.end if e else None,
                    "summary": e.summary if e else None, "source": e.source if e else None,
                    "source_ref": e.source_ref if e else None})
        acts.sort(key=lambda row: (row["date"], row["role"] != "breach"))
        parties = {c.id: c.party for c in self.agreement.commitments}
        labels = self.observability.labels if self.observability else {}
        return {
            "acts": pd.DataFrame(acts, columns=[
                "date", "party", "commitment", "role", "released_by", "undertaking",
                "event_id", "kind", "event_date", "event_end", "summary", "source",
                "source_ref"]),
            "timeline": pd.DataFrame(
                [{"start": s.start, "end": s.end, "days": s.days, "status": s.status,
                  "label": s.label, "breached_by": ",".join(s.breached_by),
                  "responded": ",".join(s.responded), "unobserved": ",".join(s.unobserved),
                  "thin": ",".join(s.thin)} for s in self.timeline],
                columns=["start", "end", "days", "status", "label", "breached_by",
                         "responded", "unobserved", "thin"]),
            "unobserved": pd.DataFrame(
                [{"commitment": cid, "party": parties[cid], "start": span.start,
                  "end": span.end, "days": span.days, "needs": labels.get(cid, "")}
                 for cid, span in self.unobserved],
                columns=["commitment", "party", "start", "end", "days", "needs"]),
            "obligations": pd.DataFrame(
                [{"party": o.party, "commitment": o.commitment, "undertaking": o.undertaking,
                  "deadline": o.deadline, "status": o.status, "date": o.date,
                  "event_id": o.event.id if o.event else None} for o in self.obligations],
                columns=["party", "commitment", "undertaking", "deadline", "status", "date",
                         "event_id"]),
        }

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
            "first_breakers": list(self.first_breakers),
            "first_breach_uncertain_because": list(self.uncertain_first),
            "first_breach_by_party": {p: (b.to_json_dict() if b else None)
                                      for p, b in self.first_breach_by_party.items()},
            "breaches": [b.to_json_dict() for b in self.breaches],
            "responses": [b.to_json_dict() for b in self.responses],
            "response_window_days": self.agreement.response_window_days,
            "obligations": [o.to_json_dict() for o in self.obligations],
            "commitments": [c.to_json_dict() for c in self.commitments],
            "coverage_declared": self.coverage_declared,
            "observability": self.observability.to_json_dict() if self.observability else None,
            "timeline": [s.to_json_dict() for s in self.timeline],
        }


def expand_timeline(timeline: tuple[Segment, ...] | list[Segment]) -> pd.DataFrame:
    """One row per day: ``date``, ``status``, ``label``, ``breached_by``, ``responded``,
    ``unobserved``."""
    rows = []
    for seg in timeline:
        for i in range(seg.days):
            rows.append({"date": seg.start + dt.timedelta(days=i), "status": seg.status,
                         "label": seg.label, "breached_by": ",".join(seg.breached_by),
                         "responded": ",".join(seg.responded),
                         "unobserved": ",".join(seg.unobserved)})
    return pd.DataFrame(rows, columns=["date", "status", "label", "breached_by", "responded",
                                       "unobserved"])


# --- the monitor --------------------------------------------------------------------------------

def record_end(store: Store) -> dt.date:
    """The last day the record covers (``Store.record_end``)."""
    last = store.record_end()
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


def check(agreement: Agreement, store: Store, *, start: dt.date | None = None,
          end: dt.date | None = None, as_of: dt.date | None = None) -> Report:
    """Replay ``agreement`` against ``store`` over its window, or ``[start, end]`` if given.

    ``as_of`` is the last day of data to use (default: the last day the record covers).
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
    compiled = matcher.compile(agreement)
    found = list(compiled.events(store, start, fetch_end))
    seen = compiled.observability(store, start, fetch_end)
    commitments = agreement.commitments

    # (date, commitment order, act=0/default=1, event date, event id, Breach)
    items: list[tuple[Any, ...]] = []
    for event, rules in found:
        for rule in rules if event.date <= last else ():
            if rule.undertaking is not None:
                continue
            day = max(event.date, start)
            c = rule.commitment
            items.append((day, rule.position, 0, event.date, event.id,
                          Breach(c.party, c.id, day, event)))
    obligations = []
    for rule in compiled.rules:
        if rule.undertaking is None:
            continue
        c, u = rule.commitment, rule.undertaking
        obligation = _obligation(rule, found, start, as_of, seen)
        obligations.append(obligation)
        if obligation.status == "missed" and obligation.date is not None \
                and obligation.date <= last:
            items.append((obligation.date, rule.position, 1, obligation.date, u.id,
                          Breach(c.party, c.id, obligation.date, None, undertaking=u.id)))
    items.sort(key=lambda item: item[:5])

    breaches, responses = classify(agreement, [item[5] for item in items])
    seen = replace(seen, end=last, by_commitment={
        cid: tuple(_clip(spans, start, last)) for cid, spans in seen.by_commitment.items()})
    per_commitment = tuple(
        CommitmentReport(c.id, c.party,
                         tuple(b for b in breaches if b.commitment == c.id),
                         tuple(r for r in responses if r.commitment == c.id),
                         tuple(s for s in seen.by_commitment.get(c.id, ()) if s.level == "none"))
        for c in commitments)
    timeline = build_timeline(agreement, start, last, breaches, responses, seen)
    return Report(agreement=agreement, start=start, end=end, as_of=as_of,
                  breaches=tuple(breaches), responses=tuple(responses),
                  obligations=tuple(obligations), timeline=timeline, commitments=per_commitment,
                  observability=seen)


def _clip(spans, start: dt.date, last: dt.date):
    for s in spans:
        if s.end < start or s.start > last:
            continue
        yield replace(s, start=max(s.start, start), end=min(s.end, last))


def classify(agreement: Agreement, acts: list[Breach]) -> tuple[list[Breach], list[Breach]]:
    """Split date-ordered acts into breaches and responses.

    A party's act is a response when an earlier day's breach by another party released it
    (``reciprocity``), it had not itself breached before that release, and it falls within
    ``response_window_days`` of the release. Parties breaching on the same day are all
    breakers; only breaches release.
    """
    window = dt.timedelta(days=agreement.response_window_days)
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
            if release is not None and release[0] < day <= release[0] + window:
                responses.append(replace(act, released_by=release[1]))
            elif release is not None and day > release[0] + window:
                new_breaches.append(replace(act, released_by=release[1]))
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


def _obligation(rule: matcher.Rule, found: list[tuple[Event, tuple[matcher.Rule, ...]]],
                start: dt.date, as_of: dt.date, seen: matcher.Observability) -> Obligation:
    c, u = rule.commitment, rule.undertaking
    assert u is not None
    deadline = u.deadline(start)
    hits = sorted((e for e, rules in found if rule in rules
                   and e.date <= deadline and e.last_day >= start),
                  key=lambda e: (e.date, e.id))
    if hits:
        return Obligation(c.party, c.id, u.id, deadline, "met", max(hits[0].date, start), hits[0])
    if deadline < as_of:
        blind = seen.first_gap(c.id, start)
        if blind is not None and blind.start <= deadline:
            return Obligation(c.party, c.id, u.id, deadline, "unobservable", None, None)
        return Obligation(c.party, c.id, u.id, deadline, "missed",
                          max(deadline + ONE_DAY, start), None)
    return Obligation(c.party, c.id, u.id, deadline, "pending", None, None)


def bound_parties(agreement: Agreement) -> tuple[str, ...]:
    """Parties with at least one commitment, in the spec's order."""
    bound = {c.party for c in agreement.commitments}
    return tuple(p for p in agreement.parties if p in bound)


def build_timeline(agreement: Agreement, start: dt.date, last: dt.date,
                   breaches: list[Breach], responses: list[Breach],
                   seen: matcher.Observability | None = None) -> tuple[Segment, ...]:
    """Status change points over ``[start, last]`` (see the module docstring), split where the
    record's view of a commitment changes."""
    if last < start:
        return ()
    first_breach: dict[str, dt.date] = {}
    for b in breaches:
        first_breach.setdefault(b.party, b.date)
    first_response: dict[str, dt.date] = {}
    for r in responses:
        first_response.setdefault(r.party, r.date)
    bound = bound_parties(agreement)
    spans = seen.by_commitment if seen is not None else {}
    cuts = {start, *(d for d in [*first_breach.values(), *first_response.values()]
                     if start <= d <= last)}
    cuts |= {s.start for ss in spans.values() for s in ss if start <= s.start <= last}
    cuts |= {s.end + ONE_DAY for ss in spans.values() for s in ss if start < s.end + ONE_DAY
             <= last}
    days = sorted(cuts)
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
        levels = {c.id: seen.level_on(c.id, day) for c in agreement.commitments} \
            if seen is not None else {}
        blind = tuple(cid for cid, level in levels.items() if level == "none")
        thin = tuple(cid for cid, level in levels.items() if level == "partial")
        segment = Segment(day, until, status, by, answered, blind, thin)
        if segments and replace(segments[-1], start=day, end=until) == segment:
            segments[-1] = replace(segments[-1], end=until)
        else:
            segments.append(segment)
    return tuple(segments)
