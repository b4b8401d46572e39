"""The compromise model: the capability x salience weighted mean of the positions.

    x*_d = sum_i c_i s_id x_id / sum_i c_i s_id

It is where a group ends up when each actor pulls in proportion to the power it is willing to
spend on the issue (Bueno de Mesquita's "mean" forecast; KTAB calls it the compromise position).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast, safe_weights


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean of ``values`` (..., N) with ``weights`` (..., N)."""
    return (values * weights).sum(axis=-1) / weights.sum(axis=-1)


class Compromise:
    """Capability x salience weighted mean, per issue."""

    name: ClassVar[str] = "compromise"
    title: ClassVar[str] = "compromise (weighted mean)"
    dynamic: ClassVar[bool] = False

    def solve(self, inputs: Inputs) -> Forecast:
        weight, notes = safe_weights(inputs.weight, inputs.capability)
        position = weighted_mean(inputs.position.T, weight.T)
        return Forecast(self.name, position, notes=tuple(notes))
