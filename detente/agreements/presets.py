"""The bundled agreement presets, and resolution of "a preset id or a spec path"."""

from __future__ import annotations

from pathlib import Path

from detente.agreements import spec
from detente.agreements.spec import Agreement
from detente.errors import NotFoundError

PRESET_DIR = Path(__file__).resolve().parent / "presets"


def ids() -> list[str]:
    """Ids of the bundled presets, sorted."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def path_of(preset_id: str) -> Path:
    """The file of a bundled preset."""
    path = PRESET_DIR / f"{preset_id}.yaml"
    if not path.exists():
        raise NotFoundError(f"no preset {preset_id!r}; presets: {', '.join(ids())} "
                            "(or give the path of a spec file)")
    return path


def load(id_or_path: str | Path) -> Agreement:
    """A preset by id, or any spec file by path (anything ending in .yaml/.yml or existing)."""
    text = str(id_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix in (".yaml", ".yml") or candidate.exists() or "/" in text:
        return spec.load(candidate)
    return spec.load(path_of(text))


def load_all() -> list[Agreement]:
    """Every bundled preset."""
    return [spec.load(path_of(i)) for i in ids()]
