"""``detente evaluate``: every forecast scored out of sample on rolling origins.
Registered as a top-level command by ``register``; ``detente simulate calibrate`` is an alias."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    console,
    emit_result,
    output_file,
    output_format,
)
from detente.errors import ParameterError

AgreementsArgument = Annotated[list[str] | None, typer.Argument(
    metavar="[ID|PATH...]", help="Presets or spec files (default: every preset; 'all' too).")]


def _years(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ParameterError.single("expected a year such as 2008", field=option,
                                    value=text) from None


def _list(text: str, option: str, kind=int) -> list:
    try:
        return [kind(p.strip()) for p in text.split(",") if p.strip()]
    except ValueError:
        raise ParameterError.single("expected a comma-separated list", field=option,
                                    value=text) from None


def evaluate_command(
    agreements: AgreementsArgument = None,
    first: Annotated[str | None, typer.Option(
        "--from", help="First origin year (1 January; default 2008).")] = None,
    last: Annotated[str | None, typer.Option(
        "--to", help="Last origin year (default: the record's last full year).")] = None,
    horizons: Annotated[str, typer.Option(
        "--horizons", help="Horizons in weeks, comma-separated.")] = "13,26,52,104",
    methods: Annotated[str | None, typer.Option(
        "--methods", help="Comma-separated: default, hazard, grim (models); base_all, "
                          "base_5y, persistence, weibull, km (baselines). Default: all.")]
        = None,
    runs: Annotated[int, typer.Option(
        "--runs", help="Simulated runs per start for the default forecast.", min=1)] = 256,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the runs and the bootstrap.",
                                      min=0)] = 0,
    draws: Annotated[int, typer.Option(
        "--bootstrap", help="Bootstrap samples of origin years for the intervals.", min=100)]
        = 2000,
    csv: Annotated[Path | None, typer.Option(
        "--csv", help="Write every scored case (agreement, origin, start, horizon, held, one "
                      "column per method) to this CSV file.")] = None,
    json_out: JsonOption = False,
    fmt: FormatOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Backtest every forecast on rolling origins: is the simulator any good?

    For each origin (1 January of each year), every method is fitted on the record before it
    and forecasts, for starts every 7 days through the following year, the chance that each
    agreement holds 13, 26, 52 and 104 weeks; windows the record cannot decide (past its end,
    or with a blind day) are left out. Brier and log scores per horizon, Brier skill of each
    model against each baseline with 95% intervals from a bootstrap of origin years, the
    effective sample size, a reliability table, and a verdict only where an interval excludes
    zero.

    Example: [bold]detente evaluate[/]  or  [bold]detente evaluate post-olympic-pause
    --from 2015 --methods default,base_5y --json[/]

    --format csv prints the scores (method, horizon, brier, log_score, n, n_eff,
    observed_held); --out FILE.csv|.parquet writes them, FILE.json everything; --csv FILE
    writes every scored case.
    """
    from detente import results
    from detente.agreements import presets
    from detente.evaluate import METHODS, evaluate
    from detente.evaluate.backtest import origin_years
    from detente.events.store import Store

    ids = presets.ids() if not agreements or agreements == ["all"] else agreements
    specs = [presets.load(a) for a in ids]
    chosen = _list(methods, "--methods", str) if methods else list(METHODS)
    for m in chosen:
        if m not in METHODS:
            raise ParameterError.single(f"unknown method; known: {', '.join(METHODS)}",
                                        field="--methods", value=m)
    hs = _list(horizons, "--horizons")
    fmt = output_format(fmt, json_out)
    if out is not None:
        results.check_path(out)
    if csv is not None:
        output_file(csv, "--csv")
    with Store(db, read_only=True) as store:
        years = origin_years(store, _years(first, "--from"), _years(last, "--to"))
        result = evaluate(specs, store, origins=years, horizons=hs, methods=chosen, runs=runs,
                          seed=seed, draws=draws)
    if csv is not None:
        from detente.output import write_atomically

        frame = result.cases_frame()
        write_atomically(csv, lambda tmp: frame.to_csv(tmp, index=False), "--csv")
    if emit_result(result, fmt, out):
        return
    print_evaluation(result)
    if csv is not None:
        console.print(f"cases written to {csv} ({len(result.cases):,} rows)")


def print_evaluation(result) -> None:
    console.print(f"{len(result.agreements)} agreements, origins {result.origins[0]}-"
                  f"{result.origins[-1]} (1 January), starts every 7 days; record to "
                  f"{result.record_end}; {result.runs} runs a start, seed {result.seed}; "
                  f"{result.elapsed:.1f} s", highlight=False)
    table = Table(title="Brier score (lower is better), log score, cases and effective cases")
    for column in ("method", *(f"{h} w" for h in result.horizons)):
        table.add_column(column, justify="left" if column == "method" else "right")
    for m in result.methods:
        cells = []
        for h in result.horizons:
            s = result.score(m, h)
            cells.append("-" if s is None else f"{s.brier:.3f} / {s.log_score:.2f}")
        table.add_row(m, *cells)
    counts = [result.score(result.methods[0], h) for h in result.horizons]
    table.add_row("cases (effective)", *("-" if s is None else f"{s.n:,} ({s.n_eff:.0f})"
                                         for s in counts))
    table.add_row("held", *("-" if s is None else f"{s.observed_held:.3f}" for s in counts))
    console.print(table)
    skills = Table(title="Brier skill against each baseline (95% interval, bootstrap of "
                         "origin years)")
    for column in ("model", "baseline", *(f"{h} w" for h in result.horizons)):
        skills.add_column(column, justify="left" if column in ("model", "baseline")
                          else "right")
    pairs = dict.fromkeys((s.model, s.baseline) for s in result.skills)
    for model, base in pairs:
        cells = []
        for h in result.horizons:
            s = result.skill(model, base, h)
            cells.append("-" if s is None or s.skill != s.skill else   # NaN: no error to beat
                         f"{s.skill:+.3f} [{s.lo:+.2f}, {s.hi:+.2f}]")
        skills.add_row(model, base, *cells)
    console.print(skills)
    rel = Table(title="reliability of the default forecast: cases, mean forecast and share "
                      "held per tenth")
    for column in ("horizon", "bin", "cases", "forecast", "held"):
        rel.add_column(column, justify="right")
    for b in result.reliability:
        if b.method == result.methods[0]:
            rel.add_row(f"{b.horizon} w", f"{b.lo:.1f}-{b.hi:.1f}", f"{b.n:,}",
                        f"{b.mean_forecast:.3f}", f"{b.observed:.3f}")
    console.print(rel)
    first = result.methods[0]
    verdicts = [s.verdict for s in result.skills if s.verdict and s.model == first]
    console.print(f"verdicts for {first} (only where the interval excludes zero; --json has "
                  "every model's):" if verdicts else
                  f"no verdict for {first}: every interval includes zero")
    for v in verdicts:
        console.print(f"  {v}", highlight=False)
    for key, why in result.skipped.items():
        console.print(f"skipped {key}: {why}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
