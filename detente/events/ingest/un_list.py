"""The UN Security Council Consolidated List (XML): the DPRK (1718 Committee) subset.

The list covers every UN sanctions regime; entries with ``UN_LIST_TYPE`` ``DPRK`` and a
``REFERENCE_NUMBER`` ``KPi.*`` (individuals) or ``KPe.*`` (entities) become one
``sanctions_designation`` each, dated by ``LISTED_ON``: actor ``UN``, target ``PRK``, issuer
``UNSC``, with ``reference``, ``name`` (the name parts joined) and ``entry_type``. Names and
reference numbers carry stray padding in the source (" RI ", "KPi.034 "); it is stripped.
``match_key`` ``sanctions_designation|UN|<day>|<reference>`` lets a listing action of the curated
UN table (``un_actions``) summarise the day's entries instead of counting them again.

The 1.6 MB file is streamed with ``xml.etree.ElementTree.iterparse``, each entry cleared once
read. Entries are located by their position among the list's entries (``row``); a truncated or
malformed file is reported with the parser's line.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError
from detente.events.ingest import Batch
from detente.events.ingest.records import Issues, frame, head_text

FORMAT = "un-list"
TITLE = "UN Security Council Consolidated List, DPRK (1718 Committee) entries"
DESCRIPTION = ("the UN Security Council Consolidated List XML; keeps the DPRK entries "
               "(KPi./KPe. references) as UNSC designations dated by LISTED_ON")
SOURCE = "un-consolidated-list"
LIST_TYPE = "DPRK"
_ENTRY_TAGS = {"INDIVIDUAL": "individual", "ENTITY": "entity"}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_REFERENCE = re.compile(r"KP[ie]\.\d+")


def detect(path: Path) -> bool:
    return path.suffix.lower() == ".xml" and "<CONSOLIDATED_LIST" in head_text(path, 2048)


def _text(element: ET.Element, tag: str) -> str:
    return " ".join((element.findtext(tag) or "").split())


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *,
         list_type: str = LIST_TYPE, source: str = SOURCE, **_: Any) -> Batch:
    """A ``Batch`` of UNSC designations; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    seen = 0
    by_type: Counter[str] = Counter()
    try:
        for _event, element in ET.iterparse(path, events=("end",)):
            entry_type = _ENTRY_TAGS.get(element.tag)
            if entry_type is None:
                continue
            seen += 1
            by_type[_text(element, "UN_LIST_TYPE") or "(none)"] += 1
            if _text(element, "UN_LIST_TYPE") == list_type:
                row = _entry(element, entry_type, seen, issues, source)
                if row is not None:
                    rows.append(row)
            element.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = re.sub(r":? line \d+, column \d+$", "", str(exc))
        raise IngestError.single(f"malformed XML at column {column} ({reason}); a truncated file?",
                                 file=file, line=line) from None
    if seen == 0:
        raise IngestError.single("no INDIVIDUAL or ENTITY entries: not a UN consolidated list?",
                                 file=file)
    issues.raise_if_any()
    dates = Counter(row["date"].isoformat() for row in rows)
    kinds = Counter(row["attrs"]["entry_type"] for row in rows)
    notes = (
        f"{seen} entries in the list ({', '.join(f'{k} {n}' for k, n in sorted(by_type.items()))})"
        f"; {len(rows)} {list_type} entries kept: "
        + ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items())),
        "listings by date: " + ", ".join(f"{d} ({n})" for d, n in sorted(dates.items())),
        "the separate 1718 vessels list is not part of this file",
    )
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="row", notes=notes)


def _entry(element: ET.Element, entry_type: str, index: int, issues: Issues,
           source: str) -> dict[str, Any] | None:
    where = {"row": index}
    reference = _text(element, "REFERENCE_NUMBER")
    label = f"entry {index} ({reference or 'no reference'})"
    if not _REFERENCE.fullmatch(reference):
        issues.add(f"{label}: REFERENCE_NUMBER must look like KPi.034 or KPe.001",
                   field="REFERENCE_NUMBER", value=reference, **where)
        return None
    listed = _text(element, "LISTED_ON")
    try:
        day = dt.date.fromisoformat(listed)
    except ValueError:
        issues.add(f"{label}: LISTED_ON must be a date YYYY-MM-DD", field="LISTED_ON",
                   value=listed, **where)
        return None
    name = " ".join(p for p in (_text(element, tag) for tag in _NAME_PARTS) if p)
    if not name:
        issues.add(f"{label}: no name", field="FIRST_NAME", **where)
        return None
    comments = _text(element, "COMMENTS1")
    return {
        "_loc": index, "date": day, "actor": "UN", "target": "PRK",
        "kind": "sanctions_designation",
        "attrs": {"issuer": "UNSC", "reference": reference, "name": name,
                  "entry_type": entry_type, "regime": "DPRK (resolution 1718)",
                  "title": f"UN listing of {name}"},
        "source": source, "source_ref": reference, "confidence": "high",
        "summary": comments or None, "match_key": listing_key(day, reference),
    }


def listing_key(day: dt.date, reference: str = "*") -> str:
    """The cross-source key of a UN listing: one entry, or (``*``) every entry of the day, which
    a curated listing action summarises (``un_actions``)."""
    return f"sanctions_designation|UN|{day.isoformat()}|{reference}"
