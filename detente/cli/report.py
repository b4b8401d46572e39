"""``detente demo``, ``detente report`` and ``detente serve``: see the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from detente.cli.common import DbOption, console, progress
from detente.dates import required_date
from detente.events.query import as_date

SpecArguments = Annotated[list[str], typer.Argument(
    metavar="ID|PATH...", help="Preset ids (see `detente agreements list`) or spec file paths.")]


def _summary_table(report) -> Table:
    from detente.report.summary import summary_rows

    table = Table(title="agreements against the record; proposals replayed and simulated",
                  caption="replay: median days held from every week of the what-if range; "
                          "simulated: median days; P(1 yr): simulated chance of holding a "
                          "year; blind at end: parties the record cannot see on its last day",
                  box=box.SIMPLE_HEAD)
    table.add_column("agreement", no_wrap=True)  # ids are what the user types next
    table.add_column("status", ratio=1, min_width=9)
    table.add_column("first breach", no_wrap=True)
    table.add_column("blind at end", no_wrap=True)
    for column in ("replay", "simulated", "P(1 yr)"):
        table.add_column(column, justify="right", no_wrap=True)

    def days(row, key):
        if key not in row:
            return "-"
        return "not reached" if row[key] is None else f"{row[key]:,.0f} d"

    for row in summary_rows(report):
        p = row.get("p_holding_12m")
        table.add_row(row["agreement"], row["status"], row["first_breach"],
                      ",".join(row["blind_at_end"]) or "-", days(row, "whatif_median_days"),
                      days(row, "sim_median_days"),
                      "-" if p is None else f"{p:.1%}")
    return table


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the report.")
                   ] = Path("detente-report.html"),
    runs: Annotated[int, typer.Option(help="Simulated runs per proposal.", min=1)] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the first simulation (+1 for the next).")
                    ] = 2018,
    db: Annotated[Path | None, typer.Option(
        "--db", help="Keep the demo's store at this path (default: a temporary directory).")
    ] = None,
) -> None:
    """Run the whole workbench on a fresh store and write detente-report.html.

    Ingests the bundled record, checks every preset, replays freeze-for-freeze and the
    post-Olympic pause from every week since 2006, simulates both, runs the bundled dialogue
    scenario and writes the offline HTML report.

    Example: [bold]detente demo[/]  or  [bold]detente demo --runs 20000 -o /tmp/demo.html[/]
    """
    from detente.demo import COMPARED, run_demo

    console.print(f"detente demo: simulating {', '.join(COMPARED)} with {runs:,} runs each "
                  f"(seed {seed}, {seed + 1})", highlight=False)
    with progress("demo", delay=0.0, unit="stages") as bar:
        result = run_demo(db=db, out=out, runs=runs, seed=seed, progress=bar)
    report = result.report
    console.print(f"ingested {result.ingest.added:,} events into "
                  f"{'a temporary store' if result.temporary else result.store_path}",
                  highlight=False)
    console.print(_summary_table(report))
    for paragraph in report.summary()[:1]:
        console.print(paragraph, highlight=False, markup=False)
    console.print(f"report: [bold]{result.report_path}[/] ({result.seconds:.1f} s)",
                  highlight=False)


def report(
    agreements: SpecArguments,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")
                   ] = Path("detente-report.html"),
    whatif_from: Annotated[str, typer.Option(
        "--from", help="First start date of the what-if (YYYY-MM-DD).")] = "2006-01-01",
    whatif_to: Annotated[str | None, typer.Option(
        "--to", help="Last start date of the what-if (default: the end of the record).")
    ] = None,
    step: Annotated[str, typer.Option("--step", help="Days between what-if starts: 7d, 2w.")
                    ] = "7d",
    runs: Annotated[int, typer.Option(help="Simulated runs per agreement (0: no simulation).",
                                      min=0)] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the first simulation (+1 per agreement).")
                    ] = 1,
    horizon: Annotated[str, typer.Option(help="Simulation horizon: 10y, 24m, 520w.")] = "10y",
    scenario: Annotated[str | None, typer.Option(
        help="Dialogue scenario id or file ('none' to leave the dialogue out).")
    ] = "korea-2018",
    compare: Annotated[list[str] | None, typer.Option(
        help="Only these agreements get the what-if and the simulation (repeatable).")] = None,
    title: Annotated[str, typer.Option(help="Title of the report.")] = "detente report",
    backtest_from: Annotated[int | None, typer.Option(
        "--backtest-from", help="Add a backtest of the compared agreements with origins from "
                                "this year (`detente evaluate`).")] = None,
    figures_dir: Annotated[Path | None, typer.Option(
        "--figures", help="Also write every figure as SVG and PNG at print resolution, and "
        "every table as CSV, into this folder (needs kaleido and Chromium).")] = None,
    db: DbOption = None,
) -> None:
    """Write a self-contained HTML report (works offline: plotly.js is inlined).

    Timeline with every agreement's window, breaches and responses linked to the evidence;
    what-if and simulated survival side by side; verification; the dialogue map; and a summary
    in words at the top.

    Example: [bold]detente report freeze-for-freeze post-olympic-pause -o report.html[/]  or,
    for a paper, [bold]detente report post-olympic-pause -o r.html --figures figures/[/]
    """
    from detente.agreements import presets
    from detente.cli.monitor import parse_step
    from detente.events.store import Store
    from detente.report.builder import ReportOptions, build

    specs = [presets.load(a) for a in agreements]  # invalid specs stop here: nothing written
    options = ReportOptions(
        whatif_from=required_date(whatif_from, "--from"), whatif_to=as_date(whatif_to, "--to"),
        step_days=parse_step(step), simulate=runs > 0, runs=max(runs, 1), seed=seed,
        horizon=horizon, scenario=None if (scenario or "").lower() in ("", "none") else scenario,
        compare=tuple(compare) if compare else None, title=title,
        backtest_from=backtest_from)
    with Store(db, read_only=True) as store, progress("report", delay=0.0, unit="") as bar:
        count = [0]

        def note(stage: str, _done: int = 0, _total: int | None = None) -> None:
            bar(stage, count[0], None)  # the builder names its stages; count them here
            count[0] += 1

        result = build(specs, store, options, progress=note)
    path = result.write(out)
    for paragraph in result.summary()[:1]:
        console.print(paragraph, highlight=False, markup=False)
    console.print(f"report: [bold]{path.resolve()}[/]", highlight=False)
    if figures_dir is not None:
        from detente.report.export import write_figures

        written = write_figures(result, figures_dir)
        console.print(f"figures and tables: {len(written)} files in "
                      f"[bold]{figures_dir.resolve()}[/]", highlight=False)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    db: DbOption = None,
    max_runs: Annotated[int, typer.Option(help="Largest simulation a request may ask for.",
                                          min=1)] = 200_000,
    workers: Annotated[int, typer.Option(
        help="Server processes. More than 1 pays on a machine with spare cores under many "
             "concurrent clients; each worker keeps its own event index in memory.",
        min=1, max=64)] = 1,
    jobs_dir: Annotated[Path | None, typer.Option(
        "--jobs-dir", help="Folder of the background simulation jobs, shared by the workers "
                           "(default: a temporary folder removed at exit).")] = None,
    store_wait: Annotated[float, typer.Option(
        "--store-wait", help="Seconds a request waits for another process to let go of the "
                             "store before answering 503.", min=0, max=3600)] = 10.0,
    header_timeout: Annotated[float, typer.Option(
        "--header-timeout", help="Seconds a client has to send a request's headers (a new "
                                 "connection, or the next request on a kept-alive one).",
        min=0.1, max=3600)] = 10.0,
    keep_alive: Annotated[float, typer.Option(
        "--keep-alive", help="Seconds an idle kept-alive connection stays open.", min=0.1,
        max=3600)] = 5.0,
    spec: Annotated[list[Path] | None, typer.Option(
        "--spec", help="An agreement spec file of your own, offered in the dashboard and the "
                       "API beside the presets (repeatable; checked before the server starts).")
    ] = None,
    max_connections: Annotated[int, typer.Option(
        "--max-connections", help="Open connections per worker (lowered to what the file "
                                  "limit allows); a new one over it closes the oldest still "
                                  "sending its headers.", min=1)] = 1000,
) -> None:
    """Serve the JSON API under /api/ and the dashboard (FastAPI + uvicorn).

    Read-only unless the operator sets DETENTE_TOKEN: writes (POST /api/events) then need
    'Authorization: Bearer <token>'. OpenAPI docs at /docs.

    Example: [bold]DETENTE_TOKEN=s3cret detente serve --port 8000 --workers 2[/]  or
    [bold]detente serve --spec my-freeze.yaml[/]
    """
    from detente.web.server import run

    run(host=host, port=port, db=db, max_runs=max_runs, workers=workers, jobs_dir=jobs_dir,
        store_wait_seconds=store_wait, header_timeout_seconds=header_timeout,
        keep_alive_seconds=keep_alive, max_connections=max_connections,
        specs=tuple(str(p) for p in spec or ()))


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``report`` and ``serve`` to the root command."""
    app.command("demo")(demo)
    app.command("report")(report)
    app.command("serve")(serve)
