"""Curated table of combined US-ROK military exercises (``exercises.csv``).

Columns ``name, start, end, status, announced, note, confidence, source``. Each row is one
``military_exercise``: actor ``USA`` with ``attrs.parties`` ``[USA, KOR]`` (a monitor counts an
event as "by" a party that is its actor or is listed in ``parties``), ``date``/``end`` the
(planned) window, ``status`` held, scaled_down, postponed or suspended, ``announced`` the day a
suspension or postponement was made public. A note saying "month precision" sets
``attrs.date_precision = "month"``. ``source_ref`` is the exercise's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from detente.events.ingest import Batch
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
TITLE = "Combined US-ROK military exercises, 2016-2026 (curated)"
DESCRIPTION = ("curated exercises table (name,start,end,status,announced,note,confidence,"
               "source); joint US-ROK exercises")
SOURCE = "curated-exercises"
COLUMNS = ("name", "start", "end", "status", "announced", "note", "confidence", "source")
PARTIES = ("USA", "KOR")


def detect(path: Path) -> bool:
    return csv_with_columns(path, "name", "start", "end", "status", "announced")


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of exercises; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows = []
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where = {"line": line}
        name = " ".join(r["name"].split())
        if not name:
            issues.add("missing value", field="name", **where)
        start = iso_date(r["start"], issues, "start", required=True, **where)
        end = iso_date(r["end"], issues, "end", **where)
        announced = iso_date(r["announced"], issues, "announced", **where)
        status = r["status"].strip()
        if status not in EXERCISE_STATUSES:
            issues.add(f"must be one of {', '.join(EXERCISE_STATUSES)}", field="status",
                       value=status, **where)
        if start is None or not name:
            continue
        note = " ".join(r["note"].split()) or None
        rows.append({
            "_loc": line, "date": start, "end": end, "actor": "USA",
            "kind": "military_exercise",
            "attrs": {"name": name, "status": status, "title": name,
                      "announced": announced.isoformat() if announced else None,
                      "parties": list(PARTIES),
                      "date_precision": "month" if note and "month precision" in note else None,
                      "citations": [" ".join(r["source"].split())] if r["source"].strip()
                      else []},
            "source": source, "source_ref": name,
            "confidence": r["confidence"].strip() or "high", "summary": note,
        })
    issues.raise_if_any()
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} exercises; actor USA with parties USA, KOR",))
