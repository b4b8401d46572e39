"""GDELT events, 1.0 and 2.0, as users hold them: raw exports, headered CSV, Parquet, frames.

Column lists per the published codebooks (GDELT-Data_Format_Codebook.pdf for 1.0,
GDELT-Event_Codebook-V2.0.pdf for 2.0):

* **1.0**, 57 columns (the 1979-2013 back files) or 58 (daily files from 2013-04-01, which add
  ``SOURCEURL``); each geography block has 7 fields.
* **2.0**, 61 columns (15-minute ``*.export.CSV`` files from 2015-02-18): each geography block
  gains ``ADM2Code`` and ``DATEADDED`` becomes ``YYYYMMDDHHMMSS``.

One layout over the codebook's column names reads every shape (``tabular``):

* a **raw export** (tab-separated, no header): the version from the field count of the first
  lines (or ``version=``), the columns by position;
* a **headered CSV or TSV file** (a BigQuery export, gdeltPyR output saved with ``to_csv``) and
  a **Parquet file**: columns by name (any case, any order, extra columns ignored; only
  ``GLOBALEVENTID``, ``SQLDATE``, ``EventCode`` and ``Actor1CountryCode`` are required);
* a **pandas or Arrow frame** of those columns, from Python (``read_frame``,
  ``Store.ingest_frame(frame, format="gdelt")``).

Each row becomes one event: ``actor`` from ``Actor1CountryCode`` (CAMEO country codes, mapped
to ISO 3166-1 alpha-3, see ``detente.events.codes``), or an organisation from
``Actor1KnownGroupCode`` when no country is coded; ``target`` likewise from Actor2; ``kind``
from ``EventCode`` by the CAMEO mapping table; attributes ``cameo``, ``goldstein``,
``quad_class``, ``mentions`` and ``url`` (absent in the back files), and with ``geo=True`` the
action location (``lat``, ``lon``, ``location``). Rows whose Actor1 is neither a state nor a
known organisation are skipped (counted).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError
from detente.events import codes
from detente.events.ingest import Batch, coded, ingest_batch, stream, tabular
from detente.events.store import IngestResult, Progress, Store
from detente.sql import identifier

FORMAT = "gdelt"
DESCRIPTION = ("GDELT 1.0 or 2.0 events: raw exports (*.export.CSV, tab-separated, no header; "
               ".zip/.gz too), headered CSV (BigQuery, gdeltPyR) or Parquet; bad rows go to "
               "NAME.rejects.jsonl")
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
BY_WIDTH: dict[int, tuple[str, str, tuple[str, ...]]] = {
    57: ("1", "GDELT 1.0", V1_COLUMNS), 58: ("1", "GDELT 1.0", V1_DAILY_COLUMNS),
    61: ("2", "GDELT 2.0", V2_COLUMNS)}
assert (len(V1_COLUMNS), len(V1_DAILY_COLUMNS), len(V2_COLUMNS)) == (57, 58, 61)

# The columns the layout reads (the 17 fields detente uses; ActionGeo_FullName only with
# geo=True, for the location it adds), and those a file read by column
# name must have.
USED = ("GLOBALEVENTID", "SQLDATE", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode",
        "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "EventCode", "QuadClass",
        "GoldsteinScale", "NumMentions", "ActionGeo_FullName", "ActionGeo_Lat",
        "ActionGeo_Long", "DATEADDED", "SOURCEURL")
REQUIRED = ("GLOBALEVENTID", "SQLDATE", "EventCode", "Actor1CountryCode")
_CANONICAL = {c.lower(): c for c in (*V2_COLUMNS, *V1_COLUMNS)}

# Daily (YYYYMMDD) and 15-minute (YYYYMMDDHHMMSS) exports.
_EXPORT_RE = re.compile(r"^(\d{8}|\d{14})\.export\.csv(\.zip|\.gz)?$", re.IGNORECASE)
_PARQUET_SUFFIXES = (".parquet", ".pq")


# --- detection ----------------------------------------------------------------------------------

def _widths_of(head: bytes, whole: bool = False) -> list[int]:
    lines = head.split(b"\n")
    if not whole or not lines[-1].strip():
        lines = lines[:-1]  # a cut last line says nothing about the width
    return [ln.count(b"\t") + 1 for ln in lines if ln.strip()][:50]


def _signature(line: str) -> bool:
    """A raw GDELT row starts with an integer id, SQLDATE (YYYYMMDD), MonthYear and Year
    agreeing with it: enough to know a file cut after its first fields."""
    f = line.split("\t")
    return (len(f) >= 5 and f[0].isdigit() and bool(re.fullmatch(r"\d{8}", f[1]))
            and f[2] == f[1][:6] and f[3] == f[1][:4])


def header_names(line: str, *, loose: bool = False) -> tuple[list[str], str] | None:
    """The column names of a GDELT header line and its delimiter (tab or comma), or None: a
    header has the required columns, or (``loose``, for a file read as GDELT) three of the
    codebook's names, so that a header lacking some is told which."""
    line = line.lstrip("\ufeff")
    delimiter = "\t" if line.count("\t") >= line.count(",") else ","
    names = [n.strip().strip('"').strip() for n in line.split(delimiter)]
    found = {n.lower() for n in names}
    if {r.lower() for r in REQUIRED} <= found or (loose and len(found & set(_CANONICAL)) >= 3):
        return names, delimiter
    return None


def _parquet_names(path: Path) -> list[str] | None:
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"PAR1":
                return None
        return [r[0] for r in duckdb.execute(f"SELECT name FROM parquet_schema("
                                              f"{coded.file_sql(path)})").fetchall()]
    except (OSError, duckdb.Error):
        return None


def detect(path: Path) -> bool:
    """An ``*.export.CSV`` name; a header or Parquet schema with GDELT's columns; lines of 57,
    58 or 61 tab-separated fields starting with an integer id and a YYYYMMDD date (so a back
    file ``2006.csv`` is told from your CSV); or a single line that starts like a GDELT row
    (a file cut short, which the guards then refuse with GDELT's message)."""
    if coded.is_side_file(path):
        return False
    if _EXPORT_RE.match(path.name):
        return True
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        names = _parquet_names(path)
        return names is not None and {r.lower() for r in REQUIRED} <= {n.lower() for n in names}
    first = coded.first_line(path)
    if header_names(first) is not None:
        return True
    head = coded.open_text_head(path)
    widths = _widths_of(head, whole=len(head) < 1 << 16)
    if widths and max(set(widths), key=widths.count) in BY_WIDTH:
        f = first.split("\t")
        return f[0].isdigit() and len(f) > 1 and bool(re.fullmatch(r"\d{8}", f[1]))
    return len(widths) <= 1 and _signature(first)


def width_of(plain: Path, file: str) -> int:
    """The commonest field count of the first lines: 57, 58 (1.0) or 61 (2.0)."""
    with open(plain, "rb") as handle:
        head = handle.read(1 << 16)
    widths = _widths_of(head, whole=len(head) < 1 << 16)
    common = max(set(widths), key=widths.count) if widths else None
    if common in BY_WIDTH:
        return common
    raise IngestError.single(
        f"not a GDELT event export: its lines have {common} tab-separated fields; GDELT 1.0 "
        "has 57 or 58, GDELT 2.0 has 61 (force one with version='1' or '2', on the command "
        "line --gdelt-version 1 or 2)", file=file)


# --- the layout ---------------------------------------------------------------------------------

def layout(con: duckdb.DuckDBPyConnection, *, version: str | None = None, geo: bool = False,
           present: set[str] | None = None, label: str = "GDELT") -> coded.Layout:
    """The GDELT layout for the store behind ``con`` (its declared actors count), reading the
    columns ``present`` (default: all). ``version`` "1" or "2" fixes ``DATEADDED``'s width
    (8 or 14 digits; either when None); ``geo`` adds the action location to the attributes."""
    present = set(USED) if present is None else present & set(USED)
    known = coded.known_actor_codes(con)
    aliases = {k: v for k, v in codes.CAMEO_COUNTRY_ALIASES.items()
               if v in known and k not in known}
    orgs = {k: v for k, v in codes.CAMEO_ORGANISATIONS.items() if v in known}
    non_states = ", ".join(sorted(codes.CAMEO_NON_STATES))
    unknown = ("unknown actor code: not ISO 3166-1 alpha-3 nor declared (CAMEO regions and "
               f"non-states such as {non_states} need --declare-actor CODE)")
    cameo = "not a CAMEO event code (2-4 digits, root 01-20)"
    # Numbers are cast by the reader (a value that does not parse is a reader reject); codes
    # are text checked by the rules below (DuckDB numbers the rejects of ENUM casts wrongly
    # after a short line, so the code tables are lookups, not ENUM types).
    casts = {
        "GLOBALEVENTID": coded.Cast("BIGINT", "not an integer"),
        "QuadClass": coded.Cast("INTEGER", "not a quad class 1-4"),
        "GoldsteinScale": coded.Cast("DOUBLE", "not a number from -10 to 10"),
        "NumMentions": coded.Cast("INTEGER", "not a non-negative integer"),
        "ActionGeo_Lat": coded.Cast("DOUBLE", "not a latitude (-90..90)"),
        "ActionGeo_Long": coded.Cast("DOUBLE", "not a longitude (-180..180)"),
    }
    # The location's name only for the attributes (a column not read costs the reader nothing).
    inputs = {name: casts.get(name) for name in USED if geo or name != "ActionGeo_FullName"}
    lookups = coded.Lookups(con)

    resolve = {code: code for code in known} | aliases

    def actor_sql(n: int) -> str:
        code = identifier(f"Actor{n}CountryCode")
        group = identifier(f"Actor{n}KnownGroupCode")
        return (f"CASE WHEN {code} IS NOT NULL THEN {lookups.sql(code, resolve)} "
                f"ELSE {lookups.sql(group, orgs)} END")

    dateadded = identifier("DATEADDED")
    widths = {"1": (8,), "2": (14,)}.get(version or "", (8, 14))
    added = " ".join(f"WHEN len({dateadded}) = {w} THEN CAST(TRY_STRPTIME({dateadded}, "
                     f"'{'%Y%m%d%H%M%S' if w == 14 else '%Y%m%d'}') AS DATE)" for w in widths)
    added_text = " or ".join("YYYYMMDDHHMMSS" if w == 14 else "YYYYMMDD" for w in widths)
    sqldate = identifier("SQLDATE")
    fields = {
        "raw_id": f"CAST({identifier('GLOBALEVENTID')} AS VARCHAR)",
        "day": f"CASE WHEN len({sqldate}) = 8 THEN "
               f"CAST(TRY_STRPTIME({sqldate}, '%Y%m%d') AS DATE) END",
        "added": f"CASE {added} END",
        "code": identifier("EventCode"),
        "kind": codes.cameo_kind_sql(identifier("EventCode")),
        "quad": identifier("QuadClass"),
        "goldstein": identifier("GoldsteinScale"),
        "mentions": identifier("NumMentions"),
        "actor": actor_sql(1),
        "target": actor_sql(2),
        "a1_name": identifier("Actor1Name"),
        "a2_name": identifier("Actor2Name"),
        "lat": identifier("ActionGeo_Lat"),
        "lon": identifier("ActionGeo_Long"),
        "url": identifier("SOURCEURL"),
    }
    last = coded.today().isoformat()

    def given(name: str, test: str) -> str:
        """``test``, and for a column the input has, also a missing value."""
        return f"({identifier(name)} IS NULL OR {test})" if name in present else test

    rules = (
        coded.Rule("GLOBALEVENTID", "missing", f"{identifier('GLOBALEVENTID')} IS NULL", "raw_id"),
        coded.Rule("SQLDATE", "not a date YYYYMMDD", "day IS NULL", sqldate),
        coded.Rule("DATEADDED", f"not a date {added_text}",
                   f"{dateadded} IS NOT NULL AND added IS NULL" if "DATEADDED" not in present
                   else "added IS NULL", dateadded),
        coded.Rule("SQLDATE", f"outside the data's range: before {FIRST_DAY} (GDELT's first "
                   "day) or after the day the row was added (DATEADDED)",
                   f"day < DATE '{FIRST_DAY}' OR day > added", sqldate),
        coded.Rule("DATEADDED", "outside the data's range: in the future",
                   f"added > DATE '{last}'", dateadded),
        coded.Rule("EventCode", cameo, "NOT coalesce(regexp_full_match(code, "
                   "'(0[1-9]|1[0-9]|20)[0-9]{0,2}'), false)", "code"),
        coded.Rule("QuadClass", "not a quad class 1-4",
                   given("QuadClass", "quad NOT BETWEEN 1 AND 4"), "quad"),
        coded.Rule("GoldsteinScale", "not a number from -10 to 10",
                   given("GoldsteinScale", "abs(goldstein) > 10 OR isnan(goldstein)"),
                   "goldstein"),
        coded.Rule("NumMentions", "not a non-negative integer",
                   given("NumMentions", "mentions < 0"), "mentions"),
        coded.Rule("ActionGeo_Lat", "not a latitude (-90..90)", "abs(lat) > 90 OR isnan(lat)",
                   "lat"),
        coded.Rule("ActionGeo_Long", "not a longitude (-180..180)",
                   "abs(lon) > 180 OR isnan(lon)", "lon"),
        coded.Rule("Actor1CountryCode", unknown,
                   f"{identifier('Actor1CountryCode')} IS NOT NULL AND actor IS NULL",
                   identifier("Actor1CountryCode")),
        coded.Rule("Actor2CountryCode", unknown,
                   f"{identifier('Actor2CountryCode')} IS NOT NULL AND target IS NULL",
                   identifier("Actor2CountryCode")),
    )
    other = "kind = 'other'"
    attrs = ["'cameo': code", "'goldstein': goldstein", "'quad_class': quad",
             "'mentions': mentions", "'url': url"]
    if geo:
        fields["place"] = identifier("ActionGeo_FullName")
        attrs += ["'lat': lat", "'lon': lon", "'location': place"]
    attrs += [f"'code_system': CASE WHEN {other} THEN 'CAMEO' END",
              f"'code': CASE WHEN {other} THEN code END"]
    select = {
        "date": "day", "actor": "actor", "target": "target", "kind": "kind",
        # Typed attributes: the store checks their names and types from this struct's type and
        # writes them as JSON (a missing value is left out).
        "attrs": "{" + ", ".join(attrs) + "}",
        "summary": "concat_ws(' ', a1_name, '[CAMEO ' || code || ']', a2_name)",
    }
    return coded.Layout(format=FORMAT, source=SOURCE, label=label, widths=(),
                        first_data_line=1, fields=fields, rules=rules,
                        skip=(("no state or known organisation as Actor1", "actor IS NULL"),),
                        key="raw_id", select=select, params=lookups.params, inputs=inputs)


# --- reading ------------------------------------------------------------------------------------

def _named(names: list[str]) -> tuple[list[str], set[str]]:
    """A header's names as DuckDB columns (GDELT's own spelling where known; blank or repeated
    names numbered) and the GDELT columns among them."""
    out, seen = [], set()
    for i, name in enumerate(names):
        canonical = _CANONICAL.get(name.lower(), name) or f"column{i}"
        while canonical.lower() in seen:
            canonical = f"{canonical}_{i}"
        seen.add(canonical.lower())
        out.append(canonical)
    return out, set(out) & set(USED)


def _missing(found: set[str], file: str, names: list[str]) -> None:
    lacking = [c for c in REQUIRED if c not in found]
    if lacking:
        shown = ", ".join(names[:20]) + (f", ... ({len(names) - 20} more)" if len(names) > 20
                                         else "")
        raise IngestError.single(f"not a GDELT file: it lacks the columns {', '.join(lacking)} "
                                 f"(its columns: {shown or 'none'})", file=file)


def read_with_summary(path: Path, con: duckdb.DuckDBPyConnection, *, version: str | None = None,
                      rejects: str | Path | bool | None = None, encoding: str = "utf-8",
                      allow_unterminated: bool = False, geo: bool = False,
                      **_: Any) -> tuple[Batch, coded.Summary]:
    """Read a GDELT file of any shape (see the module docstring): the batch of good rows and
    the summary; bad rows go to ``rejects`` (default ``NAME.rejects.jsonl`` next to it)."""
    path, version = Path(path), _version(path, version)
    if _parquet_names(path) is not None:
        return _read_parquet(path, con, version=version, geo=geo, rejects=rejects)
    return _text(path, con, version, geo, encoding, allow_unterminated).read(path, con, rejects)


def ingest_with_summary(store: Store, path: Path, *, version: str | None = None,
                        rejects: str | Path | bool | None = None, encoding: str = "utf-8",
                        allow_unterminated: bool = False, geo: bool = False,
                        progress: Progress | None = None, **_: Any
                        ) -> tuple[IngestResult, coded.Summary]:
    """Ingest a GDELT file of any shape into ``store`` (one transaction): the store's result
    and the read's summary. A text file is ingested in one statement where it can be
    (``stream``), else read first (``read_with_summary``), with the same outcome."""
    path, version = Path(path), _version(path, version)
    if _parquet_names(path) is None:
        read = _text(path, store.con, version, geo, encoding, allow_unterminated)
        try:
            done = stream.ingest_text(path, store, read.layout, plain=read.plain,
                                      before=read.before, text=read.text, names=read.names,
                                      rejects=rejects, progress=progress)
        except BaseException:
            coded.discard(read.workdir)
            raise
        if done is not None:
            coded.discard(read.workdir)
            return done
        batch, summary = read.read(path, store.con, rejects)
    else:
        batch, summary = _read_parquet(path, store.con, version=version, geo=geo,
                                       rejects=rejects)
    return ingest_batch(store, batch, progress=progress), summary


def _version(path: Path, version: str | None) -> str | None:
    if version is not None and str(version) not in VERSIONS:
        raise IngestError.single("unknown GDELT version; expected 1 or 2", file=str(path),
                                 field="version", value=str(version))
    return str(version) if version is not None else None


@dataclasses.dataclass(frozen=True)
class _TextRead:
    """A text file made ready to read: its plain copy, state, layout and columns."""

    plain: Path
    workdir: Path | None
    before: coded.FileState
    layout: coded.Layout
    text: tabular.Text
    names: list[str]

    def read(self, path: Path, con: duckdb.DuckDBPyConnection,
             rejects: str | Path | bool | None) -> tuple[Batch, coded.Summary]:
        """The ordinary read of the file (``tabular.read_text``), which discards the copy."""
        return tabular.read_text(path, con, self.layout, plain=self.plain, workdir=self.workdir,
                                 before=self.before, text=self.text, names=self.names,
                                 rejects=rejects)


def _text(path: Path, con: duckdb.DuckDBPyConnection, version: str | None, geo: bool,
          encoding: str, allow_unterminated: bool) -> _TextRead:
    """Guard a text file (``coded.prepare``) and find its shape: a header's names, or the
    raw export's version from its field count."""
    plain, workdir, before = coded.prepare(path, allow_unterminated=allow_unterminated)
    try:
        with open(plain, encoding=encoding, errors="replace") as handle:
            header = header_names(handle.readline().rstrip("\r\n"), loose=True)
        if header is not None:
            names, present = _named(header[0])
            _missing(present, str(path), names)
            spec = layout(con, version=version, geo=geo, present=present)
            text = tabular.Text(header[1], '"' if header[1] == "," else "", True, encoding)
        else:
            width = _width(plain, str(path), version)
            width_label, columns = BY_WIDTH[width][1:]
            names = list(columns)
            spec = layout(con, version=BY_WIDTH[width][0], geo=geo,
                          present=set(columns), label=width_label)
            spec = dataclasses.replace(spec, widths=(width,))
            text = tabular.Text("\t", "", False, encoding)
    except BaseException:
        coded.discard(workdir)
        raise
    return _TextRead(plain, workdir, before, spec, text, names)


def _width(plain: Path, file: str, version: str | None) -> int:
    """The file's field count, or the forced version's when the file's is another version's
    (its lines are then rejected for their field count)."""
    if version is None:
        return width_of(plain, file)
    try:
        width = width_of(plain, file)
    except IngestError:
        return len(VERSIONS[version])
    return width if BY_WIDTH[width][0] == version else len(VERSIONS[version])


def _types(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                            f"{source})").fetchall())


def _read_parquet(path: Path, con: duckdb.DuckDBPyConnection, *, version: str | None, geo: bool,
                  rejects: str | Path | bool | None) -> tuple[Batch, coded.Summary]:
    file = str(path)
    types = _types(con, f"read_parquet({coded.file_sql(path)})")
    source = (f"(SELECT file_row_number + 1 AS _pos, * FROM read_parquet("
              f"{coded.file_sql(path)}, file_row_number = true))")
    return _read_columns(file, con, source, types, version=version, geo=geo, rejects=rejects,
                         default_dir=path.parent)


def _read_columns(label: str, con: duckdb.DuckDBPyConnection, source: str,
                  types: dict[str, str], *, version: str | None, geo: bool,
                  rejects: str | Path | bool | None, default_dir: Path | None
                  ) -> tuple[Batch, coded.Summary]:
    """Read a relation of GDELT columns (any case) with ``_pos``, the row number."""
    names = [n for n in types if n != "_pos"]
    renamed, present = _named(names)
    _missing(present, label, names)
    code_type = types[names[renamed.index("EventCode")]]
    if code_type != "VARCHAR":
        raise IngestError.single(
            f"EventCode is {code_type} here: CAMEO codes are text that keeps its leading zeros "
            "('010'); read or export the column as text", file=label, field="EventCode")
    spec = layout(con, version=version, geo=geo, present=present)
    rename = ", ".join(f"{identifier(old)} AS {identifier(new)}"
                       for old, new in zip(names, renamed, strict=True) if new in present)
    relation = f"(SELECT _pos, {rename} FROM {source})"
    typed = {new: types[old] for old, new in zip(names, renamed, strict=True) if new in present}
    return tabular.read_relation(label, con, spec, relation, typed, rejects=rejects,
                                 default_dir=default_dir)


def read_frame(frame: Any, con: duckdb.DuckDBPyConnection, *, label: str = "<frame>",
               version: str | None = None, geo: bool = False,
               rejects: str | Path | bool | None = None, **_: Any
               ) -> tuple[Batch, coded.Summary]:
    """Read a pandas DataFrame or an Arrow table of GDELT columns (gdeltPyR's output, a
    BigQuery result): the batch and the summary; rows are named by number (first is 1), and
    rejected rows go to ``rejects`` only when given."""
    import pyarrow as pa

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
        frame, preserve_index=False)
    table = table.append_column("_pos", pa.array(range(1, table.num_rows + 1), pa.int64()))
    name = f"_gdelt_frame_{uuid.uuid4().hex[:12]}"
    con.register(name, table)
    try:
        types = _types(con, name)
        done = _read_columns(label, con, name, types, version=version, geo=geo,
                             rejects=rejects, default_dir=None)
    finally:
        con.unregister(name)  # the check pass copied the rows
    return done


def read(path: Path, con: duckdb.DuckDBPyConnection, **options: Any) -> Batch:
    """A ``Batch`` of the good rows of a GDELT file; see the module docstring."""
    return read_with_summary(path, con, **options)[0]
