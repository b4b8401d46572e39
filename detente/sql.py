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


def inlined(sql: str, params: dict[str, list[str | None]]) -> str:
    """``sql`` with its named parameters (``$name``: lists of text) written as literals, for a
    relation, which takes no parameters."""
    for name in sorted(params, key=len, reverse=True):  # no name is cut by a shorter one
        items = ", ".join("NULL" if v is None else literal(v) for v in params[name])
        sql = sql.replace(f"${name}", f"CAST([{items}] AS VARCHAR[])")
    return sql
