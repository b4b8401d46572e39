"""``detente dialogue``: the default command, subcommands, JSON, and bad input -> exit code 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    shipped = Path(__file__).resolve().parent.parent / "examples" / "data" / "SOE-Policy.csv"
    result = _run(str(shipped), "--model", "compromise,median", "--json")
    assert result.exit_code == 0, result.output
    forecasts = json.loads(result.output)["issues"][0]["forecasts"]
    assert forecasts["compromise"] == pytest.approx(35.0063, abs=1e-4)
    assert forecasts["median"] == 30.0


def test_accept():
    result = _run("accept", "korea-2018", "--proposal", "post-olympic-pause", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_actor = {a["actor"]: a for a in data["acceptance"]}
    # only the two signatories hold a veto; the others are reported as third parties
    assert data["signatories"] == ["PRK", "USA"]
    assert {a for a, v in by_actor.items() if v["veto"]} == {"PRK", "USA"}
    assert by_actor["JPN"]["role"].startswith("third party")
    assert 0 < by_actor["PRK"]["p_accept"] < 1 and by_actor["PRK"]["costliest_issue"] == "tests"
    assert data["outlook"] in ("likely", "unlikely", "uncertain")
    assert data["driver"] == "PRK" and data["driving_issue"] == "tests"
    assert data["samples"] == 2000 and data["seed"] == 0
    table = _run("accept", "korea-2018", "-p", "post-olympic-pause")
    assert f"{data['outlook']}: P(viable) {data['p_viable']:.2f}" in table.output
    again = _run("accept", "korea-2018", "--proposal", "post-olympic-pause", "--json")
    assert again.output == result.output  # seeded: bit for bit
    other = json.loads(_run("accept", "korea-2018", "-p", "post-olympic-pause", "--seed", "7",
                            "--json").output)
    assert abs(other["p_viable"] - data["p_viable"]) < 0.05  # another seed, the same answer


def test_roadmap():
    result = _run("roadmap", "korea-2018", "--to", "action-for-action", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["feasible"] and data["steps"] and data["step_size"] == 10
    table = _run("roadmap", "korea-2018", "--to", "freeze-for-freeze")
    assert table.exit_code == 0 and "blocked by: USA" in table.output


def test_sensitivity_command_is_reproducible():
    args = ("sensitivity", "korea-2018", "--model", "compromise", "--samples", "90", "--json")
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


# --- QA fixes: sensitivity options, directories, proposals for another scenario, references ---

TWO = """\
id: two
issues: [{id: tests, status_quo: 0}]
actors:
  - {id: A, capability: 2, positions: {tests: {position: 100, salience: 0.8}}}
  - {id: B, capability: 1, positions: {tests: {position: 0, salience: 0.5}}}
"""


def _domain_error(result, *needles: str) -> None:
    """Exit 2 with a message (no traceback) holding every needle."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def test_sensitivity_of_all_models_gives_each_models_result(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(TWO)
    result = _run("sensitivity", str(path), "--model", "all", "--samples", "68", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["model"] for d in data] == ["compromise", "median", "nash", "bdm", "smp"]
    assert all(d["samples"] == 68 and d["regressors"] == 6 for d in data)
    table = _run("sensitivity", str(path), "-m", "median,compromise", "--samples", "68")
    assert table.exit_code == 0, table.output
    assert table.output.index("the median forecast") < table.output.index("the compromise")


def test_sensitivity_seed_must_not_be_negative():
    _domain_error(_run("sensitivity", "korea-2018", "--seed", "-1"),
                  "field 'seed'", "non-negative integer", "got -1")
    _domain_error(_run("korea-2018", "--samples", "100", "--seed", "-1"), "field 'seed'")


def test_sensitivity_refuses_fewer_samples_than_the_regression_needs():
    # 8 actors: 24 regressors; the minimum is computed from the scenario (3 x 8 + 62)
    _domain_error(_run("sensitivity", "korea-2018", "--model", "smp", "--samples", "20",
                       "--seed", "3"),
                  "field 'samples'", "need at least 86 samples for 8 actors", "24 regressors",
                  "got 20")
    _domain_error(_run("korea-2018", "--samples", "85"), "at least 86 samples")
    result = _run("sensitivity", "korea-2018", "--model", "median", "--samples", "86")
    assert result.exit_code == 0, result.output
    assert "By chance alone, with 86 samples and 24 regressors" in result.output


@pytest.mark.parametrize("args", [["{dir}"], ["run", "{dir}"], ["log", "{dir}"],
                                  ["export", "{dir}"], ["accept", "korea-2018", "-p", "{dir}"],
                                  ["roadmap", "korea-2018", "--to", "{dir}"]])
def test_a_directory_is_not_a_scenario_or_proposal(tmp_path, args):
    folder = tmp_path / "somedir"
    folder.mkdir()
    _domain_error(_run(*[a.format(dir=folder) for a in args]), str(folder), "is a directory")


def test_a_directory_named_like_a_csv_is_refused(tmp_path):
    folder = tmp_path / "scenario.csv"
    folder.mkdir()
    _domain_error(_run(str(folder)), str(folder), "is a directory")


def test_a_proposal_for_another_scenario_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nscenario: other-scenario\npositions: {denuclearisation: 30}\n")
    for args in (["accept", "korea-2018", "-p", str(path)],
                 ["roadmap", "korea-2018", "--to", str(path)]):
        _domain_error(_run(*args), "p.yaml, line 2", "field 'scenario'", "'other-scenario'",
                      "'korea-2018'")
    path.write_text("name: p\nscenario: korea-2018\npositions: {denuclearisation: 30}\n")
    assert _run("accept", "korea-2018", "-p", str(path)).exit_code == 0
    path.write_text("name: p\npositions: {denuclearisation: 30}\n")  # no scenario: any
    assert _run("accept", "korea-2018", "-p", str(path)).exit_code == 0


def test_bad_commitment_references_are_located(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\npositions: {denuclearisation: 30}\ncommitments:\n"
                    "  denuclearisation: [x@abc]\n"
                    "  sanctions:\n"
                    "    - justtext\n"
                    "    - post-olympic-pause:prk-no-tests@130\n"
                    "    - nopreset:foo\n"
                    "    - post-olympic-pause:nothing\n")
    accept = _run("accept", "korea-2018", "-p", str(path))
    _domain_error(accept, "p.yaml, line 4: field 'commitments.denuclearisation[0]'", "@LEVEL",
                  "'x@abc'", "line 6: field 'commitments.sanctions[0]'",
                  "PRESET_ID:COMMITMENT_ID", "line 7: field 'commitments.sanctions[1]'",
                  "scale [0, 100]")
    assert "nopreset" not in accept.output  # accept does not resolve references
    _domain_error(_run("roadmap", "korea-2018", "--to", str(path)),
                  "line 8: field 'commitments.sanctions[2]'", "no preset 'nopreset'",
                  "line 9: field 'commitments.sanctions[3]'",
                  "has no commitment 'nothing'")


def test_bad_commitment_references_in_a_scenario_are_located(tmp_path):
    exported = _run("export", "korea-2018").output
    assert "[post-olympic-pause:prk-no-tests@80" in exported  # a list on one line
    bad = tmp_path / "bad.yaml"
    bad.write_text(exported.replace("post-olympic-pause:prk-no-tests@80", "x@abc", 1))
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "x@abc" in text)
    _domain_error(_run(str(bad), "--model", "median"), f"bad.yaml, line {line}",
                  "field 'issues.0.commitments.0'", "'x@abc'")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(exported.replace("post-olympic-pause:prk-no-tests@80",
                                        "nopreset:prk@30", 1))
    assert _run("accept", str(unknown), "-p", "post-olympic-pause").exit_code == 0
    _domain_error(_run("roadmap", str(unknown), "--to", "action-for-action"),
                  f"unknown.yaml, line {line}", "no preset 'nopreset'")
