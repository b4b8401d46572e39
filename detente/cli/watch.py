"""``detente watch``: ingest new event files as they arrive and alert on breaches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import (
    DbOption,
    JsonOption,
    SpecArgument,
    console,
    emit_json,
    err_console,
)


def watch(
    agreement: SpecArgument,
    source: Annotated[Path, typer.Option(
        "--source", help="An event file, or a directory whose files are ingested as they "
                         "arrive (any format `detente events ingest` reads).")],
    interval: Annotated[float, typer.Option(
        "--interval", help="Seconds between polls.", min=0.05)] = 60.0,
    once: Annotated[bool, typer.Option(
        "--once", help="One cycle (ingest, check, deliver alerts), then exit.")] = False,
    log: Annotated[Path | None, typer.Option(
        "--log", help="Append alerts to this JSON-lines file (never twice).")] = None,
    webhook: Annotated[str | None, typer.Option(
        "--webhook", help="POST each alert as JSON to this URL (retried until it succeeds).")
    ] = None,
    webhook_timeout: Annotated[float, typer.Option(
        help="Seconds per webhook request.", min=0.1)] = 5.0,
    window_days: Annotated[int, typer.Option(
        "--window-days", help="Quiet-window length (days without provocation by a party) "
                              "that raises an alert.", min=1)] = 90,
    settle: Annotated[float, typer.Option(
        help="Seconds a file must stay unchanged before it is read.", min=0.0)] = 2.0,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="Adapter for every file (detected per file if omitted).")
    ] = None,
    rejects: Annotated[Path | None, typer.Option(
        help="Directory for rejects files (default: next to each input).")] = None,
    coverage_file: Annotated[Path | None, typer.Option(
        "--coverage", help="YAML file declaring what the watched feed covers (layout of "
        "data/coverage.yaml; to: ongoing extends it to the day of each poll). Without it, days "
        "after the record's end are unobserved.")] = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Watch an agreement: ingest new files from --source, re-check, and alert on breaches,
    status changes and quiet windows (console, --log JSON lines, --webhook POST).

    Alerts are recorded in the event store before delivery, so none is lost or repeated
    across restarts; a failed webhook is retried on later polls.

    Example: [bold]detente watch post-olympic-pause --source feeds/ --interval 300
    --log alerts.jsonl --webhook http://localhost:8080/alerts[/]
    """
    from detente.agreements import presets
    from detente.watch import Watch, Webhook

    spec = presets.load(agreement)
    hook = Webhook(webhook, timeout=webhook_timeout) if webhook else None

    def echo(line: str) -> None:
        (err_console if json_out else console).print(line, markup=False, highlight=False)

    w = Watch(spec, source, store_path=db, log=log, webhook=hook, fmt=fmt, rejects=rejects,
              window_days=window_days, settle=settle, echo=echo, coverage=coverage_file)
    echo(f"watching {w.source} for {spec.id} (watch {w.id}); "
         + ("one cycle" if once else f"every {interval:g} s; Ctrl-C stops"))
    try:
        for result in w.run(interval=interval, once=once):
            if json_out:
                emit_json(result.to_json_dict())
            if result.pending.get("webhook"):
                echo(f"{result.pending['webhook']} alert(s) wait for the webhook")
    except KeyboardInterrupt:
        echo("stopped")


def register(app: typer.Typer) -> None:
    """Add ``watch`` to the root command."""
    app.command("watch")(watch)
