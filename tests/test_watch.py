"""The watch: ingest arriving files, alert once per breach/status/window, deliver to the console,
a JSON-lines log and a real local webhook, across real restarts of a killed process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from detente.agreements import spec as spec_lib
from detente.events.store import Store
from detente.watch import AlertLog, Watch, Webhook, alerts_of
from tests.conftest import FIXTURES, REPO

INTEROP = FIXTURES / "interop"
FIRST = INTEROP / "20170720000000.export.CSV"

SPEC = """\
id: test-pause
title: Test pause
parties: [PRK, USA]
start: 2017-07-01
commitments:
  - id: prk-no-provocation
    party: PRK
    refrains_from:
      - {kind: provocation}
    verification: {means: news, detection: 0.9, delay_days: 1, false_alarm: 0.05}
  - id: usa-no-sanctions
    party: USA
    refrains_from:
      - {kind: sanctions_designation}
    verification: {means: lists, detection: 1.0, delay_days: 0, false_alarm: 0.0}
reciprocity: mutual
"""
# FIRST implies: USA breaches on 07-05 (sanctions); PRK's 07-12 provocation is a response;
# status holding (07-01), breached by USA (07-05), collapsed (07-12); a 11-day quiet window
# ended on 07-12 and a quiet window open since 07-13.
FIRST_KINDS = {"breach": 1, "status": 3, "window_ended": 1, "window_open": 1}


def gdelt_line(event_id: int, day: str, a1: str, a2: str, code: str, goldstein: float) -> str:
    names = {"PRK": "NORTH KOREA", "USA": "UNITED STATES"}
    f = FIRST.read_text().splitlines()[0].split("\t")
    f[0], f[1], f[7], f[17], f[26], f[30] = str(event_id), day, a1, a2, code, str(goldstein)
    f[5], f[6], f[15], f[16] = a1 + "GOV", names[a1], a2 + "GOV", names[a2]
    f[59] = day + "120000"
    return "\t".join(f)


def second_file(folder: Path) -> Path:
    """A USA sanction on 07-25 (a new breach) and a PRK fight on 07-28 (ends the window; the
    record now ends that day, so no window is open)."""
    path = folder / "20170730000000.export.CSV"
    path.write_text(gdelt_line(680000201, "20170725", "USA", "PRK", "163", -8.0) + "\n"
                    + gdelt_line(680000202, "20170728", "PRK", "USA", "190", -10.0) + "\n")
    return path


class Hook:
    """A real local HTTP server standing in for a webhook receiver."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.keys: list[str] = []
        self.fail = 0  # answer 500 to this many requests first
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.fail > 0:
                    hook.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                hook.received.append(json.loads(body))
                hook.keys.append(self.headers["Idempotency-Key"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.close()


def watch_setup(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """(spec, feed folder holding FIRST, empty store, log path) in ``tmp_path``."""
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / FIRST.name).write_bytes(FIRST.read_bytes())
    spec_path = tmp_path / "pact.yaml"
    spec_path.write_text(SPEC)
    store_path = tmp_path / "events.duckdb"
    Store(store_path, empty=True).close()
    return spec_path, feed, store_path, tmp_path / "alerts.jsonl"


@pytest.fixture
def setup(tmp_path):
    return watch_setup(tmp_path)


def make_watch(setup, hook=None, lines=None, **kw) -> Watch:
    spec_path, feed, store_path, log = setup
    return Watch(spec_lib.load(spec_path), feed, store_path=store_path, log=log,
                 webhook=Webhook(hook.url, timeout=2, retries=1, pause=0.01, backoff=0.05)
                 if hook else None, window_days=3, settle=0.0,
                 echo=(lines.append if lines is not None else lambda _: None), **kw)


def log_ids(log: Path) -> list[str]:
    return [json.loads(x)["id"] for x in log.read_text().splitlines()] if log.exists() else []


def kinds(alerts) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in alerts:
        k = a.kind if hasattr(a, "kind") else a["kind"]
        out[k] = out.get(k, 0) + 1
    return out


def test_one_cycle_alerts_every_channel(setup, hook):
    lines: list[str] = []
    w = make_watch(setup, hook, lines)
    result = w.cycle(once=True)
    assert [i.result.added for i in result.ingested] == [12]
    assert kinds(result.new_alerts) == FIRST_KINDS
    breach = next(a for a in result.new_alerts if a.kind == "breach")
    assert breach.payload["party"] == "USA" and breach.payload["date"] == "2017-07-05"
    assert breach.payload["event"]["source_ref"] == "680000002"
    statuses = [a.payload["label"] for a in result.new_alerts if a.kind == "status"]
    assert statuses == ["holding", "breached by USA", "collapsed"]
    assert sum(x.startswith("ALERT ") for x in lines) == 6
    ids = log_ids(setup[3])
    assert len(ids) == len(set(ids)) == 6
    assert sorted(hook.keys) == sorted(ids) and sorted(r["id"] for r in hook.received) == \
        sorted(ids)
    assert result.delivered == {"console": 6, "log": 6, "webhook": 6}
    with Store(setup[2], read_only=True) as store:
        recorded = alerts_of(store, w.id)
    assert all(a["logged_at"] and a["webhook_at"] and a["console_at"] for a in recorded)


def test_cycles_repeat_nothing_and_new_files_add_only_new_alerts(setup, hook):
    w = make_watch(setup, hook)
    w.cycle(once=True)
    again = w.cycle(once=True)
    assert again.ingested == () and again.new_alerts == ()
    second_file(setup[1])
    third = w.cycle(once=True)
    assert [i.result.added for i in third.ingested] == [2]
    new = kinds(third.new_alerts)
    assert new == {"breach": 1, "window_ended": 1}  # the record now ends on a provocation
    assert next(a for a in third.new_alerts if a.kind == "breach").payload["date"] == \
        "2017-07-25"
    ids = log_ids(setup[3])
    assert len(ids) == len(set(ids)) == 8 and len(hook.received) == 8
    # A new watch object (a restart, in process) on the same store repeats nothing.
    fresh = make_watch(setup, hook).cycle(once=True)
    assert fresh.new_alerts == () and len(log_ids(setup[3])) == 8 and len(hook.received) == 8


def test_failed_webhook_is_recorded_and_retried_until_delivered(setup, hook):
    hook.fail = 2  # the first delivery attempt fails (two tries: retries=1)
    lines: list[str] = []
    w = make_watch(setup, hook, lines)
    first = w.cycle(once=True)
    assert first.delivered["webhook"] == 0 and first.pending["webhook"] == 6
    assert any("webhook failed" in x for x in lines)
    with Store(setup[2], read_only=True) as store:
        failed = [a for a in alerts_of(store, w.id) if a["webhook_error"]]
    assert len(failed) == 1 and failed[0]["webhook_attempts"] == 1
    assert "HTTP 500" in failed[0]["webhook_error"]
    assert len(log_ids(setup[3])) == 6  # other channels are not held up
    time.sleep(0.1)  # past the back-off
    second = w.cycle(once=True)
    assert second.delivered["webhook"] == 6 and second.pending["webhook"] == 0
    assert sorted(hook.keys) == sorted(log_ids(setup[3]))


def test_unreachable_webhook_keeps_alerts_pending(setup):
    spec_path, feed, store_path, log = setup
    w = Watch(spec_lib.load(spec_path), feed, store_path=store_path, log=log,
              webhook=Webhook("http://127.0.0.1:9/none", timeout=0.5, retries=0, backoff=60),
              window_days=3, settle=0.0, echo=lambda _: None)
    result = w.cycle(once=True)
    assert result.pending["webhook"] == 6 and result.delivered["log"] == 6
    # Not due yet: the next cycle does not try again.
    assert w.cycle(once=True).delivered["webhook"] == 0
    with Store(store_path, read_only=True) as store:
        attempts = [a["webhook_attempts"] for a in alerts_of(store, w.id)]
    assert sorted(attempts) == [0, 0, 0, 0, 0, 1]


def test_files_still_being_written_wait(setup):
    w = make_watch(setup)
    w.cycle(once=True)
    part = setup[1] / "20170730000000.export.CSV.part"
    second_file(setup[1]).rename(part)
    assert w.cycle(once=True).ingested == ()
    part.rename(part.with_suffix(""))
    assert [i.result.added for i in w.cycle(once=True).ingested] == [2]


def test_refused_file_alerts_once_and_is_retried_when_it_changes(setup):
    w = make_watch(setup)
    w.cycle(once=True)
    broken = second_file(setup[1])
    text = broken.read_text()
    broken.write_text(text[:-50])  # no final newline: refused
    first = w.cycle(once=True)
    assert len(first.failed) == 1 and kinds(first.new_alerts) == {"ingest_failed": 1}
    assert w.cycle(once=True).new_alerts == ()  # same content: not retried, not re-alerted
    broken.write_text(text)
    fixed = w.cycle(once=True)
    assert [i.result.added for i in fixed.ingested] == [2]


def test_rejects_go_to_the_rejects_directory_not_the_feed(setup, tmp_path):
    rejects = tmp_path / "rejects"
    rejects.mkdir()
    w = make_watch(setup, rejects=rejects)
    (setup[1] / "20170721000000.export.CSV").write_bytes(
        (INTEROP / "20170721000000.export.CSV").read_bytes())
    result = w.cycle(once=True)
    assert sum(i.summary.rejected for i in result.ingested) == 11
    assert list(rejects.iterdir()) and not list(setup[1].glob("*.rejects.jsonl"))


def test_alert_log_drops_a_torn_last_line(tmp_path):
    log = tmp_path / "alerts.jsonl"
    log.write_text('{"id": "a1", "kind": "status"}\n{"id": "a2", "ki')
    alert_log = AlertLog(log)
    assert alert_log.ids == {"a1"} and log.read_text() == '{"id": "a1", "kind": "status"}\n'
    assert alert_log.append({"id": "a2"}) and not alert_log.append({"id": "a1"})
    assert log_ids(log) == ["a1", "a2"]


# --- real restarts ------------------------------------------------------------------------------

def start(setup, hook_url: str) -> subprocess.Popen:
    spec_path, feed, store_path, log = setup
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "detente", "watch", str(spec_path), "--source", str(feed),
         "--interval", "0.2", "--settle", "0", "--window-days", "3", "--log", str(log),
         "--webhook", hook_url, "--webhook-timeout", "2", "--db", str(store_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def kill(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=10)
    return out.decode()


def test_killed_and_restarted_watch_loses_and_repeats_nothing(setup, hook):
    log = setup[3]
    proc = start(setup, hook.url)
    try:
        wait_for(lambda: len(log_ids(log)) == 6 and len(set(hook.keys)) == 6)
    finally:
        first_output = kill(proc)
    assert first_output.count("ALERT ") == 6
    # The kill may land between a webhook's answer and its mark in the store: that alert is
    # sent again by the next run, with the same Idempotency-Key (at least once, as documented).
    delivered = len(hook.received)
    second_file(setup[1])  # arrives while the watch is down
    hook.fail = 10 ** 6    # and the webhook is down when it comes back
    proc = start(setup, hook.url)
    try:
        wait_for(lambda: len(log_ids(log)) == 8)
        time.sleep(0.5)  # a few polls with failing deliveries
    finally:
        second_output = kill(proc)
    assert second_output.count("ALERT ") == 2  # only the new ones reach the console
    assert len(hook.received) == delivered  # the webhook was down: nothing got through
    hook.fail = 0          # the webhook recovers; the next run delivers what is pending
    proc = start(setup, hook.url)
    try:
        wait_for(lambda: len(set(hook.keys)) == 8)
    except AssertionError:
        raise AssertionError(f"webhook got {len(set(hook.keys))} of 8 alerts; watch said:\n"
                             f"{kill(proc)}") from None
    time.sleep(0.5)  # a few more polls: nothing is sent again
    kill(proc)
    ids = log_ids(log)
    assert len(ids) == len(set(ids)) == 8
    assert sorted(set(hook.keys)) == sorted(ids)
    # Repeats only for what the first kill caught in flight, and only once each.
    assert len(hook.keys) - len(set(hook.keys)) <= 1
    with Store(setup[2], read_only=True) as store:
        recorded = alerts_of(store)
    assert sorted(a["id"] for a in recorded) == sorted(ids)
    assert kinds(recorded) == {"breach": 2, "status": 3, "window_ended": 2, "window_open": 1}


def test_store_and_log_inside_the_source_are_not_inputs(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / FIRST.name).write_bytes(FIRST.read_bytes())
    (tmp_path / "pact.yaml").write_text(SPEC)
    store_path = feed / "events.duckdb"
    Store(store_path, empty=True).close()
    w = Watch(spec_lib.load(tmp_path / "pact.yaml"), feed, store_path=store_path,
              log=feed / "alerts.jsonl", window_days=3, settle=0.0, echo=lambda _: None)
    result = w.cycle(once=True)
    assert [Path(i.file).name for i in result.ingested] == [FIRST.name] and not result.failed
    assert w.cycle(once=True).failed == ()


def test_declared_feed_coverage_grows_with_each_cycle_and_blind_commitments_alert(setup):
    import datetime as dt

    _, feed, store_path, _ = setup
    cov = feed.parent / "feed-coverage.yaml"
    # The feed reports provocations by PRK completely, from 2017-07-01 and still going; nothing
    # covers US sanctions, so the US commitment is blind all along.
    cov.write_text("gdelt-feed:\n  - kinds: [provocation]\n    actors: [PRK]\n"
                   "    from: 2017-07-01\n    to: ongoing\n    completeness: partial\n")
    lines: list[str] = []
    w = make_watch(setup, lines=lines, coverage=cov)
    result = w.cycle(once=True)
    blind = [a for a in result.new_alerts if a.kind == "blind"]
    assert [(a.payload["commitment"], a.payload["date"]) for a in blind] == [
        ("usa-no-sanctions", "2017-07-01")]
    assert "no source covers sanctions_designation by USA" in blind[0].text
    with Store(store_path, read_only=True) as store:
        assert store.record_end() == dt.datetime.now(dt.UTC).date()
        assert len(store.coverage()) == 1
    # The next cycle extends the same declaration (no pile of rows) and repeats no alert.
    again = w.cycle(once=True)
    assert again.new_alerts == ()
    with Store(store_path, read_only=True) as store:
        assert len(store.coverage()) == 1


def test_a_coverage_file_with_ongoing_outside_watch_is_refused(tmp_path):
    from detente.errors import SpecError
    from detente.events import coverage

    path = tmp_path / "c.yaml"
    path.write_text("feed:\n  - kinds: [provocation]\n    actors: [PRK]\n"
                    "    from: 2017-07-01\n    to: ongoing\n")
    with pytest.raises(SpecError, match="'ongoing' is for a feed watched") as info:
        coverage.read(path)
    assert info.value.problems[0].line == 5 and info.value.problems[0].field == "feed.0.to"
