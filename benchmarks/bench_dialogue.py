"""Dialogue benchmark: the dynamic models at scale, and the sensitivity analysis.

1. Bueno de Mesquita/Scholz (10 rounds) and KTAB's SMP (to convergence, at most 100 turns) on a
   random scenario of 100 actors x 10 issues (seeded).
2. The sensitivity analysis of the expected-utility forecast of the bundled korea-2018 scenario
   with 1,000 perturbed scenarios, vectorised over the copies, against the named baseline: the
   same copies solved one by one with ``BdM().solve`` (the same numbers; checked below).

Goal: the sensitivity analysis in under 10 s on a 2-core machine. Times are the best of a few
repeats (other work on the machine only ever slows a run down). The last line is
``sensitivity_1000_seconds: <seconds>``.
"""

from __future__ import annotations

import time

import numpy as np

from detente.dialogue import catalog
from detente.dialogue.inputs import Inputs
from detente.dialogue.sensitivity import forecasts, perturb, sensitivity
from detente.dialogue.solvers import SMP, BdM
from detente.dialogue.solvers.median import weighted_median

REPEATS = 3


def best_of(fn, repeats: int = REPEATS) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def random_scenario(n: int = 100, d: int = 10, seed: int = 2018) -> Inputs:
    rng = np.random.default_rng(seed)
    return Inputs(
        actors=tuple(f"A{i:03d}" for i in range(n)), issues=tuple(f"issue{k}" for k in range(d)),
        capability=rng.lognormal(3.0, 1.0, n), position=rng.uniform(0, 100, (n, d)).round(1),
        salience=rng.uniform(0.05, 1.0, (n, d)).round(2), status_quo=rng.uniform(0, 100, d),
        scale=np.tile([0.0, 100.0], (d, 1)), veto=np.ones(n, dtype=bool),
        range_low=np.zeros((n, d)), range_high=np.full((n, d), 100.0),
        has_range=np.zeros((n, d), dtype=bool), reservation=np.full((n, d), np.nan))


def main() -> None:
    big = random_scenario()
    seconds, forecast = best_of(lambda: BdM().solve(big), repeats=1)
    print(f"bdm 100 actors x 10 issues, {forecast.rounds} rounds: {seconds:.2f} s")
    seconds, forecast = best_of(lambda: SMP().solve(big), repeats=1)
    print(f"smp 100 actors x 10 issues, {forecast.rounds} turns: {seconds:.2f} s")

    inputs = catalog.load("korea-2018").inputs
    samples = 1000
    seconds, result = best_of(lambda: sensitivity(inputs, "bdm", samples, seed=0))
    actor, share = result.most_influential
    print(f"sensitivity, bdm, {samples} perturbed scenarios ({inputs.n_actors} actors x "
          f"{inputs.n_issues} issues), vectorised: {seconds:.2f} s "
          f"(most influential: {actor}, {share:.0%})")

    # Baseline: the same perturbed copies, one BdM().solve per copy.
    pos, cap, sal, _ = perturb(inputs, samples, np.random.default_rng(0))
    weight = cap[:, :, None] * sal

    def one_by_one() -> np.ndarray:
        out = np.empty((samples, inputs.n_issues))
        for k in range(samples):
            copy = inputs.replace(position=pos[k], capability=cap[k], salience=sal[k])
            final = BdM().solve(copy).final_positions
            out[k] = weighted_median(final.T, weight[k].T)
        return out

    baseline, looped = best_of(one_by_one, repeats=1)
    batched = forecasts("bdm", inputs, pos, cap, sal)
    assert np.allclose(batched, looped, rtol=0, atol=1e-9), "vectorised and looped forecasts differ"
    forecast_seconds, _ = best_of(lambda: forecasts("bdm", inputs, pos, cap, sal))
    print(f"baseline (one BdM().solve per copy): {baseline:.2f} s; vectorised forecasts "
          f"{forecast_seconds:.2f} s; ratio_vs_loop: {baseline / forecast_seconds:.1f}")
    print(f"goal: under 10 s -> {'met' if seconds < 10 else 'NOT met'}")
    print(f"sensitivity_1000_seconds: {seconds:.2f}")


if __name__ == "__main__":
    main()
