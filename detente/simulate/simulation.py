"""The two entry points: ``simulate`` a model, or ``simulate_agreement`` from a spec."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

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
        rates={k: (v.as_dict() if hasattr(v, "as_dict") else v)
               for k, v in (rates or {}).items()},
        elapsed=time.perf_counter() - started)


def build_model(agreement: Agreement, *, period: str = "week", horizon: str | int = "10y",
                rates: Mapping[str, float] | None = None, store=None,
                reference: tuple[dt.date, dt.date] | None = None,
                payoffs: Mapping[str, Payoff] | None = None,
                tremble: Mapping[str, float] | None = None,
                discount: float = DEFAULT_DISCOUNT) -> tuple[Model, dict[str, rates_mod.Rate]]:
    """The model of ``agreement`` and where each temptation rate came from (``rates`` per
    week override the spec; the rest are estimated from ``store``)."""
    model_mod.period_days(period)
    model_mod.horizon_periods(horizon, period)
    found = rates_mod.resolve(agreement, period, given=rates, store=store, reference=reference)
    built = model_mod.build(agreement, rates={k: r.rate for k, r in found.items()},
                            period=period, horizon=horizon, payoffs=payoffs, tremble=tremble,
                            discount=discount, weights=rates_mod.weights(found))
    return built, found


def simulate_agreement(agreement: Agreement, strategies: Mapping[str, Strategy | str]
                       | None = None, *, runs: int = DEFAULT_RUNS,
                       seed: int | np.random.SeedSequence | None = None,
                       progress: engine.Progress | None = None, workers: int | None = None,
                       chunk_size: int = engine.DEFAULT_CHUNK, **model_options: Any
                       ) -> SimulationResult:
    """``build_model`` then ``simulate``; ``model_options`` go to ``build_model``."""
    built, found = build_model(agreement, **model_options)
    for code in strategies or {}:
        if code not in agreement.parties:
            from detente.errors import ParameterError

            raise ParameterError.single(f"not a party of {agreement.id}; parties: "
                                        f"{', '.join(agreement.parties)}", field="strategy",
                                        value=code)
    return simulate(built, strategies, runs=runs, seed=seed, progress=progress,
                    workers=workers, chunk_size=chunk_size, rates=found)
