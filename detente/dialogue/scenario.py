"""The dialogue scenario: issues on a scale, actors with capability and a stance on every issue.

A scenario is written by hand in YAML (or imported from the CSV formats of published bargaining
tools, see ``importers``), so every rule below reports the file, the line and the field. The keys
are a public format, documented in docs/dialogue.md; keep them stable.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from detente import yamlio
from detente.dialogue.verifiability import ref_problem
from detente.errors import ScenarioError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


class Issue(_Frozen):
    """One question on the table, as a line from ``scale[0]`` to ``scale[1]`` (default 0-100).

    ``anchors`` label points of the scale (``30: test freeze``) so that a number means something;
    ``commitments`` name the agreement-spec commitments (``PRESET:COMMITMENT``, optionally
    ``@LEVEL``: up to that point of the scale) that implement a move on this issue, for the
    roadmap's verification score.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    description: str = ""
    scale: tuple[float, float] = (0.0, 100.0)
    status_quo: float
    status_quo_rationale: str = ""
    anchors: dict[float, str] = Field(default_factory=dict)
    commitments: list[str] = Field(default_factory=list)

    _finite_sq = field_validator("status_quo")(classmethod(lambda cls, v: _finite(v)))

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = (_finite(v) for v in value)
        if not low < high:
            raise ValueError(f"scale must be [low, high] with low < high, got {list(value)}")
        return (low, high)

    @property
    def label(self) -> str:
        return self.name or self.id

    def anchor_near(self, value: float) -> str | None:
        """The label of the anchor closest to ``value`` (None without anchors)."""
        if not self.anchors:
            return None
        point = min(self.anchors, key=lambda a: (abs(a - value), a))
        return self.anchors[point]


class Stance(_Frozen):
    """An actor's stance on one issue.

    ``position``: the outcome it prefers; ``salience``: in [0, 1], how much the issue matters to it
    (also the probability it resists a challenge, in the expected-utility model); ``range``: its
    red lines, the interval outside which it signs nothing; ``reservation``: its walk-away point,
    the least favourable outcome it would still sign (replaces the status quo as its benchmark).
    """

    position: float
    salience: float = Field(ge=0.0, le=1.0)
    range: tuple[float, float] | None = None
    reservation: float | None = None
    rationale: str = ""
    sources: list[str] = Field(default_factory=list)

    _finite_pos = field_validator("position")(classmethod(lambda cls, v: _finite(v)))

    @field_validator("range")
    @classmethod
    def _range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not value[0] <= value[1]:
            raise ValueError(f"range must be [low, high] with low <= high, got {list(value)}")
        return value


class Uncertainty(_Frozen):
    """How far off an actor's numbers may be: the standard deviation of its positions (points
    per 100 of scale) and of its saliences, the prior of probabilistic acceptance and of a fit
    (``probability``, ``fit``)."""

    position: float = Field(default=10.0, gt=0.0, le=50.0)
    salience: float = Field(default=0.15, gt=0.0, le=0.5)
    rationale: str = ""


class Actor(_Frozen):
    """A party to the talks or a mediator. ``capability``: relative power to move outcomes
    (any non-negative unit, only ratios matter). ``veto``: whether an agreement needs it; parties
    have a veto by default, mediators do not. ``uncertainty``: its own prior, instead of the
    scenario's (``AcceptanceModel.uncertainty``)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    role: Literal["party", "mediator"] = "party"
    veto: bool | None = None
    capability: float = Field(ge=0.0)
    capability_rationale: str = ""
    uncertainty: Uncertainty | None = None
    positions: dict[str, Stance]

    _finite_cap = field_validator("capability")(classmethod(lambda cls, v: _finite(v)))

    @property
    def has_veto(self) -> bool:
        return self.veto if self.veto is not None else self.role == "party"

    @property
    def label(self) -> str:
        return self.name or self.id


class AcceptanceModel(_Frozen):
    """The settings of probabilistic acceptance (``probability``), documented in the scenario.

    ``noise``: the logistic scale, in points, of a party's choice around a zero gain;
    ``tremble``: the chance that a choice goes against the coded stakes whatever they are;
    ``third_party_weight``: the share of an outsider's stake (its gain, in points) that reaches
    each party with a veto as pressure, scaled by their capabilities (brokers push to accept,
    spoilers to refuse; 0 reports outsiders without letting them move the odds);
    ``uncertainty``: every actor's prior unless it declares its own; ``fit_range``: a fit moves a
    number at most this many standard deviations of its prior (the documented range)."""

    noise: float = Field(default=5.0, gt=0.0, le=50.0)
    tremble: float = Field(default=0.05, ge=0.0, lt=0.5)
    third_party_weight: float = Field(default=0.0, ge=0.0, le=0.5)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    fit_range: float = Field(default=2.0, gt=0.0, le=5.0)
    rationale: str = ""


class FitMove(_Frozen):
    """One number a fit changed: an actor's ``position`` or ``salience`` on an issue, or the
    scenario's ``third_party_weight`` (no actor, no issue)."""

    field: Literal["position", "salience", "third_party_weight"]
    actor: str | None = None
    issue: str | None = None
    before: float
    after: float
    prior_sd: float | None = None


class FitRecord(_Frozen):
    """What a fit to coded decisions did (``fit``): the decisions used, the likelihood before
    and after, and every number it moved (the scenario holds the ``after`` values; the
    ``before`` values are the analyst's inputs, restored by ``fit.unfitted``)."""

    decisions: str
    before: yamlio.Date | None = None
    decisions_used: int = Field(ge=0)
    choices_used: int = Field(ge=0)
    log_likelihood_before: float
    log_likelihood_after: float
    prior_weight: float = Field(ge=0.0)
    samples: int = Field(ge=1)
    seed: int = Field(ge=0)
    iterations: int = Field(ge=0)
    optimiser: str = ""
    moves: list[FitMove] = Field(default_factory=list)


class Scenario(_Frozen):
    """A bargaining scenario: issues, actors, and a plain statement of where the numbers come
    from (``disclaimer``) and how to change them (``how_to_change``); ``acceptance`` sets the
    probabilistic acceptance model and ``fit`` records a fit to coded decisions."""

    id: str = Field(default="scenario", pattern=ID_PATTERN)
    title: str = ""
    as_of: yamlio.Date | None = None
    description: str = ""
    disclaimer: str = ""
    how_to_change: str = ""
    sources: list[str] = Field(default_factory=list)
    issues: list[Issue] = Field(min_length=1)
    actors: list[Actor] = Field(min_length=2)
    acceptance: AcceptanceModel = Field(default_factory=AcceptanceModel)
    fit: FitRecord | None = None

    @cached_property
    def inputs(self):
        """The numeric view every solver and analysis reads (``Inputs``)."""
        from detente.dialogue.inputs import Inputs

        return Inputs.from_scenario(self)

    def issue(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(issue_id)

    def actor(self, actor_id: str) -> Actor:
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise KeyError(actor_id)

    def uncertainty_of(self, actor: Actor) -> Uncertainty:
        """The actor's prior: its own, else the scenario's."""
        return actor.uncertainty or self.acceptance.uncertainty

    @property
    def issue_ids(self) -> list[str]:
        return [i.id for i in self.issues]

    @property
    def actor_ids(self) -> list[str]:
        return [a.id for a in self.actors]

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the YAML layout (defaults left out)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def to_yaml(self) -> str:
        return yamlio.dump(self.to_dict())


Path_ = tuple[str | int, ...]


def cross_problems(scenario: Scenario) -> list[tuple[Path_, str, Any]]:
    """Rules that span fields, each as (path, message, bad value)."""
    out: list[tuple[Path_, str, Any]] = []
    issues: dict[str, Issue] = {}
    for n, issue in enumerate(scenario.issues):
        if issue.id in issues:
            out.append((("issues", n, "id"), "duplicate issue id", issue.id))
        issues.setdefault(issue.id, issue)
        low, high = issue.scale
        if not low <= issue.status_quo <= high:
            out.append((("issues", n, "status_quo"),
                        f"outside the issue's scale [{low:g}, {high:g}]", issue.status_quo))
        for point in issue.anchors:
            if not low <= point <= high:
                out.append((("issues", n, "anchors", _key(point)),
                            f"anchor outside the issue's scale [{low:g}, {high:g}]", point))
        for k, ref in enumerate(issue.commitments):
            problem = ref_problem(ref, issue.scale)
            if problem:
                out.append((("issues", n, "commitments", k), problem, ref))
    seen: set[str] = set()
    for n, actor in enumerate(scenario.actors):
        if actor.id in seen:
            out.append((("actors", n, "id"), "duplicate actor id", actor.id))
        seen.add(actor.id)
        for issue_id in issues:
            if issue_id not in actor.positions:
                out.append((("actors", n, "positions"),
                            f"actor {actor.id} has no stance on issue {issue_id!r} (every actor "
                            "needs position and salience on every issue)", None))
        for issue_id, stance in actor.positions.items():
            base: Path_ = ("actors", n, "positions", issue_id)
            known = issues.get(issue_id)
            if known is None:
                out.append((base, f"unknown issue; issues: {', '.join(issues)}", issue_id))
                continue
            out.extend(_stance_problems(stance, known, base))
    if scenario.actors and sum(a.capability for a in scenario.actors) <= 0:
        out.append((("actors",), "total capability must be positive", 0))
    for k, move in enumerate(scenario.fit.moves if scenario.fit else ()):
        base = ("fit", "moves", k)
        per_stance = move.field != "third_party_weight"
        if per_stance and move.actor not in seen:
            out.append(((*base, "actor"), f"unknown actor; actors: {', '.join(seen)}",
                        move.actor))
        if per_stance and move.issue not in issues:
            out.append(((*base, "issue"), f"unknown issue; issues: {', '.join(issues)}",
                        move.issue))
    return out


def _key(point: float) -> str | int:
    return int(point) if float(point).is_integer() else str(point)


def _stance_problems(stance: Stance, issue: Issue, base: Path_) -> list[tuple[Path_, str, Any]]:
    low, high = issue.scale
    scale = f"[{low:g}, {high:g}]"
    out: list[tuple[Path_, str, Any]] = []
    if not low <= stance.position <= high:
        out.append(((*base, "position"), f"outside the issue's scale {scale}", stance.position))
    if stance.reservation is not None and not low <= stance.reservation <= high:
        out.append(((*base, "reservation"), f"outside the issue's scale {scale}",
                    stance.reservation))
    if stance.range is not None:
        r_low, r_high = stance.range
        if r_low < low or r_high > high:
            out.append(((*base, "range"), f"outside the issue's scale {scale}", list(stance.range)))
        elif not r_low <= stance.position <= r_high:
            out.append(((*base, "range"), f"must contain the actor's position {stance.position:g}",
                        list(stance.range)))
    return out


def validated(doc: yamlio.Located) -> Scenario:
    """A scenario from a parsed document; every problem located by file, line and field."""
    scenario = yamlio.validate(Scenario, doc, ScenarioError)
    problems = [doc.problem(message, path, value)
                for path, message, value in cross_problems(scenario)]
    ScenarioError.collect(f"{doc.file}: {len(problems)} problem(s)", problems)
    return scenario


def parse(text: str, file: str = "<scenario>") -> Scenario:
    """A scenario from YAML text."""
    return validated(yamlio.parse(text, file, ScenarioError))


def read(path: str | Path) -> Scenario:
    """A scenario from a YAML file."""
    return validated(yamlio.read(path, ScenarioError))


class _Unlocated(yamlio.Located):
    """Plain data has no lines: problems name the file and field only."""

    def line_of(self, path):
        return None


def from_data(data: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """A scenario from plain data (as built by the importers), with the same checks."""
    return validated(_Unlocated(data, file))
