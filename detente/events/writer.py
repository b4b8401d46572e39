"""The ingest transaction's steps: stage the incoming rows, validate them, write them to events.

Two paths, both inside the store's transaction (``Store.ingest_relation``):

* **Direct**, for batches without match keys that are not store exports (nearly every large
  file): the rows are checked while they are written. The rules that span rows (duplicate
  source keys; attribute names, types and closed-set values) run first over distinct values;
  the row rules run inside the INSERT itself, where a failing row aborts it (DuckDB's
  ``error()``). Any failure rolls back and sends the batch down the full path, which then names
  every problem.
  The rows are copied to a temp table first (the input is read once, so a file cannot change
  between the checks and the write), except input that is cheap to read again
  (``Batch.in_place``): an adapter's own temp table of checked rows (no second copy of a
  ten-million-line GDELT export in memory: 50 s against 56 s with a 1 GB memory limit) and a
  Parquet file, whose state the store checks again before it commits.
* **Full**: copy into temp table ``staged``, run every check (``validation.check_staged``),
  resolve match keys into aliases (``merge``), insert.

Events are inserted in date order, so each row group covers a short span of dates and date-range
queries skip the rest (DuckDB's zone maps).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from detente.errors import IngestError, Problem
from detente.events import validation
from detente.events.event import id_sql
from detente.progress import Progress, silent

EVENT_COLUMNS = ("id", "date", "end", "actor", "target", "kind", "attrs", "source", "source_ref",
                 "confidence", "summary", "match_key")
STAGED_COLUMNS = ("_loc", *EVENT_COLUMNS[1:])

_STAGED_TYPES = (
    ("_loc", "BIGINT"), ("date", "DATE"), ("end", "DATE"), ("actor", "VARCHAR"),
    ("target", "VARCHAR"), ("kind", "VARCHAR"), ("attrs", "VARCHAR"), ("source", "VARCHAR"),
    ("source_ref", "VARCHAR"), ("confidence", "VARCHAR"), ("summary", "VARCHAR"),
    ("match_key", "VARCHAR"),
)
_ALSO_TYPE = "STRUCT(source VARCHAR, source_ref VARCHAR)[]"
# Attributes are stored minified, so equal attributes are equal text whatever the input spacing.
_EVENT_SELECT = ", ".join(f'"{c}"' if c != "attrs" else "CAST(json(attrs) AS VARCHAR) AS attrs"
                          for c in EVENT_COLUMNS)
# The direct path's insert of typed attributes (``write_direct``): the columns carried
# through the sort (the struct, not its JSON text; no id yet).
_BEFORE_SORT = ", ".join(f'"{c}"' for c in EVENT_COLUMNS if c not in ("id", "attrs")) + \
    ", _attrs"
_ROW_BROKEN = "detente: a row breaks an event rule"  # the direct path's abort message

# An ingest's stages: reading, validating, merging, committing, done, counting rows
# (detente.progress).


@dataclass(frozen=True)
class IngestResult:
    """What an ingest did: rows read; events added; rows merged into or linked to existing
    events as further sources; rows already present."""

    file: str
    rows: int
    added: int
    merged: int
    linked: int
    unchanged: int
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.merged or self.linked)


def typed_attrs(relation: duckdb.DuckDBPyRelation) -> list[tuple[str, str]] | None:
    """The fields (name, DuckDB type) of a relation's typed attributes: an ``attrs`` column
    that is a STRUCT (an adapter that knows its attributes' types), else None (JSON text)."""
    for name, type_ in zip(relation.columns, relation.types, strict=True):
        if name == "attrs" and type_.id == "struct":
            return [(field, str(t)) for field, t in type_.children]
    return None


def attrs_json(fields: list[tuple[str, str]], struct: str) -> str:
    """SQL writing typed attributes (``struct``) as minified JSON text, each field in order,
    leaving out those that are NULL (as a JSON source's missing member)."""
    parts = ", ".join(
        f"CASE WHEN {struct}.\"{name}\" IS NOT NULL THEN "
        f"'{json.dumps(name)}:' || CAST(to_json({struct}.\"{name}\") AS VARCHAR) END"
        for name, _ in fields)
    return f"('{{' || concat_ws(',', {parts}) || '}}')" if fields else "'{}'"


def _normalised(columns: set[str], prebuilt: bool,
                typed_fields: list[tuple[str, str]] | None = None,
                trimmed: bool = False) -> list[str]:
    """The select list giving a relation with ``columns`` the staged names and types (typed
    attributes stay a struct, ``_attrs``, beside their JSON text). ``trimmed``: the text
    columns hold no surrounding spaces and no empty text already (an adapter's layout made
    them), so they are not trimmed again."""
    typed = list(_STAGED_TYPES)
    if prebuilt:
        typed += [("id", "VARCHAR"), ("also", _ALSO_TYPE)]
    texts = () if trimmed else ("actor", "target", "kind", "source", "source_ref",
                                "confidence", "match_key")
    select = [(f"nullif({_trim(_text(c))}, '') AS \"{c}\"" if c in texts
               else f'CAST("{c}" AS {t}) AS "{c}"')
              for c, t in typed if c in columns and c != "attrs"]
    # Minified on insert (_EVENT_SELECT), so equal attributes compare equal whatever their
    # spacing.
    if typed_fields is not None:
        select += ['"attrs" AS _attrs', f"{attrs_json(typed_fields, 'attrs')} AS attrs"]
    else:
        select.append(f"coalesce(nullif({_trim(_text('attrs'))}, ''), '{{}}') AS attrs"
                      if "attrs" in columns else "'{}' AS attrs")
    select += [f'CAST(NULL AS {t}) AS "{c}"' for c, t in typed
               if c not in columns and c not in ("_loc", "also", "attrs")]
    if not prebuilt:
        select.append(f"{id_sql()} AS id")
    if prebuilt and "also" not in columns:
        select.append(f"CAST([] AS {_ALSO_TYPE}) AS also")
    for raw in ("_raw_date", "_raw_end"):
        select.append(f"CAST({raw} AS VARCHAR) AS {raw}" if raw in columns
                      else f"CAST(NULL AS VARCHAR) AS {raw}")
    return select


def _text(column: str) -> str:
    return f'CAST("{column}" AS VARCHAR)'


def _trim(text: str) -> str:
    """``trim(text)``, called only when there is a space to remove: DuckDB's trim() walks the
    whole string (0.3 s per million 130-character attribute texts)."""
    return (f"CASE WHEN starts_with({text}, ' ') OR ends_with({text}, ' ') THEN trim({text}) "
            f"ELSE {text} END")


def stage(con: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, file: str,
          prebuilt: bool = False, *, in_place: bool = False,
          trimmed: bool = False) -> list[tuple[str, str]] | None:
    """Make temp ``staged`` hold the incoming rows with the normalised types: a copy, or with
    ``in_place`` (a relation with ``_loc`` over a DuckDB table) a view over them. Returns the
    fields of typed attributes (``typed_attrs``), if the relation has them. ``trimmed``: see
    ``_normalised``."""
    drop_staged(con)
    columns = set(relation.columns)
    fields = typed_attrs(relation)
    select = ", ".join(_normalised(columns, prebuilt, fields, trimmed))
    in_place = in_place and "_loc" in columns
    con.register("incoming_relation", relation)
    try:
        if in_place:
            con.execute(f"CREATE TEMP VIEW staged AS SELECT {select} FROM incoming_relation")
        elif "_loc" in columns:
            con.execute(f"CREATE TEMP TABLE staged AS SELECT {select} FROM incoming_relation")
        else:
            # The position in the source follows from the rowid (CTAS keeps insertion
            # order); much cheaper than row_number(), which serialises the scan.
            con.execute(f"CREATE TEMP TABLE staged_rows AS SELECT {select} "
                        "FROM incoming_relation")
            first = con.execute(
                "SELECT coalesce(min(rowid), 0) FROM staged_rows").fetchall()[0][0]
            con.execute("CREATE TEMP VIEW staged AS "
                        f"SELECT rowid - {int(first)} + 1 AS _loc, * FROM staged_rows")
    except duckdb.Error as exc:
        first = str(exc).split("\n", 1)[0]
        match = re.search(r"[Ll]ine:? (\d+)", str(exc))
        raise IngestError(f"{file}: cannot read the input; nothing was ingested", [
            Problem(first, file=file, line=int(match.group(1)) if match else None)]) from None
    finally:
        if not in_place:  # the view reads it until drop_staged
            con.unregister("incoming_relation")
    return fields


def write_direct(con: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, *,
                 file: str, loc: str, in_place: bool = False,
                 note: Progress = silent, unique_keys: bool = False,
                 streamed: Callable[[], int] | None = None, trimmed: bool = False,
                 ) -> tuple[IngestResult, int] | None:
    """Validate and insert a batch in one pass (see the module docstring): the result and the
    batch's longest event span in days, or None when the batch needs the full path (it has
    match keys, or breaks a rule). ``note`` hears the stages; ``in_place``: see ``stage``;
    ``unique_keys``: the caller guarantees no repeated source key (not counted again).
    ``streamed``: the relation is read once, by the INSERT (a file parsed as it is written,
    ``detente.events.ingest.stream``), so nothing is counted beforehand: its rows must be
    single-day events without match keys (the INSERT aborts on one that is not), and the
    callable gives their number afterwards. ``trimmed``: see ``_normalised``. The caller rolls
    back on None."""
    typed = stage(con, relation, file, in_place=in_place, trimmed=trimmed)
    if streamed is None:
        rows, keyed, span = con.execute(
            'SELECT count(*), count(match_key), coalesce(max("end" - date), 0) FROM staged'
        ).fetchall()[0]
        if keyed:
            return None
    else:
        rows, span = None, 0
    note("validating", 0, rows)
    try:
        if typed is not None:  # names and types from the struct's type; its rows below
            if not validation.typed_attrs_ok(typed) or (
                    not unique_keys and validation.duplicated_keys(con)):
                return None
        elif not validation.passes_batch_rules(con, file=file, loc=loc,
                                               attrs="attrs" in relation.columns,
                                               unique_keys=unique_keys):
            return None
        note("merging", 0, rows)
        guard, params = validation.row_guard(con, typed)
        if streamed is not None:  # what the count beforehand would have found
            guard += ' OR match_key IS NOT NULL OR "end" IS NOT NULL'
        new = _new_rows(con)
        checked = f"""SELECT * FROM staged WHERE CASE WHEN {guard} THEN error('{_ROW_BROKEN}')
                                                  ELSE true END"""
        if typed is None:
            sql = f"""INSERT INTO stored_events SELECT {_EVENT_SELECT} FROM ({checked}) s
                      WHERE {new} ORDER BY date"""
        else:
            # Typed attributes: sorted as the struct and written as JSON text after the sort,
            # so the sort moves the narrower columns; the ids likewise hashed after it, unless
            # the test for known rows has hashed them already (a store with events).
            after = {"attrs": attrs_json(typed, "_attrs")}
            carried = _BEFORE_SORT
            if new == _ALL_NEW:
                after["id"] = id_sql()
            else:
                carried = f'"id", {carried}'
            select = ", ".join(f'{after[c]} AS "{c}"' if c in after else f'"{c}"'
                               for c in EVENT_COLUMNS)
            sql = f"""INSERT INTO stored_events SELECT {select} FROM (
                SELECT {carried} FROM ({checked}) s WHERE {new} ORDER BY date)"""
        added = con.execute(sql, params).fetchall()[0][0]
        con.execute("DROP TABLE IF EXISTS temp.known_actors")
        if streamed is not None:
            rows = streamed()
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        # A row rule (or malformed attributes) stopped the write: the full path will name it.
        return None
    return IngestResult(file, rows, added, 0, 0, rows - added), span


_ALL_NEW = "true"  # ``_new_rows`` of an empty store: no row's id needs looking up


def _new_rows(con: duckdb.DuckDBPyConnection) -> str:
    """SQL true for a row of ``s`` whose id the store does not know (as an event or alias)."""
    known = con.execute("SELECT (SELECT count(*) FROM events) + "
                        "(SELECT count(*) FROM aliases)").fetchall()[0][0]
    return ("""NOT EXISTS (SELECT 1 FROM events e WHERE e.id = s.id)
               AND NOT EXISTS (SELECT 1 FROM aliases a WHERE a.id = s.id)"""
            if known else _ALL_NEW)


def differing_known(con: duckdb.DuckDBPyConnection) -> tuple[int, int | None]:
    """Rows of ``staged`` whose id is a stored event's but whose content differs from it (an
    edited row of a file ingested before, which re-ingest keeps as stored), and the first's
    position."""
    fields = ("date", "end", "actor", "target", "kind", "confidence", "summary")
    differs = " OR ".join(f's."{f}" IS DISTINCT FROM e."{f}"' for f in fields)
    count, first = con.execute(f"""SELECT count(*), min(s._loc) FROM staged s
        JOIN events e ON e.id = s.id
        WHERE {differs} OR CAST(json(s.attrs) AS VARCHAR) IS DISTINCT FROM e.attrs""").fetchall()[0]
    return int(count), first


def update_span(con: duckdb.DuckDBPyConnection, batch_span: int | None = None) -> None:
    """Keep ``meta.span_days`` (the longest event) up to date after adding ``staged``."""
    batch = int(batch_span) if batch_span is not None else \
        '(SELECT coalesce(max("end" - date), 0) FROM staged)'
    con.execute(f"""INSERT OR REPLACE INTO meta SELECT 'span_days', CAST(greatest({batch},
        coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'span_days'),
                 (SELECT coalesce(max("end" - date), 0) FROM events))) AS VARCHAR)""")


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop temp ``staged`` and what it reads."""
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = 'staged'"
    ).fetchall()[0][0]
    con.execute(f"DROP {'VIEW' if views else 'TABLE'} IF EXISTS temp.staged")
    con.execute("DROP TABLE IF EXISTS temp.staged_rows")
    con.unregister("incoming_relation")


def merge(con: duckdb.DuckDBPyConnection, file: str, total: int, *,
          prebuilt: bool) -> IngestResult:
    """Write temp ``staged`` (validated) into events, resolving match keys into aliases."""
    keyed = not prebuilt and con.execute(
        "SELECT count(*) FROM staged WHERE nullif(match_key, '') IS NOT NULL"
    ).fetchall()[0][0]
    # Rows already known by id (their own or as an alias) change nothing.
    new = _new_rows(con)
    if not keyed:
        if prebuilt:
            con.execute(f"""INSERT INTO aliases
                SELECT {id_sql('r.source', 'r.source_ref')},
                       f.id, r.source, r.source_ref
                FROM (SELECT id, unnest(also) AS r FROM staged s WHERE {new}) f""")
        added = con.execute(f"""INSERT INTO stored_events SELECT {_EVENT_SELECT} FROM staged s
                                WHERE {new} ORDER BY date""").fetchall()[0][0]
        return IngestResult(file, total, added, 0, 0, total - added)
    con.execute(f"CREATE TEMP TABLE fresh AS SELECT * FROM staged s WHERE {new}")
    unchanged = total - con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
    merged, linked = _merge_keyed(con)
    added = con.execute(f"""INSERT INTO stored_events SELECT {_EVENT_SELECT} FROM fresh
                            WHERE NOT _aliased ORDER BY date""").fetchall()[0][0]
    con.execute("DROP TABLE fresh")
    return IngestResult(file, total, added, merged, linked, unchanged)


def _merge_keyed(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Resolve ``match_key`` rows of ``fresh`` against the store and each other.

    Marks rows that become aliases (``_aliased``) and returns (merged, linked) counts.
    """
    con.execute("ALTER TABLE fresh ADD COLUMN _aliased BOOLEAN DEFAULT false")
    con.execute("""UPDATE fresh SET match_key = NULL WHERE match_key = ''""")
    group = "ends_with(match_key, '*')"
    # 1. An item row whose key an existing event already has: alias of that event.
    con.execute(f"""CREATE TEMP TABLE hits AS
        SELECT f.id, min(e.id) AS event_id, f.source, f.source_ref FROM fresh f
        JOIN events e ON e.match_key = f.match_key
        WHERE NOT {group.replace('match_key', 'f.match_key')}
        GROUP BY f.id, f.source, f.source_ref""")
    # 2. Item rows sharing a key within the batch: the first (by source position) stays.
    con.execute(f"""INSERT INTO hits SELECT f.id, w.id, f.source, f.source_ref
        FROM fresh f JOIN (SELECT match_key, arg_min(id, _loc) AS id FROM fresh
                           WHERE match_key IS NOT NULL AND NOT {group}
                           GROUP BY match_key) w
          ON f.match_key = w.match_key AND f.id <> w.id
        WHERE f.id NOT IN (SELECT id FROM hits)
          AND w.id NOT IN (SELECT id FROM hits)""")
    merged = con.execute("SELECT count(DISTINCT id) FROM hits").fetchall()[0][0]
    con.execute("INSERT INTO aliases SELECT id, event_id, source, source_ref FROM hits")
    con.execute("UPDATE fresh SET _aliased = true WHERE id IN (SELECT id FROM hits)")
    con.execute("DROP TABLE hits")
    # 3. Existing summary events that new items now itemise: they become aliases of the items.
    con.execute("""CREATE TEMP TABLE absorbed AS
        SELECT g.id AS group_id, f.id AS item_id FROM events g
        JOIN fresh f ON NOT f._aliased AND f.match_key IS NOT NULL
          AND NOT ends_with(f.match_key, '*')
          AND ends_with(g.match_key, '*')
          AND starts_with(f.match_key, rtrim(g.match_key, '*'))""")
    if con.execute("SELECT count(*) FROM absorbed").fetchall()[0][0]:
        con.execute("""INSERT INTO aliases
            SELECT DISTINCT g.id, a.item_id, g.source, g.source_ref
            FROM absorbed a JOIN events g ON g.id = a.group_id
            UNION
            SELECT DISTINCT x.id, a.item_id, x.source, x.source_ref
            FROM absorbed a JOIN aliases x ON x.event_id = a.group_id""")
        con.execute("""DELETE FROM aliases WHERE event_id IN
            (SELECT group_id FROM absorbed)""")
        con.execute("DELETE FROM stored_events WHERE id IN (SELECT group_id FROM absorbed)")
    con.execute("DROP TABLE absorbed")
    # 4. New summary rows link to every item they summarise (existing or from this batch).
    con.execute(f"""CREATE TEMP TABLE links AS
        SELECT f.id, c.id AS event_id, f.source, f.source_ref FROM fresh f
        JOIN (SELECT id, match_key FROM events WHERE match_key IS NOT NULL
              UNION ALL
              SELECT id, match_key FROM fresh WHERE NOT _aliased AND match_key IS NOT NULL
                AND NOT {group}) c
          ON starts_with(c.match_key, rtrim(f.match_key, '*'))
         AND NOT ends_with(c.match_key, '*')
        WHERE NOT f._aliased AND ends_with(f.match_key, '*')""")
    linked = con.execute("SELECT count(DISTINCT id) FROM links").fetchall()[0][0]
    con.execute("INSERT INTO aliases SELECT id, event_id, source, source_ref FROM links")
    con.execute("UPDATE fresh SET _aliased = true WHERE id IN (SELECT id FROM links)")
    con.execute("DROP TABLE links")
    # 5. Summary rows of one group that itemise nothing are one salvo reported twice: the
    #    group's stored event, else the first new row (by source position), stays.
    con.execute(f"""CREATE TEMP TABLE same AS
        SELECT f.id, coalesce(e.id, w.id) AS event_id, f.source, f.source_ref FROM fresh f
        JOIN (SELECT match_key, arg_min(id, _loc) AS id FROM fresh
              WHERE NOT _aliased AND {group} GROUP BY match_key) w ON w.match_key = f.match_key
        LEFT JOIN (SELECT match_key, min(id) AS id FROM events WHERE {group}
                   GROUP BY match_key) e ON e.match_key = f.match_key
        WHERE NOT f._aliased AND {group.replace('match_key', 'f.match_key')}
          AND (e.id IS NOT NULL OR f.id <> w.id)""")
    merged += con.execute("SELECT count(*) FROM same").fetchall()[0][0]
    con.execute("INSERT INTO aliases SELECT id, event_id, source, source_ref FROM same")
    con.execute("UPDATE fresh SET _aliased = true WHERE id IN (SELECT id FROM same)")
    con.execute("DROP TABLE same")
    return merged, linked
