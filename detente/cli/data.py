"""``detente data``: what is bundled, where it came from, and the vocabulary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import DbOption, JsonOption, console, emit_json
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


@app.command("declare")
def declare_command(
    path: Annotated[Path | None, typer.Argument(
        help="YAML file of declarations (layout of data/coverage.yaml).")] = None,
    bundled: Annotated[bool, typer.Option(
        "--bundled", help="Declare the bundled record's coverage (for a store created before "
        "schema version 4).")] = False,
    db: DbOption = None,
) -> None:
    """Record what a source covers, checked against its events already in the store.

    A declaration says a source reports every event (complete) or some (partial) of some kinds,
    by some actors, optionally restricted to attribute values, from one UTC day to another.

    Example:

        detente data declare my-feed-coverage.yaml
    """
    from detente.errors import ParameterError
    from detente.events import coverage
    from detente.events.store import BUNDLED_SOURCES, Store

    if (path is None) == (not bundled):
        raise ParameterError.single("give a YAML file or --bundled (one of them)", field="path",
                                    value=str(path) if path else None)
    found = coverage.read(path) if path is not None else coverage.read_sources(BUNDLED_SOURCES)
    with Store(db) as store:
        added = store.declare_coverage(found)
        end = store.record_end()
    console.print(f"{added} new declaration(s) of {len(found)}; the record ends {end}",
                  markup=False, highlight=False)


@app.command("coverage")
def coverage_command(
    chart: Annotated[bool, typer.Option(
        "--chart", help="Add a chart: one row per actor and kind, one mark per year "
        "(█ complete, ▒ partial, · not covered).")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """What each source declares it covers (kinds, actors, issuers, dates, completeness).

    A commitment is observable on a day only when some source covers it then; elsewhere the
    record is blind and detente says so instead of counting the silence as compliance.

    Example:

        detente data coverage --chart
    """
    from detente.events import coverage
    from detente.events.store import Store

    with Store(db, read_only=True) as store:
        declared = store.coverage()
        record_end = store.record_end()
    grid = coverage.grid(declared) if declared else []
    if as_json:
        emit_json({"record_end": record_end.isoformat() if record_end else None,
                   "declarations": [d.to_json_dict() for d in declared],
                   "grid": grid})
        return
    if not declared:
        console.print("no source in this store declares its coverage: every day counts as "
                      "observed, and gaps in the record count as quiet (docs/data.md)")
        return
    table = Table(title=f"coverage declared by the sources (the record ends {record_end})",
                  show_lines=True)
    for column in ("source", "covers", "from", "to", "completeness", "note"):
        table.add_column(column, overflow="fold", ratio=3 if column == "note" else None)
    for d in declared:
        table.add_row(d.source, d.scope_label(), str(d.start), str(d.end), d.completeness,
                      d.note)
    console.print(table)
    if chart:
        first = min(r["years"][0] for r in grid)
        last = max(r["years"][-1] for r in grid)
        marks = {"complete": "█", "partial": "▒", "none": "·"}
        ruler = "".join(str(y)[2] if y % 10 == 0 else " " for y in range(first, last + 1))
        console.print(f"{'actor':6} {'kind (issuer)':32} {first}{' ' * (last - first - 7)}{last}",
                      markup=False, highlight=False)
        console.print(f"{'':6} {'':32} {ruler}", markup=False, highlight=False)
        for row in grid:
            by_year = dict(zip(row["years"], row["levels"], strict=True))
            line = "".join(marks[by_year.get(y, "none")] for y in range(first, last + 1))
            console.print(f"{row['actor']:6} {row['kind'][:32]:32} {line}", markup=False,
                          highlight=False)
        console.print("█ complete all year  ▒ partial, or complete part of the year  "
                      "· not covered", markup=False, highlight=False)
