"""``detente tension`` and ``detente windows``: a dyad's tension index and quiet windows."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import DbOption, JsonOption, console, emit_json
from detente.events.query import as_date

FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")]
SourceOption = Annotated[list[str] | None, typer.Option(
    "--source", help="Only events from these sources (e.g. gdelt, csis); default all.")]


def tension(
    dyad: Annotated[str, typer.Option("--dyad", help="Two actor codes, e.g. PRK-USA.")],
    weekly: Annotated[bool, typer.Option("--weekly", help="ISO weeks instead of days.")] = False,
    smooth: Annotated[str | None, typer.Option(
        "--smooth", help="EWMA half-life: 10d, 4w (adds a 'smoothed' column).")] = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    source: SourceOption = None,
    per_mention: Annotated[bool, typer.Option(
        "--per-mention", help="Count a coded event once per news mention (GDELT).")] = False,
    unilateral: Annotated[bool, typer.Option(
        "--unilateral/--no-unilateral",
        help="Also count acts of either side with no target (tests, exercises).")] = True,
    limit: Annotated[int, typer.Option(help="Periods shown in the table (the latest); JSON "
                                            "output is never cut.", min=1)] = 20,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Tension index of a dyad: conflict minus cooperation per day or week, from Goldstein
    weights (coded data) or the documented weight table (detente kinds).

    Example: [bold]detente tension --dyad PRK-USA --weekly --smooth 4w[/]
    """
    from detente import tension as tension_lib
    from detente.events.store import Store

    with Store(db, read_only=True) as store:
        series = tension_lib.tension(store, dyad, weekly=weekly, smooth=smooth,
                                     start=as_date(date_from, "--from"),
                                     end=as_date(date_to, "--to"), sources=source,
                                     per_mention=per_mention, unilateral=unilateral)
    if json_out:
        emit_json(series.to_json_dict())
        return
    frame = series.frame
    unit = "weeks" if weekly else "days"
    if frame.empty:
        console.print(f"no events between {series.dyad.a} and {series.dyad.b}")
        return
    active = frame[frame["events"] > 0]
    console.print(f"[bold]{series.dyad.label}[/] tension, {len(frame):,} {unit} from "
                  f"{frame['date'].iloc[0]} to {frame['date'].iloc[-1]}; "
                  f"{int(frame['events'].sum()):,} events in {len(active):,} {unit}"
                  + (f"; EWMA half-life {series.halflife_days:g} days"
                     if series.halflife_days else ""))
    # pandas-stubs type idxmax's label as Hashable, which their .loc overloads refuse
    peak = frame.loc[frame["tension"].idxmax()]  # type: ignore[call-overload]
    console.print(f"highest: {peak['tension']:.1f} in the {unit[:-1]} of {peak['date']}; "
                  f"mean {frame['tension'].mean():.2f} per {unit[:-1]}")
    table = Table(title=f"latest {min(limit, len(frame))} {unit}")
    columns = ["date", "events", "conflict", "cooperation", "tension"]
    if series.halflife_days:
        columns.append("smoothed")
    for c in columns:
        table.add_column(c, justify="left" if c == "date" else "right")
    for row in frame.tail(limit).itertuples(index=False):
        cells = [str(row.date), f"{row.events:,}", f"{row.conflict:.1f}",
                 f"{row.cooperation:.1f}", f"{row.tension:.1f}"]
        if series.halflife_days:
            cells.append(f"{row.smoothed:.2f}")
        table.add_row(*cells)
    console.print(table)


def windows(
    min_days: Annotated[int, typer.Option("--min-days", help="Shortest window listed.",
                                          min=1)] = 90,
    actor: Annotated[list[str] | None, typer.Option(
        "--actor", help="Only provocations by these actors (e.g. PRK).")] = None,
    dyad: Annotated[str | None, typer.Option(
        "--dyad", help="Only provocations of a dyad, e.g. PRK-KOR (between the two, or by "
                       "either with no target).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="Kinds that count as provocations (default: nuclear_test, "
                       "missile_test, provocation).")] = None,
    max_weight: Annotated[float | None, typer.Option(
        "--max-weight", help="Also count any event weighing at most this (e.g. -9).")] = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    source: SourceOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Quiet windows: periods with no provocation of at least --min-days days, with the
    events that opened and ended them.

    Example: [bold]detente windows --min-days 90 --actor PRK[/]
    """
    from detente import tension as tension_lib
    from detente.events.store import Store

    with Store(db, read_only=True) as store:
        found = tension_lib.windows(store, min_days=min_days, actors=actor, dyad=dyad,
                                    kinds=kind, max_weight=max_weight,
                                    start=as_date(date_from, "--from"),
                                    end=as_date(date_to, "--to"), sources=source)
    if json_out:
        emit_json(found.to_json_dict())
        return
    who = f" by {', '.join(found.actors)}" if found.actors else ""
    who += f" between {found.dyad.a} and {found.dyad.b}" if found.dyad else ""
    console.print(f"{found.provocations:,} provocations{who} ({', '.join(found.kinds)}) from "
                  f"{found.start} to {found.end}; {len(found.windows)} quiet windows of "
                  f"{found.min_days}+ days")
    table = Table()
    for c in ("from", "to", "days", "ended by"):
        table.add_column(c, justify="right" if c == "days" else "left", overflow="fold")
    for w in found.windows:
        if w.ongoing:
            ended = "(ongoing at the end of the record)"
        else:
            first = w.ended_by[0]
            summary = (first.summary or "")[:60] + ("..." if len(first.summary or "") > 60
                                                     else "")
            ended = f"{first.date} {first.actor} {first.kind}" + (
                f": {summary}" if summary else "") + (
                f" (+{len(w.ended_by) - 1} more that day)" if len(w.ended_by) > 1 else "")
        table.add_row(str(w.start), str(w.end), f"{w.days:,}", ended)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``tension`` and ``windows`` to the root command."""
    app.command("tension")(tension)
    app.command("windows")(windows)
