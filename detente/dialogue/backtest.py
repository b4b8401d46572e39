"""Backtest: fit on the decisions before a cut-off, forecast the choices made after it.

The scenario's analyst inputs (``fit.unfitted``) are fitted on the coded decisions dated before
the cut-off only; every known choice of a signatory or consent holder after it is then forecast
(P(accept), ``probability``) and so is every later decision whose outcome is known (P(viable)).
Beside the fitted model, on the same choices:

- ``unfitted``: the analyst's inputs, not fitted;
- ``everyone accepts``: P = 1 for every choice and every deal;
- ``status quo``: nothing changes, P = 0;
- ``base rate``: the share of acceptances (of deals made) among the decisions before the cut-off.

Scores: accuracy (a forecast of 0.5 or more is "accepts"), with an exact (Clopper-Pearson) 95 %
interval, and the Brier score (mean squared error of the probabilities, 0 is perfect, lower is
better) with a 95 % percentile bootstrap interval (seeded). With fewer than ``MIN_N`` items no
interval is given. A baseline whose interval overlaps the model's is "no clear difference";
overlapping intervals are a conservative test, so a real but small difference can hide there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from detente.dialogue import decisions, fit, probability
from detente.dialogue.decisions import Decision, Decisions
from detente.dialogue.scenario import Scenario
from detente.errors import ParameterError

MIN_N = 5
BOOTSTRAP = 4000
MODEL, UNFITTED = "fitted model", "unfitted scenario"
BASELINES = (UNFITTED, "everyone accepts", "status quo", "base rate")


@dataclass(frozen=True)
class Score:
    """Accuracy and Brier score of one forecaster on n items, with 95 % intervals (None when
    the sample is too small)."""

    name: str
    n: int
    hits: int
    accuracy: float
    accuracy_ci: tuple[float, float] | None
    brier: float
    brier_ci: tuple[float, float] | None

    def to_json_dict(self) -> dict:
        ci = lambda v: None if v is None else [round(v[0], 4), round(v[1], 4)]  # noqa: E731
        return {"name": self.name, "n": self.n, "hits": self.hits,
                "accuracy": round(self.accuracy, 4), "accuracy_ci": ci(self.accuracy_ci),
                "brier": round(self.brier, 4), "brier_ci": ci(self.brier_ci)}


@dataclass(frozen=True)
class Forecast:
    """One forecast item after the cut-off: a choice (``actor`` set) or a whole deal."""

    decision: str
    date: dt.date
    title: str
    actor: str | None
    outcome: bool
    choice: str
    p: dict[str, float]

    def to_json_dict(self) -> dict:
        return {"decision": self.decision, "date": str(self.date), "title": self.title,
                "actor": self.actor, "outcome": self.outcome, "choice": self.choice,
                "p": {k: round(v, 4) for k, v in self.p.items()}}


@dataclass(frozen=True, eq=False)
class Backtest:
    cutoff: dt.date
    decisions_file: str
    trained_on: int
    trained_choices: int
    fit: fit.Fit
    choices: tuple[Forecast, ...]
    deals: tuple[Forecast, ...]
    choice_scores: tuple[Score, ...]
    deal_scores: tuple[Score, ...]
    samples: int
    seed: int

    def comparisons(self, scores: tuple[Score, ...]) -> dict[str, dict[str, str]]:
        """Per baseline, how the fitted model compares on the Brier score and on accuracy:
        "model better", "baseline better" or "no clear difference" (overlapping intervals)."""
        model = scores[0]
        return {s.name: {"brier": _compare(model.brier_ci, s.brier_ci, lower_better=True),
                         "accuracy": _compare(model.accuracy_ci, s.accuracy_ci)}
                for s in scores[1:]}

    @property
    def misses(self) -> list[Forecast]:
        """The choices the fitted model got wrong."""
        return [f for f in self.choices if (f.p[MODEL] >= 0.5) != f.outcome]

    def to_json_dict(self) -> dict:
        return {"cutoff": str(self.cutoff), "decisions": self.decisions_file,
                "trained_on": {"decisions": self.trained_on, "choices": self.trained_choices},
                "fit": self.fit.to_json_dict(), "samples": self.samples, "seed": self.seed,
                "choices": {"scores": [s.to_json_dict() for s in self.choice_scores],
                            "comparisons": self.comparisons(self.choice_scores),
                            "items": [f.to_json_dict() for f in self.choices]},
                "deals": {"scores": [s.to_json_dict() for s in self.deal_scores],
                          "comparisons": self.comparisons(self.deal_scores),
                          "items": [f.to_json_dict() for f in self.deals]},
                "misses": [f.to_json_dict() for f in self.misses]}


def _compare(model: tuple[float, float] | None, other: tuple[float, float] | None,
             lower_better: bool = False) -> str:
    if model is None or other is None:
        return "too few items to say"
    if model[1] < other[0]:
        return "model better" if lower_better else "baseline better"
    if other[1] < model[0]:
        return "baseline better" if lower_better else "model better"
    return "no clear difference"


def score(name: str, p: np.ndarray, outcome: np.ndarray, seed: int) -> Score:
    """Accuracy and Brier score of probabilities ``p`` against boolean ``outcome``."""
    p, y = np.asarray(p, dtype=float), np.asarray(outcome, dtype=float)
    n = int(p.size)
    hits = int(np.sum((p >= 0.5) == (y == 1)))
    brier = float(np.mean((p - y) ** 2)) if n else float("nan")
    acc_ci = brier_ci = None
    if n >= MIN_N:
        ci = binomtest(hits, n).proportion_ci(0.95, method="exact")
        acc_ci = (float(ci.low), float(ci.high))
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n, (BOOTSTRAP, n))
        boot = np.mean((p[idx] - y[idx]) ** 2, axis=1)
        brier_ci = (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5)))
    return Score(name, n, hits, hits / n if n else float("nan"), acc_ci, brier, brier_ci)


def backtest(scenario: Scenario, found: Decisions, cutoff: dt.date,
             samples: int = probability.SAMPLES, seed: int = 0,
             fit_samples: int = fit.FIT_SAMPLES) -> Backtest:
    """Fit on the decisions before ``cutoff``, score the forecasts of those on or after it
    against the baselines (module docstring)."""
    train, test = found.before(cutoff), found.after(cutoff)
    if not test:
        raise ParameterError.single(f"no decision of {found.file} is dated on or after the "
                                    "cut-off: nothing to forecast", field="cutoff",
                                    value=str(cutoff))
    fitted = fit.fit(scenario, found, before=cutoff, samples=fit_samples, seed=seed)
    base = fitted.unfitted
    trained = decisions.coded(base, [d for _, d in train])
    rate = float(trained.obs_accepted.mean()) if trained.n_choices else 0.5
    known = [d.happened for _, d in train if d.happened is not None]
    deal_rate = float(np.mean(known)) if known else 0.5
    choices, deals = [], []
    for _, decision in test:
        outlooks = {MODEL: _outlook(fitted.scenario, decision, samples, seed),
                    UNFITTED: _outlook(base, decision, samples, seed)}
        for actor, choice in decision.choices.items():
            p = {k: next(c.p_accept for c in o.chances if c.actor == actor)
                 for k, o in outlooks.items()}
            p |= {"everyone accepts": 1.0, "status quo": 0.0, "base rate": rate}
            choices.append(Forecast(decision.id, decision.date, decision.title, actor,
                                    choice != "rejected", choice, p))
        if decision.happened is not None:
            p = {k: o.p_viable for k, o in outlooks.items()}
            p |= {"everyone accepts": 1.0, "status quo": 0.0, "base rate": deal_rate}
            deals.append(Forecast(decision.id, decision.date, decision.title, None,
                                  decision.happened, "made" if decision.happened else "not made",
                                  p))
    names = (MODEL, *BASELINES)
    return Backtest(
        cutoff, found.name, len(train), trained.n_choices, fitted, tuple(choices),
        tuple(deals), tuple(_scores(names, choices, seed)), tuple(_scores(names, deals, seed)),
        samples, seed)


def _outlook(scenario: Scenario, decision: Decision, samples: int,
             seed: int) -> probability.Outlook:
    inputs = scenario.inputs
    start, end = inputs.status_quo.copy(), inputs.status_quo.copy()
    for issue, (a, b) in decision.moves.items():
        d = inputs.issue_index(issue)
        start[d], end[d] = a, b
    veto, roles = probability.veto_mask(scenario, decision.signatories, decision.consent)
    return probability.outlook(scenario, end, veto, roles, start=start, samples=samples,
                               seed=seed)


def _scores(names, items: list[Forecast], seed: int) -> list[Score]:
    outcome = np.array([f.outcome for f in items], dtype=bool)
    return [score(n, np.array([f.p[n] for f in items]), outcome, seed) for n in names]
