"""The agreement spec: parties, commitments, verification and reciprocity, validated.

The YAML keys (``refrains_from``, ``where``, ``undertakes``, ``verification`` with ``means``,
``detection``, ``delay_days``, ``false_alarm``, ``reciprocity``) are a public format: users write
their own specs against them, so they stay stable. See docs/agreements.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from detente import yamlio
from detente.errors import Problem, SpecError
from detente.events import actors
from detente.events.event import Event
from detente.events.kinds import Kind, attr_specs

Scalar = str | int | float | bool
# A breach seen more than ten years later is as good as never seen: say so with detection.
MAX_DELAY_DAYS = 3650


class _Frozen(BaseModel):
    # Infinite or NaN numbers are refused everywhere (probabilities, payoffs, delays).
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _check_party(code: str) -> str:
    if not actors.is_valid_code(code) or not actors.is_known(code):
        raise ValueError(actors.unknown_message(code))
    return code


# Validated item by item, so an error names the list index (``parties.2``).
PartyCode = Annotated[str, AfterValidator(_check_party)]


def _some_values(value: Any) -> Any:
    if isinstance(value, list) and not value:
        raise ValueError("an empty list accepts no value, so nothing would ever match: list "
                         "at least one value or leave the attribute out")
    return value


def _some_targets(value: list[str] | None) -> list[str] | None:
    if value is not None and not value:
        raise ValueError("an empty list accepts no target, so nothing would ever match: list "
                         "at least one actor or leave target out")
    return value


# ``where`` values: one accepted value or a non-empty list of them (error at ``where.NAME``).
WhereValue = Annotated[Scalar | list[Scalar], AfterValidator(_some_values)]


def _delay_days(value: float) -> float:
    if not (math.isfinite(value) and 0.0 <= value <= MAX_DELAY_DAYS):
        raise ValueError(f"must be a finite number of days from 0 to "
                         f"{MAX_DELAY_DAYS} (ten years)")
    return value


class Selector(_Frozen):
    """Which events a commitment is about: a kind, attribute values, optionally targets.

    ``where`` maps an attribute to one value or a list of accepted values; an event lacking the
    attribute does not match (an unknown missile class is not an ICBM).
    """

    kind: Kind
    where: dict[str, WhereValue] = Field(default_factory=dict)
    target: Annotated[list[PartyCode] | None, AfterValidator(_some_targets)] = None

    @model_validator(mode="after")
    def _known_attributes(self) -> Selector:
        specs = attr_specs(self.kind)
        for name, value in self.where.items():
            spec = specs.get(name)
            if spec is None:
                raise ValueError(
                    f"unknown attribute {name!r} for kind {self.kind.value}; "
                    f"known: {', '.join(sorted(specs))}")
            if spec.choices is not None:
                for v in value if isinstance(value, list) else [value]:
                    if v not in spec.choices:
                        same = [c for c in spec.choices if c.lower() == str(v).lower()]
                        hint = f" (did you mean {same[0]}?)" if same else ""
                        raise ValueError(f"where.{name}: {v!r} is not one of "
                                         f"{', '.join(spec.choices)}{hint}")
        return self

    def accepted(self, name: str) -> list[Scalar]:
        value = self.where[name]
        return list(value) if isinstance(value, list) else [value]

    def matches(self, event: Event) -> bool:
        """Whether ``event`` is of this kind, has accepted attribute values and target.

        A list-valued attribute (``parties``) matches when any of its items is accepted.
        """
        if event.kind != self.kind:
            return False
        if self.target is not None and event.target not in self.target:
            return False
        return all(_accepts(self.accepted(name), event.attrs.get(name)) for name in self.where)


def _accepts(accepted: list[Scalar], value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(v in accepted for v in value)
    return value in accepted


class Verification(_Frozen):
    """How well the other parties can see a commitment kept or broken.

    ``detection``: probability that a real breach is observed; ``delay_days``: days from breach to
    observation; ``false_alarm``: probability, per week, that a breach is reported when none
    happened (convert to other periods as 1 - (1 - f) ** (days / 7)).
    """

    means: str = Field(min_length=1)
    detection: float = Field(ge=0.0, le=1.0)
    # Infinity passes the model's no-infinity rule to this validator, which states the bound.
    delay_days: Annotated[float, Field(allow_inf_nan=True), AfterValidator(_delay_days)] = 0.0
    false_alarm: float = Field(default=0.0, ge=0.0, le=1.0)
    # How many weeks of observation the false-alarm guess is worth: the simulator draws each
    # run's rate from Beta(f n, (1 - f) n) (docs/simulate.md); 0 fixes it at ``false_alarm``.
    false_alarm_weeks: float = Field(default=100.0, ge=0.0, le=1e6)


class Undertaking(_Frozen):
    """A positive obligation: an event of ``kind``/``where`` by the party within a deadline."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    kind: Kind
    where: dict[str, WhereValue] = Field(default_factory=dict)
    within_days: int | None = Field(default=None, ge=0)
    by: yamlio.Date | None = None

    @model_validator(mode="after")
    def _deadline(self) -> Undertaking:
        if (self.within_days is None) == (self.by is None):
            raise ValueError("give exactly one deadline: within_days or by")
        Selector(kind=self.kind, where=self.where)  # same attribute rules as a selector
        return self

    @property
    def selector(self) -> Selector:
        return Selector(kind=self.kind, where=self.where)

    def deadline(self, start: dt.date) -> dt.date:
        if self.by is not None:
            return self.by
        assert self.within_days is not None  # the validator requires one of the two
        return start + dt.timedelta(days=self.within_days)


class Commitment(_Frozen):
    """What one party promises: to refrain from some events, and/or to undertake others."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    party: PartyCode
    description: str = ""
    refrains_from: list[Selector] = Field(default_factory=list)
    undertakes: list[Undertaking] = Field(default_factory=list)
    verification: Verification

    @model_validator(mode="after")
    def _not_empty(self) -> Commitment:
        if not self.refrains_from and not self.undertakes:
            raise ValueError("a commitment needs refrains_from and/or undertakes")
        return self

    def is_breach(self, event: Event) -> bool:
        """Whether ``event`` is an act of this party that the commitment forbids."""
        return by_party(event, self.party) and any(s.matches(event) for s in self.refrains_from)


class Payoff(_Frozen):
    """One party's per-period stakes, in arbitrary but common units.

    ``other_restraint``: value of the other side's restraint; ``own_restraint``: cost of one's own
    restraint; ``defection_gain``: extra gain from breaching while the other side restrains.
    """

    other_restraint: float = Field(default=3.0, ge=0.0)
    own_restraint: float = Field(default=1.0, ge=0.0)
    defection_gain: float = Field(default=1.0, ge=0.0)


class Reciprocity(_Frozen):
    """Who is released by whose breach. ``mutual``: a breach releases every other party;
    ``none``: nobody is released; otherwise an explicit map breaching party -> released."""

    mode: Literal["mutual", "none", "explicit"] = "mutual"
    releases: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in ("mutual", "none"):
                raise ValueError(f"reciprocity must be mutual, none or a map party -> "
                                 f"[released parties], got {value!r}")
            return {"mode": value}
        # An empty mapping is ``Reciprocity()``, the default (a spec's ``{}`` is refused in
        # ``Agreement``): reading it as an explicit map would release nobody.
        if isinstance(value, Mapping) and value and "mode" not in value \
                and "releases" not in value:
            return {"mode": "explicit", "releases": dict(value)}
        if value is None:
            raise ValueError("reciprocity must be mutual, none or a map party -> "
                             "[released parties]")
        return value

    @model_serializer
    def _to_yaml(self) -> Any:
        return self.mode if self.mode != "explicit" else {k: list(v) for k, v in
                                                          self.releases.items()}

    def released_by(self, breacher: str, parties: list[str]) -> list[str]:
        """The parties a breach by ``breacher`` releases."""
        if self.mode == "mutual":
            return [p for p in parties if p != breacher]
        if self.mode == "none":
            return []
        return list(self.releases.get(breacher, []))


class Agreement(_Frozen):
    """A reciprocal-restraint agreement, as written in a spec file."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = Field(min_length=1)
    parties: list[PartyCode] = Field(min_length=1)
    start: yamlio.Date
    end: yamlio.Date | None = None
    commitments: list[Commitment] = Field(min_length=1)
    reciprocity: Reciprocity = Field(default_factory=Reciprocity)
    # How long after a release a released party's act still counts as a response to it
    # (docs/agreements.md); later acts are breaches of their own.
    response_window_days: int = Field(default=90, ge=0, le=MAX_DELAY_DAYS)
    payoffs: dict[str, Payoff] = Field(default_factory=dict)
    # Chance per week that a party has an occasion to breach (the simulator's temptation rate);
    # when absent, detente estimates it from the event store (docs/simulate.md).
    temptation: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)
    rationale: str = ""
    sources: list[str] = Field(default_factory=list)

    @field_validator("reciprocity", mode="before")
    @classmethod
    def _no_empty_map(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and not value:
            raise ValueError("an empty reciprocity map releases nobody: write none for that, "
                             "or mutual (the default)")
        return value

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Agreement:
        # YAML loaders defer these checks so that each problem gets its own line number.
        if not (info.context or {}).get("defer_cross_checks"):
            problems = cross_problems(self)
            if problems:
                raise ValueError("; ".join(message for _, message, _ in problems))
        return self

    def commitment(self, commitment_id: str) -> Commitment:
        for c in self.commitments:
            if c.id == commitment_id:
                return c
        raise KeyError(commitment_id)

    def commitments_of(self, party: str) -> list[Commitment]:
        return [c for c in self.commitments if c.party == party]

    def payoff(self, party: str) -> Payoff:
        return self.payoffs.get(party, Payoff())

    def with_window(self, start: dt.date | None = None, end: dt.date | None = None) -> Agreement:
        """The same agreement replayed over another window (``--start``/``--end``)."""
        update: dict[str, Any] = {}
        if start is not None:
            update["start"] = start
        if end is not None:
            update["end"] = end
        if not update:
            return self
        return Agreement.model_validate({**self.to_dict(), **{k: v.isoformat()
                                                              for k, v in update.items()}})

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the YAML layout (dates as ISO strings, defaults left out)."""
        return self.model_dump(mode="json", exclude_defaults=True, by_alias=True) | {
            "reciprocity": self.reciprocity.model_dump(mode="json")}

    def to_yaml(self) -> str:
        return yamlio.dump(self.to_dict())


def cross_problems(agreement: Agreement) -> list[tuple[tuple[str | int, ...], str, Any]]:
    """Rules that span fields, each as (path, message, bad value)."""
    out: list[tuple[tuple[str | int, ...], str, Any]] = []
    parties = agreement.parties
    seen: set[str] = set()
    undertakings: set[str] = set()
    for i, p in enumerate(parties):
        if p in parties[:i]:
            out.append((("parties", i), "duplicate party", p))
    if agreement.end is not None and agreement.end < agreement.start:
        out.append((("end",), f"end is before start {agreement.start}", str(agreement.end)))
    for i, c in enumerate(agreement.commitments):
        if c.id in seen:
            out.append((("commitments", i, "id"), "duplicate commitment id", c.id))
        seen.add(c.id)
        if c.party not in parties:
            out.append((("commitments", i, "party"),
                        f"not one of the agreement's parties {parties}", c.party))
        for j, u in enumerate(c.undertakes):
            base = ("commitments", i, "undertakes", j)
            if u.id in undertakings:
                out.append(((*base, "id"), "duplicate undertaking id", u.id))
            undertakings.add(u.id)
            out.extend(_deadline_problems(base, u.by, agreement.start, agreement.end))
    for breacher, released in agreement.reciprocity.releases.items():
        for p in [breacher, *released]:
            if p not in parties:
                out.append((("reciprocity", breacher), f"not one of the parties {parties}", p))
    for p in agreement.payoffs:
        if p not in parties:
            out.append((("payoffs", p), f"not one of the parties {parties}", p))
    for p in agreement.temptation:
        if p not in parties:
            out.append((("temptation", p), f"not one of the parties {parties}", p))
    return out


def _deadline_problems(base: tuple[str | int, ...], by: dt.date | None, start: dt.date | None,
                       end: dt.date | None) -> list[tuple[tuple[str | int, ...], str, Any]]:
    """A fixed deadline must fall inside the window: one before the start would be missed on
    the first day, one after the end is a date the agreement does not reach. (A relative one,
    ``within_days``, may run past the end: missed after the window is no breach, as the
    monitor documents.)"""
    out: list[tuple[tuple[str | int, ...], str, Any]] = []
    if start is not None and end is not None and end < start:
        end = None  # the window itself is wrong (reported as such): judge the start only
    if by is not None and start is not None and by < start:
        out.append(((*base, "by"), f"deadline is before start {start} (it would be missed on "
                                   "the first day)", str(by)))
    if by is not None and end is not None and by > end:
        out.append(((*base, "by"), f"deadline is after end {end}", str(by)))
    return out


def _raw_cross_problems(data: Any) -> list[tuple[tuple[str | int, ...], str, Any]]:
    """The main cross-field rules on plain data, for a spec that also has field errors, so that
    one run reports every problem; each rule skips what it cannot read."""
    if not isinstance(data, Mapping):
        return []
    out: list[tuple[tuple[str | int, ...], str, Any]] = []
    raw_parties = data.get("parties")
    parties = [p for p in raw_parties if isinstance(p, str)] if isinstance(raw_parties, list) \
        else []
    for i, p in enumerate(parties):
        if p in parties[:i]:
            out.append((("parties", i), "duplicate party", p))
    start, end = (_plain_date(data.get(k)) for k in ("start", "end"))
    if start is not None and end is not None and end < start:
        out.append((("end",), f"end is before start {start}", str(end)))
    commitments = data.get("commitments")
    seen: set[str] = set()
    undertakings: set[str] = set()
    for i, c in enumerate(commitments if isinstance(commitments, list) else []):
        if not isinstance(c, Mapping):
            continue
        raw_undertakes = c.get("undertakes")
        for j, u in enumerate(raw_undertakes if isinstance(raw_undertakes, list) else []):
            if not isinstance(u, Mapping):
                continue
            base = ("commitments", i, "undertakes", j)
            uid = u.get("id")
            if isinstance(uid, str):
                if uid in undertakings:
                    out.append(((*base, "id"), "duplicate undertaking id", uid))
                undertakings.add(uid)
            out.extend(_deadline_problems(base, _plain_date(u.get("by")), start, end))
        cid, party = c.get("id"), c.get("party")
        if isinstance(cid, str):
            if cid in seen:
                out.append((("commitments", i, "id"), "duplicate commitment id", cid))
            seen.add(cid)
        # With a misspelt party in the list, membership would only echo that error.
        valid = parties and len(parties) == len(raw_parties or ()) and all(
            actors.is_valid_code(p) and actors.is_known(p) for p in parties)
        if isinstance(party, str) and valid and party not in parties:
            out.append((("commitments", i, "party"),
                        f"not one of the agreement's parties {parties}", party))
    return out


def _plain_date(value: Any) -> dt.date | None:
    try:
        return yamlio.as_date(value) if value is not None else None
    except ValueError:
        return None


def _validated(doc: yamlio.Located) -> Agreement:
    try:
        agreement = yamlio.validate(Agreement, doc, SpecError,
                                    context={"defer_cross_checks": True})
    except SpecError as error:
        known = {p.field for p in error.problems}
        extra = [Problem(message, file=doc.file, line=doc.line_of(path),
                         field=".".join(str(p) for p in path), value=value)
                 for path, message, value in _raw_cross_problems(yamlio.to_plain(doc.data))
                 if ".".join(str(p) for p in path) not in known]
        if not extra:
            raise
        problems = sorted([*error.problems, *extra], key=lambda p: (p.line or 0))
        raise SpecError(f"{doc.file}: {len(problems)} problem(s)", problems) from None
    problems = [Problem(message, file=doc.file, line=doc.line_of(path),
                        field=".".join(str(p) for p in path), value=value)
                for path, message, value in cross_problems(agreement)]
    SpecError.collect(f"{doc.file}: {len(problems)} problem(s)", problems)
    return agreement


def by_party(event: Event, party: str) -> bool:
    """Whether ``party`` did ``event``: it is the actor, or listed among the event's parties
    (joint acts such as combined exercises)."""
    return event.actor == party or party in (event.attrs.get("parties") or ())


def parse(text: str, file: str = "<spec>") -> Agreement:
    """An agreement from YAML text; errors name the file, line and field."""
    return _validated(yamlio.parse(text, file, SpecError))


def load(path: str | Path) -> Agreement:
    """An agreement from a YAML file; errors name the file, line and field."""
    return _validated(yamlio.read(path, SpecError))
