"""Scenarios by name: a bundled scenario id, a YAML file, or a CSV in either importer format."""

from __future__ import annotations

from pathlib import Path

from detente.bundle import Bundle
from detente.dialogue import importers, scenario
from detente.dialogue.scenario import Scenario

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
    if path.suffix.lower() == ".csv":
        return importers.read_csv(path)
    if Bundle.is_path(text):
        return scenario.read(path)
    return scenario.read(path_of(text))
