"""The bundled agreement presets, and resolution of "a preset id or a spec path"."""

from __future__ import annotations

from pathlib import Path

from detente.agreements import spec
from detente.agreements.spec import Agreement
from detente.bundle import Bundle

PRESET_DIR = Path(__file__).resolve().parent / "presets"
PRESETS = Bundle(PRESET_DIR, "preset", "or give the path of a spec file")
ids = PRESETS.ids
path_of = PRESETS.path_of


def load(id_or_path: str | Path) -> Agreement:
    """A preset by id, or any spec file by path (a .yaml/.yml name, a slash, or a file)."""
    if Bundle.is_path(id_or_path):
        return spec.load(Path(str(id_or_path)).expanduser())
    return spec.load(path_of(str(id_or_path)))


def load_all() -> list[Agreement]:
    """Every bundled preset."""
    return [spec.load(path_of(i)) for i in ids()]
