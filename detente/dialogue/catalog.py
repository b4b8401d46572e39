"""Scenarios by name: a bundled scenario id, a YAML file, or a CSV in either importer format."""

from __future__ import annotations

from pathlib import Path

from detente import yamlio
from detente.bundle import Bundle
from detente.dialogue import importers, scenario
from detente.dialogue.scenario import Scenario
from detente.dialogue.verifiability import Resolver, preset_resolver, unresolved
from detente.errors import Problem, ScenarioError

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
DEFAULT = "korea-2018"


SCENARIOS = Bundle(SCENARIO_DIR, "scenario", "or give the path of a .yaml scenario or a "
                   ".csv in the Bueno de Mesquita/Scholz or KTAB format")
ids = SCENARIOS.ids
path_of = SCENARIOS.path_of


def load(ref: str | Path = DEFAULT) -> Scenario:
    """A scenario from a bundled id, a ``.yaml``/``.yml`` file or a ``.csv`` file."""
    text = str(ref)
    path = Path(text).expanduser()
    if path.is_dir():
        raise ScenarioError.single("is a directory, not a scenario file (give a .yaml or .csv "
                                   "file, or a bundled scenario id)", file=text)
    if path.suffix.lower() == ".csv":
        return importers.read_csv(path)
    if Bundle.is_path(text):
        return scenario.read(path)
    return scenario.read(path_of(text))


def check_commitments(ref: str | Path, loaded: Scenario,
                      resolver: Resolver = preset_resolver) -> None:
    """``ScenarioError`` naming the file, line and field of every commitment reference in the
    scenario ``loaded`` (read from ``ref``) that ``resolver`` cannot find."""
    doc = None
    text = str(ref)
    if Path(text).suffix.lower() != ".csv":  # the importers write no commitments
        doc = yamlio.read(Path(text).expanduser() if Bundle.is_path(text) else path_of(text),
                          ScenarioError)
    problems = []
    for n, issue in enumerate(loaded.issues):
        for k, commitment in enumerate(issue.commitments):
            message = unresolved(commitment, resolver)
            if message:
                problems.append(Problem(
                    message, file=doc.file if doc else text,
                    line=doc.line_of(("issues", n, "commitments", k)) if doc else None,
                    field=f"issues.{n}.commitments.{k}", value=commitment))
    ScenarioError.collect(f"{text}: {len(problems)} problem(s)", problems)
