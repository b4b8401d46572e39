"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The raw sources the bundled record is built from: $DETENTE_SHARED_DATA, else the shared folder
# next to this checkout, else the project machine's shared folder (CI checks out elsewhere).
_CANDIDATES = [Path(p) for p in (os.environ.get("DETENTE_SHARED_DATA"),) if p] + [
    REPO.parent / "shared" / "data", Path("/work/shared/data")]
SHARED_DATA = next((p for p in _CANDIDATES if p.exists()), _CANDIDATES[0])
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


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a store made for the module: a new store starts with the bundled record."""
    from detente.events.store import Store

    path = tmp_path_factory.mktemp("bundled") / "events.duckdb"
    Store(path).close()
    return path


@pytest.fixture(autouse=True)
def _isolated_default_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """No test may touch the user's real store: DETENTE_DB points into a temp dir."""
    monkeypatch.setenv("DETENTE_DB", str(tmp_path_factory.mktemp("home") / "events.duckdb"))


def shared_data() -> Path:
    """The raw and curated sources; tests that read them skip when they are absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA
