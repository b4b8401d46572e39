"""The one-shot inspection game with errors of both kinds (Avenhaus, von Stengel and Zamir).

An inspector inspects or not; an inspectee complies or violates. An inspection detects a
violation with probability ``q`` and raises a false alarm on a compliant inspectee with
probability ``alpha``. Payoffs (inspector, inspectee):

    ==================  ===============================  ===========================
                        complies                         violates
    ==================  ===============================  ===========================
    does not inspect    (0, 0)                           (-c, d)
    inspects            (-C - f alpha, -h alpha)         (-C - a q - c (1 - q),
                                                          -b q + d (1 - q))
    ==================  ===============================  ===========================

``C`` inspection cost, ``f`` and ``h`` the false alarm's cost to inspector and inspectee,
``a`` and ``c`` the inspector's loss from a detected and an undetected violation, ``b`` the
penalty for a detected violation, ``d`` the violator's gain. The mixed equilibrium inspects with
``p* = d / (q (b + d) - h alpha)`` and violates with ``r* = (C + f alpha) / (q (c - a) + f alpha)``;
when ``q <= (d + h alpha) / (b + d)`` no inspection rate deters and the inspectee always
violates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from detente.errors import ParameterError

_TOL = 1e-12


@dataclass(frozen=True)
class InspectionGame:
    """The game's parameters (see the module docstring for their meaning)."""

    q: float
    alpha: float
    C: float
    f: float
    h: float
    a: float
    c: float
    b: float
    d: float

    def __post_init__(self) -> None:
        for name in ("q", "alpha"):
            value = getattr(self, name)
            if not (0.0 <= value <= 1.0) or math.isnan(value):
                raise ParameterError.single("must be a probability in [0, 1]", field=name,
                                            value=value)
        for name in ("C", "f", "h", "a", "c", "b", "d"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ParameterError.single("must be a finite number >= 0", field=name,
                                            value=value)

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """Payoff matrices (inspector, inspectee); rows: not inspect, inspect; columns:
        comply, violate."""
        q, al = self.q, self.alpha
        inspector = np.array([[0.0, -self.c],
                              [-self.C - self.f * al, -self.C - self.a * q - self.c * (1 - q)]])
        inspectee = np.array([[0.0, self.d],
                              [-self.h * al, -self.b * q + self.d * (1 - q)]])
        return inspector, inspectee

    @property
    def deterrence_threshold(self) -> float | None:
        """``(d + h alpha) / (b + d)``: at or below this detection probability the inspectee
        violates whatever the inspection rate (None when ``b + d = 0``)."""
        return (self.d + self.h * self.alpha) / (self.b + self.d) if self.b + self.d else None


@dataclass(frozen=True)
class Equilibrium:
    """Probabilities of inspecting and of violating, and the expected payoffs."""

    inspect: float
    violate: float
    inspector_payoff: float
    inspectee_payoff: float
    kind: str  # "mixed" or "pure"

    def to_json_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Solution:
    game: InspectionGame
    equilibria: tuple[Equilibrium, ...]
    regime: str  # "deterred in part" (mixed), "always violates", "never inspects", ...

    @property
    def main(self) -> Equilibrium:
        """The mixed equilibrium when there is one, else the first pure one."""
        mixed = [e for e in self.equilibria if e.kind == "mixed"]
        return mixed[0] if mixed else self.equilibria[0]

    def to_json_dict(self) -> dict:
        main = self.main
        return {"game": asdict(self.game), "regime": self.regime,
                "deterrence_threshold": self.game.deterrence_threshold,
                "inspect": main.inspect, "violate": main.violate,
                "inspector_payoff": main.inspector_payoff,
                "inspectee_payoff": main.inspectee_payoff,
                "equilibria": [e.to_json_dict() for e in self.equilibria]}


def _payoffs(A: np.ndarray, B: np.ndarray, p: float, r: float) -> tuple[float, float]:
    x = np.array([1 - p, p])
    y = np.array([1 - r, r])
    return float(x @ A @ y), float(x @ B @ y)


def equilibria(A: np.ndarray, B: np.ndarray) -> list[tuple[float, float]]:
    """Every Nash equilibrium of a 2x2 bimatrix game with a finite set of them, as
    (probability of row 2, probability of column 2). Pure equilibria by best responses,
    the completely mixed one from the indifference conditions."""
    out: list[tuple[float, float]] = []
    for i in (0, 1):
        for j in (0, 1):
            if A[i, j] >= A[1 - i, j] - _TOL and B[i, j] >= B[i, 1 - j] - _TOL:
                out.append((float(i), float(j)))
    # Row 2 probability p makes the column player indifferent; column 2 probability r the row.
    db = (B[0, 1] - B[0, 0]) - (B[1, 1] - B[1, 0])
    da = (A[1, 0] - A[0, 0]) - (A[1, 1] - A[0, 1])
    if abs(db) > _TOL and abs(da) > _TOL:
        p = (B[0, 1] - B[0, 0]) / db
        r = (A[1, 0] - A[0, 0]) / da
        if _TOL < p < 1 - _TOL and _TOL < r < 1 - _TOL:
            out.append((float(p), float(r)))
    return out


def solve_game(game: InspectionGame) -> Solution:
    """Every equilibrium of ``game`` and its regime."""
    A, B = game.matrices()
    found = []
    for p, r in equilibria(A, B):
        u, v = _payoffs(A, B, p, r)
        kind = "pure" if p in (0.0, 1.0) and r in (0.0, 1.0) else "mixed"
        found.append(Equilibrium(p, r, u, v, kind))
    if not found:  # degenerate ties (a zero parameter): a continuum; report the closed form
        raise ParameterError.single("degenerate game (ties in the payoffs): equilibria form a "
                                    "continuum; change a zero parameter", field="game")
    found.sort(key=lambda e: (e.kind != "mixed", e.inspect, e.violate))
    main = found[0]
    if main.kind == "mixed":
        regime = "mixed: inspection deters in part"
    elif main.violate == 1.0:
        regime = ("always violates: detection too weak to deter"
                  if game.deterrence_threshold is not None
                  and game.q <= game.deterrence_threshold + _TOL else "always violates")
    else:
        regime = "complies"
    return Solution(game, tuple(found), regime)


def closed_form(game: InspectionGame) -> tuple[float, float] | None:
    """``(p*, r*)`` from the textbook formulas, or None outside the mixed regime."""
    den_p = game.q * (game.b + game.d) - game.h * game.alpha
    den_r = game.q * (game.c - game.a) + game.f * game.alpha
    if den_p <= 0 or den_r <= 0:
        return None
    p, r = game.d / den_p, (game.C + game.f * game.alpha) / den_r
    return (p, r) if 0 < p < 1 and 0 < r < 1 else None
