"""Backtests: every forecast detente can make, scored out of sample against the record.

``evaluate(agreements, store)`` runs the rolling-origin backtest (``backtest``) of the default
simulation, named models and baselines (``forecasters``) and scores them (``scores``). See
docs/simulate.md ("Backtest").
"""

from detente.evaluate.backtest import HORIZONS, Evaluation, evaluate, origin_years
from detente.evaluate.forecasters import BASELINES, METHODS, MODELS
from detente.evaluate.scores import ReliabilityBin, Score, Skill

__all__ = ["BASELINES", "HORIZONS", "METHODS", "MODELS", "Evaluation", "ReliabilityBin",
           "Score", "Skill", "evaluate", "origin_years"]
