"""The web server against an attack pass (issue 16): the store's one-writer rule while the
server reads, seeds that fit JSON, slow clients, and answers that say neither too little nor
too much."""

from __future__ import annotations

import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from detente.errors import ParameterError
from detente.events.store import Store
from detente.web.access import StoreAccess
from detente.web.app import create_app
from detente.web.settings import Settings

TOKEN = "hardening-token-1"


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


# --- 8: slow clients ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _low_file_limit() -> None:  # in the server's process: 20,000 idle sockets, scaled down
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


FILE_LIMIT = 256


@pytest.fixture
def slow_server(bundled):
    procs = []

    def start(*options: str, **settings) -> str:
        port = _free_port()
        env = {**os.environ, "DETENTE_WEB_SETTINGS": json.dumps(settings)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "detente", "serve", "--db", str(bundled), "--port", str(port),
             *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=_low_file_limit, env=env)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/health", timeout=2).raise_for_status()
                return url
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {proc.stdout.read()}")
                time.sleep(0.1)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _half_open(url: str, n: int) -> list[socket.socket]:
    """``n`` connections that send part of a request's headers and then nothing."""
    port = int(url.rsplit(":", 1)[1])
    held = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        held.append(s)
    return held


def _closed_by_server(held: list[socket.socket], wait: float) -> int:
    """How many of ``held`` the server closed (EOF, after a 503 or not) within ``wait`` s."""
    with selectors.DefaultSelector() as selector:
        for s in held:
            selector.register(s, selectors.EVENT_READ)
        deadline, closed = time.monotonic() + wait, set()
        while len(closed) < len(held) and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data or data.startswith(b"HTTP/1.1 503"):
                    closed.add(key.fileobj)
                    selector.unregister(key.fileobj)
        return len(closed)


def test_half_open_connections_cannot_starve_real_clients(slow_server):
    url = slow_server()
    held = _half_open(url, 2 * FILE_LIMIT)  # more than the server has file descriptors
    try:
        for _ in range(5):  # a new connection each time
            assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        assert _closed_by_server(held, 0.5) >= len(held) - FILE_LIMIT  # evicted
    finally:
        for s in held:
            s.close()


def test_clients_that_never_finish_their_headers_or_body_are_disconnected(slow_server):
    url = slow_server("--header-timeout", "1", "--keep-alive", "30", body_timeout_seconds=1)
    port = int(url.rsplit(":", 1)[1])
    held = _half_open(url, 20)
    # A kept-alive connection whose next request stalls in its headers (the keep-alive timer
    # stops at its first byte) ...
    kept = socket.create_connection(("127.0.0.1", port), timeout=5)
    kept.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    kept.sendall(b"GET /api/health HTTP/1.1\r\n")
    # ... and a body that never arrives whole.
    body = socket.create_connection(("127.0.0.1", port), timeout=5)
    body.sendall(b"POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{")
    started = time.monotonic()
    try:
        assert _closed_by_server([*held, kept], 3.0) == len(held) + 1
        assert 0.9 < time.monotonic() - started < 2.0
        assert body.recv(65536).startswith(b"HTTP/1.1 408")
    finally:
        for s in (*held, kept, body):
            s.close()


# --- 9: the cost of one event query ------------------------------------------------------------

def test_where_conditions_and_filter_values_are_bounded(client):
    # 4,500 conditions in one unauthenticated GET cost 4.7 s of CPU.
    many = "&".join(f"where=a{i % 10}={i}" for i in range(4500))
    started = time.process_time()
    answer = client.get(f"/api/events?{many}")
    assert time.process_time() - started < 1.0
    assert answer.status_code == 413 and "at most 20" in answer.json()["message"]
    twenty = "&".join(f"where=a{i}={i}" for i in range(20))
    assert client.get(f"/api/events?{twenty}").status_code == 200
    assert client.get(f"/api/events?{twenty}&where=a=1").status_code == 413
    values = ",".join(str(i) for i in range(101))
    answer = client.get(f"/api/events?where=class={values}")
    assert answer.status_code == 413 and "at most 100" in answer.json()["message"]
    actors = "&".join(f"actor=A{i:03d}" for i in range(101))
    assert client.get(f"/api/events?{actors}").status_code == 413
    assert client.get(f"/events?where={';'.join(['a=1'] * 21)}").status_code == 413


def test_an_event_query_that_runs_too_long_is_stopped(tmp_path):
    db = tmp_path / "big.duckdb"
    with Store(db, empty=True) as store:  # 300,000 rows written directly: a slow SQL scan
        store.con.execute("""INSERT INTO stored_events (id, date, actor, kind, attrs, source,
            source_ref, confidence, summary) SELECT 'e' || i, DATE '2000-01-01' + (i % 9000)::INT,
            'PRK', 'missile_test', '{"x_a": "' || i || '"}', 't', 'r' || i, 'high',
            'event number ' || i FROM range(300000) t(i)""")
    conditions = "&".join(f"where=x_{i}!=" + ",".join(map(str, range(5))) for i in range(20))
    app = create_app(Settings(db=db, max_query_seconds=0.05))
    with TestClient(app) as c:
        started = time.perf_counter()
        answer = c.get(f"/api/events?text=zzz&{conditions}")
        assert time.perf_counter() - started < 2.0
        assert answer.status_code == 413, answer.text
        assert "took more than 0.05 s" in answer.json()["message"]
        assert c.get("/api/events?limit=1").status_code == 200  # the store is still usable


# --- 10: what an error tells a client ----------------------------------------------------------

HOLD = """
import sys, time
from detente.events.store import Store
store = Store(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


def test_store_in_use_tells_clients_to_retry_without_paths_or_processes(tmp_path):
    db = tmp_path / "held.duckdb"
    Store(db, empty=True).close()
    app = create_app(Settings(db=db, store_wait_seconds=0, events_fast_path=False))
    with TestClient(app) as c:
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], text=True,
                                  stdout=subprocess.PIPE)
        try:
            assert holder.stdout.readline().strip() == "holding"
            for path in ("/api/health", "/api/events?where=class=ICBM", "/events?where=x=1"):
                answer = c.get(path)
                assert answer.status_code == 503, (path, answer.text)
                assert answer.headers["retry-after"] == "1"
                for secret in (str(db), str(tmp_path), "PID", str(holder.pid), "sys.argv"):
                    assert secret not in answer.text, (path, secret)
            assert "in use by another process" in c.get("/api/health").json()["message"]
        finally:
            holder.kill()
            holder.wait()


@pytest.mark.parametrize("token", ["pässwörd-1234", "with space 1234", "tab\there-1234"])
def test_a_token_a_client_cannot_send_is_refused_at_start(token, monkeypatch):
    # HTTP headers carry Latin-1 at most: such a token was accepted, then matched nothing.
    monkeypatch.setenv("DETENTE_TOKEN", token)
    with pytest.raises(ParameterError) as info:
        Settings.from_env()
    assert info.value.problems[0].field == "DETENTE_TOKEN"
    assert token not in str(info.value)


# --- reads mixed with writes -------------------------------------------------------------------

def test_reads_during_a_rebuild_are_answered_from_the_previous_snapshot(tmp_path):
    from detente.web.index import EventQueries
    from tests.test_store import missile

    db = tmp_path / "events.duckdb"
    with Store(db, empty=True) as store:
        store.ingest_events([missile("a", "2017-07-04")])
    queries = EventQueries(StoreAccess(db), 10 ** 6)
    before = queries.current()
    with Store(db) as store:  # another process's write
        store.ingest_events([missile("b", "2017-07-05")])
    time.sleep(0.06)  # past a clock tick of the file system: the new signature is settled
    rebuilding, done = threading.Event(), threading.Event()

    def another_request_rebuilding() -> None:
        with queries._lock:
            rebuilding.set()
            done.wait(5)

    other = threading.Thread(target=another_request_rebuilding)
    other.start()
    try:
        rebuilding.wait(5)
        started = time.monotonic()
        assert queries.current() is before and before.size == 1
        assert time.monotonic() - started < 0.5  # not queued behind the rebuild
    finally:
        done.set()
        other.join()
    assert queries.current().size == 2  # the next request finds it rebuilt, or rebuilds it


def test_the_store_file_itself_is_never_read_as_an_input(store_path, other_writer):
    from detente.errors import IngestError
    from detente.events.ingest import coded, ingest_file

    with Store(store_path, empty=True) as store:
        for ingest in (ingest_file, coded.ingest):
            with pytest.raises(IngestError) as info:
                ingest(store, store_path)
            assert "is the event store itself" in str(info.value)
        assert other_writer() == "locked"  # and this process still holds its lock
