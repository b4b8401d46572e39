"""How far apart the models' forecasts are: a measure of how much the answer depends on the
model rather than on the inputs.

Per issue, over the forecasts of the models run: the range (max - min) and the standard
deviation, both in points of the issue's scale and as a share of its width. The range is
labelled low (< 10 % of the scale), medium (< 25 %) or high.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast

LOW, MEDIUM = 0.10, 0.25


@dataclass(frozen=True)
class Spread:
    issue: str
    low: float
    high: float
    range: float
    std: float
    share: float
    label: str
    lowest: str
    highest: str

    def to_json_dict(self) -> dict:
        return {"issue": self.issue, "min": round(self.low, 4), "max": round(self.high, 4),
                "range": round(self.range, 4), "std": round(self.std, 4),
                "share_of_scale": round(self.share, 4), "label": self.label,
                "lowest_model": self.lowest, "highest_model": self.highest}


def spread(inputs: Inputs, forecasts: dict[str, Forecast]) -> list[Spread]:
    """The inter-model spread of every issue (needs at least one forecast)."""
    names = list(forecasts)
    values = np.array([forecasts[n].position for n in names])  # (M, D)
    out = []
    for d, issue in enumerate(inputs.issues):
        column = values[:, d]
        low, high = float(column.min()), float(column.max())
        share = (high - low) / float(inputs.width[d])
        label = "low" if share < LOW else "medium" if share < MEDIUM else "high"
        out.append(Spread(issue, low, high, high - low, float(column.std()), share, label,
                          names[int(np.argmin(column))], names[int(np.argmax(column))]))
    return out
