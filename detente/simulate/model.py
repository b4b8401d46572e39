"""The simulated world: parties, their occasions, their commitments' monitoring, their stakes.

Everything here is per *period* (a day, a week or a month). Rates written per week in specs and
options (``false_alarm``, ``temptation``, ``--rate``) are converted as
``1 - (1 - x) ** (days / 7)``; a delay becomes ``round(delay_days / days)`` periods.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from detente.agreements.spec import Agreement, Payoff
from detente.errors import ParameterError

PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 30.4375}
UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}
DEFAULT_DISCOUNT = 0.9  # per year: see docs/simulate.md ("Critical detection")
COLLAPSE_RULES = ("response", "breach")
_HORIZON_RE = re.compile(r"^\s*(?P<n>\d+(\.\d+)?)\s*(?P<unit>[dwmy]?)\s*$")


def period_days(period: str) -> float:
    try:
        return PERIOD_DAYS[period]
    except KeyError:
        raise ParameterError.single(f"unknown period; use one of {', '.join(PERIOD_DAYS)}",
                                    field="period", value=period) from None


def horizon_periods(horizon: str | int, period: str) -> int:
    """Periods in a horizon written ``10y``, ``24m``, ``520w``, ``90d`` or as a bare count of
    periods; must come to at least one period."""
    days = period_days(period)
    if isinstance(horizon, int | float) and not isinstance(horizon, bool):
        count: float = horizon
    else:
        match = _HORIZON_RE.match(str(horizon))
        if not match:
            raise ParameterError.single("expected a positive duration such as 10y, 24m, 520w, "
                                        "90d or a number of periods", field="horizon",
                                        value=horizon)
        n = float(match["n"])
        count = n if not match["unit"] else n * UNIT_DAYS[match["unit"]] / days
    periods = round(count)
    if periods < 1:
        raise ParameterError.single(f"must be at least one {period}", field="horizon",
                                    value=horizon)
    if periods > 100_000:
        raise ParameterError.single("at most 100000 periods", field="horizon", value=horizon)
    return int(periods)


def per_period(weekly: float, days: float) -> float:
    """A per-week probability converted to a period of ``days`` days."""
    return weekly if days == 7.0 else 1.0 - (1.0 - weekly) ** (days / 7.0)


def check_probability(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ParameterError.single("must be a number", field=name, value=value) from None
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise ParameterError.single("must be a probability in [0, 1]", field=name, value=value)
    return value


@dataclass(frozen=True)
class Monitor:
    """How one commitment's breaches are seen: per-breach ``detection`` after ``delay``
    periods; ``false_alarm`` per period without a breach; ``weight``: share of the party's
    breaches that fall on this commitment."""

    commitment: str
    detection: float
    delay: int
    false_alarm: float
    weight: float
    delay_days: float = 0.0
    #: weight of the false-alarm guess in weeks of observation: each run draws its rate per
    #: week from Beta(f n, (1 - f) n) with f the per-week rate; 0 keeps the rate fixed
    prior_weeks: float = 0.0

    def __post_init__(self) -> None:
        check_probability(f"{self.commitment}.detection", self.detection)
        check_probability(f"{self.commitment}.false_alarm", self.false_alarm)
        if self.delay < 0:
            raise ParameterError.single("must be >= 0", field=f"{self.commitment}.delay_days",
                                        value=self.delay_days)
        if not (self.prior_weeks >= 0.0) or math.isinf(self.prior_weeks):
            raise ParameterError.single("must be a finite number >= 0",
                                        field=f"{self.commitment}.false_alarm_weeks",
                                        value=self.prior_weeks)

    def false_alarm_per_week(self, days: float) -> float:
        return self.false_alarm if days == 7.0 else 1.0 - (1.0 - self.false_alarm) ** (7.0 / days)

    def prior(self, days: float) -> tuple[float, float] | None:
        """Beta(a, b) of the per-week false-alarm rate, or None when it is fixed."""
        f = self.false_alarm_per_week(days)
        if self.prior_weeks <= 0.0 or f <= 0.0 or f >= 1.0:
            return None
        return f * self.prior_weeks, (1.0 - f) * self.prior_weeks


@dataclass(frozen=True)
class Party:
    """One party: its occasions to breach per period (``temptation``), its trembles (a taken
    occasion flipped to restraint or a resisted one flipped to a breach, as Axelrod's noise),
    its stakes and its commitments' monitoring."""

    code: str
    temptation: float
    payoff: Payoff
    monitors: tuple[Monitor, ...]
    tremble: float = 0.0

    def __post_init__(self) -> None:
        check_probability(f"temptation@{self.code}", self.temptation)
        check_probability(f"tremble@{self.code}", self.tremble)
        if not self.monitors and self.temptation > 0:
            raise ParameterError.single("a party without restraint commitments cannot breach "
                                        "(its temptation must be 0)", field="temptation",
                                        value=self.code)

    @property
    def false_alarm(self) -> float:
        """Chance per period that some commitment of this party is falsely reported breached."""
        keep = 1.0
        for m in self.monitors:
            keep *= 1.0 - m.false_alarm
        return 1.0 - keep

    @property
    def detection(self) -> float:
        """Chance that a breach by this party is eventually observed (weighted over
        commitments)."""
        return sum(m.weight * m.detection for m in self.monitors)


@dataclass(frozen=True)
class Model:
    """What the engine simulates: parties, who a breach releases, period, horizon."""

    agreement: str
    parties: tuple[Party, ...]
    releases: tuple[tuple[bool, ...], ...]  # releases[i][j]: a breach by i releases j
    period: str = "week"
    horizon: int = 522
    discount: float = DEFAULT_DISCOUNT  # per year
    notes: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: "response": a run collapses at the first response to an observed breach (the
    #: counterfactual strategies); "breach": at the first observed real breach (the replay's
    #: rule: the default with fitted behaviour)
    collapse: str = "response"
    #: periods after a false alarm in which a party's breach counts as answering it
    response_periods: int = 13
    #: the default strategy of each party (fitted behaviour), where there is one
    behaviour: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        period_days(self.period)
        if self.horizon < 1:
            raise ParameterError.single("must be at least one period", field="horizon",
                                        value=self.horizon)
        if self.collapse not in COLLAPSE_RULES:
            raise ParameterError.single(f"use one of {', '.join(COLLAPSE_RULES)}",
                                        field="collapse", value=self.collapse)
        if not 0.0 < self.discount <= 1.0:
            raise ParameterError.single("must be in (0, 1] (per year)", field="discount",
                                        value=self.discount)
        n = len(self.parties)
        if len(self.releases) != n or any(len(r) != n for r in self.releases):
            raise ParameterError.single("releases must be a parties x parties matrix",
                                        field="releases")

    @property
    def days(self) -> float:
        return PERIOD_DAYS[self.period]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.parties)

    @property
    def delta(self) -> float:
        """Discount factor per period."""
        return self.discount ** (self.days / 365.25)

    def index(self, code: str) -> int:
        try:
            return self.codes.index(code)
        except ValueError:
            raise ParameterError.single(f"not a simulated party; parties: "
                                        f"{', '.join(self.codes)}", field="party",
                                        value=code) from None

    def periods_for_months(self, months: float) -> int:
        return round(months * 30.4375 / self.days)

    def replace_party(self, code: str, **changes: Any) -> Model:
        i = self.index(code)
        parties = list(self.parties)
        parties[i] = dataclasses.replace(parties[i], **changes)
        return dataclasses.replace(self, parties=tuple(parties))

    def with_monitors(self, code: str | None = None, **changes: Any) -> Model:
        """Every commitment of ``code`` (or of every party) with some monitoring changed."""
        parties = []
        for p in self.parties:
            if code is None or p.code == code:
                p = dataclasses.replace(p, monitors=tuple(
                    dataclasses.replace(m, **changes) for m in p.monitors))
            parties.append(p)
        return dataclasses.replace(self, parties=tuple(parties))


def build(agreement: Agreement, *, rates: Mapping[str, float], period: str = "week",
          horizon: str | int = "10y", payoffs: Mapping[str, Payoff] | None = None,
          tremble: Mapping[str, float] | None = None, discount: float = DEFAULT_DISCOUNT,
          weights: Mapping[str, float] | None = None, false_alarm_prior: bool = True) -> Model:
    """The model of ``agreement``: ``rates`` are temptation probabilities per *period* for
    every party with commitments (see ``detente.simulate.rates``); ``weights`` give each
    commitment's share of its party's breaches (default: equal shares)."""
    days = period_days(period)
    periods = horizon_periods(horizon, period)
    payoffs = dict(payoffs or {})
    tremble = dict(tremble or {})
    for name, given in (("rate", rates), ("payoff", payoffs), ("tremble", tremble)):
        for code in given:
            if code not in agreement.parties:
                raise ParameterError.single(f"not a party of {agreement.id}; parties: "
                                            f"{', '.join(agreement.parties)}", field=name,
                                            value=code)
    codes = list(agreement.parties)
    parties = []
    for code in codes:
        commitments = restraints(agreement, code)
        if not commitments:  # only undertakings, or none: it watches and responds only
            parties.append(Party(code=code, temptation=0.0, monitors=(),
                                 payoff=payoffs.get(code, agreement.payoff(code))))
            continue
        raw = [max(0.0, float((weights or {}).get(c.id, 1.0))) for c in commitments]
        total = sum(raw) or float(len(raw))
        shares = [w / total if sum(raw) else 1.0 / len(raw) for w in raw]
        monitors = tuple(
            Monitor(commitment=c.id, detection=c.verification.detection,
                    delay=math.floor(c.verification.delay_days / days + 0.5),
                    false_alarm=per_period(c.verification.false_alarm, days), weight=w,
                    delay_days=c.verification.delay_days,
                    prior_weeks=c.verification.false_alarm_weeks if false_alarm_prior else 0.0)
            for c, w in zip(commitments, shares, strict=True))
        if code not in rates:
            raise ParameterError.single("no temptation rate for this party", field="rate",
                                        value=code)
        parties.append(Party(code=code, temptation=check_probability(f"rate@{code}",
                                                                     rates[code]),
                             payoff=payoffs.get(code, agreement.payoff(code)),
                             monitors=monitors,
                             tremble=check_probability(f"tremble@{code}",
                                                       tremble.get(code, 0.0))))
    releases = tuple(tuple(j != i and b in agreement.reciprocity.released_by(a, list(codes))
                           for j, b in enumerate(codes)) for i, a in enumerate(codes))
    return Model(agreement=agreement.id, parties=tuple(parties), releases=releases,
                 period=period, horizon=periods, discount=discount,
                 response_periods=max(1, round(agreement.response_window_days / days)))


def restraints(agreement: Agreement, party: str) -> list:
    """The party's commitments that forbid something (undertakings, one-off positive
    obligations, are left to the monitor)."""
    return [c for c in agreement.commitments_of(party) if c.refrains_from]


def parse_assignments(items: list[str] | None, option: str) -> dict[str, str]:
    """``PARTY=VALUE`` items of a repeated option as a dict (errors name the option)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ParameterError.single("expected PARTY=VALUE", field=option, value=item)
        out[key.strip()] = value.strip()
    return out


def parse_payoff(text: str, base: Payoff, option: str = "payoff") -> Payoff:
    """``V,C,G`` (other_restraint, own_restraint, defection_gain) or ``key=value,...``."""
    keys = ("other_restraint", "own_restraint", "defection_gain")
    items = [p.strip() for p in text.split(",") if p.strip()]
    values: dict[str, Any] = {}
    try:
        if items and all("=" not in p for p in items):
            if len(items) != 3:
                raise ValueError
            values = dict(zip(keys, map(float, items), strict=True))
        else:
            for p in items:
                k, _, v = p.partition("=")
                if k.strip() not in keys:
                    raise ValueError
                values[k.strip()] = float(v)
    except ValueError:
        raise ParameterError.single("expected V,C,G or other_restraint=..,own_restraint=..,"
                                    "defection_gain=..", field=option, value=text) from None
    try:
        return base.model_copy(update=values) if not values else Payoff(
            **{**base.model_dump(), **values})
    except Exception as exc:  # pydantic's ValidationError: negative stakes
        raise ParameterError.single(f"invalid payoff: {exc.errors()[0]['msg']}"
                                    if hasattr(exc, "errors") else str(exc),
                                    field=option, value=text) from None


def prisoners_dilemma(turns: int, noise: float = 0.0, codes: tuple[str, str] = ("P1", "P2"),
                      discount: float = DEFAULT_DISCOUNT) -> Model:
    """Axelrod's noisy iterated prisoner's dilemma in detente's terms (the equivalent mode):
    every period is an occasion (temptation 1), every breach is seen at once and surely
    (detection 1, no delay, no false alarm), and ``noise`` flips each intended move, seen as
    flipped by both sides (tremble). With the default stakes (3, 1, 1) the payoffs are the
    standard R, S, T, P = 3, 0, 5, 1 less P = 1."""
    def party(code: str) -> Party:
        return Party(code=code, temptation=1.0, payoff=Payoff(), tremble=noise,
                     monitors=(Monitor(commitment=f"{code}-cooperates", detection=1.0, delay=0,
                                       false_alarm=0.0, weight=1.0),))
    return Model(agreement="prisoners-dilemma", parties=(party(codes[0]), party(codes[1])),
                 releases=((False, True), (True, False)), period="week", horizon=turns,
                 discount=discount)
