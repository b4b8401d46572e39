"""Validation against theory and against Axelrod (the reference library for iterated games)."""

from __future__ import annotations

import functools
import inspect
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings

from detente.agreements.spec import Payoff
from detente.simulate import critical_detection, prisoners_dilemma, simulate
from detente.simulate.analytic import critical_value
from detente.simulate.strategy import Generous, Grim, TitForTat
from tests.strategies import seeds, sim_model, sim_party

Z = 5.3



def _import_axelrod():
    """axelrod 4.13 reads the source of every strategy at import (15 s of CPU here); memoising
    ``inspect.getsource`` meanwhile gives the same answers about 2.5 times faster."""
    getsource = inspect.getsource
    inspect.getsource = functools.lru_cache(maxsize=None)(getsource)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an optional dependency of axelrod is missing
            import axelrod
    finally:
        inspect.getsource = getsource
    return axelrod


axl = _import_axelrod()

PAIRINGS = {
    "tft-vs-grudger": ((axl.TitForTat, {}), (axl.Grudger, {}), (TitForTat(), Grim())),
    "tft-vs-gtft": ((axl.TitForTat, {}), (axl.GTFT, {}), (TitForTat(), Generous(1 / 3))),
    "gtft-vs-grudger": ((axl.GTFT, {}), (axl.Grudger, {}), (Generous(1 / 3), Grim())),
}


def axelrod_sample(pairing: str, matches: int = 250, turns: int = 200, noise: float = 0.05):
    (a, ka), (b, kb), _ = PAIRINGS[pairing]
    coop, score = [], []
    for seed in range(matches):
        match = axl.Match((a(**ka), b(**kb)), turns=turns, noise=noise, seed=seed)
        match.play()
        coop.append(match.normalised_cooperation())
        score.append(match.final_score_per_turn())
    return np.array(coop), np.array(score)


@pytest.fixture(scope="module")
def axelrod_samples():
    return {p: axelrod_sample(p) for p in PAIRINGS}


@pytest.mark.parametrize("pairing", list(PAIRINGS))
@pytest.mark.parametrize("seed", [1, 2024, 987654321])
def test_same_cooperation_and_scores_as_axelrod(pairing, seed, axelrod_samples):
    coop, score = axelrod_samples[pairing]
    runs = 20_000
    result = simulate(prisoners_dilemma(200, 0.05), list(PAIRINGS[pairing][2]), runs=runs,
                      seed=seed)
    ours_coop = list(result.cooperation.values())
    ours_score = [v + 1 for v in result.mean_payoff.values()]  # detente's P is 0, Axelrod's 1
    inflate = math.sqrt(1 + len(coop) / runs)  # our own sampling error, same spread per run
    for k in range(2):
        se_c = coop[:, k].std(ddof=1) / math.sqrt(len(coop)) * inflate
        se_s = score[:, k].std(ddof=1) / math.sqrt(len(score)) * inflate
        assert abs(ours_coop[k] - coop[:, k].mean()) <= Z * se_c, (k, ours_coop, coop.mean(0))
        assert abs(ours_score[k] - score[:, k].mean()) <= Z * se_s, (k, ours_score,
                                                                     score.mean(0))


def test_tit_for_tat_against_grudger_cooperates_about_14_5_percent():
    result = simulate(prisoners_dilemma(200, 0.05), [TitForTat(), Grim()], runs=50_000, seed=7)
    assert 0.135 < result.cooperation["P1"] < 0.155


# --- the equilibrium threshold ---------------------------------------------------------------


def deviation_gain(model, seed: int) -> dict[str, float]:
    """Discounted payoff of party 0 breaching at every occasion minus complying, against grim,
    with a batch-means confidence interval half-width at about 1e-7."""
    out = {}
    for name in ("always_defect", "always_comply"):
        r = simulate(model, [name, "grim"], runs=20_000, seed=seed, chunk_size=2_000)
        v = r.discounted_payoff(level=1 - 1e-7)[model.codes[0]]
        out[name] = v
    gain = out["always_defect"]["mean"] - out["always_comply"]["mean"]
    half = sum(v["hi"] - v["mean"] for v in out.values())
    return {"gain": gain, "half": half, "defect": out["always_defect"]["mean"],
            "comply": out["always_comply"]["mean"]}


def weekly_discount(delta_per_week: float) -> float:
    return delta_per_week ** (365.25 / 7)


@settings(max_examples=2, deadline=None)
@given(seed=seeds)
def test_threshold_textbook_case_both_sides(seed):
    # q = 1, no delay: p* = (1 - delta)(T - R) / (delta (R - P)) = 0.2 * 2 / (0.8 * 2) = 0.25.
    delta = 0.8
    base = sim_model(sim_party("A", q=1.0), sim_party("B", q=1.0), horizon=120,
                     discount=weekly_discount(delta))
    critical = critical_detection(base)["A"].critical
    assert critical == pytest.approx(0.25)
    for p, sign in ((critical - 0.1, +1), (critical + 0.1, -1)):
        model = base.with_monitors("A", detection=p)
        d = deviation_gain(model, seed)
        assert sign * d["gain"] > d["half"], (p, d)
        # The simulated value of breaching matches its closed form T / (1 - delta (1 - p)).
        assert abs(d["defect"] - 4 / (1 - delta * (1 - p))) < d["half"] + 1e-3


@settings(max_examples=2, deadline=None)
@given(seed=seeds)
def test_threshold_with_temptation_and_delay_both_sides(seed):
    delta, qa, qb, k = 0.9, 0.5, 0.6, 2
    pay = Payoff()  # V, c, g = 3, 1, 1
    base = sim_model(sim_party("A", q=qa, delay=k), sim_party("B", q=qb), horizon=260,
                     discount=weekly_discount(delta))
    critical = critical_detection(base)["A"].critical
    gain_per_occasion = pay.defection_gain + pay.own_restraint
    expect = (1 - delta) * gain_per_occasion / (
        delta * (delta**k * qb * (pay.other_restraint + qa * pay.defection_gain)
                 - qa * gain_per_occasion))
    assert critical == pytest.approx(expect)
    assert 0.2 < critical < 0.45
    for p, sign in ((critical - 0.15, +1), (critical + 0.15, -1)):
        d = deviation_gain(base.with_monitors("A", detection=p), seed)
        assert sign * d["gain"] > d["half"], (p, d)
        # Closed form of the deviator's value with delayed punishment.
        x, h = pay.other_restraint + qa * pay.defection_gain, qa * p
        closed = x / (1 - delta) - qb * x * delta ** (k + 1) * h / (
            (1 - delta) * (1 - delta + delta * h))
        assert abs(d["defect"] - closed) < d["half"] + 1e-3


def test_critical_detection_edge_cases():
    # No punishment available (the other side never has occasions): nothing deters.
    assert critical_value(delta=0.99, gain=2, value=3, defection_gain=1, q_own=0.3,
                          q_punish=0.0) is None
    # Never tempted: nothing to deter.
    assert critical_value(delta=0.99, gain=2, value=3, defection_gain=1, q_own=0.0,
                          q_punish=0.5) == 0.0
    model = sim_model(sim_party("A", q=1.0, p=0.1), sim_party("B", q=1.0, p=1.0), horizon=10,
                      discount=weekly_discount(0.8))
    table = critical_detection(model)
    assert not table["A"].self_enforcing and table["B"].self_enforcing
    assert table["A"].as_dict()["commitments"][0]["critical"] == pytest.approx(0.25)
