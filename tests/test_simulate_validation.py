"""Validation against theory and against Axelrod (the reference library for iterated games)."""

from __future__ import annotations

import functools
import inspect
import math
import warnings

import numpy as np
import pytest

from detente.simulate import prisoners_dilemma, simulate
from detente.simulate.strategy import Generous, Grim, TitForTat

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


