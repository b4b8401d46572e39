"""Lazy public names: a package lists what it exports, and each name is imported on first use,
so that ``import detente`` (or ``detente.dialogue``) stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """``(__getattr__, __all__)`` for ``package``. ``names`` maps each public name to
    ``"module"`` (the attribute of the same name) or ``"module:attribute"``."""

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        found = importlib.import_module(module)
        return getattr(found, attribute or name) if attribute != "*" else found

    return __getattr__, sorted(names)
