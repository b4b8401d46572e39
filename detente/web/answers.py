"""The API's forecasts as pydantic models (simulation, evaluation, dialogue), as
``detente.web.schemas`` has the answers read from the record: each is a route's
``response_model``, exact (``extra="forbid"``), built from what the library's ``to_json_dict()``
returns. Keys that are data (party codes, issue and model names) are ``dict`` keys; closed
value sets are ``Literal``s (tests check them against the library's own tuples).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from detente.web.schemas import Exact

# detente.dialogue.solvers.MODELS and detente.evaluate.METHODS (tests/test_results_contract.py)
DialogueModel = Literal["compromise", "median", "nash", "bdm", "smp"]
Method = Literal["default", "hazard", "grim", "base_all", "base_5y", "persistence", "weibull",
                 "km"]


# --- simulation (``SimulationResult.to_json_dict()``) -----------------------------------------

class ByMonths(Exact):
    """P(holding) after 6, 12 and 24 months; null beyond the horizon."""

    m6: float | None = Field(alias="6m")
    m12: float | None = Field(alias="12m")
    m24: float | None = Field(alias="24m")


class CollapseCauses(Exact):
    real_breach: int
    false_alarm: int


class CollapseShares(Exact):
    real_breach: float
    false_alarm: float


class SurvivalPoint(Exact):
    """S(period) with a pointwise Wilson band."""

    period: int
    p: float
    lo: float
    hi: float


class CommitmentCritical(Exact):
    id: str
    detection: float
    delay_periods: int
    critical: float | None  # null: no detection probability suffices
    self_enforcing: bool


class CriticalDetection(Exact):
    """``analytic.PartyThreshold.to_json_dict()``: the binding commitment's critical detection
    probability under the punishment the strategies inflict."""

    critical: float | None
    detection: float | None
    self_enforcing: bool
    commitment: str | None
    delta: float
    temptation: float
    punishment_rate: float
    false_alarm: float
    punishment: str  # "grim" or "L periods"
    T: float
    R: float
    P: float
    commitments: list[CommitmentCritical]


class Coefficient(Exact):
    term: str
    coef: float
    se: float
    lo: float
    hi: float


class HazardState(Exact):
    """The party's state on the day the forecast starts."""

    weeks_since: int
    past_year: int
    other_since: int
    diplomacy: bool
    exercises: bool


class FittedHazard(Exact):
    """``hazard.HazardModel.to_json_dict()`` with the hazard and state at the start."""

    party: str
    rows: int
    acts: int
    weekly_rate: float
    penalty_c: float
    detection: float
    fitted_from: str
    fitted_to: str
    coefficients: list[Coefficient]
    hazard_now: float
    state: HazardState


class RateOut(Exact):
    """``rates.Rate.to_json_dict()``: a party's temptation rate and where it came from."""

    party: str
    rate: float
    source: Literal["option", "spec", "store", "fitted", "fitted-mean"]
    per_week: float | None
    start: str | None
    end: str | None
    periods: int | None
    periods_with_events: int | None
    events: int | None
    recorded: float | None
    detection: float | None
    weights: dict[str, float]
    by_commitment: dict[str, int]
    record_end: str | None
    warnings: list[str]
    coverage_declared: bool
    hazard: FittedHazard | None
    description: str


class FalseAlarmQuantile(Exact):
    """P(holding) with every false-alarm rate at one quantile of its prior."""

    quantile: float
    false_alarm_per_week: dict[str, float]  # by commitment
    runs: int
    p_holding: ByMonths


class SimulationOut(Exact):
    """``SimulationResult.to_json_dict()``; party codes key the per-party maps."""

    agreement: str
    runs: int
    seed: int | None
    period: Literal["day", "week", "month"]
    horizon_periods: int
    strategies: dict[str, str]
    collapse_rule: Literal["response", "breach"]
    median_periods: int | None
    median_interval_periods: list[int | None] = Field(
        description="95% interval of the median period (Monte Carlo error, from the Wilson "
                    "band); null: beyond the horizon.")
    mean_periods: float
    p_holding: ByMonths
    collapsed: float
    first_breaker: dict[str, float]
    collapse_causes: CollapseCauses
    collapse_cause_shares: CollapseShares
    cooperation: dict[str, float]
    mean_payoff: dict[str, float]
    survival: list[SurvivalPoint] = []  # left out when asked without the curve
    critical_detection: dict[str, CriticalDetection]
    rates: dict[str, RateOut]
    false_alarm_sensitivity: list[FalseAlarmQuantile]
    spawn_key: list[int]
    elapsed_s: float


# --- evaluation (``evaluate.Evaluation.to_json_dict()``) --------------------------------------

class ScoreOut(Exact):
    method: Method
    horizon: int
    brier: float
    log_score: float
    n: int
    n_eff: float
    observed_held: float


class SkillOut(Exact):
    """Brier skill of a model against a baseline, with a block-bootstrap interval (null when
    undefined); ``verdict`` only when the interval excludes zero."""

    model: Method
    baseline: Method
    horizon: int
    skill: float | None
    lo: float | None
    hi: float | None
    n: int
    years: int
    verdict: str | None


class ReliabilityOut(Exact):
    method: Method
    horizon: int
    lo: float
    hi: float
    n: int
    mean_forecast: float
    observed: float


class EvaluationOut(Exact):
    """``evaluate.Evaluation.to_json_dict()``: the forecasts scored out of sample."""

    agreements: list[str]
    origins: list[int]
    horizons_weeks: list[int]
    methods: list[Method]
    runs_per_start: int
    seed: int
    bootstrap_draws: int
    record_end: str
    cases: int
    scored: str
    scores: list[ScoreOut]
    skills: list[SkillOut]
    verdicts: list[str]
    reliability: list[ReliabilityOut]
    skipped: dict[str, str]  # what was left out (agreement@year, method:agreement@year): why
    elapsed_s: float


# --- dialogue (``dialogue.analysis.Analysis.to_json_dict()`` and what the route adds) ---------

class ScenarioHead(Exact):
    id: str
    title: str
    as_of: str | None
    disclaimer: str
    how_to_change: str
    actors: list[str]
    issues: list[str]


class ModelRun(Exact):
    name: DialogueModel
    title: str
    rounds: int | None
    notes: list[str]


class SpreadOut(Exact):
    """How far the models' forecasts of an issue lie apart."""

    issue: str
    min: float
    max: float
    range: float
    std: float
    share_of_scale: float
    label: Literal["low", "medium", "high"]
    lowest_model: DialogueModel
    highest_model: DialogueModel


class IssueOut(Exact):
    issue: str
    name: str
    scale: list[float] = Field(min_length=2, max_length=2)
    status_quo: float
    forecasts: dict[str, float]  # by model
    anchors_near: dict[str, str | None]
    zone: list[float] | None = Field(min_length=2, max_length=2)  # null: no zone of agreement
    zone_reason: str
    spread: SpreadOut
    final_positions: dict[str, float] | None  # by actor, of the first dynamic model
    final_positions_model: DialogueModel | None
    final_positions_by_model: dict[str, dict[str, float]]


class Acceptance(Exact):
    actor: str
    veto: bool
    accepts: bool
    gain: float
    costliest_issue: str | None
    cost: float
    red_lines: list[str]
    reason: str


class PackageOut(Exact):
    name: str
    how: str
    positions: dict[str, float]  # by issue
    viable: bool
    verdict: str
    acceptance: list[Acceptance]


class TopActor(Exact):
    actor: str
    share: float


class MostInfluential(Exact):
    actor: str
    mean_share: float


class IssueSensitivityOut(Exact):
    issue: str
    baseline: float
    mean: float
    std: float
    p05: float
    p95: float
    r2: float
    top: list[TopActor]
    shares: dict[str, float]


class SensitivityOut(Exact):
    model: DialogueModel
    samples: int
    seed: int
    regressors: int
    share_noise: float
    r2_noise: float
    most_influential: MostInfluential
    issues: list[IssueSensitivityOut]


class Episode(Exact):
    id: str
    title: str
    date: str
    outcome: dict[str, float]  # by issue


class EpisodeError(Exact):
    episode: str
    mae: float
    by_issue: dict[str, float]
    crosses_red_lines_of: list[str]


class ModelScore(Exact):
    model: str  # a dialogue model, or "status quo"
    forecast: list[float]
    mean_error: float
    beats_status_quo: bool
    verdict: str
    errors: list[EpisodeError]


class Scorecard(Exact):
    """``outcomes.Scorecard.to_json_dict()``: the models' forecast error on known outcomes."""

    scenario: str
    episodes: list[Episode]
    models: list[ModelScore]


class Chance(Exact):
    """One actor's acceptance of a proposal (``probability.Chance.to_json_dict()``)."""

    actor: str
    role: str
    veto: bool
    p_accept: float
    accepts: bool
    gain: float
    gain_mean: float
    gain_90: list[float] = Field(min_length=2, max_length=2)
    costliest_issue: str | None
    cost: float
    red_lines: list[str]
    reason: str


class ProposalOutlook(Exact):
    """A bundled proposal tested for acceptance (``probability.Outlook.to_json_dict()``)."""

    proposal: str
    name: str
    signatories: list[str]
    consent: list[str]
    p_viable: float
    outlook: Literal["likely", "unlikely", "uncertain"]
    verdict: str
    driver: str | None
    driving_issue: str | None
    samples: int
    seed: int
    third_party_weight: float
    acceptance: list[Chance]


class DialogueOut(Exact):
    """``Analysis.to_json_dict()`` with the forecast error and the proposals asked for."""

    scenario: ScenarioHead
    models: list[ModelRun]
    issues: list[IssueOut]
    packages: list[PackageOut]
    sensitivity: SensitivityOut | None
    forecast_error: Scorecard | None
    acceptance: list[ProposalOutlook]
