"""One progress protocol for every long piece of work in the library.

``progress(stage, done, total)``: ``stage`` names what is happening ("simulating", "sweeping",
"backtest", "validating", a report's section, ...), ``done`` counts the units finished so far
(chunks of runs, grid points, origins, rows, stages) and ``total`` how many there are (None when
not known). Callers pass ``progress=None`` for silence; the command line draws a bar or prints
one line per stage (``detente.cli``), a notebook can pass ``print``-like callables.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What the library calls as its work advances (see the module docstring)."""

    def __call__(self, stage: str, done: int, total: int | None, /) -> None: ...


def silent(stage: str, done: int, total: int | None) -> None:
    """A progress that hears nothing (the default)."""
