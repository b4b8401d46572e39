"""Fault injection (issue 16): real processes killed with SIGKILL (or SIGTERM) in mid-work, a
disk that fills (a file-size limit), two writers while a server is under load, and a webhook
that redirects. After each, nothing is lost, no half-written file stands under an output's
name (a temporary file orphaned by SIGKILL goes with the next write), and the error names its
cause."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest

from detente.agreements import spec as spec_lib
from detente.errors import ParameterError
from detente.events.store import Store
from detente.watch import Watch, Webhook, alerts_of
from tests.test_store import missile
from tests.test_watch import watch_setup


class RedirectingHook:
    """A real local server: POST /alerts answers ``status`` with a Location of /moved, and
    /moved accepts anything (as a webhook that moved would)."""

    def __init__(self, status: int) -> None:
        self.posts: list[dict] = []   # bodies POSTed to /moved
        self.gets = 0                 # body-less requests that reached /moved
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/alerts":
                    self.send_response(status)
                    self.send_header("Location", "/moved")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hook.posts.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def do_GET(self):
                hook.gets += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [302, 308])
def test_a_redirecting_webhook_is_a_failed_delivery_not_a_lost_alert(tmp_path, status):
    spec_path, feed, store_path, _ = watch_setup(tmp_path)
    hook = RedirectingHook(status)
    lines: list[str] = []
    try:
        w = Watch(spec_lib.load(spec_path), feed, store_path=store_path,
                  webhook=Webhook(hook.url, timeout=2, retries=0, backoff=60),
                  window_days=3, settle=0.0, echo=lines.append)
        result = w.cycle(once=True)
    finally:
        hook.close()
    assert result.delivered["webhook"] == 0 and result.pending["webhook"] == 6
    assert hook.gets == 0 and hook.posts == []  # urllib's body-less GET never counted
    with Store(store_path, read_only=True) as store:
        errors = [a["webhook_error"] for a in alerts_of(store, w.id) if a["webhook_error"]]
    assert len(errors) == 1 and f"HTTP {status}" in errors[0] and "/moved" in errors[0]
    assert any("webhook failed" in x for x in lines)


@pytest.mark.parametrize("url", ["file:///etc/hostname", "not a url", "ftp://example.org/x",
                                 "http://", "http:///alerts", "javascript:alert(1)"])
def test_a_webhook_must_be_an_http_url(url):
    with pytest.raises(ParameterError) as info:
        Webhook(url)
    assert info.value.problems[0].field == "webhook"


# --- kill -9 during an ingest --------------------------------------------------------------------

def _big_parquet(path: Path, rows: int) -> None:
    duckdb.sql(f"""COPY (SELECT DATE '2000-01-01' + CAST(i % 9000 AS INTEGER) AS date,
                          NULL::DATE AS "end", 'PRK' AS actor, NULL AS target,
                          'missile_test' AS kind, '{{"class":"SRBM"}}' AS attrs,
                          'bulk' AS source, 'r' || i AS source_ref, 'high' AS confidence,
                          NULL AS summary
                   FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)""")


def test_killing_an_ingest_midway_leaves_the_store_exactly_as_it_was(tmp_path, store_path):
    with Store(store_path, empty=True) as store:
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


# --- kill -9 (and SIGTERM) while an output is written ---------------------------------------------

# A fault point: the run stops once its output is complete under the temporary name, just
# before the rename; a kill there shows whether the output is ever written under its own name.
HELD_RENAME = """
import os, sys, time
real = os.replace
def held(src, dst):
    if str(src).endswith(".tmp"):
        print("RENAMING", src, flush=True)
        time.sleep(60)
    return real(src, dst)
os.replace = held
from detente.cli import main
sys.argv = ["detente", *sys.argv[1:]]
main()
"""


def _writers(db: Path, out: Path) -> dict[str, list[str]]:
    return {
        "report": ["report", "post-olympic-pause", "-o", str(out), "--runs", "0",
                   "--scenario", "none", "--from", "2024-01-01", "--db", str(db)],
        "sweep": ["sweep", "post-olympic-pause", "--grid", "detection@PRK=0.5:1.0:0.25",
                  "--runs", "100", "--horizon", "1y", "--out", str(out), "--db", str(db)],
        "export": ["events", "export", str(out), "--db", str(db)],
        "simulate": ["simulate", "post-olympic-pause", "--runs", "100", "--horizon", "1y",
                     "--out", str(out), "--db", str(db)],
    }


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*.tmp"))


@pytest.mark.parametrize("writer, sig", [("report", signal.SIGKILL), ("sweep", signal.SIGKILL),
                                         ("export", signal.SIGKILL), ("export", signal.SIGTERM)])
def test_a_killed_write_leaves_the_earlier_file_whole(bundled, tmp_path, writer, sig):
    out = tmp_path / ("out.html" if writer == "report" else "out.parquet")
    out.write_bytes(b"earlier")
    proc = subprocess.Popen([sys.executable, "-c", HELD_RENAME, *_writers(bundled, out)[writer]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("RENAMING"):
                break
        else:
            pytest.fail(f"{writer} never got to its rename: {proc.stderr.read()}")
        proc.send_signal(sig)
        proc.wait(30)
    finally:
        proc.kill()
    assert out.read_bytes() == b"earlier"
    if sig == signal.SIGTERM:  # clean-up ran: exit 143, no temporary file
        assert proc.returncode == 143 and _leftovers(out) == []
        assert "Traceback" not in proc.stderr.read()
        return
    assert _leftovers(out) == [f".{out.name}.{proc.pid}.tmp"]  # kill -9: no code ran
    if writer == "export":  # the next write of that name removes the orphan
        done = subprocess.run([sys.executable, "-m", "detente", *_writers(bundled, out)[writer]],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert _leftovers(out) == [] and len(pd.read_parquet(out)) > 900


# --- a full disk (a small file-size limit) ------------------------------------------------------

def _limited(limit: int):
    def apply() -> None:  # in the child: writes past `limit` bytes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("rows, limit", [(3_000, 20_000), (200_000, 900_000)])
def test_a_full_disk_refuses_an_ingest_with_its_cause_and_changes_nothing(tmp_path, rows,
                                                                          limit):
    # 3,000 rows fail at COMMIT (the write-ahead log); 200,000 while DuckDB writes them to the
    # store file. After a failed COMMIT, detente once reported "cannot rollback - no
    # transaction is active" instead.
    db = tmp_path / "events.duckdb"
    with Store(db, empty=True) as store:
        store.ingest_events([missile("keep", "2017-07-04")])
        before = store.fingerprint()
    src = tmp_path / "many.parquet"
    _big_parquet(src, rows)
    done = subprocess.run([sys.executable, "-m", "detente", "events", "ingest", str(src),
                           "--db", str(db)], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited(limit))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "rollback" not in done.stderr
    assert f"cannot write the event store {db}" in done.stderr
    assert "File too large" in done.stderr and "nothing was ingested" in done.stderr
    with Store(db) as store:
        assert store.fingerprint() == before
        assert store.ingest_events([missile("after", "2017-07-05")]).added == 1


FULL_DISK_OUTPUTS = """
import json, resource, sys
from typer.testing import CliRunner
from detente.cli import app
commands = json.loads(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
found = {}
for name, args in commands.items():
    result = CliRunner().invoke(app, args)
    found[name] = [result.exit_code, result.output, type(result.exception).__name__]
print(json.dumps(found))
"""


def test_a_full_disk_fails_every_output_with_its_cause_and_keeps_the_earlier_file(bundled,
                                                                                  tmp_path):
    commands, outs = {}, {}
    for name in ("report", "sweep", "export", "simulate"):
        outs[name] = out = tmp_path / f"{name}.{'html' if name == 'report' else 'parquet'}"
        out.write_bytes(b"earlier")
        commands[name] = _writers(bundled, out)[name]
    done = subprocess.run([sys.executable, "-c", FULL_DISK_OUTPUTS, json.dumps(commands)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    for name, (code, output, exception) in json.loads(done.stdout).items():
        out = outs[name]
        assert (code, exception) == (1, "SystemExit"), (name, output)
        assert f"cannot write {out}: File too large; nothing was written" in output, name
        assert out.read_bytes() == b"earlier" and _leftovers(out) == [], name


# --- two writers while a server is under load --------------------------------------------------

TOKEN = "faults-token-1"
# Another writing process: tries to write one event over and over, and says how it went.
OTHER_WRITER = """
import sys, time
from detente.errors import StoreLockedError
from detente.events.store import Store
from tests.test_store import missile
deadline, wrote, locked = time.monotonic() + float(sys.argv[2]), 0, 0
while time.monotonic() < deadline:
    try:
        with Store(sys.argv[1]) as store:
            wrote += store.ingest_events([missile(f"other-{wrote}", "2019-01-01")]).added
    except StoreLockedError:
        locked += 1
    time.sleep(0.01)
print(wrote, locked)
"""


def _serve(db: Path, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "detente", "serve", "--db", str(db),
                             "--port", str(port), "--workers", str(workers), "--store-wait", "5"],
                            env={**os.environ, "DETENTE_TOKEN": TOKEN}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url, seen, deadline = f"http://127.0.0.1:{port}", set(), time.monotonic() + 60
    while len(seen) < workers:
        try:
            seen.add(httpx.get(f"{url}/api/health", timeout=5).json()["worker"])
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not start: {proc.stdout.read()}")
    return proc, url


def test_two_writers_under_server_load_keep_the_one_writer_rule(tmp_path):
    # With the store file opened and closed outside DuckDB, a worker lost its lock while
    # reading: another process wrote meanwhile, and readers got 500 "Could not read enough
    # bytes" and dropped connections.
    db = tmp_path / "events.duckdb"
    with Store(db, empty=True) as store:
        store.ingest_events([missile(f"m{i}", f"2017-07-{i + 1:02d}") for i in range(20)])
        before = store.count()
    server, url = _serve(db, workers=2)
    stop, problems, answers, api_added = threading.Event(), [], [0], [0]

    def reader(k: int) -> None:
        paths = ["/api/events?actor=PRK&limit=20", "/api/health",
                 "/api/events?where=class=SRBM&limit=5"]
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                try:
                    r = client.get(paths[(answers[0] + k) % len(paths)])
                except httpx.HTTPError as exc:  # a dropped connection
                    problems.append(repr(exc))
                    continue
                answers[0] += 1
                if r.status_code != 200:
                    problems.append(f"{r.status_code} {r.text[:200]}")

    def api_writer() -> None:
        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            n = 0
            while not stop.is_set():
                event = {"date": "2019-01-02", "actor": "PRK", "kind": "missile_test",
                         "attrs": {"class": "SRBM"}, "source": "api", "source_ref": f"api-{n}"}
                r = client.post("/api/events", json={"events": [event]})
                n += 1
                if r.status_code == 200:
                    api_added[0] += r.json()["added"]
                elif r.status_code != 503:  # 503: the other writer held the store too long
                    problems.append(f"write {r.status_code} {r.text[:200]}")
                time.sleep(0.05)

    src = tmp_path / "cli.json"
    src.write_text(json.dumps([{"date": "2019-01-03", "actor": "PRK", "kind": "missile_test",
                                "source": "cli", "source_ref": "cli-1"}]))
    other = subprocess.Popen([sys.executable, "-c", OTHER_WRITER, str(db), "2.5"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=Path(__file__).resolve().parent.parent)
    cli = subprocess.Popen([sys.executable, "-m", "detente", "events", "ingest", str(src),
                            "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    threads = [threading.Thread(target=reader, args=(k,)) for k in range(6)]
    threads.append(threading.Thread(target=api_writer))
    for t in threads:
        t.start()
    try:
        out, err = other.communicate(timeout=60)
        cli_err = cli.communicate(timeout=60)[1]
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        server.terminate()
        server.wait(30)
    assert other.returncode == 0, err
    other_added = int(out.split()[0])
    assert cli.returncode in (0, 3) and "Traceback" not in cli_err, cli_err
    cli_added = 1 if cli.returncode == 0 else 0
    assert problems == [] and answers[0] > 100, (problems[:5], answers)
    with Store(db) as store:  # and the store holds exactly what every writer was told
        assert store.count() == before + api_added[0] + other_added + cli_added
        assert store.count(source="api") == api_added[0] > 0
