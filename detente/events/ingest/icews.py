"""ICEWS coded event data (Harvard Dataverse ``events.YYYY.*.tab``): tab-separated with a header.

Columns per the ICEWS data description: ``Event ID, Event Date, Source Name, Source Sectors,
Source Country, Event Text, CAMEO Code, Intensity, Target Name, Target Sectors, Target
Country, Story ID, Sentence Number, Publisher, City, District, Province, Country, Latitude,
Longitude``. Columns are found by their header names, so order and extra columns do not matter.

ICEWS names countries instead of coding them: ``Source Country``/``Target Country`` go through
a name table (every ISO 3166 name, official and common name, plus the names ICEWS uses such as
"Occupied Palestinian Territory"); ``names=`` adds your own (e.g. ``{"Kosovo": "KOS"}`` with
``KOS`` declared). ``Intensity`` is ICEWS's CAMEO-based score on the Goldstein scale and becomes
``goldstein``; the quad class follows from the CAMEO root. Rows with no source country (ICEWS
codes many sub-state actors without one) are skipped and counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pycountry

from detente.events import codes
from detente.events.ingest import Batch, coded

FORMAT = "icews"
DESCRIPTION = ("ICEWS coded event data (.tab, tab-separated with a header; .zip/.gz too); bad "
               "rows go to NAME.rejects.jsonl")
SOURCE = "icews"
FIRST_DAY = "1995-01-01"  # ICEWS coverage starts in 1995

COLUMNS: tuple[str, ...] = (
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country", "Event Text",
    "CAMEO Code", "Intensity", "Target Name", "Target Sectors", "Target Country", "Story ID",
    "Sentence Number", "Publisher", "City", "District", "Province", "Country", "Latitude",
    "Longitude")
_WANTED = {c: (c,) for c in COLUMNS}
_REQUIRED = ("Event ID", "Event Date", "Source Country", "CAMEO Code", "Intensity",
             "Target Country")

# Names ICEWS writes that are not among pycountry's names for the state.
ICEWS_NAMES: dict[str, str] = {
    "Occupied Palestinian Territory": "PSE", "Palestine": "PSE", "Russia": "RUS",
    "Macedonia": "MKD", "Czech Republic": "CZE", "Democratic Republic of Congo": "COD",
    "Congo, Democratic Republic of the": "COD", "Congo, Democratic Republic": "COD",
    "Congo, Republic of": "COG", "Republic of Congo": "COG", "Ivory Coast": "CIV",
    "Cote d'Ivoire": "CIV", "Brunei": "BRN", "Cape Verde": "CPV", "Swaziland": "SWZ",
    "Burma": "MMR", "East Timor": "TLS", "Vatican City": "VAT", "Holy See": "VAT",
    "Micronesia": "FSM", "Turkey": "TUR", "Bahamas": "BHS", "Gambia": "GMB",
    "Hong Kong": "HKG", "Macau": "MAC", "Macao": "MAC", "North Korea": "PRK",
    "South Korea": "KOR", "Korea, North": "PRK", "Korea, South": "KOR", "Iran": "IRN",
    "Syria": "SYR", "Laos": "LAO", "Vietnam": "VNM", "Taiwan": "TWN", "Tanzania": "TZA",
    "Moldova": "MDA", "Bolivia": "BOL", "Venezuela": "VEN", "United States": "USA",
    "United States of America": "USA", "United Kingdom": "GBR", "Great Britain": "GBR",
    "Netherlands": "NLD", "Saint Kitts and Nevis": "KNA", "Saint Lucia": "LCA",
    "Saint Vincent and the Grenadines": "VCT", "Sao Tome and Principe": "STP",
    "Reunion": "REU", "Curacao": "CUW",
}


# Source/Target Names of the organisations detente knows (ICEWS codes them with no country).
ORGANISATION_NAMES: dict[str, str] = {
    "United Nations": "UN", "UN Security Council": "UN", "United Nations Security Council": "UN",
    "UN General Assembly": "UN", "European Union": "EU", "European Commission": "EU",
    "International Atomic Energy Agency": "IAEA", "IAEA": "IAEA",
}


def country_names() -> dict[str, str]:
    """Lower-case country name -> ISO 3166-1 alpha-3, for ICEWS's country columns."""
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names[value.lower()] = c.alpha_3
    names.update({k.lower(): v for k, v in ICEWS_NAMES.items()})
    return names


def detect(path: Path) -> bool:
    if coded.is_side_file(path):
        return False
    header = [h.strip().strip('"').lower() for h in coded.first_line(path).lstrip(
        "\ufeff").split("\t")]
    return {"event id", "event date", "source country", "cameo code", "intensity"} <= set(header)


def layout(index: dict[str, int], width: int, con: duckdb.DuckDBPyConnection,
           names: dict[str, str] | None = None, *, geo: bool = False) -> coded.Layout:
    """The layout for a file whose header gives ``index`` (column -> position) and ``width``."""
    known = coded.known_actor_codes(con)
    table = {k: v for k, v in country_names().items() if v in known}
    table.update({k.lower(): v for k, v in (names or {}).items()})
    orgs = {k: v for k, v in ORGANISATION_NAMES.items() if v in known}

    def raw(column: str) -> str:
        return coded.unquote_sql(f"f[{index[column]}]") if column in index else "NULL"

    def country(column: str) -> str:
        return f"nullif({raw(column)}, '')"

    lookups = coded.Lookups(con)

    def party(side: str) -> str:
        """The side's country by name, or a known organisation by name when it has none."""
        name = country(f"{side} Country")
        by_country = lookups.sql(f"lower({name})", table)
        by_name = lookups.sql(raw(f"{side} Name"), orgs)
        return f"CASE WHEN {name} IS NOT NULL THEN {by_country} ELSE {by_name} END"

    fields = {
        "raw_id": raw("Event ID"),
        "raw_date": raw("Event Date"),
        "day": f"CASE WHEN len({raw('Event Date')}) = 10 THEN "
               f"CAST(TRY_STRPTIME({raw('Event Date')}, '%Y-%m-%d') AS DATE) END",
        "code": raw("CAMEO Code"),
        "raw_intensity": raw("Intensity"),
        "intensity": f"TRY_CAST({raw('Intensity')} AS DOUBLE)",
        "src_country": country("Source Country"),
        "tgt_country": country("Target Country"),
        "actor": party("Source"),
        "target": party("Target"),
        "src_name": raw("Source Name"),
        "tgt_name": raw("Target Name"),
        "text": raw("Event Text"),
        "raw_lat": f"nullif({raw('Latitude')}, '')",
        "raw_lon": f"nullif({raw('Longitude')}, '')",
        "lat": f"TRY_CAST(nullif({raw('Latitude')}, '') AS DOUBLE)",
        "lon": f"TRY_CAST(nullif({raw('Longitude')}, '') AS DOUBLE)",
        "city": f"nullif({raw('City')}, '')",
    }
    last = coded.today().isoformat()
    unknown = ("unknown country name: not an ISO 3166 name nor a known ICEWS name (map it with "
               "names={'Name': 'CODE'} and declare CODE)")
    rules = (
        coded.Rule("Event ID", "missing", "coalesce(raw_id, '') = ''", "raw_id"),
        coded.Rule("Event Date", "not a date YYYY-MM-DD", "day IS NULL", "raw_date"),
        coded.Rule("Event Date", f"outside the data's range ({FIRST_DAY}, when ICEWS begins, "
                   "to today)", f"day < DATE '{FIRST_DAY}' OR day > DATE '{last}'", "raw_date"),
        coded.cameo_code_rule("CAMEO Code"),
        coded.scale_rule("Intensity", "intensity"),
        *coded.location_rules("Latitude", "Longitude"),
        coded.Rule("Source Country", unknown, "src_country IS NOT NULL AND actor IS NULL",
                   "src_country"),
        coded.Rule("Target Country", unknown, "tgt_country IS NOT NULL AND target IS NULL",
                   "tgt_country"),
    )
    kind = codes.cameo_kind_sql("code")
    base = (f"'cameo', code, 'goldstein', intensity, 'quad_class', "
            f"{codes.cameo_quad_sql('code')}")
    if geo:
        base += ", 'lat', lat, 'lon', lon, 'location', city"
    attrs = (f"CAST(CASE WHEN {kind} = 'other' THEN json_object({base}, 'code_system', 'CAMEO', "
             f"'code', code) ELSE json_object({base}) END AS VARCHAR)")
    select = {
        "date": "day", "actor": "actor", "target": "target", "kind": kind, "attrs": attrs,
        "summary": "concat_ws(' ', nullif(src_name, ''), nullif(lower(text), ''), "
                   "nullif(tgt_name, ''))",
    }
    return coded.Layout(format=FORMAT, source=SOURCE, label="ICEWS", widths=(width,),
                        first_data_line=2, fields=fields, rules=rules,
                        skip=(("no source country or known organisation",
                               "src_country IS NULL AND actor IS NULL"),), key="raw_id",
                        select=select, params=lookups.params)


def read_with_summary(path: Path, con: duckdb.DuckDBPyConnection, *,
                      rejects: str | Path | bool | None = None, encoding: str = "utf-8",
                      names: dict[str, str] | None = None, allow_unterminated: bool = False,
                      geo: bool = False, **_: Any) -> tuple[Batch, coded.Summary]:
    def make_layout(plain: Path) -> coded.Layout:
        index, width = coded.header_index(plain, str(path), _WANTED, _REQUIRED, "ICEWS")
        return layout(index, width, con, names, geo=geo)

    return coded.read_guarded(path, con, make_layout, encoding=encoding, rejects=rejects,
                              allow_unterminated=allow_unterminated)


def read(path: Path, con: duckdb.DuckDBPyConnection, **options: Any) -> Batch:
    """A ``Batch`` of the good rows of an ICEWS file; see the module docstring."""
    return read_with_summary(path, con, **options)[0]

