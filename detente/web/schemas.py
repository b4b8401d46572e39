"""The API's answers as pydantic models: each is the ``response_model`` of its route, so the
OpenAPI schema documents what the library's ``to_json_dict()`` returns and schemathesis checks
every answer against it (``extra="forbid"``: a field the schema does not name is an error).

Here the answers read from the record (agreement, check, what-if, verification, tension,
health); the forecasts (simulation, evaluation, dialogue) are in ``detente.web.answers``.
Undefined statistics (NaN) are answered as null (``api.clean``), so a float that can be
undefined is ``float | None``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from detente.events.kinds import Kind


class Exact(BaseModel):
    """An answer's model: a field it does not name is an error."""

    model_config = ConfigDict(extra="forbid")


class SourceRef(Exact):
    source: str
    source_ref: str


class EventJson(Exact):
    """An event as every route answers it (the events pages and the events cited by checks)."""

    id: str
    date: dt.date
    end: dt.date | None
    actor: str
    target: str | None
    kind: Kind
    attrs: dict[str, Any]
    source: str
    source_ref: str
    confidence: str
    summary: str | None
    match_key: str | None
    also: list[SourceRef]


class Act(Exact):
    """A breach or a response (``released_by``: who released the party, for a response; the
    release a late act came after, for a breach)."""

    party: str
    commitment: str
    date: str
    event: EventJson | None
    undertaking: str | None
    released_by: str | None = None


class Obligation(Exact):
    party: str
    commitment: str
    undertaking: str
    deadline: str
    status: Literal["met", "missed", "pending", "unobservable"]
    date: str | None
    event: EventJson | None


class Span(Exact):
    start: str
    end: str
    days: int
    level: Literal["none", "partial", "complete"]
    sources: list[str]


class CommitmentSummary(Exact):
    commitment: str
    party: str
    breaches: int
    responses: int
    first_breach: Act | None
    unobserved_days: int
    unobserved: list[Span]


class CommitmentSight(Exact):
    needs: str
    spans: list[Span]


class Observability(Exact):
    declared: bool
    start: str
    end: str
    commitments: dict[str, CommitmentSight]


class Segment(Exact):
    start: str
    end: str
    status: Literal["holding", "breached", "collapsed"]
    label: str
    breached_by: list[str]
    responded: list[str]
    unobserved: list[str]
    thin: list[str]


class Window(Exact):
    start: str
    end: str | None


class CheckOut(Exact):
    """``monitor.Report.to_json_dict()``: the agreement replayed against the record."""

    agreement: str
    title: str
    window: Window
    as_of: str
    status: Literal["holding", "breached", "collapsed"]
    status_label: str
    first_breach: Act | None
    first_breakers: list[str]
    first_breach_uncertain_because: list[str]
    first_breach_by_party: dict[str, Act | None]
    breaches: list[Act]
    responses: list[Act]
    response_window_days: int
    obligations: list[Obligation]
    commitments: list[CommitmentSummary]
    coverage_declared: bool
    observability: Observability | None
    timeline: list[Segment]


class CommitmentVisibility(Exact):
    commitment: str
    party: str
    observers: list[str]
    means: str
    detection: float
    delay_days: float
    false_alarm_week: float
    false_alarm_h: float
    timely_detection: float
    informedness: float


class PartyVisibility(Exact):
    party: str
    commitments: list[str]
    weakest: str | None
    observability: float
    min_detection: float
    max_delay_days: float
    false_alarm_week: float
    false_alarm_h: float


class VerificationOut(Exact):
    """``verification.VerificationView.to_json_dict()``."""

    agreement: str
    horizon_days: float
    commitments: list[CommitmentVisibility]
    parties: list[PartyVisibility]
    asymmetry: float
    most_observable: list[str]
    least_observable: list[str]


class TensionPoint(Exact):
    date: str
    events: int
    conflict: float
    cooperation: float
    tension: float
    mean_weight: float | None
    smoothed: float | None = None


class TensionWeights(Exact):
    kinds: dict[str, float]
    military_exercise_status: dict[str, float]


class TensionOut(Exact):
    """``tension.TensionSeries.to_json_dict()``."""

    dyad: str
    freq: str
    halflife_days: float | None
    per_mention: bool
    unilateral: bool
    weights: TensionWeights
    series: list[TensionPoint]


class Health(Exact):
    """``GET /api/health``."""

    status: Literal["ok"]
    version: str
    events: int
    first: str | None
    last: str | None
    read_only: bool
    worker: int


# --- an agreement spec in full (``Agreement.to_dict()``: defaults left out) ------------------

Scalar = str | int | float | bool
Releases = Literal["mutual", "none"] | dict[str, list[str]]


class SelectorSpec(Exact):
    kind: Kind
    where: dict[str, Scalar | list[Scalar]] = {}
    target: list[str] | None = None


class UndertakingSpec(Exact):
    id: str
    description: str = ""
    kind: Kind
    where: dict[str, Scalar | list[Scalar]] = {}
    within_days: int | None = None
    by: str | None = None


class VerificationSpec(Exact):
    means: str
    detection: float
    delay_days: float | None = 0.0  # null: never seen (an infinite delay)
    false_alarm: float = 0.0
    false_alarm_weeks: float = 100.0


class CommitmentSpec(Exact):
    id: str
    party: str
    description: str = ""
    refrains_from: list[SelectorSpec] = []
    undertakes: list[UndertakingSpec] = []
    verification: VerificationSpec


class PayoffSpec(Exact):
    other_restraint: float = 3.0
    own_restraint: float = 1.0
    defection_gain: float = 1.0


class AgreementSpec(Exact):
    """``Agreement.to_dict()``: the spec in its YAML layout, fields at their default left
    out (docs/agreements.md)."""

    id: str
    title: str
    parties: list[str]
    start: str
    end: str | None = None
    commitments: list[CommitmentSpec]
    reciprocity: Releases
    response_window_days: int = 90
    payoffs: dict[str, PayoffSpec] = {}
    temptation: dict[str, float] = {}
    rationale: str = ""
    sources: list[str] = []


# --- what-if ---------------------------------------------------------------------------------

class WhatIfStart(Exact):
    start: str
    breach_date: str | None
    days_held: int
    breaker: str | None  # a party, or joint first breakers: "PRK+USA"
    commitment: str | None
    event_id: str | None
    censored: bool
    observed: bool
    blind_from: str | None
    blind_commitment: str | None
    thin: bool


class WhatIfSurvival(Exact):
    """A step of the Kaplan-Meier curve; with the bootstrap band (``band: year``), Greenwood's
    band beside it."""

    days: int
    p: float
    lo: float
    hi: float
    greenwood_lo: float | None = None
    greenwood_hi: float | None = None


class WhatIfShare(Exact):
    breaker: str  # a party, joint breakers ("PRK+USA"), "none" or "unobserved"
    starts: int
    share: float
    share_of_observed: float
    share_of_breached: float
    among_first: int


class WhatIfOut(Exact):
    """``replay.WhatIfResult.to_json_dict()``: the agreement replayed from every start."""

    agreement: str
    start: str = Field(alias="from")  # the first start ("from" is a Python keyword)
    to: str
    step_days: int
    record_end: str
    term_days: int | None
    n_starts: int
    breached: int
    censored: int
    unobserved: int
    thin: int
    coverage_declared: bool
    median_days: float | None
    median_interval_days: list[float | None] = Field(
        description="95% interval of the median from the band: [first day the lower bound "
                    "reaches 0.5, first day the upper bound does]; null: beyond observation.")
    band: Literal["greenwood", "year"]
    ending_events: int
    bootstrap_draws: int
    shares: list[WhatIfShare]
    survival: list[WhatIfSurvival]
    starts: list[WhatIfStart]
