"""Connections of ``detente serve``: a deadline for each request's headers, and a cap.

uvicorn times out an idle keep-alive connection, but not one that never finishes its first
request's headers: such half-open connections were held forever, and about 20,000 of them used
up the server's file descriptors, so real clients got resets. This protocol (uvicorn's
httptools protocol, which ``uvicorn[standard]`` installs) adds:

* **header timeout**: a connection waiting for a request's headers (new, or between keep-alive
  requests) is closed when they are not complete within ``header_timeout`` seconds;
* **connection cap**: at most ``max_connections`` open connections per worker process (fewer
  when the process may open fewer files, keeping ``RESERVED_FILES`` for the store and the
  jobs). A connection over the cap closes the oldest one still waiting for its headers; when
  none is waiting (all are being answered), the new one gets 503 and is closed.

The limits are set per process by :func:`configure` (``create_app`` calls it, in each worker).
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

RESERVED_FILES = 64
IMPORT_PATH = "detente.web.connections:GuardedProtocol"
_BUSY_BODY = (b'{"message": "the server has as many connections as it allows; retry shortly", '
              b'"type": "BusyError", "problems": []}')
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
         b"retry-after: 1\r\nconnection: close\r\ncontent-length: "
         + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)


def file_limit() -> int:
    """How many files this process may have open (its soft RLIMIT_NOFILE)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def connection_cap(wanted: int) -> int:
    """``wanted``, lowered to what the file limit allows beside ``RESERVED_FILES``."""
    return max(1, min(wanted, file_limit() - RESERVED_FILES))


def configure(header_timeout: float, max_connections: int) -> None:
    """Set this process's limits (see the module docstring)."""
    GuardedProtocol.header_timeout = header_timeout
    GuardedProtocol.max_connections = connection_cap(max_connections)


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a header timeout and a connection cap."""

    header_timeout: float = 10.0
    max_connections: int = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        # Connections of this process waiting for headers, oldest first (detente's own
        # attribute on uvicorn's per-process state, which does not declare it).
        if not hasattr(self.server_state, "detente_waiting"):
            self.server_state.detente_waiting = OrderedDict()  # type: ignore[attr-defined]
        self.waiting: OrderedDict[GuardedProtocol, None] = self.server_state.detente_waiting  # type: ignore[attr-defined]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            oldest = next(iter(self.waiting), None)
            if oldest is None:
                transport.write(_BUSY)
                transport.close()
                return
            oldest.transport.close()
            oldest._done_waiting()
        self._await_headers()

    def _await_headers(self) -> None:
        self.waiting[self] = None
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _done_waiting(self) -> None:
        self.waiting.pop(self, None)
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self in self.waiting:
            self.waiting.pop(self, None)
            if not self.transport.is_closing():
                self.transport.close()

    def on_headers_complete(self) -> None:
        self._done_waiting()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None
                                                or self.cycle.response_complete):
            self._await_headers()  # the next request's headers (or keep-alive's end)

    def connection_lost(self, exc: Exception | None) -> None:
        self._done_waiting()
        super().connection_lost(exc)
