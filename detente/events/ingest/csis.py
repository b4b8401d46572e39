"""The CSIS Beyond Parallel "Database of North Korean Provocations" (CSV, one row per event).

Columns ``date, type, event, description, resources``; rows newest first, one per *event* (a
salvo of five missiles is one row). What this adapter normalises:

* **Labels.** ``event`` is semi-free text with typos and near-duplicates; ``LABELS`` maps each
  known label to a normalised category, an event kind and (for missiles) a class, ``TYPOS`` and
  ``MERGES`` clean the rest (kept as ``attrs.label``; the normalised one is ``attrs.title``, and
  ``attrs.category`` for provocations). A label the table does not know takes its kind from
  ``type``: nuclear -> ``nuclear_test``, missile -> ``missile_test`` of class ``unknown``,
  other -> ``provocation``.
* **Descriptions over labels.** A ballistic-missile label whose description speaks only of cruise,
  surface-to-ship or anti-ship missiles (and never says "ballistic") is a cruise launch; one that
  speaks only of surface-to-air or anti-aircraft missiles is a SAM launch (class ``unknown``).
* **Nuclear rows** carry ``match_key nuclear_test|PRK|<date>`` and merge with the USGS event.
* **Salvo rows link, never double count.** A ballistic, satellite, MLRS, MIRV or mixed-weapons row
  gets a group key ``missile_test|PRK|<day>|*``: the store makes it a further source of every
  per-missile event of that day instead of a new event. CSIS dates by the Korean day while the
  per-missile sources often use the UTC day (and a few CSIS dates are off), so the day is chosen
  among the row's date, the day before, a date written in its description ("On March 9,
  2020") and the day before that, then the day after, taking the first on which the store
  already holds per-missile events and that no other CSIS row claims (by its own date or at a
  closer step). Rows whose description says the exact day is unknown link to their whole month.
  A salvo row with nothing to link to stays one event (keeping its group key, so per-missile
  events ingested later absorb it).
* **Cruise, SAM, artillery and MLRS rows never link**, so a cruise launch on the day of a
  ballistic salvo stays its own event. An MLRS row links only when per-missile events exist (the
  600 mm KN-25 is counted as an SRBM by CNS); otherwise it is a ``provocation``, not a missile
  test.
* **Identity.** ``source_ref`` is ``<date>|<label as written>`` (``#2``, ``#3`` for repeats, ordered
  by description), so the daily, newest-first growth of the file keeps every row's id.

Ingest the per-missile sources first: links are chosen against what the store holds.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from detente.events.ingest import Batch
from detente.events.ingest.records import (
    MISSILE_KEY_PREFIX,
    Issues,
    citations,
    csv_records,
    first_url,
    frame,
    header_fields,
    iso_date,
    nuclear_key,
    read_text,
)

FORMAT = "csis"
TITLE = "CSIS Beyond Parallel database of North Korean provocations"
DESCRIPTION = ("the CSIS Beyond Parallel provocations CSV (date,type,event,description,"
               "resources; one row per event; 1958-present)")
SOURCE = "csis-provocations"
COLUMNS = ("date", "type", "event", "description", "resources")
TYPES = ("Missile Provocation", "Nuclear Provocation", "Other Provocation")


@dataclass(frozen=True)
class Label:
    """What a CSIS label means: its normalised name, kind, missile class, and whether the row
    summarises launches that per-missile sources itemise (a salvo row links to them)."""

    category: str
    kind: str
    klass: str | None = None
    links: bool = False
    missile: str | None = None


_MT, _NT, _PV = "missile_test", "nuclear_test", "provocation"
_SAM = Label("surface-to-air missile launch", _MT, "unknown", missile="surface-to-air missile")
_CRUISE = Label("cruise missile launch", _MT, "cruise")
_MLRS = Label("MLRS test", _PV, links=True)

# Keys are labels lower-cased with runs of spaces collapsed.
LABELS: dict[str, Label] = {
    "short-range ballistic missile launch": Label("short-range ballistic missile launch", _MT,
                                                  "SRBM", True),
    "short-range missile launch": Label("short-range ballistic missile launch", _MT, "SRBM",
                                        True),
    "medium-range ballistic missile launch": Label("medium-range ballistic missile launch", _MT,
                                                   "MRBM", True),
    "intermediate-range ballistic missile launch": Label(
        "intermediate-range ballistic missile launch", _MT, "IRBM", True),
    "intercontinental ballistic missile": Label("intercontinental ballistic missile launch",
                                                _MT, "ICBM", True),
    "inter-continental ballistic missile/short-range missile launches": Label(
        "ICBM and short-range missile launches", _MT, "ICBM", True),
    "intercontinental ballistic missile & srbm": Label("ICBM and short-range missile launches",
                                                       _MT, "ICBM", True),
    "submarine launched ballistic missile launch": Label(
        "submarine-launched ballistic missile launch", _MT, "SLBM", True),
    "ballistic missile launch": Label("ballistic missile launch", _MT, "ballistic", True),
    "ballistic missile launch (type unknown)": Label("ballistic missile launch", _MT,
                                                     "ballistic", True),
    "satellite launch": Label("satellite launch", _MT, "SLV", True),
    "satellite launch (other provocation)": Label("satellite launch", _MT, "SLV", True),
    "multiple independently targetable rentry vehicle (mirv) test": Label(
        "MIRV test", _MT, "unknown", True),
    "mixed tactical weapons test": Label("mixed tactical weapons test", _MT, "unknown", True),
    "multiple lanuch rocket system (mlrs) test": _MLRS,
    "multiple launch rocket system (mlrs) test": _MLRS,
    "anti-ship cruise missile launch": Label("anti-ship cruise missile launch", _MT, "cruise"),
    "long-range cruise missile launch": _CRUISE,
    "strategic cruise missile": _CRUISE,
    "anti-aircraft missile launch": _SAM,
    "long-range surface-to-air missile launch": _SAM,
    "short-range surface-to-air missile launch": _SAM,
    "joint missile test with china": Label("joint missile test with China", _MT, "MRBM"),
    "artillery fire": Label("artillery fire", _PV),
    "rocket engine test": Label("rocket engine test", _PV),
    "nuclear detonation device": Label("nuclear trigger device test", _PV),
    "nuclear test": Label("nuclear test", _NT),
    "nuclear test / short-range missile launch": Label("nuclear test", _NT),
}
# (type, label) pairs whose label is wrong for the row: the 2022-01-05 Hwasong-8 launch is
# filed as a missile provocation labelled "Nuclear Detonation Device".
OVERRIDES: dict[tuple[str, str], Label] = {
    ("Missile Provocation", "nuclear detonation device"): Label(
        "ballistic missile launch", _MT, "ballistic", True),
}
TYPOS = {"Lanuch": "Launch", "Enroachment": "Encroachment", "Assasination": "Assassination",
         "Rentry": "Reentry"}
MERGES = {
    "Exchange of Fire at DMZ": "DMZ Exchange of Fire",
    "Territorial Provocation (Ground)": "Territorial Incursion (Ground)",
    "Territorial Provocation (Maritime)": "Territorial Incursion (Maritime)",
}
_DEFAULT_BY_TYPE = {
    "Missile Provocation": lambda name: Label(name, _MT, "unknown", True),
    "Nuclear Provocation": lambda name: Label(name, _NT),
    "Other Provocation": lambda name: Label(name, _PV),
}

_CRUISE_WORDS = re.compile(r"cruise missile|surface-to-ship|ship-to-ship|anti-ship", re.I)
_SAM_WORDS = re.compile(r"surface-to-air|anti-aircraft", re.I)
_BALLISTIC = re.compile(r"ballistic", re.I)
_MONTH_ONLY = re.compile(r"exact (?:day|date) of the (?:launch|test) is unknown", re.I)
_MONTHS = "|".join(calendar.month_name[1:])
_WRITTEN_DATE = re.compile(rf"\bOn (?P<m>{_MONTHS}) (?P<d>\d{{1,2}}),? (?P<y>\d{{4}})")


def detect(path: Path) -> bool:
    return path.suffix.lower() == ".csv" and header_fields(path) == list(COLUMNS)


def clean_label(label: str) -> str:
    """The label with known typos fixed and near-duplicates merged."""
    text = " ".join(label.split())
    for wrong, right in TYPOS.items():
        text = re.sub(rf"\b{wrong}\b", right, text)
    return MERGES.get(text, text)


def classify(type_: str, label: str, description: str = "") -> Label:
    """What a row is, from its type, its label and (for missile labels) its description."""
    key = " ".join(label.split()).lower()
    found = OVERRIDES.get((type_, key)) or LABELS.get(key)
    if found is None:
        found = _DEFAULT_BY_TYPE[type_](clean_label(label))
    if found.kind == _MT and found.links and not _BALLISTIC.search(description):
        if _CRUISE_WORDS.search(description):
            return Label(f"{_CRUISE.category} (labelled {label.strip()!r})", _MT, "cruise")
        if _SAM_WORDS.search(description):
            return Label(f"{_SAM.category} (labelled {label.strip()!r})", _MT, "unknown",
                         missile=_SAM.missile)
    return found


def written_date(description: str) -> dt.date | None:
    """A full date written in the description ("On March 9, 2020 at ..."), if any."""
    match = _WRITTEN_DATE.search(description)
    if not match:
        return None
    try:
        return dt.date(int(match["y"]), list(calendar.month_name).index(match["m"]),
                       int(match["d"]))
    except ValueError:
        return None


def _known_days(con: duckdb.DuckDBPyConnection | None) -> dict[str, list[str | None]]:
    """The days (``YYYY-MM-DD`` or ``YYYY-MM``) with per-missile events in the store, each with
    the launch times (``HH:MM`` UTC, or None) of its events."""
    if con is None:
        return {}
    try:
        rows = con.execute(
            "SELECT match_key, json_extract_string(attrs, '$.time_utc') FROM events "
            "WHERE starts_with(match_key, ?) AND NOT ends_with(match_key, '*')",
            [MISSILE_KEY_PREFIX]).fetchall()
    except duckdb.Error:
        return {}
    known: dict[str, list[str | None]] = defaultdict(list)
    for key, time_utc in rows:
        if key.count("|") >= 3:
            known[key.split("|")[2]].append(time_utc)
    return dict(known)


@dataclass
class _Salvo:
    """A linking row while its day is being chosen."""

    index: int
    day: dt.date
    month_only: bool
    written: dt.date | None
    chosen: str | None = None
    step: str = "standalone"


def _step(s: _Salvo, level: int) -> tuple[str, list[dt.date]]:
    """The name and candidate days of search step ``level`` (0-3) for one salvo row."""
    one = dt.timedelta(days=1)
    if level == 0:
        return "same day", [s.day]
    if level == 1:
        return "day before", [s.day - one]
    if level == 2:
        written = s.written if s.written and s.written != s.day else None
        return "date in description", [written, written - one] if written else []
    return "day after", [s.day + one]


KOREAN_DAY_STARTS_UTC = "15:00"  # midnight in Korea (UTC+9)


def choose_days(salvos: list[_Salvo], known: dict[str, list[str | None]]) -> None:
    """Pick the day each salvo row links to (see the module docstring), in place.

    ``known`` maps the days (``YYYY-MM-DD``, or ``YYYY-MM`` for month-only dates) that have
    per-missile events to their launch times (UTC). Rows on the same date may share a day; a
    later step never takes a day another row took at an earlier step, nor another salvo row's
    own date, except the day before when some of its launches fell after midnight Korean time
    (15:00 UTC), that is on the row's own Korean day.
    """
    own_days = {s.day.isoformat() for s in salvos if not s.month_only}
    for s in salvos:
        month = s.day.strftime("%Y-%m")
        if s.month_only and any(k.startswith(month) for k in known):
            s.chosen, s.step = month, "whole month (exact day unknown)"
    taken: set[str] = set()
    for level in range(4):
        claimed: set[str] = set()
        for s in salvos:
            if s.chosen or s.month_only:
                continue
            name, days = _step(s, level)
            for day in days:
                text = day.isoformat()
                if text not in known:
                    continue
                late = any(t and t >= KOREAN_DAY_STARTS_UTC for t in known[text])
                blocked = text in taken or (level > 0 and text in own_days)
                if blocked and not (level == 1 and late):
                    continue
                s.chosen, s.step = text, name
                claimed.add(text)
                break
        taken |= claimed
    for s in salvos:
        month = s.day.strftime("%Y-%m")
        if not s.chosen and not s.month_only and s.day.day == 1 and month in known:
            s.chosen, s.step = month + "|", "month-only per-missile dates"


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, encoding: str = "utf-8",
         source: str = SOURCE, align: bool = True, **_: Any) -> Batch:
    """A ``Batch`` of CSIS events; see the module docstring. ``align=False`` links each salvo
    row by its own date only."""
    file = str(path)
    records = csv_records(read_text(path, encoding), file, COLUMNS)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    salvos: list[_Salvo] = []
    overridden = 0
    for line, r in records:
        where: dict[str, Any] = {"line": line}
        day = iso_date(r["date"], issues, "date", required=True, **where)
        type_ = " ".join(r["type"].split())
        if type_ not in TYPES:
            issues.add(f"must be one of {', '.join(TYPES)}", field="type", value=r["type"],
                       **where)
            continue
        label_text = " ".join(r["event"].split())
        if not label_text:
            issues.add("missing value", field="event", **where)
            continue
        if day is None:
            continue
        description = " ".join(r["description"].split())
        label = classify(type_, label_text, description)
        base = (OVERRIDES.get((type_, label_text.lower())) or LABELS.get(label_text.lower()))
        overridden += bool(base and base.category != label.category and label.kind == _MT)
        refs = citations(r["resources"])
        month_only = bool(_MONTH_ONLY.search(description))
        attrs: dict[str, Any] = {"title": label.category, "label": label_text,
                                 "url": first_url(refs), "citations": refs}
        if label.kind == _MT:
            attrs["class"] = label.klass
            attrs["missile"] = label.missile
        elif label.kind == _PV:
            attrs["category"] = label.category
        if month_only:
            attrs["date_precision"] = "month"
        row = {"_loc": line, "date": day, "actor": "PRK", "kind": label.kind, "attrs": attrs,
               "source": source, "confidence": "medium" if month_only else "high",
               "summary": description or None, "_label": label_text,
               "_description": description}
        if label.kind == _NT:
            row["match_key"] = nuclear_key(day)
        if label.links:
            salvos.append(_Salvo(len(rows), day, month_only, written_date(description)))
        rows.append(row)
    issues.raise_if_any()
    choose_days(salvos, _known_days(con) if align else {})
    steps: dict[str, int] = defaultdict(int)
    for s in salvos:
        steps[s.step] += 1
        if s.chosen is None:
            stem = s.day.strftime("%Y-%m") if s.month_only else s.day.isoformat() + "|"
            rows[s.index]["match_key"] = f"{MISSILE_KEY_PREFIX}{stem}*"
        elif s.chosen.endswith("|") or len(s.chosen) == 7:
            rows[s.index]["match_key"] = f"{MISSILE_KEY_PREFIX}{s.chosen}*"
        else:
            rows[s.index]["match_key"] = f"{MISSILE_KEY_PREFIX}{s.chosen}|*"
    _source_refs(rows)
    same = _same_events(rows)
    kinds: dict[str, int] = defaultdict(int)
    for row in rows:
        kinds[str(row["kind"])] += 1
    notes = (
        f"{len(rows)} rows: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())),
        f"{len(salvos)} salvo rows summarise per-missile events; day linked: "
        + ", ".join(f"{n} {k}" for k, n in sorted(steps.items())),
        f"{overridden} missile rows re-classed by their description (cruise or SAM, not "
        "ballistic)",
        *same,
    )
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line", notes=notes)


# Rows that report one test under two dates: source_ref of each -> (first day, last day).
SAME_EVENT: dict[str, tuple[dt.date, dt.date, str]] = {
    "2021-09-11|Long-range Cruise Missile Launch": (
        dt.date(2021, 9, 11), dt.date(2021, 9, 12),
        "one long-range cruise missile test flown over two days (KCNA, Yonhap 2021-09-13)"),
    "2021-09-12|Long-range Cruise Missile Launch": (
        dt.date(2021, 9, 11), dt.date(2021, 9, 12),
        "one long-range cruise missile test flown over two days (KCNA, Yonhap 2021-09-13)"),
}


def _same_events(rows: list[dict[str, Any]]) -> list[str]:
    """Apply ``SAME_EVENT``: the rows of one test get its days and one key, so the store keeps
    one event with both rows as its sources. Returns the notes."""
    notes = []
    for row in rows:
        fix = SAME_EVENT.get(row["source_ref"])
        if fix is None:
            continue
        first, last, why = fix
        row["date"], row["end"] = first, last
        row["match_key"] = f"csis|same-event|{first.isoformat()}|{row['_label']}"
        notes.append(f"{row['source_ref']}: read as {first}..{last}, one event: {why}")
    return notes


def _source_refs(rows: list[dict[str, Any]]) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[f"{row['date'].isoformat()}|{row['_label']}"].append(row)
    for ref, group in groups.items():
        for n, row in enumerate(sorted(group, key=lambda x: x["_description"]), start=1):
            row["source_ref"] = ref if n == 1 else f"{ref}#{n}"
