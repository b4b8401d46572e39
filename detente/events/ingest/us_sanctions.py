"""Curated table of US Treasury (OFAC) North Korea-related designation actions
(``us_sanctions_actions.csv``).

Columns ``date, issuer, action, individuals, entities, vessels, note, confidence, source``. Each
row is one ``sanctions_designation`` *action* (a press release naming many parties): actor
``USA``, target ``PRK``, ``issuer`` as given (OFAC), with the counts of individuals, entities and
vessels designated (empty cells are unknown, not zero). ``source_ref`` is
``<date>|<issuer>|<action>``.
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

FORMAT = "us-sanctions"
TITLE = "US Treasury (OFAC) North Korea designation actions, 2016-2022 (curated)"
DESCRIPTION = ("curated US sanctions actions table (date,issuer,action,individuals,entities,"
               "vessels,note,confidence,source)")
SOURCE = "curated-us-sanctions"
COLUMNS = ("date", "issuer", "action", "individuals", "entities", "vessels", "note",
           "confidence", "source")
ACTIONS = {"designation": "sanctions_designation"}


def detect(path: Path) -> bool:
    return csv_with_columns(path, "date", "issuer", "action", "individuals", "entities",
                            "vessels")


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of designation actions; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows = []
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where = {"line": line}
        day = iso_date(r["date"], issues, "date", required=True, **where)
        issuer = r["issuer"].strip()
        if not issuer:
            issues.add("missing value", field="issuer", **where)
        action = r["action"].strip().lower()
        if action not in ACTIONS:
            issues.add(f"must be one of {', '.join(ACTIONS)}", field="action",
                       value=r["action"], **where)
        counts = {}
        for column in ("individuals", "entities", "vessels"):
            text = r[column].strip()
            if text and not text.isdigit():
                issues.add("must be a whole number or empty (unknown)", field=column,
                           value=text, **where)
            counts[column] = int(text) if text.isdigit() else None
        if day is None or not issuer or action not in ACTIONS:
            continue
        rows.append({
            "_loc": line, "date": day, "actor": "USA", "target": "PRK", "kind": ACTIONS[action],
            "attrs": {"issuer": issuer, **counts, "title": f"{issuer} {action} action",
                      "citations": [" ".join(r["source"].split())] if r["source"].strip()
                      else []},
            "source": source, "source_ref": f"{day.isoformat()}|{issuer}|{action}",
            "confidence": r["confidence"].strip() or "high",
            "summary": " ".join(r["note"].split()) or None,
        })
    issues.raise_if_any()
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} designation actions (one event per action, with counts)",))
