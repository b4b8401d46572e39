"""Text spliced into DuckDB SQL: a string literal and a quoted identifier (for the few places
a value cannot be a bound parameter: table functions' options, COPY targets, DDL, constant
lists inlined for speed)."""

from __future__ import annotations


def literal(value: object) -> str:
    """``value``'s text as a SQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'
