"""Coded decisions: what the parties actually chose, the evidence a fit and a backtest use.

A decisions file codes, on a scenario's own issues and scales, proposals that were really put to
the parties: what each would have moved (``moves``: issue -> [from, to], where things stood and
where the proposal would take them), who had to sign or consent (only they decide), and what
each of them chose, with the date and the sources::

    scenario: korea-2018
    decisions:
      - id: leap-day-2012
        date: 2012-02-29
        title: Leap Day understanding
        description: ...                      # in the coder's own words
        signatories: [USA, PRK]
        consent: []                            # optional
        moves: {tests: [20, 60], assistance: [10, 30]}
        choices: {USA: accepted, PRK: defected}
        sources:
          - {title: Reuters, 2012-02-29, url: "https://..."}

A decision may name a proposal instead (``proposal``: a bundled proposal id, or a proposal file
relative to the decisions file): its positions are where the deal would take the issues, ``start``
says where those issues stood (the scenario's status quo where it is silent), its signatories and
consent holders decide unless the decision names its own, and ``moves`` may add or override
issues.

A choice is ``accepted``, ``rejected`` or ``defected`` (accepted, then broken: it counts as an
acceptance of the deal on its date; the breach is a later decision of its own if coded). A
signatory without a choice is unknown (its choice was not public) and is not scored. Every
problem (an unknown party, issue or proposal, a move off the scale, a choice outside the three,
a choice by a party that was not asked) is reported with the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente import yamlio
from detente.bundle import Bundle
from detente.dialogue import acceptance, probability
from detente.dialogue.scenario import ID_PATTERN, Scenario
from detente.errors import DetenteError, Problem, ScenarioError

CHOICES = ("accepted", "rejected", "defected")
DECISIONS = Bundle(Path(__file__).resolve().parent / "scenarios" / "decisions",
                   "decisions file", "or give the path of a decisions .yaml file")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")


class Decision(_Frozen):
    """One proposal and the choices made on it."""

    id: str = Field(pattern=ID_PATTERN)
    date: yamlio.Date
    title: str = Field(min_length=1)
    description: str = ""
    proposal: str | None = None
    start: dict[str, float] = Field(default_factory=dict)
    signatories: list[str] = Field(default_factory=list)
    consent: list[str] = Field(default_factory=list)
    moves: dict[str, tuple[float, float]] = Field(default_factory=dict)
    choices: dict[str, Literal["accepted", "rejected", "defected"]]
    note: str = ""
    sources: list[Source] = Field(min_length=1)

    @property
    def deciders(self) -> list[str]:
        return list(dict.fromkeys([*self.signatories, *self.consent]))

    @property
    def happened(self) -> bool | None:
        """Whether the deal was made: every veto holder accepted (True), one refused
        (False), or some choice is unknown (None)."""
        if any(c == "rejected" for c in self.choices.values()):
            return False
        return True if all(a in self.choices for a in self.deciders) else None


class DecisionFile(_Frozen):
    scenario: str | None = None
    title: str = ""
    description: str = ""
    coding: str = ""
    decisions: list[Decision] = Field(min_length=1)


@dataclass(frozen=True, eq=False)
class Decisions:
    """A validated decisions file, the name it was asked for by (a bundled id or a path), and
    where each decision sits in it (for errors)."""

    name: str
    file: str
    content: DecisionFile
    doc: yamlio.Located
    resolved: tuple[Decision, ...] = ()

    @property
    def items(self) -> list[Decision]:
        """The decisions, each with its moves and deciders (a named proposal's filled in)."""
        return list(self.resolved or self.content.decisions)

    def before(self, cutoff: dt.date | None) -> list[tuple[int, Decision]]:
        """(index, decision) dated before ``cutoff`` (all without one)."""
        return [(k, d) for k, d in enumerate(self.items) if cutoff is None or d.date < cutoff]

    def after(self, cutoff: dt.date) -> list[tuple[int, Decision]]:
        """(index, decision) dated on or after ``cutoff``."""
        return [(k, d) for k, d in enumerate(self.items) if d.date >= cutoff]


def ids() -> list[str]:
    return DECISIONS.ids()


def written_for(scenario_id: str) -> list[str]:
    """The bundled decisions files written for a scenario."""
    return [name for name in DECISIONS.ids()
            if acceptance.written_for(DECISIONS.path_of(name)) == scenario_id]


def default_for(scenario: Scenario) -> str:
    """The bundled decisions file for a scenario (an error naming the way out otherwise)."""
    found = written_for(scenario.id)
    if not found:
        raise ScenarioError.single(
            f"no bundled decisions file is written for scenario {scenario.id!r}; give one "
            f"with --decisions (bundled: {', '.join(DECISIONS.ids())})", field="decisions")
    return found[0]


def load(ref: str | Path, scenario: Scenario) -> Decisions:
    """A decisions file (bundled id or path) checked against ``scenario``: known actors and
    issues, moves on the scales, choices only by signatories or consent holders, unique ids;
    every problem located by file, line and field."""
    text = str(ref)
    path = Path(text).expanduser() if Bundle.is_path(text) else DECISIONS.path_of(text)
    doc = yamlio.read(path, ScenarioError)
    content = yamlio.validate(DecisionFile, doc, ScenarioError)
    problems = []
    if content.scenario is not None and content.scenario != scenario.id:
        problems.append(doc.problem(
            f"the decisions were coded for scenario {content.scenario!r}, not {scenario.id!r} "
            "(their numbers are on that scenario's scales)", ("scenario",), content.scenario))
    resolved = []
    for k, decision in enumerate(content.decisions):
        full, trouble = _resolve(decision, Path(doc.file).parent, scenario)
        resolved.append(full)
        problems.extend(doc.problem(message, ("decisions", k, *field), value)
                        for message, field, value in trouble)
    found = Decisions(text, doc.file, content, doc, tuple(resolved))
    seen: set[str] = set()
    for k, decision in enumerate(resolved):
        problems.extend(_problems(found, k, decision, scenario, seen))
    ScenarioError.collect(f"{doc.file}: {len(problems)} problem(s)", problems)
    return found


def _resolve(decision: Decision, folder: Path, scenario: Scenario):
    """(the decision with a named proposal's moves and deciders filled in, problems as
    (message, field path, value))."""
    trouble: list[tuple[str, tuple[str, ...], Any]] = []
    moves = dict(decision.moves)
    signatories, consent = decision.signatories, decision.consent
    if decision.proposal is not None:
        ref = decision.proposal
        local = folder / ref
        try:
            proposal = acceptance.load_proposal(local if local.is_file() else ref, scenario)
        except DetenteError as exc:
            trouble.append((f"unknown or invalid proposal: {exc}".split("\n")[0], ("proposal",),
                            ref))
        else:
            for issue, end in proposal.positions.items():
                moves.setdefault(issue, (decision.start.get(issue, scenario.issue(issue)
                                                            .status_quo), end))
            signatories = signatories or proposal.signatories
            consent = consent or proposal.consent
    for issue in decision.start:
        if issue not in moves and decision.proposal is not None:
            trouble.append(("the proposal does not move this issue", ("start", issue), issue))
    if not moves and not trouble:
        trouble.append(("a decision needs moves or a proposal", ("moves",), None))
    if not signatories and not trouble:
        trouble.append(("a decision needs signatories (or a proposal that names them)",
                        ("signatories",), None))
    return decision.model_copy(update={"moves": moves, "signatories": signatories,
                                       "consent": consent}), trouble


def _problems(found: Decisions, k: int, decision: Decision, scenario: Scenario,
              seen: set[str]) -> list[Problem]:
    out = []

    def problem(message, value, *field):
        out.append(found.doc.problem(message, ("decisions", k, *field), value))

    if decision.id in seen:
        problem("duplicate decision id", decision.id, "id")
    seen.add(decision.id)
    actors = scenario.actor_ids
    for key in ("signatories", "consent"):
        for n, actor in enumerate(getattr(decision, key)):
            if actor not in actors:
                problem(f"unknown party; actors: {', '.join(actors)}", actor, key, n)
    for actor in decision.choices:
        if actor not in actors:
            problem(f"unknown party; actors: {', '.join(actors)}", actor, "choices", actor)
        elif actor not in decision.deciders:
            problem("only a signatory or a consent holder makes a choice (signatories: "
                    f"{', '.join(decision.signatories)})", actor, "choices", actor)
    for issue, (start, end) in decision.moves.items():
        if issue not in scenario.issue_ids:
            problem(f"unknown issue; issues: {', '.join(scenario.issue_ids)}", issue, "moves",
                    issue)
            continue
        low, high = scenario.issue(issue).scale
        for value in (start, end):
            if not (np.isfinite(value) and low <= value <= high):
                problem(f"outside the issue's scale [{low:g}, {high:g}]", value, "moves", issue)
    return out


def refuse_after(found: Decisions, used: list[tuple[int, Decision]], scenario: Scenario) -> None:
    """A fit may only learn from decisions up to the scenario's ``as_of``: every later one is
    refused with its line (the way out: ``--before``)."""
    if scenario.as_of is None:
        return
    problems = [found.doc.problem(f"decision {d.id!r} is dated after the scenario's as_of "
                                  f"{scenario.as_of} (a fit may only use what was known then; "
                                  "fit on the earlier ones with --before)",
                                  ("decisions", k, "date"), str(d.date))
                for k, d in used if d.date > scenario.as_of]
    ScenarioError.collect(f"{found.file}: {len(problems)} decision(s) after the scenario's "
                          f"as_of {scenario.as_of}", problems)


@dataclass(frozen=True, eq=False)
class Coded:
    """Decisions as arrays on a scenario: ``start``/``end`` ``(E, D)`` (unmoved issues equal),
    ``veto`` and ``crossed`` (red lines on moved issues) ``(E, N)``, and one observation per
    known choice: decision index, actor index, accepted."""

    decisions: tuple[Decision, ...]
    start: np.ndarray
    end: np.ndarray
    veto: np.ndarray
    crossed: np.ndarray
    obs_decision: np.ndarray
    obs_actor: np.ndarray
    obs_accepted: np.ndarray

    @property
    def n_choices(self) -> int:
        return int(self.obs_decision.size)


def coded(scenario: Scenario, items: list[Decision]) -> Coded:
    """``items`` as arrays on ``scenario`` (validated by ``load``)."""
    inputs = scenario.inputs
    e, n = len(items), inputs.n_actors
    start = np.tile(inputs.status_quo, (e, 1))
    end = start.copy()
    veto = np.zeros((e, n), dtype=bool)
    crossed = np.zeros((e, n), dtype=bool)
    obs_e, obs_i, obs_a = [], [], []
    for k, decision in enumerate(items):
        for issue, (a, b) in decision.moves.items():
            d = inputs.issue_index(issue)
            start[k, d], end[k, d] = a, b
        veto[k] = [a in decision.deciders for a in inputs.actors]
        crossed[k] = probability.crossed_lines(inputs, start[k], end[k]).any(axis=1)
        for actor, choice in decision.choices.items():
            obs_e.append(k)
            obs_i.append(inputs.actor_index(actor))
            obs_a.append(choice != "rejected")
    return Coded(tuple(items), start, end, veto, crossed, np.array(obs_e, dtype=int),
                 np.array(obs_i, dtype=int), np.array(obs_a, dtype=bool))
