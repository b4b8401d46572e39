"""USGS ComCat seismic records of North Korea's nuclear tests (JSON with an ``events`` list).

Each ComCat event has ``id``, ``time`` (ISO UTC), ``mag``, ``magType``, ``type``, ``place``,
``lat``, ``lon`` and ``url``. Only events typed ``nuclear explosion`` located in North Korea
become ``nuclear_test`` events (magnitude, magnitude type, origin time, coordinates). Everything
else is *not a test* and is skipped with a note: the 2017-09-03 ``collapse`` eight minutes after
the sixth test (the cavity or tunnels giving way) and the small shallow ``earthquake`` events near
Punggye-ri afterwards (induced seismicity), which a monitor should not count.

Identity: ``source_ref`` is the ComCat id; ``match_key nuclear_test|PRK|<UTC date>`` makes the
same test in the CSIS list one event with both sources.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from detente.errors import IngestError
from detente.events.ingest import Batch
from detente.events.ingest.records import Issues, frame, head_text, nuclear_key, read_text

FORMAT = "usgs"
TITLE = "USGS ComCat records of North Korea's nuclear tests"
DESCRIPTION = ("USGS ComCat seismic events as JSON ({'events': [{id, time, mag, magType, type, "
               "place, lat, lon, url}]}); only 'nuclear explosion' events become tests")
SOURCE = "usgs-comcat"
TEST_TYPE = "nuclear explosion"
FIELDS = ("id", "time", "mag", "magType", "type", "lat", "lon")


def detect(path: Path) -> bool:
    head = head_text(path)
    return path.suffix.lower() == ".json" and '"events"' in head and '"magType"' in head


def read(path: Path, con: duckdb.DuckDBPyConnection | None = None, *, source: str = SOURCE,
         **_: Any) -> Batch:
    """A ``Batch`` of nuclear tests; see the module docstring."""
    file = str(path)
    text = read_text(path, "utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError.single(
            f"not valid JSON: {exc.msg} at column {exc.colno}"
            + (" (the file ends early: truncated?)" if exc.pos >= len(text.rstrip()) else ""),
            file=file, line=exc.lineno) from None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise IngestError.single("expected an object with an 'events' list", file=file,
                                 field="events")
    site = (data.get("testSite") or {}).get("name") if isinstance(data, dict) else None
    issues = Issues(file)
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for index, ev in enumerate(events, start=1):
        where = {"row": index}
        if not isinstance(ev, dict):
            issues.add(f"event {index} is not an object", **where)
            continue
        missing = [f for f in FIELDS if ev.get(f) in (None, "")]
        for name in missing:
            issues.add(f"event {index} ({ev.get('id', 'no id')}) lacks '{name}'", field=name,
                       **where)
        if missing:
            continue
        try:
            when = dt.datetime.fromisoformat(str(ev["time"]).replace("Z", "+00:00"))
            when = when.astimezone(dt.UTC)
        except ValueError:
            issues.add(f"event {index} ({ev['id']}): not an ISO 8601 time", field="time",
                       value=ev["time"], **where)
            continue
        for name in ("mag", "lat", "lon"):
            if not isinstance(ev[name], int | float) or isinstance(ev[name], bool):
                issues.add(f"event {index} ({ev['id']}): must be a number", field=name,
                           value=ev[name], **where)
        place = str(ev.get("place") or "")
        summary = (f"{ev['type']} {ev['magType']} {ev['mag']} at {when:%Y-%m-%d %H:%M} UTC, "
                   f"{place}")
        if ev["type"] != TEST_TYPE or "North Korea" not in place:
            skipped.append(f"{ev['id']} ({summary})")
            continue
        rows.append({
            "_loc": index, "date": when.date(), "actor": "PRK", "kind": "nuclear_test",
            "attrs": {
                "magnitude": float(ev["mag"]), "mag_type": str(ev["magType"]),
                "time_utc": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "lat": float(ev["lat"]), "lon": float(ev["lon"]), "location": place or None,
                "site": site, "url": ev.get("url"), "title": "nuclear test",
            },
            "source": source, "source_ref": str(ev["id"]), "confidence": "high",
            "summary": summary, "match_key": nuclear_key(when.date()),
        })
    issues.raise_if_any()
    notes = [f"{len(events)} events in the file; {len(rows)} typed '{TEST_TYPE}' became "
             "nuclear tests"]
    if skipped:
        notes.append(f"{len(skipped)} not tests and skipped (collapse and earthquakes are not "
                     "explosions): " + "; ".join(skipped))
    return Batch(file=file, format=FORMAT, data=frame(rows), loc="row", notes=tuple(notes))
