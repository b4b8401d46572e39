"""Vectorised validation of a staged batch of events, inside the store's transaction.

The happy path costs a few scans: attribute shapes are checked per distinct (kind, JSON structure)
pair rather than per row, and rows are located only when a check fails.
"""

from __future__ import annotations

import json
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


def check_staged(con: duckdb.DuckDBPyConnection, *, file: str, loc: str = "row",
                 prebuilt: bool = False) -> None:
    """Raise ``IngestError`` listing every problem in temp table ``staged``."""
    c = _Collector(con, file, loc)
    con.execute("UPDATE staged SET attrs = '{}' WHERE attrs IS NULL OR trim(attrs) = ''")
    for column in ("date", "end"):
        c.add_rows(f"""SELECT _loc, _raw_{column} FROM staged WHERE "{column}" IS NULL
                       AND nullif(trim(_raw_{column}), '') IS NOT NULL""",
                   "not a valid date (expected YYYY-MM-DD or the --date-format given)", column)
    for column in ("date", "actor", "kind", "source", "source_ref", "confidence"):
        parsed_elsewhere = " AND nullif(trim(_raw_date), '') IS NULL" if column == "date" else ""
        c.add_rows(f'SELECT _loc, NULL FROM staged WHERE ("{column}" IS NULL '
                   f"OR trim(CAST(\"{column}\" AS VARCHAR)) = ''){parsed_elsewhere}",
                   "missing value", column)
    if prebuilt:
        c.add_rows(f"""SELECT _loc, id FROM staged WHERE
                       id <> substr(sha256(source || chr(31) || source_ref), 1, {ID_LENGTH})""",
                   "id does not match source and source_ref (edited export?)", "id")
    c.add_rows('SELECT _loc, CAST("end" AS VARCHAR) FROM staged WHERE "end" < date',
               "end is before date", "end")
    kinds = [k.value for k in Kind]
    c.add_rows(f"SELECT _loc, kind FROM staged WHERE kind NOT IN ({_marks(kinds)})",
               f"unknown kind; expected one of {', '.join(kinds)}", "kind", kinds)
    c.add_rows(f"SELECT _loc, confidence FROM staged "
               f"WHERE confidence NOT IN ({_marks(CONFIDENCES)})",
               f"must be one of {', '.join(CONFIDENCES)}", "confidence", list(CONFIDENCES))
    _known_actors(con)
    for column in ("actor", "target"):
        c.add_rows(f"""SELECT _loc, {column} FROM staged WHERE {column} IS NOT NULL
                       AND {column} NOT IN (SELECT code FROM known_actors)""",
                   "unknown actor code (ISO 3166-1 alpha-3, UN, EU, IAEA, or declare it first)",
                   column)
    c.add_rows(f"""SELECT _loc, source_ref || ' (first at {loc} ' || first || ')' FROM (
                      SELECT _loc, source_ref,
                             min(_loc) OVER (PARTITION BY source, source_ref) AS first
                      FROM staged) WHERE _loc > first""",
               "duplicate row: same source key as an earlier row of this input", "source_ref")
    c.add_rows("""SELECT _loc, attrs FROM staged
                  WHERE NOT coalesce(json_valid(attrs) AND json_type(attrs) = 'OBJECT', false)""",
               "must be a JSON object", "attrs")
    if not c.problems:
        _check_attr_shapes(c)
    if c.problems:
        con.execute("DROP TABLE IF EXISTS temp.known_actors")
        ordered = sorted(c.problems, key=lambda p: (p.line or p.row or 0, p.field or ""))
        raise IngestError(f"{file}: {len(ordered)} problem(s); nothing was ingested", ordered)
    con.execute("DROP TABLE IF EXISTS temp.known_actors")


def _check_attr_shapes(c: _Collector) -> None:
    shapes = c.con.execute(
        "SELECT DISTINCT kind, CAST(json_structure(attrs) AS VARCHAR) FROM staged").fetchall()
    choice_keys: set[tuple[str, str]] = set()
    for kind, structure in shapes:
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
