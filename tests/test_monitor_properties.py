"""Properties of the monitor that must hold for any record."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from detente import monitor
from detente.agreements import presets
from detente.agreements.spec import Agreement, by_party
from detente.events.event import Event
from detente.events.kinds import Kind
from detente.events.store import Store
from detente.replay import whatif
from tests.strategies import PARTIES, attrs_for
from tests.test_whatif import AGREEMENTS, random_record

D = dt.date
AS_OF = D(2020, 12, 31)
SPECS = [Agreement.model_validate(a) for a in AGREEMENTS.values()] + [
    presets.load("post-olympic-pause")]
NEAR_KINDS = (Kind.MISSILE_TEST, Kind.NUCLEAR_TEST, Kind.MILITARY_EXERCISE,
              Kind.SANCTIONS_DESIGNATION, Kind.ANNOUNCEMENT, Kind.TALKS, Kind.SUMMIT)


@st.composite
def near_events(draw) -> Event:
    """Events close to an agreement's selectors: its kinds, its parties, its years."""
    kind = draw(st.sampled_from(NEAR_KINDS))
    day = draw(st.dates(D(2017, 6, 1), D(2020, 12, 31)))
    attrs = draw(attrs_for(kind))
    if kind == Kind.MILITARY_EXERCISE and draw(st.booleans()):
        attrs["parties"] = draw(st.lists(st.sampled_from(PARTIES), min_size=1, max_size=3,
                                         unique=True))
    return Event(date=day, end=draw(st.one_of(st.none(), st.integers(0, 40).map(
        lambda n: day + dt.timedelta(days=n)))), actor=draw(st.sampled_from(PARTIES)),
        target=draw(st.one_of(st.none(), st.sampled_from(PARTIES))), kind=kind, attrs=attrs,
        source="extra", source_ref=draw(st.uuids()).hex)


def outside(agreement: Agreement, event: Event) -> bool:
    for c in agreement.commitments:
        if c.is_breach(event):
            return False
        if any(by_party(event, c.party) and u.selector.matches(event) for u in c.undertakes):
            return False
    return True


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(spec_index=st.integers(0, len(SPECS) - 1), seed=st.integers(0, 3),
       extra=st.lists(near_events(), min_size=1, max_size=4))
def test_events_outside_the_selectors_never_change_the_report(spec_index, seed, extra) -> None:
    agreement = SPECS[spec_index]
    assume(all(outside(agreement, e) for e in extra))
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.duckdb", empty=True) as s:
        s.ingest_events(random_record(seed, n=40))
        before = monitor.check(agreement, s, start=D(2018, 1, 1), as_of=AS_OF).to_json_dict()
        ahead = whatif(agreement, s, D(2017, 12, 1), D(2020, 6, 1), 30, record_end=AS_OF)
        s.ingest_events(extra)
        after = monitor.check(agreement, s, start=D(2018, 1, 1), as_of=AS_OF).to_json_dict()
        again = whatif(agreement, s, D(2017, 12, 1), D(2020, 6, 1), 30, record_end=AS_OF)
    assert after == before
    assert again.starts.equals(ahead.starts)
    assert again.survival.equals(ahead.survival)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_index=st.integers(0, len(SPECS) - 1), seed=st.integers(0, 50),
       start=st.dates(D(2018, 1, 1), D(2020, 6, 1)))
def test_report_invariants(spec_index, seed, start) -> None:
    agreement = SPECS[spec_index]
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.duckdb", empty=True) as s:
        s.ingest_events(random_record(seed, n=50))
        term = agreement.end - agreement.start if agreement.end else None
        report = monitor.check(agreement, s, start=start, end=start + term if term else None,
                               as_of=AS_OF)
    # The timeline tiles the window exactly, without gaps or overlaps.
    assert report.timeline[0].start == start
    assert report.timeline[-1].end == report.last_day
    for a, b in zip(report.timeline, report.timeline[1:], strict=False):
        assert b.start == a.end + dt.timedelta(days=1)
    # Breaches and responses are in date order; each response follows its releaser's breach.
    dates = [b.date for b in report.breaches]
    assert dates == sorted(dates)
    for r in report.responses:
        releaser = report.first_breach_by(r.released_by)
        assert releaser is not None and releaser.date < r.date
    # Every act is by its commitment's party, matches it, and lies in the window.
    for b in (*report.breaches, *report.responses):
        assert start <= b.date <= report.last_day
        if b.event is not None:
            assert agreement.commitment(b.commitment).is_breach(b.event)
    # Status order: holding, then breached, then collapsed; never back.
    rank = {"holding": 0, "breached": 1, "collapsed": 2}
    ranks = [rank[s.status] for s in report.timeline]
    assert ranks == sorted(ranks)
