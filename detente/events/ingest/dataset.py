"""Build the bundled dataset (``detente/data/events.parquet`` and ``sources.json``) from the
shared source folder, by ingesting every source in a fixed order into an empty store.

The order matters only for which source an event is *primarily* attributed to and for CSIS
links: per-missile sources first (the CNS export, then the JSON that extends it), the USGS
tests, then CSIS (whose salvo rows link to the per-missile events and whose nuclear rows merge
with USGS), the UN list, then the curated tables. Provenance (origin repository, path, commit,
licence) is read from ``raw/PROVENANCE.md`` and ``data/README.md``; counts and date ranges
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
from typing import Any, cast

import pandas as pd

from detente.errors import IngestError, Problem, SpecError
from detente.events import coverage, ingest
from detente.events.store import Store

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
REPO_DATA = Path(__file__).resolve().parent.parent.parent.parent / "data"
COVERAGE_FILE = REPO_DATA / "coverage.yaml"


@dataclass(frozen=True)
class SourceFile:
    """One source file and the adapter that reads it: ``raw/...`` in the shared folder,
    ``curated/...`` in the project's own ``data/`` folder."""

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
    SourceFile("curated/un_actions.csv", "un-actions"),
    SourceFile("curated/diplomacy.csv", "diplomacy"),
)
CURATED_LICENCE = ("CC0 1.0; compiled by the detente project from the public record, every row "
                   "citing its source (data/README.md)")


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
    """What data/README.md's table says of ``file_name``."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].strip("`") == file_name:
            return {"origin": {"repository": None, "path": f"curated/{file_name}",
                               "compiled": cells[-1]}, "licence": CURATED_LICENCE,
                    "licence_text": None}
    return {"origin": None, "licence": CURATED_LICENCE, "licence_text": None}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_coverage(path: Path = COVERAGE_FILE) -> dict[str, list[coverage.Coverage]]:
    """The declarations of ``data/coverage.yaml`` by source; errors name the line and field."""
    out: dict[str, list[coverage.Coverage]] = {}
    for d in coverage.read(path):
        out.setdefault(d.source, []).append(d)
    return out


def _frame(batch: ingest.Batch) -> pd.DataFrame:
    """The batch's rows as a DataFrame (every source built here reads to one)."""
    return batch.data if isinstance(batch.data, pd.DataFrame) else batch.data.df()


def check_coverage(declared: list[coverage.Coverage], batch: ingest.Batch, file: str,
                   coverage_file: Path) -> None:
    """Refuse a declaration that the batch's own rows contradict (file, line, field named)."""
    rows = cast(list[dict[str, Any]], _frame(batch).to_dict(orient="records"))
    for row in rows:
        if isinstance(row.get("attrs"), str):
            row["attrs"] = json.loads(row["attrs"])
    bad = coverage.contradictions(declared, rows)
    problems = [Problem(
        f"outside the coverage declared for {d.source} in {coverage_file.name} "
        f"({d.scope_label()}, {d.start} to {d.end}): widen the declaration or fix the row",
        file=file, **{batch.loc if batch.loc in ("line", "row") else "row": int(row["_loc"])},
        field="date", value=str(row["date"])[:10]) for row, d in bad]
    IngestError.collect(f"{file}: {len(problems)} row(s) contradict the declared coverage",
                        problems)


def fill_classes(store: Store, csis: ingest.Batch) -> list[str]:
    """Give per-missile events of class ``unknown`` the class their CSIS summary row states
    (ballistic of unknown range, SRBM, satellite launch, cruise ...), when every CSIS row linked
    to the event states the same single class; returns what changed, one entry per event."""
    data = _frame(csis)
    stated: dict[str, str | None] = {}
    for ref, kind, attrs in zip(data["source_ref"], data["kind"], data["attrs"], strict=True):
        attrs = json.loads(attrs) if isinstance(attrs, str) else attrs
        # A label naming two weapons ("ICBM and short-range missile launches") says nothing
        # about which missile of the salvo was which.
        mixed = " and " in str(attrs.get("title") or "")
        stated[ref] = "mixed" if mixed else (attrs.get("class") if kind == "missile_test"
                                             else None)
    rows = store.con.execute(
        """SELECT e.id, e.date, e.attrs, list(a.source_ref ORDER BY a.source_ref)
           FROM events e JOIN aliases a ON a.event_id = e.id
           WHERE a.source = 'csis-provocations' AND e.kind = 'missile_test'
             AND json_extract_string(e.attrs, '$.class') = 'unknown'
           GROUP BY e.id, e.date, e.attrs ORDER BY e.date, e.id""").fetchall()
    changed = []
    for event_id, day, attrs_text, refs in rows:
        # Rows that say nothing (unknown) do not count; rows that disagree block the fill.
        classes = {stated.get(ref) for ref in refs} - {None, "unknown"}
        if len(classes) != 1 or "mixed" in classes:
            continue
        klass = classes.pop()
        attrs = json.loads(attrs_text)
        attrs["class"] = klass
        attrs["class_source"] = "csis-provocations"
        store.con.execute("UPDATE stored_events SET attrs = ? WHERE id = ?",
                          [json.dumps(attrs, sort_keys=True, separators=(",", ":")), event_id])
        changed.append(f"{day} {klass}")
    return changed


def build(shared: Path, out_dir: Path = DATA_DIR, *, progress=None,
          data: Path = REPO_DATA) -> dict[str, Any]:
    """Build ``events.parquet`` and ``sources.json`` in ``out_dir`` from the shared folder's
    raw files and the project's ``data`` folder (curated tables and ``coverage.yaml``).

    Returns the provenance document written to ``sources.json``.
    """
    shared = Path(shared)
    data = Path(data)
    out_dir = Path(out_dir)
    coverage_file = data / "coverage.yaml"
    declared = read_coverage(coverage_file)
    out_dir.mkdir(parents=True, exist_ok=True)
    provenance_md = (shared / "raw" / "PROVENANCE.md").read_text(encoding="utf-8")
    curated_md = (data / "README.md").read_text(encoding="utf-8")
    records: list[dict[str, Any]] = []
    batches: dict[str, ingest.Batch] = {}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "build.duckdb",
                                                      empty=True) as store:
        for number, item in enumerate(SOURCES):
            path = (data if item.path.startswith("curated/") else shared) / item.path
            if progress:
                progress(item.path, number, len(SOURCES))
            batch = ingest.read(path, store.con, item.format)
            module = ingest.adapters()[item.format]
            source_id = str(_frame(batch)["source"].iloc[0]) if len(batch.data) else module.SOURCE
            if source_id not in declared:
                raise SpecError.single(f"no coverage declared for source {source_id} (read from "
                                       f"{item.path}): every source declares what it covers",
                                       file=str(coverage_file), field=source_id)
            check_coverage(declared[source_id], batch, str(path), coverage_file)
            result = ingest.ingest_batch(store, batch)
            batches[source_id] = batch
            name = path.name
            prov = (curated_provenance(curated_md, name) if item.path.startswith("curated/")
                    else raw_provenance(provenance_md, name))
            dates = _frame(batch)["date"]
            source = str(_frame(batch)["source"].iloc[0]) if len(batch.data) else module.SOURCE
            records.append({
                "source": source, "format": item.format, "title": module.TITLE,
                "file": item.path, "sha256": _sha256(path), **prov,
                "rows": result.rows, "added": result.added, "merged": result.merged,
                "linked": result.linked, "unchanged": result.unchanged,
                "first": dates.min().date().isoformat() if len(dates) else None,
                "last": dates.max().date().isoformat() if len(dates) else None,
                "notes": list(batch.notes),
                "coverage": [d.to_json_dict() for d in declared[source_id]],
            })
        if "csis-provocations" in batches:
            filled = fill_classes(store, batches["csis-provocations"])
            if filled:
                record = next(r for r in records if r["source"] == "csis-provocations")
                record["notes"].append(
                    f"{len(filled)} per-missile events of class unknown take the class of the "
                    "CSIS row that summarises them (attrs.class_source): " + "; ".join(filled))
        unused = sorted(set(declared) - {r["source"] for r in records})
        if unused:
            raise SpecError.single("coverage declared for a source the build does not read",
                                   file=str(coverage_file), field=unused[0])
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
    ends = [d["end"] for r in records for d in r["coverage"]]
    document = {
        "dataset": "events.parquet",
        "record_end": max(ends) if ends else None,
        "events": total,
        "events_by_kind": kinds,
        "built_from": "the shared data folder (raw/ and curated/), ingested in this order",
        "sources": records,
    }
    (out_dir / "sources.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return document
