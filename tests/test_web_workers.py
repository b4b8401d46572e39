"""``detente serve --workers 2`` as real processes over real HTTP: both workers answer events,
a job accepted by one is visible from both, an ingest succeeds while the other worker reads
and becomes visible everywhere, and another process holding the store makes requests wait,
then succeed when it lets go, or answer 503 after the bound."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from detente.events.query import EventFilter
from detente.events.store import Store

TOKEN = "workers-test-token"
STORE_WAIT = 3.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workers")
    db, jobs = folder / "events.duckdb", folder / "jobs"
    Store(db).close()
    port = _free_port()
    env = {**os.environ, "DETENTE_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "detente", "serve", "--db", str(db), "--port", str(port),
         "--workers", "2", "--jobs-dir", str(jobs), "--store-wait", str(STORE_WAIT)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _until_both_workers(url, proc)
        yield url, db, jobs
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _until_both_workers(url: str, proc: subprocess.Popen) -> None:
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2:
        try:
            seen.add(httpx.get(f"{url}/api/health", timeout=5).json()["worker"])
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read() if proc.poll() is not None else ""
            pytest.fail(f"2 workers did not both answer (saw {seen}):\n{out}")


def _each_worker(url: str, path: str, **kwargs) -> dict[int, httpx.Response]:
    """``path`` asked on new connections until both workers have answered it (the health
    check on the same keep-alive connection tells which worker holds it)."""
    answers: dict[int, httpx.Response] = {}
    for _ in range(200):
        with httpx.Client(base_url=url, timeout=10) as client:
            pid = client.get("/api/health").json()["worker"]
            if pid not in answers:
                answers[pid] = client.get(path, **kwargs)
        if len(answers) == 2:
            return answers
    pytest.fail(f"200 new connections reached only workers {sorted(answers)}")


def test_both_workers_answer_event_queries(served):
    url, db, _ = served
    answers = _each_worker(url, "/api/events", params={"actor": "PRK", "kind": "missile_test",
                                                       "from": "2017-01-01", "limit": 5})
    with Store(db, read_only=True) as store:
        flt = EventFilter(actor="PRK", kind="missile_test", start="2017-01-01", limit=5)
        expected, total = list(store.records(flt)), store.count(flt)
    for pid, r in answers.items():
        assert r.status_code == 200, (pid, r.text)
        assert r.json()["total"] == total and r.json()["events"] == expected


def test_a_job_is_visible_and_completes_from_every_worker(served):
    url, _, jobs = served
    with httpx.Client(base_url=url, timeout=10) as client:
        accepted_by = client.get("/api/health").json()["worker"]
        r = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 3000,
                                               "seed": 7, "background": True})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert (jobs / f"{job_id}.json").exists()
    seen: dict[int, list[str]] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with httpx.Client(base_url=url, timeout=10) as client:
            pid = client.get("/api/health").json()["worker"]
            job = client.get(f"/api/simulate/{job_id}").json()
        seen.setdefault(pid, []).append(job["status"])
        assert job["status"] != "failed", job["error"]
        if len(seen) == 2 and all("done" in s for s in seen.values()):
            break
        time.sleep(0.05)
    assert len(seen) == 2 and all("done" in s for s in seen.values()), seen
    assert accepted_by in seen
    assert job["result"]["runs"] == 3000 and job["result"]["seed"] == 7


def test_ingest_while_the_other_worker_reads_is_seen_by_every_worker(served):
    url, _, _ = served
    stop, failures, reads = threading.Event(), [], [0]

    def reader() -> None:
        # Health and attribute queries open the store read-only in whichever worker answers.
        while not stop.is_set():
            with httpx.Client(base_url=url, timeout=30) as client:
                for path, params in (("/api/health", None),
                                     ("/api/events", {"where": "class=ICBM", "limit": 5})):
                    r = client.get(path, params=params)
                    reads[0] += 1
                    if r.status_code != 200:
                        failures.append(r.text)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        event = {"date": "2031-05-06", "actor": "PRK", "kind": "missile_test",
                 "attrs": {"class": "SRBM"}, "source": "workers-test", "source_ref": "w1"}
        r = httpx.post(f"{url}/api/events", json={"events": [event]}, timeout=30,
                       headers={"Authorization": f"Bearer {TOKEN}"})
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert r.status_code == 200 and r.json()["added"] == 1, r.text
    assert not failures and reads[0] > 10, (failures[:3], reads)
    for pid, page in _each_worker(url, "/api/events", params={"source": "workers-test"}).items():
        body = page.json()
        assert body["total"] == 1 and body["events"][0]["date"] == "2031-05-06", (pid, body)


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    """Another process opening the store for writing (as `detente events ingest` would)."""
    code = ("import sys, time\nfrom detente.events.store import Store\n"
            "s = Store(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
            "s.close()\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_an_external_writer_makes_requests_wait_then_succeed_or_503(served):
    url, db, _ = served
    holder = _hold(db, 1.0)
    try:
        started = time.monotonic()
        r = httpx.get(f"{url}/api/health", timeout=30)
        waited = time.monotonic() - started
    finally:
        holder.wait(30)
    assert r.status_code == 200, r.text
    assert waited > 0.3  # it waited for the holder to let go, then answered

    holder = _hold(db, STORE_WAIT + 4)
    try:
        started = time.monotonic()
        r = httpx.get(f"{url}/api/health", timeout=30)
        waited = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "StoreLockedError"
        # The holder (its PID, its command line) is named in the server's log, not to clients.
        assert "in use by another process" in r.json()["message"]
        assert str(holder.pid) not in r.text and r.headers["retry-after"] == "1"
        assert STORE_WAIT - 0.5 < waited < STORE_WAIT + 3
    finally:
        holder.kill()
        holder.wait(30)
    assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200
