"""Every error detente raises on purpose.

Library code raises these; only the edges (CLI, web) turn them into exit codes or HTTP statuses,
using each class's ``exit_code`` and ``http_status``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one piece of input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    value: Any = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        head = ", ".join(where)
        body = f"field '{self.field}': {self.message}" if self.field else self.message
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            body += f" (got {shown})"
        return f"{head}: {body}" if head else body

    def to_json_dict(self) -> dict[str, Any]:
        plain = isinstance(self.value, str | int | float | bool | None)
        value = self.value if plain else str(self.value)
        return {
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "row": self.row,
            "field": self.field,
            "value": value,
        }


class DetenteError(Exception):
    """Base of every error detente raises on purpose."""

    exit_code = 1
    http_status = 500


class InputError(DetenteError):
    """Input from a user (file, spec, option) is invalid; lists every problem found."""

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, problems: Sequence[Problem] | None = None):
        self.problems: list[Problem] = list(problems or [])
        self.summary = message
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems or (len(self.problems) == 1
                                 and self.summary == str(self.problems[0])):
            return self.summary
        lines = [self.summary]
        lines += [f"  - {p}" for p in self.problems[:_MAX_LISTED]]
        if len(self.problems) > _MAX_LISTED:
            lines.append(f"  ... and {len(self.problems) - _MAX_LISTED} more")
        return "\n".join(lines)

    @classmethod
    def single(cls, message: str, **where: Any) -> InputError:
        """An error with exactly one problem, located by ``file``, ``line``, ``row``, ``field``."""
        return cls(str(Problem(message, **where)), [Problem(message, **where)])

    @classmethod
    def collect(cls, summary: str, problems: Iterable[Problem]) -> None:
        """Raise ``cls`` if ``problems`` is non-empty."""
        found = list(problems)
        if found:
            raise cls(summary, found)


class IngestError(InputError):
    """A source file cannot be ingested; the store was left unchanged."""


class SpecError(InputError):
    """An agreement spec is invalid."""


class ScenarioError(InputError):
    """A dialogue scenario is invalid."""


class ParameterError(InputError):
    """A parameter of a computation (simulation, sweep, query) is out of range."""


class NotFoundError(DetenteError):
    """A named thing (preset, event, scenario, job) does not exist."""

    exit_code = 2
    http_status = 404


class StoreError(DetenteError):
    """The event store cannot be used."""

    exit_code = 3
    http_status = 503


class StoreLockedError(StoreError):
    """Another process holds the event store's write lock."""


class SchemaVersionError(StoreError):
    """The store was written by a newer detente than this one."""


class OutputError(DetenteError):
    """An output file cannot be written; nothing was written under its name."""


class AuthError(DetenteError):
    """A write was attempted without the operator's token."""

    exit_code = 2
    http_status = 401


class LimitError(DetenteError):
    """A request exceeds a configured size or run limit."""

    exit_code = 2
    http_status = 413


class BusyError(DetenteError):
    """The server already runs as many jobs as it allows; try again later."""

    exit_code = 2
    http_status = 429


class SchedulerError(DetenteError):
    """A distributed scheduler cannot be reached or failed."""

    exit_code = 2
    http_status = 502
