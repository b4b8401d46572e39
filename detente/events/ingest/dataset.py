"""Build the bundled dataset (``detente/data/events.parquet`` and ``sources.json``) from the
shared source folder, by ingesting every source in a fixed order into an empty store.

The order matters only for which source an event is *primarily* attributed to and for CSIS
links: per-missile sources first (the CNS export, then the JSON that extends it), the USGS
tests, then CSIS (whose salvo rows link to the per-missile events and whose nuclear rows merge
with USGS), the UN list, then the curated tables. Provenance (origin repository, path, commit,
licence) is read from ``raw/PROVENANCE.md`` and ``curated/README.md``; counts and date ranges
are computed from the ingest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.events import ingest
from detente.events.store import Store

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"


@dataclass(frozen=True)
class SourceFile:
    """One file of the shared folder and the adapter that reads it."""

    path: str
    format: str


SOURCES: tuple[SourceFile, ...] = (
    SourceFile("raw/missile_tests/north_korea_missile_test_database.csv", "cns-csv"),
    SourceFile("raw/missile_tests/test.en.json", "missile-json"),
    SourceFile("raw/nuclear_tests/seismic.excerpt.json", "usgs"),
    SourceFile("raw/provocations/north_korea_provocations_1958_present.csv", "csis"),
    SourceFile("raw/sanctions/consolidated.xml", "un-list"),
    SourceFile("curated/exercises.csv", "exercises"),
    SourceFile("curated/us_sanctions_actions.csv", "us-sanctions"),
    SourceFile("curated/un_resolutions.csv", "un-resolutions"),
    SourceFile("curated/diplomacy.csv", "diplomacy"),
)
CURATED_LICENCE = "none stated; hand-compiled from the public record (curated/README.md)"


def _bullets(section: str) -> dict[str, str]:
    """``- **Name:** text`` bullets of a markdown section, text joined across lines."""
    out = {}
    for match in re.finditer(r"^- \*\*(?P<name>[^*]+?):\*\*(?P<text>.*?)(?=^- \*\*|^#|\Z)",
                             section, re.M | re.S):
        out[match["name"].strip().lower()] = " ".join(match["text"].split())
    return out


def raw_provenance(text: str, file_name: str) -> dict[str, Any]:
    """Origin and licence of ``file_name`` from PROVENANCE.md's section that names it."""
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    for section in sections:
        heading = section.split("\n", 1)[0]
        if file_name not in heading:
            continue
        bullets = _bullets(section)
        origin_text = bullets.get("source", "")
        ticks = re.findall(r"`([^`]+)`", origin_text)
        repository = next((t for t in ticks if re.fullmatch(r"[\w.-]+/[\w.-]+", t)), None)
        paths = ([t for t in ticks if t.endswith(file_name) and t != repository]
                 or [t for t in ticks if t != repository and "/" in t
                     and re.search(r"\.\w+$", t)])
        commit = next((t for t in ticks if re.fullmatch(r"[0-9a-f]{40}", t)), None)
        origin = {"repository": repository, "path": paths[0] if paths else None,
                  "commit": commit}
        if "EXCERPT" in heading:
            origin["hand_made_excerpt"] = True
        licence = bullets.get("licence") or ""
        return {"origin": origin, "licence": licence.split(". ", 1)[0].rstrip(".") or None,
                "licence_text": licence or None}
    return {"origin": None, "licence": None, "licence_text": None}


def curated_provenance(text: str, file_name: str) -> dict[str, Any]:
    """What curated/README.md's table says of ``file_name``."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].strip("`") == file_name:
            return {"origin": {"repository": None, "path": f"curated/{file_name}",
                               "compiled": cells[-1]}, "licence": CURATED_LICENCE,
                    "licence_text": None}
    return {"origin": None, "licence": CURATED_LICENCE, "licence_text": None}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(shared: Path, out_dir: Path = DATA_DIR, *, progress=None) -> dict[str, Any]:
    """Build ``events.parquet`` and ``sources.json`` in ``out_dir`` from ``shared``.

    Returns the provenance document written to ``sources.json``.
    """
    shared = Path(shared)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    provenance_md = (shared / "raw" / "PROVENANCE.md").read_text(encoding="utf-8")
    curated_md = (shared / "curated" / "README.md").read_text(encoding="utf-8")
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "build.duckdb",
                                                      empty=True) as store:
        for item in SOURCES:
            path = shared / item.path
            if progress:
                progress(item.path)
            batch = ingest.read(path, store.con, item.format)
            result = ingest.ingest_batch(store, batch)
            module = ingest.adapters()[item.format]
            name = path.name
            prov = (curated_provenance(curated_md, name) if item.path.startswith("curated/")
                    else raw_provenance(provenance_md, name))
            dates = batch.data["date"]
            source = str(batch.data["source"].iloc[0]) if len(batch.data) else module.SOURCE
            records.append({
                "source": source, "format": item.format, "title": module.TITLE,
                "file": item.path, "sha256": _sha256(path), **prov,
                "rows": result.rows, "added": result.added, "merged": result.merged,
                "linked": result.linked, "unchanged": result.unchanged,
                "first": dates.min().date().isoformat() if len(dates) else None,
                "last": dates.max().date().isoformat() if len(dates) else None,
                "notes": list(batch.notes),
            })
        for record in records:
            record["events"] = store.con.execute(
                """SELECT count(DISTINCT id) FROM (
                     SELECT id FROM events WHERE source = ?
                     UNION ALL SELECT event_id FROM aliases WHERE source = ?)""",
                [record["source"], record["source"]]).fetchall()[0][0]
        total = store.count()
        kinds = dict(store.con.execute(
            "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind").fetchall())
        parquet = out_dir / "events.parquet"
        partial = out_dir / ".events.parquet.partial"
        store.export_parquet(partial)
        os.replace(partial, parquet)
    document = {
        "dataset": "events.parquet",
        "events": total,
        "events_by_kind": kinds,
        "built_from": "the shared data folder (raw/ and curated/), ingested in this order",
        "sources": records,
    }
    (out_dir / "sources.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return document
