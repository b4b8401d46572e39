"""How the server touches the DuckDB file: read-only per request, write only for an ingest.

DuckDB allows one writing process, and inside one process all connections to a file must share
one configuration. So the server never keeps a connection between requests (another process,
e.g. ``detente events ingest`` or another server worker, can write while this one is idle),
readers open the file read-only, and a write waits until no reader of this process is open (a
readers-writer lock), opens it for writing, ingests, and closes it again.

Across processes DuckDB's own file lock decides: a read-write open fails while any other
process has the file open (even read-only), and a read-only open fails while another process
writes. Such an open is retried with a short, growing pause for up to ``wait`` seconds (the
other process usually lets go within milliseconds); after that the request fails with
``StoreLockedError`` (503), whose message names the process holding the store.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from detente.errors import StoreLockedError
from detente.events.store import Store

# DuckDB keeps two database headers (at 4 KiB and 8 KiB) and rewrites one, with a new
# checksum and iteration counter, at every checkpoint: their bytes change with every write
# that reaches the file, even one landing in the same tick of a coarse file-system clock.
_HEADERS = ((4096, 16), (8192, 16))


class ReadWriteLock:
    """Many readers or one writer; a waiting writer keeps new readers out (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def retry_locked(open_store: Callable[[], Store], wait: float,
                 sleep: Callable[[float], None] = time.sleep) -> Store:
    """``open_store()``, retried while another process holds the store, for up to ``wait``
    seconds (pauses of 5 ms growing to 100 ms)."""
    deadline = time.monotonic() + wait
    pause = 0.005
    while True:
        try:
            return open_store()
        except StoreLockedError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreLockedError(f"{exc} (waited {wait:g} s for it)") from None
            sleep(min(pause, left))
            pause = min(pause * 2, 0.1)


class StoreAccess:
    """Opens the store for one request at a time (see the module docstring)."""

    def __init__(self, path: Path, wait: float = 10.0):
        self.path = Path(path)
        self.wait = wait
        self.lock = ReadWriteLock()
        self.generation = 0  # bumped by every write made through this object

    def _open(self, read_only: bool) -> Store:
        return retry_locked(lambda: Store(self.path, read_only=read_only), self.wait)

    def ensure(self) -> None:
        """Create the store (with the bundled record) if the file does not exist yet (another
        worker creating it at the same moment is waited for)."""
        if not self.path.exists():
            with self.lock.exclusive():
                if not self.path.exists():
                    self._open(read_only=False).close()
                    self.generation += 1

    @contextlib.contextmanager
    def read(self) -> Iterator[Store]:
        with self.lock.shared(), self._open(read_only=True) as store:
            yield store

    @contextlib.contextmanager
    def write(self) -> Iterator[Store]:
        with self.lock.exclusive():
            try:
                with self._open(read_only=False) as store:
                    yield store
            finally:
                self.generation += 1

    def signature(self) -> tuple:
        """Changes whenever the store's contents may have changed: this process's writes, or
        another process's (the file, its database headers or its write-ahead log change).
        Taken while the store is open read-only, it describes exactly what that connection
        reads, since no other process can write then."""
        parts: list = [self.generation]
        for candidate in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = os.stat(candidate)
                parts.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                parts.append(None)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return tuple(parts)
        try:
            parts.extend(os.pread(fd, size, offset) for offset, size in _HEADERS)
        finally:
            os.close(fd)
        return tuple(parts)
