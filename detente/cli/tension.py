"""``detente tension``, ``detente windows`` and ``detente whatif-many``: tension indexes (one
dyad or all), quiet windows, and the what-if of several agreements (fanned out on Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import DbOption, JsonOption, console, emit_json
from detente.dates import required_date
from detente.errors import ParameterError
from detente.events.query import as_date

FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")]
SourceOption = Annotated[list[str] | None, typer.Option(
    "--source", help="Only events from these sources (e.g. gdelt, csis); default all.")]


WorkersOption = Annotated[int | None, typer.Option(
    "--workers", help="Fan the scan out over a local Dask cluster of this many worker "
    "processes, per partition of the attached datasets.", min=1)]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Fan the scan out over a running Dask scheduler (tcp://host:8786) "
    "whose workers see the datasets at the same paths.")]


def tension(
    dyad: Annotated[str | None, typer.Option("--dyad", help="Two actor codes, e.g. PRK-USA."
                                             )] = None,
    all_dyads: Annotated[bool, typer.Option(
        "--all-dyads", help="Every dyad of the record at once (periods with events only), "
        "highest total tension first.")] = False,
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
    limit: Annotated[int, typer.Option(help="Periods shown in the table (the latest; with "
                                            "--all-dyads the dyads); JSON output is never "
                                            "cut.", min=1)] = 20,
    out: Annotated[Path | None, typer.Option(
        "--out", help="--all-dyads: write every dyad's series to this .parquet or .csv "
        "file.")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Tension index of a dyad, or of every dyad: conflict minus cooperation per day or week,
    from Goldstein weights (coded data) or the documented weight table (detente kinds).

    Example: [bold]detente tension --dyad PRK-USA --weekly --smooth 4w[/]

    Example: [bold]detente tension --all-dyads --weekly --workers 2 --out dyads.parquet[/]
    """
    from detente import tension as tension_lib
    from detente.events.store import Store

    if all_dyads == (dyad is not None):
        raise ParameterError.single("give --dyad A-B or --all-dyads (one of them)",
                                    field="--dyad")
    if all_dyads:
        if smooth is not None:
            raise ParameterError.single("smoothing is for one dyad's series", field="--smooth",
                                        value=smooth)
        _all_dyads(weekly=weekly, start=as_date(date_from, "--from"),
                   end=as_date(date_to, "--to"), sources=source, per_mention=per_mention,
                   unilateral=unilateral, limit=limit, out=out, workers=workers,
                   scheduler=scheduler, json_out=json_out, db=db)
        return
    if out is not None or workers is not None or scheduler is not None:
        raise ParameterError.single("--out, --workers and --scheduler go with --all-dyads",
                                    field="--all-dyads")
    assert dyad is not None  # one of --dyad and --all-dyads, checked above
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
                  f"{series.events:,} events in {len(active):,} {unit}"
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


def _all_dyads(*, weekly: bool, start, end, sources, per_mention: bool, unilateral: bool,
               limit: int, out: Path | None, workers: int | None, scheduler: str | None,
               json_out: bool, db: Path | None) -> None:
    from detente import scale
    from detente import tension as tension_lib
    from detente.cli.common import output_file
    from detente.events.store import Store

    if out is not None:
        output_file(out, "--out")
        if out.suffix.lower() not in (".parquet", ".csv"):
            raise ParameterError.single("write a .parquet or .csv file", field="--out",
                                        value=str(out))
    options = {"weekly": weekly, "start": start, "end": end, "sources": sources,
               "per_mention": per_mention, "unilateral": unilateral}
    with Store(db, read_only=True) as store:
        if workers is not None or scheduler is not None:
            found = scale.dyads(store, **options, workers=workers, scheduler=scheduler)
        else:
            found = tension_lib.dyads(store, **options)
    if out is not None:
        _write_frame(found.frame, out)
    if json_out:
        emit_json(found.to_json_dict())
        return
    summary = found.summary()
    unit = "weeks" if weekly else "days"
    console.print(f"{len(summary):,} dyads, {len(found.frame):,} dyad-{unit[:-1]}s with events"
                  + (f" (from {found.parts} parts of the record)" if found.parts > 1 else "")
                  + (f"; every series in {out}" if out is not None else ""))
    table = Table(title=f"highest total tension (top {min(limit, len(summary))})")
    for c in ("dyad", "events", "conflict", "cooperation", "tension", "peak"):
        table.add_column(c, justify="left" if c in ("dyad", "peak") else "right")
    row: Any  # pandas-stubs types itertuples' fields as any scalar
    for row in summary.head(limit).itertuples(index=False):
        table.add_row(row.dyad, f"{row.events:,}", f"{row.conflict:,.1f}",
                      f"{row.cooperation:,.1f}", f"{row.tension:,.1f}",
                      f"{row.peak} ({row.peak_tension:,.1f})")
    console.print(table)


def _write_frame(frame, path: Path) -> None:
    from detente import output

    def write(tmp: Path) -> None:
        if path.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)

    output.write_atomically(path, write, "--out")


def whatif_many(
    agreements: Annotated[list[str], typer.Argument(
        metavar="ID|PATH...", help="Preset ids (see `detente agreements list`) or spec files.")],
    from_: Annotated[str, typer.Option("--from", help="First start date (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", help="Last start date (YYYY-MM-DD).")],
    step: Annotated[str, typer.Option("--step", help="Days between starts: 7d, 2w, 30.")] = "7d",
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Replay several agreements from every start date in a range, their events matched in one
    pass per partition of the record (on Dask with --workers or --scheduler).

    Example: [bold]detente whatif-many post-olympic-pause freeze-for-freeze --from 2006-01-01
    --to 2023-12-31 --workers 2[/]
    """
    from detente import scale
    from detente.agreements import presets
    from detente.cli.monitor import parse_step
    from detente.events.store import Store

    specs = [presets.load(a) for a in agreements]
    first, last = required_date(from_, "--from"), required_date(to, "--to")
    with Store(db, read_only=True) as store:
        results = scale.whatif_many(specs, store, first, last, parse_step(step),
                                    workers=workers, scheduler=scheduler)
    if json_out:
        emit_json({k: r.to_json_dict() for k, r in results.items()})
        return
    table = Table(title=f"starts from {first} to {last} every {parse_step(step)} days")
    for c in ("agreement", "starts", "observed", "broken", "median days held"):
        table.add_column(c, justify="left" if c == "agreement" else "right")
    for key, r in results.items():
        median = r.median_days
        table.add_row(key, f"{len(r.starts):,}", f"{r.observed:,}", f"{r.breached:,}",
                      "not reached" if median is None else f"{median:g}")
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
    app.command("whatif-many")(whatif_many)
