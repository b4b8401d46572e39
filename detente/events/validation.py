"""Vectorised validation of a staged batch of events, inside the store's transaction.

The happy path costs a few scans: attribute shapes are checked per distinct (kind, JSON structure)
pair rather than per row, and rows are located only when a check fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from detente.errors import IngestError, Problem
from detente.events import actors
from detente.events.event import ID_LENGTH
from detente.events.kinds import CONFIDENCES, EXTENSION_PREFIX, Kind, attr_specs

MAX_PER_CHECK = 20

# json_structure() type names that satisfy each attribute type.
_JSON_TYPES = {
    "str": {"VARCHAR", "NULL"},
    "date": {"VARCHAR", "NULL"},
    "int": {"BIGINT", "UBIGINT", "NULL"},
    "float": {"BIGINT", "UBIGINT", "DOUBLE", "NULL"},
    "bool": {"BOOLEAN", "NULL"},
    "list": {'["VARCHAR"]', '["NULL"]', "NULL"},
}
# json_type() names (used to locate offending rows) for the same types.
_ROW_TYPES = {
    "str": ("VARCHAR", "NULL"),
    "date": ("VARCHAR", "NULL"),
    "int": ("BIGINT", "UBIGINT", "NULL"),
    "float": ("BIGINT", "UBIGINT", "DOUBLE", "NULL"),
    "bool": ("BOOLEAN", "NULL"),
    "list": ("ARRAY", "NULL"),
}


class _Collector:
    def __init__(self, con: duckdb.DuckDBPyConnection, file: str, loc: str):
        self.con, self.file, self.loc = con, file, loc
        self.problems: list[Problem] = []

    def add_rows(self, sql: str, message: str, field: str, params: list[Any] | None = None) -> None:
        """Run ``sql`` (selecting ``_loc, value``) and record a problem per row returned."""
        rows = self.con.execute(f"{sql} ORDER BY _loc LIMIT {MAX_PER_CHECK}", params or []
                                ).fetchall()
        for loc, value in rows:
            where = {"line": loc} if self.loc == "line" else {"row": loc}
            self.problems.append(Problem(message, file=self.file, field=field, value=value,
                                         **where))


def _known_actors(con: duckdb.DuckDBPyConnection) -> None:
    declared = {code for (code,) in con.execute("SELECT code FROM actors").fetchall()}
    codes = sorted(set(actors.builtin_actors()) | declared)
    frame = pd.DataFrame({"code": codes})
    con.execute("DROP TABLE IF EXISTS temp.known_actors")
    con.register("known_actors_frame", frame)
    con.execute("CREATE TEMP TABLE known_actors AS SELECT * FROM known_actors_frame")
    con.unregister("known_actors_frame")


@dataclass(frozen=True)
class _Check:
    """A row-level rule: rows where ``failing`` holds are reported with ``value``."""

    failing: str
    value: str
    message: str
    field: str
    params: tuple[Any, ...] = ()


def _row_checks(loc: str, prebuilt: bool) -> list[_Check]:
    kinds = tuple(k.value for k in Kind)
    checks = [
        _Check(f"""\"{c}\" IS NULL AND nullif(trim(_raw_{c}), '') IS NOT NULL""", f"_raw_{c}",
               "not a valid date (expected YYYY-MM-DD or the --date-format given)", c)
        for c in ("date", "end")]
    # Text columns arrive trimmed, with empty strings as NULL (see Store._stage).
    checks.append(_Check("date IS NULL AND nullif(trim(_raw_date), '') IS NULL", "NULL",
                         "missing value", "date"))
    checks += [_Check(f'"{c}" IS NULL', "NULL", "missing value", c)
               for c in ("actor", "kind", "source", "source_ref", "confidence")]
    if prebuilt:
        checks.append(_Check(
            f"id <> substr(sha256(source || chr(31) || source_ref), 1, {ID_LENGTH})", "id",
            "id does not match source and source_ref (edited export?)", "id"))
    checks += [
        _Check('"end" < date', 'CAST("end" AS VARCHAR)', "end is before date", "end"),
        _Check(f"kind NOT IN ({_marks(kinds)})", "kind",
               f"unknown kind; expected one of {', '.join(kinds)}", "kind", kinds),
        _Check(f"confidence NOT IN ({_marks(CONFIDENCES)})", "confidence",
               f"must be one of {', '.join(CONFIDENCES)}", "confidence", CONFIDENCES),
        _Check("NOT coalesce(json_valid(attrs) AND json_type(attrs) = 'OBJECT', false)", "attrs",
               "must be a JSON object", "attrs"),
    ]
    checks += [_Check(f"{c} IS NOT NULL AND {c} NOT IN (SELECT code FROM known_actors)", c,
                      "unknown actor code (ISO 3166-1 alpha-3, UN, EU, IAEA, or declare it first)",
                      c) for c in ("actor", "target")]
    return checks


def check_staged(con: duckdb.DuckDBPyConnection, *, file: str, loc: str = "row",
                 prebuilt: bool = False) -> None:
    """Raise ``IngestError`` listing every problem in temp table ``staged``.

    All row rules are counted in one scan; only failing rules are run again to locate rows.
    """
    c = _Collector(con, file, loc)
    _known_actors(con)
    checks = _row_checks(loc, prebuilt)
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {k.failing})" for k in checks)
        + " FROM staged", [p for k in checks for p in k.params]).fetchall()[0]
    for check, count in zip(checks, counts, strict=True):
        if count:
            c.add_rows(f"SELECT _loc, {check.value} FROM staged WHERE {check.failing}",
                       check.message, check.field, list(check.params))
    duplicated = con.execute("""SELECT count(*) FROM (SELECT 1 FROM staged
        GROUP BY source, source_ref HAVING count(*) > 1)""").fetchall()[0][0]
    if duplicated:
        c.add_rows(f"""SELECT _loc, source_ref || ' (first at {loc} ' || first || ')' FROM (
                          SELECT _loc, source_ref,
                                 min(_loc) OVER (PARTITION BY source, source_ref) AS first
                          FROM staged) WHERE _loc > first""",
                   "duplicate row: same source key as an earlier row of this input",
                   "source_ref")
    if not any(p.field == "attrs" for p in c.problems):
        _check_attr_shapes(c)
    con.execute("DROP TABLE IF EXISTS temp.known_actors")
    if c.problems:
        ordered = sorted(c.problems, key=lambda p: (p.line or p.row or 0, p.field or ""))
        raise IngestError(f"{file}: {len(ordered)} problem(s); nothing was ingested", ordered)


def _check_attr_shapes(c: _Collector) -> None:
    shapes = c.con.execute(
        "SELECT DISTINCT kind, CAST(json_structure(attrs) AS VARCHAR) FROM staged").fetchall()
    choice_keys: set[tuple[str, str]] = set()
    known_kinds = {k.value for k in Kind}
    for kind, structure in shapes:
        if kind not in known_kinds:
            continue  # reported as an unknown kind already
        specs = attr_specs(kind)
        parsed = json.loads(structure) if structure else None
        for key, shape in parsed.items() if isinstance(parsed, dict) else ():
            if key.startswith(EXTENSION_PREFIX):
                continue
            field = f"attrs.{key}"
            spec = specs.get(key)
            if spec is None:
                c.add_rows(
                    "SELECT _loc, ? FROM staged WHERE kind = ? AND json_exists(attrs, ?)",
                    f"unknown attribute for kind {kind}; known: {', '.join(sorted(specs))} "
                    f"(prefix your own with '{EXTENSION_PREFIX}')", field,
                    [key, kind, _path(key)])
                continue
            shape_text = json.dumps(shape) if not isinstance(shape, str) else shape
            if shape_text not in _JSON_TYPES[spec.type]:
                allowed = _ROW_TYPES[spec.type]
                c.add_rows(
                    f"""SELECT _loc, json_extract(attrs, ?)::VARCHAR FROM staged WHERE kind = ?
                        AND json_type(attrs, ?) NOT IN ({_marks(allowed)})""",
                    f"must be of type {spec.type}", field,
                    [_path(key), kind, _path(key), *allowed])
            if spec.type == "list" and shape_text == '["VARCHAR"]':
                continue
            if spec.type == "date":
                c.add_rows(
                    """SELECT _loc, json_extract_string(attrs, ?) FROM staged WHERE kind = ?
                       AND json_type(attrs, ?) = 'VARCHAR'
                       AND try_strptime(json_extract_string(attrs, ?), '%Y-%m-%d') IS NULL""",
                    "must be a date YYYY-MM-DD", field, [_path(key), kind, _path(key), _path(key)])
            if spec.choices is not None:
                choice_keys.add((kind, key))
    for kind, key in sorted(choice_keys):
        choices = attr_specs(kind)[key].choices
        c.add_rows(
            f"""SELECT _loc, json_extract_string(attrs, ?) FROM staged WHERE kind = ?
                AND json_type(attrs, ?) = 'VARCHAR'
                AND json_extract_string(attrs, ?) NOT IN ({_marks(choices)})""",
            f"must be one of {', '.join(choices)}", f"attrs.{key}",
            [_path(key), kind, _path(key), _path(key), *choices])


def _path(key: str) -> str:
    return '$."' + key.replace('"', '\\"') + '"'


def _marks(values: Any) -> str:
    return ", ".join("?" for _ in values)
