"""Curated table of US sanctions actions against North Korean targets
(``us_sanctions_actions.csv``).

Columns ``date, issuer, action, authority, individuals, entities, vessels, aircraft,
proposed_by, note, confidence, source, url`` (the curated rules of ``curated.py``). Each row is
one *action* (a press release, an SDN-list update, a determination, a FinCEN finding: many
parties at once):

* ``designation``, ``determination``, ``special_measure``, ``relisting`` and
  ``listing_proposal`` are ``sanctions_designation`` events: actor ``USA``, target ``PRK``,
  ``issuer`` (OFAC, State, FinCEN, BIS, DOJ) telling them apart, ``authority`` the legal basis,
  the counts of individuals, entities, vessels and aircraft designated (empty cells are
  unknown, not zero), and ``proposed_by`` for a UN listing the US proposed.
* ``easing`` (sanctions lifted or eased) is an ``announcement`` by the US, category
  ``sanctions_easing``: a restraint act, not a designation.

``source_ref`` is ``<date>|<issuer>|<action>``, with ``#2``... for further actions of the same
issuer and kind on one day, in file order.
"""

from __future__ import annotations

from collections import defaultdict
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

FORMAT = "us-sanctions"
TITLE = "US sanctions actions against North Korean targets, 2003-2026 (curated)"
DESCRIPTION = ("curated US sanctions actions table (date,issuer,action,authority,individuals,"
               "entities,vessels,aircraft,proposed_by,note,confidence,source,url)")
SOURCE = "curated-us-sanctions"
COLUMNS = ("date", "issuer", "action", "authority", "individuals", "entities", "vessels",
           "aircraft", "proposed_by", "note", "confidence", "source", "url")
ISSUERS = ("OFAC", "State", "FinCEN", "BIS", "DOJ")
ACTIONS = {"designation": "sanctions_designation", "determination": "sanctions_designation",
           "special_measure": "sanctions_designation", "relisting": "sanctions_designation",
           "listing_proposal": "sanctions_designation", "easing": "announcement"}
COUNTS = ("individuals", "entities", "vessels", "aircraft")


def detect(path: Path) -> bool:
    return csv_with_columns(path, "date", "issuer", "action", "individuals", "entities",
                            "vessels")


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of US sanctions actions; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where: dict[str, Any] = {"line": line}
        day = iso_date(r["date"], issues, "date", required=True, **where)
        issuer = curated.choice(r, "issuer", ISSUERS, issues, **where)
        action = curated.choice(r, "action", ACTIONS, issues, **where)
        counts = {c: curated.count(r, c, issues, **where) for c in COUNTS}
        proposed = curated.codes(r, "proposed_by", issues, **where)
        if proposed and action != "listing_proposal":
            issues.add("only a listing_proposal names who proposed it", field="proposed_by",
                       value=r["proposed_by"], **where)
        refs, url = curated.citations(r, issues, **where)
        level = curated.confidence(r, issues, **where)
        if day is None or issuer is None or action is None:
            continue
        kind = ACTIONS[action]
        if kind == "sanctions_designation":
            attrs = {"issuer": issuer, "action": action,
                     "authority": curated.text(r, "authority"), **counts,
                     "proposed_by": proposed or None,
                     "title": f"{issuer} {action.replace('_', ' ')}"}
        else:
            attrs = {"category": "sanctions_easing", "name": curated.text(r, "authority"),
                     "title": f"{issuer} sanctions easing"}
        rows.append({
            "_loc": line, "date": day, "actor": "USA", "target": "PRK", "kind": kind,
            "attrs": {**attrs, "url": url, "citations": refs},
            "source": source, "_ref": f"{day.isoformat()}|{issuer}|{action}",
            "confidence": level, "summary": curated.text(r, "note"),
        })
    issues.raise_if_any()
    seen: dict[str, int] = defaultdict(int)
    for row in rows:
        seen[row["_ref"]] += 1
        n = seen[row["_ref"]]
        row["source_ref"] = row.pop("_ref") + (f"#{n}" if n > 1 else "")
    by_issuer: dict[str, int] = defaultdict(int)
    for row in rows:
        by_issuer[row["source_ref"].split("|")[1]] += 1
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} actions (one event per action, with counts): "
                        + ", ".join(f"{k} {n}" for k, n in sorted(by_issuer.items())),))
