"""The ``detente`` command line: a thin layer over the library.

Each command group lives in its own module and is registered in ``_GROUPS`` (sub-apps) or
``_COMMANDS`` (modules that add top-level commands to ``app`` via ``register(app)``).
"""

from __future__ import annotations

import importlib
import logging
import signal

import typer

from detente import __version__
from detente.cli.common import DetenteGroup

app = typer.Typer(
    name="detente",
    cls=DetenteGroup,
    help="Replay, verify, simulate and negotiate reciprocal-restraint agreements "
    "(truces, freezes, moratoria) against the real event record.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

# (module under detente.cli, name of its Typer sub-app attribute, command name)
_GROUPS: list[tuple[str, str, str]] = [
    ("events", "app", "events"),
    ("data", "app", "data"),
    ("verification", "app", "verification"),
    ("agreements", "app", "agreements"),
    ("dialogue", "app", "dialogue"),
    ("simulate", "app", "simulate"),
]
# Modules exposing register(app) for top-level commands.
_COMMANDS: list[str] = [
    "store",
    "monitor",
    "evaluate",
    "report",
    "sweep",
    "tension",
    "watch",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"detente {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """detente: a workbench for reciprocal-restraint agreements between states."""


for _module, _attr, _name in _GROUPS:
    app.add_typer(getattr(importlib.import_module(f"detente.cli.{_module}"), _attr), name=_name)
for _module in _COMMANDS:
    importlib.import_module(f"detente.cli.{_module}").register(app)


def _terminated(signum: int, frame: object) -> None:
    # Python's default for SIGTERM ends the process on the spot; as SystemExit, a command
    # stopped by `kill` or a service manager still runs its clean-up (temporary files of an
    # output being written, an open transaction), like Ctrl-C does.
    raise SystemExit(128 + signum)


class _NoteHandler(logging.Handler):
    """The library's notes for a person (a new store created, ...) on standard error."""

    def emit(self, record: logging.LogRecord) -> None:
        from detente.cli.common import err_console

        err_console.print(f"note: {record.getMessage()}", markup=False, highlight=False)


def main() -> None:
    """Console entry point."""
    signal.signal(signal.SIGTERM, _terminated)
    notes = logging.getLogger("detente.store")
    notes.setLevel(logging.INFO)
    if not any(isinstance(h, _NoteHandler) for h in notes.handlers):
        notes.addHandler(_NoteHandler())
    app()
