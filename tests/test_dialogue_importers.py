"""Importers for the Bueno de Mesquita/Scholz and KTAB CSV formats, and their published numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.dialogue import catalog, importers
from detente.dialogue.solvers import Compromise, Median
from detente.dialogue.solvers.median import pairwise_winner
from detente.errors import ScenarioError
from tests.conftest import shared_data

BDM_ROWS = ["Actor,Capability,Position,Salience", "Netherlands,0.08,4,0.8", "Belgium,0.08,7,0.4",
            "Luxembourg,0.03,4,0.2"]
KTAB_ROWS = ["Test; scen 0,Scenario-000; a test, 3, 2, ",
             "Actor,Description,Power,Trade Position,Trade Salience,Aid Position,Aid Salience, ",
             "A,Alpha,100,30,30,10,20, ", "B,Beta,50,60,40,90,60, ", "C,Gamma,20,90,50,50,10, "]


def _bargaining(name: str) -> Path:
    return shared_data() / "raw" / "bargaining" / name


def _write(tmp_path: Path, rows: list[str], sep: str | list[str], name: str = "x.csv") -> Path:
    if isinstance(sep, str):
        text = sep.join(rows) + sep
    else:
        text = "".join(r + s for r, s in zip(rows, sep, strict=True))
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_example_actors_published_numbers():
    sc = catalog.load(str(_bargaining("ExampleActors.csv")))
    inputs = sc.inputs
    assert inputs.n_actors == 10 and inputs.n_issues == 1
    assert Compromise().solve(inputs).position[0] == pytest.approx(7.389956, abs=5e-7)
    assert Median().solve(inputs).position[0] == 7.0
    assert pairwise_winner(inputs.position[:, 0], inputs.weight[:, 0]) == 7.0
    assert sc.issues[0].status_quo == 7.0  # no status quo in the file: the weighted median


@pytest.mark.parametrize(("name", "mean", "median"), [
    ("SOE-Policy.csv", 35.0063, 30.0), ("SOE-Competitive.csv", 39.9635, 40.0)])
def test_soe_published_numbers(name, mean, median):
    sc = importers.read_csv(_bargaining(name))
    inputs = sc.inputs
    assert inputs.n_actors == {"SOE-Policy.csv": 26, "SOE-Competitive.csv": 34}[name]
    assert Compromise().solve(inputs).position[0] == pytest.approx(mean, abs=5e-5)
    assert Median().solve(inputs).position[0] == median
    assert pairwise_winner(inputs.position[:, 0], inputs.weight[:, 0]) == median
    assert inputs.salience.max() <= 1.0  # KTAB's 0-100 saliences, scaled to [0, 1]


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", ["\r", "\n", "\r\n", "\n"],
                                 ["\r\n", "\r", "\r", "\n"]])
def test_bdm_line_endings(tmp_path, sep):
    sc = importers.read_csv(_write(tmp_path, BDM_ROWS, sep))
    assert sc.actor_ids == ["Netherlands", "Belgium", "Luxembourg"]
    assert sc.inputs.position[:, 0].tolist() == [4, 7, 4]


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", ["\r", "\n", "\r\n", "\n", "\r"]])
def test_ktab_line_endings(tmp_path, sep):
    sc = importers.read_csv(_write(tmp_path, KTAB_ROWS, sep))
    assert sc.issue_ids == ["trade", "aid"]
    assert sc.inputs.position.tolist() == [[30, 10], [60, 90], [90, 50]]
    assert sc.inputs.salience[1].tolist() == [0.4, 0.6]
    assert sc.actor("B").name == "Beta"


def test_real_files_with_cr_and_lf_read_alike(tmp_path):
    raw = _bargaining("SOE-Competitive.csv").read_bytes()
    as_cr = tmp_path / "cr.csv"
    as_cr.write_bytes(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert importers.read_csv(as_cr).inputs.position.tolist() == \
        importers.read_csv(_bargaining("SOE-Competitive.csv")).inputs.position.tolist()


def _problems(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        importers.read_csv(path)
    return info.value.problems


def test_ktab_header_counts_must_match_rows(tmp_path):
    rows = list(KTAB_ROWS)
    rows[0] = rows[0].replace(" 3,", " 4,")
    problem = _problems(_write(tmp_path, rows, "\r"))[0]
    assert "says 4 actors but 3 actor rows follow" in problem.message and problem.line == 1


def test_ktab_header_dimensions_must_match_columns(tmp_path):
    rows = list(KTAB_ROWS)
    rows[0] = rows[0].replace(" 2, ", " 3, ")
    problem = _problems(_write(tmp_path, rows, "\r\n"))[0]
    assert "3 dimension(s)" in problem.message and problem.line == 2


@pytest.mark.parametrize(("row", "value", "field", "needle"), [
    ("B,Beta,50,160,40,90,60, ", 160.0, "Trade Position", "position must be in [0, 100]"),
    ("B,Beta,-5,60,40,90,60, ", -5.0, "Power", "power must be >= 0"),
    ("B,Beta,50,60,x,90,60, ", "x", "Trade Salience", "not a number"),
    ("B,Beta,50,60,60,90,60, ", 120.0, None, "more than 100"),
])
def test_ktab_bad_values_are_located(tmp_path, row, value, field, needle):
    rows = list(KTAB_ROWS)
    rows[3] = row
    problems = _problems(_write(tmp_path, rows, ["\n", "\r", "\n", "\r\n", "\n"]))
    match = [p for p in problems if needle in p.message]
    assert match, problems
    assert (match[0].line, match[0].row, match[0].field, match[0].value) == (4, 2, field, value)


def test_ktab_duplicate_actor(tmp_path):
    rows = list(KTAB_ROWS)
    rows[4] = rows[4].replace("C,Gamma", "A,Again")
    problem = _problems(_write(tmp_path, rows, "\n"))[0]
    assert "duplicate actor (first on line 3)" in problem.message and problem.line == 5


@pytest.mark.parametrize(("row", "needle"), [
    ("Belgium,-0.08,7,0.4", "capability must be >= 0"),
    ("Belgium,0.08,7,-0.4", "salience must be >= 0"),
    ("Belgium,0.08,seven,0.4", "not a number"),
    ("Netherlands,0.08,7,0.4", "duplicate actor"),
    ("Belgium,0.08,7", "expected 4 fields"),
])
def test_bdm_bad_rows_are_located(tmp_path, row, needle):
    rows = list(BDM_ROWS)
    rows[2] = row
    problems = _problems(_write(tmp_path, rows, "\r"))
    match = [p for p in problems if needle in p.message]
    assert match and match[0].line == 3 and match[0].row == 2, problems


def test_bdm_percent_saliences_are_scaled(tmp_path):
    rows = [BDM_ROWS[0], "A,1,4,80", "B,1,7,40"]
    sc = importers.read_csv(_write(tmp_path, rows, "\n"))
    assert sc.inputs.salience[:, 0].tolist() == [0.8, 0.4]
    assert "divided by 100" in sc.description


def test_unrecognised_csv(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    assert "not a recognised bargaining CSV" in _problems(path)[0].message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("Actor,Capability,Position,Salience\nZ\xfcrich,1,2,0.5\n".encode("latin-1"))
    assert "not UTF-8" in _problems(path)[0].message


def test_imported_scenario_exports_and_reloads(tmp_path):
    sc = importers.read_csv(_write(tmp_path, KTAB_ROWS, "\r"))
    again = tmp_path / "again.yaml"
    again.write_text(sc.to_yaml())
    assert catalog.load(again) == sc
    assert np.array_equal(catalog.load(again).inputs.salience, sc.inputs.salience)
