"""Exports for papers: --format table|json|csv and --out FILE by extension, on check, whatif,
verification, dialogue, simulate, sweep and evaluate; CSV cells a spreadsheet would run are
defused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente import results
from detente.cli import app
from detente.events.store import Store
from tests.strategies import make_event


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "x.duckdb"
    with Store(path, empty=True) as store:
        store.ingest_events([
            make_event("p1", dt.date(2018, 5, 1), "PRK", "missile_test", {"class": "ICBM"}),
            make_event("u1", dt.date(2018, 6, 1), "USA", "sanctions_designation",
                       {"issuer": "OFAC"}),
            make_event("u2", dt.date(2019, 1, 1), "USA", "sanctions_designation",
                       {"issuer": "OFAC"})])
        store.con.execute("UPDATE stored_events SET summary = '=HYPERLINK(\"x\")' "
                          "WHERE source_ref = 'u2'")
    return path


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_csv_prints_a_header_and_one_row_per_act(db) -> None:
    done = run("check", "post-olympic-pause", "--format", "csv", "--db", db)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["date"], r["party"], r["role"]) for r in rows] == [
        ("2018-05-01", "PRK", "breach"), ("2018-06-01", "USA", "response"),
        ("2019-01-01", "USA", "breach")]
    assert rows[2]["released_by"] == "PRK"
    # A summary a spreadsheet would run as a formula is defused.
    assert rows[2]["summary"].startswith("'=")


def test_whatif_csv_and_the_out_file_by_extension(db, tmp_path) -> None:
    args = ("whatif", "post-olympic-pause", "--from", "2018-03-01", "--to", "2018-09-01",
            "--step", "2w", "--db", db)
    done = run(*args, "--format", "csv")
    assert done.exit_code == 0 and done.stdout.startswith("start,breach_date,days_held,")
    frame = pd.read_csv(io.StringIO(done.stdout))
    for name in ("w.csv", "w.parquet", "w.json"):
        out = tmp_path / name
        assert run(*args, "--out", out).exit_code == 0
        assert out.is_file()
    assert len(pd.read_parquet(tmp_path / "w.parquet")) == len(frame)
    assert len(pd.read_csv(tmp_path / "w.csv")) == len(frame)
    data = json.loads((tmp_path / "w.json").read_text())
    assert data["n_starts"] == len(frame) and len(data["starts"]) == len(frame)


def test_an_out_file_whose_extension_says_nothing_is_refused_first(db, tmp_path) -> None:
    for bad in ("c.txt", "c"):
        done = run("check", "post-olympic-pause", "--out", tmp_path / bad, "--db", db)
        assert done.exit_code == 2 and "extension says what to write" in done.output
        assert not (tmp_path / bad).exists()
    refused = run("check", "post-olympic-pause", "--format", "xml", "--db", db)
    assert refused.exit_code == 2 and "table, json or csv" in refused.output


def test_verification_exports_one_row_per_commitment(tmp_path) -> None:
    done = run("verification", "show", "freeze-for-freeze", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["commitment"] for r in rows] == ["prk-no-tests", "prk-programme-freeze",
                                               "usa-no-exercises", "kor-no-exercises"]
    assert run("verification", "show", "freeze-for-freeze", "--json").exit_code == 0


def test_results_write_matches_the_result(db, tmp_path) -> None:
    from detente import monitor
    from detente.agreements import presets

    with Store(db, read_only=True) as store:
        report = monitor.check(presets.load("post-olympic-pause"), store)
    written = results.write(report, tmp_path / "r.parquet")
    assert pd.read_parquet(written)["event_id"].tolist() == [
        b.event.id for b in sorted([*report.breaches, *report.responses],
                                   key=lambda b: b.date)]


def test_dialogue_exports_one_row_per_actor_and_per_issue(tmp_path) -> None:
    done = run("dialogue", "accept", "korea-2018", "-p", "post-olympic-pause", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["actor"] for r in rows} >= {"USA", "PRK"}
    usa = next(r for r in rows if r["actor"] == "USA")
    assert usa["role"] == "signatory" and 0 <= float(usa["p_accept"]) <= 1
    out = tmp_path / "a.json"
    assert run("dialogue", "accept", "korea-2018", "-p", "post-olympic-pause", "--out",
               out).exit_code == 0
    assert json.loads(out.read_text())["p_viable"] == pytest.approx(
        json.loads(run("dialogue", "accept", "korea-2018", "-p", "post-olympic-pause",
                       "--json").stdout)["p_viable"])
    issues = list(csv.DictReader(io.StringIO(run("dialogue", "korea-2018", "--format",
                                                  "csv").stdout)))
    assert issues[0]["issue"] == "tests" and "status_quo" in issues[0]


SIMULATE = ("simulate", "post-olympic-pause", "--rate", "PRK=0.05", "--rate", "USA=0.02",
            "--runs", "2000", "--seed", "3", "--horizon", "2y")


def test_simulate_out_csv_writes_csv_and_the_format_prints_it(tmp_path) -> None:
    out = tmp_path / "c.csv"
    done = run(*SIMULATE, "--out", out)
    assert done.exit_code == 0, done.output
    text = out.read_text()
    assert text.startswith("period,days,p,lo,hi\n")  # CSV, not Parquet bytes
    curve = pd.read_csv(out)
    printed = run(*SIMULATE, "--format", "csv")
    assert printed.stdout == text
    data = json.loads(run(*SIMULATE, "--json").stdout)
    assert [row["p"] for row in data["survival"]] == pytest.approx(curve["p"].tolist())
    assert curve["p"].iloc[0] == 1.0 and curve["p"].is_monotonic_decreasing
    parquet = tmp_path / "c.parquet"
    assert run(*SIMULATE, "--out", parquet).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), curve, check_dtype=False)
    refused = run(*SIMULATE, "--out", tmp_path / "c.txt")
    assert refused.exit_code == 2 and not (tmp_path / "c.txt").exists()


def test_sweep_writes_by_extension_and_prints_csv(tmp_path) -> None:
    args = ("sweep", "post-olympic-pause", "--rate", "PRK=0.05", "--rate", "USA=0.02",
            "--grid", "detection=0.6,0.9", "--runs", "400", "--seed", "1", "--horizon", "1y",
            "--workers", "1")
    out = tmp_path / "s.csv"
    done = run(*args, "--out", out, "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [float(r["detection"]) for r in rows] == [0.6, 0.9]
    assert pd.read_csv(out)["median_periods"].tolist() == pd.read_csv(
        io.StringIO(done.stdout))["median_periods"].tolist()
    data = tmp_path / "s.json"
    assert run(*args, "--out", data).exit_code == 0
    assert json.loads(data.read_text())["points"] == 2


def test_evaluate_prints_its_scores_as_csv(tmp_path) -> None:
    args = ("evaluate", "post-olympic-pause", "--from", "2016", "--to", "2017", "--methods",
            "base_all,base_5y", "--bootstrap", "100")
    done = run(*args, "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {(r["method"], r["horizon"]) for r in rows} == {
        (m, h) for m in ("base_all", "base_5y") for h in ("13", "26", "52", "104")}
    out = tmp_path / "e.json"
    assert run(*args, "--out", out).exit_code == 0
    scores = json.loads(out.read_text())["scores"]
    assert [s["brier"] for s in scores] == pytest.approx([float(r["brier"]) for r in rows])
