"""The whole dialogue analysis of a scenario, as one object and as the JSON the CLI prints.

``analyse`` runs the requested models, the per-issue zones of agreement, the package deals, the
inter-model spread and, when asked, the sensitivity analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from detente.dialogue import package, uncertainty, zone
from detente.dialogue.inputs import Inputs
from detente.dialogue.scenario import Scenario
from detente.dialogue.sensitivity import Sensitivity, sensitivity
from detente.dialogue.solvers import SOLVERS, Forecast, solve_all


@dataclass(frozen=True, eq=False)
class Analysis:
    scenario: Scenario
    forecasts: dict[str, Forecast]
    zones: tuple[zone.Zone, ...]
    packages: tuple[package.Package, ...]
    spread: tuple[uncertainty.Spread, ...]
    sensitivity: Sensitivity | None = None

    @property
    def inputs(self) -> Inputs:
        return self.scenario.inputs


    def tables(self) -> dict[str, pd.DataFrame]:
        """``issues`` (one row per issue: status quo, each model's forecast, the zone of
        agreement and the models' spread; first) and ``packages`` (the results contract)."""
        rows = []
        for d, issue in enumerate(self.scenario.issues):
            z, spread = self.zones[d], self.spread[d]
            rows.append({"issue": issue.id, "status_quo": issue.status_quo,
                         **{n: float(f.position[d]) for n, f in self.forecasts.items()},
                         "zone_low": z.low if z.agreement else None,
                         "zone_high": z.high if z.agreement else None,
                         "spread": spread.range})
        packages = [{"package": p.name, "verdict": p.verdict,
                     **dict(zip(self.scenario.issue_ids, map(float, p.positions), strict=True))}
                    for p in self.packages]
        return {"issues": pd.DataFrame(rows), "packages": pd.DataFrame(packages)}

    def to_json_dict(self) -> dict:
        inputs, sc = self.inputs, self.scenario
        dynamic = [n for n, f in self.forecasts.items() if f.final_positions is not None]
        issues = []
        for d, issue in enumerate(sc.issues):
            forecasts = {n: round(float(f.position[d]), 4) for n, f in self.forecasts.items()}
            finals = {n: {a: round(v, 4) for a, v in (self.forecasts[n].finals_by_issue(
                inputs, d) or {}).items()} for n in dynamic}  # dynamic ones have finals
            z = self.zones[d]
            entry = {
                "issue": issue.id, "name": issue.label, "scale": list(issue.scale),
                "status_quo": issue.status_quo, "forecasts": forecasts,
                "anchors_near": {n: issue.anchor_near(v) for n, v in forecasts.items()}
                if issue.anchors else {},
                "zone": z.bounds, "zone_reason": z.reason, "spread": self.spread[d].to_json_dict(),
                "final_positions": finals[dynamic[0]] if dynamic else None,
                "final_positions_model": dynamic[0] if dynamic else None,
                "final_positions_by_model": finals,
            }
            issues.append(entry)
        return {
            "scenario": {"id": sc.id, "title": sc.title,
                         "as_of": sc.as_of.isoformat() if sc.as_of else None,
                         "disclaimer": sc.disclaimer, "how_to_change": sc.how_to_change,
                         "actors": sc.actor_ids, "issues": sc.issue_ids},
            "models": [{"name": n, "title": SOLVERS[n].title, "rounds": f.rounds,
                        "notes": list(f.notes)} for n, f in self.forecasts.items()],
            "issues": issues,
            "packages": [p.to_json_dict(inputs) for p in self.packages],
            "sensitivity": self.sensitivity.to_json_dict() if self.sensitivity else None,
        }


def analyse(scenario: Scenario, models: str | list[str] = "all", samples: int = 0,
            sensitivity_model: str = "bdm", seed: int = 0,
            disagreement: str = "status_quo") -> Analysis:
    """Forecasts, zones, packages and spread (and sensitivity when ``samples`` > 0).
    ``disagreement`` is the Nash model's disagreement point: status_quo or reservation."""
    inputs = scenario.inputs
    # The sensitivity first: it checks its parameters before the models run.
    sens = sensitivity(inputs, sensitivity_model, samples, seed) if samples else None
    forecasts = solve_all(inputs, models, {"nash": {"disagreement": disagreement}})
    return Analysis(scenario, forecasts, tuple(zone.zones(inputs)),
                    tuple(package.packages(inputs, forecasts)),
                    tuple(uncertainty.spread(inputs, forecasts)), sens)
