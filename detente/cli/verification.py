"""``detente verification``: how well each side's compliance with an agreement can be seen."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import JsonOption, console, emit_json

app = typer.Typer(
    help="Verification: detection, delay and false alarms of each commitment, and the "
    "asymmetry between what each side can see of the other.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

SpecArgument = Annotated[str, typer.Argument(
    metavar="ID|PATH", help="A preset id (see `detente agreements list`) or a spec file path.")]


@app.command("show")
def show(
    agreement: SpecArgument,
    horizon: Annotated[float, typer.Option(
        "--horizon", min=0.001, help="Days over which detection and false alarms are counted.")
    ] = 30.0,
    json_out: JsonOption = False,
) -> None:
    """Per commitment and per party: detection probability, delay, false alarms, informedness
    (timely detection minus false alarms) and the agreement's asymmetry.

    Example: [bold]detente verification show freeze-for-freeze --horizon 30[/]
    """
    from detente import verification
    from detente.agreements import presets

    result = verification.view(presets.load(agreement), horizon_days=horizon)
    if json_out:
        emit_json(result.to_json_dict())
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
