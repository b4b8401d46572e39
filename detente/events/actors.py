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


def is_valid_code(code: str) -> bool:
    """Whether ``code`` has the shape of an actor code (upper case, 2 to 16 characters)."""
    return bool(CODE_RE.match(code))


def is_known(code: str, declared: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether ``code`` is built in or declared."""
    return code in builtin_actors() or code in declared


# Codes people write for the peninsula's actors, and the ISO codes detente uses.
COMMON_ALIASES: dict[str, str] = {
    "DPRK": "PRK", "NK": "PRK", "NKOREA": "PRK", "NORTHKOREA": "PRK",
    "ROK": "KOR", "SK": "KOR", "SKOREA": "KOR", "SOUTHKOREA": "KOR",
    "US": "USA", "USA": "USA", "UNITEDSTATES": "USA", "PRC": "CHN", "CHINA": "CHN",
    "JAPAN": "JPN", "JP": "JPN", "RUSSIA": "RUS", "RF": "RUS", "UNSC": "UN",
}


def suggest(code: str, declared: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The known code a mistyped or colloquial ``code`` most likely means (DPRK -> PRK,
    us -> USA, PRKK -> PRK), or None."""
    import difflib

    key = re.sub(r"[^A-Z]", "", code.upper())
    if key in COMMON_ALIASES:
        return COMMON_ALIASES[key]
    known = [*builtin_actors(), *declared]
    if code.upper() in known:
        return code.upper()
    close = difflib.get_close_matches(code.upper(), known, n=1, cutoff=0.75)
    return close[0] if close else None


def unknown_message(code: str, declared: frozenset[str] | set[str] = frozenset()) -> str:
    """The error text for an unknown actor code, with a suggestion when one is close."""
    hint = suggest(code, declared)
    return f"unknown party {code!r}: use an ISO 3166-1 alpha-3 code or UN, EU, IAEA" + (
        f" (did you mean {hint}?)" if hint and hint != code else "")
