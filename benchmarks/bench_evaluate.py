"""Backtest speed: ``detente evaluate`` on the six presets, 18 origins (2008-2025), four
horizons, every method (the default fitted simulation with 256 runs a start, the hazard, grim,
and the five baselines), 2,000 bootstrap draws. Goal: under 60 s on 2 cores. The headline
skill figures are printed too, so a run shows what it measured.

    .venv/bin/python benchmarks/bench_evaluate.py [--agreements ID,...] [--from 2008]
        [--to 2025] [--runs 256]

Runs on a fresh store of the bundled record in a temporary folder. The machine is shared: the
load average is printed next to the figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from detente.agreements import presets
from detente.evaluate import evaluate
from detente.events.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agreements", default="all")
    parser.add_argument("--from", dest="first", type=int, default=2008)
    parser.add_argument("--to", dest="last", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=256)
    args = parser.parse_args()
    ids = presets.ids() if args.agreements == "all" else args.agreements.split(",")
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        Store(Path(folder) / "events.duckdb").close()
        with Store(Path(folder) / "events.duckdb", read_only=True) as store:
            specs = [presets.load(i) for i in ids]
            started = time.perf_counter()
            result = evaluate(specs, store, origins=range(args.first, args.last + 1),
                              runs=args.runs)
            seconds = time.perf_counter() - started
    print(f"{len(ids)} agreements x {len(result.origins)} origins x {len(result.horizons)} "
          f"horizons x {len(result.methods)} methods: {len(result.cases):,} scored cases")
    for h in result.horizons:
        s = result.skill("default", "base_5y", h)
        if s is not None:
            print(f"  {h:3} weeks: default Brier {result.score('default', h).brier:.3f}, "
                  f"skill vs base_5y {s.skill:+.3f} [{s.lo:+.3f}, {s.hi:+.3f}]")
    print(f"load average after: {os.getloadavg()[0]:.2f} (goal: under 60 s)")
    print(f"evaluate_seconds: {seconds:.1f}")


if __name__ == "__main__":
    main()
