"""The agreements, check, whatif and verification commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.agreements import presets
from detente.agreements import spec as spec_lib
from detente.cli import app
from detente.events.store import BUNDLED_EVENTS, Store
from tests.strategies import make_event

runner = CliRunner()

GOOD = presets.path_of("post-olympic-pause").read_text(encoding="utf-8")
# Several problems at once: an unknown party, an unknown kind, an unknown attribute, a
# probability above 1, a duplicate commitment id and an end before the start.
BAD = """\
id: broken
title: Broken
parties: [PRK, USA, XYZ]
start: 2018-02-26
end: 2018-01-01
commitments:
  - id: a
    party: PRK
    refrains_from:
      - {kind: missile_tset}
    verification: {means: radar, detection: 0.9}
  - id: a
    party: USA
    refrains_from:
      - {kind: sanctions_designation, where: {issuer: OFAC, klass: x}}
    verification: {means: lists, detection: 1.7}
"""


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    db = tmp_path / "syn.duckdb"
    with Store(db, empty=True) as store:
        store.ingest_events([
            make_event("p1", dt.date(2018, 5, 1), "PRK", "missile_test",
                       {"class": "ICBM"}),
            make_event("u1", dt.date(2018, 7, 1), "USA",
                       "sanctions_designation", {"issuer": "OFAC"}),
            make_event("end", dt.date(2019, 12, 31), "JPN", "summit"),
        ])
    return db


def fingerprint(db: Path) -> str:
    with Store(db, read_only=True) as store:
        return store.fingerprint()


def test_agreements_list() -> None:
    result = run("agreements", "list")
    assert result.exit_code == 0, result.output
    for preset_id in presets.ids():
        assert preset_id in result.output
    data = json.loads(run("agreements", "list", "--json").stdout)
    assert [d["id"] for d in data] == presets.ids()


def test_agreements_show_table_yaml_and_json() -> None:
    result = run("agreements", "show", "leap-day-2012")
    assert result.exit_code == 0, result.output
    assert "rationale" in result.output and "prk-moratorium" in result.output
    yaml_out = run("agreements", "show", "leap-day-2012", "--yaml").stdout
    assert spec_lib.parse(yaml_out) == presets.load("leap-day-2012")
    data = json.loads(run("agreements", "show", "leap-day-2012", "--json").stdout)
    assert data["id"] == "leap-day-2012" and data["reciprocity"] == "mutual"


@pytest.mark.parametrize("preset_id", presets.ids())
def test_show_every_preset(preset_id: str) -> None:
    result = run("agreements", "show", preset_id)
    assert result.exit_code == 0, result.output
    for c in presets.load(preset_id).commitments:
        assert c.id in result.output


def test_show_accepts_a_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD.replace("id: post-olympic-pause", "id: mine"), encoding="utf-8")
    result = run("agreements", "show", path, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["id"] == "mine"


def test_validate_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    result = run("agreements", "validate", good)
    assert result.exit_code == 0 and "valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    result = run("agreements", "validate", bad)
    assert result.exit_code == 2
    expected = [("line 3", "parties.2"), ("line 5", "'end'"),
                ("line 10", "commitments.0.refrains_from.0.kind"),
                ("line 15", "commitments.1.refrains_from.0"),
                ("line 16", "commitments.1.verification.detection"),
                ("line 12", "commitments.1.id")]
    lines = result.output.splitlines()
    for line_no, field in expected:
        assert any(str(bad) in ln and line_no + ":" in ln and field in ln for ln in lines), (
            line_no, field, result.output)


def test_yaml_syntax_error_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "syntax.yaml"
    bad.write_text(GOOD.replace("reciprocity: mutual", "reciprocity: [mutual"), encoding="utf-8")
    result = run("check", bad, "--db", tmp_path / "never.duckdb")
    assert result.exit_code == 2
    assert "syntax.yaml" in result.output and "line" in result.output


def test_check_bad_spec_writes_nothing(tmp_path: Path, synthetic: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    before = fingerprint(synthetic)
    mtime = synthetic.stat().st_mtime_ns
    result = run("check", bad, "--db", synthetic)
    assert result.exit_code == 2
    assert result.output.count(str(bad)) >= 6  # one located message per problem
    assert fingerprint(synthetic) == before and synthetic.stat().st_mtime_ns == mtime
    # No store is created either when the file does not exist yet.
    missing = tmp_path / "missing.duckdb"
    assert run("check", bad, "--db", missing).exit_code == 2
    assert not missing.exists()
    assert run("whatif", bad, "--from", "2018-01-01", "--to", "2018-02-01", "--db",
               missing).exit_code == 2
    assert not missing.exists()


def test_check_json_and_table(synthetic: Path) -> None:
    result = run("check", "post-olympic-pause", "--db", synthetic, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["agreement"] == "post-olympic-pause"
    assert data["window"] == {"start": "2018-02-26", "end": None}
    assert data["status"] == "collapsed"
    assert data["first_breach"]["party"] == "PRK"
    assert data["first_breach"]["date"] == "2018-05-01"
    with Store(synthetic, read_only=True) as store:
        event = store.get(data["first_breach"]["event"]["id"])
    assert data["first_breach"]["event"] == event.to_json_dict()
    assert [r["party"] for r in data["responses"]] == ["USA"]
    assert [t["status"] for t in data["timeline"]] == ["holding", "breached", "collapsed"]
    table = run("check", "post-olympic-pause", "--db", synthetic)
    assert table.exit_code == 0
    assert "first breach: PRK on 2018-05-01" in table.output
    assert "collapsed" in table.output


def test_check_start_override_and_bad_dates(synthetic: Path) -> None:
    data = json.loads(run("check", "post-olympic-pause", "--db", synthetic, "--json",
                          "--start", "2018-06-01").stdout)
    assert data["window"]["start"] == "2018-06-01"
    assert data["first_breach"]["party"] == "USA"
    result = run("check", "post-olympic-pause", "--db", synthetic, "--start", "2018-13-01")
    assert result.exit_code == 2 and "--start" in result.output
    result = run("check", "olympic-truce-2018", "--db", synthetic, "--start", "2019-01-01")
    assert result.exit_code == 2 and "before its start" in result.output


def test_whatif_json_and_table(synthetic: Path) -> None:
    result = run("whatif", "post-olympic-pause", "--from", "2018-01-01", "--to", "2018-12-31",
                 "--step", "2w", "--db", synthetic, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["step_days"] == 14 and data["n_starts"] == 27
    assert {"survival", "shares", "starts", "median_days"} <= set(data)
    table = run("whatif", "post-olympic-pause", "--from", "2018-01-01", "--to", "2018-12-31",
                "--db", synthetic)
    assert table.exit_code == 0 and "who breaks first" in table.output
    bad = run("whatif", "post-olympic-pause", "--from", "2018-01-01", "--to", "2018-12-31",
              "--step", "weekly", "--db", synthetic)
    assert bad.exit_code == 2 and "--step" in bad.output


def test_verification_show() -> None:
    result = run("verification", "show", "freeze-for-freeze")
    assert result.exit_code == 0, result.output
    assert "asymmetry" in result.output and "prk-programme-freeze" in result.output
    data = json.loads(run("verification", "show", "freeze-for-freeze", "--json").stdout)
    assert data["least_observable"] == ["PRK"]


@pytest.mark.skipif(not BUNDLED_EVENTS.exists(), reason="bundled dataset not built")
def test_check_leap_day_on_the_bundled_record(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    assert run("init", "--db", db).exit_code == 0
    data = json.loads(run("check", "leap-day-2012", "--db", db, "--json").stdout)
    assert data["first_breach"]["date"] == "2012-04-13"
    assert data["first_breach"]["event"]["attrs"]["class"] == "SLV"


def test_every_command_has_help_with_an_example() -> None:
    for args in (["agreements", "list"], ["agreements", "show"], ["agreements", "validate"],
                 ["check"], ["whatif"], ["verification", "show"]):
        result = run(*args, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output, args


def test_data_past_the_record_is_flagged_and_year_one_works(synthetic: Path) -> None:
    last = Store(synthetic, read_only=True).date_range()[1]
    later = (last + dt.timedelta(days=400)).isoformat()
    result = run("check", "post-olympic-pause", "--db", synthetic, "--as-of", later)
    assert result.exit_code == 0
    assert f"is after the store's last event ({last})" in result.output
    result = run("whatif", "post-olympic-pause", "--from", "2018-01-01", "--to", "2018-03-01",
                 "--record-end", later, "--db", synthetic)
    assert result.exit_code == 0 and "is after the store's last event" in result.output
    # A window from year 1 once overflowed the date arithmetic of the query.
    result = run("check", "post-olympic-pause", "--db", synthetic, "--start", "0001-01-01")
    assert result.exit_code == 0 and "Traceback" not in result.output


def test_a_folder_given_as_a_spec_is_an_input_error(tmp_path: Path) -> None:
    for command in (["agreements", "validate"], ["check"], ["simulate"]):
        result = run(*command, tmp_path)
        assert result.exit_code == 2, (command, result.output)
        assert "is a folder" in result.output
