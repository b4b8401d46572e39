"""POLECAT global event data (Harvard Dataverse ``ngecEvents*.txt``): PLOVER-coded, tab-separated
with a header.

Columns per the POLECAT data description: ``Event ID, Event Date, Event Type, Event Mode,
Event Intensity (older releases: Intensity), Quad Code, Contexts, Actor Name, Actor Country,
Actor COW, Primary Actor Sector, Actor Sectors, Actor Title, Actor Name Raw, Wikipedia Actor
ID, Recipient Name, Recipient Country, Recipient COW, Primary Recipient Sector, Recipient
Sectors, Recipient Title, Recipient Name Raw, Wikipedia Recipient ID, Placename, City,
District, Province, Country, Latitude, Longitude, GeoNames ID, Raw Placename, Feature Type,
Source, Publication Date, Story People, Story Organizations, Story Locations, Language,
Version``. Columns are found by header name; some releases end lines with extra empty fields,
which are accepted.

Countries are ISO 3166-1 alpha-3 codes; a cell may list several (``USA;KOR``): the first is the
event's actor (or target) and, for the actor, all of them go to ``attrs.parties`` (so an
agreement party acting jointly is matched). ``None`` means no country: such rows are skipped.
``Event Type`` must be one of the 16 PLOVER types; ``kind`` follows the PLOVER mapping table
(``detente.events.codes``); attributes ``plover``, ``goldstein`` (POLECAT's intensity, on the
same -10..10 scale), ``quad_class``, ``x_mode`` and ``x_contexts``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from detente.events import codes
from detente.events.ingest import Batch, coded

FORMAT = "polecat"
DESCRIPTION = ("POLECAT/PLOVER event data (ngecEvents*.txt, tab-separated with a header; "
               ".zip/.gz too); bad rows go to NAME.rejects.jsonl")
SOURCE = "polecat"
FIRST_DAY = "2018-01-01"  # POLECAT coverage starts in 2018

COLUMNS: tuple[str, ...] = (
    "Event ID", "Event Date", "Event Type", "Event Mode", "Event Intensity", "Quad Code",
    "Contexts", "Actor Name", "Actor Country", "Actor COW", "Primary Actor Sector",
    "Actor Sectors", "Actor Title", "Actor Name Raw", "Wikipedia Actor ID", "Recipient Name",
    "Recipient Country", "Recipient COW", "Primary Recipient Sector", "Recipient Sectors",
    "Recipient Title", "Recipient Name Raw", "Wikipedia Recipient ID", "Placename", "City",
    "District", "Province", "Country", "Latitude", "Longitude", "GeoNames ID", "Raw Placename",
    "Feature Type", "Source", "Publication Date", "Story People", "Story Organizations",
    "Story Locations", "Language", "Version")
_WANTED: dict[str, tuple[str, ...]] = {c: (c,) for c in COLUMNS}
_WANTED["Event Intensity"] = ("Event Intensity", "Intensity")
_REQUIRED = ("Event ID", "Event Date", "Event Type", "Event Intensity", "Actor Country",
             "Recipient Country")


def detect(path: Path) -> bool:
    if coded.is_side_file(path):
        return False
    header = {h.strip().strip('"').lower() for h in coded.first_line(path).lstrip(
        "\ufeff").split("\t")}
    return {"event id", "event date", "event type", "actor country"} <= header


def layout(index: dict[str, int], width: int, con: duckdb.DuckDBPyConnection, *,
           geo: bool = False) -> coded.Layout:
    """The layout for a file whose header gives ``index`` (column -> position) and ``width``."""
    known = {c: c for c in coded.known_actor_codes(con)}

    def raw(column: str) -> str:
        text = coded.unquote_sql(f"f[{index[column]}]") if column in index else "NULL"
        return f"nullif(nullif({text}, ''), 'None')"

    def countries(column: str) -> str:
        return (f"list_filter(list_transform(string_split(coalesce({raw(column)}, ''), ';'), "
                f"lambda x: trim(x)), lambda x: x <> '' AND x <> 'None')")

    lookups = coded.Lookups(con)

    def lookup(expr: str) -> str:
        return lookups.sql(expr, known)

    types = ", ".join(f"'{t}'" for t in codes.PLOVER_TYPES)
    fields = {
        "raw_id": raw("Event ID"),
        "raw_date": raw("Event Date"),
        "day": f"CASE WHEN len({raw('Event Date')}) = 10 THEN "
               f"CAST(TRY_STRPTIME({raw('Event Date')}, '%Y-%m-%d') AS DATE) END",
        "published": f"CAST(TRY_STRPTIME(left({raw('Publication Date')}, 10), '%Y-%m-%d') "
                     "AS DATE)",
        "raw_type": raw("Event Type"),
        "etype": f"upper({raw('Event Type')})",
        "mode": f"lower({raw('Event Mode')})",
        "contexts": raw("Contexts"),
        "raw_intensity": raw("Event Intensity"),
        "intensity": f"TRY_CAST({raw('Event Intensity')} AS DOUBLE)",
        "quad_code": f"TRY_CAST({raw('Quad Code')} AS INTEGER)",
        "actors": countries("Actor Country"),
        "targets": countries("Recipient Country"),
        "raw_actors": raw("Actor Country"),
        "raw_targets": raw("Recipient Country"),
        "a_name": raw("Actor Name"),
        "r_name": raw("Recipient Name"),
        "raw_lat": raw("Latitude"),
        "raw_lon": raw("Longitude"),
        "lat": f"TRY_CAST({raw('Latitude')} AS DOUBLE)",
        "lon": f"TRY_CAST({raw('Longitude')} AS DOUBLE)",
        "place": raw("Placename"),
    }
    last = coded.today().isoformat()
    unknown = "unknown actor code: not ISO 3166-1 alpha-3 nor declared (--declare-actor CODE)"
    rules = (
        coded.Rule("Event ID", "missing", "raw_id IS NULL", "raw_id"),
        coded.Rule("Event Date", "not a date YYYY-MM-DD", "day IS NULL", "raw_date"),
        coded.Rule("Event Date", f"outside the data's range ({FIRST_DAY}, when POLECAT begins, "
                   "to today, and not after the story's Publication Date)",
                   f"day < DATE '{FIRST_DAY}' OR day > DATE '{last}' OR day > published",
                   "raw_date"),
        coded.Rule("Event Type", f"not a PLOVER event type ({', '.join(codes.PLOVER_TYPES)})",
                   f"coalesce(etype NOT IN ({types}), true)", "raw_type"),
        coded.scale_rule("Event Intensity", "intensity"),
        *coded.location_rules("Latitude", "Longitude"),
        coded.Rule("Actor Country", unknown,
                   f"len(list_filter(actors, lambda x: {lookup('x')} IS NULL)) > 0",
                   "raw_actors"),
        coded.Rule("Recipient Country", unknown,
                   f"len(list_filter(targets, lambda x: {lookup('x')} IS NULL)) > 0",
                   "raw_targets"),
    )
    kind = codes.plover_kind_sql("etype", "mode")
    quad = f"coalesce(CASE WHEN quad_code BETWEEN 1 AND 4 THEN quad_code END, " \
           f"{codes.plover_quad_sql('etype')})"
    base = (f"'plover', etype, 'goldstein', intensity, 'quad_class', {quad}, "
            "'x_mode', mode, 'x_contexts', contexts, "
            "'parties', CASE WHEN len(actors) > 1 THEN actors END")
    if geo:
        base += ", 'lat', lat, 'lon', lon, 'location', place"
    # json_merge_patch into {} drops the null members (no mode, one actor country).
    attrs = (f"CAST(json_merge_patch('{{}}', CASE WHEN {kind} = 'other' THEN json_object("
             f"{base}, 'code_system', 'PLOVER', 'code', etype) ELSE json_object({base}) END) "
             "AS VARCHAR)")
    select = {
        "date": "day", "actor": "actors[1]", "target": "targets[1]", "kind": kind,
        "attrs": attrs,
        "summary": "concat_ws(' ', a_name, etype || coalesce(' (' || mode || ')', ''), r_name)",
    }
    return coded.Layout(format=FORMAT, source=SOURCE, label="POLECAT", widths=(width,),
                        first_data_line=2, fields=fields, rules=rules,
                        skip=(("no actor country", "len(actors) = 0"),), key="raw_id",
                        select=select, trailing_tabs=True, params=lookups.params)


def read_with_summary(path: Path, con: duckdb.DuckDBPyConnection, *,
                      rejects: str | Path | bool | None = None, encoding: str = "utf-8",
                      allow_unterminated: bool = False, geo: bool = False,
                      **_: Any) -> tuple[Batch, coded.Summary]:
    def make_layout(plain: Path) -> coded.Layout:
        index, width = coded.header_index(plain, str(path), _WANTED, _REQUIRED, "POLECAT")
        return layout(index, width, con, geo=geo)

    return coded.read_guarded(path, con, make_layout, encoding=encoding, rejects=rejects,
                              allow_unterminated=allow_unterminated)


def read(path: Path, con: duckdb.DuckDBPyConnection, **options: Any) -> Batch:
    """A ``Batch`` of the good rows of a POLECAT file; see the module docstring."""
    return read_with_summary(path, con, **options)[0]
