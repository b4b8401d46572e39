"""The CNS North Korea Missile Test Database export (CSV, one row per missile launched).

What this adapter normalises:

* **Encoding.** The export is cp1252 (0xA0 no-break spaces, 0xB0 degree signs); ``auto`` reads
  UTF-8 when the bytes are valid UTF-8 (a re-saved copy) and cp1252 otherwise.
* **Records.** CRLF between records, bare LF inside quoted fields; errors name the record's
  first line.
* **Dates.** ``9-Apr-84`` (day), ``Sep-84`` (month only: the first of the month with
  ``attrs.date_precision = "month"``), also ``4/19/2023`` and ISO forms. Two-digit years pivot
  at ``pivot`` (default 50: ``84`` is 1984, ``23`` is 2023).
* **Distances.** ``Apogee`` and ``Distance Travelled`` become ``apogee_km``/``distance_km``
  when a single figure is given ("1,380 km"); ranges and "Unknown" stay text only
  (``apogee_text``/``distance_text`` always keep the source's words).
* **Identity.** ``source_ref`` is the CNS row number ``F1``; ``match_key`` is
  ``missile_test|PRK|<day>|<n>``, ``n`` counting the day's missiles in ``F1`` order, which the
  per-missile JSON reproduces (see ``missile_json``), so each launch is one event.
* **Errata.** Dates are UTC days. A few rows date a launch by the Korean day although their own
  UTC launch time falls on the day before; ``records.UTC_DAY_ERRATA`` (shared with the JSON
  adapter, so both keep pairing) corrects them, only while a row still reads the same. One
  row's description names the wrong month (``SUMMARY_ERRATA``). Corrections are reported in the
  batch notes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from detente.events.ingest import Batch
from detente.events.ingest.records import (
    AUTO,
    Issues,
    citations,
    csv_records,
    csv_with_columns,
    first_url,
    frame,
    km_text,
    missile_key,
    parse_km,
    read_text,
    utc_day,
)
from detente.events.kinds import MISSILE_CLASSES

FORMAT = "cns-csv"
TITLE = "CNS North Korea Missile Test Database"
DESCRIPTION = ("the CNS/NTI North Korea Missile Test Database CSV export (cp1252; one row per "
               "missile; 1984-2023)")
SOURCE = "cns-missile-tests"
PIVOT = 50

COLUMNS = ("F1", "Date", "Launch Time (UTC)", "Missile Name", "Missile Type", "Facility Name",
           "Facility Location", "Facility Latitude", "Facility Longitude", "Landing Location",
           "Apogee", "Distance Travelled", "Confirmation Status", "Test Outcome",
           "Additional Information", "Source(s)")

# (F1, Date as written) -> (date used, why). Applied only while the row reads exactly so.
# (F1, wrong text, right text) in ``Additional Information``.
SUMMARY_ERRATA: dict[str, tuple[str, str, str]] = {
    "241": ("On the morning of April 16 (local time)", "On the morning of March 16 (local time)",
            "the Hwasong-17 launch of 2023-03-16 (Korean day) is described as on April 16"),
}

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_OUTCOMES = {"success": "success", "failure": "failure", "unknown": "unknown", "": "unknown"}
_CONFIRMATION = {"confirmed": True, "unconfirmed": False}
_UNKNOWN = {"", "unknown", "n/a", "na"}


def detect(path: Path) -> bool:
    return csv_with_columns(path, "F1", "Date", "Missile Type", "Confirmation Status")


def _month(word: str) -> int:
    word = word.lower()
    if len(word) >= 3:
        for name, number in _MONTHS.items():
            if name.startswith(word):
                return number
    raise ValueError(f"unknown month name {word!r}")


def _year(text: str, pivot: int) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    return 1900 + yy if yy >= pivot else 2000 + yy


def parse_date(text: str, pivot: int = PIVOT) -> tuple[dt.date, str]:
    """(date, precision) of a CNS ``Date`` cell; precision is ``day`` or ``month``.

    Accepts ``9-Apr-84``, ``09-April-1984``, ``Sep-84``, ``4/19/2023`` (month first),
    ``1984-04-09`` and ``1984-09``. Raises ``ValueError`` saying what is wrong.
    """
    t = " ".join(text.split())
    forms = (
        (r"(?P<d>\d{1,2})[- ](?P<m>[A-Za-z]{3,9})[- ](?P<y>\d{2}|\d{4})", "day"),
        (r"(?P<m>[A-Za-z]{3,9})[- ](?P<y>\d{2}|\d{4})", "month"),
        (r"(?P<mn>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2}|\d{4})", "day"),
        (r"(?P<y>\d{4})-(?P<mn>\d{2})-(?P<d>\d{2})", "day"),
        (r"(?P<y>\d{4})-(?P<mn>\d{2})", "month"),
    )
    for pattern, precision in forms:
        match = re.fullmatch(pattern, t)
        if not match:
            continue
        parts = match.groupdict()
        month = _month(parts["m"]) if parts.get("m") else int(parts["mn"])
        year = _year(parts["y"], pivot)
        day = int(parts["d"]) if parts.get("d") else 1
        try:
            return dt.date(year, month, day), precision
        except ValueError as exc:
            raise ValueError(f"impossible date ({exc})") from None
    raise ValueError("not a date in a form the CNS file uses (9-Apr-84, Sep-84, 4/19/2023, "
                     "1984-04-09)")


def parse_time(text: str) -> str | None:
    """``HH:MM`` (``HH:MM:SS`` when seconds are given and not zero) from ``9:20:00 PM``;
    None for an empty or "Unknown" cell. Raises ``ValueError`` for anything else."""
    t = text.strip()
    if t.lower() in _UNKNOWN:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?", t)
    if not match:
        raise ValueError("not a time of day (expected e.g. 9:20:00 PM or 21:20)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise ValueError("hour must be 1-12 with AM/PM")
        hour = hour % 12 + (12 if match[4].lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("impossible time of day")
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def _coordinate(text: str) -> float | None:
    t = text.strip()
    if t.lower() in _UNKNOWN:
        return None
    return float(t)


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, encoding: str = AUTO,
         pivot: int = PIVOT, source: str = SOURCE, errata: bool = True, **_: Any) -> Batch:
    """A ``Batch`` of missile tests, one per CNS row; see the module docstring."""
    file = str(path)
    text = read_text(path, encoding, default="cp1252")
    records = csv_records(text, file, COLUMNS)
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for line, r in records:
        where = {"line": line}
        f1 = r["F1"].strip()
        if not f1.isdigit():
            issues.add("must be the CNS row number (a positive integer)", field="F1", value=f1,
                       **where)
            continue
        raw_date = r["Date"].strip()
        try:
            day, precision = parse_date(raw_date, pivot)
        except ValueError as exc:
            issues.add(str(exc), field="Date", value=raw_date, **where)
            continue
        kind_text = r["Missile Type"].strip()
        klass = next((c for c in MISSILE_CLASSES if c.lower() == kind_text.lower()), None)
        if klass is None:
            issues.add(f"unknown missile type; expected one of {', '.join(MISSILE_CLASSES)}",
                       field="Missile Type", value=kind_text, **where)
        outcome = _OUTCOMES.get(r["Test Outcome"].strip().lower())
        if outcome is None:
            issues.add("must be Success, Failure or Unknown", field="Test Outcome",
                       value=r["Test Outcome"], **where)
        status = r["Confirmation Status"].strip().lower()
        confirmed = _CONFIRMATION.get(status)
        if confirmed is None and status:
            issues.add("must be Confirmed or Unconfirmed", field="Confirmation Status",
                       value=r["Confirmation Status"], **where)
        try:
            time_utc = parse_time(r["Launch Time (UTC)"])
        except ValueError as exc:
            issues.add(str(exc), field="Launch Time (UTC)", value=r["Launch Time (UTC)"],
                       **where)
            time_utc = None
        coords = {}
        for name, column in (("lat", "Facility Latitude"), ("lon", "Facility Longitude")):
            try:
                coords[name] = _coordinate(r[column])
            except ValueError:
                issues.add("must be a number of degrees or Unknown", field=column,
                           value=r[column], **where)
        if errata and precision == "day":
            day, why = utc_day(day, time_utc)
            if why:
                notes.append(f"F1={f1}: Date {raw_date!r} read as {day.isoformat()}: {why}")
        summary = _text(r["Additional Information"])
        if errata and f1 in SUMMARY_ERRATA and summary and SUMMARY_ERRATA[f1][0] in summary:
            wrong, right, why = SUMMARY_ERRATA[f1]
            summary = summary.replace(wrong, right)
            notes.append(f"F1={f1}: Additional Information {wrong!r} read as {right!r}: {why}")
        refs = citations(r["Source(s)"])
        attrs = {
            "class": klass,
            "missile": _text(r["Missile Name"]),
            "outcome": outcome,
            "confirmed": confirmed,
            "time_utc": time_utc,
            "apogee_km": parse_km(r["Apogee"], unit_required=True),
            "apogee_text": km_text(r["Apogee"]),
            "distance_km": parse_km(r["Distance Travelled"], unit_required=True),
            "distance_text": km_text(r["Distance Travelled"]),
            "facility": _text(r["Facility Name"]),
            "location": _text(r["Facility Location"]),
            "landing": _text(r["Landing Location"]),
            **coords,
            "url": first_url(refs),
            "citations": refs,
        }
        if precision == "month":
            attrs["date_precision"] = "month"
        rows.append({
            "_loc": line, "date": day, "actor": "PRK", "kind": "missile_test", "attrs": attrs,
            "source": source, "source_ref": f"F1={f1}",
            "confidence": "high" if confirmed is not False and precision == "day" else "medium",
            "summary": summary,
            "_day": day.isoformat() if precision == "day" else day.strftime("%Y-%m"),
            "_f1": int(f1),
        })
    issues.raise_if_any()
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[row["_day"]].append(row)
    for day_rows in by_day.values():
        for n, row in enumerate(sorted(day_rows, key=lambda x: x["_f1"]), start=1):
            row["match_key"] = missile_key(row["_day"], n)
    months = sum(1 for row in rows if row["attrs"].get("date_precision") == "month")
    notes.append(f"{len(rows)} rows, one missile each; {months} month-only dates read as the "
                 "first of the month (date_precision=month)")
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="line", notes=tuple(notes))


def _text(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None
