"""Add your own strategy: a frozen dataclass with start/intent/react working on NumPy arrays of
runs, registered by name. Here "tit for two tats" answers only two observed breaches in a row,
which makes a freeze far more robust to false alarms than tit for tat."""

import dataclasses
from typing import ClassVar

import numpy as np

from detente.agreements import presets
from detente.simulate import Strategy, register, simulate_agreement


@register
@dataclasses.dataclass(frozen=True)
class TitForTwoTats(Strategy):
    """Retaliates for one period after two periods in a row with an observed breach."""

    name: ClassVar[str] = "tit_for_two_tats"

    def start(self, runs: int) -> dict:
        # Per-run state lives here (never on self), in small dtypes.
        return {"last": np.zeros(runs, bool), "hit": np.zeros(runs, bool)}

    def intent(self, state: dict) -> np.ndarray:
        return state["hit"]  # take the next occasion only after two tats

    def react(self, state: dict, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        np.logical_and(state["last"], seen, out=state["hit"])
        np.copyto(state["last"], seen)
        return state["hit"]  # responses: the agreement collapses at the first one


freeze = presets.load("freeze-for-freeze")
rates = {"PRK": 0.3, "USA": 0.05, "KOR": 0.05}  # per week, given here rather than estimated
for name in ("tit_for_tat", "tit_for_two_tats"):
    everyone = {p: name for p in freeze.parties}
    result = simulate_agreement(freeze, everyone, runs=20_000, seed=7, rates=rates,
                                horizon="3y")
    s = result.summary()
    median = s["median_periods"] if s["median_periods"] is not None else "> 157"
    print(f"{name:17s} P(holding 12 months) {s['p_holding']['12m']:.3f}, "
          f"median {median} weeks, false alarms began "
          f"{s['collapse_cause_shares']['false_alarm']:.0%} of collapses")
