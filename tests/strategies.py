"""Shared Hypothesis strategies. Each area has its own section; add yours at the end."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from detente.events.kinds import EXERCISE_STATUSES, MISSILE_CLASSES, OUTCOMES, Kind

# --- events ---------------------------------------------------------------------------------

ACTORS = ("PRK", "KOR", "USA", "CHN", "JPN", "RUS", "UN", "EU", "IAEA")
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31))
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@st.composite
def attrs_for(draw, kind: Kind) -> dict:
    """Valid attributes for ``kind`` (a random subset of its typed attributes)."""
    options = {
        Kind.MISSILE_TEST: {
            "class": st.sampled_from(MISSILE_CLASSES), "outcome": st.sampled_from(OUTCOMES),
            "apogee_km": st.floats(0, 7000, allow_nan=False), "series": st.integers(1, 20),
            "missile": _text},
        Kind.MILITARY_EXERCISE: {"status": st.sampled_from(EXERCISE_STATUSES), "name": _text},
        Kind.SANCTIONS_DESIGNATION: {"issuer": st.sampled_from(["OFAC", "UNSC", "EU"]),
                                     "individuals": st.integers(0, 100)},
        Kind.NUCLEAR_TEST: {"magnitude": st.floats(3, 7, allow_nan=False)},
    }.get(kind, {"title": _text})
    chosen = draw(st.sets(st.sampled_from(sorted(options))))
    return {name: draw(options[name]) for name in sorted(chosen)}


@st.composite
def event_dicts(draw, source: str = "hyp") -> dict:
    """Keyword arguments for a valid ``Event`` with a unique-enough source key."""
    kind = draw(st.sampled_from(list(Kind)))
    start = draw(dates)
    end = draw(st.one_of(st.none(), st.integers(0, 60).map(lambda d: start + dt.timedelta(d))))
    return {
        "date": start, "end": end, "actor": draw(st.sampled_from(ACTORS)),
        "target": draw(st.one_of(st.none(), st.sampled_from(ACTORS))),
        "kind": kind, "attrs": draw(attrs_for(kind)), "source": source,
        "source_ref": draw(st.uuids()).hex,
        "confidence": draw(st.sampled_from(["high", "medium", "low"])),
        "summary": draw(st.one_of(st.none(), _text)),
    }
