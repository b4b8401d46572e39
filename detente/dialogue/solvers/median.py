"""The weighted median: the Condorcet winner under weighted voting.

On one issue, with single-peaked symmetric preferences, the position that beats every other in a
pairwise vote where each actor casts c_i s_id votes is the weighted median of the positions
(Black's median voter theorem): the smallest position x_(k) with

    sum_{m <= k} w_(m) >= W / 2,   W = sum_i w_i,  w_i = c_i s_id.

When the cumulative weight reaches exactly W/2 at x_(k), x_(k) and x_(k+1) tie; the lower is
returned (the result is then a weak Condorcet winner).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast, safe_weights

_HALF_TOLERANCE = 1e-12


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted (lower) median of ``values`` (B, N) with ``weights`` (B, N)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, axis=-1, kind="stable")
    sorted_values = np.take_along_axis(values, order, axis=-1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=-1), axis=-1)
    half = cumulative[..., -1:] * (0.5 - _HALF_TOLERANCE)
    k = np.argmax(cumulative >= half, axis=-1)
    return np.take_along_axis(sorted_values, k[..., None], axis=-1)[..., 0]


def pairwise_winner(values: np.ndarray, weights: np.ndarray) -> float | None:
    """The Condorcet winner among the positions ``values`` (N,), by brute-force pairwise weighted
    votes (actors prefer the closer position); None if there is none. For checking the median."""
    points = np.unique(values)
    distance = np.abs(values[:, None] - points[None, :])  # actor x candidate
    for a, point in enumerate(points):
        beaten = False
        for b in range(len(points)):
            if a == b:
                continue
            for_a = weights[distance[:, a] < distance[:, b]].sum()
            for_b = weights[distance[:, b] < distance[:, a]].sum()
            if for_b > for_a:
                beaten = True
                break
        if not beaten:
            return float(point)
    return None


class Median:
    """Capability x salience weighted median (Condorcet winner), per issue."""

    name: ClassVar[str] = "median"
    title: ClassVar[str] = "weighted median (Condorcet winner)"
    dynamic: ClassVar[bool] = False

    def solve(self, inputs: Inputs) -> Forecast:
        weight, notes = safe_weights(inputs.weight, inputs.capability)
        return Forecast(self.name, weighted_median(inputs.position.T, weight.T),
                        notes=tuple(notes))
