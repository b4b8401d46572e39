"""The inspection game solver: the textbook vector, the regimes, and nashpy as a referee."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente import verification
from detente.errors import ParameterError
from detente.inspection import InspectionGame, closed_form, equilibria, solve_game

TEXTBOOK = dict(q=0.8, alpha=0.05, C=1, f=2, h=1, a=1, c=10, b=5, d=3)


def test_textbook_vector():
    solution = solve_game(InspectionGame(**TEXTBOOK))
    assert solution.main.kind == "mixed"
    assert round(solution.main.inspect, 4) == 0.4724
    assert round(solution.main.violate, 4) == 0.1507
    assert closed_form(solution.game) == pytest.approx((solution.main.inspect,
                                                        solution.main.violate))
    assert len(solution.equilibria) == 1


def test_reexported_from_verification():
    assert verification.InspectionGame is InspectionGame
    assert verification.solve_game is solve_game
    assert solve_game(InspectionGame(**TEXTBOOK)).main.inspect == pytest.approx(3 / 6.35)


def test_weak_detection_means_always_violate():
    threshold = InspectionGame(**TEXTBOOK).deterrence_threshold
    assert threshold == pytest.approx((3 + 0.05) / 8)
    below = solve_game(InspectionGame(**{**TEXTBOOK, "q": threshold - 0.01}))
    assert below.main.violate == 1.0 and below.main.kind == "pure"
    assert "too weak" in below.regime
    assert closed_form(below.game) is None
    above = solve_game(InspectionGame(**{**TEXTBOOK, "q": threshold + 0.01}))
    assert above.main.kind == "mixed" and 0 < above.main.violate < 1


def test_inspection_too_costly_means_no_inspection():
    # C >= q (c - a): inspecting never pays, so the inspectee violates uninspected.
    solution = solve_game(InspectionGame(**{**TEXTBOOK, "C": 20}))
    assert solution.main.inspect == 0.0 and solution.main.violate == 1.0


def _nashpy(A, B):
    import nashpy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = list(nashpy.Game(A, B).support_enumeration())
    return sorted((float(x[1]), float(y[1])) for x, y in found)


positive = st.floats(0.05, 20, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(q=st.floats(0.01, 0.99), alpha=st.floats(0.0, 0.5), C=positive, f=positive, h=positive,
       a=positive, c=positive, b=positive, d=positive)
def test_agrees_with_nashpy(q, alpha, C, f, h, a, c, b, d):
    game = InspectionGame(q=q, alpha=alpha, C=C, f=f, h=h, a=a, c=c, b=b, d=d)
    A, B = game.matrices()
    # Keep to games with isolated equilibria (ties make a continuum both solvers treat alike).
    gaps = [A[0, 0] - A[1, 0], A[0, 1] - A[1, 1], B[0, 0] - B[0, 1], B[1, 0] - B[1, 1]]
    if min(abs(g) for g in gaps) < 1e-6:
        return
    ours = sorted((e.inspect, e.violate) for e in solve_game(game).equilibria)
    theirs = _nashpy(A, B)
    assert len(ours) == len(theirs)
    assert np.allclose(ours, theirs, atol=1e-9)
    mixed = closed_form(game)
    if mixed is not None:
        assert any(np.allclose(mixed, e) for e in ours)


def test_generic_two_by_two_solver_on_matching_pennies_and_coordination():
    pennies = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert equilibria(pennies, -pennies) == [pytest.approx((0.5, 0.5))]
    coord = np.array([[2.0, 0.0], [0.0, 1.0]])
    found = sorted(equilibria(coord, coord))
    assert found[0] == (0.0, 0.0) and found[-1] == (1.0, 1.0)
    assert found[1] == pytest.approx((2 / 3, 2 / 3))
    assert np.allclose(found, _nashpy(coord, coord))


@pytest.mark.parametrize("bad", [{"q": 1.2}, {"alpha": -0.1}, {"C": -1}, {"d": float("inf")},
                                 {"q": float("nan")}])
def test_bad_parameters(bad):
    with pytest.raises(ParameterError):
        InspectionGame(**{**TEXTBOOK, **bad})


def test_cli_game():
    from detente.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["verification", "game", "--q", "0.8", "--alpha", "0.05", "--C",
                               "1", "--f", "2", "--h", "1", "--a", "1", "--c", "10", "--b", "5",
                               "--d", "3", "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert round(data["inspect"], 4) == 0.4724 and round(data["violate"], 4) == 0.1507
    text = runner.invoke(app, ["verification", "game", "--q", "0.3"])
    assert text.exit_code == 0 and "always violates" in text.stdout
    bad = runner.invoke(app, ["verification", "game", "--q", "1.5"])
    assert bad.exit_code == 2
    assert "q" in bad.output and "[0, 1]" in bad.output
