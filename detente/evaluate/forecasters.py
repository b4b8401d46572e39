"""The forecasts a backtest scores, each made at an origin from the record before it.

Every forecaster answers, for weekly starts after the origin and each horizon ``h`` (weeks),
the chance that an agreement started that day is still unbroken ``h`` weeks later. Parameters
are fitted on the record before the origin only; the state-dependent forecasts (the fitted
simulation, the hazards, Weibull renewal) read each start's state from the record before that
start, as a user running the forecast on that day would (docs/simulate.md, "Backtest").

* ``default``: what ``detente simulate`` runs by default: the fitted behaviour in the engine,
  with each commitment's detection, delay and false alarms (drawn from their Beta priors), a
  run collapsing at the first observed breach;
* ``hazard``: the same fitted hazards in closed form, recorded acts only (no false alarms),
  averaged over coefficient draws from their posterior as the simulation draws them;
* ``grim``: the previous default, grim against grim at constant rates estimated from the two
  years before the origin (one forecast for every start of the year);
* ``base_all`` / ``base_5y``: the share of past starts (before the origin, decided and seen
  whole before it) that held ``h`` weeks, over all history / the last five years;
* ``persistence``: a hazard on the time since each party's last act alone;
* ``weibull``: a Weibull renewal model per party (gaps between acts, the open one censored),
  conditioned on the time since the last act;
* ``km``: Kaplan-Meier of past starts (censored at the origin) at ``h``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.simulate import engine, hazard, history
from detente.simulate import model as model_mod
from detente.simulate.fitted import Fitted, initial_state

MODELS = ("default", "hazard", "grim")
BASELINES = ("base_all", "base_5y", "persistence", "weibull", "km")
METHODS = MODELS + BASELINES
YEAR_DAYS = 365.25


@dataclass
class Origin:
    """What every forecaster gets for one agreement and origin."""

    agreement: Any                  # the restraint-only Agreement
    record: history.Record          # the whole record (forecasters cut it themselves)
    replay: dict[str, np.ndarray]   # daily starts: held days, broken flag
    origin: int                     # day number
    starts: np.ndarray              # day numbers of the weekly starts
    horizons: tuple[int, ...]       # weeks
    first: int                      # first day the agreement's parties are seen together
    replay_first: int               # day number of the replay's first (daily) start
    store: Any = None
    runs: int = 256
    seed: np.random.SeedSequence = dataclasses.field(default_factory=np.random.SeedSequence)
    cache: dict = dataclasses.field(default_factory=dict)

    def fitted(self, party: str, using: tuple[str, ...] = hazard.FEATURES
               ) -> hazard.HazardModel:
        key = ("hazard", party, using)
        if key not in self.cache:
            self.cache[key] = hazard.fit(self.record, party, self.origin, using=using)
        return self.cache[key]

    def states(self) -> dict[str, list[hazard.State]]:
        if "states" not in self.cache:
            self.cache["states"] = {p: hazard.states_at(self.record, p, int(self.starts[0]),
                                                        len(self.starts))
                                    for p in self.record.parties}
        return self.cache["states"]


def _paths(o: Origin, models: dict[str, hazard.HazardModel]) -> np.ndarray:
    curves = hazard.paths_survival(models, o.states(), max(o.horizons),
                                   hazard.response_weeks(o.record))
    return curves[:, list(o.horizons)]


POSTERIOR_DRAWS = 32


def hazard_forecast(o: Origin) -> np.ndarray:
    """The fitted hazards' closed form, averaged over coefficient vectors drawn from their
    Laplace posterior (as the default simulation draws them)."""
    rng = np.random.Generator(np.random.SFC64(o.seed))
    samples = {p: o.fitted(p).sample(rng, POSTERIOR_DRAWS) for p in o.record.parties}
    return np.mean([_paths(o, {p: samples[p][k] for p in samples})
                    for k in range(POSTERIOR_DRAWS)], axis=0)


def persistence(o: Origin) -> np.ndarray:
    return _paths(o, {p: o.fitted(p, hazard.PERSISTENCE) for p in o.record.parties})


def default(o: Origin) -> np.ndarray:
    """The fitted behaviour in the engine: ``runs`` runs per start, one chunk, grouped."""
    weeks = max(o.horizons)
    states = o.states()
    n = len(o.starts)
    rw = hazard.response_weeks(o.record)
    behaviour = {}
    for p in o.record.parties:
        per_start = initial_state(states[p])
        behaviour[p] = Fitted(model=o.fitted(p), reaction_weeks=rw, initial={
            k: np.repeat(v, o.runs, axis=-1) for k, v in per_start.items()})
    built = model_mod.build(o.agreement, rates={p: 1.0 for p in o.record.parties},
                            horizon=weeks, weights=o.record.weights)
    built = dataclasses.replace(built, collapse="breach", behaviour=behaviour)
    strats = engine.resolve_strategies(built, {})
    groups = np.repeat(np.arange(n), o.runs)
    stats = engine.run_chunk(built, strats, n * o.runs, o.seed, groups=groups)
    assert stats.group_collapses is not None  # counted per group when groups are given
    alive = o.runs - np.cumsum(stats.group_collapses, axis=0)          # (H, n)
    alive = np.vstack([np.full((1, n), o.runs), alive])
    return (alive[list(o.horizons)] / o.runs).T


def grim(o: Origin) -> np.ndarray:
    """Grim against grim at rates estimated from the two years before the origin."""
    from detente import matcher
    from detente.simulate import rates as rates_mod
    from detente.simulate.simulation import simulate

    start = matcher.from_day_number(o.origin - 730)
    end = matcher.from_day_number(o.origin - 1)
    found = {p: rates_mod.estimate(o.agreement, p, o.store, start, end)
             for p in o.record.parties}
    built = model_mod.build(o.agreement, rates={p: r.rate for p, r in found.items()},
                            horizon=max(o.horizons), weights=rates_mod.weights(found),
                            false_alarm_prior=False)
    result = simulate(built, {p: "grim" for p in built.codes}, runs=max(o.runs * 8, 2000),
                      seed=o.seed, workers=1)
    return np.tile(result.survival_p[list(o.horizons)], (len(o.starts), 1))


def _past(o: Origin) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weekly starts before the origin (anchored on it): day, days held, broken, each as known
    at the origin (a breach on or after it is not known yet)."""
    days = o.origin - 7 * np.arange(1, (o.origin - o.first) // 7 + 1)
    days = days[::-1]
    held = o.replay["held"][days - o.replay_first]
    broken = o.replay["broken"][days - o.replay_first]
    end = days + held                # the breach day, or the last day followed
    known = broken & (end < o.origin)
    held = np.where(known, held, np.minimum(held, o.origin - days))
    return days, held, known


def _base(o: Origin, since: int | None) -> np.ndarray:
    days, held, _ = _past(o)
    out = []
    for h in o.horizons:
        window_end = days + 7 * h - 1
        decided = (window_end < o.origin) & ~o.record.blind_in(days, window_end)
        if since is not None:
            decided &= days >= since
        if not decided.any():
            out.append(np.nan)
            continue
        out.append(float(np.mean(held[decided] >= 7 * h)))
    return np.tile(out, (len(o.starts), 1))


def base_all(o: Origin) -> np.ndarray:
    return _base(o, None)


def base_5y(o: Origin) -> np.ndarray:
    return _base(o, o.origin - round(5 * YEAR_DAYS))


def km(o: Origin) -> np.ndarray:
    from scipy import stats

    _, held, broken = _past(o)
    # A start censored after C days was seen holding on days 0..C-1 (whatif's convention).
    curve = stats.ecdf(stats.CensoredData(uncensored=held[broken].astype(float),
                                          right=held[~broken] - 0.5))
    # Holding h weeks is holding more than 7h - 1 days.
    # scipy-stubs types x as an array; evaluate takes a scalar too (array_like).
    out = [float(curve.sf.evaluate(7 * h - 1)) for h in o.horizons]  # type: ignore[arg-type]
    return np.tile(out, (len(o.starts), 1))


def weibull(o: Origin) -> np.ndarray:
    states = o.states()
    out = np.ones((len(o.starts), len(o.horizons)))
    for p in o.record.parties:
        key = ("weibull", p)
        if key not in o.cache:
            o.cache[key] = _weibull_fit(o, p)
        shape, scale = o.cache[key]
        age = np.array([s.weeks_since for s in states[p]], float)
        for j, h in enumerate(o.horizons):
            out[:, j] *= np.exp(-((age + h) / scale) ** shape + (age / scale) ** shape)
    return out


_WEIBULL: dict[tuple, tuple[float, float]] = {}


def _weibull_fit(o: Origin, party: str) -> tuple[float, float]:
    """Shape and scale (weeks) of the gaps between the party's act weeks before the origin,
    the open gap censored; with fewer than three acts, an exponential (shape 1) with the
    observed rate (half an act when there was none)."""
    known = o.record.cut(o.origin)
    count = max(0, (o.origin - hazard.record_first(known)) // 7)
    weeks = known.weeks(o.origin, count)
    seen = weeks.observed[party]
    act = np.flatnonzero(weeks.acted[party] & seen)
    if len(act) < 3:
        return 1.0, float(seen.sum()) / max(len(act), 0.5)
    gaps = np.diff(act).astype(float)
    open_gap = float(count - act[-1])
    key = (gaps.tobytes(), open_gap)
    if key not in _WEIBULL:
        _WEIBULL[key] = weibull_mle(gaps, np.array([open_gap]))
    return _WEIBULL[key]


def weibull_mle(events: np.ndarray, censored: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood Weibull (shape, scale) of right-censored durations by the profile
    likelihood in the shape (for a given shape the scale's MLE is closed-form:
    ``scale^k = sum(t^k) / events``). scipy's generic censored ``fit`` gives the same answer
    but takes 50-100 ms a series, and a backtest fits hundreds."""
    from scipy.optimize import minimize_scalar

    every = np.concatenate([events, censored])
    d = len(events)
    sum_log = float(np.log(events).sum())
    scale_log = float(np.log(every.mean()))

    def negative(log_k: float) -> float:
        k = math.exp(log_k)
        theta = float(np.exp(k * (np.log(every) - scale_log)).sum()) / d
        return -(d * math.log(k) - d * (math.log(theta) + k * scale_log) + (k - 1) * sum_log)

    found = minimize_scalar(negative, bounds=(math.log(0.05), math.log(20.0)),
                            method="bounded", options={"xatol": 1e-6})
    k = math.exp(found.x)
    theta = float(np.exp(k * (np.log(every) - scale_log)).sum()) / d
    return k, math.exp((math.log(theta) + k * scale_log) / k)


FORECASTERS = {"default": default, "hazard": hazard_forecast, "grim": grim,
               "base_all": base_all, "base_5y": base_5y, "persistence": persistence,
               "weibull": weibull, "km": km}
