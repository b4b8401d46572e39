"""Tension index and quiet windows."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente import tension
from detente.errors import ParameterError
from detente.events.event import Event
from detente.events.store import Store

D = dt.date


def ev(day: str, actor: str, target: str | None, kind: str, ref: str, **attrs) -> Event:
    return Event(date=D.fromisoformat(day), actor=actor, target=target, kind=kind, attrs=attrs,
                 source="test", source_ref=ref)


EVENTS = [
    ev("2018-01-01", "PRK", "USA", "missile_test", "1", **{"class": "ICBM"}),
    ev("2018-01-01", "USA", "PRK", "sanctions_designation", "2", issuer="OFAC"),
    ev("2018-01-03", "USA", "PRK", "talks", "3"),
    ev("2018-01-03", "PRK", "KOR", "provocation", "4"),                      # other dyad
    ev("2018-01-09", "PRK", "USA", "other", "5", cameo="046", goldstein=7.0,
       code_system="CAMEO", code="046", mentions=3),
    ev("2018-01-10", "USA", "KOR", "military_exercise", "6", status="suspended"),
    ev("2018-01-10", "KOR", "USA", "military_exercise", "7", status="scaled_down"),
    ev("2018-04-20", "PRK", None, "nuclear_test", "8"),
    ev("2018-06-12", "USA", "PRK", "summit", "9"),
]


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        s.ingest_events(EVENTS)
        yield s


def test_dyad_and_halflife_parsing():
    assert tension.Dyad.parse("prk-usa") == tension.Dyad("PRK", "USA")
    for bad in ("PRK", "PRK-PRK", "PRK_USA", "P-USA"):
        with pytest.raises(ParameterError):
            tension.Dyad.parse(bad)
    assert tension.parse_halflife("4w") == 28.0 and tension.parse_halflife("10d") == 10.0
    assert tension.parse_halflife("2.5") == 2.5 and tension.parse_halflife(None) is None
    for bad in ("0d", "-3", "4m", "w"):
        with pytest.raises(ParameterError):
            tension.parse_halflife(bad)


def test_weights_use_goldstein_then_the_kind_table(store):
    w = tension.event_weights(store, "PRK-USA").set_index("id")["weight"]
    by_ref = {e.source_ref: w[e.id] for e in EVENTS if e.id in w.index}
    assert by_ref == {"1": tension.KIND_WEIGHTS["missile_test"],
                      "2": tension.KIND_WEIGHTS["sanctions_designation"],
                      "3": tension.KIND_WEIGHTS["talks"], "5": 7.0,
                      "8": tension.KIND_WEIGHTS["nuclear_test"],   # no target: unilateral
                      "9": tension.KIND_WEIGHTS["summit"]}
    directed = tension.event_weights(store, "PRK-USA", unilateral=False)
    assert len(directed) == len(by_ref) - 1
    ex = tension.event_weights(store, "KOR-USA").set_index("id")["weight"]
    assert sorted(ex) == sorted([tension.EXERCISE_WEIGHTS["suspended"],
                                 tension.EXERCISE_WEIGHTS["scaled_down"]])
    mentions = tension.event_weights(store, "PRK-USA", per_mention=True)
    assert mentions["weight"].max() == 21.0  # 7.0 x 3 mentions


def test_daily_series_values(store):
    s = tension.tension(store, "USA-PRK")
    f = s.frame.set_index("date")
    assert f.index[0] == D(2018, 1, 1) and f.index[-1] == D(2018, 6, 12)
    assert len(f) == (D(2018, 6, 12) - D(2018, 1, 1)).days + 1   # every day present
    day1 = f.loc[D(2018, 1, 1)]
    assert day1["events"] == 2 and day1["conflict"] == pytest.approx(15.2)
    assert day1["cooperation"] == 0 and day1["tension"] == pytest.approx(15.2)
    assert f.loc[D(2018, 1, 3), "tension"] == pytest.approx(-7.0)   # PRK-KOR not counted
    assert f.loc[D(2018, 1, 2), "events"] == 0 and np.isnan(f.loc[D(2018, 1, 2), "mean_weight"])
    assert f.loc[D(2018, 4, 20), "tension"] == 10.0                 # nuclear test: no target
    directed = tension.tension(store, "USA-PRK", unilateral=False).frame.set_index("date")
    assert directed.loc[D(2018, 4, 20), "events"] == 0
    assert s.to_json_dict()["series"][0] == {"date": "2018-01-01", "events": 2,
                                             "conflict": pytest.approx(15.2),
                                             "cooperation": 0.0,
                                             "tension": pytest.approx(15.2),
                                             "mean_weight": pytest.approx(-7.6)}


def test_weekly_series_sums_the_days_and_smoothing_is_the_recursion(store):
    daily = tension.tension(store, "PRK-USA").frame
    weekly = tension.tension(store, "PRK-USA", weekly=True, smooth="2w").frame
    assert weekly["events"].sum() == daily["events"].sum()
    assert weekly["tension"].sum() == pytest.approx(daily["tension"].sum())
    assert all(pd_day.weekday() == 0 for pd_day in weekly["date"])    # Mondays
    a = 1 - 2 ** (-1 / 2)
    x = weekly["tension"].to_numpy()
    expected = [x[0]]
    for v in x[1:]:
        expected.append((1 - a) * expected[-1] + a * v)
    assert weekly["smoothed"].to_numpy() == pytest.approx(expected)


def test_bounds_and_sources(store):
    s = tension.tension(store, "PRK-USA", start=D(2018, 1, 2), end=D(2018, 1, 31))
    assert s.frame["date"].iloc[0] == D(2018, 1, 2) and len(s.frame) == 30
    assert s.frame["events"].sum() == 2
    assert tension.tension(store, "PRK-USA", sources=["nowhere"]).frame.empty
    with pytest.raises(ParameterError):
        tension.tension(store, "PRK-USA", start=D(2018, 2, 1), end=D(2018, 1, 1))


def test_windows_list_quiet_periods_and_what_ended_them(store):
    found = tension.windows(store, min_days=30, actors=["PRK"])
    assert found.provocations == 3  # 01-01 missile, 01-03 provocation, 04-20 nuclear test
    spans = [(w.start, w.end, w.days, w.ongoing) for w in found.windows]
    assert spans == [(D(2018, 1, 4), D(2018, 4, 19), 106, False),
                     (D(2018, 4, 21), D(2018, 6, 12), 53, True)]
    first = found.windows[0]
    assert [p.kind for p in first.opened_by] == ["provocation"]
    assert [p.kind for p in first.ended_by] == ["nuclear_test"]
    assert found.current is found.windows[1] and not found.windows[1].ended_by
    kinds = found.frame["ended_kind"]
    assert kinds.iloc[0] == "nuclear_test" and kinds.isna().iloc[1]
    j = found.to_json_dict()
    assert j["windows"][0]["ended_by"][0]["date"] == "2018-04-20"
    dyad = tension.windows(store, min_days=1, dyad="PRK-USA")
    assert dyad.provocations == 2  # the ICBM test at the USA and the untargeted nuclear test
    assert tension.windows(store, min_days=200, actors=["PRK"]).windows == ()


def test_windows_max_weight_counts_heavy_events(store):
    found = tension.windows(store, min_days=1, actors=["USA"], kinds=["provocation"],
                            max_weight=-8.0)
    assert found.provocations == 1  # the OFAC designation weighs -8
    with pytest.raises(ParameterError):
        tension.windows(store, kinds=["storm"])


DAYS = st.integers(0, 200)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(DAYS, st.sampled_from(["missile_test", "talks", "provocation"])),
                max_size=25), st.integers(1, 60))
def test_windows_partition_the_quiet_days(tmp_path_factory, items, min_days):
    start = D(2020, 1, 1)
    events = [ev((start + dt.timedelta(days=d)).isoformat(), "PRK", "USA", k, f"r{i}")
              for i, (d, k) in enumerate(items)]
    events.append(ev("2020-12-31", "USA", "PRK", "talks", "end"))
    with Store(tmp_path_factory.mktemp("w") / "s.duckdb", empty=True) as store:
        store.ingest_events(events)
        found = tension.windows(store, min_days=min_days, start=start, end=D(2020, 12, 31))
    bad_days = {start + dt.timedelta(days=d) for d, k in items if k != "talks"}
    for w in found.windows:
        assert w.days >= min_days
        assert not any(w.start <= b <= w.end for b in bad_days)
        assert w.ongoing or (w.end + dt.timedelta(days=1)) in bad_days
        assert (w.start == start) or (w.start - dt.timedelta(days=1)) in bad_days
    covered = {w.start + dt.timedelta(days=i) for w in found.windows for i in range(w.days)}
    every_quiet = {start + dt.timedelta(days=i) for i in range(366)} - bad_days
    assert covered <= every_quiet


def test_cli_tension_and_windows(store_path):
    from detente.cli import app

    with Store(store_path, empty=True) as s:
        s.ingest_events(EVENTS)
    runner = CliRunner()
    out = runner.invoke(app, ["tension", "--dyad", "PRK-USA", "--weekly", "--smooth", "4w",
                              "--json", "--db", str(store_path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["dyad"] == "PRK-USA" and data["freq"] == "weekly"
    assert data["halflife_days"] == 28.0 and "smoothed" in data["series"][0]
    table = runner.invoke(app, ["tension", "--dyad", "PRK-USA", "--db", str(store_path)])
    assert table.exit_code == 0 and "highest: 15.2" in table.stdout
    win = runner.invoke(app, ["windows", "--min-days", "30", "--actor", "PRK", "--json",
                              "--db", str(store_path)])
    assert win.exit_code == 0
    assert [w["days"] for w in json.loads(win.stdout)["windows"]] == [106, 53]
    bad = runner.invoke(app, ["tension", "--dyad", "PRK", "--db", str(store_path)])
    assert bad.exit_code == 2 and "PRK-USA" in bad.output


def test_joint_acts_count_for_every_party(store_path):
    joint = ev("2018-03-05", "USA", "PRK", "military_exercise", "j1", status="held",
               parties=["USA", "KOR"])
    with Store(store_path, empty=True) as s:
        s.ingest_events([joint])
        assert tension.event_weights(s, "KOR-PRK")["weight"].tolist() == [-7.2]
        assert tension.event_weights(s, "USA-PRK")["weight"].tolist() == [-7.2]
        assert tension.event_weights(s, "KOR-USA").empty  # partners, not adversaries here
