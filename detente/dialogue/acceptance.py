"""Would each party accept a proposal, and which issue costs it most?

A proposal is a package: an outcome for some issues (the others stay at the status quo). Party
i accepts it when it crosses none of i's limits (red lines, reservation points) and its gain over
the status quo q is not negative (``preferences``):
g_i(y) = sum_d s_id (|q_d - x_id| - |y_d - x_id|) / W_d >= 0. The reason names the crossed limit,
or the issue with the largest cost s_id (|y_d - x_id| - |q_d - x_id|) / W_d.
Gains and costs are reported x 100: salience-weighted points on a 0-100 scale.

Proposal files are YAML::

    name: Freeze for freeze
    scenario: korea-2018       # optional: the scenario it is for (refused on any other)
    description: ...
    signatories: [PRK, USA]    # optional: who must sign (only they, and consent, hold a veto)
    consent: [KOR]             # optional: whose consent it also needs
    positions: {denuclearisation: 40, military_exercises: 60}
    commitments: {denuclearisation: [freeze-for-freeze:prk-freeze]}   # optional, for roadmaps
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from detente import yamlio
from detente.dialogue import preferences, probability
from detente.dialogue.inputs import Inputs
from detente.dialogue.scenario import Scenario
from detente.dialogue.verifiability import Resolver, ref_problem, unresolved
from detente.errors import NotFoundError, Problem, ScenarioError

PROPOSAL_DIR = Path(__file__).resolve().parent / "scenarios" / "proposals"


class Proposal(BaseModel):
    """A named package: outcomes by issue id, and optionally the agreement-spec commitments
    (``PRESET:COMMITMENT`` or ``path.yaml:COMMITMENT``) that implement each issue's move."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str | None = None  # the id of the scenario it was written for (checked)
    signatories: list[str] = Field(default_factory=list)
    consent: list[str] = Field(default_factory=list)
    positions: dict[str, float]
    commitments: dict[str, list[str]] = Field(default_factory=dict)

    def outcome(self, inputs: Inputs) -> np.ndarray:
        """The package as a (D,) vector, status quo where the proposal is silent."""
        y = inputs.status_quo.copy()
        for issue, value in self.positions.items():
            y[inputs.issue_index(issue)] = value
        return y

    def inputs(self, scenario: Scenario) -> Inputs:
        """The scenario's inputs with the veto held by this proposal's signatories and consent
        holders (unchanged when it names none), for the deterministic analyses (roadmap)."""
        veto, _ = probability.veto_mask(scenario, self.signatories, self.consent)
        return scenario.inputs.replace(veto=veto)

    def outlook(self, scenario: Scenario, samples: int = probability.SAMPLES,
                seed: int = 0) -> probability.Outlook:
        """P(accept) per actor and P(viable), the signatories and consent holders holding
        the veto (``probability``)."""
        veto, roles = probability.veto_mask(scenario, self.signatories, self.consent)
        return probability.outlook(scenario, self.outcome(scenario.inputs), veto, roles,
                                   samples=samples, seed=seed)

    def verdict(self, scenario: Scenario, samples: int = probability.SAMPLES,
                seed: int = 0) -> Verdict:
        """The proposal's package and its outlook, as one result."""
        outcome = self.outcome(scenario.inputs)
        return Verdict(self, dict(zip(scenario.issue_ids, (float(v) for v in outcome),
                                      strict=True)),
                       self.outlook(scenario, samples=samples, seed=seed))


@dataclass(frozen=True)
class Verdict:
    """A proposal tested against a scenario: its positions and how likely it is to be made."""

    proposal: Proposal
    positions: dict[str, float]
    outlook: probability.Outlook

    def to_json_dict(self) -> dict:
        return {"proposal": self.proposal.name, "positions": self.positions,
                "signatories": list(self.proposal.signatories),
                "consent": list(self.proposal.consent), **self.outlook.to_json_dict()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """``acceptance`` (one row per actor, first): the results contract."""
        rows = []
        for c in self.outlook.chances:
            row = c.to_json_dict()
            low, high = row.pop("gain_90")
            row.update(gain_5=low, gain_95=high, red_lines=",".join(row["red_lines"]))
            rows.append(row)
        return {"acceptance": pd.DataFrame(rows)}


def proposal_ids(scenario_id: str | None = None) -> list[str]:
    """The bundled proposals, by file stem; with ``scenario_id``, those written for it."""
    found = sorted(PROPOSAL_DIR.glob("*.yaml"))
    if scenario_id is not None:
        found = [p for p in found if written_for(p) == scenario_id]
    return [p.stem for p in found]


def written_for(path: Path) -> str | None:
    """The ``scenario`` a bundled YAML file (proposal, decisions) says it was written for."""
    data = yamlio.read(path, ScenarioError).data
    return data.get("scenario") if isinstance(data, dict) else None


def load_proposal(ref: str | Path, scenario: Scenario,
                  resolver: Resolver | None = None) -> Proposal:
    """A proposal from a YAML file or a bundled proposal id, checked against ``scenario``
    (written for it if it names one, known issues, outcomes on the scale, well-formed commitment
    references, and with ``resolver`` references that resolve); errors name the file, line and
    field."""
    text = str(ref)
    path = Path(text).expanduser()
    if not (path.suffix in (".yaml", ".yml") or path.exists() or "/" in text):
        path = PROPOSAL_DIR / f"{text}.yaml"
        if not path.exists():
            raise NotFoundError(f"no proposal {text!r}; bundled: {', '.join(proposal_ids())} "
                                "(or give the path of a proposal file)")
    if path.is_dir():
        raise ScenarioError.single("is a directory, not a proposal file (give a .yaml file or "
                                   "a bundled proposal id)", file=text)
    doc = yamlio.read(path, ScenarioError)
    proposal = yamlio.validate(Proposal, doc, ScenarioError)
    problems = []
    if proposal.scenario is not None and proposal.scenario != scenario.id:
        problems.append(Problem(
            f"the proposal was written for scenario {proposal.scenario!r}, not "
            f"{scenario.id!r} (set the field to {scenario.id!r} or remove it to apply it here)",
            file=doc.file, line=doc.line_of(("scenario",)), field="scenario",
            value=proposal.scenario))
    for issue, value in proposal.positions.items():
        where: dict[str, Any] = {"file": doc.file, "line": doc.line_of(("positions", issue)),
                 "field": f"positions.{issue}"}
        if issue not in scenario.issue_ids:
            problems.append(Problem(f"unknown issue; issues: {', '.join(scenario.issue_ids)}",
                                    value=issue, **where))
            continue
        low, high = scenario.issue(issue).scale
        if not (np.isfinite(value) and low <= value <= high):
            problems.append(Problem(f"outside the issue's scale [{low:g}, {high:g}]",
                                    value=value, **where))
    for key in ("signatories", "consent"):
        for k, actor in enumerate(getattr(proposal, key)):
            if actor not in scenario.actor_ids:
                problems.append(Problem(f"unknown actor; actors: {', '.join(scenario.actor_ids)}",
                                        file=doc.file, line=doc.line_of((key, k)),
                                        field=f"{key}[{k}]", value=actor))
    for issue, refs in proposal.commitments.items():
        if issue not in scenario.issue_ids:
            problems.append(Problem(f"unknown issue; issues: {', '.join(scenario.issue_ids)}",
                                    file=doc.file, line=doc.line_of(("commitments", issue)),
                                    field=f"commitments.{issue}", value=issue))
            continue
        for k, commitment in enumerate(refs):
            message = ref_problem(commitment, scenario.issue(issue).scale)
            if message is None and resolver is not None:
                message = unresolved(commitment, resolver)
            if message:
                problems.append(Problem(message, file=doc.file,
                                        line=doc.line_of(("commitments", issue, k)),
                                        field=f"commitments.{issue}[{k}]", value=commitment))
    ScenarioError.collect(f"{doc.file}: {len(problems)} problem(s)", problems)
    return proposal


@dataclass(frozen=True)
class Acceptance:
    """One party's verdict on a package: gain and costs x 100 (salience-weighted points)."""

    actor: str
    veto: bool
    accepts: bool
    gain: float
    costliest_issue: str | None
    cost: float
    red_lines: tuple[str, ...]
    reason: str

    def to_json_dict(self) -> dict:
        return {"actor": self.actor, "veto": self.veto, "accepts": self.accepts,
                "gain": round(self.gain, 4), "costliest_issue": self.costliest_issue,
                "cost": round(self.cost, 4), "red_lines": list(self.red_lines),
                "reason": self.reason}


def accept(inputs: Inputs, outcome: np.ndarray) -> list[Acceptance]:
    """Every actor's verdict on the package ``outcome`` (D,)."""
    cost = preferences.costs(inputs, outcome) * 100
    gain = -cost.sum(axis=1)
    crossed = preferences.red_lines_crossed(inputs, outcome)
    lim_low, lim_high, _ = preferences.limits(inputs)
    out = []
    for i, actor in enumerate(inputs.actors):
        k = int(np.argmax(cost[i]))
        worst = inputs.issues[k] if cost[i, k] > 0 else None
        lines = tuple(inputs.issues[d] for d in np.flatnonzero(crossed[i]))
        accepts = gain[i] >= -1e-9 and not lines
        if lines:
            d = inputs.issue_index(lines[0])
            reason = (f"rejects: crosses its red line on {lines[0]} (signs only "
                      f"[{lim_low[i, d]:g}, {lim_high[i, d]:g}], proposal {outcome[d]:g})")
        elif not accepts:
            reason = (f"rejects: loses {-gain[i]:.1f} points overall; costliest issue {worst} "
                      f"(-{cost[i, k]:.1f})")
        elif worst is None:
            reason = f"accepts: gains {gain[i]:.1f} points and no issue costs it anything"
        else:
            reason = (f"accepts: gains {gain[i]:.1f} points overall; costliest issue {worst} "
                      f"(-{cost[i, k]:.1f})")
        out.append(Acceptance(actor, bool(inputs.veto[i]), bool(accepts), float(gain[i]), worst,
                              float(max(cost[i, k], 0.0)), lines, reason))
    return out


def verdict(acceptances: list[Acceptance]) -> tuple[bool, str]:
    """(viable, sentence): viable when every party with a veto accepts (every actor if none
    has a veto)."""
    judged = [a for a in acceptances if a.veto] or acceptances
    refusing = [a for a in judged if not a.accepts]
    if not refusing:
        weakest = min(judged, key=lambda a: a.gain)
        return True, (f"viable: every party accepts (smallest gain {weakest.actor} "
                      f"{weakest.gain + 0.0:+.1f})")
    names = ", ".join(f"{a.actor} ({a.red_lines[0] if a.red_lines else a.costliest_issue})"
                      for a in refusing)
    return False, f"not viable: rejected by {names}"
