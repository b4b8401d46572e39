"""The two entry points: ``simulate`` a model, or ``simulate_agreement`` from a spec."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from detente import matcher
from detente.agreements.spec import Agreement, Payoff
from detente.simulate import engine
from detente.simulate import model as model_mod
from detente.simulate import rates as rates_mod
from detente.simulate.model import DEFAULT_DISCOUNT, Model
from detente.simulate.result import SimulationResult
from detente.simulate.strategy import Strategy

DEFAULT_RUNS = 10_000


def simulate(model: Model, strategies: Mapping[str, Strategy | str] | Sequence[Strategy]
             | None = None, *, runs: int = DEFAULT_RUNS,
             seed: int | np.random.SeedSequence | None = None,
             chunk_size: int = engine.DEFAULT_CHUNK, workers: int | None = None,
             progress: engine.Progress | None = None,
             rates: Mapping[str, Any] | None = None) -> SimulationResult:
    """Simulate ``runs`` independent runs of ``model``; ``strategies`` maps party -> strategy
    (an instance, or a name such as ``"generous:forgive=0.2"``; default ``grim``).

    The same ``seed`` (and ``chunk_size``) gives the same result bit for bit, whatever
    ``workers`` is. With ``seed=None`` a fresh seed is drawn and reported in ``result.seed``.
    """
    seq = engine.as_seed(seed)
    ordered = engine.resolve_strategies(model, strategies or {})
    started = time.perf_counter()
    chunks = engine.run(model, ordered, runs, seq, chunk_size=chunk_size, workers=workers,
                        progress=progress)
    return SimulationResult.from_chunks(
        model, tuple(s.label() for s in ordered), chunks, seq,
        rates={k: (v.to_json_dict() if hasattr(v, "to_json_dict") else v)
               for k, v in (rates or {}).items()},
        elapsed=time.perf_counter() - started)


def build_model(agreement: Agreement, *, period: str = "week", horizon: str | int = "10y",
                rates: Mapping[str, float] | None = None, store=None,
                reference: tuple[dt.date, dt.date] | None = None,
                payoffs: Mapping[str, Payoff] | None = None,
                tremble: Mapping[str, float] | None = None,
                discount: float = DEFAULT_DISCOUNT, fitted: bool = True,
                false_alarm_prior: bool = True
                ) -> tuple[Model, dict[str, rates_mod.Rate]]:
    """The model of ``agreement`` and where each party's behaviour came from.

    A party with a rate (``rates`` per week, or the spec's ``temptation``) takes occasions at
    that rate. Otherwise, with a ``store`` and ``fitted`` (the default), its behaviour is the
    hazard fitted to the record before the agreement's start (``detente.simulate.fitted``: the
    model's ``behaviour``); without ``fitted`` (or ``reference``), or when the record is too
    thin to fit, its rate is estimated from the store (``detente.simulate.rates``). Pass the
    result through ``configure`` (as ``simulate_agreement`` does) for the command line's
    collapse rule and default strategies; the model alone collapses at the first response."""
    model_mod.period_days(period)
    model_mod.horizon_periods(horizon, period)
    days = model_mod.period_days(period)
    given = dict(rates or {})
    behaviour: dict[str, Any] = {}
    found: dict[str, rates_mod.Rate] = {}
    weights: dict[str, float] = {}
    if store is not None and fitted and reference is None:
        behaviour, found, weights = fit_behaviour(agreement, store, days,
                                                  skip=set(given) | set(agreement.temptation))
    rest = rates_mod.resolve(agreement.model_copy(update={"temptation": {
        **agreement.temptation, **{k: 1.0 for k in behaviour}}}), period, given=given,
        store=store, reference=reference)
    for code, rate in rest.items():
        if code not in behaviour:
            found[code] = rate
    found = {code: found[code] for code in agreement.parties if code in found}
    built = model_mod.build(agreement, rates={k: r.rate for k, r in found.items()},
                            period=period, horizon=horizon, payoffs=payoffs, tremble=tremble,
                            discount=discount, weights={**rates_mod.weights(found), **weights},
                            false_alarm_prior=false_alarm_prior)
    return dataclasses.replace(built, behaviour=behaviour), found


def fit_behaviour(agreement: Agreement, store, days: float = 7.0, *,
                  skip: set[str] | frozenset[str] = frozenset()
                  ) -> tuple[dict[str, Any], dict[str, rates_mod.Rate], dict[str, float]]:
    """Per party (except ``skip``), the fitted strategy for ``agreement``: its hazard fitted on
    the record before the start (or the record's end, if the start is later) and its state on
    that day. Parties whose record is too thin to fit are left out."""
    from detente.errors import ParameterError
    from detente.simulate import fitted as fitted_mod
    from detente.simulate import hazard, history

    last = store.record_end()
    if last is None:
        return {}, {}, {}
    record = history.load(agreement, store)
    cut = matcher.day_number(min(agreement.start, last + dt.timedelta(days=1)))
    behaviour, found, weights = {}, {}, {}
    for code in record.parties:
        if code in skip:
            continue
        try:
            model = hazard.fit(record, code, cut)
        except ParameterError:
            continue
        state = hazard.state_at(record, code, cut)
        strategy = fitted_mod.Fitted(model=model, days=days,
                                     reaction_weeks=hazard.response_weeks(record),
                                     initial=fitted_mod.initial_state(state, days))
        now = float(hazard.path_survival({code: model}, {code: state}, 1,
                                         hazard.response_weeks(record))[1])
        behaviour[code] = strategy
        found[code] = rates_mod.Rate(party=code, rate=1.0, source="fitted",
                                     per_week=model.weekly_rate(),
                                     hazard={**model.to_json_dict(), "hazard_now": 1.0 - now,
                                             "state": dataclasses.asdict(state) | {
                                                 "past_year": sum(state.past_year)}})
        weights.update({c.id: record.weights.get(c.id, 0.0)
                        for c in model_mod.restraints(agreement, code)})
    return behaviour, found, weights


def simulate_agreement(agreement: Agreement, strategies: Mapping[str, Strategy | str]
                       | None = None, *, runs: int = DEFAULT_RUNS,
                       seed: int | np.random.SeedSequence | None = None,
                       progress: engine.Progress | None = None, workers: int | None = None,
                       chunk_size: int = engine.DEFAULT_CHUNK, collapse: str | None = None,
                       **model_options: Any) -> SimulationResult:
    """``build_model`` then ``simulate``; ``model_options`` go to ``build_model``.

    ``collapse`` (default: ``"breach"`` when no strategy is named, the replay's rule that the
    first observed breach ends the agreement; ``"response"`` when some are, the counterfactual
    game's rule that the first response to an observed breach does): see ``Model.collapse``."""
    for code in strategies or {}:
        if code not in agreement.parties:
            from detente.errors import ParameterError

            raise ParameterError.single(f"not a party of {agreement.id}; parties: "
                                        f"{', '.join(agreement.parties)}", field="strategy",
                                        value=code)
    built, found = build_model(agreement, **model_options)
    built, strategies, found = configure(built, found, strategies, collapse)
    result = simulate(built, strategies, runs=runs, seed=seed, progress=progress,
                      workers=workers, chunk_size=chunk_size, rates=found)
    sensitivity = false_alarm_sensitivity(built, strategies, runs=max(1, min(runs // 4, 10_000)),
                                          seed=engine.seed_children(engine.as_seed(
                                              result.seed), 1)[0] if result.seed is not None
                                          else None, workers=workers)
    return dataclasses.replace(result, sensitivity=sensitivity)


def configure(model: Model, found: dict[str, rates_mod.Rate],
              strategies: Mapping[str, Strategy | str] | None, collapse: str | None = None
              ) -> tuple[Model, dict[str, Strategy | str], dict[str, rates_mod.Rate]]:
    """What ``simulate_agreement`` simulates for ``build_model``'s result: the collapse rule
    (``"breach"`` without named strategies, else ``"response"``), a party given a named
    (counterfactual) strategy at its fitted mean rate, and the default strategy of a party
    without fitted behaviour (``default_strategies``)."""
    named = {code: s for code, s in (strategies or {}).items() if s != "fitted"}
    model = dataclasses.replace(model, collapse=collapse or ("response" if named else "breach"))
    found = dict(found)
    for code in named:
        fitted = model.behaviour.get(code)
        if fitted is not None:
            weekly = min(1.0, fitted.model.weekly_rate() / max(fitted.model.detection, 1e-9))
            model = model.replace_party(code, temptation=model_mod.per_period(weekly,
                                                                              model.days))
            found[code] = dataclasses.replace(found[code], rate=model.parties[
                model.index(code)].temptation, source="fitted-mean", per_week=weekly)
    return model, {**default_strategies(model), **dict(strategies or {})}, found


def default_strategies(model: Model) -> dict[str, str]:
    """For the parties without fitted behaviour: ``always_defect`` (it takes its occasions)
    when its compliance is not self-enforcing under grim punishment, else ``grim``."""
    from detente.simulate.analytic import critical_detection

    rest = [p.code for p in model.parties if p.code not in model.behaviour and p.monitors]
    if not rest:
        return {}
    table = critical_detection(model)
    return {code: "grim" if table[code].self_enforcing else "always_defect" for code in rest}


QUANTILES = (0.05, 0.5, 0.95)


def false_alarm_sensitivity(model: Model, strategies, *, runs: int, seed, workers=None,
                            quantiles: tuple[float, ...] = QUANTILES) -> tuple[dict, ...]:
    """P(holding) at 6, 12 and 24 months with every false-alarm rate fixed at the same
    quantile of its Beta prior (empty when no commitment has a prior): how the forecast moves
    with what the spec's guess leaves open. Every quantile runs with the same seed (common
    random numbers), so the differences are the false alarms' and not the draws'."""
    from scipy.stats import beta

    if not any(m.prior(model.days) for p in model.parties for m in p.monitors):
        return ()
    out = []
    if seed is None:  # one fresh seed for all quantiles
        seed = engine.as_seed(None)
    for q in quantiles:
        parties = []
        rates = {}
        for p in model.parties:
            monitors = []
            for m in p.monitors:
                prior = m.prior(model.days)
                weekly = float(beta.ppf(q, *prior)) if prior else m.false_alarm_per_week(model.days)
                if prior:
                    rates[m.commitment] = weekly
                monitors.append(dataclasses.replace(
                    m, prior_weeks=0.0, false_alarm=model_mod.per_period(
                        weekly, model.days) if prior else m.false_alarm))
            parties.append(dataclasses.replace(p, monitors=tuple(monitors)))
        fixed = dataclasses.replace(model, parties=tuple(parties))
        r = simulate(fixed, strategies, runs=runs, seed=seed, workers=workers)
        out.append({"quantile": q, "false_alarm_per_week": rates, "runs": runs,
                    "p_holding": {f"{m}m": r.p_holding(m) for m in (6, 12, 24)}})
    return tuple(out)
