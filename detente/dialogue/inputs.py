"""The numeric view of a scenario that every solver and analysis reads.

Arrays, not objects, so that solvers vectorise and the sensitivity analysis can perturb
thousands of copies cheaply. Rows are actors (in scenario order), columns are issues.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from detente.dialogue.scenario import Scenario


@dataclass(frozen=True, eq=False)
class Inputs:
    """Capabilities ``(N,)``, positions and saliences ``(N, D)``, status quo ``(D,)``,
    scale ``(D, 2)``, veto ``(N,)``, red lines ``range_low``/``range_high`` ``(N, D)`` (the scale's
    ends where an actor declared none, flagged by ``has_range``) and reservation points ``(N, D)``
    (NaN where none)."""

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    status_quo: np.ndarray
    scale: np.ndarray
    veto: np.ndarray
    range_low: np.ndarray
    range_high: np.ndarray
    has_range: np.ndarray
    reservation: np.ndarray

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Inputs:
        issues = scenario.issues
        n, d = len(scenario.actors), len(issues)
        position = np.empty((n, d))
        salience = np.empty((n, d))
        range_low = np.empty((n, d))
        range_high = np.empty((n, d))
        has_range = np.zeros((n, d), dtype=bool)
        reservation = np.full((n, d), np.nan)
        scale = np.array([issue.scale for issue in issues], dtype=float)
        for i, actor in enumerate(scenario.actors):
            for j, issue in enumerate(issues):
                stance = actor.positions[issue.id]
                position[i, j] = stance.position
                salience[i, j] = stance.salience
                low, high = stance.range if stance.range is not None else issue.scale
                range_low[i, j], range_high[i, j] = low, high
                has_range[i, j] = stance.range is not None
                if stance.reservation is not None:
                    reservation[i, j] = stance.reservation
        return cls(
            actors=tuple(scenario.actor_ids), issues=tuple(scenario.issue_ids),
            capability=np.array([a.capability for a in scenario.actors], dtype=float),
            position=position, salience=salience,
            status_quo=np.array([issue.status_quo for issue in issues], dtype=float),
            scale=scale, veto=np.array([a.has_veto for a in scenario.actors], dtype=bool),
            range_low=range_low, range_high=range_high, has_range=has_range,
            reservation=reservation)

    @property
    def n_actors(self) -> int:
        return len(self.actors)

    @property
    def n_issues(self) -> int:
        return len(self.issues)

    @property
    def width(self) -> np.ndarray:
        """Length of each issue's scale, ``(D,)``."""
        return self.scale[:, 1] - self.scale[:, 0]

    @property
    def weight(self) -> np.ndarray:
        """Capability x salience, ``(N, D)``: an actor's effective weight on each issue."""
        return self.capability[:, None] * self.salience

    def replace(self, **changes) -> Inputs:
        """A copy with some arrays replaced (used by the sensitivity analysis)."""
        return dataclasses.replace(self, **changes)

    def issue_index(self, issue_id: str) -> int:
        return self.issues.index(issue_id)

    def actor_index(self, actor_id: str) -> int:
        return self.actors.index(actor_id)
