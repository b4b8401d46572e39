"""The ``Event``: one thing that happened, with where it came from."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detente.events import actors
from detente.events.kinds import CONFIDENCES, Kind, check_attrs

ID_LENGTH = 16
_SEP = "\x1f"  # unit separator: cannot occur in a source name, so (a, bc) != (ab, c)


def event_id(source: str, source_ref: str) -> str:
    """Stable id of an event: a hash of its source and the source's own key for it.

    The store computes the same value in SQL (``id_sql``), so
    re-ingesting a file gives the same ids and adds nothing.
    """
    digest = hashlib.sha256(f"{source}{_SEP}{source_ref}".encode()).hexdigest()
    return digest[:ID_LENGTH]


def id_sql(source: str = "source", source_ref: str = "source_ref") -> str:
    """``event_id`` in DuckDB SQL, over the text of the two expressions."""
    return (f"substr(sha256(CAST({source} AS VARCHAR) || chr(31) || "
            f"CAST({source_ref} AS VARCHAR)), 1, {ID_LENGTH})")


class SourceRef(BaseModel):
    """A further source that records the same event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    source_ref: str


class Event(BaseModel):
    """One event. ``id`` defaults to ``event_id(source, source_ref)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    date: dt.date
    end: dt.date | None = None
    actor: str
    target: str | None = None
    kind: Kind
    attrs: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(min_length=1)
    source_ref: str = Field(min_length=1)
    confidence: str = "high"
    summary: str | None = None
    match_key: str | None = None
    also: tuple[SourceRef, ...] = ()

    @field_validator("actor", "target")
    @classmethod
    def _actor_code(cls, value: str | None) -> str | None:
        if value is not None and not actors.is_valid_code(value):
            raise ValueError(f"actor code must be 2-16 upper-case letters or digits, got {value!r}")
        return value

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, value: str) -> str:
        if value not in CONFIDENCES:
            raise ValueError(f"confidence must be one of {', '.join(CONFIDENCES)}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        if self.end is not None and self.end < self.date:
            raise ValueError(f"end {self.end} is before date {self.date}")
        problems = check_attrs(self.kind, self.attrs)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        if not self.id:
            object.__setattr__(self, "id", event_id(self.source, self.source_ref))
        return self

    @property
    def last_day(self) -> dt.date:
        """The last day the event covers (``end`` or ``date``)."""
        return self.end or self.date

    def to_json_dict(self) -> dict[str, Any]:
        """The public JSON form (what ``detente events list --format json`` prints)."""
        return json_record({**{name: getattr(self, name) for name in JSON_FIELDS},
                            "also": [r.model_dump() for r in self.also]})

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        """An event from a store row (attrs as JSON text, dates as dates or ISO strings)."""
        data = dict(row)
        if isinstance(data.get("attrs"), str):
            data["attrs"] = json.loads(data["attrs"])
        if data.get("attrs") is None:
            data["attrs"] = {}
        data["also"] = tuple(SourceRef(**r) for r in (data.get("also") or ()))
        return cls.model_validate(data)


# A cell a spreadsheet would run as a formula (OWASP, "CSV injection"), or one that already
# looks defused (quotes, then such a character), so that ``defused`` is reversed exactly.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
# A defused cell, in SQL (reading a CSV export back: ``detente.events.ingest.generic``).
FORMULA_SQL = r"^'+[=+\-@\t\r]"


def defused(text: str) -> str:
    """``text`` for a CSV cell: with a leading single quote if a spreadsheet would run it
    (it starts with =, +, -, @, a tab or a carriage return) or if it already starts with
    quotes followed by one of those; reading the export back removes exactly one."""
    return "'" + text if _FORMULA.match(text) else text


JSON_FIELDS = ("id", "date", "end", "actor", "target", "kind", "attrs", "source", "source_ref",
               "confidence", "summary", "match_key", "also")


def json_record(row: dict[str, Any]) -> dict[str, Any]:
    """The public JSON form of an event given as a store row or as ``Event`` fields."""
    attrs = row.get("attrs")
    if isinstance(attrs, str):
        attrs = json.loads(attrs)
    out = {name: row.get(name) for name in JSON_FIELDS}
    for name in ("date", "end"):
        value = out[name]
        if value is not None and hasattr(value, "isoformat"):
            out[name] = value.isoformat()[:10]
    out["kind"] = str(out["kind"]) if out["kind"] is not None else None
    out["attrs"] = attrs or {}
    out["also"] = [dict(r) for r in (out["also"] or [])]
    return out
