"""The historical what-if: equal to a naive per-start replay; Kaplan-Meier by the book."""

from __future__ import annotations

import datetime as dt
import math
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from detente import monitor
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from detente.events.kinds import EXERCISE_STATUSES, MISSILE_CLASSES
from detente.replay import (
    BAND_COLUMNS,
    STARTS_COLUMNS,
    SURVIVAL_COLUMNS,
    bootstrap_band,
    kaplan_meier,
    whatif,
)
from tests.strategies import make_event

D = dt.date
V = {"means": "m", "detection": 1.0}
EXERCISE = {"kind": "military_exercise", "where": {"status": ["held", "scaled_down"]}}

AGREEMENTS = {
    "open-mutual": {
        "id": "open-mutual", "title": "t", "parties": ["PRK", "USA"], "start": "2018-01-01",
        "commitments": [
            {"id": "prk", "party": "PRK", "verification": V, "refrains_from": [
                {"kind": "nuclear_test"},
                {"kind": "missile_test", "where": {"class": ["ICBM", "IRBM", "SLV"]}}]},
            {"id": "usa", "party": "USA", "verification": V, "refrains_from": [
                {"kind": "sanctions_designation", "where": {"issuer": "OFAC"}}]}]},
    "fixed-term-joint": {
        "id": "fixed-term-joint", "title": "t", "parties": ["PRK", "USA", "KOR"],
        "start": "2018-01-01", "end": "2018-03-31",
        "commitments": [
            {"id": "usa-ex", "party": "USA", "verification": V, "refrains_from": [EXERCISE]},
            {"id": "kor-ex", "party": "KOR", "verification": V, "refrains_from": [EXERCISE]},
            {"id": "prk", "party": "PRK", "verification": V,
             "refrains_from": [{"kind": "missile_test"}]}]},
    "obligations-inexact": {
        "id": "obligations-inexact", "title": "t", "parties": ["PRK", "USA"],
        "start": "2018-01-01", "reciprocity": "none",
        "commitments": [
            {"id": "prk", "party": "PRK", "verification": V,
             "refrains_from": [{"kind": "missile_test", "where": {"series": [2, 3]}}],
             "undertakes": [{"id": "b-talk", "kind": "talks", "within_days": 40},
                            {"id": "a-say", "kind": "announcement", "within_days": 40}]},
            {"id": "usa", "party": "USA", "verification": V,
             "undertakes": [{"id": "deadline", "kind": "announcement", "by": "2019-06-01"}],
             "refrains_from": [{"kind": "sanctions_designation"}]}]},
}


def random_record(seed: int, n: int = 70) -> list:
    rng = np.random.default_rng(seed)
    first = D(2018, 1, 1)
    events = []
    for k in range(n):
        day = first + dt.timedelta(days=int(rng.integers(0, 900)))
        pick = rng.integers(0, 6)
        if pick == 0:
            events.append(make_event(f"m{k}", day, "PRK", "missile_test", {
                "class": str(rng.choice(MISSILE_CLASSES)), "series": int(rng.integers(1, 4))}))
        elif pick == 1:
            events.append(make_event(f"s{k}", day, "USA", "sanctions_designation",
                                     {"issuer": str(rng.choice(["OFAC", "UNSC"]))}))
        elif pick == 2:
            parties = ["USA", "KOR"] if rng.random() < 0.7 else ["KOR"]
            events.append(make_event(f"x{k}", day, parties[0], "military_exercise", {
                "status": str(rng.choice(EXERCISE_STATUSES)), "parties": parties},
                end=day + dt.timedelta(days=int(rng.integers(0, 40)))))
        elif pick == 3:
            events.append(make_event(f"a{k}", day, str(rng.choice(["PRK", "USA"])),
                                     "announcement"))
        elif pick == 4:
            events.append(make_event(f"t{k}", day, "PRK", "talks",
                                     end=day + dt.timedelta(days=int(rng.integers(0, 3)))))
        else:
            events.append(make_event(f"n{k}", day, "PRK", "nuclear_test"))
    return events


def naive(agreement: Agreement, store, starts, record_end):
    """One monitor replay per start: the reference the vectorised pass must equal."""
    term = (agreement.end - agreement.start).days if agreement.end else None
    rows = []
    for s in starts:
        end = s + dt.timedelta(days=term) if term is not None else None
        report = monitor.check(agreement, store, start=s, end=end, as_of=record_end)
        b = report.first_breach
        last = min(end, record_end) if end is not None else record_end
        rows.append({
            "_first_day_parties": {x.party for x in report.breaches if x.date == b.date}
            if b else set(),
            "breach_date": b.date if b else None,
            "days_held": (b.date - s).days if b else (last - s).days + 1,
            "breaker": "+".join(report.first_breakers) if b else None,
            "commitment": b.commitment if b else None,
            "event_id": b.event.id if b and b.event else None, "censored": b is None})
    return rows


@pytest.mark.parametrize("name", sorted(AGREEMENTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_whatif_equals_naive_replay(empty_store, name: str, seed: int) -> None:
    store = empty_store
    store.ingest_events(random_record(seed))
    agreement = Agreement.model_validate(AGREEMENTS[name])
    record_end = D(2020, 3, 1)
    result = whatif(agreement, store, D(2017, 12, 1), D(2020, 6, 1), 37, record_end=record_end)
    starts = [d.date() for d in result.starts["start"]]
    assert starts[0] == D(2017, 12, 1) and starts[-1] <= record_end
    assert all((b - a).days == 37 for a, b in pairwise(starts))
    expected = naive(agreement, store, starts, record_end)
    first_day = [e.pop("_first_day_parties") for e in expected]
    among = {p: sum(p in parties for parties in first_day) for p in agreement.parties}
    shares = dict(zip(result.shares["breaker"], result.shares["among_first"], strict=True))
    assert {k: shares[k] for k in [*agreement.parties, "none"]} == {
        **among, "none": sum(e["censored"] for e in expected)}
    assert shares["unobserved"] == 0 and result.coverage_declared is False
    for row, want in zip(result.starts.to_dict(orient="records"), expected, strict=True):
        got = {
            "breach_date": None if pd.isna(row["breach_date"]) else row["breach_date"].date(),
            "days_held": row["days_held"], "breaker": row["breaker"],
            "commitment": row["commitment"], "event_id": row["event_id"],
            "censored": bool(row["censored"])}
        assert got == want, (row["start"], got, want)


def test_straddling_events_and_ties_match_the_monitor(empty_store) -> None:
    store = empty_store
    exercise = {"status": "held", "parties": ["USA", "KOR"]}
    long = make_event("long", D(2018, 1, 10), "USA", "military_exercise", exercise,
                      end=D(2018, 2, 20))
    store.ingest_events([
        long,
        make_event("short", D(2018, 1, 20), "USA", "military_exercise", exercise,
                   end=D(2018, 1, 25)),
        make_event("tie", D(2018, 3, 1), "PRK", "missile_test", {"class": "ICBM"}),
        make_event("tie2", D(2018, 3, 1), "USA", "military_exercise", exercise),
    ])
    agreement = Agreement.model_validate(AGREEMENTS["fixed-term-joint"])
    result = whatif(agreement, store, D(2018, 1, 1), D(2018, 3, 5), 3, record_end=D(2018, 6, 1))
    by_start = result.starts.set_index("start")
    row = by_start.loc[pd.Timestamp("2018-01-22")]
    assert row["breach_date"] == pd.Timestamp("2018-01-22") and row["days_held"] == 0
    assert row["breaker"] == "USA+KOR" and row["commitment"] == "usa-ex"
    assert row["event_id"] == long.id  # both cover the start: the earlier-dated one
    row = by_start.loc[pd.Timestamp("2018-02-21")]
    assert row["breach_date"] == pd.Timestamp("2018-03-01") and row["commitment"] == "usa-ex"
    expected = naive(agreement, store, [d.date() for d in result.starts["start"]], D(2018, 6, 1))
    assert result.shares.set_index("breaker").loc["KOR", "among_first"] > 0
    assert list(result.starts["commitment"]) == [e["commitment"] for e in expected]


def test_result_shape_and_json(empty_store) -> None:
    store = empty_store
    store.ingest_events(random_record(7))
    agreement = Agreement.model_validate(AGREEMENTS["open-mutual"])
    result = whatif(agreement, store, D(2018, 1, 1), D(2019, 1, 1))
    assert list(result.starts.columns) == STARTS_COLUMNS
    assert list(result.survival.columns) == BAND_COLUMNS and result.band == "year"
    assert result.ending_events == result.starts["event_id"].dropna().nunique()
    assert list(whatif(agreement, store, D(2018, 1, 1), D(2019, 1, 1), bootstrap=0)
                .survival.columns) == SURVIVAL_COLUMNS
    assert result.record_end == store.date_range()[1]
    assert result.shares["starts"].sum() == len(result.starts)
    assert math.isclose(result.shares["share"].sum(), 1.0)
    data = result.to_json_dict()
    assert data["n_starts"] == len(result.starts) == len(data["starts"])
    assert data["breached"] + data["censored"] == data["n_starts"]
    assert set(STARTS_COLUMNS) == set(data["starts"][0])
    assert data["unobserved"] == 0 and data["coverage_declared"] is False


def test_bootstrap_band_draws_whole_clusters() -> None:
    rng = np.random.default_rng(3)
    held = rng.integers(0, 60, size=120)
    breached = rng.random(120) < 0.8
    times = kaplan_meier(held, breached)["days"].to_numpy()
    p = kaplan_meier(held, breached)["p"].to_numpy()
    # One cluster: every draw is the sample itself, so the band is the curve.
    lo, hi = bootstrap_band(held, breached, np.zeros(120), times, draws=200)
    assert np.allclose(lo, p) and np.allclose(hi, p)
    # Ten clusters: a band around the curve, the same for the same seed.
    clusters = np.repeat(np.arange(10), 12)
    lo, hi = bootstrap_band(held, breached, clusters, times, draws=400, seed=2)
    again = bootstrap_band(held, breached, clusters, times, draws=400, seed=2)
    assert np.array_equal(lo, again[0]) and np.array_equal(hi, again[1])
    assert (lo <= hi).all() and (lo < hi).any()
    inside = (lo <= p + 1e-12) & (p <= hi + 1e-12)
    assert inside.mean() > 0.9


def test_parameter_errors(empty_store) -> None:
    store = empty_store
    store.ingest_events(random_record(3, n=5))
    agreement = Agreement.model_validate(AGREEMENTS["open-mutual"])
    with pytest.raises(ParameterError):
        whatif(agreement, store, D(2018, 1, 1), D(2019, 1, 1), 0)
    with pytest.raises(ParameterError):
        whatif(agreement, store, D(2019, 1, 1), D(2018, 1, 1))
    with pytest.raises(ParameterError):
        whatif(agreement, store, D(2031, 1, 1), D(2032, 1, 1))


def reference_km(held, breached):
    """Kaplan-Meier by direct counting over subjects (no vector tricks)."""
    out = {}
    s = 1.0
    for t in sorted({h for h, b in zip(held, breached, strict=True) if b}):
        d = sum(1 for h, b in zip(held, breached, strict=True) if b and h == t)
        n = sum(1 for h, b in zip(held, breached, strict=True) if (b and h >= t) or
                (not b and h > t))
        s *= 1 - d / n
        out[t] = s
    return out


@pytest.mark.parametrize("seed", range(5))
def test_kaplan_meier_matches_direct_counting(seed: int) -> None:
    rng = np.random.default_rng(seed)
    held = rng.integers(0, 60, size=80)
    breached = rng.random(80) < 0.7
    curve = kaplan_meier(held, breached)
    want = reference_km(list(held), list(breached))
    got = dict(zip(curve["days"], curve["p"], strict=True))
    for t, p in want.items():
        assert math.isclose(got[t], p, rel_tol=1e-12)
    assert (np.diff(curve["p"]) <= 1e-15).all()
    assert ((curve["lo"] <= curve["p"] + 1e-12) & (curve["p"] <= curve["hi"] + 1e-12)).all()
    assert ((curve["lo"] >= 0) & (curve["hi"] <= 1)).all()


def test_kaplan_meier_without_censoring_is_the_empirical_survival() -> None:
    held = np.array([0, 2, 2, 5, 9])
    curve = kaplan_meier(held, np.ones(5, bool)).set_index("days")["p"]
    assert curve[0] == pytest.approx(4 / 5)
    assert curve[2] == pytest.approx(2 / 5)
    assert curve[5] == pytest.approx(1 / 5)
    assert curve[9] == 0.0


def test_greenwood_band_textbook_value() -> None:
    # One breach at t=1 among 10 at risk, the rest censored later: S = 0.9,
    # var(log S) = 1/(10*9); log-log band exponent z * sqrt(1/90) / |log 0.9|.
    held = np.array([1] + [5] * 9)
    breached = np.array([True] + [False] * 9)
    row = kaplan_meier(held, breached).set_index("days").loc[1]
    se = math.sqrt(1 / 90) / abs(math.log(0.9))
    assert row["p"] == pytest.approx(0.9)
    assert row["lo"] == pytest.approx(0.9 ** math.exp(1.959963984540054 * se))
    assert row["hi"] == pytest.approx(0.9 ** math.exp(-1.959963984540054 * se))
