"""Source adapters: each turns one source format into a ``Batch`` of normalised events.

An adapter module defines ``FORMAT`` (its ``--format`` name), ``DESCRIPTION``, ``detect(path)``
(a cheap sniff: does this file look like my format?) and ``read(path, con, **options) -> Batch``.
Adapters parse and check what only they understand (encodings, date formats, their columns) and
raise ``IngestError`` naming the file, line or row and field; the store then validates the
normalised rows against the event model and ingests them in one transaction.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd

from detente.errors import IngestError
from detente.events.store import IngestResult, Progress, Store

# Adapter modules under detente.events.ingest, in detection order (most specific first).
ADAPTER_MODULES: list[str] = [
    "cns",
    "missile_json",
    "csis",
    "usgs",
    "un_list",
    "exercises",
    "us_sanctions",
    "un_actions",
    "un_resolutions",
    "diplomacy",
    "gdelt",
    "icews",
    "polecat",
    "generic",
]


@dataclass(frozen=True)
class Batch:
    """Normalised events from one source file, ready for ``Store.ingest_*``.

    ``data`` is a DataFrame, or a DuckDB relation on the store's connection (so large files
    stream through DuckDB). Its columns are ``store.STAGED_COLUMNS`` (``_loc`` locates the
    row in the file: a line number if ``loc == "line"``, else a row number), optionally with
    ``_raw_date``/``_raw_end`` holding the unparsed text for error messages. ``prebuilt``
    batches carry ``id`` and ``also`` (an export of a store) and are ingested as they are.
    ``in_place``: ``data`` (with ``_loc``) is cheap to read more than once (an adapter's temp
    table, a Parquet file), so the store checks and writes it where it is instead of copying it
    first; ``unchanged`` then says whether the file is still as it was read (checked after the
    write, before the commit). ``unique_keys``: no two rows of ``data`` share a source key
    (the adapter rejected the repeats already), so the store does not count them again.
    """

    file: str
    format: str
    data: pd.DataFrame | duckdb.DuckDBPyRelation
    loc: str = "row"
    prebuilt: bool = False
    notes: tuple[str, ...] = field(default=())
    in_place: bool = False
    unchanged: Callable[[], bool] | None = None
    unique_keys: bool = False


def adapters() -> dict[str, ModuleType]:
    """Every adapter module by its format name."""
    found = {}
    for name in ADAPTER_MODULES:
        module = importlib.import_module(f"detente.events.ingest.{name}")
        found[module.FORMAT] = module
    return found


def formats() -> list[tuple[str, str]]:
    """(format, description) of every adapter, for help text and ``detente data formats``."""
    return [(name, module.DESCRIPTION) for name, module in adapters().items()]


def detect(path: Path) -> str:
    """The format of ``path``: the first adapter whose ``detect`` accepts it."""
    for name, module in adapters().items():
        if module.detect(path):
            return name
    raise IngestError.single(
        f"cannot tell the format of this file; pass --format (one of {', '.join(adapters())})",
        file=str(path))


def read(path: str | Path, con: duckdb.DuckDBPyConnection, fmt: str | None = None,
         **options: Any) -> Batch:
    """Read ``path`` with the adapter for ``fmt`` (detected when None)."""
    return adapter_for(path, fmt).read(Path(path), con, **options)


def adapter_for(path: str | Path, fmt: str | None = None) -> ModuleType:
    """The adapter module for ``fmt`` (detected from the file when None), after checking that
    ``path`` is a file with something in it."""
    path = Path(path)
    if not path.exists():
        raise IngestError.single("file not found", file=str(path))
    if not path.is_file():
        raise IngestError.single("not a file (a directory?); pass the files in it",
                                 file=str(path))
    if path.stat().st_size == 0:
        raise IngestError.single("the file is empty", file=str(path))
    fmt = fmt or detect(path)
    registry = adapters()
    if fmt not in registry:
        raise IngestError.single(f"unknown format; expected one of {', '.join(registry)}",
                                 file=str(path), field="format", value=fmt)
    return registry[fmt]


def refuse_the_store(store: Store, path: str | Path) -> None:
    """``IngestError`` if ``path`` is ``store``'s own file or write-ahead log: reading it
    outside DuckDB, then closing it, would also drop this process's lock on the store."""
    own = store.path.resolve()
    if Path(path).resolve() in (own, own.with_name(own.name + ".wal")):
        raise IngestError.single("is the event store itself; export it first (detente events "
                                 "export FILE.parquet)", file=str(path))


def ingest_file(store: Store, path: str | Path, fmt: str | None = None, *,
                progress: Progress | None = None, **options: Any) -> IngestResult:
    """Read ``path`` and ingest it into ``store`` in one transaction (an adapter that can
    ingests as it reads: ``ingest_with_summary``)."""
    refuse_the_store(store, path)
    module = adapter_for(path, fmt)
    if hasattr(module, "ingest_with_summary"):
        return module.ingest_with_summary(store, Path(path), progress=progress, **options)[0]
    return ingest_batch(store, module.read(Path(path), store.con, **options), progress=progress)


def ingest_frame(store: Store, frame: Any, fmt: str, *, label: str = "<frame>",
                 progress: Progress | None = None, **options: Any) -> IngestResult:
    """Ingest a pandas DataFrame or Arrow table holding a source's own columns (GDELT's
    codebook columns for ``fmt="gdelt"``), checked by its adapter like a file of that format;
    rows are named by number (the first is 1) in errors and rejects."""
    registry = adapters()
    module = registry.get(fmt)
    if module is None or not hasattr(module, "read_frame"):
        readers = ", ".join(n for n, m in registry.items() if hasattr(m, "read_frame"))
        raise IngestError.single(f"no frame reader for this format; frames of: {readers}",
                                 file=label, field="format", value=fmt)
    batch, _ = module.read_frame(frame, store.con, label=label, **options)
    return ingest_batch(store, batch, progress=progress)


def ingest_batch(store: Store, batch: Batch, *, progress: Progress | None = None) -> IngestResult:
    """Ingest an adapter's ``Batch``; the result carries the adapter's notes (e.g. how many
    rows it rejected and where it wrote them)."""
    result = _ingest_data(store, batch, progress)
    return dataclasses.replace(result, notes=(*batch.notes, *result.notes)) if batch.notes \
        else result


def _ingest_data(store: Store, batch: Batch, progress: Progress | None) -> IngestResult:
    if isinstance(batch.data, pd.DataFrame):
        if batch.prebuilt:
            relation = store.con.from_df(batch.data)
            return store.ingest_relation(relation, file=batch.file, fmt=batch.format,
                                         loc=batch.loc, progress=progress, prebuilt=True)
        return store.ingest_frame(batch.data, file=batch.file, fmt=batch.format, loc=batch.loc,
                                  progress=progress)
    return store.ingest_relation(batch.data, file=batch.file, fmt=batch.format, loc=batch.loc,
                                 progress=progress, prebuilt=batch.prebuilt,
                                 in_place=batch.in_place, unchanged=batch.unchanged,
                                 unique_keys=batch.unique_keys)
