"""The per-missile JSON of nagix/nk-missile-tests: ``test.en.json`` with its lookup tables
``missile.en.json`` (slug -> name, type) and ``facility.en.json`` (slug -> name, lat, lon).

``test.en.json`` is ``{"timeBins": [{"year": Y, "data": [record, ...]}]}``, one record per
missile. Through 2023-04-12 it reproduces the CNS export row for row, and it extends the record
to 2026. What this adapter normalises:

* ``date`` ``YYYY-MM-DD``, or ``YYYY-MM`` (8 CNS approximations): the first of the month with
  ``attrs.date_precision = "month"``.
* ``missile`` and ``facility`` slugs resolve through the lookup tables (found next to the file
  unless ``missiles=``/``facilities=`` point elsewhere); an unknown slug is an error naming the
  record. The missile's ``type`` gives ``class``.
* ``apogee``/``distance`` (numbers or strings, km) become ``apogee_km``/``distance_km`` when
  numeric, with the source's text kept; ``time`` "HH:MM (UTC)" becomes ``time_utc``.
* Dates are UTC days: ``records.UTC_DAY_ERRATA`` corrects the records dated by the Korean day
  although their UTC launch time falls on the day before (reported in the batch notes).
* Identity: ``source_ref`` is ``<date as written>#<n>`` and ``match_key``
  ``missile_test|PRK|<UTC day>|<n>``, ``n`` counting the day's records in file order: the same
  keys the CNS adapter gives the same launches, so the two sources merge into one event each.

Records are located by number (``row``) and by the line of their ``"date"`` key.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError
from detente.events.ingest import Batch
from detente.events.ingest.records import (
    Issues,
    frame,
    head_text,
    km_text,
    missile_key,
    parse_km,
    read_text,
    utc_day,
)
from detente.events.kinds import MISSILE_CLASSES

FORMAT = "missile-json"
TITLE = "North Korea missile tests, per-missile JSON (nk-missile-tests, from the CNS database)"
DESCRIPTION = ("test.en.json of nagix/nk-missile-tests with missile.en.json and "
               "facility.en.json beside it (one record per missile; 1984-2026)")
SOURCE = "nk-missile-tests"
MISSILES_FILE = "missile.en.json"
FACILITIES_FILE = "facility.en.json"

_OUTCOMES = ("success", "failure", "unknown")
_LANDING = {"na": "N/A", "unknown": "Unknown"}


def detect(path: Path) -> bool:
    return path.suffix.lower() == ".json" and '"timeBins"' in head_text(path, 1024)


def _load_json(path: Path, what: str) -> Any:
    file = str(path)
    if not path.exists():
        raise IngestError.single(f"{what} not found (pass its path as an option)", file=file)
    text = read_text(path, "utf-8")
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise IngestError.single(
            f"not valid JSON: {exc.msg} at column {exc.colno}"
            + (" (the file ends early: truncated?)" if exc.pos >= len(text.rstrip()) else ""),
            file=file, line=exc.lineno) from None


def _lookup(path: Path, what: str, nested: str | None, fields: tuple[str, ...]
            ) -> dict[str, dict[str, Any]]:
    data, _ = _load_json(path, what)
    if nested is not None:
        data = data.get(nested) if isinstance(data, dict) else None
    if not isinstance(data, dict):
        raise IngestError.single(f"{what} must be an object of slug -> entry"
                                 + (f" under '{nested}'" if nested else ""), file=str(path))
    issues = Issues(str(path))
    for slug, entry in data.items():
        for name in fields:
            if not isinstance(entry, dict) or entry.get(name) in (None, ""):
                issues.add(f"entry {slug!r} lacks '{name}'", field=name, value=slug)
    issues.raise_if_any()
    return data


def _records(data: Any, file: str) -> list[dict[str, Any]]:
    bins = data.get("timeBins") if isinstance(data, dict) else None
    if not isinstance(bins, list):
        raise IngestError.single("expected an object with a 'timeBins' list", file=file,
                                 field="timeBins")
    out = []
    for i, b in enumerate(bins, start=1):
        if not isinstance(b, dict) or not isinstance(b.get("data"), list):
            raise IngestError.single(f"time bin {i} has no 'data' list", file=file,
                                     field="timeBins.data", row=i)
        out.extend(b["data"])
    return out


def _km(value: Any) -> float | None:
    return parse_km(value) if not isinstance(value, str) or value.strip()[:1].isdigit() else None


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *,
         missiles: str | Path | None = None, facilities: str | Path | None = None,
         source: str = SOURCE, **_: Any) -> Batch:
    """A ``Batch`` of missile tests, one per record; see the module docstring."""
    file = str(path)
    data, text = _load_json(path, "the test file")
    records = _records(data, file)
    missile_table = _lookup(Path(missiles) if missiles else path.parent / MISSILES_FILE,
                            "the missile lookup table (missile.en.json)", None, ("name", "type"))
    facility_table = _lookup(Path(facilities) if facilities else path.parent / FACILITIES_FILE,
                             "the facility lookup table (facility.en.json)", "facilities",
                             ("name",))
    # Each record has one "date" key on a line of its own in the pretty-printed file.
    date_lines = [text.count("\n", 0, m.start()) + 1
                  for m in re.finditer(r'^\s*"date"\s*:', text, re.M)]
    if len(date_lines) != len(records):
        date_lines = [None] * len(records)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    fixes: list[str] = []
    for index, (rec, line) in enumerate(zip(records, date_lines, strict=True), start=1):
        where = {"row": index, "line": line}
        if not isinstance(rec, dict):
            issues.add(f"record {index} is not an object", **where)
            continue
        label = f"record {index} ({rec.get('date', 'no date')})"
        raw_date = rec.get("date")
        day, precision = None, "day"
        if isinstance(raw_date, str) and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", raw_date.strip()):
            precision = "day" if len(raw_date.strip()) == 10 else "month"
            try:
                day = dt.date.fromisoformat(raw_date.strip() + ("" if precision == "day"
                                                                else "-01"))
            except ValueError:
                issues.add(f"{label}: impossible date", field="date", value=raw_date, **where)
        else:
            issues.add(f"{label}: date must be YYYY-MM-DD or YYYY-MM", field="date",
                       value=raw_date, **where)
        slug = rec.get("missile")
        missile = missile_table.get(slug) if isinstance(slug, str) else None
        if missile is None:
            issues.add(f"{label}: unknown missile slug (not in {MISSILES_FILE})",
                       field="missile", value=slug, **where)
        klass = None
        if missile is not None:
            klass = next((c for c in MISSILE_CLASSES
                          if c.lower() == str(missile["type"]).lower()), None)
            if klass is None:
                issues.add(f"{label}: missile {slug!r} has type {missile['type']!r}, not one of "
                           f"{', '.join(MISSILE_CLASSES)}", field="missile", value=slug, **where)
        fslug = rec.get("facility")
        facility = facility_table.get(fslug) if isinstance(fslug, str) else None
        if facility is None:
            issues.add(f"{label}: unknown facility slug (not in {FACILITIES_FILE})",
                       field="facility", value=fslug, **where)
        outcome = rec.get("outcome", "unknown")
        if outcome not in _OUTCOMES:
            issues.add(f"{label}: outcome must be one of {', '.join(_OUTCOMES)}",
                       field="outcome", value=outcome, **where)
        time_text = str(rec.get("time", "unknown")).strip()
        time_match = re.fullmatch(r"(\d{2}):(\d{2})(?: \(UTC\))?", time_text)
        if not time_match and time_text.lower() != "unknown":
            issues.add(f"{label}: time must be 'HH:MM (UTC)' or 'unknown'", field="time",
                       value=time_text, **where)
        series = rec.get("series")
        if series is not None and (not isinstance(series, int) or isinstance(series, bool)):
            issues.add(f"{label}: series must be an integer", field="series", value=series,
                       **where)
            series = None
        if day is None or missile is None or facility is None:
            continue
        landing = rec.get("landing")
        attrs = {
            "class": klass,
            "missile": missile["name"],
            "outcome": outcome if outcome in _OUTCOMES else None,
            "time_utc": f"{time_match[1]}:{time_match[2]}" if time_match else None,
            "series": series,
            "apogee_km": _km(rec.get("apogee")),
            "apogee_text": km_text(rec.get("apogee")),
            "distance_km": _km(rec.get("distance")),
            "distance_text": km_text(rec.get("distance")),
            "facility": facility["name"],
            "lat": _float(facility.get("lat")),
            "lon": _float(facility.get("lon")),
            "landing": _landing(landing),
        }
        if precision == "month":
            attrs["date_precision"] = "month"
        day_text = str(raw_date).strip()  # a str: day was read from it
        if precision == "day":
            day, why = utc_day(day, attrs["time_utc"])
            if why:
                fixes.append(f"record {index} ({day_text}): read as {day.isoformat()}: {why}")
        rows.append({
            "_loc": index, "date": day, "actor": "PRK", "kind": "missile_test", "attrs": attrs,
            "source": source, "confidence": "high" if precision == "day" else "medium",
            "summary": " ".join(str(rec.get("description") or "").split()) or None,
            "_ref_day": day_text,
            "_day": day.isoformat() if precision == "day" else day_text,
        })
    issues.raise_if_any()
    # source_ref counts records of the day as written (stable ids); match_key counts those of
    # the UTC day, as the CNS adapter does, so that both sources pair.
    by_ref_day: dict[str, int] = defaultdict(int)
    by_day: dict[str, int] = defaultdict(int)
    for row in rows:
        by_ref_day[row["_ref_day"]] += 1
        by_day[row["_day"]] += 1
        row["source_ref"] = f"{row['_ref_day']}#{by_ref_day[row['_ref_day']]}"
        row["match_key"] = missile_key(row["_day"], by_day[row["_day"]])
    months = sum(1 for row in rows if row["attrs"].get("date_precision") == "month")
    notes = (f"{len(rows)} records, one missile each; {months} month-only dates read as the first "
             "of the month (date_precision=month)",
             "bearing and glide-path details are not kept (no event attribute for them)",
             *fixes)
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="row", notes=notes)


def _landing(slug: Any) -> str | None:
    if not isinstance(slug, str) or not slug.strip():
        return None
    return _LANDING.get(slug) or " ".join(w if w in ("of", "and") else w.capitalize()
                                          for w in slug.split("-"))


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
