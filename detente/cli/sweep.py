"""``detente sweep``: the simulation over a grid of parameters, locally or on Dask."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    SpecArgument,
    console,
    emit_json,
    err_console,
    output_format,
    progress,
)
from detente.cli.simulate import (
    DiscountOption,
    HorizonOption,
    PayoffOption,
    PeriodOption,
    RateOption,
    ReferenceOption,
    SeedOption,
    StrategyOption,
    TrembleOption,
    model_options,
    needs_store,
    strategy_map,
)

# Columns of the summary table, with short headers (the Parquet file has them all).
SHOWN = {"median_periods": "median", "p_holding_6m": "P 6m", "p_holding_12m": "P 12m",
         "p_holding_24m": "P 24m", "false_alarm_share": "FA share"}


def sweep(
    agreement: SpecArgument,
    grid: Annotated[list[str], typer.Option(
        "--grid", help="NAME[@PARTY]=START:STOP:STEP (STOP included) or NAME=V1,V2; "
        "NAME: detection, false_alarm (per week), delay_days, temptation (per week), "
        "tremble, forgiveness, k, window, cooloff, discount. Repeat for a product grid.")],
    runs: Annotated[int, typer.Option("--runs", help="Runs per grid point.")] = 2_000,
    horizon: HorizonOption = "10y",
    period: PeriodOption = "week",
    seed: SeedOption = None,
    strategy: StrategyOption = None,
    rate: RateOption = None,
    reference: ReferenceOption = None,
    payoff: PayoffOption = None,
    tremble: TrembleOption = None,
    discount: DiscountOption = 0.9,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); default: "
        "a local process per core.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Local worker processes (default: all cores; small sweeps run in "
        "this process).", min=1)] = None,
    connect_timeout: Annotated[float, typer.Option(
        "--connect-timeout", help="Seconds to wait for the scheduler.", min=0.1)] = 5.0,
    out: Annotated[Path | None, typer.Option(
        "--out", help="File for the table, by its extension: .parquet (the default, "
        "sweep-ID.parquet), .csv, or .json (everything --format json prints).")] = None,
    json_out: JsonOption = False,
    fmt: FormatOption = None,
    db: DbOption = None,
) -> None:
    """Simulate an agreement over a grid of parameters; write one row per point to Parquet.

    Each row: the parameters, median and mean duration, P(holding) at 6/12/24 months, collapse
    causes, first breakers, critical detection. The same seed gives the same table bit for
    bit, on one process, several, or a Dask cluster (--scheduler).

    Example: [bold]detente sweep post-olympic-pause --grid detection=0.5:1.0:0.05
    --grid false_alarm=0:0.05:0.01 --runs 2000 --seed 1 --out sweep.parquet[/]

    --format csv prints the table with a header row; --format json the run and every row.
    """
    from detente import results
    from detente.simulate import build_model
    from detente.simulate import sweep as sweep_lib
    from detente.simulate.engine import resolve_strategies
    from detente.simulate.simulation import configure

    spec, options = model_options(agreement, period=period, horizon=horizon, rate=rate,
                                  reference=reference, payoff=payoff, tremble=tremble,
                                  discount=discount)
    strategies = strategy_map(spec, strategy)
    grids = [sweep_lib.parse_grid(g) for g in grid]
    fmt = output_format(fmt, json_out)
    target = results.check_path(out or Path(f"sweep-{spec.id}.parquet"))
    with contextlib.ExitStack() as stack:
        if needs_store(spec, options):
            from detente.events.store import Store

            options["store"] = stack.enter_context(Store(db, read_only=True))
        model, found = build_model(spec, **options)
    model, strategies, found = configure(model, found, strategies)
    ordered = resolve_strategies(model, strategies)
    # sweep() builds and checks every grid point, then connects, then runs; the file is
    # written only at the end, so bad input or an unreachable scheduler leaves nothing behind.
    with progress("sweeping", delay=0.0, unit="points", lines=False) as bar:
        result = sweep_lib.sweep(model, ordered, grids, runs=runs, seed=seed,
                                 scheduler=scheduler, workers=workers, progress=bar,
                                 connect_timeout=connect_timeout)
    results.write(result, target)
    frame = result.frame
    if fmt == "json":
        emit_json({"out": str(target), **result.to_json_dict(),
                   "rates": {k: r.to_json_dict() for k, r in found.items()}})
        return
    if fmt == "csv":
        sys.stdout.write(results.csv_text(frame))
        err_console.print(f"wrote {target}", markup=False, highlight=False)
        return
    console.print(f"[bold]{model.agreement}[/]: {len(frame)} grid points x {runs:,} runs "
                  f"(seed {result.seed}) on {result.backend} in {result.elapsed:.2f} s")
    params = [g.column for g in grids]
    table = Table(title="summary (first and last points, and the extremes of P(holding 12m))")
    for column in (*params, *SHOWN.values()):
        table.add_column(column, justify="right")
    # positions, as iloc reads them
    picks = sorted({0, len(frame) - 1, int(frame["p_holding_12m"].fillna(-1).argmin()),
                    int(frame["p_holding_12m"].fillna(-1).argmax())})
    for i in picks:
        row = frame.iloc[i]
        table.add_row(*(f"{row[p]:g}" for p in params),
                      *("-" if row[c] is None or row[c] != row[c] else f"{row[c]:.3g}"
                        for c in SHOWN))
    console.print(table)
    console.print(f"table written to {target} ({len(frame)} rows, {len(frame.columns)} columns)")


def register(app: typer.Typer) -> None:
    """Add ``sweep`` to the root command."""
    app.command("sweep")(sweep)
