"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DETENTE_SHARED_DATA", REPO.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Path of a store file that does not exist yet."""
    return tmp_path / "events.duckdb"


@pytest.fixture
def empty_store(store_path: Path):
    from detente.events.store import Store

    with Store(store_path, empty=True) as store:
        yield store


@pytest.fixture(autouse=True)
def _isolated_default_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """No test may touch the user's real store: DETENTE_DB points into a temp dir."""
    monkeypatch.setenv("DETENTE_DB", str(tmp_path_factory.mktemp("home") / "events.duckdb"))


def shared_data() -> Path:
    """The raw and curated sources; tests that read them skip when they are absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA
