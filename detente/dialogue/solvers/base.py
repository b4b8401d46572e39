"""What every solver returns, and the interface they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from detente.dialogue.inputs import Inputs


@dataclass(frozen=True, eq=False)
class Forecast:
    """A solver's forecast: one outcome per issue, ``(D,)``.

    Dynamic models also give each actor's final position ``(N, D)`` and the number of rounds
    they ran; ``trace`` holds the model's own history (rounds, turns) for logs and plots;
    ``notes`` says anything a reader must know (a fallback taken, a bargaining set that is empty).
    """

    model: str
    position: np.ndarray
    final_positions: np.ndarray | None = None
    rounds: int | None = None
    notes: tuple[str, ...] = ()
    trace: Any = field(default=None, repr=False)

    def by_issue(self, inputs: Inputs) -> dict[str, float]:
        return {issue: float(v) for issue, v in zip(inputs.issues, self.position, strict=True)}

    def finals_by_issue(self, inputs: Inputs, issue: int) -> dict[str, float] | None:
        if self.final_positions is None:
            return None
        return {a: float(v) for a, v in zip(inputs.actors, self.final_positions[:, issue],
                                            strict=True)}


@runtime_checkable
class Solver(Protocol):
    """A bargaining model: ``solve(inputs)`` -> ``Forecast``. Deterministic: the same inputs give
    the same forecast, bit for bit."""

    name: ClassVar[str]
    title: ClassVar[str]
    dynamic: ClassVar[bool]

    def solve(self, inputs: Inputs) -> Forecast: ...


def safe_weights(weight: np.ndarray, capability: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``weight`` (N, D) with every all-zero column replaced by capabilities (or equal weights),
    so that an issue nobody cares about still has a defined forecast; notes say where."""
    weight = np.array(weight, dtype=float)
    notes = []
    dead = weight.sum(axis=0) <= 0
    if dead.any():
        fallback = capability if capability.sum() > 0 else np.ones_like(capability)
        weight[:, dead] = fallback[:, None]
        notes.append("every salience is zero on issue(s) "
                     f"{', '.join(str(int(i)) for i in np.flatnonzero(dead))}: weighted by "
                     "capability alone")
    return weight, notes
