"""Bundled YAML files named by id (agreement presets, dialogue scenarios), and the rule that
tells such an id from the path of a user's own file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from detente.errors import NotFoundError


@dataclass(frozen=True)
class Bundle:
    """The ``*.yaml`` files of ``folder``, each named by its stem. ``noun`` and ``hint``
    word the error for an unknown id (what else the user may give instead)."""

    folder: Path
    noun: str
    hint: str

    def ids(self) -> list[str]:
        """The bundled ids, sorted."""
        return sorted(p.stem for p in self.folder.glob("*.yaml"))

    def path_of(self, name: str, *, paths_allowed: bool = True) -> Path:
        """The file of a bundled id; ``NotFoundError`` listing the ids otherwise (and, where
        the caller also takes paths, saying so)."""
        path = self.folder / f"{name}.yaml"
        if name not in self.ids():
            hint = f" ({self.hint})" if paths_allowed else ""
            raise NotFoundError(f"no {self.noun} {name!r}; bundled: {', '.join(self.ids())}"
                                f"{hint}")
        return path

    @staticmethod
    def is_path(ref: str | Path) -> bool:
        """Whether ``ref`` names a file rather than a bundled id: a YAML suffix, a slash, or
        an existing file."""
        text = str(ref)
        path = Path(text).expanduser()
        return path.suffix.lower() in (".yaml", ".yml") or "/" in text or path.exists()
