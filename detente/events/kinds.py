"""The controlled vocabulary of event kinds, their attributes, and their CAMEO/PLOVER codes.

One table serves three purposes: validating an ``Event`` in Python, validating a whole batch in
SQL inside the store (see ``store.py``), and documenting the public attribute names users write
selectors against (``class`` for missiles, ``status`` for exercises, ``issuer`` for sanctions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from detente.errors import Problem


class Kind(StrEnum):
    """What kind of thing happened."""

    NUCLEAR_TEST = "nuclear_test"
    MISSILE_TEST = "missile_test"
    MILITARY_EXERCISE = "military_exercise"
    SANCTIONS_DESIGNATION = "sanctions_designation"
    SANCTIONS_RESOLUTION = "sanctions_resolution"
    SUMMIT = "summit"
    TALKS = "talks"
    AGREEMENT = "agreement"
    ANNOUNCEMENT = "announcement"
    PROPOSAL = "proposal"
    PROVOCATION = "provocation"
    OTHER = "other"


# ``ballistic``: a ballistic missile whose range class no source gives (CSIS "ballistic missile
# launch"); ``unknown``: not even whether it was ballistic.
MISSILE_CLASSES = ("SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "SLV", "HGV", "ballistic", "cruise",
                   "unknown")
# computer_simulated: a command post exercise run as a simulation, without field training.
EXERCISE_STATUSES = ("held", "scaled_down", "computer_simulated", "postponed", "suspended",
                     "cancelled")
OUTCOMES = ("success", "failure", "unknown")
CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True)
class AttrSpec:
    """One attribute's type (``str``, ``int``, ``float``, ``bool``, ``date``, ``list``) and
    optional closed set of values."""

    type: str
    choices: tuple[str, ...] | None = None
    doc: str = ""


# Attributes any kind may carry (provenance and interop fields).
COMMON_ATTRS: dict[str, AttrSpec] = {
    "title": AttrSpec("str", doc="short title"),
    "url": AttrSpec("str", doc="link to the evidence"),
    "citations": AttrSpec("list", doc="every link or citation the source gives for the event"),
    "parties": AttrSpec("list", doc="every actor involved, as actor codes"),
    "location": AttrSpec("str", doc="place name"),
    "lat": AttrSpec("float", doc="latitude in degrees"),
    "lon": AttrSpec("float", doc="longitude in degrees"),
    "date_precision": AttrSpec("str", ("day", "month", "year"), "how precise `date` is"),
    "cameo": AttrSpec("str", doc="CAMEO event code from a coded source"),
    "plover": AttrSpec("str", doc="PLOVER event type from a coded source"),
    "goldstein": AttrSpec("float", doc="Goldstein conflict-cooperation score (-10..10)"),
    "quad_class": AttrSpec("int", doc="CAMEO quad class 1-4"),
    "mentions": AttrSpec("int", doc="number of mentions in coded news data"),
    "label": AttrSpec("str", doc="the source's own label for the event"),
    "reference": AttrSpec("str", doc="document or list reference number (S/PRST/2006/41, "
                          "KPi.034, 2397)"),
    "proposed_by": AttrSpec("list", doc="actor codes of the states that proposed or drafted it"),
}

KIND_ATTRS: dict[Kind, dict[str, AttrSpec]] = {
    Kind.NUCLEAR_TEST: {
        "magnitude": AttrSpec("float", doc="body-wave magnitude"),
        "mag_type": AttrSpec("str", doc="magnitude type (mb, ml, ...)"),
        "yield_kt": AttrSpec("float", doc="estimated yield in kilotons"),
        "site": AttrSpec("str", doc="test site"),
        "time_utc": AttrSpec("str", doc="origin time, ISO 8601 UTC"),
    },
    Kind.MISSILE_TEST: {
        "class": AttrSpec("str", MISSILE_CLASSES, "missile class"),
        "class_source": AttrSpec("str", doc="the source `class` comes from when the event's own "
                                 "source says unknown"),
        "missile": AttrSpec("str", doc="missile name"),
        "outcome": AttrSpec("str", OUTCOMES, "test outcome"),
        "apogee_km": AttrSpec("float", doc="apogee in km, when a single figure is known"),
        "distance_km": AttrSpec("float", doc="distance flown in km, when a single figure is known"),
        "apogee_text": AttrSpec("str", doc="apogee as the source writes it"),
        "distance_text": AttrSpec("str", doc="distance as the source writes it"),
        "facility": AttrSpec("str", doc="launch facility"),
        "landing": AttrSpec("str", doc="landing area"),
        "series": AttrSpec("int", doc="index of the missile within its salvo"),
        "time_utc": AttrSpec("str", doc="launch time HH:MM UTC"),
        "confirmed": AttrSpec("bool", doc="whether the source lists the test as confirmed"),
    },
    Kind.MILITARY_EXERCISE: {
        "status": AttrSpec("str", EXERCISE_STATUSES, "held, scaled down, computer-simulated, "
                           "postponed, suspended or cancelled"),
        "name": AttrSpec("str", doc="exercise name"),
        "announced": AttrSpec("date", doc="day a suspension or postponement was announced"),
    },
    Kind.SANCTIONS_DESIGNATION: {
        "issuer": AttrSpec("str", doc="designating authority: OFAC, State, FinCEN, BIS, UNSC, "
                           "EU, ..."),
        "action": AttrSpec("str", doc="designation, determination, special_measure, listing, "
                           "relisting, listing_proposal"),
        "authority": AttrSpec("str", doc="legal basis (EO 13382; INKSNA; ...)"),
        "individuals": AttrSpec("int", doc="individuals designated"),
        "entities": AttrSpec("int", doc="entities designated"),
        "vessels": AttrSpec("int", doc="vessels designated"),
        "aircraft": AttrSpec("int", doc="aircraft designated"),
        "name": AttrSpec("str", doc="designated person or entity"),
        "entry_type": AttrSpec("str", ("individual", "entity", "vessel"), "designated party type"),
        "regime": AttrSpec("str", doc="sanctions regime or programme"),
    },
    Kind.SANCTIONS_RESOLUTION: {
        "issuer": AttrSpec("str", doc="body adopting the resolution (UNSC)"),
        "resolution": AttrSpec("str", doc="resolution number"),
        "trigger": AttrSpec("str", doc="what the resolution responds to"),
        "action": AttrSpec("str", ("resolution", "renewal"),
                           "resolution (imposes or tightens measures) or renewal (of a mandate)"),
        "vote": AttrSpec("str", doc="votes for-against-abstaining, e.g. 15-0-0"),
    },
    Kind.SUMMIT: {"category": AttrSpec("str", doc="the curated timeline's category")},
    Kind.TALKS: {"format": AttrSpec("str", doc="bilateral, six-party, ..."),
                 "category": AttrSpec("str", doc="the curated timeline's category")},
    Kind.AGREEMENT: {"category": AttrSpec("str", doc="the curated timeline's category")},
    Kind.ANNOUNCEMENT: {
        "category": AttrSpec("str", doc="what kind of step: loudspeaker_halt, "
                             "test_moratorium, exercise_suspension, presidential_statement, ..."),
        "status": AttrSpec("str", EXERCISE_STATUSES, "for an exercise suspension or "
                           "postponement: the exercise's status"),
        "name": AttrSpec("str", doc="the exercise or measure the announcement is about"),
    },
    Kind.PROPOSAL: {
        "category": AttrSpec("str", doc="the curated timeline's category, or draft_vetoed / "
                             "draft_failed for Security Council drafts"),
        "vote": AttrSpec("str", doc="votes for-against-abstaining"),
        "vetoed_by": AttrSpec("list", doc="actor codes of the permanent members that vetoed it"),
    },
    Kind.PROVOCATION: {"category": AttrSpec("str", doc="the source's category")},
    Kind.OTHER: {"code_system": AttrSpec("str", ("CAMEO", "PLOVER"), "vocabulary of `code`"),
                 "code": AttrSpec("str", doc="the unmapped event code"),
                 "category": AttrSpec("str", doc="the curated timeline's category")},
}

# Each kind's nearest codes in the two interoperable vocabularies. CAMEO has no "weapons test"
# code; coders use 150 (demonstrate military power) for tests and exercises alike, so the mapping
# is many-to-one and the reverse direction (reading coded data) lives in the interop adapters.
CODES: dict[Kind, tuple[str | None, str | None]] = {
    Kind.NUCLEAR_TEST: ("150", "MOBILIZE"),
    Kind.MISSILE_TEST: ("150", "MOBILIZE"),
    Kind.MILITARY_EXERCISE: ("150", "MOBILIZE"),
    Kind.SANCTIONS_DESIGNATION: ("163", "SANCTION"),
    Kind.SANCTIONS_RESOLUTION: ("163", "SANCTION"),
    Kind.SUMMIT: ("043", "CONSULT"),
    Kind.TALKS: ("046", "CONSULT"),
    Kind.AGREEMENT: ("057", "AGREE"),
    Kind.ANNOUNCEMENT: ("010", None),
    Kind.PROPOSAL: ("036", "COOPERATE"),
    Kind.PROVOCATION: ("138", "THREATEN"),
    Kind.OTHER: (None, None),
}

KIND_DOCS: dict[Kind, str] = {
    Kind.NUCLEAR_TEST: "a nuclear explosive test",
    Kind.MISSILE_TEST: "one missile launched (a salvo is one event per missile)",
    Kind.MILITARY_EXERCISE: "a military exercise, held or planned, spanning date..end",
    Kind.SANCTIONS_DESIGNATION: "a sanctions designation action or listing",
    Kind.SANCTIONS_RESOLUTION: "a sanctions resolution adopted",
    Kind.SUMMIT: "a meeting of leaders",
    Kind.TALKS: "a round of negotiations",
    Kind.AGREEMENT: "an agreement or joint statement concluded",
    Kind.ANNOUNCEMENT: "a unilateral public statement or step",
    Kind.PROPOSAL: "a proposal put forward",
    Kind.PROVOCATION: "another hostile act (artillery, incursion, cyber attack, ...)",
    Kind.OTHER: "a coded event with no detente kind; keeps its code",
}

EXTENSION_PREFIX = "x_"


def attr_specs(kind: Kind | str) -> dict[str, AttrSpec]:
    """Every attribute ``kind`` may carry: its own plus the common ones."""
    return {**COMMON_ATTRS, **KIND_ATTRS[Kind(kind)]}


def _type_ok(spec: AttrSpec, value: Any) -> bool:
    if spec.type == "str":
        return isinstance(value, str)
    if spec.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type == "list":
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if spec.type == "date":
        from detente.dates import is_date_text

        return is_date_text(value)
    raise AssertionError(f"unhandled attribute type {spec.type}")


def check_attrs(kind: Kind | str, attrs: Mapping[str, Any], **where: Any) -> list[Problem]:
    """Problems with ``attrs`` for ``kind``: unknown names, wrong types, values outside a set.

    Names starting with ``x_`` are user extensions and are not checked. ``None`` means unknown and
    is allowed for every attribute.
    """
    specs = attr_specs(kind)
    problems = []
    for name, value in attrs.items():
        field = f"attrs.{name}"
        if name.startswith(EXTENSION_PREFIX):
            continue
        spec = specs.get(name)
        if spec is None:
            problems.append(Problem(
                f"unknown attribute for kind {Kind(kind).value}; known: {', '.join(sorted(specs))}"
                f" (prefix your own with '{EXTENSION_PREFIX}')", field=field, value=name, **where))
            continue
        if value is None:
            continue
        if not _type_ok(spec, value):
            problems.append(Problem(f"must be of type {spec.type}", field=field, value=value,
                                    **where))
        elif spec.choices is not None and value not in spec.choices:
            problems.append(Problem(f"must be one of {', '.join(spec.choices)}", field=field,
                                    value=value, **where))
    return problems


def vocabulary_rows() -> list[dict[str, Any]]:
    """The kind table as rows (kind, description, CAMEO, PLOVER, attributes) for docs and CLI."""
    rows = []
    for kind in Kind:
        cameo, plover = CODES[kind]
        rows.append({
            "kind": kind.value,
            "description": KIND_DOCS[kind],
            "cameo": cameo,
            "plover": plover,
            "attributes": {name: spec.type + (f" {list(spec.choices)}" if spec.choices else "")
                           for name, spec in KIND_ATTRS[kind].items()},
            # The attributes any kind may carry (title, url, parties, ...).
            "common_attributes": {name: spec.type for name, spec in COMMON_ATTRS.items()},
        })
    return rows
