"""Package deals: outcomes on all issues at once, and whether the parties would take them.

A package can succeed where single issues fail, because parties trade: each gives on the issues
it cares about less (low salience) for gains on those it cares about more. The candidates:

- ``nash``: the Nash bargaining solution (``solvers.nash``), the package that maximises the
  capability-weighted product of the parties' gains; it exists only when some package gives
  every party a positive gain.
- ``salience-trade``: on each issue, the mean of the parties' positions weighted by
  c_i (s_id / sum_e s_ie)^2: each party's weight is concentrated where its relative salience is
  highest, so each one wins where it cares most and gives where it cares least.
- ``zones``: each issue with a zone of agreement at the zone point nearest the compromise
  forecast, the others left at the status quo (agree where agreement exists, defer the rest).
- each solver's forecast, taken as a package.

Every candidate gets each party's acceptance (``acceptance``) and a viability verdict: viable
when every party with a veto accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.dialogue import acceptance, preferences
from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast
from detente.dialogue.solvers.compromise import weighted_mean
from detente.dialogue.solvers.nash import nash_solution
from detente.dialogue.zone import zones as zones_of


@dataclass(frozen=True, eq=False)
class Package:
    """A candidate package with every actor's verdict."""

    name: str
    how: str
    positions: np.ndarray
    acceptances: tuple[acceptance.Acceptance, ...]
    viable: bool
    verdict: str

    def to_json_dict(self, inputs: Inputs) -> dict:
        return {"name": self.name, "how": self.how,
                "positions": {k: round(float(v), 4) for k, v in
                              zip(inputs.issues, self.positions, strict=True)},
                "viable": self.viable, "verdict": self.verdict,
                "acceptance": [a.to_json_dict() for a in self.acceptances]}


def evaluate(inputs: Inputs, name: str, how: str, positions: np.ndarray) -> Package:
    """A package with its acceptances and verdict."""
    verdicts = acceptance.accept(inputs, positions)
    viable, sentence = acceptance.verdict(verdicts)
    return Package(name, how, np.asarray(positions, dtype=float), tuple(verdicts), viable,
                   sentence)


def salience_trade(inputs: Inputs) -> np.ndarray:
    """The salience-trade package (see the module docstring)."""
    who = preferences.players(inputs)
    sal = inputs.salience[who]
    totals = sal.sum(axis=1, keepdims=True)
    relative = np.divide(sal, totals, out=np.zeros_like(sal), where=totals > 0)
    weight = inputs.capability[who, None] * relative**2
    weight = np.where(weight.sum(axis=0) > 0, weight, 1.0)
    return weighted_mean(inputs.position[who].T, weight.T)


def zone_package(inputs: Inputs, anchor: np.ndarray) -> np.ndarray:
    """Each issue's zone point nearest ``anchor`` (D,), status quo where there is no zone."""
    y = inputs.status_quo.copy()
    for d, zone in enumerate(zones_of(inputs)):
        if zone.agreement:
            y[d] = float(np.clip(anchor[d], zone.low, zone.high))
    return y


def packages(inputs: Inputs, forecasts: dict[str, Forecast] | None = None) -> list[Package]:
    """Every candidate package, evaluated; the viable ones first, then by the smallest gain of
    a party (the best-balanced first)."""
    forecasts = forecasts or {}
    out = []
    nash, notes = nash_solution(inputs)
    if not notes:
        out.append(evaluate(inputs, "nash", "Nash bargaining solution over all issues", nash))
    out.append(evaluate(inputs, "salience-trade",
                        "each party weighted where its relative salience is highest",
                        salience_trade(inputs)))
    compromise = forecasts.get("compromise")
    anchor = compromise.position if compromise is not None else salience_trade(inputs)
    out.append(evaluate(inputs, "zones", "agree inside each zone of agreement, defer the rest",
                        zone_package(inputs, anchor)))
    for name, forecast in forecasts.items():
        if name == "nash":
            continue
        out.append(evaluate(inputs, f"forecast:{name}", f"the {name} forecast as a package",
                            forecast.position))
    who = set(preferences.players(inputs).tolist())

    def balance(p: Package) -> float:
        return min(a.gain for k, a in enumerate(p.acceptances) if k in who)

    return sorted(out, key=lambda p: (not p.viable, -balance(p)))
