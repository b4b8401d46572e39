"""Per issue, the zone of agreement: the outcomes every party with a veto accepts.

On issue d each party accepts the interval of points it prefers (weakly) to the status quo, that
is at least as close to its position, and inside its limits (red lines and reservation point,
``preferences``). The zone is the intersection over the parties,

    [max_i low_id, min_i high_id],

and the issue "needs new discussion" when it is empty or holds nothing but the status quo. The
two parties that bound the zone, or whose intervals do not meet, are named: they are the ones a
mediator has to move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.dialogue import preferences
from detente.dialogue.inputs import Inputs

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Zone:
    """The zone of agreement on one issue, or why there is none."""

    issue: str
    low: float | None
    high: float | None
    status_quo: float
    agreement: bool
    floor_by: str
    ceiling_by: str
    reason: str

    @property
    def bounds(self) -> list[float | None] | None:
        return [self.low, self.high] if self.agreement else None

    def to_json_dict(self) -> dict:
        return {"issue": self.issue, "zone": self.bounds, "agreement": self.agreement,
                "floor_by": self.floor_by, "ceiling_by": self.ceiling_by, "reason": self.reason}


def zones(inputs: Inputs) -> list[Zone]:
    """The zone of agreement of every issue."""
    who = preferences.players(inputs)
    low, high = preferences.acceptable_intervals(inputs)
    low, high = low[who], high[who]
    out = []
    for d, issue in enumerate(inputs.issues):
        k_floor, k_ceiling = int(np.argmax(low[:, d])), int(np.argmin(high[:, d]))
        floor, ceiling = float(low[k_floor, d]), float(high[k_ceiling, d])
        by_floor, by_ceiling = inputs.actors[who[k_floor]], inputs.actors[who[k_ceiling]]
        sq = float(inputs.status_quo[d])
        if floor > ceiling + _TOLERANCE:
            reason = (f"needs new discussion: {by_floor} accepts nothing below {floor:g} and "
                      f"{by_ceiling} nothing above {ceiling:g}")
            out.append(Zone(issue, None, None, sq, False, by_floor, by_ceiling, reason))
        elif ceiling - floor <= _TOLERANCE and abs(floor - sq) <= _TOLERANCE:
            who_blocks = (f"{by_floor} accepts nothing else" if by_floor == by_ceiling else
                          f"{by_floor} accepts nothing below it, {by_ceiling} nothing above")
            reason = (f"needs new discussion: only the status quo ({sq:g}) is acceptable to every "
                      f"party ({who_blocks})")
            out.append(Zone(issue, None, None, sq, False, by_floor, by_ceiling, reason))
        else:
            reason = (f"agreement possible between {floor:g} (floor set by {by_floor}) and "
                      f"{ceiling:g} (ceiling set by {by_ceiling}); status quo {sq:g}")
            out.append(Zone(issue, floor, ceiling, sq, True, by_floor, by_ceiling, reason))
    return out
