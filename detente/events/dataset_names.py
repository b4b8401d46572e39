"""Names of attached datasets (``detente events attach PATH --name NAME``): the rule a name
follows, the name a dataset gets without one, and schema migration 6, which names the datasets
attached before they had names."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from detente.errors import ParameterError

MAX_LENGTH = 64
RULE = (f"1 to {MAX_LENGTH} characters: letters (a-z, A-Z), digits, '-', '_' and '.', "
        "beginning with a letter or digit")
# Beginning with a letter or digit, a name never reads as an option (-x) or a folder (., ..),
# and without '/' never as a path: `events detach NAME_OR_PATH` tells them apart.
_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LENGTH - 1}}}")
_OTHER = re.compile(r"[^A-Za-z0-9._-]+")


def check(name: str) -> str:
    """``name`` if it follows the rule; ``ParameterError`` saying the rule otherwise."""
    if not _NAME.fullmatch(name):
        raise ParameterError.single(f"a dataset's name is {RULE}", field="name", value=name)
    return name


def default(path: Path) -> str:
    """The name of a dataset attached without one: its folder's name or its file's stem, made
    to follow the rule (``my events`` -> ``my-events``)."""
    raw = path.stem if path.is_file() else path.name
    return _OTHER.sub("-", raw).strip("-._")[:MAX_LENGTH] or "dataset"


def unique(name: str, taken: set[str]) -> str:
    """``name``, or else the first of ``name-2``, ``name-3``, ... not in ``taken``."""
    found, n = name, 1
    while found in taken:
        n += 1
        found = f"{name[:MAX_LENGTH - len(str(n)) - 1]}-{n}"
    return found


def _name_existing(con: duckdb.DuckDBPyConnection) -> None:
    """Name each dataset attached before names existed by its default name, in path order, a
    name already given suffixed (``parts``, ``parts-2``): no user is there to choose."""
    taken: set[str] = set()
    for (path,) in con.execute("SELECT path FROM datasets ORDER BY path").fetchall():
        name = unique(default(Path(path)), taken)
        taken.add(name)
        con.execute("UPDATE datasets SET name = ? WHERE path = ?", [name, path])


# Migration 6 (``schema.MIGRATIONS``): every dataset has a name, unique in the store. The column
# comes NULL (a default would repeat in every row and break UNIQUE), is filled, then NOT NULL.
MIGRATION: list[str | Callable[[duckdb.DuckDBPyConnection], None]] = [
    "ALTER TABLE datasets ADD COLUMN name VARCHAR UNIQUE",
    _name_existing,
    "ALTER TABLE datasets ALTER COLUMN name SET NOT NULL",
]
