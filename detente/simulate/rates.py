"""Temptation rates: how often each party has an occasion to breach, and where that came from.

In order of precedence a party's rate comes from ``--rate PARTY=Q`` (per week), from the
spec's ``temptation`` map (per week), or from the event store: over a reference period (by
default the two years before the agreement's start), the share of periods in which some
recorded event that would breach one of the party's commitments was in force (the events
``matcher.compile`` finds, so a multi-day exercise counts in every period it overlaps, as the
monitor counts it in every window it overlaps), divided by the detection probability of those
commitments (the record only holds what was seen), capped at 1. Each estimate keeps its counts
so users can check it.

The record must be able to see the commitments over the whole reference period: a period in
which no source covers one of them (``detente.events.coverage``) is refused, naming the gap,
because its quiet weeks would count as restraint; one seen only through partial sources gives
the rate with a warning.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from detente import matcher
from detente.agreements.spec import Agreement
from detente.dates import parse_range  # noqa: F401 - the one FROM:TO parser, used here
from detente.errors import ParameterError
from detente.simulate.model import check_probability, per_period, period_days, restraints

REFERENCE_DAYS = 730


@dataclass(frozen=True)
class Rate:
    """One party's temptation rate per period, and its provenance."""

    party: str
    rate: float                  # per period, used by the simulator
    source: str                  # "option", "spec" or "store"
    per_week: float | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    periods: int | None = None
    periods_with_events: int | None = None
    events: int | None = None
    recorded: float | None = None     # periods_with_events / periods
    detection: float | None = None    # the correction applied
    weights: dict[str, float] = field(default_factory=dict)  # commitment -> share of breaches
    by_commitment: dict[str, int] = field(default_factory=dict)  # periods with events
    record_end: dt.date | None = None  # set when the period runs past the record's last event
    warnings: tuple[str, ...] = ()     # thin (partial) sources under the estimate
    coverage_declared: bool = True
    hazard: dict[str, Any] | None = None  # the fitted behaviour (source "fitted")

    def describe(self) -> str:
        if self.source in ("fitted", "fitted-mean"):
            h = self.hazard or {}
            what = ("fitted hazard" if self.source == "fitted" else
                    "occasions at the fitted mean rate")
            return (f"{what}: {h.get('acts')} of {h.get('rows')} observed weeks with an "
                    f"act in {h.get('fitted_from')}..{h.get('fitted_to')}; "
                    f"{h.get('hazard_now', 0.0):.4f} a week at the start")
        if self.source != "store":
            return (f"{self.rate:.4f} per period ({self.per_week:.4f} per week, "
                    f"from the {self.source})")
        corr = "" if self.detection in (None, 1.0) else (
            f", / detection {self.detection:.3g}")
        past = "" if self.record_end is None else (
            f"; the record ends {self.record_end}, and the days after it count as quiet")
        if not self.coverage_declared:
            past += "; no source declares its coverage, so quiet weeks count as restraint"
        return (f"{self.rate:.4f} per period: {self.periods_with_events} of {self.periods} "
                f"periods with a breaching event in {self.start}..{self.end} "
                f"({self.events} events{corr}{past})")

    def to_json_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        for key in ("start", "end", "record_end"):
            out[key] = out[key].isoformat() if out[key] else None
        out["description"] = self.describe()
        return out


def default_reference(agreement: Agreement) -> tuple[dt.date, dt.date]:
    """The two years before the agreement's start."""
    return (agreement.start - dt.timedelta(days=REFERENCE_DAYS),
            agreement.start - dt.timedelta(days=1))


def estimate(agreement: Agreement, party: str, store, start: dt.date, end: dt.date,
             period: str = "week") -> Rate:
    """The store estimate of ``party``'s temptation rate over ``start..end`` (inclusive)."""
    days = period_days(period)
    commitments = restraints(agreement, party)
    if not commitments:
        raise ParameterError.single(f"has no restraint commitments in {agreement.id}",
                                    field="party", value=party)
    last = store.record_end()
    if last is None or start > last:
        # Days past the record would all count as days without a breach.
        raise ParameterError.single(
            f"starts after the record's last day ({last}); give --reference FROM:TO "
            "within the record", field="reference", value=f"{start}:{end}")
    periods = math.floor(((end - start).days + 1) / days)
    if periods < 1:
        raise ParameterError.single(f"the reference period is shorter than one {period}",
                                    field="reference", value=f"{start}:{end}")
    compiled = matcher.compile(agreement)
    rules = [r for r in compiled.acts() if r.party == party]
    seen = compiled.observability(store, start, end)
    warnings = []
    for c in commitments:
        blind = seen.first_gap(c.id, start, "none")
        if blind is not None:
            partial = [s for s in seen.by_commitment[c.id] if s.level != "none"]
            hint = (f"; it is covered on {partial[0].start}..{partial[-1].end} in part"
                    if partial else "")
            raise ParameterError.single(
                f"the record cannot see {c.id} ({seen.labels[c.id]}) from {blind.start} to "
                f"{blind.end}: no source covers it then, so its quiet weeks would count as "
                f"restraint{hint}; give --reference FROM:TO inside the covered period",
                field="reference", value=f"{start}:{end}")
        for span in seen.by_commitment[c.id]:
            if span.level == "partial":
                warnings.append(f"{c.id} rests on partial sources ({', '.join(span.sources)}) "
                                f"from {span.start} to {span.end}")
    # Every period an event is in force in counts (period k: days k*days .. (k+1)*days - 1).
    frame = compiled.frame(store, start, end, rules)
    first_day = matcher.day_number(start)
    hit: set[int] = set()
    per_commitment: dict[str, set[int]] = {c.id: set() for c in commitments}
    events = 0
    for row in frame.to_dict(orient="records"):
        matched = [r.commitment.id for r in rules if row[r.column]]
        lo = max(row["d"], first_day) - first_day
        hi = min(row["l"], matcher.day_number(end)) - first_day
        covered = set(range(math.floor(lo / days), min(math.floor(hi / days), periods - 1) + 1))
        if not matched or not covered:
            continue
        events += 1
        hit |= covered
        for cid in matched:
            per_commitment[cid] |= covered
    counts = {cid: len(v) for cid, v in per_commitment.items()}
    detections = {c.id: c.verification.detection for c in commitments}
    # True shares of breaches: recorded shares corrected for each commitment's detection.
    raw = {cid: (n / detections[cid] if detections[cid] > 0 else 0.0)
           for cid, n in counts.items()}
    total = sum(raw.values())
    weights = ({cid: v / total for cid, v in raw.items()} if total
               else {cid: 1 / len(raw) for cid in raw})
    detection = sum(weights[c] * detections[c] for c in weights)
    recorded = len(hit) / periods
    rate = min(1.0, recorded / detection) if detection > 0 else recorded
    return Rate(party=party, rate=rate, source="store", start=start, end=end, periods=periods,
                record_end=last if end > last else None,
                periods_with_events=len(hit), events=events, recorded=recorded,
                detection=detection, weights=weights, by_commitment=counts,
                warnings=tuple(warnings), coverage_declared=seen.declared)


def resolve(agreement: Agreement, period: str = "week", *, given: Mapping[str, float] | None
            = None, store=None, reference: tuple[dt.date, dt.date] | None = None
            ) -> dict[str, Rate]:
    """A rate for every party with commitments. ``given`` rates are per week; parties without
    one (in ``given`` or the spec) are estimated from ``store`` (required then)."""
    days = period_days(period)
    given = dict(given or {})
    for code in given:
        if code not in agreement.parties:
            raise ParameterError.single(f"not a party of {agreement.id}; parties: "
                                        f"{', '.join(agreement.parties)}", field="rate",
                                        value=code)
    out = {}
    for code in agreement.parties:
        if not restraints(agreement, code):
            if code in given:
                raise ParameterError.single(f"has no restraint commitments in {agreement.id}, "
                                            "so no occasions to breach", field="rate", value=code)
            continue
        for source, table in (("option", given), ("spec", agreement.temptation)):
            if code in table:
                weekly = check_probability(f"rate@{code}", table[code])
                out[code] = Rate(party=code, rate=per_period(weekly, days), source=source,
                                 per_week=weekly)
                break
        else:
            if store is None:
                raise ParameterError.single(
                    "no temptation rate: give --rate PARTY=Q (per week), a 'temptation' map in "
                    "the spec, or an event store to estimate it from", field="rate", value=code)
            start, end = reference or default_reference(agreement)
            out[code] = estimate(agreement, code, store, start, end, period)
    return out


def weights(rates: Mapping[str, Rate]) -> dict[str, float]:
    """Commitment shares of breaches from store estimates (others default to equal)."""
    return {cid: w for r in rates.values() for cid, w in r.weights.items()}
