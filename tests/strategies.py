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


# --- agreements, monitor and what-if ----------------------------------------------------------

PARTIES = ("PRK", "USA", "KOR", "CHN", "JPN", "RUS")
_ident = st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True)
_spec_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60)
_probability = st.floats(0, 1, allow_nan=False)
# Attributes a selector may test, with values of the attribute's declared type.
SELECTOR_ATTRS = {
    Kind.MISSILE_TEST: {"class": st.sampled_from(MISSILE_CLASSES),
                        "outcome": st.sampled_from(OUTCOMES), "series": st.integers(1, 5),
                        "missile": _text, "confirmed": st.booleans()},
    Kind.MILITARY_EXERCISE: {"status": st.sampled_from(EXERCISE_STATUSES), "name": _text,
                             "parties": st.sampled_from(PARTIES)},
    Kind.SANCTIONS_DESIGNATION: {"issuer": st.sampled_from(["OFAC", "UNSC", "EU"]),
                                 "individuals": st.integers(0, 30)},
    Kind.NUCLEAR_TEST: {"site": _text},
    Kind.PROVOCATION: {"category": _text, "label": _text},
}


@st.composite
def where_maps(draw, kind: Kind) -> dict:
    options = SELECTOR_ATTRS.get(kind, {})
    names = draw(st.sets(st.sampled_from(sorted(options)), max_size=2)) if options else set()
    out = {}
    for name in sorted(names):
        values = draw(st.lists(options[name], min_size=1, max_size=3, unique=True))
        out[name] = values if len(values) > 1 or draw(st.booleans()) else values[0]
    return out


@st.composite
def selector_dicts(draw) -> dict:
    kind = draw(st.sampled_from(sorted(SELECTOR_ATTRS)))
    out = {"kind": kind.value}
    where = draw(where_maps(kind))
    if where:
        out["where"] = where
    if draw(st.integers(0, 4)) == 0:
        out["target"] = draw(st.lists(st.sampled_from(PARTIES), min_size=1, max_size=2,
                                      unique=True))
    return out


@st.composite
def undertaking_dicts(draw, ident: str, start: dt.date = dt.date(2000, 1, 1),
                      end: dt.date | None = None) -> dict:
    """An undertaking whose deadline falls inside the window ``[start, end]``."""
    kind = draw(st.sampled_from(sorted(SELECTOR_ATTRS)))
    out = {"id": ident, "kind": kind.value}
    if draw(st.booleans()):
        out["description"] = draw(_spec_text)
    where = draw(where_maps(kind))
    if where:
        out["where"] = where
    last = end or start + dt.timedelta(days=3000)
    if draw(st.booleans()):
        out["within_days"] = draw(st.integers(0, min(400, (last - start).days)))
    else:
        out["by"] = draw(st.dates(start, last)).isoformat()
    return out


@st.composite
def agreement_dicts(draw) -> dict:
    """A valid agreement spec as plain data (what a YAML file holds)."""
    parties = draw(st.lists(st.sampled_from(PARTIES), min_size=1, max_size=4, unique=True))
    start = draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))
    end = start + dt.timedelta(days=draw(st.integers(0, 3000))) if draw(st.booleans()) else None
    ids = draw(st.lists(_ident, min_size=1, max_size=4, unique=True))
    commitments = []
    for k, cid in enumerate(ids):
        c = {"id": cid, "party": draw(st.sampled_from(parties))}
        if draw(st.booleans()):
            c["description"] = draw(_spec_text)
        refrains = draw(st.lists(selector_dicts(), max_size=3))
        undertakes = [draw(undertaking_dicts(f"u{k}-{j}", start, end))
                      for j in range(draw(st.integers(0 if refrains else 1, 2)))]
        if refrains:
            c["refrains_from"] = refrains
        if undertakes:
            c["undertakes"] = undertakes
        c["verification"] = {"means": draw(_spec_text.filter(lambda s: s.strip() != "")
                                           .map(str.strip).filter(bool)),
                             "detection": draw(_probability),
                             "delay_days": draw(st.floats(0, 365, allow_nan=False)),
                             "false_alarm": draw(_probability)}
        commitments.append(c)
    out = {"id": draw(_ident), "title": draw(_spec_text.map(str.strip).filter(bool)),
           "parties": parties, "start": start.isoformat(), "commitments": commitments}
    if end is not None:
        out["end"] = end.isoformat()
    # "omitted": no reciprocity key, which means mutual.
    mode = draw(st.sampled_from(["mutual", "none", "explicit", "omitted"]))
    if mode == "omitted":
        pass
    elif mode == "explicit":
        out["reciprocity"] = {p: draw(st.lists(st.sampled_from(parties), max_size=3, unique=True))
                              for p in draw(st.lists(st.sampled_from(parties), min_size=1,
                                                     unique=True))}
    else:
        out["reciprocity"] = mode
    if draw(st.booleans()):
        out["payoffs"] = {p: {"other_restraint": draw(st.floats(0, 10, allow_nan=False)),
                              "own_restraint": draw(st.floats(0, 10, allow_nan=False)),
                              "defection_gain": draw(st.floats(0, 10, allow_nan=False))}
                          for p in draw(st.lists(st.sampled_from(parties), unique=True))}
    if draw(st.booleans()):
        out["rationale"] = draw(_spec_text)
    if draw(st.booleans()):
        out["sources"] = draw(st.lists(_spec_text, max_size=3))
    return out


def make_event(ref: str, date: dt.date, actor: str, kind: str, attrs: dict | None = None, *,
               end: dt.date | None = None, target: str | None = None, source: str = "syn"):
    """A synthetic ``Event`` for monitor tests."""
    from detente.events.event import Event

    return Event(date=date, end=end, actor=actor, target=target, kind=kind, attrs=attrs or {},
                 source=source, source_ref=ref)


# --- dialogue ---------------------------------------------------------------------------------

_dialogue_id = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_unit = st.floats(0, 1, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def dialogue_scenarios(draw, max_actors: int = 6, max_issues: int = 3) -> dict:
    """Plain data of a valid dialogue scenario (every actor has a stance on every issue)."""
    issue_ids = draw(st.lists(_dialogue_id, min_size=1, max_size=max_issues, unique=True))
    actor_ids = draw(st.lists(_dialogue_id.map(str.upper), min_size=2, max_size=max_actors,
                              unique=True))
    issues = []
    for issue_id in issue_ids:
        low = draw(st.sampled_from([0.0, -10.0, 1.0]))
        high = low + draw(st.sampled_from([100.0, 10.0, 6.0]))
        point = st.floats(low, high, allow_nan=False).map(lambda v: round(v, 2))
        issue = {"id": issue_id, "scale": [low, high], "status_quo": draw(point)}
        if draw(st.booleans()):
            issue["anchors"] = {low: "least", high: "most"}
        issues.append((issue, point))
    actors = []
    for k, actor_id in enumerate(actor_ids):
        positions = {}
        for issue, point in issues:
            stance = {"position": draw(point), "salience": draw(_unit)}
            if draw(st.integers(0, 4)) == 0:
                stance["reservation"] = draw(point)
            positions[issue["id"]] = stance
        actor = {"id": actor_id, "capability": draw(st.floats(0.01, 100, allow_nan=False)
                                                   .map(lambda v: round(v, 2))),
                 "positions": positions}
        if k >= 2 and draw(st.booleans()):
            actor["role"] = "mediator"
        actors.append(actor)
    return {"id": "hyp", "issues": [i for i, _ in issues], "actors": actors}


# --- simulate -------------------------------------------------------------------------------

seeds = st.integers(0, 2**63 - 1)


def sim_party(code: str, q: float = 0.2, p: float = 1.0, f: float = 0.0, delay: int = 0, *,
              tremble: float = 0.0, payoff=None, monitors=None):
    """A simulated party with one commitment (probabilities per period)."""
    from detente.agreements.spec import Payoff
    from detente.simulate import Monitor, Party

    monitors = monitors or (Monitor(commitment=f"{code.lower()}-c", detection=p, delay=delay,
                                    false_alarm=f, weight=1.0, delay_days=7.0 * delay),)
    return Party(code=code, temptation=q, payoff=payoff or Payoff(), monitors=tuple(monitors),
                 tremble=tremble)


def sim_model(*parties, horizon: int = 104, discount: float = 0.9, releases=None):
    """A weekly model of ``parties`` (default: two parties, mutual release)."""
    from detente.simulate import Model

    parties = parties or (sim_party("PRK"), sim_party("USA"))
    n = len(parties)
    releases = releases or tuple(tuple(i != j for j in range(n)) for i in range(n))
    return Model(agreement="test", parties=tuple(parties), releases=releases, period="week",
                 horizon=horizon, discount=discount)


# --- GDELT raw exports ----------------------------------------------------------------------

# How a row of a generated GDELT 2.0 export departs from a good one (``gdelt_exports``):
# column (0-based in the 61) -> value, or a shape of its own.
GDELT_ROW_CHANGES = {
    "good": {},
    "skipped": {7: "", 9: ""},            # no Actor1 country or known group
    "bad_code": {26: "XX"},               # EventCode
    "bad_date": {1: "20171345"},          # SQLDATE
    "unknown_actor": {7: "ZZZ"},          # Actor1CountryCode
    "short": "short",                     # 40 fields: the reader itself rejects it
    "blank": "blank",                     # an empty line
}


@st.composite
def gdelt_exports(draw, base: list[str], max_rows: int = 30) -> tuple[str, dict]:
    """The text of a raw GDELT 2.0 export built from ``base`` (a good row's 61 fields) and
    what it holds: rows of every kind in ``GDELT_ROW_CHANGES`` (mostly good), keys in
    ascending order or shuffled, some keys repeated, LF or CRLF line ends."""
    mostly_good = ["good"] * 6 + [k for k in GDELT_ROW_CHANGES if k != "good"]
    kinds = draw(st.lists(st.sampled_from(mostly_good), min_size=1, max_size=max_rows))
    keys = [680_000_000 + 3 * i for i in range(len(kinds))]
    if draw(st.booleans()):
        keys = draw(st.permutations(keys))
    if len(keys) > 1 and draw(st.integers(0, 4)) == 0:  # a repeated key, now and then
        keys[draw(st.integers(1, len(keys) - 1))] = keys[0]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for kind, key in zip(kinds, keys, strict=True):
        change = GDELT_ROW_CHANGES[kind]
        if change == "blank":
            lines.append("")
            continue
        fields = [str(key), *base[1:]]
        if change == "short":
            fields = fields[:40]
        else:
            for at, value in change.items():  # type: ignore[union-attr]
                fields[at] = value
        lines.append("\t".join(fields))
    return "".join(line + end for line in lines), {"kinds": kinds, "keys": keys}
