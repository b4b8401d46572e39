"""A spec's selector values against what the event store actually holds.

A valid spec can still match nothing: ``issuer: Treasury`` is well formed, but the record's
sanctions actions say ``OFAC``. ``unmatched(agreement, store)`` names every selector value (and
target) that no stored event of that kind carries, with the store's values and the closest one,
so that a commitment never "holds" because of a typo.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from detente.agreements.spec import Agreement
from detente.events.kinds import attr_specs


@dataclass(frozen=True)
class Unmatched:
    """A selector value no stored event of its kind has."""

    commitment: str
    kind: str
    attribute: str          # an attribute name, or "target"
    value: Any
    known: tuple[str, ...]  # the values the store holds for it (at most 12 shown)
    suggestion: str | None

    def __str__(self) -> str:
        where = f"{self.kind} {self.attribute}={self.value!r}"
        have = (", ".join(self.known[:12]) + (", ..." if len(self.known) > 12 else "")
                if self.known else "none")
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return (f"{self.commitment}: no event in the store has {where}, so it never matches "
                f"(values in the store: {have}){hint}")

    def to_json_dict(self) -> dict[str, Any]:
        return {"commitment": self.commitment, "kind": self.kind, "attribute": self.attribute,
                "value": self.value, "known": list(self.known), "suggestion": self.suggestion,
                "message": str(self)}


def _values(store, kind: str, attribute: str, is_list: bool) -> tuple[str, ...]:
    if attribute == "target":
        sql = "SELECT DISTINCT target FROM events WHERE kind = ? AND target IS NOT NULL"
    elif is_list:
        sql = (f"SELECT DISTINCT unnest(json_extract_string(attrs, '$.\"{attribute}\"[*]')) "
               "FROM events WHERE kind = ?")
    else:
        sql = (f"SELECT DISTINCT json_extract_string(attrs, '$.\"{attribute}\"') FROM events "
               "WHERE kind = ?")
    rows = store.con.execute(sql, [kind]).fetchall()
    return tuple(sorted(str(r[0]) for r in rows if r[0] is not None))


def suggest(value: str, known: tuple[str, ...]) -> str | None:
    """The stored value ``value`` most likely means: the same letters in another case, else
    the closest spelling."""
    same = [k for k in known if k.lower() == value.lower()]
    if same:
        return same[0]
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    return close[0] if close else None


def unmatched(agreement: Agreement, store) -> list[Unmatched]:
    """Every string selector value (and target) of ``agreement`` that the store never holds."""
    out: list[Unmatched] = []
    cache: dict[tuple[str, str], tuple[str, ...]] = {}
    for c in agreement.commitments:
        selectors = [*c.refrains_from, *(u.selector for u in c.undertakes)]
        for s in selectors:
            specs = attr_specs(s.kind)
            checks = [(name, s.accepted(name), specs[name].type == "list")
                      for name in s.where if specs[name].type in ("str", "list")]
            if s.target:
                checks.append(("target", list(s.target), False))
            for name, accepted, is_list in checks:
                key = (s.kind.value, name)
                if key not in cache:
                    cache[key] = _values(store, s.kind.value, name, is_list)
                known = cache[key]
                for value in accepted:
                    if isinstance(value, str) and value not in known:
                        out.append(Unmatched(c.id, s.kind.value, name, value, known,
                                             suggest(value, known)))
    return out
