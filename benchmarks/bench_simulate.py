"""Simulator speed: (a) the noisy iterated prisoner's dilemma against Axelrod, (b) a million runs
of a two-party agreement over ten years of weeks.

(a) Tit for tat against grim (Axelrod's ``TitForTat`` and ``Grudger``), 200 turns, noise 0.05:
    as many Axelrod ``Match``es as fit in ``--seconds``, then detente's engine in its equivalent
    mode (``prisoners_dilemma``) on ``--ipd-runs`` runs, in the same process; turns per second
    for each and the ratio (goal: at least 1,000x). Both cooperation rates are printed, so the
    two are seen to play the same game.
(b) 1,000,000 runs x 520 weekly periods of the post-Olympic pause (rates given, grim against
    grim): wall time (goal: under 10 s on 2 cores), peak memory of the process.
(c) the same with the default behaviour, fitted to the bundled record (a fresh store in a
    temporary folder): wall time.

    .venv/bin/python benchmarks/bench_simulate.py [--seconds 3] [--ipd-runs 1000000]
        [--runs 1000000] [--periods 520]

The machine is shared: the load average is printed next to the figures.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import resource
import time
import warnings

from detente.agreements import presets
from detente.simulate import build_model, prisoners_dilemma, simulate
from detente.simulate.strategy import Grim, TitForTat


def import_axelrod():
    """axelrod 4.13 reads every strategy's source at import; memoise that meanwhile."""
    getsource = inspect.getsource
    inspect.getsource = functools.lru_cache(maxsize=None)(getsource)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import axelrod
    finally:
        inspect.getsource = getsource
    return axelrod


def bench_axelrod(seconds: float, turns: int, noise: float) -> tuple[float, float, int]:
    axl = import_axelrod()
    matches, cooperation = 0, 0.0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        match = axl.Match((axl.TitForTat(), axl.Grudger()), turns=turns, noise=noise,
                          seed=matches)
        match.play()
        cooperation += match.normalised_cooperation()[0]
        matches += 1
    elapsed = time.perf_counter() - started
    return matches * turns / elapsed, cooperation / matches, matches


def bench_detente(runs: int, turns: int, noise: float) -> tuple[float, float]:
    model = prisoners_dilemma(turns, noise)
    started = time.perf_counter()
    result = simulate(model, [TitForTat(), Grim()], runs=runs, seed=1)
    elapsed = time.perf_counter() - started
    return runs * turns / elapsed, result.cooperation["P1"]


def bench_million(runs: int, periods: int) -> tuple[float, float]:
    model, _ = build_model(presets.load("post-olympic-pause"), rates={"PRK": 0.3, "USA": 0.1},
                           horizon=periods)
    started = time.perf_counter()
    result = simulate(model, {}, runs=runs, seed=1)
    elapsed = time.perf_counter() - started
    print(f"  median {result.median_periods} weeks; P(holding 12 months) "
          f"{result.p_holding(12):.4f}; collapses by false alarm "
          f"{result.collapse_causes['false_alarm'] / max(result.collapsed, 1):.1%}")
    return elapsed, runs * periods * len(model.parties) / elapsed


def bench_fitted(runs: int, periods: int) -> float:
    import tempfile
    from pathlib import Path

    from detente.events.store import Store

    with tempfile.TemporaryDirectory() as folder:
        Store(Path(folder) / "events.duckdb").close()
        with Store(Path(folder) / "events.duckdb", read_only=True) as store:
            model, _ = build_model(presets.load("post-olympic-pause"), store=store,
                                   horizon=periods)
    started = time.perf_counter()
    import dataclasses

    result = simulate(dataclasses.replace(model, collapse="breach"), {}, runs=runs, seed=1)
    elapsed = time.perf_counter() - started
    print(f"  median {result.median_periods} weeks; P(holding 12 months) "
          f"{result.p_holding(12):.4f}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--ipd-runs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--periods", type=int, default=520)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}")

    print(f"(b) {args.runs:,} runs x {args.periods} weeks, 2 parties")
    seconds, rate = bench_million(args.runs, args.periods)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {seconds:.2f} s ({rate / 1e6:.0f} M party-periods/s); peak memory so far "
          f"{peak:.0f} MB (goal: under 10 s)")

    print(f"(c) {args.runs:,} runs x {args.periods} weeks, fitted behaviour (the default)")
    fitted = bench_fitted(args.runs, args.periods)
    print(f"  {fitted:.2f} s")

    print("(a) noisy iterated prisoner's dilemma, 200 turns, noise 0.05, TitForTat vs Grudger")
    ax_rate, ax_coop, matches = bench_axelrod(args.seconds, 200, 0.05)
    print(f"  axelrod.Match: {matches:,} matches, {ax_rate:,.0f} turns/s, "
          f"player 1 cooperates {ax_coop:.1%}")
    de_rate, de_coop = bench_detente(args.ipd_runs, 200, 0.05)
    print(f"  detente engine: {args.ipd_runs:,} runs, {de_rate:,.0f} turns/s, "
          f"player 1 cooperates {de_coop:.1%}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"seconds_1m_x_520: {seconds:.2f}")
    print(f"seconds_fitted_1m_x_520: {fitted:.2f}")
    print(f"ratio_vs_axelrod: {de_rate / ax_rate:.0f}")


if __name__ == "__main__":
    main()
