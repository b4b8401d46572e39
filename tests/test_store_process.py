"""The store under other processes: a held write lock, and a real kill in mid-ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from detente.errors import StoreLockedError
from detente.events.store import Store

HOLD = """
import sys, time
from detente.events.store import Store
store = Store(sys.argv[1], empty=True)
print("holding", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(store_path: Path):
    Store(store_path, empty=True).close()
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(store_path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    yield proc
    proc.kill()
    proc.wait()


def test_a_store_held_by_another_process_is_refused_naming_that_process(store_path, holder):
    with pytest.raises(StoreLockedError) as info:
        Store(store_path)
    message = str(info.value)
    assert f"PID {holder.pid}" in message
    assert "-c" in message  # the holder's command line is shown
    assert str(store_path) in message


def test_the_cli_reports_the_lock_with_exit_code_3_and_no_traceback(store_path, holder):
    done = subprocess.run([sys.executable, "-m", "detente", "events", "stats", "--db",
                           str(store_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert f"PID {holder.pid}" in done.stderr
    assert "Traceback" not in done.stderr


def _big_parquet(path: Path, rows: int) -> None:
    duckdb.sql(f"""COPY (SELECT DATE '2000-01-01' + CAST(i % 9000 AS INTEGER) AS date,
                          NULL::DATE AS "end", 'PRK' AS actor, NULL AS target,
                          'missile_test' AS kind, '{{"class":"SRBM"}}' AS attrs,
                          'bulk' AS source, 'r' || i AS source_ref, 'high' AS confidence,
                          NULL AS summary
                   FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)""")


def test_killing_an_ingest_midway_leaves_the_store_exactly_as_it_was(tmp_path, store_path):
    with Store(store_path, empty=True) as store:
        from tests.test_store import missile

        store.ingest_events([missile("keep", "2017-07-04")])
        before = store.fingerprint()
    big = tmp_path / "big.parquet"
    _big_parquet(big, 3_000_000)
    env = {**os.environ, "DETENTE_DB": str(store_path)}
    proc = subprocess.Popen([sys.executable, "-m", "detente", "events", "ingest", str(big),
                             "--set", "source=bulk"], stderr=subprocess.PIPE, text=True, env=env)
    # Stage lines go to stderr when it is not a terminal; kill once rows are being merged.
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "merging" in line or time.monotonic() > deadline:
            break
    assert "merging" in line, "the ingest never reached its merge stage"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Store(store_path) as store:
        assert store.fingerprint() == before
        # Still usable for writing.
        assert store.ingest_events([missile("after", "2017-07-05")]).added == 1
