"""GDELT event exports, 1.0 and 2.0: tab-separated, no header, CAMEO-coded.

Column lists per the published codebooks (GDELT-Data_Format_Codebook.pdf for 1.0,
GDELT-Event_Codebook-V2.0.pdf for 2.0):

* **1.0**, 57 columns (the 1979-2013 back files) or 58 (daily files from 2013-04-01, which add
  ``SOURCEURL``); each geography block has 7 fields.
* **2.0**, 61 columns (15-minute ``*.export.CSV`` files from 2015-02-18): each geography block
  gains ``ADM2Code`` and ``DATEADDED`` becomes ``YYYYMMDDHHMMSS``.

The version is read from the field count of the file's first lines (or ``version=``); rows with
another count are rejected. Each row becomes one event: ``actor`` from ``Actor1CountryCode``
(CAMEO country codes, mapped to ISO 3166-1 alpha-3, see ``detente.events.codes``), or an
organisation from ``Actor1KnownGroupCode`` when no country is coded; ``target`` likewise from
Actor2; ``kind`` from ``EventCode`` by the CAMEO mapping table; attributes ``cameo``,
``goldstein``, ``quad_class``, ``mentions`` and ``url`` (2.0 and daily 1.0; null in the back
files), and with ``geo=True`` the action location (``lat``, ``lon``, ``location``). Rows whose
Actor1 is neither a state nor a known organisation are skipped (counted).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError
from detente.events import codes
from detente.events.ingest import Batch, coded

FORMAT = "gdelt"
DESCRIPTION = ("GDELT 1.0 or 2.0 event export (*.export.CSV, tab-separated, no header; "
               ".zip/.gz too); bad rows go to NAME.rejects.jsonl")
SOURCE = "gdelt"
FIRST_DAY = "1979-01-01"  # GDELT's record starts in 1979

_ACTOR = ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
          "Religion2Code", "Type1Code", "Type2Code", "Type3Code")
_EVENT = ("IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
          "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")


def _geo(prefix: str, adm2: bool) -> list[str]:
    fields = ["Type", "FullName", "CountryCode", "ADM1Code"] + (["ADM2Code"] if adm2 else []) \
        + ["Lat", "Long", "FeatureID"]
    return [f"{prefix}_{f}" for f in fields]


def _columns(adm2: bool) -> tuple[str, ...]:
    return ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
            *(f"Actor1{a}" for a in _ACTOR), *(f"Actor2{a}" for a in _ACTOR), *_EVENT,
            *_geo("Actor1Geo", adm2), *_geo("Actor2Geo", adm2), *_geo("ActionGeo", adm2),
            "DATEADDED")


V1_COLUMNS: tuple[str, ...] = _columns(adm2=False)              # 57 (back files)
V1_DAILY_COLUMNS: tuple[str, ...] = (*V1_COLUMNS, "SOURCEURL")  # 58 (daily since 2013-04-01)
V2_COLUMNS: tuple[str, ...] = (*_columns(adm2=True), "SOURCEURL")  # 61
VERSIONS: dict[str, tuple[str, ...]] = {"1": V1_DAILY_COLUMNS, "2": V2_COLUMNS}
assert (len(V1_COLUMNS), len(V1_DAILY_COLUMNS), len(V2_COLUMNS)) == (57, 58, 61)

# Daily (YYYYMMDD) and 15-minute (YYYYMMDDHHMMSS) exports.
_EXPORT_RE = re.compile(r"^(\d{8}|\d{14})\.export\.csv(\.zip|\.gz)?$", re.IGNORECASE)


def _widths_of(head: bytes) -> list[int]:
    lines = [ln for ln in head.split(b"\n")[:-1] if ln.strip()][:50]
    return [ln.count(b"\t") + 1 for ln in lines]


def detect(path: Path) -> bool:
    """An ``*.export.CSV`` name, or lines of 57, 58 or 61 tab-separated fields starting with
    an integer id and a YYYYMMDD date (so a back file ``2006.csv`` is told from your CSV)."""
    if coded.is_side_file(path):
        return False
    if _EXPORT_RE.match(path.name):
        return True
    widths = _widths_of(coded.open_text_head(path))
    if not widths or max(set(widths), key=widths.count) not in (57, 58, 61):
        return False
    first = coded.first_line(path).split("\t")
    return first[0].isdigit() and len(first) > 1 and bool(re.fullmatch(r"\d{8}", first[1]))


def version_of(plain: Path, file: str) -> str:
    """``"1"`` or ``"2"`` from the commonest field count of the first lines."""
    with open(plain, "rb") as handle:
        widths = _widths_of(handle.read(1 << 16))
    common = max(set(widths), key=widths.count) if widths else None
    if common in (57, 58):
        return "1"
    if common == 61:
        return "2"
    raise IngestError.single(
        f"not a GDELT event export: its lines have {common} tab-separated fields; GDELT 1.0 "
        "has 57 or 58, GDELT 2.0 has 61 (pass version='1' or '2' to force one)", file=file)


def layout(version: str, con: duckdb.DuckDBPyConnection, *, geo: bool = False) -> coded.Layout:
    """The GDELT ``version`` layout for the store behind ``con`` (its declared actors count);
    ``geo`` adds the action location (``lat``, ``lon``, ``location``) to the attributes."""
    known_actors = coded.known_actor_codes(con)
    columns = VERSIONS[version]
    idx = {name: i + 1 for i, name in enumerate(columns)}
    widths = (57, 58) if version == "1" else (61,)

    def raw(name: str) -> str:
        return f"f[{idx[name]}]"

    resolve = {code: code for code in known_actors}
    resolve.update({k: v for k, v in codes.CAMEO_COUNTRY_ALIASES.items()
                    if v in known_actors and k not in known_actors})
    orgs = {k: v for k, v in codes.CAMEO_ORGANISATIONS.items() if v in known_actors}

    lookups = coded.Lookups(con)

    def actor_sql(n: int) -> str:
        code = f"nullif({raw(f'Actor{n}CountryCode')}, '')"
        group = f"nullif({raw(f'Actor{n}KnownGroupCode')}, '')"
        return (f"CASE WHEN {code} IS NOT NULL THEN {lookups.sql(code, resolve)} "
                f"ELSE {lookups.sql(group, orgs)} END")

    added = raw("DATEADDED")
    added_format = "%Y%m%d%H%M%S" if version == "2" else "%Y%m%d"
    added_width, added_text = (14, "YYYYMMDDHHMMSS") if version == "2" else (8, "YYYYMMDD")
    fields = {
        "id": f"TRY_CAST({raw('GLOBALEVENTID')} AS BIGINT)",
        "raw_id": raw("GLOBALEVENTID"),
        "raw_date": raw("SQLDATE"),
        "day": f"CASE WHEN len({raw('SQLDATE')}) = 8 THEN "
               f"CAST(TRY_STRPTIME({raw('SQLDATE')}, '%Y%m%d') AS DATE) END",
        "raw_added": added,
        "added": f"CASE WHEN len({added}) = {added_width} THEN "
                 f"CAST(TRY_STRPTIME({added}, '{added_format}') AS DATE) END",
        "code": raw("EventCode"),
        "quad": f"TRY_CAST({raw('QuadClass')} AS INTEGER)",
        "raw_quad": raw("QuadClass"),
        "goldstein": f"TRY_CAST({raw('GoldsteinScale')} AS DOUBLE)",
        "raw_goldstein": raw("GoldsteinScale"),
        "mentions": f"TRY_CAST({raw('NumMentions')} AS INTEGER)",
        "raw_mentions": raw("NumMentions"),
        "a1_code": f"nullif({raw('Actor1CountryCode')}, '')",
        "a2_code": f"nullif({raw('Actor2CountryCode')}, '')",
        "a1_group": f"nullif({raw('Actor1KnownGroupCode')}, '')",
        "a2_group": f"nullif({raw('Actor2KnownGroupCode')}, '')",
        "actor": actor_sql(1),
        "target": actor_sql(2),
        "a1_name": raw("Actor1Name"),
        "a2_name": raw("Actor2Name"),
        "raw_lat": f"nullif({raw('ActionGeo_Lat')}, '')",
        "raw_lon": f"nullif({raw('ActionGeo_Long')}, '')",
        "lat": f"TRY_CAST(nullif({raw('ActionGeo_Lat')}, '') AS DOUBLE)",
        "lon": f"TRY_CAST(nullif({raw('ActionGeo_Long')}, '') AS DOUBLE)",
        "place": f"nullif({raw('ActionGeo_FullName')}, '')",
        "url": f"nullif({raw('SOURCEURL')}, '')" if "SOURCEURL" in idx else "NULL",
    }
    last = coded.today().isoformat()
    non_states = ", ".join(sorted(codes.CAMEO_NON_STATES))
    unknown = ("unknown actor code: not ISO 3166-1 alpha-3 nor declared (CAMEO regions and "
               f"non-states such as {non_states} need --declare-actor CODE)")
    rules = (
        coded.Rule("GLOBALEVENTID", "not an integer", "id IS NULL", "raw_id"),
        coded.Rule("SQLDATE", "not a date YYYYMMDD", "day IS NULL", "raw_date"),
        coded.Rule("DATEADDED", f"not a date {added_text}",
                   "added IS NULL", "raw_added"),
        coded.Rule("SQLDATE", f"outside the data's range: before {FIRST_DAY} (GDELT's first "
                   "day) or after the day the row was added (DATEADDED)",
                   f"day < DATE '{FIRST_DAY}' OR day > added", "raw_date"),
        coded.Rule("DATEADDED", "outside the data's range: in the future",
                   f"added > DATE '{last}'", "raw_added"),
        coded.cameo_code_rule("EventCode"),
        coded.Rule("QuadClass", "not a quad class 1-4", "coalesce(quad NOT BETWEEN 1 AND 4, "
                   "true)", "raw_quad"),
        coded.scale_rule("GoldsteinScale", "goldstein"),
        coded.Rule("NumMentions", "not a non-negative integer", "coalesce(mentions < 0, true)",
                   "raw_mentions"),
        *coded.location_rules("ActionGeo_Lat", "ActionGeo_Long"),
        coded.Rule("Actor1CountryCode", unknown, "a1_code IS NOT NULL AND actor IS NULL",
                   "a1_code"),
        coded.Rule("Actor2CountryCode", unknown, "a2_code IS NOT NULL AND target IS NULL",
                   "a2_code"),
    )
    skip = (("no state or known organisation as Actor1", "actor IS NULL"),)
    kind = codes.cameo_kind_sql("code")
    base_attrs = ("'cameo', code, 'goldstein', goldstein, 'quad_class', quad, "
                  "'mentions', mentions, 'url', url")
    if geo:
        base_attrs += ", 'lat', lat, 'lon', lon, 'location', place"
    attrs = (f"CAST(CASE WHEN {kind} = 'other' THEN json_object({base_attrs}, "
             f"'code_system', 'CAMEO', 'code', code) ELSE json_object({base_attrs}) END "
             "AS VARCHAR)")
    select = {
        "date": "day", "actor": "actor", "target": "target", "kind": kind, "attrs": attrs,
        "summary": "concat_ws(' ', nullif(a1_name, ''), '[CAMEO ' || code || ']', "
                   "nullif(a2_name, ''))",
    }
    return coded.Layout(format=FORMAT, source=SOURCE, label=f"GDELT {version}.0",
                        widths=widths, first_data_line=1, fields=fields, rules=rules, skip=skip,
                        key="raw_id", select=select, params=lookups.params)


def read_with_summary(path: Path, con: duckdb.DuckDBPyConnection, *, version: str | None = None,
                      rejects: str | Path | bool | None = None, encoding: str = "utf-8",
                      allow_unterminated: bool = False, geo: bool = False,
                      **_: Any) -> tuple[Batch, coded.Summary]:
    def make_layout(plain: Path) -> coded.Layout:
        found = version or version_of(plain, str(path))
        if found not in VERSIONS:
            raise IngestError.single("unknown GDELT version; expected 1 or 2", file=str(path),
                                     field="version", value=found)
        return layout(found, con, geo=geo)

    return coded.read_guarded(path, con, make_layout, encoding=encoding, rejects=rejects,
                              allow_unterminated=allow_unterminated)


def read(path: Path, con: duckdb.DuckDBPyConnection, **options: Any) -> Batch:
    """A ``Batch`` of the good rows of a GDELT export; see the module docstring."""
    return read_with_summary(path, con, **options)[0]
