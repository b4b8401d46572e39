"""Curated table of combined US-ROK (and US-ROK-Japan) military exercises (``exercises.csv``).

Columns ``name, start, end, status, announced, parties, precision, note, confidence, source,
url`` (the curated rules of ``curated.py``: a source on every row, UTC days). Each row is one
``military_exercise``: actor the first of ``parties`` (``USA;KOR`` or ``USA;KOR;JPN``), with
all of them in ``attrs.parties`` (a monitor counts an event as "by" a party that is its actor or
is listed in ``parties``), ``date``/``end`` the (planned) window, ``status`` held, scaled_down,
computer_simulated, postponed, suspended or cancelled. ``precision`` ``month`` (the days are
the month's first and last) sets ``attrs.date_precision``. ``source_ref`` is the name, which
must be unique.

Restraint is an act too: a row with an ``announced`` day (a suspension, postponement,
cancellation or scaling-down made public) also gives an ``announcement`` by the same parties
on that day, ``category`` ``exercise_<status>``, ``source_ref`` ``<name>|announced``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from detente.events.ingest import Batch, curated
from detente.events.ingest.records import (
    Issues,
    csv_records,
    csv_with_columns,
    frame,
    iso_date,
    read_text,
)
from detente.events.kinds import EXERCISE_STATUSES

FORMAT = "exercises"
TITLE = "Combined US-ROK military exercises, 1976-2026 (curated)"
DESCRIPTION = ("curated exercises table (name,start,end,status,announced,parties,precision,"
               "note,confidence,source,url); joint US-ROK exercises")
SOURCE = "curated-exercises"
COLUMNS = ("name", "start", "end", "status", "announced", "parties", "precision", "note",
           "confidence", "source", "url")
PRECISIONS = ("day", "month")


def detect(path: Path) -> bool:
    return csv_with_columns(path, "name", "start", "end", "status", "announced", "parties")


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of exercises (and announcements of restraint); see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    announced_n = 0
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where: dict[str, Any] = {"line": line}
        name = " ".join(r["name"].split())
        if not name:
            issues.add("missing value", field="name", **where)
        elif name in names:
            issues.add(f"duplicate name (first on line {names[name]}): each exercise is one "
                       "row", field="name", value=name, **where)
        names.setdefault(name, line)
        start = iso_date(r["start"], issues, "start", required=True, **where)
        end = iso_date(r["end"], issues, "end", **where)
        announced = iso_date(r["announced"], issues, "announced", **where)
        status = curated.choice(r, "status", EXERCISE_STATUSES, issues, **where)
        precision = curated.choice(r, "precision", PRECISIONS, issues, **where) \
            if r["precision"].strip() else "day"
        parties = curated.codes(r, "parties", issues, **where)
        if not parties:
            issues.add("missing value (actor codes separated by ';', e.g. USA;KOR)",
                       field="parties", **where)
        if announced is not None and status == "held":
            issues.add("an exercise held as planned has no announcement of restraint: leave "
                       "announced empty, or give the status announced", field="announced",
                       value=r["announced"], **where)
        refs, url = curated.citations(r, issues, **where)
        level = curated.confidence(r, issues, **where)
        if start is None or not name or status is None or not parties:
            continue
        note = curated.text(r, "note")
        rows.append({
            "_loc": line, "date": start, "end": end, "actor": parties[0],
            "kind": "military_exercise",
            "attrs": {"name": name, "status": status, "title": name,
                      "announced": announced.isoformat() if announced else None,
                      "parties": parties,
                      "date_precision": "month" if precision == "month" else None,
                      "url": url, "citations": refs},
            "source": source, "source_ref": name, "confidence": level, "summary": note,
        })
        if announced is not None:
            announced_n += 1
            rows.append({
                "_loc": line, "date": announced, "end": None, "actor": parties[0],
                "kind": "announcement",
                "attrs": {"title": f"{name}: {status.replace('_', ' ')} (announced)",
                          "category": f"exercise_{status}", "status": status, "name": name,
                          "parties": parties, "url": url, "citations": refs},
                "source": source, "source_ref": f"{name}|announced", "confidence": level,
                "summary": note,
            })
    issues.raise_if_any()
    exercises = len(rows) - announced_n
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{exercises} exercises and {announced_n} announcements of their "
                        "suspension, postponement, cancellation or scaling-down; actor the "
                        "first of the parties",))
