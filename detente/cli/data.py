"""``detente data``: what is bundled, where it came from, and the vocabulary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from detente.cli.common import JsonOption, console, emit_json
from detente.errors import StoreError
from detente.events import ingest
from detente.events.kinds import vocabulary_rows

app = typer.Typer(help="The bundled dataset's provenance, input formats and event kinds.",
                  no_args_is_help=True)

SOURCES_FILE = Path(__file__).resolve().parent.parent / "data" / "sources.json"


def load_sources() -> list[dict[str, Any]]:
    """The provenance records written by scripts/build_dataset.py, one per source."""
    if not SOURCES_FILE.exists():
        raise StoreError(f"{SOURCES_FILE} is missing; run scripts/build_dataset.py")
    data = json.loads(SOURCES_FILE.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "sources" in data:
        data = data["sources"]
    if isinstance(data, dict):
        data = [{"source": name, **record} for name, record in data.items()]
    return data


@app.command("sources")
def sources_command(as_json: JsonOption = False) -> None:
    """What the bundled record is built from: each source with provenance and counts.

    Example:

        detente data sources
    """
    records = load_sources()
    if as_json:
        emit_json(records)
        return
    table = Table(title="bundled sources (details: --json)", show_lines=True)
    table.add_column("source", overflow="fold")
    table.add_column("what and where from", overflow="fold", ratio=3)
    table.add_column("rows → events", overflow="fold")
    table.add_column("dates", overflow="fold", no_wrap=True)
    for r in records:
        origin = r.get("origin") or {}
        where = origin if not isinstance(origin, dict) else " @ ".join(
            part for part in (origin.get("repository"), (origin.get("commit") or "")[:12])
            if part)
        what = f"{r.get('title', '')}\n[dim]{where or ''}; licence: {r.get('licence', '?')}[/]"
        counts = (f"{r.get('rows', 0):,} rows: {r.get('added', 0):,} new, "
                  f"{r.get('merged', 0):,} merged, {r.get('linked', 0):,} linked")
        table.add_row(r.get("source", "?"), what, counts,
                      f"{r.get('first', '')}\n{r.get('last', '')}")
    console.print(table)


@app.command("formats")
def formats_command() -> None:
    """Input formats `detente events ingest --format` accepts.

    Example:

        detente data formats
    """
    table = Table()
    table.add_column("format")
    table.add_column("reads")
    for name, description in ingest.formats():
        table.add_row(name, description)
    console.print(table)


@app.command("kinds")
def kinds_command(as_json: JsonOption = False) -> None:
    """The event kinds, their attributes and their CAMEO and PLOVER codes.

    Example:

        detente data kinds --json
    """
    rows = vocabulary_rows()
    if as_json:
        emit_json(rows)
        return
    table = Table(show_lines=True)
    for c in ("kind", "description", "cameo", "plover", "attributes"):
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(r["kind"], r["description"], r["cameo"] or "-", r["plover"] or "-",
                      ", ".join(f"{k}: {v}" for k, v in r["attributes"].items()))
    console.print(table)
    if rows:
        common = ", ".join(f"{k}: {v}" for k, v in rows[0]["common_attributes"].items())
        console.print(f"Every kind may also carry: {common}; and your own, named x_...",
                      markup=False, highlight=False)
