"""Curated diplomatic timeline (``diplomacy.csv``).

Columns ``start, end, kind, parties, title, note, confidence``; ``parties`` is a ``;``-separated
list of actor codes. Each row is one event of its ``kind`` (agreement, summit, talks,
announcement, proposal; the table's ``event`` kind, for things like the Olympics, becomes
``other`` with ``attrs.label = "event"``): actor the first party, target the second when there
are exactly two, ``attrs.parties`` all of them, ``attrs.title`` the title. Talks get
``attrs.format``: bilateral, six-party, or multilateral. ``source_ref`` is ``<start>|<title>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from detente.events import actors
from detente.events.ingest import Batch
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
TITLE = "Diplomatic timeline of the Korean peninsula, 1994-2022 (curated)"
DESCRIPTION = "curated diplomatic timeline (start,end,kind,parties,title,note,confidence)"
SOURCE = "curated-diplomacy"
COLUMNS = ("start", "end", "kind", "parties", "title", "note", "confidence")
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
    rows = []
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where = {"line": line}
        start = iso_date(r["start"], issues, "start", required=True, **where)
        end = iso_date(r["end"], issues, "end", **where)
        raw_kind = r["kind"].strip().lower()
        kind = KINDS.get(raw_kind, raw_kind)
        if kind not in kinds:
            issues.add(f"unknown kind; expected one of {', '.join(sorted(kinds | set(KINDS)))}",
                       field="kind", value=r["kind"], **where)
        parties = [p.strip().upper() for p in r["parties"].split(";") if p.strip()]
        if not parties:
            issues.add("missing value (actor codes separated by ';')", field="parties", **where)
        for code in parties:
            if not actors.is_known(code, declared):
                issues.add("unknown actor code (ISO 3166-1 alpha-3, UN, EU, IAEA, or declare "
                           "it first)", field="parties", value=code, **where)
        title = " ".join(r["title"].split())
        if not title:
            issues.add("missing value", field="title", **where)
        if start is None or not parties or not title or kind not in kinds:
            continue
        attrs: dict[str, Any] = {"title": title, "parties": parties}
        if raw_kind in KINDS:
            attrs["label"] = raw_kind
        if kind == "talks":
            attrs["format"] = ("bilateral" if len(parties) == 2 else
                               "six-party" if set(parties) == SIX_PARTIES else "multilateral")
        rows.append({
            "_loc": line, "date": start, "end": end, "actor": parties[0],
            "target": parties[1] if len(parties) == 2 else None, "kind": kind, "attrs": attrs,
            "source": source, "source_ref": f"{start.isoformat()}|{title}",
            "confidence": r["confidence"].strip() or "high",
            "summary": " ".join(r["note"].split()) or None,
        })
    issues.raise_if_any()
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} events; actor the first party, target the second when "
                        "there are two",))
