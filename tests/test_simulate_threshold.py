"""The critical detection, false alarms, delays and limited punishment counted, against the
simulator's own discounted payoffs: the exact values of complying and breaching agree with the
simulated ones within Monte Carlo error, so the threshold is where the simulation's cross."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from detente.agreements.spec import Payoff
from detente.simulate import Model, Monitor, Party, critical_detection, simulate
from detente.simulate.analytic import (
    Game,
    _Chain,
    critical_value,
    game_for,
    punishment_of,
    threshold,
)
from tests.strategies import seeds

Z = 5.3   # a false failure about once in ten million per comparison
WEEK_DELTA = 0.9 ** (7 / 365.25)


def _party(code: str, q: float, p: float = 1.0, f: float = 0.0, delay: int = 0) -> Party:
    return Party(code=code, temptation=q, payoff=Payoff(), monitors=(
        Monitor(f"{code}-c", detection=p, delay=delay, false_alarm=f, weight=1.0),))


def _model(a: Party, b: Party, horizon: int) -> Model:
    return Model(agreement="t", parties=(a, b), releases=((False, True), (True, False)),
                 horizon=horizon, discount=0.9)


def _simulated(model: Model, strategy: str, seed: int) -> dict[str, dict[str, float]]:
    """Party A's discounted payoff complying (playing ``strategy``) and breaching at every
    occasion, against B playing ``strategy``; batch means over 20 chunks."""
    out = {}
    for name, first in (("comply", strategy), ("breach", "always_defect")):
        r = simulate(model, [first, strategy], runs=20_000, seed=seed, chunk_size=1_000)
        v = r.discounted_payoff()["A"]
        out[name] = {"mean": v["mean"], "se": (v["hi"] - v["mean"]) / 2.093}  # t(19) 97.5%
    return out


def _exact(model: Model, punish: int | None, p: float) -> dict[str, float]:
    game = game_for(model, 0, model.parties[0].monitors[0], punish)
    grid = np.array([p])
    return {"comply": float(_Chain(game, True).values(grid)[0]),
            "breach": float(_Chain(game, False).values(grid)[0])}


@settings(max_examples=2, deadline=None)
@given(seed=seeds)
def test_the_issue_case_crosses_at_the_reported_threshold(seed):
    # An occasion every period, stakes 3,1,1, false alarms 0.01 a week about A, 0.9 a year:
    # the textbook threshold is 0.002, the simulator's payoffs cross at 0.022.
    base = _model(_party("A", 1.0, f=0.01), _party("B", 1.0), horizon=522)
    critical = critical_detection(base)["A"].critical
    assert 0.021 < critical < 0.023
    textbook = critical_value(delta=WEEK_DELTA, gain=2, value=3, defection_gain=1, q_own=1,
                              q_punish=1)
    assert textbook == pytest.approx(0.00202, abs=1e-5)
    for p, sign in ((critical * 0.7, +1), (critical * 1.3, -1)):
        model = base.with_monitors("A", detection=p)
        sim, exact = _simulated(model, "grim", seed), _exact(model, None, p)
        for key in ("comply", "breach"):
            assert abs(sim[key]["mean"] - exact[key]) <= Z * sim[key]["se"], (p, key, sim)
        gap = sim["breach"]["mean"] - sim["comply"]["mean"]
        assert sign * gap > Z * math.hypot(sim["breach"]["se"], sim["comply"]["se"]), (p, sim)


GRID = [  # (q_A, q_B, f_A, f_B, delay of A's commitment, strategy, punishment length)
    (0.6, 0.5, 0.02, 0.01, 2, "grim", None),
    (1.0, 1.0, 0.01, 0.0, 1, "grit:cooloff=4", 4),
    (0.7, 0.8, 0.01, 0.005, 0, "tit_for_tat", 1),
]


@pytest.mark.parametrize(("qa", "qb", "fa", "fb", "delay", "strategy", "punish"), GRID)
def test_exact_values_match_the_simulation_in_a_grid(qa, qb, fa, fb, delay, strategy, punish):
    assert punishment_of((strategy,)) == punish
    base = _model(_party("A", qa, f=fa, delay=delay), _party("B", qb, p=0.9, f=fb),
                  horizon=260)
    critical, _ = threshold(game_for(base, 0, base.parties[0].monitors[0], punish))
    assert critical is not None and 0.0 < critical < 1.0
    for p in (max(critical - 0.1, critical / 2), min(critical + 0.1, (1 + critical) / 2)):
        model = base.with_monitors("A", detection=p)
        sim, exact = _simulated(model, strategy, seed=11), _exact(model, punish, p)
        for key in ("comply", "breach"):
            assert abs(sim[key]["mean"] - exact[key]) <= Z * sim[key]["se"] + 1e-9, (
                p, key, sim, exact)
        # Breaching pays below the threshold and not above it.
        assert (exact["breach"] > exact["comply"]) == (p < critical)


def test_without_false_alarms_a_long_horizon_gives_the_textbook_threshold():
    game = Game(q=1, q_other=1, value=3, cost=1, gain=1, false_alarm=0.0,
                false_alarm_other=0.0, detection_other=1.0, delay=0, delay_other=0,
                delta=0.99, horizon=5_000)
    critical, _ = threshold(game)
    assert critical == pytest.approx(critical_value(
        delta=0.99, gain=2, value=3, defection_gain=1, q_own=1, q_punish=1), rel=1e-3)


def test_edge_cases():
    # Nothing to gain: never tempted.
    assert threshold(Game(q=0, q_other=1, value=3, cost=1, gain=1, false_alarm=0.01,
                          false_alarm_other=0, detection_other=1, delay=0, delay_other=0,
                          delta=0.99, horizon=100))[0] == 0.0
    # The others never have occasions: punishment costs nothing, no detection deters.
    none, _ = threshold(Game(q=0.5, q_other=0, value=3, cost=1, gain=1, false_alarm=0.0,
                             false_alarm_other=0, detection_other=1, delay=0, delay_other=0,
                             delta=0.99, horizon=100))
    assert none is None
    table = critical_detection(_model(_party("A", 1.0, p=0.001), _party("B", 1.0), 200))
    assert not table["A"].self_enforcing and table["B"].self_enforcing
    assert table["A"].to_json_dict()["punishment"] == "grim"
