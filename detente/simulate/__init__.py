"""Durability simulator: how long would an agreement last under imperfect verification?

``simulate_agreement(agreement, {"PRK": "grim"}, runs=10_000, seed=1, rates={...})`` returns a
``SimulationResult`` (survival curve with bands, durations, who breaks first, real breaches
versus false alarms, critical detection per party). See docs/simulate.md.
"""

from detente.simulate import fitted as _fitted  # noqa: F401  (registers the strategy)
from detente.simulate.analytic import critical_detection
from detente.simulate.model import Model, Monitor, Party, build, prisoners_dilemma
from detente.simulate.result import SimulationResult
from detente.simulate.simulation import build_model, simulate, simulate_agreement
from detente.simulate.strategy import Strategy, register

__all__ = [
    "Model", "Monitor", "Party", "SimulationResult", "Strategy", "build", "build_model",
    "critical_detection", "prisoners_dilemma", "register", "simulate", "simulate_agreement",
]
