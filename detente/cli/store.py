"""``detente init``: create an event store."""

from __future__ import annotations

from typing import Annotated

import typer

from detente.cli.common import DbOption, console
from detente.errors import StoreError
from detente.events.store import Store, default_path


def register(app: typer.Typer) -> None:
    app.command("init")(init_command)


def init_command(
    empty: Annotated[bool, typer.Option(help="Create a blank store, without the bundled record.")
                     ] = False,
    force: Annotated[bool, typer.Option(help="Replace an existing store file.")] = False,
    db: DbOption = None,
) -> None:
    """Create the event store (with the bundled record unless --empty).

    Every command creates the default store on first use, so this is needed only for a blank
    store or a fresh start.

    Example:

        detente init --db /tmp/blank.duckdb --empty
    """
    path = db or default_path()
    if path.exists():
        if not force:
            raise StoreError(f"{path} already exists; pass --force to replace it")
        # Open first: refuses (with the holder's PID) if another process is using the file.
        Store(path).close()
        path.unlink()
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            wal.unlink()
    with Store(path, empty=empty) as store:
        count = store.count()
    console.print(f"created {path} with {count:,} events")
