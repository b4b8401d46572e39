"""The API's answers as pydantic models: each is the ``response_model`` of its route, so the
OpenAPI schema documents what the library's ``to_json_dict()`` returns and schemathesis checks
every answer against it (``extra="forbid"``: a field the schema does not name is an error).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRef(_Out):
    source: str
    source_ref: str


class EventJson(_Out):
    id: str
    date: str
    end: str | None
    actor: str
    target: str | None
    kind: str
    attrs: dict[str, Any]
    source: str
    source_ref: str
    confidence: str
    summary: str | None
    match_key: str | None
    also: list[SourceRef]


class Act(_Out):
    """A breach or a response (``released_by``: who released the party, for a response; the
    release a late act came after, for a breach)."""

    party: str
    commitment: str
    date: str
    event: EventJson | None
    undertaking: str | None
    released_by: str | None = None


class Obligation(_Out):
    party: str
    commitment: str
    undertaking: str
    deadline: str
    status: Literal["met", "missed", "pending", "unobservable"]
    date: str | None
    event: EventJson | None


class Span(_Out):
    start: str
    end: str
    days: int
    level: Literal["none", "partial", "complete"]
    sources: list[str]


class CommitmentSummary(_Out):
    commitment: str
    party: str
    breaches: int
    responses: int
    first_breach: Act | None
    unobserved_days: int
    unobserved: list[Span]


class CommitmentSight(_Out):
    needs: str
    spans: list[Span]


class Observability(_Out):
    declared: bool
    start: str
    end: str
    commitments: dict[str, CommitmentSight]


class Segment(_Out):
    start: str
    end: str
    status: Literal["holding", "breached", "collapsed"]
    label: str
    breached_by: list[str]
    responded: list[str]
    unobserved: list[str]
    thin: list[str]


class Window(_Out):
    start: str
    end: str | None


class CheckOut(_Out):
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


class CommitmentVisibility(_Out):
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


class PartyVisibility(_Out):
    party: str
    commitments: list[str]
    weakest: str | None
    observability: float
    min_detection: float
    max_delay_days: float
    false_alarm_week: float
    false_alarm_h: float


class VerificationOut(_Out):
    """``verification.VerificationView.to_json_dict()``."""

    agreement: str
    horizon_days: float
    commitments: list[CommitmentVisibility]
    parties: list[PartyVisibility]
    asymmetry: float
    most_observable: list[str]
    least_observable: list[str]


class TensionPoint(_Out):
    date: str
    events: int
    conflict: float
    cooperation: float
    tension: float
    mean_weight: float | None
    smoothed: float | None = None


class TensionWeights(_Out):
    kinds: dict[str, float]
    military_exercise_status: dict[str, float]


class TensionOut(_Out):
    """``tension.TensionSeries.to_json_dict()``."""

    dyad: str
    freq: str
    halflife_days: float | None
    per_mention: bool
    unilateral: bool
    weights: TensionWeights
    series: list[TensionPoint]
