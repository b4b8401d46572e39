"""Temptation rates from the event store (synthetic record), and their precedence."""

from __future__ import annotations

import datetime as dt

import pytest

from detente.agreements import presets
from detente.errors import ParameterError
from detente.simulate import rates
from tests.strategies import make_event

START = dt.date(2017, 1, 2)  # a Monday
END = dt.date(2017, 12, 31)  # 364 days: 52 whole weeks


def week(n: int, day: int = 0) -> dt.date:
    return START + dt.timedelta(days=7 * n + day)


@pytest.fixture
def store(empty_store):
    events = [
        make_event("icbm-a", week(0), "PRK", "missile_test", {"class": "ICBM"}),
        make_event("icbm-b", week(0, 3), "PRK", "missile_test", {"class": "ICBM"}),  # same week
        make_event("irbm", week(5), "PRK", "missile_test", {"class": "IRBM"}),
        make_event("srbm", week(10, 6), "PRK", "missile_test", {"class": "SRBM"}),
        make_event("cruise", week(20), "PRK", "missile_test", {"class": "cruise"}),  # not forbidden
        make_event("nuke", week(30), "PRK", "nuclear_test"),
        make_event("kor", week(40), "KOR", "missile_test", {"class": "SRBM"}),  # not PRK
        make_event("joint", week(45), "RUS", "missile_test",
                   {"class": "SRBM", "parties": ["RUS", "PRK"]}),  # PRK among the parties
        make_event("before", START - dt.timedelta(days=3), "PRK", "missile_test",
                   {"class": "ICBM"}),
        make_event("after", END + dt.timedelta(days=1), "PRK", "missile_test",
                   {"class": "ICBM"}),
        make_event("ofac-1", week(2), "USA", "sanctions_designation", {"issuer": "OFAC"}),
        make_event("ofac-2", week(3, 2), "USA", "sanctions_designation", {"issuer": "OFAC"}),
        make_event("unsc", week(7), "USA", "sanctions_designation", {"issuer": "UNSC"}),
    ]
    empty_store.ingest_events(events)
    return empty_store


def test_share_of_weeks_with_a_breaching_event(store):
    spec = presets.load("post-olympic-pause")
    prk = rates.estimate(spec, "PRK", store, START, END, "week")
    assert prk.periods == 52
    assert prk.events == 6  # icbm-a, icbm-b, irbm, srbm, nuke, joint
    assert prk.periods_with_events == 5
    assert prk.recorded == pytest.approx(5 / 52)
    assert prk.detection == pytest.approx(0.99)
    assert prk.rate == pytest.approx(5 / 52 / 0.99)  # the record only holds what was seen
    assert "5 of 52 periods" in prk.describe() and "2017-01-02" in prk.describe()
    usa = rates.estimate(spec, "USA", store, START, END, "week")
    assert (usa.periods_with_events, usa.events, usa.rate) == (2, 2, pytest.approx(2 / 52))


def test_agrees_with_the_commitments_own_semantics(store):
    # The SQL prefilter must not change what counts: recount with is_breach on every event.
    spec = presets.load("post-olympic-pause")
    for party in ("PRK", "USA"):
        weeks = {(e.date - START).days // 7 for e in store.events()
                 if START <= e.date <= END
                 and any(c.is_breach(e) for c in spec.commitments_of(party))}
        assert rates.estimate(spec, party, store, START, END).periods_with_events == len(weeks)


def test_monthly_and_daily_periods(store):
    spec = presets.load("post-olympic-pause")
    monthly = rates.estimate(spec, "USA", store, START, END, "month")
    assert monthly.periods == 11 and monthly.periods_with_events == 1  # both in January
    daily = rates.estimate(spec, "PRK", store, START, END, "day")
    assert daily.periods == 364 and daily.periods_with_events == 6


def test_precedence_option_spec_store(store):
    spec = presets.load("post-olympic-pause").model_copy(update={"temptation": {"USA": 0.2}})
    found = rates.resolve(spec, "week", given={"PRK": 0.5}, store=store, reference=(START, END))
    assert found["PRK"].source == "option" and found["PRK"].rate == 0.5
    assert found["USA"].source == "spec" and found["USA"].rate == 0.2
    daily = rates.resolve(spec, "day", given={"PRK": 0.5})
    assert daily["PRK"].rate == pytest.approx(1 - 0.5 ** (1 / 7))
    found = rates.resolve(presets.load("post-olympic-pause"), "week", store=store,
                          reference=(START, END))
    assert {r.source for r in found.values()} == {"store"}


def test_default_reference_is_the_two_years_before_the_start():
    spec = presets.load("post-olympic-pause")
    first, last = rates.default_reference(spec)
    assert last == spec.start - dt.timedelta(days=1)
    assert (last - first).days + 1 == 730


def test_errors():
    spec = presets.load("post-olympic-pause")
    with pytest.raises(ParameterError, match="no temptation rate"):
        rates.resolve(spec, "week", given={"PRK": 0.1})
    with pytest.raises(ParameterError):
        rates.resolve(spec, "week", given={"PRK": 1.5, "USA": 0.1})
    with pytest.raises(ParameterError):
        rates.resolve(spec, "week", given={"CHN": 0.1})
    berlin = presets.load("berlin-moratorium-1999")
    with pytest.raises(ParameterError, match="no restraint commitments"):
        rates.resolve(berlin, "week", given={"USA": 0.1, "PRK": 0.1})
    with pytest.raises(ParameterError):
        rates.parse_range("2017-01-01", "--reference")
    with pytest.raises(ParameterError):
        rates.parse_range("2017-02-01:2017-01-01", "--reference")
    assert rates.parse_range("2017-01-01:2017-12-31", "--reference") == (
        dt.date(2017, 1, 1), dt.date(2017, 12, 31))


def test_reference_shorter_than_a_period(store):
    spec = presets.load("post-olympic-pause")
    with pytest.raises(ParameterError, match="shorter than one month"):
        rates.estimate(spec, "PRK", store, START, START + dt.timedelta(days=20), "month")
