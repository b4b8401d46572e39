"""The results contract every analysis result follows, and writing results out.

A result (``monitor.Report``, ``replay.WhatIfResult``, ``verification.VerificationView``, a
simulation, an evaluation, a dialogue analysis) has:

* ``to_json_dict()``: plain JSON data, what ``--json``/``--format json`` prints and the API
  answers (its pydantic model in ``detente.web.schemas`` documents it);
* ``tables()``: named pandas DataFrames, the main one first, what ``--format csv`` prints and
  ``--out FILE.csv|.parquet`` writes (one row per breach, start, commitment, ...).

``write(result, path)`` writes by the file's extension: ``.json`` the JSON, ``.csv`` and
``.parquet`` the main table; any other extension is refused, never guessed. Files are written
whole or not at all (``detente.output``); text cells that a spreadsheet would run as a formula
are defused in CSV (a leading quote).
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from detente.errors import ParameterError

SUFFIXES = (".json", ".csv", ".parquet")


class Result(Protocol):
    def to_json_dict(self) -> dict[str, Any]: ...

    def tables(self) -> dict[str, pd.DataFrame]: ...


class Format(StrEnum):
    """How a command prints its result."""

    table = "table"
    json = "json"
    csv = "csv"


def main_table(result: Result) -> tuple[str, pd.DataFrame]:
    name, frame = next(iter(result.tables().items()))
    return name, frame


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV with a header row; text cells defused (no formula runs in a sheet)."""
    from detente.events.event import defused

    safe = frame.copy()
    for column in safe.columns:
        if _textual(safe[column]):
            safe[column] = safe[column].map(
                lambda v: defused(v) if isinstance(v, str) else _cell(v)).astype(object)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _textual(column: pd.Series) -> bool:
    """Object or string columns (pandas 3 gives text its own dtype)."""
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


def json_text(result: Result) -> str:
    return json.dumps(result.to_json_dict(), indent=2, default=_default, ensure_ascii=False) + "\n"


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def check_path(path: str | Path, option: str = "--out") -> Path:
    """``path`` if its extension says how to write it and a file can be written there."""
    from detente.output import check_target

    path = Path(path)
    if path.is_dir():
        return check_target(path, option)  # says it is a folder, which is the real problem
    if path.suffix.lower() not in SUFFIXES:
        raise ParameterError.single(
            "the file's extension says what to write: .json, .csv or .parquet", field=option,
            value=str(path))
    return check_target(path, option)


def write(result: Result, path: str | Path, option: str = "--out") -> Path:
    """Write ``result`` to ``path`` by its extension (see the module docstring)."""
    from detente.output import write_atomically

    path = check_path(path, option)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json_text(result)
        return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"),
                                option)
    _, frame = main_table(result)
    if suffix == ".csv":
        text = csv_text(frame)
        return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"),
                                option)
    plain = frame.copy()
    for column in plain.columns:
        if _textual(plain[column]):
            plain[column] = plain[column].map(_cell)
    return write_atomically(path, lambda tmp: plain.to_parquet(tmp, index=False), option)
