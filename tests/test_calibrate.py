"""Calibration against a synthetic record: predictions, outcomes, baselines and scores are each
recomputed here by brute force, and a losing model is reported as losing."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.agreements.spec import parse
from detente.cli import app
from detente.errors import ParameterError
from detente.simulate.calibrate import calibrate
from tests.strategies import make_event

SPEC = """
id: synthetic-pause
title: Synthetic pause
parties: [PRK, USA]
start: 2011-01-03
end: 2011-03-01
commitments:
  - id: prk-no-tests
    party: PRK
    refrains_from: [{kind: missile_test}]
    undertakes: [{id: talk, kind: talks, within_days: 10}]
    verification: {means: radar, detection: 1.0, false_alarm: 0.02}
  - id: usa-no-designations
    party: USA
    refrains_from: [{kind: sanctions_designation, where: {issuer: [OFAC]}}]
    verification: {means: lists, detection: 1.0}
reciprocity: mutual
"""
MONDAY = dt.date(2010, 1, 4)
TRAIN = (MONDAY, MONDAY + dt.timedelta(days=156 * 7 - 1))  # 156 whole weeks
TEST = (dt.date(2013, 1, 7), dt.date(2014, 6, 30))
RECORD_END = dt.date(2015, 6, 30)
DAYS = {6: 26 * 7, 12: 52 * 7}  # 6 and 12 months are 26 and 52 weeks


def _events():
    out = [make_event(f"prk-{k}", MONDAY + dt.timedelta(weeks=20 * k), "PRK", "missile_test",
                      {"class": "SRBM"}) for k in range(8)]  # weeks 0, 20, ..., 140
    out += [make_event("usa-1", dt.date(2011, 5, 3), "USA", "sanctions_designation",
                       {"issuer": "OFAC"}),
            make_event("prk-test-1", dt.date(2013, 9, 2), "PRK", "missile_test"),
            make_event("prk-test-2", dt.date(2014, 3, 5), "PRK", "missile_test"),
            make_event("usa-test", dt.date(2014, 11, 20), "USA", "sanctions_designation",
                       {"issuer": "OFAC"}),
            make_event("unsc", dt.date(2013, 3, 1), "USA", "sanctions_designation",
                       {"issuer": "UNSC"}),  # not a breach
            make_event("end", RECORD_END, "USA", "summit")]
    return out


@pytest.fixture
def store(empty_store):
    empty_store.ingest_events(_events())
    return empty_store


def _held(spec, start: dt.date, days: int) -> bool:
    last = start + dt.timedelta(days=days - 1)
    return not any(start <= e.date <= last and c.is_breach(e)
                   for e in _events() for c in spec.commitments if c.refrains_from)


def _starts(first: dt.date, last: dt.date, record_end: dt.date, days: int):
    s = first
    while s <= last:
        if s + dt.timedelta(days=days - 1) <= record_end:
            yield s
        s += dt.timedelta(days=7)


def test_everything_recomputed_by_brute_force(store):
    spec = parse(SPEC)
    result = calibrate([spec], store, TRAIN, TEST, runs=20_000, seed=4)
    fit = result.fits[0]
    # Rates: weeks with a recorded breach in training.
    assert fit.rates["PRK"]["periods_with_events"] == 8 and fit.rates["PRK"]["periods"] == 156
    assert fit.rates["USA"]["periods_with_events"] == 1
    for months, days in DAYS.items():
        weeks = days // 7
        # Model: the chance of no recorded breach for `weeks` weeks.
        expect = ((1 - 8 / 156) * (1 - 1 / 156)) ** weeks
        assert abs(fit.model[months] - expect) <= 5.3 * math.sqrt(expect * (1 - expect)
                                                                  / 20_000) + 1e-9
        # Base rate: training starts followed to the end inside training.
        base = [_held(spec, s, days) for s in _starts(TRAIN[0], TRAIN[1], TRAIN[1], days)]
        assert fit.base_rate[months] == pytest.approx(np.mean(base))
        assert fit.train_starts[months] == len(base)
        # Outcomes: test starts whose whole window lies inside the record.
        sub = result.predictions[result.predictions["horizon_months"] == months]
        starts = list(_starts(TEST[0], TEST[1], RECORD_END, days))
        assert list(sub["start"]) == starts
        assert list(sub["held"]) == [int(_held(spec, s, days)) for s in starts]
        # Scores.
        scores = result.scores().set_index(["horizon_months", "method"])
        held = np.array(sub["held"])
        for method, pred in (("model", fit.model[months]), ("base_rate", fit.base_rate[months]),
                             ("always_holds", 1.0)):
            brier = np.mean((pred - held) ** 2)
            assert scores.loc[(months, method), "brier"] == pytest.approx(brier)
            assert scores.loc[(months, method), "n"] == len(held)
    rel = result.reliability()
    for (months, _method), group in rel.groupby(["horizon_months", "method"]):
        sub = result.predictions[result.predictions["horizon_months"] == months]
        assert group["n"].sum() == len(sub)
        assert np.average(group["observed"], weights=group["n"]) == pytest.approx(
            sub["held"].mean())


def test_verdict_names_the_winner_even_when_it_is_not_the_model(store):
    result = calibrate([parse(SPEC)], store, TRAIN, TEST, runs=5_000, seed=1)
    scores = result.scores()
    for months, text in result.verdict().items():
        sub = scores[scores["horizon_months"] == months].sort_values("brier")
        best = sub["method"].iloc[0]
        if best == "model":
            assert text == "the model beats both baselines"
        else:
            assert text.startswith("the model (") and best in text


def test_model_losing_is_reported(empty_store):
    # Frequent breaches in training, none at all afterwards: "always holds" wins.
    events = [make_event(f"p{k}", MONDAY + dt.timedelta(weeks=2 * k), "PRK", "missile_test")
              for k in range(78)]
    events.append(make_event("end", RECORD_END, "USA", "summit"))
    empty_store.ingest_events(events)
    result = calibrate([parse(SPEC)], empty_store, TRAIN, TEST, runs=2_000, seed=2)
    assert set(result.predictions["held"]) == {1}
    for text in result.verdict().values():
        assert "does not beat always_holds" in text


def test_bad_periods_and_nothing_to_score(store):
    spec = parse(SPEC)
    with pytest.raises(ParameterError, match="must end before"):
        calibrate([spec], store, TEST, TRAIN, runs=100)
    with pytest.raises(ParameterError, match="nothing to score"):
        calibrate([spec], store, TRAIN, (dt.date(2015, 1, 5), dt.date(2015, 6, 1)), runs=100)
    talks = parse("""
id: only-talks
title: Talks only
parties: [PRK, USA]
start: 2011-01-03
commitments:
  - id: talk
    party: PRK
    undertakes: [{id: talk, kind: talks, within_days: 10}]
    verification: {means: press, detection: 1.0}
""")
    result = calibrate([talks, spec], store, TRAIN, TEST, runs=100, seed=1)
    assert "no restraint commitments" in result.skipped["only-talks"]
    assert [f.agreement for f in result.fits] == ["synthetic-pause"]


def test_cli_calibrate_json(store, tmp_path):
    spec_path = tmp_path / "pause.yaml"
    spec_path.write_text(SPEC)
    store.close()  # one writer at a time: the CLI opens the file read-only
    done = CliRunner().invoke(app, ["simulate", "calibrate", str(spec_path), "--train",
                                    f"{TRAIN[0]}:{TRAIN[1]}", "--test", f"{TEST[0]}:{TEST[1]}",
                                    "--runs", "2000", "--seed", "3", "--db", str(store.path),
                                    "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert {"scores", "reliability", "verdict", "agreements"} <= set(data)
    assert {r["method"] for r in data["scores"]} == {"model", "base_rate", "always_holds"}
    assert data["agreements"][0]["rates"]["PRK"]["periods_with_events"] == 8
    text = CliRunner().invoke(app, ["simulate", "calibrate", str(spec_path), "--train",
                                    f"{TRAIN[0]}:{TRAIN[1]}", "--test", f"{TEST[0]}:{TEST[1]}",
                                    "--runs", "2000", "--seed", "3", "--db", str(store.path)])
    assert text.exit_code == 0 and "Brier" in text.stdout and "6 months:" in text.stdout
    bad = CliRunner().invoke(app, ["simulate", "calibrate", str(spec_path), "--train",
                                   "2012-01-01", "--test", "2013-01-01:2014-01-01"])
    assert bad.exit_code == 2 and "--train" in bad.output
