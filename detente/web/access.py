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

# A write by another process shows in the inode, size, modification or change time of the store
# file or its write-ahead log. File systems stamp times in ticks (a few milliseconds on Linux,
# up to 2 s on some): a write landing in the same tick as the previous one, at the same sizes,
# would leave all of them alike. So a signature whose newest stamp is younger than RACY_NS is
# not trusted for long (``settled``). Stamps with no digits below the millisecond come from a
# coarse file system.
RACY_NS = 50_000_000
COARSE_RACY_NS = 2_000_000_000


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
        another process's (the file or its write-ahead log changes). Taken while the store is
        open read-only, it describes exactly what that connection reads, since no other process
        can write then.

        Only ``stat``: opening the file here, even read-only, and closing it would release
        every POSIX lock this process holds on it, DuckDB's included, and let another process
        open the store for writing while this one reads it."""
        parts: list = [self.generation]
        for candidate in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = os.stat(candidate)
            except FileNotFoundError:
                parts.append(None)
            else:
                parts.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        return tuple(parts)

    @staticmethod
    def settled(signature: tuple) -> bool:
        """Whether any later write is sure to change ``signature``: its newest time stamp is
        older than a tick of the file system's clock (see ``RACY_NS``)."""
        stamps = [t for part in signature[1:] if part for t in part[2:]]
        if not stamps:
            return True
        racy = COARSE_RACY_NS if all(t % 1_000_000 == 0 for t in stamps) else RACY_NS
        return time.time_ns() - max(stamps) >= racy
