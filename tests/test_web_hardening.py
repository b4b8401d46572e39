"""The web server against an attack pass (issue 16): the store's one-writer rule while the
server reads, seeds that fit JSON, slow clients, and answers that say neither too little nor
too much."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from detente.events.store import Store
from detente.web.access import StoreAccess
from detente.web.app import create_app
from detente.web.settings import Settings

TOKEN = "hardening-token-1"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("web") / "events.duckdb"
    Store(path).close()
    return path


@pytest.fixture(scope="module")
def client(bundled):
    with TestClient(create_app(Settings(db=bundled, sync_runs=2000, max_runs=5000))) as c:
        yield c

# Another process: on each line of input, tries to open the store for writing and write.
WRITER = """
import sys
from detente.errors import StoreLockedError
from detente.events.store import Store
for n, _ in enumerate(sys.stdin):
    try:
        with Store(sys.argv[1]) as store:
            store.declare_actor(f"ZZ{n}")
    except StoreLockedError:
        print("locked", flush=True)
    else:
        print("wrote", flush=True)
"""


@pytest.fixture
def other_writer(store_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store_path)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def attempt() -> str:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    yield attempt
    proc.kill()
    proc.wait()


def test_the_store_signature_keeps_the_lock_of_an_open_reader(store_path, other_writer):
    # A POSIX close() of any descriptor of a file drops every lock the process holds on it:
    # the signature must not open the store file while a request reads it through DuckDB.
    Store(store_path, empty=True).close()
    access = StoreAccess(store_path, wait=0)
    with access.read():
        assert other_writer() == "locked"
        before = access.signature()
        assert other_writer() == "locked"
        assert access.signature() == before
    assert other_writer() == "wrote"
    assert access.signature() != before  # that process's write (a checkpoint) is seen


def test_a_simulation_without_a_seed_answers_with_a_seed_of_63_bits(client):
    # A fresh seed over 64 bits broke the JSON encoder: 500, and a seedless job 500 on every
    # poll.
    body = {"agreement": "post-olympic-pause", "runs": 300, "horizon": "2y"}
    answer = client.post("/api/simulate", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert 0 <= result["seed"] < 2 ** 63
    again = client.post("/api/simulate", json={**body, "seed": result["seed"]}).json()
    assert again["result"]["survival"] == result["survival"]  # the seed shown reproduces it
    job = client.post("/api/simulate", json={**body, "background": True})
    assert job.status_code == 202, job.text
    deadline = time.monotonic() + 30
    while (poll := client.get(job.json()["url"])).json()["status"] in ("queued", "running"):
        assert poll.status_code == 200 and time.monotonic() < deadline
        time.sleep(0.05)
    assert poll.status_code == 200 and poll.json()["status"] == "done", poll.text
    assert 0 <= poll.json()["result"]["seed"] < 2 ** 63
