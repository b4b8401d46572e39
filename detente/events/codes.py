"""Reading coded event data: CAMEO and PLOVER codes -> detente kinds, CAMEO countries -> actors.

``kinds.CODES`` answers "which code is nearest to this kind?" (for export); this module answers
the reverse question, "which kind is this coded event?", and answers it only where a code
implies the kind. CAMEO codes tests, exercises and alerts alike as 15x (exhibit force posture),
so 15x stays ``other``: guessing would turn every exercise into a missile test. Every event read
from coded data keeps its code (``attrs.cameo`` or ``attrs.plover``), and an unmapped one becomes
``kind: other`` with ``code_system``/``code``.

The tables here are the public, documented mapping (docs/interop.md prints them); SQL for the
adapters is generated from them, so code and documentation cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.events.kinds import Kind
from detente.sql import literal

CAMEO_ROOTS: dict[str, str] = {
    "01": "make public statement", "02": "appeal", "03": "express intent to cooperate",
    "04": "consult", "05": "engage in diplomatic cooperation",
    "06": "engage in material cooperation", "07": "provide aid", "08": "yield",
    "09": "investigate", "10": "demand", "11": "disapprove", "12": "reject", "13": "threaten",
    "14": "protest", "15": "exhibit force posture", "16": "reduce relations", "17": "coerce",
    "18": "assault", "19": "fight", "20": "use unconventional mass violence",
}


@dataclass(frozen=True)
class CameoRule:
    """Codes starting with ``prefix`` are ``kind`` (the longest matching prefix wins)."""

    prefix: str
    kind: Kind
    meaning: str


CAMEO_RULES: tuple[CameoRule, ...] = (
    CameoRule("010", Kind.ANNOUNCEMENT, "make statement"),
    CameoRule("036", Kind.PROPOSAL, "express intent to meet or negotiate"),
    CameoRule("04", Kind.TALKS, "consult: telephone, visits, third-location meetings, "
                                "mediation, negotiation (CAMEO cannot tell a summit)"),
    CameoRule("057", Kind.AGREEMENT, "sign formal agreement"),
    CameoRule("138", Kind.PROVOCATION, "threaten with military force (blockade, occupation, "
                                       "attack, WMD)"),
    CameoRule("163", Kind.SANCTIONS_DESIGNATION, "impose embargo, boycott or sanctions "
                                                 "(issuer unknown)"),
    CameoRule("18", Kind.PROVOCATION, "assault"),
    CameoRule("19", Kind.PROVOCATION, "fight (conventional military force)"),
    CameoRule("20", Kind.PROVOCATION, "use unconventional mass violence"),
)

PLOVER_TYPES: dict[str, int] = {
    # PLOVER event type -> quad class (1 verbal cooperation, 2 material cooperation,
    # 3 verbal conflict, 4 material conflict), as in the PLOVER codebook.
    "AGREE": 1, "CONSULT": 1, "SUPPORT": 1, "CONCEDE": 1,
    "COOPERATE": 2, "AID": 2, "RETREAT": 2,
    "REQUEST": 3, "ACCUSE": 3, "REJECT": 3, "THREATEN": 3,
    "PROTEST": 4, "SANCTION": 4, "MOBILIZE": 4, "COERCE": 4, "ASSAULT": 4,
}


@dataclass(frozen=True)
class PloverRule:
    """Events of ``type`` (and, when given, one of ``modes``; ``""`` = no mode) are ``kind``."""

    type: str
    kind: Kind
    meaning: str
    modes: tuple[str, ...] | None = None


PLOVER_RULES: tuple[PloverRule, ...] = (
    PloverRule("AGREE", Kind.AGREEMENT, "agree to, offer or promise cooperation"),
    PloverRule("CONSULT", Kind.TALKS, "meetings, visits, calls and negotiations"),
    PloverRule("SANCTION", Kind.SANCTIONS_DESIGNATION,
               "sanctions, embargoes, severed exchanges (modes convict, cancel, expel and "
               "withdraw are not sanctions and stay other)", ("", "sever")),
    PloverRule("THREATEN", Kind.PROVOCATION, "threats of violence or of seizing territory",
               ("violence", "territory")),
    PloverRule("ASSAULT", Kind.PROVOCATION, "deliberate actions that can cause physical harm"),
)

# CAMEO country codes that differ from ISO 3166-1 alpha-3 but name an ISO state.
CAMEO_COUNTRY_ALIASES: dict[str, str] = {
    "ROM": "ROU",  # Romania
    "ZAR": "COD",  # Zaire / Democratic Republic of the Congo
    "TMP": "TLS",  # East Timor / Timor-Leste
}

# CAMEO country-field codes with no ISO state: rejected unless declared (--declare-actor CODE).
CAMEO_NON_STATES: dict[str, str] = {
    "KOS": "Kosovo (no ISO 3166-1 code)", "WSB": "West Bank", "GZS": "Gaza Strip",
    "AFR": "region: Africa", "ASA": "region: Asia", "BLK": "region: Balkans",
    "CRB": "region: Caribbean", "CAU": "region: Caucasus", "CFR": "region: Central Africa",
    "CAS": "region: Central Asia", "CEU": "region: Central Europe",
    "EIN": "region: East Indies", "EAF": "region: East Africa",
    "EEU": "region: Eastern Europe", "EUR": "region: Europe", "LAM": "region: Latin America",
    "MEA": "region: Middle East", "MDT": "region: Mediterranean",
    "NAF": "region: North Africa", "NMR": "region: North America",
    "PGS": "region: Persian Gulf", "SCN": "region: Scandinavia",
    "SAM": "region: South America", "SAS": "region: South Asia",
    "SEA": "region: Southeast Asia", "SAF": "region: Southern Africa",
    "WAF": "region: West Africa", "WST": "region: the West",
}

# CAMEO known-group codes of the organisations detente knows (used when no country is coded).
CAMEO_ORGANISATIONS: dict[str, str] = {"UNO": "UN", "EEC": "EU", "IAE": "IAEA"}


def cameo_quad(code: str) -> int | None:
    """Quad class of a CAMEO code by its root: 01-05 verbal and 06-08 material cooperation,
    09-13 verbal and 14-20 material conflict (the usual convention; GDELT codes it itself)."""
    root = code[:2]
    if root not in CAMEO_ROOTS:
        return None
    number = int(root)
    return 1 if number <= 5 else 2 if number <= 8 else 3 if number <= 13 else 4


def is_cameo(code: str) -> bool:
    """A CAMEO event code: 2 to 4 digits whose first two are a root 01-20."""
    return code.isdigit() and 2 <= len(code) <= 4 and code[:2] in CAMEO_ROOTS


def cameo_kind(code: str) -> Kind:
    """The detente kind of a CAMEO event code (``other`` when no rule applies)."""
    best: CameoRule | None = None
    for rule in CAMEO_RULES:
        if code.startswith(rule.prefix) and (best is None or len(rule.prefix) > len(best.prefix)):
            best = rule
    return best.kind if best else Kind.OTHER


def plover_kind(event_type: str, mode: str | None = None) -> Kind:
    """The detente kind of a PLOVER event type and mode (``other`` when no rule applies)."""
    event_type, mode = event_type.upper(), (mode or "").lower()
    for rule in PLOVER_RULES:
        if rule.type == event_type and (rule.modes is None or mode in rule.modes):
            return rule.kind
    return Kind.OTHER


def cameo_kind_sql(code: str) -> str:
    """SQL for ``cameo_kind(code)`` over the SQL expression ``code`` (longest prefix first)."""
    rules = sorted(CAMEO_RULES, key=lambda r: -len(r.prefix))
    cases = " ".join(f"WHEN starts_with({code}, {literal(r.prefix)}) THEN {literal(r.kind.value)}"
                     for r in rules)
    return f"(CASE {cases} ELSE 'other' END)"


def plover_kind_sql(event_type: str, mode: str) -> str:
    """SQL for ``plover_kind(type, mode)`` over SQL expressions (type upper, mode lower)."""
    cases = []
    for r in PLOVER_RULES:
        test = f"{event_type} = {literal(r.type)}"
        if r.modes is not None:
            test += f" AND coalesce({mode}, '') IN ({', '.join(literal(m) for m in r.modes)})"
        cases.append(f"WHEN {test} THEN {literal(r.kind.value)}")
    return f"(CASE {' '.join(cases)} ELSE 'other' END)"


def cameo_quad_sql(code: str) -> str:
    root = f"TRY_CAST(left({code}, 2) AS INTEGER)"
    return (f"(CASE WHEN {root} BETWEEN 1 AND 5 THEN 1 WHEN {root} BETWEEN 6 AND 8 THEN 2 "
            f"WHEN {root} BETWEEN 9 AND 13 THEN 3 WHEN {root} BETWEEN 14 AND 20 THEN 4 END)")


def plover_quad_sql(event_type: str) -> str:
    cases = " ".join(f"WHEN {event_type} = {literal(t)} THEN {q}" for t, q in PLOVER_TYPES.items())
    return f"(CASE {cases} END)"


def mapping_rows() -> list[dict[str, str]]:
    """The whole mapping as rows (system, code, kind, meaning) for docs and the CLI."""
    rows = [{"system": "CAMEO", "code": f"{r.prefix}*", "kind": r.kind.value,
             "meaning": r.meaning} for r in CAMEO_RULES]
    rows.append({"system": "CAMEO", "code": "(any other)", "kind": "other",
                 "meaning": "kept as code_system CAMEO, code"})
    for r in PLOVER_RULES:
        modes = "" if r.modes is None else " mode " + " or ".join(m or "(none)" for m in r.modes)
        rows.append({"system": "PLOVER", "code": r.type + modes, "kind": r.kind.value,
                     "meaning": r.meaning})
    rows.append({"system": "PLOVER", "code": "(any other)", "kind": "other",
                 "meaning": "kept as code_system PLOVER, code"})
    return rows
