"""Behaviour fitted to the record: a discrete-time hazard per party, regularised logistic.

For each party with restraint commitments, week by week over the observed weeks before a cut
day, ``P(the party acts in week t)`` (an act: an event that would breach one of its commitments
in the agreement) is modelled as a logistic function of what was known before week ``t``:

* ``log_weeks_since``: ``log(1 + weeks since its own last act)`` (capped at ten years): acts
  cluster, so the chance falls as a quiet spell lengthens;
* ``acted_last_week``: it acted in week ``t - 1``;
* ``share_past_year``: share of the past 52 weeks in which it acted;
* ``reaction``: a party whose breach releases it acted within the response window
  (``response_window_days``, default 90 days: 13 weeks);
* ``diplomacy``: talks, a summit or an agreement among the six parties in the past 26 weeks;
* ``exercises``: a combined US-ROK exercise was under way in the past 4 weeks.

Fitted with scikit-learn's ``LogisticRegression`` (L2 penalty ``C`` on standardised features,
intercept unpenalised); the uncertainty of the coefficients is the Laplace approximation
(the inverse of the penalised log-likelihood's Hessian at the fit), shown in original units.
Rows are the weeks the record can see the party, after a year it could see (so that the
features are read from observed weeks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.errors import ParameterError
from detente.simulate.history import Record, Weeks

FEATURES = ("log_weeks_since", "acted_last_week", "share_past_year", "reaction", "diplomacy",
            "exercises")
CAP_WEEKS = 520
YEAR = 52
DIPLOMACY_WEEKS = 26
EXERCISE_WEEKS = 4
DEFAULT_C = 1.0
PENALTIES = (0.01, 0.1, 1.0, 10.0)
VALIDATION_WEEKS = 260   # the last five years of observed weeks before the cut
MIN_ROWS = 104
Z95 = 1.959963984540054


def _since(flags: np.ndarray) -> np.ndarray:
    """For each week k (0..n, n = len(flags)): weeks since the last flagged week before k
    (1 if week k - 1), capped at ``CAP_WEEKS``."""
    n = len(flags)
    idx = np.where(flags, np.arange(n), -10 * CAP_WEEKS)
    last = np.concatenate([[-10 * CAP_WEEKS], np.maximum.accumulate(idx)])
    return np.minimum(np.arange(n + 1) - last, CAP_WEEKS)


def _window(flags: np.ndarray, width: int) -> np.ndarray:
    """For each week k (0..n): flagged weeks among k - width .. k - 1."""
    c = np.concatenate([[0], np.cumsum(flags.astype(np.int64))])
    k = np.arange(len(flags) + 1)
    return c[k] - c[np.maximum(k - width, 0)]


def response_weeks(record: Record) -> int:
    return max(1, math.ceil(record.response_days / 7))


def features(weeks: Weeks, party: str, record: Record) -> np.ndarray:
    """Feature rows for weeks 0..count (row ``count`` is the week after the cut)."""
    acted = weeks.acted[party]
    since = _since(acted)
    other = np.zeros(weeks.count, bool)
    for q in record.releasers.get(party, ()):
        other |= weeks.acted[q]
    return np.column_stack([
        np.log1p(since), since == 1, _window(acted, YEAR) / YEAR,
        _window(other, response_weeks(record)) > 0,
        _window(weeks.context["diplomacy"], DIPLOMACY_WEEKS) > 0,
        _window(weeks.context["exercises"], EXERCISE_WEEKS) > 0,
    ]).astype(float)


@dataclass(frozen=True)
class HazardModel:
    """One party's fitted weekly hazard of a recorded act."""

    party: str
    intercept: float
    coef: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...]   # (1 + features)^2, original units, intercept first
    rows: int                            # observed weeks fitted
    acts: int                            # weeks with an act among them
    first_week: int                      # day number of the first fitted week
    cut: int                             # day number the fit was cut at
    penalty_c: float = DEFAULT_C
    detection: float = 1.0

    def logit(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + np.asarray(x, float) @ np.asarray(self.coef)

    def prob(self, x: np.ndarray) -> np.ndarray:
        """Chance of a recorded act in a week with features ``x`` (rows)."""
        return 1.0 / (1.0 + np.exp(-self.logit(x)))

    def sample(self, rng: np.random.Generator, draws: int) -> list[HazardModel]:
        """``draws`` models with coefficients drawn from the Laplace posterior."""
        import dataclasses

        point = np.array([self.intercept, *self.coef])
        vectors = rng.multivariate_normal(point, np.asarray(self.cov), size=draws,
                                          method="svd")
        return [dataclasses.replace(self, intercept=float(v[0]),
                                    coef=tuple(float(c) for c in v[1:])) for v in vectors]

    def weekly_rate(self) -> float:
        return self.acts / self.rows if self.rows else 0.0

    def table(self) -> list[dict[str, Any]]:
        """Coefficients with standard errors and 95% intervals (original units)."""
        se = np.sqrt(np.maximum(np.diag(np.asarray(self.cov)), 0.0))
        values = (self.intercept, *self.coef)
        return [{"term": name, "coef": float(v), "se": float(s),
                 "lo": float(v - Z95 * s), "hi": float(v + Z95 * s)}
                for name, v, s in zip(("intercept", *FEATURES), values, se, strict=True)]

    def to_json_dict(self) -> dict[str, Any]:
        from detente.matcher import from_day_number

        return {"party": self.party, "rows": self.rows, "acts": self.acts,
                "weekly_rate": self.weekly_rate(), "penalty_c": self.penalty_c,
                "detection": self.detection,
                "fitted_from": from_day_number(self.first_week).isoformat(),
                "fitted_to": from_day_number(self.cut - 1).isoformat(),
                "coefficients": self.table()}


def training_rows(record: Record, party: str, cut: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(X, y, first day) of the observed weeks before ``cut`` that follow a year of observed
    weeks, for ``party``; ``record`` must already be cut at ``cut`` or earlier."""
    count = max(0, (cut - record_first(record)) // 7)
    weeks = record.weeks(cut, count)
    x = features(weeks, party, record)[:-1]
    y = weeks.acted[party]
    seen = weeks.observed[party]
    blind_before = _window(~seen, YEAR)[:-1]
    rows = seen & (blind_before == 0) & (np.arange(count) >= YEAR)
    first = int(np.flatnonzero(rows)[0]) if rows.any() else count
    return x[rows], y[rows], weeks.base + 7 * first


def record_first(record: Record) -> int:
    """The first day of any act or context event (weeks before it carry nothing)."""
    firsts = [v[0][0] for v in (*record.acts.values(), *record.context.values()) if len(v[0])]
    return int(min(firsts)) if firsts else record.end


PERSISTENCE = ("log_weeks_since", "acted_last_week")


def _standardised_fit(x: np.ndarray, y: np.ndarray, penalty_c: float):
    from sklearn.linear_model import LogisticRegression

    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    model = LogisticRegression(C=penalty_c, solver="newton-cholesky", max_iter=200)
    model.fit((x - mean) / sd, y)
    return model, mean, sd


def choose_penalty(x: np.ndarray, y: np.ndarray) -> float:
    """The penalty among ``PENALTIES`` whose fit on all but the last ``VALIDATION_WEEKS``
    observed weeks predicts those weeks best (log loss); ``DEFAULT_C`` when the earlier weeks
    are too few or lack an act."""
    from sklearn.metrics import log_loss

    split = len(y) - VALIDATION_WEEKS
    if split < MIN_ROWS or not 0 < y[:split].sum() < split:
        return DEFAULT_C
    losses = []
    for c in PENALTIES:
        model, mean, sd = _standardised_fit(x[:split], y[:split], c)
        p = model.predict_proba((x[split:] - mean) / sd)[:, 1]
        losses.append(log_loss(y[split:], p, labels=[0, 1]))
    return PENALTIES[int(np.argmin(losses))]


def fit(record: Record, party: str, cut: int, *, penalty_c: float | None = DEFAULT_C,
        using: tuple[str, ...] = FEATURES) -> HazardModel:
    """Fit ``party``'s hazard on the record before day ``cut`` (see the module docstring),
    on the features ``using`` (the others get coefficient 0: ``PERSISTENCE`` is the hazard on
    the time since the last act alone). ``penalty_c`` None: chosen by ``choose_penalty``
    (which the backtest showed no better than the default: it is not the default)."""
    known = record.cut(cut)
    x, y, first = training_rows(known, party, cut)
    chosen = [FEATURES.index(f) for f in using]
    x = x[:, chosen]
    if len(y) < MIN_ROWS or y.sum() == 0 or y.sum() == len(y):
        raise ParameterError.single(
            f"too little observed history to fit {party}'s behaviour before "
            f"{_iso(cut)}: {len(y)} observed weeks, {int(y.sum())} with an act (need "
            f"{MIN_ROWS} weeks and both outcomes)", field="fit", value=record.agreement)
    if penalty_c is None:
        penalty_c = choose_penalty(x, y)
    model, mean, sd = _standardised_fit(x, y, penalty_c)
    z = (x - mean) / sd
    b = model.coef_[0]
    b0 = float(model.intercept_[0])
    # Laplace approximation: the inverse Hessian of the penalised negative log-likelihood.
    design = np.column_stack([np.ones(len(z)), z])
    p = model.predict_proba(z)[:, 1]
    hessian = design.T @ (design * (p * (1 - p))[:, None])
    hessian[1:, 1:] += np.eye(z.shape[1]) / penalty_c
    cov_std = np.linalg.pinv(hessian)
    # Back to original units: beta = b / sd, intercept = b0 - sum(b * mean / sd).
    transform = np.zeros((len(b) + 1, len(b) + 1))
    transform[0, 0] = 1.0
    transform[0, 1:] = -mean / sd
    transform[1:, 1:] = np.diag(1.0 / sd)
    small = transform @ cov_std @ transform.T
    keep = [0, *(1 + i for i in chosen)]
    cov = np.zeros((len(FEATURES) + 1, len(FEATURES) + 1))
    cov[np.ix_(keep, keep)] = small
    coef = np.zeros(len(FEATURES))
    coef[chosen] = b / sd
    intercept = b0 - float(np.sum(b * mean / sd))
    return HazardModel(party=party, intercept=intercept, coef=tuple(float(c) for c in coef),
                       cov=tuple(tuple(float(v) for v in row) for row in cov),
                       rows=len(y), acts=int(y.sum()), first_week=first, cut=cut,
                       penalty_c=penalty_c, detection=record.detection.get(party, 1.0))


def _iso(day: int) -> str:
    from detente.matcher import from_day_number

    return from_day_number(day).isoformat()


@dataclass(frozen=True)
class State:
    """What a party's hazard reads at the start of a forecast, from the record before it."""

    weeks_since: int
    past_year: tuple[bool, ...]    # its act flags over the 52 weeks before, oldest first
    other_since: int               # weeks since a releasing party last acted
    diplomacy: bool
    exercises: bool


def state_at(record: Record, party: str, day: int) -> State:
    """The party's state for a forecast starting on ``day`` (the record before ``day``)."""
    return states_at(record, party, day, 1)[0]


def states_at(record: Record, party: str, first: int, count: int) -> list[State]:
    """The party's states for forecasts starting on ``first``, ``first + 7``, ... (``count``
    starts), each read from the record before its own start."""
    last = first + 7 * (count - 1)
    known = record.cut(last)
    before = CAP_WEEKS + YEAR
    weeks = known.weeks(last, before + count - 1)
    acted = weeks.acted[party]
    other = np.zeros(weeks.count, bool)
    for q in record.releasers.get(party, ()):
        other |= weeks.acted[q]
    rows = features(weeks, party, known)
    since, other_since = _since(acted), _since(other)
    out = []
    for k in range(count):
        w = before + k     # the week starting on start k: only weeks before it are read
        out.append(State(weeks_since=int(since[w]),
                         past_year=tuple(bool(v) for v in acted[w - YEAR:w]),
                         other_since=int(other_since[w]), diplomacy=bool(rows[w, 4]),
                         exercises=bool(rows[w, 5])))
    return out


def path_survival(models: dict[str, HazardModel], states: dict[str, State], weeks: int,
                  reaction_weeks: int) -> np.ndarray:
    """``S(t)``, t = 0..weeks: the chance that no party has a recorded act in the first ``t``
    weeks, when none acts (the state then evolves without randomness: a closed form of the
    fitted behaviour without false alarms)."""
    return paths_survival(models, {p: [st] for p, st in states.items()}, weeks,
                          reaction_weeks)[0]


def paths_survival(models: dict[str, HazardModel], states: dict[str, list[State]], weeks: int,
                   reaction_weeks: int) -> np.ndarray:
    """``path_survival`` for many starts at once: (starts, weeks + 1)."""
    n = len(next(iter(states.values())))
    s = np.ones((n, weeks + 1))
    t = np.arange(weeks)
    for party, m in models.items():
        sts = states[party]
        since = np.minimum(np.array([st.weeks_since for st in sts])[:, None] + t, CAP_WEEKS)
        ring = np.array([st.past_year for st in sts], np.int64)               # (n, 52)
        # Acts in the past 52 weeks at week t: those of the ring still inside the window.
        tail = np.concatenate([np.cumsum(ring[:, ::-1], axis=1)[:, ::-1],
                               np.zeros((n, 1), np.int64)], axis=1)
        past = tail[:, np.minimum(t, YEAR)]
        other = np.minimum(np.array([st.other_since for st in sts])[:, None] + t,
                           CAP_WEEKS) <= reaction_weeks
        c = np.asarray(m.coef)
        logit = (m.intercept + c[0] * np.log1p(since) + c[1] * (since == 1)
                 + c[2] * past / YEAR + c[3] * other
                 + (c[4] * np.array([st.diplomacy for st in sts])
                    + c[5] * np.array([st.exercises for st in sts]))[:, None])
        s[:, 1:] *= np.cumprod(1.0 - 1.0 / (1.0 + np.exp(-logit)), axis=1)
    return s
