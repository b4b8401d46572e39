"""``detente agreements``: list, show and validate agreement specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import DbOption, JsonOption, SpecArgument, console, emit_json

app = typer.Typer(
    help="Agreement specs: the bundled presets and your own YAML files.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _selector_text(selector) -> str:
    parts = [selector.kind.value]
    for name, value in selector.where.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{name}={','.join(str(v) for v in values)}")
    if getattr(selector, "target", None) is not None:
        parts.append(f"target={','.join(selector.target)}")
    return " ".join(parts)


def _window(agreement) -> str:
    return f"{agreement.start}..{agreement.end or ''}"


@app.command("list")
def list_command(json_out: JsonOption = False) -> None:
    """List the bundled presets.

    Example: [bold]detente agreements list[/]
    """
    from detente.agreements import presets

    found = presets.load_all()
    if json_out:
        emit_json([{"id": a.id, "title": a.title, "parties": a.parties,
                    "start": a.start.isoformat(), "end": a.end.isoformat() if a.end else None,
                    "commitments": [c.id for c in a.commitments],
                    "reciprocity": a.reciprocity.model_dump(mode="json")} for a in found])
        return
    table = Table(title="bundled agreement presets")
    for column in ("id", "window", "parties", "title"):
        table.add_column(column, no_wrap=column != "title")
    for a in found:
        table.add_row(a.id, _window(a), ",".join(a.parties), a.title)
    console.print(table)


@app.command("show")
def show(
    agreement: SpecArgument,
    yaml_out: Annotated[bool, typer.Option("--yaml", help="Print the spec as YAML.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Show an agreement: parties, window, commitments, verification, rationale and sources.

    Example: [bold]detente agreements show leap-day-2012[/]
    """
    from detente.agreements import presets

    spec = presets.load(agreement)
    if json_out:
        emit_json(spec.to_dict())
        return
    if yaml_out:
        typer.echo(spec.to_yaml(), nl=False)
        return
    reciprocity = spec.reciprocity.model_dump(mode="json")
    console.print(f"[bold]{spec.title}[/] ({spec.id})")
    console.print(f"parties: {' '.join(spec.parties)}   window: {_window(spec)}   "
                  f"reciprocity: {reciprocity}", markup=False, highlight=False)
    table = Table(title="commitments")
    for column in ("id", "party", "refrains from / undertakes", "verification"):
        table.add_column(column, no_wrap=column in ("id", "party"))
    for c in spec.commitments:
        lines = [f"refrains: {_selector_text(s)}" for s in c.refrains_from]
        lines += [f"undertakes {u.id}: {_selector_text(u)} by "
                  f"{u.by or f'start + {u.within_days} days'}" for u in c.undertakes]
        v = c.verification
        table.add_row(c.id, c.party, "\n".join(lines),
                      f"{v.means}\ndetection {v.detection:g}, delay {v.delay_days:g} d,\n"
                      f"false alarm {v.false_alarm:g}/week")
    console.print(table)
    if spec.rationale:
        console.print("[bold]rationale[/]")
        console.print(spec.rationale.strip(), markup=False, highlight=False)
    if spec.sources:
        console.print("[bold]sources[/]")
        for source in spec.sources:
            console.print(f"  - {source}", markup=False, highlight=False)


@app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="A spec file (YAML).")],
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Check a spec file; every problem is reported with its file, line and field (exit 2).

    When the event store exists, selector values that no stored event carries are named too
    (a warning, with the store's values and the closest one: issuer Treasury, did you mean
    OFAC?).

    Example: [bold]detente agreements validate my-freeze.yaml[/]
    """
    from detente.agreements import spec as spec_lib
    from detente.agreements.vocabulary import unmatched
    from detente.events.store import Store, default_path

    agreement = spec_lib.load(path)
    store_path = Path(db) if db else default_path()
    warnings = []
    if store_path.exists():  # validating never creates a store
        with Store(store_path, read_only=True) as store:
            warnings = unmatched(agreement, store)
    if json_out:
        emit_json({"valid": True, "file": str(path), "id": agreement.id,
                   "commitments": len(agreement.commitments),
                   "warnings": [w.to_json_dict() for w in warnings]})
        return
    console.print(f"[green]valid[/]: {path} defines {agreement.id!r} with "
                  f"{len(agreement.commitments)} commitment(s) for {', '.join(agreement.parties)}")
    for warning in warnings:
        console.print(f"[yellow]warning[/]: {warning}", highlight=False)
