"""Forecast error: the bargaining models' forecasts against the outcomes the parties reached.

An outcomes file records, for a scenario, episodes with a known outcome: on a date after the
scenario's ``as_of``, where each issue actually stood, on the scenario's own scale, with a
rationale and sources. Each model's forecast is scored by its mean absolute error over the issues
(points per 100 of scale, so issues on different scales weigh alike) and per issue, beside the
forecast that nothing changes (the status quo). A model whose mean error over the episodes is not
below the status quo's "cannot beat the status quo": its forecasts are worse guides than no
forecast at all. The table also names the parties whose declared red lines a forecast crosses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente import yamlio
from detente.bundle import Bundle
from detente.dialogue import preferences
from detente.dialogue.scenario import ID_PATTERN, Scenario
from detente.dialogue.solvers import Forecast, solve_all
from detente.errors import ScenarioError

OUTCOMES = Bundle(Path(__file__).resolve().parent / "scenarios" / "outcomes",
                  "outcomes file", "or give the path of an outcomes .yaml file")
STATUS_QUO = "status quo"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reached(_Frozen):
    value: float
    rationale: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


class Episode(_Frozen):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    date: yamlio.Date
    outcome: dict[str, Reached] = Field(min_length=1)


class OutcomeFile(_Frozen):
    scenario: str
    title: str = ""
    description: str = ""
    episodes: list[Episode] = Field(min_length=1)


def for_scenario(scenario_id: str) -> str | None:
    """The bundled outcomes file of a scenario (its id is the scenario's), if any."""
    return scenario_id if scenario_id in OUTCOMES.ids() else None


def load(ref: str | Path, scenario: Scenario) -> OutcomeFile:
    """An outcomes file checked against ``scenario``: written for it, known issues, every
    issue given, values on the scales, episodes after ``as_of``; errors name file, line, field."""
    text = str(ref)
    path = Path(text).expanduser() if Bundle.is_path(text) else OUTCOMES.path_of(text)
    doc = yamlio.read(path, ScenarioError)
    content = yamlio.validate(OutcomeFile, doc, ScenarioError)
    problems = []
    if content.scenario != scenario.id:
        problems.append(doc.problem(f"written for scenario {content.scenario!r}, not "
                                    f"{scenario.id!r}", ("scenario",), content.scenario))
    for k, episode in enumerate(content.episodes):
        base = ("episodes", k)
        if scenario.as_of is not None and episode.date <= scenario.as_of:
            problems.append(doc.problem(f"an outcome must come after the scenario's as_of "
                                        f"{scenario.as_of}", (*base, "date"), str(episode.date)))
        for issue, reached in episode.outcome.items():
            where = (*base, "outcome", issue)
            if issue not in scenario.issue_ids:
                problems.append(doc.problem(
                    f"unknown issue; issues: {', '.join(scenario.issue_ids)}", where, issue))
                continue
            low, high = scenario.issue(issue).scale
            if not low <= reached.value <= high:
                problems.append(doc.problem(f"outside the issue's scale [{low:g}, {high:g}]",
                                            where, reached.value))
        missing = [i for i in scenario.issue_ids if i not in episode.outcome]
        if missing:
            problems.append(doc.problem(f"no outcome for issue(s) {', '.join(missing)} (every "
                                        "issue needs one)", (*base, "outcome")))
    ScenarioError.collect(f"{doc.file}: {len(problems)} problem(s)", problems)
    return content


@dataclass(frozen=True)
class Error:
    """One forecaster's error on one episode: mean absolute error and per issue (points per
    100 of scale), and the parties whose red lines its forecast crosses."""

    model: str
    episode: str
    mae: float
    by_issue: dict[str, float]
    crosses: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Scorecard:
    scenario: str
    episodes: tuple[Episode, ...]
    forecasts: dict[str, np.ndarray]
    errors: tuple[Error, ...]

    def mean_error(self, model: str) -> float:
        return float(np.mean([e.mae for e in self.errors if e.model == model]))

    @property
    def models(self) -> list[str]:
        return [m for m in self.forecasts if m != STATUS_QUO]

    def beats_status_quo(self, model: str) -> bool:
        return self.mean_error(model) < self.mean_error(STATUS_QUO)

    def verdict(self, model: str) -> str:
        if model == STATUS_QUO:
            return "the benchmark: nothing changes"
        gap = self.mean_error(STATUS_QUO) - self.mean_error(model)
        return (f"beats the status quo by {gap:.1f} points" if gap > 0 else
                f"cannot beat the status quo ({-gap:.1f} points worse)")

    def to_json_dict(self) -> dict:
        return {"scenario": self.scenario,
                "episodes": [{"id": e.id, "title": e.title, "date": str(e.date),
                              "outcome": {i: r.value for i, r in e.outcome.items()}}
                             for e in self.episodes],
                "models": [{"model": m, "forecast": [round(float(v), 4) for v in f],
                            "mean_error": round(self.mean_error(m), 4),
                            "beats_status_quo": m != STATUS_QUO and self.beats_status_quo(m),
                            "verdict": self.verdict(m),
                            "errors": [{"episode": e.episode, "mae": round(e.mae, 4),
                                        "by_issue": {k: round(v, 4) for k, v in e.by_issue.items()},
                                        "crosses_red_lines_of": list(e.crosses)}
                                       for e in self.errors if e.model == m]}
                           for m, f in self.forecasts.items()]}


def scorecard(scenario: Scenario, content: OutcomeFile, models: str | list[str] = "all",
              forecasts: dict[str, Forecast] | None = None) -> Scorecard:
    """Every model's error on every episode, beside the status quo (module docstring)."""
    inputs = scenario.inputs
    solved = forecasts if forecasts is not None else solve_all(inputs, models)
    points = {STATUS_QUO: inputs.status_quo.copy(),
              **{name: f.position for name, f in solved.items()}}
    who = preferences.players(inputs)
    errors = []
    for episode in content.episodes:
        reached = np.array([episode.outcome[i].value for i in inputs.issues])
        for name, forecast in points.items():
            gap = np.abs(forecast - reached) / inputs.width * 100.0
            crossed = preferences.red_lines_crossed(inputs, forecast)[who].any(axis=1)
            errors.append(Error(name, episode.id, float(gap.mean()),
                                dict(zip(inputs.issues, map(float, gap), strict=True)),
                                tuple(inputs.actors[who[k]] for k in np.flatnonzero(crossed))))
    return Scorecard(scenario.id, tuple(content.episodes), points, tuple(errors))


def bundled_scorecard(scenario: Scenario,
                      forecasts: dict[str, Forecast] | None = None) -> Scorecard | None:
    """The scorecard against the scenario's bundled outcomes, None when it has none."""
    known = for_scenario(scenario.id)
    return scorecard(scenario, load(known, scenario), forecasts=forecasts) if known else None
