"""The backtest on a synthetic record: outcomes by brute force, scores recomputed, blind
windows left out, and no forecast that can see past its origin (a planted future event
changes no forecast)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detente import matcher
from detente.agreements.spec import parse
from detente.cli import app
from detente.evaluate import evaluate
from detente.events.coverage import Coverage
from detente.events.store import Store
from detente.simulate import hazard, history, simulate
from detente.simulate.fitted import Fitted, initial_state
from detente.simulate.model import build
from tests.strategies import make_event

SPEC = """
id: synthetic-pause
title: Synthetic pause
parties: [PRK, USA]
start: 2011-01-03
commitments:
  - id: prk-no-tests
    party: PRK
    refrains_from: [{kind: missile_test}]
    verification: {means: radar, detection: 1.0, false_alarm: 0.01}
  - id: usa-no-designations
    party: USA
    refrains_from: [{kind: sanctions_designation, where: {issuer: [OFAC]}}]
    verification: {means: lists, detection: 1.0}
reciprocity: mutual
"""
GAP = (dt.date(2010, 7, 1), dt.date(2010, 9, 30))   # PRK's tests unobserved
END = dt.date(2014, 12, 31)
ORIGINS = (2008, 2009, 2010, 2011)
HORIZONS = (4, 13)


def _events():
    """Clustered PRK tests and sparse US designations, 1996-2014, none in the gap."""
    rng = np.random.default_rng(7)
    out, day, k = [], dt.date(1996, 1, 8), 0
    while day < END:
        day += dt.timedelta(days=int(rng.choice([7, 14, 21, 120, 200, 300])))
        if GAP[0] <= day <= GAP[1] or day > END:
            continue
        out.append(make_event(f"prk-{k}", day, "PRK", "missile_test", {"class": "SRBM"}))
        k += 1
    day = dt.date(1996, 3, 4)
    while day < END:
        day += dt.timedelta(days=int(rng.integers(40, 400)))
        if day <= END:
            out.append(make_event(f"usa-{day}", day, "USA", "sanctions_designation",
                                  {"issuer": "OFAC"}))
    return out


def _coverage():
    return [Coverage(source="syn", kinds=["missile_test"], actors=["PRK"],
                     start=dt.date(1995, 1, 1), end=GAP[0] - dt.timedelta(days=1)),
            Coverage(source="syn", kinds=["missile_test"], actors=["PRK"],
                     start=GAP[1] + dt.timedelta(days=1), end=END),
            Coverage(source="syn", kinds=["sanctions_designation"], actors=["USA"],
                     where={"issuer": ("OFAC",)}, start=dt.date(1995, 1, 1), end=END)]


def _store(path, extra=()):
    store = Store(path, empty=True)
    store.ingest_events([*_events(), *extra])
    store.declare_coverage(_coverage())
    return store


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    with _store(tmp_path_factory.mktemp("eval") / "events.duckdb") as store:
        return evaluate([parse(SPEC)], store, origins=ORIGINS, horizons=HORIZONS, runs=32,
                        draws=300, seed=5)


def _held(start: dt.date, weeks: int) -> int:
    last = start + dt.timedelta(days=7 * weeks - 1)
    return int(not any(start <= e.date <= last for e in _events()))


def test_outcomes_are_the_replay_and_blind_or_unfinished_windows_are_left_out(baseline):
    cases = baseline.cases
    assert len(cases) > 100
    for row in cases.itertuples(index=False):
        assert row.held == _held(row.start, row.horizon)
        last = row.start + dt.timedelta(days=7 * row.horizon - 1)
        assert last <= END
        assert last < GAP[0] or row.start > GAP[1], row   # no blind day in the window
    # Every start the record can decide is there.
    origin = dt.date(2011, 1, 1)
    starts = {origin + dt.timedelta(days=7 * k) for k in range(52)}
    got = set(cases[(cases["origin"] == 2011) & (cases["horizon"] == 13)]["start"])
    assert got == starts


def test_scores_skills_and_reliability_recomputed(baseline):
    cases = baseline.cases
    for s in baseline.scores:
        sub = cases[cases["horizon"] == s.horizon]
        f = sub[s.method].dropna()
        y = sub.loc[f.index, "held"]
        assert s.brier == pytest.approx(float(((f - y) ** 2).mean()))
        p = f.clip(1e-3, 1 - 1e-3)
        assert s.log_score == pytest.approx(float(-(y * np.log(p) + (1 - y) * np.log(1 - p))
                                                  .mean()))
        assert s.n == len(f) and 1 <= s.n_eff <= s.n
        bins = [b for b in baseline.reliability
                if b.method == s.method and b.horizon == s.horizon]
        assert sum(b.n for b in bins) == s.n
    for k in baseline.skills:
        sub = cases[cases["horizon"] == k.horizon][[k.model, k.baseline, "held"]].dropna()
        bm = ((sub[k.model] - sub["held"]) ** 2).sum()
        bb = ((sub[k.baseline] - sub["held"]) ** 2).sum()
        assert k.skill == pytest.approx(1 - bm / bb)
        assert k.lo <= k.hi
        assert (k.verdict is not None) == (k.lo > 0 or k.hi < 0)
    data = baseline.to_json_dict()
    json.dumps(data)
    assert {"scores", "skills", "verdicts", "reliability"} <= set(data)


def test_a_planted_future_event_changes_no_forecast(baseline, tmp_path):
    # An event 30 days after the last origin: forecasts made before it cannot move.
    planted_day = dt.date(2011, 1, 31)
    planted = make_event("planted", planted_day, "PRK", "missile_test", {"class": "SRBM"})
    with _store(tmp_path / "events.duckdb", [planted]) as store:
        again = evaluate([parse(SPEC)], store, origins=ORIGINS, horizons=HORIZONS, runs=32,
                         draws=300, seed=5)
        # The fits at the origin are the same, coefficient for coefficient.
        record = history.load(parse(SPEC), store)
    with _store(tmp_path / "plain.duckdb") as store:
        plain = history.load(parse(SPEC), store)
    cut = matcher.day_number(dt.date(2011, 1, 1))
    for party in ("PRK", "USA"):
        assert hazard.fit(record, party, cut) == hazard.fit(plain, party, cut)
    key = ["agreement", "origin", "start", "horizon"]
    merged = baseline.cases.merge(again.cases, on=key, suffixes=("", "_after"))
    assert len(merged) == len(baseline.cases)
    known = merged[merged["start"] <= planted_day]
    assert len(known) > 100
    for method in baseline.methods:
        assert np.array_equal(known[method].to_numpy(), known[f"{method}_after"].to_numpy(),
                              equal_nan=True), method
    # The planted event was seen: some outcome and some later forecast changed.
    assert (merged["held"] != merged["held_after"]).any()
    later = merged[merged["start"] > planted_day]
    assert (later["hazard"] != later["hazard_after"]).any()


def test_fitted_behaviour_in_the_engine_matches_its_closed_form(tmp_path):
    # Without false alarms and with perfect detection, the first breach of the fitted
    # simulation follows the fitted hazards' product along the no-act path.
    spec = parse(SPEC)
    with _store(tmp_path / "events.duckdb") as store:
        record = history.load(spec, store)
    cut = matcher.day_number(dt.date(2009, 6, 1))
    models = {p: hazard.fit(record, p, cut) for p in record.parties}
    states = {p: hazard.state_at(record, p, cut) for p in record.parties}
    closed = hazard.path_survival(models, states, 26, hazard.response_weeks(record))
    model = build(spec, rates={"PRK": 1.0, "USA": 1.0}, horizon=26, false_alarm_prior=False)
    model = dataclasses.replace(model.with_monitors(None, false_alarm=0.0), collapse="breach")
    runs = 40_000
    strategies = [Fitted(model=models[p], initial=initial_state(states[p]), draws=0)
                  for p in model.codes]
    result = simulate(model, strategies, runs=runs, seed=3)
    for t in (1, 4, 13, 26):
        se = math.sqrt(closed[t] * (1 - closed[t]) / runs)
        assert abs(result.survival_p[t] - closed[t]) <= 5.3 * se + 1e-9, t


def test_cli_json_and_csv(tmp_path):
    path = tmp_path / "events.duckdb"
    _store(path).close()
    spec = tmp_path / "pause.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "cases.csv"
    runner = CliRunner()
    done = runner.invoke(app, ["evaluate", str(spec), "--from", "2010", "--to", "2011",
                               "--horizons", "4,13", "--runs", "8", "--bootstrap", "200",
                               "--methods", "default,base_5y", "--json", "--csv", str(out),
                               "--db", str(path)])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["methods"] == ["default", "base_5y"] and data["horizons_weeks"] == [4, 13]
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["agreement", "origin", "start", "horizon", "held",
                                   "default", "base_5y"]
    assert len(frame) == data["cases"]
    table = runner.invoke(app, ["simulate", "calibrate", str(spec), "--from", "2010", "--to",
                                "2011", "--horizons", "4", "--runs", "8", "--bootstrap", "200",
                                "--methods", "hazard,base_all", "--db", str(path)])
    assert table.exit_code == 0, table.output
    assert "Brier skill against each baseline" in table.output
    bad = runner.invoke(app, ["evaluate", str(spec), "--methods", "oracle", "--db", str(path)])
    assert bad.exit_code != 0 and "oracle" in bad.output
