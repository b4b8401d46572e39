"""Actor codes: ISO 3166-1 alpha-3 for states, short codes for organisations.

An unknown code is an error unless the user declares it (``Store.declare_actor``), so a typo such
as ``PRKK`` never silently becomes a new actor.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry

ORGANISATIONS: dict[str, str] = {
    "UN": "United Nations",
    "EU": "European Union",
    "IAEA": "International Atomic Energy Agency",
}

CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


@cache
def builtin_actors() -> dict[str, str]:
    """Every built-in code with its name: the ISO states plus the organisations above."""
    states = {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    return {**states, **ORGANISATIONS}


def actor_name(code: str) -> str | None:
    """The name of a built-in actor, or None."""
    return builtin_actors().get(code)


def is_valid_code(code: str) -> bool:
    """Whether ``code`` has the shape of an actor code (upper case, 2 to 16 characters)."""
    return bool(CODE_RE.match(code))


def is_known(code: str, declared: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether ``code`` is built in or declared."""
    return code in builtin_actors() or code in declared
