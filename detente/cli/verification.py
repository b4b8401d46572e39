"""``detente verification``: how well each side's compliance with an agreement can be seen."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import (
    FormatOption,
    JsonOption,
    OutOption,
    SpecArgument,
    console,
    emit_json,
    emit_result,
    output_format,
)

app = typer.Typer(
    help="Verification: detection, delay and false alarms of each commitment, and the "
    "asymmetry between what each side can see of the other.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)



@app.command("show")
def show(
    agreement: SpecArgument,
    horizon: Annotated[float, typer.Option(
        "--horizon", min=0.001, help="Days over which detection and false alarms are counted.")
    ] = 30.0,
    json_out: JsonOption = False,
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """Per commitment and per party: detection probability, delay, false alarms, informedness
    (timely detection minus false alarms) and the agreement's asymmetry.

    --format csv prints one row per commitment; --out FILE.csv|.json|.parquet writes it.

    Example: [bold]detente verification show freeze-for-freeze --horizon 30[/]
    """
    from detente import results, verification
    from detente.agreements import presets

    fmt = output_format(fmt, json_out)
    if out is not None:
        results.check_path(out)
    result = verification.view(presets.load(agreement), horizon_days=horizon)
    if emit_result(result, fmt, out):
        return
    h = f"{result.horizon_days:g}"
    table = Table(title=f"{result.agreement}: commitments (horizon {h} days)")
    for column in ("commitment", "party", "detect", "delay d", "FA/wk", f"FA/{h}d", "J"):
        table.add_column(column, justify="left" if column in ("commitment", "party")
                         else "right", no_wrap=column == "commitment")
    for c in result.commitments:
        table.add_row(c.commitment, c.party, f"{c.detection:.2f}", f"{c.delay_days:g}",
                      f"{c.false_alarm_week:.3f}", f"{c.false_alarm_h:.3f}",
                      f"{c.informedness:+.3f}")
    console.print(table)
    console.print(f"FA: false-alarm probability; J (informedness) = detection within {h} days "
                  f"- FA/{h}d. Means:", highlight=False)
    for c in result.commitments:
        console.print(f"  {c.commitment}: {c.means}", markup=False, highlight=False)
    parties = Table(title="what the other parties can see of each party (observability)")
    for column in ("party", "weakest commitment", "J (weakest)", "min detect",
                   "max delay d", "FA/wk (any)"):
        parties.add_column(column, justify="left" if column in ("party", "weakest commitment")
                           else "right", no_wrap=column == "weakest commitment")
    for p in result.parties:
        parties.add_row(p.party, p.weakest, f"{p.observability:+.3f}", f"{p.min_detection:.2f}",
                        f"{p.max_delay_days:g}", f"{p.false_alarm_week:.3f}")
    console.print(parties)
    if result.most_observable:
        console.print(f"asymmetry: [bold]{result.asymmetry:.3f}[/] "
                      f"({', '.join(result.most_observable)} watched better than "
                      f"{', '.join(result.least_observable)})")
    else:
        console.print(f"asymmetry: [bold]{result.asymmetry:.3f}[/] (every side equally visible)")


@app.command("game")
def game(
    q: Annotated[float, typer.Option("--q", help="Detection probability of an inspection.")
                 ] = 0.8,
    alpha: Annotated[float, typer.Option("--alpha", help="False-alarm probability.")] = 0.05,
    cost: Annotated[float, typer.Option("--C", help="Inspection cost.")] = 1.0,
    f: Annotated[float, typer.Option("--f", help="False alarm's cost to the inspector.")] = 2.0,
    h: Annotated[float, typer.Option("--h", help="False alarm's cost to the inspectee.")] = 1.0,
    a: Annotated[float, typer.Option("--a", help="Inspector's loss, detected violation.")] = 1.0,
    c: Annotated[float, typer.Option("--c", help="Inspector's loss, undetected violation.")
                 ] = 10.0,
    b: Annotated[float, typer.Option("--b", help="Penalty for a detected violation.")] = 5.0,
    d: Annotated[float, typer.Option("--d", help="Violator's gain if undetected.")] = 3.0,
    json_out: JsonOption = False,
) -> None:
    """Solve the one-shot inspection game: how often to inspect, how often violating pays.

    Mixed equilibrium p* = d / (q (b + d) - h alpha) (inspect), r* = (C + f alpha) /
    (q (c - a) + f alpha) (violate); at q <= (d + h alpha) / (b + d) the inspectee always
    violates. Defaults are the textbook example. See docs/simulate.md.

    Example: [bold]detente verification game --q 0.8 --alpha 0.05 --C 1 --f 2 --h 1 --a 1
    --c 10 --b 5 --d 3[/]
    """
    from detente.verification import InspectionGame, solve_game

    solution = solve_game(InspectionGame(q=q, alpha=alpha, C=cost, f=f, h=h, a=a, c=c, b=b, d=d))
    if json_out:
        emit_json(solution.to_json_dict())
        return
    main = solution.main
    console.print(f"regime: [bold]{solution.regime}[/]")
    console.print(f"inspect with probability p* = {main.inspect:.4f}; "
                  f"violate with probability r* = {main.violate:.4f}")
    console.print(f"expected payoffs: inspector {main.inspector_payoff:.4f}, "
                  f"inspectee {main.inspectee_payoff:.4f}")
    threshold = solution.game.deterrence_threshold
    if threshold is not None:
        console.print(f"deterrence needs q > (d + h alpha) / (b + d) = {threshold:.4f} "
                      f"(here q = {q:g})")
    if len(solution.equilibria) > 1:
        console.print(f"{len(solution.equilibria)} equilibria: " + "; ".join(
            f"inspect {e.inspect:.4f}, violate {e.violate:.4f}" for e in solution.equilibria))
