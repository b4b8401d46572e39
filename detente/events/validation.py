"""Vectorised validation of a staged batch of events, inside the store's transaction.

The happy path costs a few scans: attribute shapes are checked per distinct (kind, JSON structure)
pair rather than per row, and rows are located only when a check fails.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from detente.errors import IngestError, Problem
from detente.events import actors
from detente.events.event import id_sql
from detente.events.kinds import (
    COMMON_ATTRS,
    CONFIDENCES,
    EXTENSION_PREFIX,
    KIND_ATTRS,
    Kind,
    attr_specs,
)

MAX_PER_CHECK = 20
# How deep lists and objects may nest in an attribute's value (``[1]`` is one level): far
# beyond any real record, and far below what Python's json (about 1,000 levels) and the API's
# orjson (255) can read or write back.
MAX_ATTR_DEPTH = 32
# NaN or Infinity where JSON has a number: after ':', ',' or '[', before ',', ']' or '}'.
_NON_FINITE_TOKEN = r"[:,\[]\s*-?(NaN|Infinity)\s*[,\]}]"
FIRST_DATE, LAST_DATE = "1800-01-01", "2199-12-31"

# json_type() names that satisfy each attribute type (NULL: unknown, always allowed).
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
            self._add(loc, message, field, value)

    def add_members(self, sql: str, message: str) -> None:
        """A problem per attribute holding NaN or Infinity in the rows ``sql`` selects
        (``_loc, attrs``); rows whose text only looked like it add none."""
        before = len(self.problems)
        for loc, text in self.con.execute(f"{sql} ORDER BY _loc").fetchall():
            for key, token in non_finite_members(text):
                self._add(loc, message, f"attrs.{key}", token)
            if len(self.problems) - before >= MAX_PER_CHECK:
                break

    def _add(self, loc: int, message: str, field: str, value: Any) -> None:
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
    members: bool = False  # located per attribute by ``non_finite_members``, not by SQL


# Typed attributes (a STRUCT ``attrs``, from an adapter that knows their types): DuckDB types
# that hold each attribute type.
_STRUCT_TYPES = {
    "str": ("VARCHAR",), "date": ("DATE",), "bool": ("BOOLEAN",), "list": ("VARCHAR[]",),
    "int": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT"),
}
_STRUCT_TYPES["float"] = (*_STRUCT_TYPES["int"], "FLOAT", "DOUBLE")


def typed_attrs_ok(fields: list[tuple[str, str]]) -> bool:
    """Whether a STRUCT ``attrs`` with ``fields`` (name, DuckDB type) can only hold attributes
    of known names and types: checked once from the type, not per row (where a field may be
    set is a row rule, ``_typed_checks``)."""
    specs = {name: spec for specs in (COMMON_ATTRS, *KIND_ATTRS.values())
             for name, spec in specs.items()}
    for name, type_ in fields:
        if name.startswith(EXTENSION_PREFIX):
            if type_.startswith(("STRUCT", "MAP", "UNION")) or type_.count("[]") > 1:
                return False
            continue
        spec = specs.get(name)
        if spec is None or not (type_ in _STRUCT_TYPES[spec.type] or (
                spec.type == "str" and type_.startswith("ENUM"))):
            return False
    return True


def _typed_checks(fields: list[tuple[str, str]]) -> list[_Check]:
    """Row rules of typed attributes: set only for kinds that have them, a value of their
    closed set, finite numbers."""
    checks = []
    for name, type_ in fields:
        value = f'_attrs."{name}"'
        if name.startswith(EXTENSION_PREFIX):
            continue
        if name not in COMMON_ATTRS:
            kinds = tuple(k.value for k, specs in KIND_ATTRS.items() if name in specs)
            checks.append(_Check(f"{value} IS NOT NULL AND kind NOT IN ({_marks(kinds)})",
                                 "kind", f"unknown attribute for this kind: {name}",
                                 f"attrs.{name}", kinds))
        choices = next((specs[name].choices for specs in (COMMON_ATTRS, *KIND_ATTRS.values())
                        if name in specs and specs[name].choices), None)
        if choices:
            checks.append(_Check(f"CAST({value} AS VARCHAR) NOT IN ({_marks(choices)})",
                                 f"CAST({value} AS VARCHAR)", f"must be one of "
                                 f"{', '.join(choices)}", f"attrs.{name}", choices))
        if type_ in ("FLOAT", "DOUBLE"):
            checks.append(_Check(f"isnan({value}) OR isinf({value})", f"CAST({value} AS VARCHAR)",
                                 "not a finite number", f"attrs.{name}"))
    return checks


def _row_checks(loc: str, prebuilt: bool,
                typed: list[tuple[str, str]] | None = None) -> list[_Check]:
    kinds = tuple(k.value for k in Kind)
    checks = [
        _Check(f"""\"{c}\" IS NULL AND nullif(trim(_raw_{c}), '') IS NOT NULL""", f"_raw_{c}",
               "not a valid date (expected YYYY-MM-DD or the --date-format given)", c)
        for c in ("date", "end")]
    # DuckDB reads years past 9999 and before 1 (BC), and the calendar's own ends overflowed
    # the analyses (a quiet window steps a day past its last provocation); within
    # FIRST_DATE..LAST_DATE every analysis works, pandas' nanosecond timestamps included
    # (docs/events.md says why this range).
    checks += [
        _Check(f"\"{c}\" NOT BETWEEN DATE '{FIRST_DATE}' AND DATE '{LAST_DATE}'",
               f'CAST("{c}" AS VARCHAR)',
               f"must be between {FIRST_DATE} and {LAST_DATE}", c)
        for c in ("date", "end")]
    # Text columns arrive trimmed, with empty strings as NULL (see Store._stage).
    checks.append(_Check("date IS NULL AND nullif(trim(_raw_date), '') IS NULL", "NULL",
                         "missing value", "date"))
    checks += [_Check(f'"{c}" IS NULL', "NULL", "missing value", c)
               for c in ("actor", "kind", "source", "source_ref", "confidence")]
    if prebuilt:
        checks.append(_Check(
            f"id <> {id_sql()}", "id",
            "id does not match source and source_ref (edited export?)", "id"))
    checks += [
        _Check('"end" < date', 'CAST("end" AS VARCHAR)', "end is before date", "end"),
        _Check(f"kind NOT IN ({_marks(kinds)})", "kind",
               f"unknown kind; expected one of {', '.join(kinds)}", "kind", kinds),
        _Check(f"confidence NOT IN ({_marks(CONFIDENCES)})", "confidence",
               f"must be one of {', '.join(CONFIDENCES)}", "confidence", CONFIDENCES),
    ]
    if typed is not None:
        checks += _typed_checks(typed)
    else:
        checks += _json_checks()
    # NUL ends a string in C and in many tools reading CSV; JSON input can carry it (\u0000).
    checks += [_Check(f"contains({c}, chr(0))", c, "holds a NUL character (U+0000), which text "
                      "fields keep out", c) for c in ("source", "source_ref", "summary",
                                                      "match_key")]
    checks += [_Check(f"{c} IS NOT NULL AND {c} NOT IN (SELECT code FROM known_actors)", c,
                      "unknown actor code (ISO 3166-1 alpha-3, UN, EU, IAEA, or declare it first)",
                      c) for c in ("actor", "target")]
    return checks


def _json_checks() -> list[_Check]:
    """Row rules of attributes given as JSON text."""
    return [
        # CASE, not AND: json_type() fails on text that is not JSON at all.
        _Check("NOT coalesce(CASE WHEN json_valid(attrs) THEN json_type(attrs) = 'OBJECT' END, "
               "false)", "attrs",
               "must be a JSON object", "attrs"),
        # DuckDB's JSON reader takes NaN and Infinity, which JSON has no words for (and
        # `events list --format json` would print). The text test may also hit a string
        # such as "x: NaN, y"; Python's parser then names the members (``members``).
        _Check("CASE WHEN contains(attrs, 'NaN') OR contains(attrs, 'Infinity') THEN "
               f"regexp_matches(attrs, '{_NON_FINITE_TOKEN}') ELSE false END", "attrs",
               "not a finite number; JSON has no NaN or Infinity", "attrs", members=True),
    ]


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
        if count and check.members:
            c.add_members(f"SELECT _loc, attrs FROM staged WHERE {check.failing}",
                          check.message)
        elif count:
            c.add_rows(f"SELECT _loc, {check.value} FROM staged WHERE {check.failing}",
                       check.message, check.field, list(check.params))
    if duplicated_keys(con):
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


def row_guard(con: duckdb.DuckDBPyConnection, typed: list[tuple[str, str]] | None = None
              ) -> tuple[str, list[Any]]:
    """SQL true for a row of ``staged`` that breaks any row rule, with its parameters (the
    store's direct path aborts its INSERT on such a row). Sets up temp table known_actors.
    ``typed``: the fields of typed attributes (``staged._attrs``) instead of JSON text."""
    _known_actors(con)
    checks = _row_checks("row", prebuilt=False, typed=typed)
    return (" OR ".join(f"({k.failing})" for k in checks),
            [p for k in checks for p in k.params])


def passes_batch_rules(con: duckdb.DuckDBPyConnection, *, file: str, loc: str = "row",
                       attrs: bool = True, unique_keys: bool = False) -> bool:
    """Whether ``staged`` keeps the rules that span rows: unique source keys, and attribute
    names and types per kind (checked over distinct values, without locating rows).
    ``attrs=False``: the input had no attributes column, so every row's are ``{}``;
    ``unique_keys``: the caller guarantees the keys are unique (not counted again)."""
    if not unique_keys and duplicated_keys(con):
        return False
    c = _Collector(con, file, loc)
    if attrs:
        _check_attr_shapes(c)
    return not c.problems


def duplicated_keys(con: duckdb.DuckDBPyConnection) -> int:
    """How many source keys occur more than once in ``staged``."""
    # Distinct 64-bit hashes are cheaper to count than distinct key strings; equal keys hash
    # alike, so only a repeated hash (a repeated key or a collision) needs the exact count.
    if not con.execute("SELECT count(*) - count(DISTINCT hash(source, source_ref)) FROM staged"
                       ).fetchall()[0][0]:
        return 0
    return con.execute("""SELECT count(*) FROM (SELECT 1 FROM staged
        GROUP BY source, source_ref HAVING count(*) > 1)""").fetchall()[0][0]


def _check_attr_shapes(c: _Collector) -> None:
    """Attribute names, types and values per kind, in two passes over distinct values: each
    row's key set, then the JSON type of every key seen with the values of those that have a
    closed set (one parse per row for all keys). Rows are located only when something fails."""
    known_kinds = {k.value for k in Kind}
    present: dict[str, set[str]] = {}
    for kind, keys in c.con.execute("SELECT DISTINCT kind, json_keys(attrs) FROM staged "
                                    "WHERE kind IS NOT NULL").fetchall():
        if kind in known_kinds:  # unknown kinds are reported already
            present.setdefault(kind, set()).update(keys or ())
    checked: dict[str, list[str]] = {}
    _check_depth(c, sorted({key for keys in present.values() for key in keys
                            if key.startswith(EXTENSION_PREFIX)}))
    for kind, keys in sorted(present.items()):
        specs = attr_specs(kind)
        for key in sorted(keys):
            if key.startswith(EXTENSION_PREFIX):
                continue
            if key not in specs:
                c.add_rows(
                    "SELECT _loc, ? FROM staged WHERE kind = ? AND json_exists(attrs, ?)",
                    f"unknown attribute for kind {kind}; known: {', '.join(sorted(specs))} "
                    f"(prefix your own with '{EXTENSION_PREFIX}')", f"attrs.{key}",
                    [key, kind, _path(key)])
            else:
                checked.setdefault(kind, []).append(key)
    union = sorted({key for keys in checked.values() for key in keys})
    if not union:
        return
    closed = sorted({key for kind, keys in checked.items() for key in keys
                     if attr_specs(kind)[key].choices is not None})
    values_sql = "json_extract_string(attrs, ?)" if closed else "[]"
    types: dict[tuple[str, str], set[str]] = {}
    values: dict[tuple[str, str], set[str]] = {}
    for kind, found, texts in c.con.execute(
            f"SELECT DISTINCT kind, json_type(attrs, ?), {values_sql} FROM staged "
            f"WHERE kind IN ({_marks(checked)})",
            [[_path(k) for k in union], *([[_path(k) for k in closed]] if closed else []),
             *checked]).fetchall():
        for key, kind_of in zip(union, found, strict=True):
            if kind_of is not None:
                types.setdefault((kind, key), set()).add(kind_of)
        for key, text in zip(closed, texts, strict=True):
            if text is not None and found[union.index(key)] == "VARCHAR":
                values.setdefault((kind, key), set()).add(text)
    for kind, keys in sorted(checked.items()):
        specs = attr_specs(kind)
        for key in keys:
            spec = specs[key]
            allowed = _ROW_TYPES[spec.type]
            if not types.get((kind, key), set()) <= set(allowed):
                c.add_rows(
                    f"""SELECT _loc, json_extract(attrs, ?)::VARCHAR FROM staged WHERE kind = ?
                        AND json_type(attrs, ?) NOT IN ({_marks(allowed)})""",
                    f"must be of type {spec.type}", f"attrs.{key}",
                    [_path(key), kind, _path(key), *allowed])
                continue
            if spec.type == "list":
                c.add_rows(
                    """SELECT _loc, json_extract(attrs, ?)::VARCHAR FROM staged WHERE kind = ?
                       AND json_type(attrs, ?) = 'ARRAY'
                       AND NOT list_bool_and(list_transform(json_type(attrs, ?),
                                                            lambda t: t = 'VARCHAR'))""",
                    "must be a list of strings", f"attrs.{key}",
                    [_path(key), kind, _path(key), _path(key) + "[*]"])
            if spec.type == "date":
                c.add_rows(
                    """SELECT _loc, json_extract_string(attrs, ?) FROM staged WHERE kind = ?
                       AND json_type(attrs, ?) = 'VARCHAR'
                       AND (NOT regexp_full_match(json_extract_string(attrs, ?),
                                                  '\\d{4}-\\d{2}-\\d{2}')
                            OR try_strptime(json_extract_string(attrs, ?), '%Y-%m-%d') IS NULL)""",
                    "must be a date YYYY-MM-DD", f"attrs.{key}",
                    [_path(key), kind, _path(key), _path(key), _path(key)])
            if spec.choices is not None and values.get((kind, key), set()) - set(spec.choices):
                c.add_rows(
                    f"""SELECT _loc, json_extract_string(attrs, ?) FROM staged WHERE kind = ?
                        AND json_type(attrs, ?) = 'VARCHAR'
                        AND json_extract_string(attrs, ?) NOT IN ({_marks(spec.choices)})""",
                    f"must be one of {', '.join(spec.choices)}", f"attrs.{key}",
                    [_path(key), kind, _path(key), _path(key), *spec.choices])


def _check_depth(c: _Collector, keys: list[str]) -> None:
    """Extension attributes (``x_...``, the only ones that may hold lists of lists or objects)
    nested deeper than ``MAX_ATTR_DEPTH``. SQL keeps the values with that many opening
    brackets (a necessary condition); Python measures those exactly."""
    if not keys:
        return
    rows = c.con.execute(
        f"""SELECT _loc, k, v FROM (
                SELECT _loc, unnest(?) AS k, unnest(json_extract(attrs, ?))::VARCHAR AS v
                FROM staged WHERE kind IS NOT NULL)
            WHERE strlen(v) > {2 * MAX_ATTR_DEPTH} AND strlen(v)
                  - strlen(replace(replace(v, '[', ''), '{{', '')) > {MAX_ATTR_DEPTH}
            ORDER BY _loc""", [keys, [_path(k) for k in keys]]).fetchall()
    found = 0
    for loc, key, text in rows:
        depth = nesting_depth(text)
        if depth > MAX_ATTR_DEPTH:
            c._add(loc, f"lists and objects nest {depth:,} levels deep; at most "
                        f"{MAX_ATTR_DEPTH} are allowed", f"attrs.{key}", None)
            found += 1
            if found >= MAX_PER_CHECK:
                break


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deep lists and objects nest in the JSON ``text`` (``1`` is 0, ``[[1]]`` is 2),
    counted without recursion (Python's parser gives up near 1,000 levels)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _path(key: str) -> str:
    return '$."' + key.replace('"', '\\"') + '"'


def _marks(values: Any) -> str:
    return ", ".join("?" for _ in values)


class _NonFinite(str):
    """NaN, Infinity or -Infinity as the JSON text spelt it."""


def non_finite_members(text: str) -> list[tuple[str, str]]:
    """(member, token) for each member of the JSON object ``text`` holding NaN or Infinity,
    alone or nested in a list or object ([] when there is none, or the text is not a JSON
    object)."""
    try:
        value = json.loads(text, parse_constant=_NonFinite)
    except (ValueError, RecursionError):  # too deep: reported by the depth rule
        return []
    if not isinstance(value, dict):
        return []
    return [(key, token) for key, item in value.items()
            if (token := _non_finite_in(item)) is not None]


def _non_finite_in(value: Any) -> str | None:
    if isinstance(value, _NonFinite):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):  # 1e999
        return repr(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) \
        else ()
    return next((t for t in map(_non_finite_in, items) if t is not None), None)
