"""Strategies: a contract every implementation passes (built-in and user-defined), and scripted
versus tests in the style of Axelrod's ``versus_test``."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any, ClassVar

import numpy as np
import pytest

from detente.errors import ParameterError
from detente.simulate import Strategy, register, simulate
from detente.simulate import strategy as strategy_mod
from tests.strategies import sim_model, sim_party


@register
@dataclasses.dataclass(frozen=True)
class TitForTwoTats(Strategy):
    """A user-defined strategy: retaliates for one period after two periods in a row with an
    observed breach."""

    name: ClassVar[str] = "test_tit_for_two_tats"

    def start(self, runs: int) -> dict[str, np.ndarray]:
        return {"last": np.zeros(runs, bool), "hit": np.zeros(runs, bool)}

    def intent(self, state):
        return state["hit"]

    def react(self, state, seen, rng):
        np.logical_and(state["last"], seen, out=state["hit"])
        np.copyto(state["last"], seen)
        return state["hit"]


def _fitted() -> Strategy:
    """The fitted behaviour with a hand-made model: acts cluster and answer observations."""
    from detente.simulate.fitted import Fitted
    from detente.simulate.hazard import FEATURES, HazardModel

    cov = tuple(tuple(0.0 for _ in range(len(FEATURES) + 1)) for _ in range(len(FEATURES) + 1))
    model = HazardModel(party="A", intercept=-1.0, coef=(-0.5, 0.5, 2.0, 1.0, 0.0, 0.0),
                        cov=cov, rows=1000, acts=50, first_week=0, cut=7000)
    return Fitted(model=model)


BUILT_IN = [strategy_mod.get(name)() for name in strategy_mod.names()
            if not name.startswith("test_") and name != "fitted"]
ALL = [*BUILT_IN, strategy_mod.Generous(forgive=0.5), strategy_mod.ThresholdK(k=3, window=5),
       strategy_mod.Grit(cooloff=2), TitForTwoTats(), _fitted()]
IDS = [s.label() for s in ALL]


def _arrays(state: Any):
    if isinstance(state, np.ndarray):
        yield state
    elif isinstance(state, dict):
        for k, v in state.items():
            if not str(k).startswith("_"):  # scratch buffers, not per-run state
                yield from _arrays(v)
    elif isinstance(state, list | tuple):
        for v in state:
            yield from _arrays(v)


def _play(strategy: Strategy, seen: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Intents and responses for a (periods, runs) array of observations."""
    rng = np.random.Generator(np.random.SFC64(seed))
    state = strategy.start(seen.shape[1])
    intents, responses = [], []
    for row in seen:
        intents.append(np.array(strategy.intent(state), copy=True))
        responses.append(np.array(strategy.react(state, row, rng), copy=True))
    intents.append(np.array(strategy.intent(state), copy=True))
    return np.array(intents), np.array(responses)


@pytest.mark.parametrize("strategy", ALL, ids=IDS)
def test_contract(strategy: Strategy):
    runs, periods = 64, 40
    seen = np.random.default_rng(1).random((periods, runs)) < 0.15
    before = pickle.dumps(strategy)
    state = strategy.start(runs)
    # Per-run state in small dtypes only.
    assert all(a.dtype.itemsize <= 2 for a in _arrays(state)), strategy.label()
    intents, responses = _play(strategy, seen)
    assert intents.dtype == bool and intents.shape == (periods + 1, runs)
    assert responses.dtype == bool and responses.shape == (periods, runs)
    # A response is to something seen; nothing seen, nothing answered.
    assert not (responses & ~seen).any()
    _, quiet = _play(strategy, np.zeros((periods, runs), bool))
    assert not quiet.any()
    # Same seed, same play; the instance itself keeps no per-run state.
    again, again_resp = _play(strategy, seen)
    assert np.array_equal(intents, again) and np.array_equal(responses, again_resp)
    assert pickle.dumps(strategy) == before
    assert pickle.loads(before) == strategy
    if not strategy.stochastic:
        # Vectorised run by run: permuting the runs permutes the play.
        order = np.random.default_rng(2).permutation(runs)
        shuffled, _ = _play(strategy, seen[:, order])
        assert np.array_equal(shuffled, intents[:, order])
    # Parsed back from its label (what the CLI and sweeps do).
    if strategy.name == "fitted":  # its parameters are a fitted model, not text
        return
    assert strategy_mod.parse(type(strategy).name + strategy.label()[len(strategy.name):]
                              ) == strategy


@pytest.mark.parametrize("strategy", ALL, ids=IDS)
def test_contract_in_the_engine(strategy: Strategy):
    model = sim_model(sim_party("PRK", q=0.3, p=0.8, f=0.02, delay=1),
                      sim_party("USA", q=0.2, f=0.01), horizon=60)
    one = simulate(model, [strategy, "grim"], runs=3_000, seed=9, chunk_size=1_000, workers=1)
    two = simulate(model, [strategy, "grim"], runs=3_000, seed=9, chunk_size=1_000, workers=2)
    assert np.array_equal(one.stats.collapses, two.stats.collapses)
    assert np.array_equal(one.stats.breaches, two.stats.breaches)
    assert (np.diff(one.survival_p) <= 0).all()
    assert one.strategies[0] == strategy.label()


def versus(strategy: Strategy, seen: list[int]) -> list[int]:
    intents, _ = _play(strategy, np.array(seen, bool)[:, None])
    return intents[:, 0].astype(int).tolist()


def test_versus_scripts():
    s = strategy_mod
    assert versus(s.AlwaysComply(), [1, 1, 0]) == [0, 0, 0, 0]
    assert versus(s.AlwaysDefect(), [0, 1, 0]) == [1, 1, 1, 1]
    assert versus(s.Grim(), [0, 0, 1, 0, 0]) == [0, 0, 0, 1, 1, 1]
    assert versus(s.TitForTat(), [0, 1, 0, 1, 1, 0]) == [0, 0, 1, 0, 1, 1, 0]
    assert versus(s.Generous(forgive=0.0), [0, 1, 0, 1, 1, 0]) == [0, 0, 1, 0, 1, 1, 0]
    assert versus(s.Generous(forgive=1.0), [1, 1, 1]) == [0, 0, 0, 0]
    # Two breaches within 3 periods: the first drops out of the window before the second.
    assert versus(s.ThresholdK(k=2, window=3), [1, 0, 0, 0, 1, 0, 1, 0]) == \
        [0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert versus(s.ThresholdK(k=1, window=1), [0, 1, 0]) == [0, 0, 1, 1]
    assert versus(s.Grit(cooloff=2), [1, 0, 0, 0, 1, 1, 0, 0]) == [0, 1, 1, 0, 0, 1, 1, 1, 0]
    assert versus(TitForTwoTats(), [1, 0, 1, 1, 1, 0]) == [0, 0, 0, 0, 1, 1, 0]


def test_generous_forgives_at_its_rate():
    seen = np.ones((1, 40_000), bool)
    _, responses = _play(strategy_mod.Generous(forgive=0.3), seen, seed=4)
    rate = responses.mean()
    assert abs(rate - 0.7) < 5.3 * np.sqrt(0.21 / 40_000)


def test_registry_and_parsing():
    assert "test_tit_for_two_tats" in strategy_mod.names()
    assert strategy_mod.parse("tft") == strategy_mod.TitForTat()
    assert strategy_mod.parse("gtft:forgive=0.25") == strategy_mod.Generous(forgive=0.25)
    assert strategy_mod.parse("gtft") == strategy_mod.Generous(forgive=1 / 3)  # Axelrod's GTFT
    assert strategy_mod.parse("threshold_k:k=3,window=10") == strategy_mod.ThresholdK(3, 10)
    # Any importable class by dotted path (this module may be imported under another name).
    imported = strategy_mod.parse("tests.test_simulate_strategies.TitForTwoTats")
    assert type(imported).__name__ == "TitForTwoTats" and imported.name == TitForTwoTats.name
    for bad in ("nope", "grim:k=2", "threshold_k:k=two", "threshold_k:k", "generous:forgive=-1",
                "grit:cooloff=0", "detente.errors.ParameterError", "no.such.module.Class"):
        with pytest.raises(ParameterError):
            strategy_mod.parse(bad)
