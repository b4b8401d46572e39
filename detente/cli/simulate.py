"""``detente simulate``: how long would an agreement last under imperfect verification?"""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import (
    DbOption,
    DefaultCommandGroup,
    FormatOption,
    JsonOption,
    OutOption,
    SpecArgument,
    console,
    emit_result,
    output_format,
    progress,
)
from detente.errors import ParameterError

app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Durability simulator: the agreement as a repeated game with noisy monitoring "
    "(`detente simulate ID` runs it; `detente evaluate` scores it against history).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

RunsOption = Annotated[int, typer.Option("--runs", help="Independent runs to simulate.")]
SeedOption = Annotated[int | None, typer.Option(
    "--seed", help="Seed (default: a fresh one, printed so the run can be repeated).")]
HorizonOption = Annotated[str, typer.Option(
    "--horizon", help="How far to look: 10y, 24m, 520w, 90d, or a number of periods.")]
PeriodOption = Annotated[str, typer.Option("--period", help="Length of a period: day, week "
                                                             "or month.")]
StrategyOption = Annotated[list[str] | None, typer.Option(
    "--strategy", help="PARTY=NAME[:param=value,...], repeatable (default grim); see "
    "`detente simulate strategies`.")]
RateOption = Annotated[list[str] | None, typer.Option(
    "--rate", help="PARTY=Q: chance per week of an occasion to breach (default: the spec's "
    "temptation, else estimated from the event store).")]
ReferenceOption = Annotated[str | None, typer.Option(
    "--reference", help="FROM:TO period to estimate rates from (default: the two years "
    "before the agreement's start).")]
PayoffOption = Annotated[list[str] | None, typer.Option(
    "--payoff", help="PARTY=V,C,G: value of the other side's restraint, cost of one's own, "
    "gain from a breach (default: the spec's payoffs, else 3,1,1).")]
TrembleOption = Annotated[list[str] | None, typer.Option(
    "--tremble", help="PARTY=E: chance an intended action is flipped (Axelrod-style noise).")]
DiscountOption = Annotated[float, typer.Option(
    "--discount", help="Discount factor per year, for the critical detection probability.")]
WorkersOption = Annotated[int | None, typer.Option(
    "--workers", help="Threads (default: all cores).", min=1)]


def model_options(agreement: str, *, period: str, horizon: str, rate: list[str] | None,
                  reference: str | None, payoff: list[str] | None, tremble: list[str] | None,
                  discount: float) -> tuple:
    """The spec and keyword arguments of ``build_model``, every option checked before any
    work is done."""
    from detente.agreements import presets
    from detente.simulate import model as model_mod
    from detente.simulate.rates import parse_range

    spec = presets.load(agreement)
    model_mod.period_days(period)
    model_mod.horizon_periods(horizon, period)
    rates = {k: _number(v, f"--rate {k}") for k, v in
             model_mod.parse_assignments(rate, "--rate").items()}
    payoffs = {}
    for code, text in model_mod.parse_assignments(payoff, "--payoff").items():
        _party(spec, code, "--payoff")
        payoffs[code] = model_mod.parse_payoff(text, spec.payoff(code), f"--payoff {code}")
    trembles = {k: model_mod.check_probability(f"--tremble {k}", _number(v, f"--tremble {k}"))
                for k, v in model_mod.parse_assignments(tremble, "--tremble").items()}
    for code in (*rates, *trembles):
        _party(spec, code, "--rate" if code in rates else "--tremble")
    options = {"period": period, "horizon": horizon, "rates": rates,
               "reference": parse_range(reference, "--reference") if reference else None,
               "payoffs": payoffs, "tremble": trembles, "discount": discount}
    return spec, options


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParameterError.single("expected a number", field=option, value=text) from None


def _party(spec, code: str, option: str) -> None:
    if code not in spec.parties:
        raise ParameterError.single(f"not a party of {spec.id}; parties: "
                                    f"{', '.join(spec.parties)}", field=option, value=code)


def strategy_map(spec, items: list[str] | None) -> dict:
    from detente.simulate import model as model_mod
    from detente.simulate import strategy as strategy_mod

    out = {}
    for code, text in model_mod.parse_assignments(items, "--strategy").items():
        _party(spec, code, "--strategy")
        # "fitted" is the party's behaviour fitted from the store, built with the model.
        out[code] = "fitted" if text.strip() == "fitted" else strategy_mod.parse(text)
    return out


def needs_store(spec, options: dict) -> bool:
    from detente.simulate.model import restraints

    return any(restraints(spec, p) and p not in options["rates"] and p not in spec.temptation
               for p in spec.parties)


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@app.command("run")
def run(
    agreement: SpecArgument,
    runs: RunsOption = 10_000,
    horizon: HorizonOption = "10y",
    period: PeriodOption = "week",
    seed: SeedOption = None,
    strategy: StrategyOption = None,
    rate: RateOption = None,
    reference: ReferenceOption = None,
    payoff: PayoffOption = None,
    tremble: TrembleOption = None,
    discount: DiscountOption = 0.9,
    workers: WorkersOption = None,
    collapse: Annotated[str | None, typer.Option(
        "--collapse", help="When a run collapses: 'breach' (the first observed breach, as the "
        "replay counts it; the default without --strategy) or 'response' (the first response "
        "to an observed breach; the default with --strategy).")] = None,
    out: OutOption = None,
    json_out: JsonOption = False,
    fmt: FormatOption = None,
    db: DbOption = None,
) -> None:
    """Simulate an agreement many times: how long would it last?

    By default each party behaves as its hazard fitted to the record before the agreement's
    start says (coefficients shown); --strategy plays a counterfactual instead. Survival curve
    with 95% bands, median and mean duration, P(holding) at 6/12/24 months, who breaks first,
    collapses begun by real breaches versus false alarms, how the forecast moves with the
    false-alarm priors, and each party's critical detection probability next to the spec's.

    --format csv prints the survival curve (period, days, p, lo, hi); --out FILE.csv|.parquet
    writes it, FILE.json everything --format json prints.

    Example: [bold]detente simulate post-olympic-pause --runs 100000 --seed 1[/]  or
    [bold]detente simulate freeze-for-freeze --strategy PRK=generous:forgive=0.3 --json[/]  or
    [bold]detente simulate post-olympic-pause --runs 20000 --out curve.csv[/]
    """
    from detente import results
    from detente.simulate import simulate_agreement

    spec, options = model_options(agreement, period=period, horizon=horizon, rate=rate,
                                  reference=reference, payoff=payoff, tremble=tremble,
                                  discount=discount)
    strategies = strategy_map(spec, strategy)
    if runs < 1:
        raise ParameterError.single("must be a positive integer", field="--runs", value=runs)
    if collapse is not None and collapse not in ("breach", "response"):
        raise ParameterError.single("use breach or response", field="--collapse", value=collapse)
    fmt = output_format(fmt, json_out)
    if out is not None:
        results.check_path(out)
    with contextlib.ExitStack() as stack:
        if needs_store(spec, options):
            from detente.events.store import Store

            options["store"] = stack.enter_context(Store(db, read_only=True))
        bar = stack.enter_context(progress("simulating", delay=0.0, unit="chunks",
                                                    lines=False))
        result = simulate_agreement(spec, strategies, runs=runs, seed=seed, progress=bar,
                                    workers=workers, collapse=collapse, **options)
    if emit_result(result, fmt, out):
        return
    _print_result(result)


def _critical(value: float | None) -> str:
    if value is None:
        return "none suffices"
    return "not computed" if value != value else f"{value:.4f}"  # NaN: too many states


def _print_result(result) -> None:
    m = result.model
    s = result.summary()
    console.print(f"[bold]{m.agreement}[/]: {result.runs:,} runs x {m.horizon} {m.period}s "
                  f"(seed {result.seed}) in {result.elapsed:.2f} s")
    console.print("strategies: " + ", ".join(f"{k}={v}" for k, v in s["strategies"].items()),
                  markup=False, highlight=False)
    rates = Table(title="behaviour: fitted to the record, or occasions at a rate "
                        "(chance per period)")
    for column in ("party", "rate", "source"):
        rates.add_column(column, overflow="fold")
    for code, r in result.rates.items():
        rates.add_row(code, "fitted" if r["source"] == "fitted" else f"{r['rate']:.4f}",
                      r["description"])
    console.print(rates)
    fitted = {code: r["hazard"] for code, r in result.rates.items()
              if r.get("hazard") and r["source"] == "fitted"}
    if fitted:
        coef = Table(title="fitted weekly hazard of a recorded act (logistic; coefficient, "
                           "95% interval)")
        for column in ("term", *fitted):
            coef.add_column(column, justify="left" if column == "term" else "right")
        terms = [row["term"] for row in next(iter(fitted.values()))["coefficients"]]
        for k, term in enumerate(terms):
            cells = []
            for h in fitted.values():
                row = h["coefficients"][k]
                cells.append("-" if row["coef"] == 0 and row["se"] == 0 else
                             f"{row['coef']:+.2f} [{row['lo']:+.2f}, {row['hi']:+.2f}]")
            coef.add_row(term, *cells)
        console.print(coef)
    for code, r in result.rates.items():
        for warning in r.get("warnings") or ():
            console.print(f"[yellow]thin source under {code}'s rate: {warning}[/]")
    curve = result.survival()
    table = Table(title="still holding (95% band)")
    for column in ("after", "period", "S", "low", "high"):
        table.add_column(column, justify="right")
    for months in (6, 12, 24, 60, 120):
        t = m.periods_for_months(months)
        if t <= m.horizon:
            row = curve.iloc[t]
            table.add_row(f"{months} months", str(t), f"{row.p:.3f}", f"{row.lo:.3f}",
                          f"{row.hi:.3f}")
    console.print(table)
    median = s["median_periods"]
    console.print(f"median: {'beyond the horizon' if median is None else f'{median} {m.period}s'}"
                  f"; mean (within the horizon): {s['mean_periods']:.1f} {m.period}s; "
                  f"collapsed by the horizon: {s['collapsed']:.1%}")
    causes = s["collapse_cause_shares"]
    if m.collapse == "breach":
        console.print(f"collapses (the first observed breach): {causes['real_breach']:.1%} "
                      f"unprovoked, {causes['false_alarm']:.1%} answering a false alarm")
        console.print("first to breach (share of collapses): " + ", ".join(
            f"{k} {v:.1%}" for k, v in s["first_breaker"].items()))
    else:
        console.print(f"collapses begun by a real breach: {causes['real_breach']:.1%}, "
                      f"by a false alarm: {causes['false_alarm']:.1%}")
        console.print("first seen to break (share of collapses): " + ", ".join(
            f"{k} {v:.1%}" for k, v in s["first_breaker"].items()))
    if result.sensitivity:
        sens = Table(title="false alarms as uncertain inputs: P(holding) with every rate at a "
                           "quantile of its prior")
        for column in ("prior quantile", "false alarms a week", "6 months", "12 months",
                       "24 months"):
            sens.add_column(column, justify="right")
        for row in result.sensitivity:
            sens.add_row(f"{row['quantile']:.0%}", ", ".join(
                f"{v:.4f}" for v in row["false_alarm_per_week"].values()),
                *(_fmt(row["p_holding"][k]) for k in ("6m", "12m", "24m")))
        console.print(sens)
    table_crit = result.critical_detection()
    punishment = next(iter(table_crit.values()))["punishment"] if table_crit else "grim"
    crit = Table(title=f"critical detection probability, false alarms and delays counted, "
                       f"punishment {punishment} (detection >= critical makes compliance "
                       "self-enforcing)")
    for column in ("party", "commitment", "detection", "critical", "self-enforcing"):
        crit.add_column(column, overflow="fold")
    for code, t in table_crit.items():
        for c in t["commitments"]:
            crit.add_row(code, c["id"], f"{c['detection']:.2f}",
                         _critical(c["critical"]),
                         "yes" if c["self_enforcing"] else "[red]no[/]")
    console.print(crit)


def _calibrate_alias() -> None:
    """``detente simulate calibrate`` is ``detente evaluate`` (kept for old scripts)."""
    from detente.cli.evaluate import evaluate_command

    app.command("calibrate", help="Alias of `detente evaluate`: every forecast scored on "
                "rolling origins (see `detente evaluate --help`). Example: [bold]detente "
                "simulate calibrate post-olympic-pause --from 2015[/]")(evaluate_command)


_calibrate_alias()


@app.command("strategies")
def strategies() -> None:
    """List the strategies and their parameters.

    Example: [bold]detente simulate strategies[/]
    """
    import dataclasses

    from detente.simulate import strategy as strategy_mod

    table = Table(title="strategies (--strategy PARTY=NAME[:param=value,...])")
    for column in ("name", "parameters", "what it does"):
        table.add_column(column, overflow="fold")
    for name in strategy_mod.names():
        cls = strategy_mod.get(name)
        params = ", ".join(f"{f.name}={f.default}" for f in dataclasses.fields(cls))
        table.add_row(name, params or "-", " ".join((cls.__doc__ or "").split()))
    console.print(table)
