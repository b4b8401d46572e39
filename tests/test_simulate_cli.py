"""``detente simulate``: JSON keys, reproducibility, progress-free output, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import app

RATES = ["--rate", "PRK=0.3", "--rate", "USA=0.1"]


@pytest.fixture
def one_launch(tmp_path: Path) -> Path:
    """A store holding one event: a PRK ICBM test on 2017-07-04."""
    from detente.events.store import Store
    from tests.strategies import make_event

    db = tmp_path / "ev.duckdb"
    with Store(db, empty=True) as store:
        store.ingest_events([make_event("t", dt.date(2017, 7, 4), "PRK", "missile_test",
                                        {"class": "ICBM"})])
    return db


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_json_has_the_documented_keys():
    done = run("simulate", "post-olympic-pause", "--runs", "2000", "--seed", "11",
               "--horizon", "3y", *RATES, "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    for key in ("survival", "median_periods", "p_holding", "first_breaker", "collapse_causes",
                "critical_detection", "seed", "runs", "rates", "mean_periods"):
        assert key in data, key
    assert data["seed"] == 11 and data["runs"] == 2000
    assert set(data["survival"][0]) == {"period", "p", "lo", "hi"}
    assert len(data["survival"]) == 158  # periods 0..157: 3 years are 156.5 weeks
    assert set(data["p_holding"]) == {"6m", "12m", "24m"}
    assert set(data["collapse_causes"]) == {"real_breach", "false_alarm"}
    assert set(data["first_breaker"]) == {"PRK", "USA"}
    assert set(data["critical_detection"]) == {"PRK", "USA"}
    assert data["critical_detection"]["USA"]["detection"] == 1.0
    assert data["rates"]["PRK"]["source"] == "option"


def test_same_seed_same_output_and_explicit_run_command():
    a = json.loads(run("simulate", "post-olympic-pause", "--runs", "1000", "--seed", "5",
                       *RATES, "--strategy", "PRK=generous:forgive=0.3", "--json").stdout)
    b = json.loads(run("simulate", "run", "post-olympic-pause", "--runs", "1000", "--seed", "5",
                       *RATES, "--strategy", "PRK=generous:forgive=0.3", "--json").stdout)
    a.pop("elapsed_s"), b.pop("elapsed_s")
    assert a == b
    assert a["strategies"] == {"PRK": "generous:forgive=0.3", "USA": "grim"}


def test_a_fresh_seed_is_reported_and_reproduces():
    first = json.loads(run("simulate", "post-olympic-pause", "--runs", "500", *RATES,
                           "--json").stdout)
    again = json.loads(run("simulate", "post-olympic-pause", "--runs", "500", *RATES,
                           "--seed", str(first["seed"]), "--json").stdout)
    assert first["survival"] == again["survival"]


def test_text_output_and_parquet(tmp_path: Path):
    out = tmp_path / "curve.parquet"
    done = run("simulate", "freeze-for-freeze", "--runs", "1000", "--seed", "2", "--rate",
               "PRK=0.3", "--rate", "USA=0.05", "--rate", "KOR=0.05", "--payoff",
               "PRK=3,2,2", "--out", str(out))
    assert done.exit_code == 0, done.output
    for text in ("still holding", "critical detection", "prk-no-tests", "false alarm"):
        assert text in done.stdout, text
    curve = pd.read_parquet(out)
    assert list(curve.columns) == ["period", "days", "p", "lo", "hi"]


def test_rates_estimated_from_the_store_show_their_source(one_launch: Path):
    done = run("simulate", "post-olympic-pause", "--runs", "500", "--seed", "1", "--db",
               str(one_launch), "--json")
    assert done.exit_code == 0, done.output
    prk = json.loads(done.stdout)["rates"]["PRK"]
    assert prk["source"] == "store" and prk["periods_with_events"] == 1
    assert prk["start"] == "2016-02-27" and prk["end"] == "2018-02-25"


def test_strategies_listing():
    done = run("simulate", "strategies")
    assert done.exit_code == 0
    for name in ("always_comply", "always_defect", "grim", "tit_for_tat", "generous",
                 "threshold_k", "grit"):
        assert name in done.stdout


@pytest.mark.parametrize("args, field", [
    (["--rate", "PRK=1.5", "--rate", "USA=0.1"], "rate"),
    ([*RATES, "--horizon", "0y"], "horizon"),
    ([*RATES, "--horizon", "-2w"], "horizon"),
    ([*RATES, "--period", "fortnight"], "period"),
    ([*RATES, "--strategy", "PRK=nonsense"], "strategy"),
    ([*RATES, "--strategy", "CHN=grim"], "strategy"),
    ([*RATES, "--strategy", "PRK=generous:forgive=1.5"], "forgive"),
    ([*RATES, "--tremble", "PRK=2"], "tremble"),
    ([*RATES, "--payoff", "PRK=1,2"], "payoff"),
    ([*RATES, "--runs", "0"], "runs"),
    (["--rate", "PRK=abc", "--rate", "USA=0.1"], "rate"),
    ([*RATES, "--reference", "2017-01-01"], "reference"),
])
def test_bad_input_exits_2_and_writes_nothing(args, field, tmp_path: Path):
    out = tmp_path / "curve.parquet"
    done = run("simulate", "post-olympic-pause", "--out", str(out), *args)
    assert done.exit_code == 2, done.output
    assert field in done.output
    assert not out.exists()
    assert "Traceback" not in done.output


def test_unknown_agreement_exits_2():
    done = run("simulate", "no-such-agreement", *RATES)
    assert done.exit_code == 2 and "no preset" in done.output


def test_output_path_is_checked_before_the_run(tmp_path: Path):
    for target, message in ((tmp_path / "missing" / "x.parquet", "no such folder"),
                            (tmp_path, "is a folder")):
        done = run("simulate", "post-olympic-pause", *RATES, "--runs", "100", "--out",
                   str(target))
        assert done.exit_code == 2 and message in done.output, done.output
        done = run("sweep", "post-olympic-pause", *RATES, "--runs", "10", "--grid",
                   "false_alarm=0:0.01:0.01", "--out", str(target))
        assert done.exit_code == 2 and message in done.output, done.output


def test_a_reference_period_after_the_record_is_refused(one_launch: Path):
    # Rates from a period with no data at all would read as 'never tempted'.
    done = run("simulate", "post-olympic-pause", "--runs", "100", "--reference",
               "2030-01-01:2031-01-01", "--db", str(one_launch))
    assert done.exit_code == 2 and "after the record's last day (2017-07-04)" in done.output


def test_a_reference_period_running_past_the_record_says_so(one_launch: Path):
    done = run("simulate", "post-olympic-pause", "--runs", "100", "--seed", "1", "--db",
               str(one_launch), "--json")
    assert done.exit_code == 0, done.output
    rates = json.loads(done.stdout)["rates"]
    assert rates["PRK"]["record_end"] == "2017-07-04"  # the default period runs to 2018-02-25
    text = run("simulate", "post-olympic-pause", "--runs", "100", "--seed", "1", "--db",
               str(one_launch))
    assert "2017-07-04" in text.output  # in the rate's source (a table cell, wrapped)
