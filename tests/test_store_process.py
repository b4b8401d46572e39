"""The store under other processes: a held write lock (a real kill in mid-ingest is in
test_faults.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
