"""``detente dialogue``: the default command, subcommands, JSON, and bad input -> exit code 2."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from detente.cli import app
from tests.conftest import shared_data

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["dialogue", *args])


def _bargaining(name: str) -> str:
    return str(shared_data() / "raw" / "bargaining" / name)


def test_default_command_json_shape():
    result = _run("korea-2018", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [m["name"] for m in data["models"]] == ["compromise", "median", "nash", "bdm", "smp"]
    first = data["issues"][0]
    assert {"issue", "forecasts", "zone", "final_positions"} <= set(first)
    assert set(first["forecasts"]) == {m["name"] for m in data["models"]}
    assert set(first["final_positions"]) == set(data["scenario"]["actors"])
    assert isinstance(data["packages"], list) and data["packages"]


@pytest.mark.parametrize("args", [["--model", "median", "korea-2018", "--json"],
                                  ["korea-2018", "-m", "median", "--json"],
                                  ["run", "korea-2018", "--model", "median", "--json"]])
def test_options_before_or_after_the_scenario(args):
    result = _run(*args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [m["name"] for m in data["models"]] == ["median"]
    assert data["issues"][0]["final_positions"] is None  # no dynamic model ran


def test_table_output_names_zones_and_packages():
    result = _run("korea-2018", "--model", "compromise,nash")
    assert result.exit_code == 0, result.output
    assert "needs new discussion" in result.output and "Package deals" in result.output
    assert "analyst's estimate" in result.output


def test_csv_scenarios_are_accepted_everywhere():
    result = _run(_bargaining("SOE-Policy.csv"), "--model", "compromise,median", "--json")
    assert result.exit_code == 0, result.output
    forecasts = json.loads(result.output)["issues"][0]["forecasts"]
    assert forecasts["compromise"] == pytest.approx(35.0063, abs=1e-4)
    assert forecasts["median"] == 30.0


def test_accept():
    result = _run("accept", "korea-2018", "--proposal", "post-olympic-pause", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_actor = {a["actor"]: a for a in data["acceptance"]}
    assert not data["viable"] and not by_actor["PRK"]["accepts"]
    assert by_actor["PRK"]["costliest_issue"] == "denuclearisation"
    table = _run("accept", "korea-2018", "-p", "post-olympic-pause")
    assert "not viable: rejected by PRK (denuclearisation)" in table.output


def test_roadmap():
    result = _run("roadmap", "korea-2018", "--to", "action-for-action", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["feasible"] and data["steps"] and data["step_size"] == 20
    table = _run("roadmap", "korea-2018", "--to", "post-olympic-pause")
    assert table.exit_code == 0 and "blocked by: PRK" in table.output


def test_sensitivity_command_is_reproducible():
    args = ("sensitivity", "korea-2018", "--model", "compromise", "--samples", "50", "--json")
    first, second = _run(*args), _run(*args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    assert json.loads(first.output)["most_influential"]["actor"]


def test_log_reproduces_the_reference_layout():
    result = _run("log", _bargaining("ExampleActors.csv"), "--median-line-bug")
    assert result.exit_code == 0, result.output
    reference = (shared_data() / "raw" / "bargaining" / "Example.log").read_text()
    number = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
    assert number.sub("#", result.output) == number.sub("#", reference)
    assert [float(v) for v in number.findall(result.output)] == pytest.approx(
        [float(v) for v in number.findall(reference)], rel=1e-12)


def test_list_and_export(tmp_path):
    listed = json.loads(_run("list", "--json").output)
    assert "korea-2018" in listed["scenarios"] and "post-olympic-pause" in listed["proposals"]
    exported = _run("export", "korea-2018")
    assert exported.exit_code == 0
    path = tmp_path / "mine.yaml"
    path.write_text(exported.output.replace("position: 100\n", "position: 95\n", 1))
    again = _run(str(path), "--model", "compromise", "--json")
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(("content", "suffix", "needle"), [
    ("id: x\nissues: [\n", ".yaml", "YAML syntax error"),
    ("Actor,Capability,Position,Salience\nA,1,2,0.5\nA,1,3,0.5\n", ".csv", "duplicate actor"),
    ("Actor,Capability,Position,Salience\r\nA,-1,2,0.5\rB,1,3,0.5\n", ".csv",
     "capability must be >= 0"),
    ("S,d,3,1,\nActor,Description,Power,P,S,\nA,a,1,10,10,\nB,b,1,20,20,\n", ".csv",
     "says 3 actors but 2 actor rows"),
])
def test_bad_input_exits_2(tmp_path, content, suffix, needle):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content.encode())
    result = _run(str(path))
    assert result.exit_code == 2, result.output
    assert needle in result.output and "bad" in result.output


def test_bad_options_exit_2(tmp_path):
    assert _run("korea-2018", "--model", "magic").exit_code == 2
    assert _run("accept", "korea-2018", "--proposal", "nope").exit_code == 2
    assert _run("log", "korea-2018", "--issue", "nope").exit_code == 2
    proposal = tmp_path / "p.yaml"
    proposal.write_text("name: p\npositions: {denuclearisation: 130}\n")
    result = _run("accept", "korea-2018", "--proposal", str(proposal))
    assert result.exit_code == 2 and "line 2" in result.output


def test_help_has_examples():
    for command in ("run", "accept", "roadmap", "sensitivity", "log", "list", "export"):
        result = _run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output, command


def test_nash_disagreement_option():
    result = _run("korea-2018", "--model", "nash", "--disagreement", "reservation", "--json")
    assert result.exit_code == 0, result.output
    assert [m["name"] for m in json.loads(result.output)["models"]] == ["nash"]
    assert _run("korea-2018", "--disagreement", "nowhere").exit_code == 2
