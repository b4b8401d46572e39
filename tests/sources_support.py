"""Helpers shared by the source adapter tests (tests/test_adapter_*.py, tests/test_dataset.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from detente.errors import IngestError, Problem
from detente.events import ingest
from detente.events.store import IngestResult, Store
from tests.conftest import FIXTURES, shared_data

SOURCES = FIXTURES / "sources"
MISSILES = SOURCES / "missiles"
CNS_FILE = "raw/missile_tests/north_korea_missile_test_database.csv"
JSON_FILE = "raw/missile_tests/test.en.json"
USGS_FILE = "raw/nuclear_tests/seismic.excerpt.json"
CSIS_FILE = "raw/provocations/north_korea_provocations_1958_present.csv"
UN_FILE = "raw/sanctions/consolidated.xml"


def real(relative: str) -> Path:
    """A file of the shared data folder (skips the test when the folder is absent)."""
    return shared_data() / relative


def load(store: Store, path: Path, fmt: str | None = None, **options: Any) -> IngestResult:
    return ingest.ingest_file(store, path, fmt, **options)


def rejected(store: Store, path: Path, fmt: str | None = None, **options: Any) -> IngestError:
    """The ``IngestError`` ingesting ``path`` raises; asserts the store did not change and the
    message names the file."""
    before = store.fingerprint()
    with pytest.raises(IngestError) as info:
        ingest.ingest_file(store, path, fmt, **options)
    assert store.fingerprint() == before
    assert str(path) in str(info.value)
    return info.value


def problem(error: IngestError, field: str, **where: Any) -> Problem:
    """The problem of ``error`` about ``field`` at ``where`` (line=, row=); fails if none."""
    for p in error.problems:
        if p.field == field and all(getattr(p, k) == v for k, v in where.items()):
            return p
    raise AssertionError(f"no problem for field {field!r} at {where} in:\n{error}")


def attrs(frame, index: int = 0) -> dict[str, Any]:
    return json.loads(frame["attrs"].iloc[index])


def fixture_store(store: Store) -> Store:
    """``store`` with the per-missile and USGS fixtures ingested (as the build orders them)."""
    load(store, SOURCES / "cns_small.csv")
    load(store, MISSILES / "test.en.json")
    load(store, SOURCES / "usgs_small.json")
    return store
