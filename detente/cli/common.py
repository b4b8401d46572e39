"""What every command group shares: error handling at the edge, the store option, output."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from detente.errors import DetenteError, InputError

if TYPE_CHECKING:  # the click that typer ships with (typer's own classes take these)
    from typer._click.core import Context as ClickContext
    from typer._click.formatting import HelpFormatter

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="DETENTE_DB", show_envvar=True,
                 help="Event store file (default: events.duckdb in the user data directory)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
FormatOption = Annotated[str | None, typer.Option(
    "--format", help="table (the default), json, or csv (the main table with a header row).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Also write the result to this file, by its extension: .json (all of it), "
    ".csv or .parquet (the main table).")]
SpecArgument = Annotated[str, typer.Argument(
    metavar="ID|PATH", help="A preset id (see `detente agreements list`) or a spec file path.")]


def report_error(error: DetenteError) -> None:
    """Print a domain error for a person: the summary, then one line per problem."""
    label = "error" if not isinstance(error, InputError) else "invalid input"
    err_console.print(f"[bold red]{label}:[/] ", end="")
    err_console.print(str(error), markup=False, highlight=False)


class DetenteGroup(TyperGroup):
    """Root group: turns a ``DetenteError`` raised anywhere below into a message and an exit
    code (2 for bad input, 3 for an unusable store), never a traceback."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except DetenteError as error:
            report_error(error)
            raise typer.Exit(error.exit_code) from None


class DefaultCommandGroup(TyperGroup):
    """A group that runs its ``default`` command when the first argument is not a subcommand,
    so ``detente simulate ID`` and ``detente simulate calibrate ID`` can both exist."""

    default_command = "run"

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        # An option before the first argument (``detente simulate --seed 1 ID``) belongs to the
        # default command: the group itself only knows --help, so click would reject it here.
        own = {opt for param in self.get_params(ctx) for opt in param.opts}
        if args and args[0].startswith("-") and args[0].split("=")[0] not in own:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: ClickContext, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, f"[{self.default_command.upper()} ARGS] | COMMAND")


def output_file(path: Path, option: str) -> Path:
    """``path`` if a file can be written there; checked before a long run, not after it."""
    from detente.output import check_target

    return check_target(path, option)


def output_format(fmt: str | None, json_out: bool = False) -> str:
    """The format asked for (``--json`` is ``--format json``); a bad name is refused."""
    from detente.errors import ParameterError
    from detente.results import Format

    if fmt is None:
        return "json" if json_out else "table"
    if fmt not in {f.value for f in Format}:
        raise ParameterError.single("must be table, json or csv", field="--format", value=fmt)
    if json_out and fmt != "json":
        raise ParameterError.single("--json asks for json: give one of them", field="--format",
                                    value=fmt)
    return fmt


def emit_result(result: Any, fmt: str, out: Path | None) -> bool:
    """Write ``result`` to ``out`` (by extension) and print it as JSON or CSV; True when the
    caller has nothing left to print (it prints its tables for ``table``)."""
    from detente import results

    if out is not None:
        written = results.write(result, out)
        err_console.print(f"wrote {written}", markup=False, highlight=False)
    if fmt == "json":
        sys.stdout.write(results.json_text(result))
        return True
    if fmt == "csv":
        sys.stdout.write(results.csv_text(results.main_table(result)[1]))
        return True
    return False


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (plain, so it can be piped)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default, ensure_ascii=False))
    sys.stdout.write("\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


class Drawer:
    """The command line's one drawer of ``detente.progress.Progress`` reports: a Rich bar on
    a terminal (counts when the stage has a total); elsewhere one line per stage on stderr,
    or nothing with ``lines=False`` (commands whose output is data). ``delay``: seconds of
    silence first, so quick work draws nothing; ``unit`` names what the counts count."""

    def __init__(self, label: str, *, delay: float = 0.0, unit: str = "",
                 lines: bool = True):
        self.label, self.delay, self.unit, self.lines = label, delay, unit, lines
        self.start = time.monotonic()
        self.interactive = err_console.is_terminal
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, stage: str, done: int = 0, total: int | None = None, /) -> None:
        if time.monotonic() - self.start < self.delay:
            return
        if not self.interactive:
            if self.lines and stage != "done":
                unit = f" {self.unit}" if self.unit else ""
                count = f" [{done:,}/{total:,}{unit}]" if total else ""
                err_console.print(f"{self.label}: {stage}{count}", markup=False,
                                  highlight=False)
            return
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      BarColumn(), MofNCompleteColumn(), TextColumn(self.unit),
                                      TimeElapsedColumn(), console=err_console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=None)
        self._progress.update(self._task, description=f"{self.label}: {stage}",
                              completed=done, total=total or None)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@contextlib.contextmanager
def progress(label: str, *, delay: float = 1.0, unit: str = "rows",
             lines: bool = True) -> Iterator[Drawer]:
    """A ``Drawer`` for the ``with`` block (see ``Drawer`` for the options)."""
    bar = Drawer(label, delay=delay, unit=unit, lines=lines)
    try:
        yield bar
    finally:
        bar.close()
