"""``detente events``: ingest, list, show, stats and export events."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import (
    DbOption,
    JsonOption,
    console,
    emit_json,
    err_console,
    progress,
)
from detente.errors import DetenteError, NotFoundError, ParameterError
from detente.events import ingest as ingest_lib
from detente.events.event import JSON_FIELDS, defused
from detente.events.query import Condition, EventFilter, as_date
from detente.events.store import IngestResult, Store

app = typer.Typer(help="Ingest, query and export events.", no_args_is_help=True)

TABLE_LIMIT = 50


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError.single("expected FIELD=VALUE", field=option, value=item)
        out[key.strip()] = value.strip()
    return out


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Files to ingest (each in one transaction).")],
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="Adapter name (see `detente data formats`); detected if omitted.")
    ] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="generic format: FIELD=COLUMN, e.g. date=Date or attrs.class=Type.")] = None,
    constants: Annotated[list[str] | None, typer.Option(
        "--set", help="generic format: FIELD=VALUE for every row, e.g. source=mydata.")] = None,
    date_format: Annotated[str | None, typer.Option(
        help="generic format: strptime format of date columns, e.g. %d/%m/%Y.")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="Text encoding (generic format: utf-8 by default; source adapters detect theirs).")
    ] = None,
    declare: Annotated[list[str] | None, typer.Option(
        "--declare-actor", help="Allow a non-ISO actor code: CODE or CODE=Name.")] = None,
    gdelt_version: Annotated[str | None, typer.Option(
        "--gdelt-version", help="GDELT: read the files as version 1 or 2 (by default from "
        "their field count, or from a header's columns).")] = None,
    geo: Annotated[bool, typer.Option(
        "--geo", help="GDELT, ICEWS, POLECAT: add the action location (lat, lon, location) to "
        "each event's attributes.")] = False,
    coverage_file: Annotated[Path | None, typer.Option(
        "--coverage", help="YAML file declaring what the files' sources cover (layout of "
        "data/coverage.yaml); stored with the first file, checked against its rows.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest event files; all rows of a file or none, and re-ingesting adds nothing.

    Without --coverage the files' events still count as seen acts, but no day counts as
    covered by them: declare what a source reports completely, or the record stays blind
    where no other source covers it (docs/data.md, Coverage).

    GDELT files are read as they come: raw exports, headered CSV (BigQuery, gdeltPyR) and
    Parquet, by column name; bad rows go to FILE.rejects.jsonl with their line numbers.

    Example:

        detente events ingest mydata.csv --map date=Day --map actor=Country
        --map kind=Type --set source=mydata --coverage mydata-coverage.yaml
        detente events ingest 20170721000000.export.CSV --gdelt-version 2 --geo
        detente events ingest bq-results-gdelt.csv --format gdelt
    """
    options: dict[str, Any] = {"mapping": _pairs(mapping, "--map"),
                               "constants": _pairs(constants, "--set"),
                               "date_format": date_format}
    if encoding:
        options["encoding"] = encoding
    if gdelt_version is not None:
        if gdelt_version not in ("1", "2"):
            raise ParameterError.single("expected 1 or 2", field="--gdelt-version",
                                        value=gdelt_version)
        options["version"] = gdelt_version
    if geo:
        options["geo"] = True
    results = []
    from detente.events import coverage

    declared = coverage.read(coverage_file) if coverage_file else []
    with Store(db) as store:
        if declared:
            store.declare_coverage(declared, with_next_ingest=True)
        for code, _, label in (d.partition("=") for d in declare or []):
            # Declared with the first file that goes in: a refused file leaves none behind.
            store.declare_actor(code.strip(), label.strip() or None, with_next_ingest=True)
        try:
            for path in paths:
                with progress(f"ingest {path.name}") as bar:
                    result = ingest_lib.ingest_file(store, path, fmt, progress=bar, **options)
                results.append(result)
                if not as_json:  # each file is committed on its own: say so before the next
                    _print_ingested(result)
        except DetenteError:
            if results and not as_json:
                console.print(f"[bold]{len(results)} of {len(paths)} files ingested[/] "
                              "before the error below; the rest were not.")
            elif results:
                emit_json([r.__dict__ for r in results])
            raise
    if as_json:
        emit_json([r.__dict__ for r in results])


def _print_ingested(r: IngestResult) -> None:
    for note in r.notes:
        console.print(note, markup=False, highlight=False)
    console.print(f"[bold]{r.file}[/]: {r.rows:,} rows read, {r.added:,} events added, "
                  f"{r.merged:,} merged into existing events, {r.linked:,} linked as "
                  f"summaries, {r.unchanged:,} already present")


@app.command("list")
def list_command(
    actor: Annotated[list[str] | None, typer.Option(help="Actor code(s), e.g. PRK.")] = None,
    target: Annotated[list[str] | None, typer.Option(help="Target code(s).")] = None,
    involving: Annotated[list[str] | None, typer.Option(
        help="Actor, target or listed party.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Event kind(s), e.g. missile_test.")
                    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")
                         ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    where: Annotated[list[str] | None, typer.Option(
        help="Attribute test: class=ICBM,IRBM or apogee_km>=1000 or status!=held.")] = None,
    text: Annotated[str | None, typer.Option(help="Text in the summary or attributes.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source name(s).")] = None,
    limit: Annotated[int | None, typer.Option(
        help=f"At most this many events (tables default to {TABLE_LIMIT}).")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many events first.")] = 0,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")
                      ] = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List events matching filters, in date order.

    Example:

        detente events list --actor PRK --kind missile_test --where class=ICBM
        --from 2017-01-01 --to 2017-12-31 --format json
    """
    flt = EventFilter(actor=tuple(actor or ()), target=tuple(target or ()),
                      involving=tuple(involving or ()), kind=tuple(kind or ()),
                      where=tuple(Condition.parse(w) for w in where or ()),
                      start=as_date(date_from, "--from"), end=as_date(date_to, "--to"), text=text,
                      source=tuple(source or ()), offset=offset,
                      limit=limit if limit is not None or output != OutputFormat.table
                      else TABLE_LIMIT)
    with Store(db, read_only=True) as store:
        if output == OutputFormat.json:
            emit_json(list(store.records(flt)))
        elif output == OutputFormat.csv:
            _write_csv(store, flt)
        else:
            total = store.count(flt)
            _print_table(list(store.records(flt)), total, flt)
            if not total:
                _explain_nothing(store, flt)


def _explain_nothing(store: Store, flt: EventFilter) -> None:
    """Why a filter matched nothing: a --where value no stored event of those kinds has."""
    from detente.agreements.vocabulary import suggest

    for condition in flt.where:
        if condition.op not in ("=", "!="):
            continue
        kinds = list(flt.kind) or [k for (k,) in store.con.execute(
            "SELECT DISTINCT kind FROM events").fetchall()]
        marks = ", ".join("?" for _ in kinds)
        rows = store.con.execute(
            f"""SELECT DISTINCT coalesce(json_extract_string(attrs, '$."{condition.key}"'),
                   '') FROM events WHERE kind IN ({marks})""", kinds).fetchall()
        known = tuple(sorted(r[0] for r in rows if r[0]))
        for value in condition.values:
            if value in known or condition.op == "!=":
                continue
            hint = suggest(value, known)
            have = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "") if known \
                else "none: no such attribute"
            err_console.print(
                f"note: no event{' of kind ' + ', '.join(flt.kind) if flt.kind else ''} has "
                f"{condition.key}={value} (values in the store: {have})"
                + (f"; did you mean {condition.key}={hint}?" if hint else ""),
                markup=False, highlight=False)


def _write_csv(store: Store, flt: EventFilter) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(JSON_FIELDS), lineterminator="\n")
    writer.writeheader()  # also when nothing matches, so the file is still a table
    for record in store.records(flt):
        writer.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list)
                             else defused(v) if isinstance(v, str) else v)
                         for k, v in record.items()})


def _brief_attrs(attrs: dict) -> str:
    """The few attributes that identify an event, without repeats (title often equals name)."""
    keep = ("class", "missile", "status", "name", "title", "issuer", "magnitude", "resolution",
            "outcome", "category", "individuals", "entities")
    shown: list[str] = []
    seen: set[str] = set()
    for key in keep:
        value = attrs.get(key)
        if value in (None, "") or str(value) in seen:
            continue
        seen.add(str(value))
        shown.append(f"{key}={value}")
    return ", ".join(shown[:4])


def _print_table(records: list[dict], total: int, flt: EventFilter) -> None:
    table = Table(show_lines=False)
    table.add_column("date", no_wrap=True)
    table.add_column("who", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("details", overflow="fold", ratio=1)
    table.add_column("id", no_wrap=True)
    for r in records:
        when = r["date"] + (f"\n→ {r['end']}" if r["end"] else "")
        who = r["actor"] + (f"→{r['target']}" if r["target"] else "")
        source = r["source"] + (f" +{len(r['also'])}" if r["also"] else "")
        table.add_row(when, who, r["kind"], f"{_brief_attrs(r['attrs'])} [dim]({source})[/]",
                      r["id"])
    console.print(table)
    shown = len(records)
    if shown and shown < total:
        console.print(f"showing {flt.offset + 1:,}-{flt.offset + shown:,} of {total:,} events; "
                      "use --limit/--offset or --format json|csv for all")
    elif shown < total:
        console.print(f"none of the {total:,} matching events shown (--limit {flt.limit}, "
                      f"--offset {flt.offset})")
    else:
        console.print(f"{total:,} events")


@app.command("show")
def show_command(event_id: Annotated[str, typer.Argument(help="Event id (or an alias id).")],
                 db: DbOption = None) -> None:
    """Show one event with every attribute and all its sources, as JSON.

    Example:

        detente events show 8fca06638ad43385
    """
    with Store(db, read_only=True) as store:
        event = store.get(event_id)
        targets = store.alias_of(event_id)
    if event is None:
        raise NotFoundError(f"no event with id {event_id!r}")
    if len(targets) > 1:
        err_console.print(f"{event_id} is a source row summarising {len(targets)} events "
                          f"(showing the first): {', '.join(targets)}")
    emit_json(event.to_json_dict())


@app.command("stats")
def stats_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts of events by kind, by actor and by year.

    Example:

        detente events stats --json
    """
    with Store(db, read_only=True) as store:
        stats = store.stats()
        first, last = store.date_range()
        total = store.count()
    if as_json:
        emit_json({"events": total, "first": first, "last": last,
                   **{name: frame.to_dict(orient="records") for name, frame in stats.items()}})
        return
    if not total:
        console.print("0 events: the store is empty (`detente events ingest` adds some)")
        return
    console.print(f"[bold]{total:,}[/] events from {first} to {last}")
    grid = Table.grid(padding=(0, 4))
    tables = []
    for name in ("kind", "actor"):
        t = Table(title=f"by {name}")
        t.add_column(name)
        t.add_column("events", justify="right")
        for key, count in stats[name].itertuples(index=False):
            t.add_row(str(key), f"{count:,}")
        tables.append(t)
    grid.add_row(*tables)
    console.print(grid)
    console.print(_year_grid(dict(stats["year"].itertuples(index=False))))


def _year_grid(counts: dict[int, int]) -> Table:
    """Events per year as a decade x year-digit grid: compact over seven decades."""
    table = Table(title="by year (rows: decade, columns: last digit)")
    table.add_column("decade")
    for digit in range(10):
        table.add_column(str(digit), justify="right")
    if counts:
        for decade in range(min(counts) // 10 * 10, max(counts) + 1, 10):
            table.add_row(f"{decade}s", *(f"{counts[decade + d]:,}" if decade + d in counts
                                          else "·" for d in range(10)))
    return table


@app.command("export")
def export_command(
    path: Annotated[Path, typer.Argument(help="Output .parquet file, or a folder with "
                                               "--partition-by.")],
    partition_by: Annotated[str | None, typer.Option(
        "--partition-by", help="Write a folder of Parquet files partitioned by year and/or "
        "month of the event date (year=2024/month=3/...), which `events attach` reads in "
        "place.")] = None,
    db: DbOption = None,
) -> None:
    """Export every event (with all its sources) to Parquet; `events ingest` reads it back,
    and a partitioned export can be attached (read in place) by another store.

    Example:

        detente events export backup.parquet
        detente events export world-events --partition-by year,month
    """
    parts = tuple(p.strip() for p in partition_by.split(",") if p.strip()) if partition_by \
        else ()
    if not parts and path.suffix.lower() != ".parquet":  # the file is Parquet whatever its name
        raise ParameterError.single("the export is Parquet: name the file *.parquet",
                                    field="path", value=str(path))
    with Store(db, read_only=True) as store:
        count = store.export_parquet(path, partition_by=parts)
    console.print(f"wrote {count:,} events to {path}"
                  + (f" (partitioned by {', '.join(parts)})" if parts else ""))


@app.command("attach")
def attach_command(
    path: Annotated[Path, typer.Argument(help="A folder of Parquet files in detente's event "
                                               "layout (or one such file).")],
    coverage_file: Annotated[Path | None, typer.Option(
        "--coverage", help="YAML file declaring what the dataset's sources cover (layout of "
        "data/coverage.yaml), stored with it.")] = None,
    declare: Annotated[list[str] | None, typer.Option(
        "--declare-actor", help="Allow a non-ISO actor code the dataset uses: CODE or "
        "CODE=Name.")] = None,
    name: Annotated[str | None, typer.Option(
        "--name", help="The dataset's name, unique in the store (by default the folder's name "
        "or the file's stem): letters, digits, '-', '_' and '.'.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read a Parquet dataset in place beside the store: every query, check, what-if,
    tension index and watch then counts its events as stored ones. It is checked once (every
    row against the store's rules, no event twice); attaching it again checks it anew, and
    with --name renames it. A name another dataset holds is refused.

    Example:

        detente events export world-events --partition-by year,month --db big.duckdb
        detente events attach world-events --coverage gdelt-coverage.yaml
        detente events attach /data/gdelt/2024 --name gdelt-2024
    """
    from detente.events import coverage

    declared = coverage.read(coverage_file) if coverage_file else []
    with Store(db, verify_datasets=False) as store:
        for code, _, label in (d.partition("=") for d in declare or []):
            store.declare_actor(code.strip(), label.strip() or None)
        with progress(f"attach {path.name}") as bar:
            bar("checking")
            dataset = store.attach(path, declared, name=name)
    if as_json:
        emit_json(dataset.to_json_dict())
        return
    console.print(f"attached {dataset.name} ({dataset.path}): {dataset.events:,} events in "
                  f"{len(dataset.files):,} files, {dataset.first} to {dataset.last}"
                  + (f"; {len(declared)} coverage declaration(s)" if declared else ""))


@app.command("detach")
def detach_command(
    dataset: Annotated[str, typer.Argument(
        metavar="NAME_OR_PATH", help="An attached dataset's name, or its folder or file (a "
        "name is tried first).")],
    db: DbOption = None,
) -> None:
    """Stop reading an attached dataset (its files are left as they are).

    Example:

        detente events detach gdelt-2024
        detente events detach /data/gdelt/2024
    """
    with Store(db, verify_datasets=False) as store:
        found = store.detach(dataset)
    if found is None:
        raise NotFoundError(f"no dataset named {dataset!r}, or attached from "
                            f"{Path(dataset).expanduser().absolute()}, in this store (see "
                            "detente events datasets)")
    console.print(f"detached {found.name} ({found.path})")


@app.command("datasets")
def datasets_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the datasets read in place beside the store, with their names.

    Example:

        detente events datasets --json
    """
    with Store(db, read_only=True, verify_datasets=False) as store:
        found = store.datasets()
    if as_json:
        emit_json([d.to_json_dict() for d in found])
        return
    if not found:
        console.print("no datasets attached (detente events attach PATH reads one in place)")
        return
    table = Table()
    for c in ("name", "path", "files", "events", "from", "to"):
        # A path folds onto more lines rather than lose its end to a narrow terminal.
        table.add_column(c, justify="right" if c in ("files", "events") else "left",
                         overflow="fold" if c == "path" else "ellipsis")
    for d in found:
        table.add_row(d.name, str(d.path), f"{len(d.files):,}", f"{d.events:,}", str(d.first),
                      str(d.last))
    console.print(table)
