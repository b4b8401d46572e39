"""Curated table of UN Security Council actions on North Korea (``un_actions.csv``).

Columns ``date, body, action, reference, title, vote, vetoed_by, proposed_by, individuals,
entities, vessels, trigger, note, confidence, source, url`` (the curated rules of
``curated.py``). Each row is one action of the Council (``UNSC``) or its 1718 Committee:

* ``resolution`` (imposes or tightens measures) and ``renewal`` (renews a mandate, such as the
  Panel of Experts') are ``sanctions_resolution`` events of actor ``UN``, target ``PRK``, with
  ``resolution`` (the number), ``action``, ``vote`` and ``trigger``;
* ``presidential_statement`` and ``press_statement`` are ``announcement`` events of the UN,
  ``category`` the action;
* ``draft_vetoed`` and ``draft_failed`` are ``proposal`` events by the drafting states
  (``proposed_by``; the UN when no source names them) with ``vote`` and ``vetoed_by``: a
  proposal put forward that the Council did not adopt;
* ``listing`` (1718 Committee designations outside a resolution) is a ``sanctions_designation``
  of the UN, ``issuer`` UNSC, with the counts and ``proposed_by``. Its key
  (``sanctions_designation|UN|<day>|*``) makes it a further source of the day's entries of the
  consolidated list (``un_list``) when those are in the store, so a designation is counted once.

``source_ref`` is ``<date>|<action>|<reference or title>``.
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
from detente.events.ingest.un_list import listing_key

FORMAT = "un-actions"
TITLE = "UN Security Council actions on North Korea, 1993-2024 (curated)"
DESCRIPTION = ("curated UN Security Council actions table (date,body,action,reference,title,"
               "vote,vetoed_by,proposed_by,individuals,entities,vessels,trigger,note,"
               "confidence,source,url)")
SOURCE = "curated-un-actions"
COLUMNS = ("date", "body", "action", "reference", "title", "vote", "vetoed_by", "proposed_by",
           "individuals", "entities", "vessels", "trigger", "note", "confidence", "source",
           "url")
BODIES = ("UNSC", "1718 Committee")
KINDS = {"resolution": "sanctions_resolution", "renewal": "sanctions_resolution",
         "presidential_statement": "announcement", "press_statement": "announcement",
         "draft_vetoed": "proposal", "draft_failed": "proposal",
         "listing": "sanctions_designation"}
_VOTE = re.compile(r"^\d{1,2}-\d{1,2}-\d{1,2}$")


def detect(path: Path) -> bool:
    return csv_with_columns(path, "date", "body", "action", "reference", "vetoed_by")


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         encoding: str = "utf-8", **_: Any) -> Batch:
    """A ``Batch`` of Security Council actions; see the module docstring."""
    file = str(path)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    refs_seen: dict[str, int] = {}
    for line, r in csv_records(read_text(path, encoding), file, COLUMNS):
        where: dict[str, Any] = {"line": line}
        day = iso_date(r["date"], issues, "date", required=True, **where)
        curated.choice(r, "body", BODIES, issues, **where)
        action = curated.choice(r, "action", KINDS, issues, **where)
        vote = r["vote"].strip()
        if vote and not _VOTE.match(vote):
            issues.add("expected for-against-abstaining, e.g. 15-0-0", field="vote", value=vote,
                       **where)
        vetoed = curated.codes(r, "vetoed_by", issues, **where)
        if vetoed and action != "draft_vetoed":
            issues.add("only a vetoed draft names who vetoed it", field="vetoed_by",
                       value=r["vetoed_by"], **where)
        if action == "draft_vetoed" and not vetoed:
            issues.add("a vetoed draft names who vetoed it", field="vetoed_by", **where)
        proposed = curated.codes(r, "proposed_by", issues, **where)
        counts = {c: curated.count(r, c, issues, **where)
                  for c in ("individuals", "entities", "vessels")}
        reference = curated.text(r, "reference")
        title = curated.text(r, "title")
        if not title:
            issues.add("missing value", field="title", **where)
        if action in ("resolution", "renewal") and not (reference or "").isdigit():
            issues.add("a resolution's reference is its number", field="reference",
                       value=reference, **where)
        cites, url = curated.citations(r, issues, **where)
        level = curated.confidence(r, issues, **where)
        if day is None or action is None or not title:
            continue
        ref = f"{day.isoformat()}|{action}|{reference or title}"
        if ref in refs_seen:
            issues.add(f"duplicate of line {refs_seen[ref]} (same date, action and reference)",
                       field="reference", value=reference, **where)
            continue
        refs_seen[ref] = line
        kind = KINDS[action]
        actor, target = "UN", "PRK"
        attrs: dict[str, Any] = {"title": title, "reference": reference, "url": url,
                                 "citations": cites, "proposed_by": proposed or None}
        if kind == "sanctions_resolution":
            attrs |= {"issuer": "UNSC", "resolution": reference, "action": action,
                      "vote": vote or None, "trigger": curated.text(r, "trigger")}
        elif kind == "announcement":
            attrs |= {"category": action}
        elif kind == "proposal":
            actor = proposed[0] if proposed else "UN"
            attrs |= {"category": action, "vote": vote or None, "vetoed_by": vetoed or None,
                      "parties": proposed or None}
        else:
            attrs |= {"issuer": "UNSC", "action": "listing", **counts}
        rows.append({
            "_loc": line, "date": day, "actor": actor, "target": target, "kind": kind,
            "attrs": attrs, "source": source, "source_ref": ref, "confidence": level,
            "summary": curated.text(r, "note"),
            # A listing action summarises the day's entries of the consolidated list.
            "match_key": listing_key(day) if action == "listing" else None,
        })
    issues.raise_if_any()
    by_kind: dict[str, int] = {}
    for row in rows:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + 1
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line",
                 notes=(f"{len(rows)} actions: "
                        + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())),))
