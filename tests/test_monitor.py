"""The compliance monitor on synthetic records: one test per rule."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from detente import monitor
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from tests.strategies import make_event

D = dt.date


def pause(**changes) -> Agreement:
    """A two-party test-for-designation pause, with overrides."""
    data = {
        "id": "pause", "title": "Pause", "parties": ["PRK", "USA"], "start": "2018-03-01",
        "commitments": [
            {"id": "prk-no-tests", "party": "PRK",
             "refrains_from": [{"kind": "nuclear_test"},
                               {"kind": "missile_test", "where": {"class": ["ICBM", "IRBM"]}}],
             "verification": {"means": "seismic", "detection": 0.99}},
            {"id": "usa-no-designations", "party": "USA",
             "refrains_from": [{"kind": "sanctions_designation", "where": {"issuer": "OFAC"}}],
             "verification": {"means": "lists", "detection": 1.0}},
        ],
        "reciprocity": "mutual",
    }
    data.update(changes)
    return Agreement.model_validate(data)


def icbm(ref, day, actor="PRK", **attrs):
    return make_event(ref, day, actor, "missile_test", {"class": "ICBM", **attrs})


def ofac(ref, day):
    return make_event(ref, day, "USA", "sanctions_designation", {"issuer": "OFAC"})


@pytest.fixture
def store(empty_store):
    return empty_store


def test_holding_when_nothing_matches(store) -> None:
    store.ingest_events([make_event("x", D(2018, 5, 1), "PRK", "missile_test", {"class": "SRBM"}),
                         make_event("y", D(2018, 6, 1), "USA", "summit")])
    report = monitor.check(pause(), store)
    assert report.status == "holding" and report.first_breach is None
    assert report.breaches == () and report.responses == ()
    assert report.timeline == (monitor.Segment(D(2018, 3, 1), D(2018, 6, 1), "holding"),)
    assert report.to_json_dict()["first_breach"] is None


def test_window_bounds_are_inclusive_and_end_is_respected(store) -> None:
    store.ingest_events([icbm("before", D(2018, 2, 28)), icbm("first-day", D(2018, 3, 1)),
                         icbm("last-day", D(2018, 3, 31)), icbm("after", D(2018, 4, 1))])
    report = monitor.check(pause(end="2018-03-31"), store)
    assert [b.event.source_ref for b in report.breaches] == ["first-day", "last-day"]
    assert report.timeline[-1].end == D(2018, 3, 31)
    assert report.last_day == D(2018, 3, 31)


def test_open_ended_window_runs_to_the_record_end(store) -> None:
    store.ingest_events([icbm("late", D(2024, 7, 1)), make_event("end", D(2025, 1, 1), "JPN",
                                                                 "summit")])
    report = monitor.check(pause(), store)
    assert report.end is None and report.as_of == D(2025, 1, 1)
    assert report.first_breach.date == D(2024, 7, 1)
    assert report.timeline[-1].end == D(2025, 1, 1)
    # as_of cuts the data: the 2024 launch is not seen on 2024-06-30.
    early = monitor.check(pause(), store, as_of=D(2024, 6, 30))
    assert early.status == "holding" and early.timeline[-1].end == D(2024, 6, 30)


def test_multi_day_event_straddling_the_start_breaches_on_the_start_day(store) -> None:
    exercise = {"kind": "military_exercise", "where": {"status": ["held", "scaled_down"]}}
    spec = pause(commitments=[
        {"id": "usa-no-exercises", "party": "USA", "refrains_from": [exercise],
         "verification": {"means": "announcements", "detection": 1.0}}])
    store.ingest_events([
        make_event("straddles", D(2018, 2, 20), "USA", "military_exercise",
                   {"status": "held", "parties": ["USA", "KOR"]}, end=D(2018, 3, 5)),
        make_event("ended", D(2018, 2, 1), "USA", "military_exercise", {"status": "held"},
                   end=D(2018, 2, 28)),
    ])
    report = monitor.check(spec, store)
    assert len(report.breaches) == 1
    breach = report.breaches[0]
    assert breach.event.source_ref == "straddles"
    assert breach.date == D(2018, 3, 1)          # the first day it is in force in the window
    assert breach.event.date == D(2018, 2, 20)   # the evidence keeps its own dates


def test_attribute_selectors(store) -> None:
    store.ingest_events([
        make_event("srbm", D(2018, 4, 1), "PRK", "missile_test", {"class": "SRBM"}),
        make_event("noclass", D(2018, 4, 2), "PRK", "missile_test"),
        make_event("irbm", D(2018, 4, 3), "PRK", "missile_test", {"class": "IRBM"}),
        make_event("unsc", D(2018, 4, 4), "USA", "sanctions_designation", {"issuer": "UNSC"}),
    ])
    report = monitor.check(pause(reciprocity="none"), store)
    assert [b.event.source_ref for b in report.breaches] == ["irbm"]


def test_numeric_attribute_selector_is_exact(store) -> None:
    spec = pause(commitments=[
        {"id": "no-second-missile", "party": "PRK",
         "refrains_from": [{"kind": "missile_test", "where": {"series": [2]}}],
         "verification": {"means": "radar", "detection": 0.9}}])
    store.ingest_events([icbm("s1", D(2018, 4, 1), series=1), icbm("s2", D(2018, 4, 1), series=2),
                         icbm("s12", D(2018, 4, 2), series=12)])
    report = monitor.check(spec, store)
    assert [b.event.source_ref for b in report.breaches] == ["s2"]


def test_target_selectors(store) -> None:
    spec = pause(parties=["PRK", "KOR"], commitments=[
        {"id": "no-fire-at-kor", "party": "PRK",
         "refrains_from": [{"kind": "provocation", "target": ["KOR"]}],
         "verification": {"means": "reports", "detection": 0.8}}])
    store.ingest_events([
        make_event("at-jpn", D(2018, 4, 1), "PRK", "provocation", target="JPN"),
        make_event("untargeted", D(2018, 4, 2), "PRK", "provocation"),
        make_event("at-kor", D(2018, 4, 3), "PRK", "provocation", target="KOR"),
    ])
    report = monitor.check(spec, store)
    assert [b.event.source_ref for b in report.breaches] == ["at-kor"]


def test_joint_acts_count_for_every_listed_party(store) -> None:
    exercise = [{"kind": "military_exercise", "where": {"status": "held"}}]
    spec = pause(parties=["PRK", "USA", "KOR"], commitments=[
        {"id": "usa-no-exercises", "party": "USA", "refrains_from": exercise,
         "verification": {"means": "public", "detection": 1.0}},
        {"id": "kor-no-exercises", "party": "KOR", "refrains_from": exercise,
         "verification": {"means": "public", "detection": 1.0}},
        {"id": "prk-no-tests", "party": "PRK", "refrains_from": [{"kind": "nuclear_test"}],
         "verification": {"means": "seismic", "detection": 1.0}}])
    store.ingest_events([make_event("fe", D(2018, 4, 1), "USA", "military_exercise",
                                    {"status": "held", "parties": ["USA", "KOR"]},
                                    end=D(2018, 4, 30))])
    report = monitor.check(spec, store)
    assert [(b.party, b.commitment) for b in report.breaches] == [
        ("USA", "usa-no-exercises"), ("KOR", "kor-no-exercises")]
    assert report.first_breach.party == "USA"  # same day: order of the spec's commitments
    assert report.status == "breached" and report.status_label == "breached by USA, KOR"


def test_mutual_reciprocity_turns_later_acts_of_released_parties_into_responses(store) -> None:
    store.ingest_events([icbm("p1", D(2018, 5, 1)), ofac("u1", D(2018, 6, 1)),
                         icbm("p2", D(2018, 7, 1)), ofac("u2", D(2018, 7, 30))])
    report = monitor.check(pause(), store)
    assert report.first_breach.party == "PRK" and report.first_breach.date == D(2018, 5, 1)
    assert [b.event.source_ref for b in report.breaches] == ["p1", "p2"]
    assert [(r.event.source_ref, r.released_by) for r in report.responses] == [
        ("u1", "PRK"), ("u2", "PRK")]
    assert report.first_breach_by_party == {"PRK": report.breaches[0], "USA": None}
    assert [s.label for s in report.timeline] == ["holding", "breached by PRK", "collapsed"]
    assert report.timeline[1] == monitor.Segment(D(2018, 5, 1), D(2018, 5, 31), "breached",
                                                 ("PRK",))
    assert report.timeline[2].responded == ("USA",)
    by_commitment = {c.commitment: c for c in report.commitments}
    assert len(by_commitment["usa-no-designations"].responses) == 2
    assert by_commitment["usa-no-designations"].first_breach is None


def test_a_response_counts_only_within_the_response_window(store) -> None:
    # Released on 2018-05-01; the default window is 90 days (to 2018-07-30 inclusive).
    store.ingest_events([icbm("p1", D(2018, 5, 1)), ofac("u1", D(2018, 7, 30)),
                         ofac("u2", D(2018, 7, 31))])
    report = monitor.check(pause(), store)
    assert [(r.event.source_ref, r.released_by) for r in report.responses] == [("u1", "PRK")]
    late = [b for b in report.breaches if b.party == "USA"]
    assert [(b.event.source_ref, b.released_by) for b in late] == [("u2", "PRK")]
    assert report.to_json_dict()["response_window_days"] == 90
    # Eight months later is no response: with a 30-day window u1 is a breach of its own.
    short = monitor.check(pause(response_window_days=30), store)
    assert short.responses == () and short.first_breach_by("USA").event.source_ref == "u1"
    with pytest.raises(ValueError, match="response_window_days"):
        pause(response_window_days=-1)


def test_same_day_acts_are_breaches_not_responses(store) -> None:
    store.ingest_events([icbm("p", D(2018, 5, 1)), ofac("u", D(2018, 5, 1))])
    report = monitor.check(pause(), store)
    assert [b.party for b in report.breaches] == ["PRK", "USA"]
    assert report.responses == ()
    assert report.status == "collapsed"


def test_no_reciprocity_means_every_act_is_a_breach(store) -> None:
    store.ingest_events([icbm("p1", D(2018, 5, 1)), ofac("u1", D(2018, 6, 1))])
    report = monitor.check(pause(reciprocity="none"), store)
    assert [b.party for b in report.breaches] == ["PRK", "USA"] and report.responses == ()
    assert [s.label for s in report.timeline] == ["holding", "breached by PRK", "collapsed"]


def test_explicit_reciprocity_map(store) -> None:
    # A PRK breach releases the US; a US breach releases nobody.
    spec = pause(reciprocity={"PRK": ["USA"]})
    store.ingest_events([ofac("u1", D(2018, 4, 1)), icbm("p1", D(2018, 5, 1)),
                         ofac("u2", D(2018, 6, 1))])
    report = monitor.check(spec, store)
    # The US broke it first and released nobody; PRK's launch is a breach; a party that has
    # already breached is not released, so the US's later designation is a breach too.
    assert [b.event.source_ref for b in report.breaches] == ["u1", "p1", "u2"]
    assert report.responses == () and report.first_breach.party == "USA"
    # Without the US's first breach, PRK's launch releases the US: u2 becomes a response.
    later = monitor.check(spec, store, start=D(2018, 4, 2))
    assert [b.event.source_ref for b in later.breaches] == ["p1"]
    assert [(r.event.source_ref, r.released_by) for r in later.responses] == [("u2", "PRK")]
    # The reverse map: the US breach releases PRK.
    reverse = monitor.check(pause(reciprocity={"USA": ["PRK"]}), store)
    assert [b.event.source_ref for b in reverse.breaches] == ["u1", "u2"]
    assert [(r.event.source_ref, r.released_by) for r in reverse.responses] == [("p1", "USA")]


def test_co_breakers_are_not_released_by_each_other(store) -> None:
    exercise = [{"kind": "military_exercise", "where": {"status": "held"}}]
    spec = pause(parties=["PRK", "USA", "KOR"], commitments=[
        {"id": "prk-no-tests", "party": "PRK", "refrains_from": [{"kind": "nuclear_test"}],
         "verification": {"means": "seismic", "detection": 1.0}},
        {"id": "usa-no-exercises", "party": "USA", "refrains_from": exercise,
         "verification": {"means": "public", "detection": 1.0}},
        {"id": "kor-no-exercises", "party": "KOR", "refrains_from": exercise,
         "verification": {"means": "public", "detection": 1.0}}])
    joint = {"status": "held", "parties": ["USA", "KOR"]}
    store.ingest_events([
        make_event("fe", D(2018, 4, 1), "USA", "military_exercise", joint, end=D(2018, 4, 30)),
        make_event("kr", D(2018, 4, 23), "USA", "military_exercise", joint, end=D(2018, 5, 3)),
        make_event("nt", D(2018, 6, 1), "PRK", "nuclear_test")])
    report = monitor.check(spec, store)
    assert [(b.party, b.event.source_ref) for b in report.breaches] == [
        ("USA", "fe"), ("KOR", "fe"), ("USA", "kr"), ("KOR", "kr")]
    assert [(r.party, r.released_by) for r in report.responses] == [("PRK", "USA")]
    assert [s.label for s in report.timeline] == ["holding", "breached by USA, KOR", "collapsed"]


def test_positive_obligations_met_missed_and_pending(store) -> None:
    spec = pause(commitments=[
        {"id": "prk-dismantle", "party": "PRK",
         "undertakes": [{"id": "close-site", "kind": "announcement", "within_days": 30,
                         "where": {"title": "test site closed"}}],
         "verification": {"means": "journalists", "detection": 1.0}},
        {"id": "usa-aid", "party": "USA",
         "undertakes": [{"id": "food-aid", "kind": "announcement", "by": "2018-04-15"},
                        {"id": "talks", "kind": "talks", "within_days": 400}],
         "refrains_from": [{"kind": "sanctions_designation"}],
         "verification": {"means": "public", "detection": 1.0}}])
    store.ingest_events([
        make_event("closed", D(2018, 3, 20), "PRK", "announcement", {"title": "test site closed"}),
        make_event("other", D(2018, 3, 21), "USA", "summit"),
        make_event("u-late", D(2018, 5, 1), "USA", "sanctions_designation"),
        make_event("end", D(2018, 12, 31), "JPN", "summit"),
    ])
    report = monitor.check(spec, store)
    outcomes = {o.undertaking: o for o in report.obligations}
    assert outcomes["close-site"].status == "met"
    assert outcomes["close-site"].event.source_ref == "closed"
    assert outcomes["close-site"].deadline == D(2018, 3, 31)
    assert outcomes["food-aid"].status == "missed" and outcomes["food-aid"].event is None
    assert outcomes["food-aid"].date == D(2018, 4, 16)
    assert outcomes["talks"].status == "pending"
    # The missed obligation is the US's first breach (it releases PRK); the US's own later
    # designation is still a breach: nobody released the US.
    assert report.first_breach.undertaking == "food-aid"
    assert report.first_breach.date == D(2018, 4, 16) and report.first_breach.event is None
    assert [b.event.source_ref for b in report.breaches[1:]] == ["u-late"]
    data = report.to_json_dict()
    assert data["first_breach"]["event"] is None
    assert data["first_breach"]["undertaking"] == "food-aid"


def test_obligation_missed_inside_window_counts_but_not_after_it(store) -> None:
    spec = pause(end="2018-03-10", commitments=[
        {"id": "usa-aid", "party": "USA",
         "undertakes": [{"id": "aid", "kind": "announcement", "within_days": 20}],
         "verification": {"means": "public", "detection": 1.0}}])
    store.ingest_events([make_event("end", D(2018, 12, 31), "JPN", "summit")])
    report = monitor.check(spec, store)
    assert report.obligations[0].status == "missed"
    assert report.breaches == () and report.status == "holding"


def test_start_and_end_override(store) -> None:
    store.ingest_events([icbm("p1", D(2018, 5, 1)), icbm("p2", D(2019, 5, 1)),
                         ofac("u1", D(2019, 6, 1))])
    spec = pause()
    later = monitor.check(spec, store, start=D(2018, 6, 1))
    assert later.start == D(2018, 6, 1)
    assert later.first_breach.event.source_ref == "p2"
    window = monitor.check(spec, store, start=D(2018, 6, 1), end=D(2019, 4, 30))
    assert window.to_json_dict()["window"] == {"start": "2018-06-01", "end": "2019-04-30"}
    assert window.status == "holding"
    with pytest.raises(ParameterError) as info:
        monitor.check(spec, store, start=D(2019, 1, 1), end=D(2018, 1, 1))
    assert info.value.problems[0].field == "end"
    with pytest.raises(ParameterError):
        monitor.check(spec, store, start=D(2030, 1, 1))


def test_override_start_moves_relative_deadlines(store) -> None:
    spec = pause(commitments=[
        {"id": "usa-aid", "party": "USA",
         "undertakes": [{"id": "aid", "kind": "announcement", "within_days": 10}],
         "verification": {"means": "public", "detection": 1.0}}])
    store.ingest_events([make_event("a", D(2019, 1, 5), "USA", "announcement"),
                         make_event("end", D(2019, 12, 31), "JPN", "summit")])
    assert monitor.check(spec, store).obligations[0].status == "missed"
    moved = monitor.check(spec, store, start=D(2019, 1, 1))
    assert moved.obligations[0].status == "met"
    assert moved.obligations[0].deadline == D(2019, 1, 11)


def test_json_carries_events_in_their_public_form(store) -> None:
    event = icbm("p1", D(2018, 5, 1))
    store.ingest_events([event, ofac("u1", D(2018, 6, 1))])
    data = monitor.check(pause(), store).to_json_dict()
    assert set(data) >= {"agreement", "window", "status", "first_breach", "breaches",
                         "responses", "timeline"}
    assert data["agreement"] == "pause"
    assert data["window"] == {"start": "2018-03-01", "end": None}
    stored = next(store.events())
    assert data["first_breach"]["event"] == stored.to_json_dict()
    assert {"party", "commitment", "date", "event"} <= set(data["breaches"][0])
    assert data["responses"][0]["event"]["source_ref"] == "u1"
    json.dumps(data)  # plain JSON


def test_daily_expansion_matches_segments(store) -> None:
    store.ingest_events([icbm("p1", D(2018, 3, 5)), ofac("u1", D(2018, 3, 8)),
                         make_event("end", D(2018, 3, 10), "JPN", "summit")])
    report = monitor.check(pause(), store)
    daily = report.daily()
    assert list(daily["date"]) == [D(2018, 3, 1) + dt.timedelta(days=i) for i in range(10)]
    assert list(daily["status"]) == ["holding"] * 4 + ["breached"] * 3 + ["collapsed"] * 3
    assert report.status_on(D(2018, 3, 6)).label == "breached by PRK"
    assert report.status_on(D(2017, 1, 1)) is None
    assert sum(s.days for s in report.timeline) == len(daily)


def test_breach_report_is_frozen(store) -> None:
    store.ingest_events([icbm("p1", D(2018, 5, 1))])
    report = monitor.check(pause(), store)
    with pytest.raises(AttributeError):
        report.status_label = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        report.breaches[0].date = D(2000, 1, 1)  # type: ignore[misc]


def test_empty_store_is_an_error(store) -> None:
    with pytest.raises(ParameterError):
        monitor.check(pause(), store)


def test_an_ended_window_without_breach_reads_as_held(tmp_path):
    from detente.agreements import presets
    from detente.events.store import Store
    from detente.monitor import check

    with Store(tmp_path / "bundled.duckdb") as store:
        report = check(presets.load("olympic-truce-2018"), store)
    assert report.status == "holding" and report.first_breach is None
    assert report.status_label == "held (window ended 2018-03-25)"
