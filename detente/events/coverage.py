"""What each source covers, and so where the record can see and where it is blind.

A **coverage declaration** says that a source reports every event (``complete``) or some events
(``partial``) of some kinds, by some actors, optionally restricted to some attribute values
(``issuer: [OFAC]``), from one UTC day to another, both included. Declarations are stored with
their source in the event store (``coverage`` table) and the bundled record ships its own
(``data/coverage.yaml``, docs/data.md).

**Observability.** A selector (a commitment's ``refrains_from`` entry, or an undertaking) by a
party is *observed* on a day at the best level any declaration active that day gives it:
``complete`` when some complete declaration covers every value the selector accepts,
``partial`` ("thin") when only partial declarations do, or when the selector accepts values no
declaration restricts itself to (``{kind: sanctions_designation}`` with only OFAC declared), and
``none`` when no declaration covers it: a blind day, never a day of compliance. Where a
selector accepts several values of a restricted attribute (``issuer: [OFAC, State]``) each value
must be covered, possibly by different sources. A commitment is observed at the lowest level of
its selectors.

A store with no declarations at all (an older store, or one a user filled with undeclared files)
is *undeclared*: every day counts as observed, and results say that gaps count as quiet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detente.events import actors
from detente.events.kinds import Kind, attr_specs
from detente.sql import literal

Completeness = Literal["complete", "partial"]
Level = Literal["none", "partial", "complete"]
_RANK: dict[str, int] = {"none": 0, "partial": 1, "complete": 2}
ANY_ACTOR = "*"
_ANY = object()  # a selector that accepts every value of an attribute


def lower(a: Level, b: Level) -> Level:
    return a if _RANK[a] <= _RANK[b] else b


class Coverage(BaseModel):
    """One source's declaration of what it reports completely (or partially), and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1)
    kinds: tuple[Kind, ...] = Field(min_length=1)
    actors: tuple[str, ...] = Field(min_length=1)
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    start: dt.date
    end: dt.date
    completeness: Completeness = "complete"
    note: str = ""

    @field_validator("actors")
    @classmethod
    def _known_actors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if code != ANY_ACTOR and not actors.is_valid_code(code):
                raise ValueError(f"{code!r} is not an actor code (or * for any actor)")
        return value

    @field_validator("where")
    @classmethod
    def _some_values(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name, values in value.items():
            if not values:
                raise ValueError(f"where.{name}: list at least one value, or leave it out")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Coverage:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        for name in self.where:
            for kind in self.kinds:
                if name not in attr_specs(kind):
                    raise ValueError(f"where.{name}: not an attribute of kind {kind.value}")
        return self

    @property
    def key(self) -> str:
        """A stable digest of the whole declaration (declaring it twice adds nothing)."""
        return hashlib.sha256(json.dumps(self.to_json_dict(), sort_keys=True).encode()
                              ).hexdigest()[:16]

    def scope_label(self) -> str:
        """``missile_test, nuclear_test by PRK`` / ``sanctions_designation issuer OFAC by USA``."""
        kinds = ", ".join(k.value for k in self.kinds)
        where = "".join(f" {name} {'/'.join(values)}" for name, values in self.where.items())
        who = "any actor" if ANY_ACTOR in self.actors else "/".join(self.actors)
        return f"{kinds}{where} by {who}"

    def describe(self) -> str:
        return (f"{self.source}: {self.scope_label()}, {self.completeness} from {self.start} "
                f"to {self.end}")

    def in_scope(self, kind: str, actor: str, parties: Sequence[str] = (),
                 attrs: Mapping[str, Any] | None = None) -> bool:
        """Whether an event of this kind by this actor (or listing these parties) with these
        attributes is the sort of event this declaration is about (whatever its date)."""
        if kind not in {k.value for k in self.kinds}:
            return False
        if ANY_ACTOR not in self.actors and actor not in self.actors \
                and not set(parties) & set(self.actors):
            return False
        attrs = attrs or {}
        return all(_has_value(attrs.get(name), values) for name, values in self.where.items())

    def to_json_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kinds": [k.value for k in self.kinds],
                "actors": list(self.actors),
                "where": {k: list(v) for k, v in self.where.items()},
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "completeness": self.completeness, "note": self.note}


def _has_value(value: Any, accepted: Sequence[str]) -> bool:
    if isinstance(value, list | tuple):
        return any(v in accepted for v in value)
    return value in accepted


# --- observability ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """Days ``start..end`` (inclusive) observed at one level, and by which sources."""

    start: dt.date
    end: dt.date
    level: Level
    sources: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_json_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "days": self.days, "level": self.level, "sources": list(self.sources)}


class Target:
    """What must be observed: events of a kind with some attribute values, by one party (or,
    with ``party`` None, by whichever actors the sources report)."""

    def __init__(self, kind: str, party: str | None, where: Mapping[str, Any] | None = None):
        self.kind = str(kind)
        self.party = party
        self.where = {name: (list(v) if isinstance(v, list | tuple) else [v])
                      for name, v in (where or {}).items()}

    def label(self) -> str:
        where = "".join(f" {n} {'/'.join(map(str, v))}" for n, v in self.where.items())
        return f"{self.kind}{where} by {self.party or 'any actor'}"

    def level(self, declarations: Sequence[Coverage]) -> tuple[Level, tuple[str, ...]]:
        """The level the declarations give this target (their dates are not looked at), and
        the sources that give it."""
        relevant = [d for d in declarations if self.kind in {k.value for k in d.kinds}
                    and (ANY_ACTOR in d.actors or self.party is None
                         or self.party in d.actors)]
        if not relevant:
            return "none", ()
        restricted = sorted({name for d in relevant for name in d.where})
        choices = [self.where.get(name, [_ANY]) for name in restricted]
        overall: Level = "complete"
        used: set[str] = set()
        for atom in itertools.product(*choices):
            best: Level = "none"
            best_sources: list[str] = []
            for d in relevant:
                level: Level = d.completeness
                for name, value in zip(restricted, atom, strict=True):
                    if name not in d.where:
                        continue
                    if value is _ANY:
                        level = lower(level, "partial")
                    elif str(value) not in d.where[name]:
                        level = "none"
                if _RANK[level] > _RANK[best]:
                    best, best_sources = level, [d.source]
                elif level == best and level != "none":
                    best_sources.append(d.source)
            overall = lower(overall, best)
            used.update(best_sources)
        return overall, tuple(sorted(used)) if overall != "none" else ()


def spans(declarations: Sequence[Coverage], targets: Sequence[Target], start: dt.date,
          end: dt.date) -> tuple[Span, ...]:
    """The observability of ``targets`` (all of them: the lowest level wins) over
    ``start..end``, as maximal runs of days with one level."""
    if end < start:
        return ()
    cuts = {start, end + dt.timedelta(days=1)}
    for d in declarations:
        for day in (d.start, d.end + dt.timedelta(days=1)):
            if start < day <= end:
                cuts.add(day)
    edges = sorted(cuts)
    out: list[Span] = []
    for a, b in itertools.pairwise(edges):
        active = [d for d in declarations if d.start <= a and d.end >= a]
        level: Level = "complete"
        sources: set[str] = set()
        for target in targets:
            got, used = target.level(active)
            level = lower(level, got)
            sources.update(used)
        last = b - dt.timedelta(days=1)
        srcs = tuple(sorted(sources)) if level != "none" else ()
        if out and out[-1].level == level and out[-1].sources == srcs:
            out[-1] = Span(out[-1].start, last, level, srcs)
        else:
            out.append(Span(a, last, level, srcs))
    return tuple(out)


def gaps(found: Iterable[Span], level: Level = "none") -> tuple[Span, ...]:
    """The spans at ``level``."""
    return tuple(s for s in found if s.level == level)


def parse_declarations(data: Any, file: str, line_of=None, *,
                       today: dt.date | None = None) -> list[Coverage]:
    """Declarations from plain data ``{source: [{kinds, actors, where, from, to,
    completeness, note}, ...]}`` (the layout of ``data/coverage.yaml``); errors name the file,
    line and field. ``to: ongoing`` (a feed that is still reporting) means ``today``, and is
    allowed only when ``today`` is given (``detente watch --coverage``)."""
    from pydantic import ValidationError

    from detente.errors import Problem, SpecError

    problems: list[Problem] = []
    out: list[Coverage] = []
    if not isinstance(data, Mapping):
        raise SpecError.single("expected a mapping of source -> list of declarations",
                               file=file, line=1)
    for source, items in data.items():
        if not isinstance(items, list):
            problems.append(Problem("expected a list of declarations", file=file,
                                    line=line_of((source,)) if line_of else None,
                                    field=str(source)))
            continue
        for i, item in enumerate(items):
            path: tuple[Any, ...] = (source, i)
            if not isinstance(item, Mapping):
                problems.append(Problem("expected a mapping", file=file, field=f"{source}.{i}",
                                        line=line_of(path) if line_of else None))
                continue
            unknown = set(item) - {"kinds", "actors", "where", "from", "to", "completeness",
                                   "note"}
            for key in sorted(unknown):
                problems.append(Problem("unknown key (kinds, actors, where, from, to, "
                                        "completeness, note)", file=file, field=f"{source}.{i}"
                                        f".{key}", line=line_of((*path, key)) if line_of
                                        else None))
            if unknown:
                continue
            end = item.get("to")
            if end == "ongoing":
                if today is None:
                    problems.append(Problem(
                        "'ongoing' is for a feed watched by detente watch --coverage; give "
                        "the last day the source covers", file=file, field=f"{source}.{i}.to",
                        line=line_of((*path, "to")) if line_of else None, value=end))
                    continue
                end = today
            raw = {"source": str(source), "kinds": _listed(item.get("kinds")),
                   "actors": _listed(item.get("actors")),
                   "where": {k: _listed(v) for k, v in (item.get("where") or {}).items()},
                   "start": item.get("from"), "end": end,
                   "completeness": item.get("completeness", "complete"),
                   "note": " ".join(str(item.get("note") or "").split())}
            try:
                out.append(Coverage.model_validate(raw))
            except ValidationError as exc:
                for err in exc.errors():
                    loc = [{"start": "from", "end": "to"}.get(str(p), str(p))
                           for p in err["loc"]]
                    key = tuple(loc[:1])
                    problems.append(Problem(
                        err["msg"].removeprefix("Value error, "), file=file,
                        field=".".join([str(source), str(i), *loc]) if loc
                        else f"{source}.{i}",
                        line=line_of((*path, *key)) if line_of else None,
                        value=err.get("input") if not isinstance(err.get("input"), dict)
                        else None))
    SpecError.collect(f"{file}: {len(problems)} problem(s) in the coverage declarations",
                      problems)
    return out


def _listed(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) if not isinstance(v, str) else v for v in value)
    return value


def contradictions(declarations: Sequence[Coverage], rows: Iterable[Mapping[str, Any]]
                   ) -> list[tuple[Mapping[str, Any], Coverage]]:
    """Rows (``date``, ``kind``, ``actor``, ``attrs``) that a declaration of their source is
    about but that lie outside every such declaration's dates: the declaration contradicts the
    data. Each with the first declaration it falls outside."""
    bad = []
    for row in rows:
        attrs = row.get("attrs") or {}
        parties = attrs.get("parties") or () if isinstance(attrs, Mapping) else ()
        about = [d for d in declarations
                 if d.in_scope(str(row["kind"]), row["actor"], parties, attrs)]
        day = row["date"]
        day = day.date() if isinstance(day, dt.datetime) else day
        if about and not any(d.start <= day <= d.end for d in about):
            bad.append((row, about[0]))
    return bad


def read_sources(path: Path) -> list[Coverage]:
    """The coverage declarations of the bundled record (``sources.json``)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return [Coverage.model_validate(d)
            for record in document.get("sources", []) for d in record.get("coverage", [])]


def scope_sql(declaration: Coverage) -> str:
    """SQL over ``events e`` for ``declaration.in_scope`` (kind, actors, attribute values)."""
    kinds = ", ".join(literal(k.value) for k in declaration.kinds)
    parts = [f"e.kind IN ({kinds})"]
    if ANY_ACTOR not in declaration.actors:
        codes = ", ".join(literal(a) for a in declaration.actors)
        parts.append(f"(e.actor IN ({codes}) OR coalesce(list_has_any(json_extract_string("
                     f"e.attrs, '$.parties[*]'), [{codes}]), false))")
    for name, values in declaration.where.items():
        listed = ", ".join(literal(v) for v in values)
        parts.append(f"coalesce(json_extract_string(e.attrs, '$.\"{name}\"') IN ({listed}), "
                     "false)")
    return "(" + " AND ".join(parts) + ")"


def check_events(con: Any, declared: Sequence[Coverage], sources: set[str]) -> None:
    """Refuse (``IngestError``) declarations of ``sources`` that the store's events contradict:
    an event of the source (or one it is a further source of), in a declaration's scope, dated
    outside every declaration of that scope."""
    from detente.errors import IngestError

    declared = [d for d in declared if d.source in sources]
    for source in sorted(sources):
        mine = [d for d in declared if d.source == source]
        scopes = [scope_sql(d) for d in mine]
        if not scopes:
            continue
        inside = " OR ".join(f"({scope} AND e.date BETWEEN DATE '{d.start}' AND "
                             f"DATE '{d.end}')" for scope, d in zip(scopes, mine, strict=True))
        rows = con.execute(
            f"""SELECT e.id, e.date, e.kind, e.actor, e.source_ref FROM events e
                WHERE (e.source = ? OR e.id IN (SELECT event_id FROM aliases
                                                WHERE source = ?))
                  AND ({' OR '.join(scopes)}) AND NOT ({inside})
                ORDER BY e.date, e.id LIMIT 5""", [source, source]).fetchall()
        if rows:
            first = rows[0]
            about = next((d for d in mine if first[2] in {k.value for k in d.kinds}), mine[0])
            raise IngestError.single(
                f"the coverage declared for {source} ({about.scope_label()}, "
                f"{about.start} to {about.end}) leaves out its own event {first[4]!r} of "
                f"{first[1]} ({first[2]} by {first[3]}); {len(rows)}"
                f"{'+' if len(rows) == 5 else ''} such event(s): widen the declared dates",
                field="coverage", value=source)


def grid(declarations: Sequence[Coverage]) -> list[dict[str, Any]]:
    """Actor x kind (x restricted attribute values) x year: the best level each year has on
    every one of its days (``complete`` only when the whole year is covered completely), for
    charts and ``detente data coverage --chart``."""
    rows: dict[tuple[str, str, str], tuple[dict[str, tuple[str, ...]], list[Coverage]]] = {}
    for d in declarations:
        for declared in d.kinds:
            for actor in d.actors:
                label = "".join(f" {n} {'/'.join(v)}" for n, v in sorted(d.where.items()))
                rows.setdefault((actor, declared.value, label), (dict(d.where), []))[1].append(d)
    out = []
    for (actor, kind, where_text), (where, decls) in sorted(rows.items()):
        target = Target(kind, None if actor == ANY_ACTOR else actor,
                        {n: list(v) for n, v in where.items()})
        years, levels = [], []
        for year in range(min(d.start for d in decls).year, max(d.end for d in decls).year + 1):
            found = spans(decls, [target], dt.date(year, 1, 1), dt.date(year, 12, 31))
            if all(s.level == "complete" for s in found):
                level: Level = "complete"
            elif any(s.level != "none" for s in found):
                level = "partial"
            else:
                level = "none"
            years.append(year)
            levels.append(level)
        out.append({"actor": actor, "kind": kind + where_text, "years": years,
                    "levels": levels})
    return out


def read(path: str | Path, *, today: dt.date | None = None) -> list[Coverage]:
    """Declarations from a YAML file in the layout of ``data/coverage.yaml`` (source -> list of
    {kinds, actors, where, from, to, completeness, note}); errors name the line and field."""
    from detente import yamlio
    from detente.errors import SpecError

    doc = yamlio.read(path, SpecError)
    return parse_declarations(yamlio.to_plain(doc.data), str(path), doc.line_of, today=today)


def same_scope(a: Coverage, b: Coverage) -> bool:
    """Whether two declarations differ at most in their last day."""
    return a.model_copy(update={"end": b.end}) == b
