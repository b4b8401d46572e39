"""Curated table of UN Security Council sanctions resolutions on North Korea
(``un_resolutions.csv``).

Columns ``resolution, adopted, trigger, summary, confidence``. Each row is one
``sanctions_resolution``: actor ``UN``, target ``PRK``, ``issuer`` UNSC, ``resolution`` the
number, ``trigger`` what it responds to. ``source_ref`` is the resolution number.
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

FORMAT = "un-resolutions"
TITLE = "UN Security Council sanctions resolutions on North Korea, 2006-2017 (curated)"
DESCRIPTION = "curated UN resolutions table (resolution,adopted,trigger,summary,confidence)"
SOURCE = "curated-un-resolutions"
COLUMNS = ("resolution", "adopted", "trigger", "summary", "confidence")


def detect(path: Path) -> bool:
    return csv_with_columns(path, "resolution", "adopted", "trigger")


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of resolutions; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows = []
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where = {"line": line}
        number = r["resolution"].strip()
        if not number.isdigit():
            issues.add("must be the resolution number", field="resolution", value=number,
                       **where)
        day = iso_date(r["adopted"], issues, "adopted", required=True, **where)
        if day is None or not number.isdigit():
            continue
        rows.append({
            "_loc": line, "date": day, "actor": "UN", "target": "PRK",
            "kind": "sanctions_resolution",
            "attrs": {"issuer": "UNSC", "resolution": number,
                      "trigger": " ".join(r["trigger"].split()) or None,
                      "title": f"UN Security Council resolution {number}"},
            "source": source, "source_ref": number,
            "confidence": r["confidence"].strip() or "high",
            "summary": " ".join(r["summary"].split()) or None,
        })
    issues.raise_if_any()
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} resolutions",))
