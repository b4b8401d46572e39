"""Curated diplomatic timeline and restraint steps (``diplomacy.csv``).

Columns ``start, end, kind, parties, category, title, note, confidence, source, url`` (the
curated rules of ``curated.py``: a source on every row, UTC days); ``parties`` is a
``;``-separated list of actor codes, the actor first. Each row is one event of its ``kind``
(agreement, summit, talks, announcement, proposal; the table's ``event`` kind, for things like
the Olympics, becomes ``other`` with ``attrs.label = "event"``): actor the first party, target
the second when there are exactly two, ``attrs.parties`` all of them, ``attrs.title`` the
title, ``attrs.category`` what sort of step it is (``loudspeaker_halt``,
``military_agreement_suspension``, ``detainee_release``, ... so that specs can select them).
Talks get ``attrs.format``: bilateral, six-party, or multilateral. ``source_ref`` is
``<start>|<title>``.
"""

from __future__ import annotations

import re
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
from detente.events.kinds import Kind

FORMAT = "diplomacy"
TITLE = "Diplomatic timeline and restraint steps of the Korean peninsula, 1991-2026 (curated)"
DESCRIPTION = ("curated diplomatic timeline (start,end,kind,parties,category,title,note,"
               "confidence,source,url)")
SOURCE = "curated-diplomacy"
COLUMNS = ("start", "end", "kind", "parties", "category", "title", "note", "confidence",
           "source", "url")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
KINDS = {"event": "other"}
SIX_PARTIES = frozenset({"USA", "PRK", "KOR", "CHN", "JPN", "RUS"})


def detect(path: Path) -> bool:
    return csv_with_columns(path, "start", "end", "kind", "parties", "title")


def _declared(con: duckdb.DuckDBPyConnection | None) -> set[str]:
    if con is None:
        return set()
    try:
        return {code for (code,) in con.execute("SELECT code FROM actors").fetchall()}
    except duckdb.Error:
        return set()


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of diplomatic events; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    declared = _declared(con)
    kinds = {k.value for k in Kind}
    rows: list[dict[str, Any]] = []
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where: dict[str, Any] = {"line": line}
        start = iso_date(r["start"], issues, "start", required=True, **where)
        end = iso_date(r["end"], issues, "end", **where)
        raw_kind = r["kind"].strip().lower()
        kind = KINDS.get(raw_kind, raw_kind)
        if kind not in kinds:
            issues.add(f"unknown kind; expected one of {', '.join(sorted(kinds | set(KINDS)))}",
                       field="kind", value=r["kind"], **where)
        parties = curated.codes(r, "parties", issues, declared, **where)
        if not parties:
            issues.add("missing value (actor codes separated by ';')", field="parties", **where)
        title = " ".join(r["title"].split())
        if not title:
            issues.add("missing value", field="title", **where)
        category = r["category"].strip()
        if category and not _CATEGORY.match(category):
            issues.add("expected lower_snake_case, e.g. loudspeaker_halt", field="category",
                       value=category, **where)
        if end is not None and start is not None and end < start:
            issues.add(f"is before start {start}", field="end", value=r["end"], **where)
        cites, url = curated.citations(r, issues, **where)
        level = curated.confidence(r, issues, **where)
        if start is None or not parties or not title or kind not in kinds:
            continue
        attrs: dict[str, Any] = {"title": title, "parties": parties,
                                 "category": category or None, "url": url, "citations": cites}
        if raw_kind in KINDS:
            attrs["label"] = raw_kind
        if kind == "talks":
            attrs["format"] = ("bilateral" if len(parties) == 2 else
                               "six-party" if set(parties) == SIX_PARTIES else "multilateral")
        rows.append({
            "_loc": line, "date": start, "end": end, "actor": parties[0],
            "target": parties[1] if len(parties) == 2 else None, "kind": kind, "attrs": attrs,
            "source": source, "source_ref": f"{start.isoformat()}|{title}",
            "confidence": level, "summary": curated.text(r, "note"),
        })
    issues.raise_if_any()
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} events; actor the first party, target the second when "
                        "there are two",))
