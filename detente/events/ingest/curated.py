"""Rules every curated table (``data/curated/*.csv``) follows, shared by their adapters.

Every row cites a source a reader can follow: ``source`` (publisher, title, date) is required,
``url`` holds one or more addresses separated by spaces; both become ``attrs.citations`` (the
first address also ``attrs.url``). ``confidence`` is high, medium or low; dates are UTC days
``YYYY-MM-DD``; counts are whole numbers or empty (unknown, not zero); actor lists are
``;``-separated codes. A broken rule is a problem naming the file, line and field.
"""

from __future__ import annotations

import re
from typing import Any

from detente.events import actors
from detente.events.ingest.records import Issues
from detente.events.kinds import CONFIDENCES

_URL = re.compile(r"^https?://\S+$")


def citations(r: dict[str, str], issues: Issues, **where: Any) -> tuple[list[str], str | None]:
    """(``attrs.citations``, ``attrs.url``) of a row: its addresses, then its source text."""
    source = " ".join((r.get("source") or "").split())
    if not source:
        issues.add("missing value: every curated row cites a source a reader can follow "
                   "(publisher, title, date)", field="source", **where)
    urls = (r.get("url") or "").split()
    for url in urls:
        if not _URL.match(url):
            issues.add("not an http(s) address", field="url", value=url, **where)
    urls = [u for u in urls if _URL.match(u)]
    return [*urls, *([source] if source else [])], (urls[0] if urls else None)


def confidence(r: dict[str, str], issues: Issues, **where: Any) -> str:
    value = (r.get("confidence") or "").strip()
    if value not in CONFIDENCES:
        issues.add(f"must be one of {', '.join(CONFIDENCES)}", field="confidence", value=value,
                   **where)
    return value or "low"


def count(r: dict[str, str], column: str, issues: Issues, **where: Any) -> int | None:
    """A whole number, or None for an empty cell (unknown)."""
    text = (r.get(column) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        issues.add("must be a whole number or empty (unknown)", field=column, value=text,
                   **where)
        return None
    return int(text)


def codes(r: dict[str, str], column: str, issues: Issues, declared: set[str] | None = None,
          **where: Any) -> list[str]:
    """``;``-separated actor codes (each must be known or declared)."""
    out = [p.strip().upper() for p in (r.get(column) or "").split(";") if p.strip()]
    for code in out:
        if not actors.is_known(code, declared or set()):
            issues.add("unknown actor code (ISO 3166-1 alpha-3, UN, EU, IAEA, or declare it "
                       "first)", field=column, value=code, **where)
    return out


def choice(r: dict[str, str], column: str, allowed: tuple[str, ...] | dict[str, Any],
           issues: Issues, **where: Any) -> str | None:
    """The cell if it is one of ``allowed`` (else a problem naming them)."""
    value = (r.get(column) or "").strip()
    if value not in allowed:
        issues.add(f"must be one of {', '.join(allowed)}", field=column, value=value, **where)
        return None
    return value


def text(r: dict[str, str], column: str) -> str | None:
    return " ".join((r.get(column) or "").split()) or None
