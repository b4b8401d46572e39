"""Scenarios by name: a bundled scenario id, a YAML file, or a CSV in either importer format."""

from __future__ import annotations

from pathlib import Path

from detente.dialogue import importers, scenario
from detente.dialogue.scenario import Scenario
from detente.errors import NotFoundError

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
DEFAULT = "korea-2018"


def ids() -> list[str]:
    """Ids of the bundled scenarios."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def path_of(scenario_id: str) -> Path:
    path = SCENARIO_DIR / f"{scenario_id}.yaml"
    if not path.exists():
        raise NotFoundError(f"no scenario {scenario_id!r}; bundled: {', '.join(ids())} "
                            "(or give the path of a .yaml scenario or a .csv in the "
                            "Bueno de Mesquita/Scholz or KTAB format)")
    return path


def load(ref: str | Path = DEFAULT) -> Scenario:
    """A scenario from a bundled id, a ``.yaml``/``.yml`` file or a ``.csv`` file."""
    text = str(ref)
    path = Path(text).expanduser()
    if path.suffix.lower() == ".csv":
        return importers.read_csv(path)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists() or "/" in text:
        return scenario.read(path)
    return scenario.read(path_of(text))
