"""How the server touches the DuckDB file: read-only per request, write only for an ingest.

DuckDB allows one writing process, and inside one process all connections to a file must share
one configuration. So the server never keeps a connection between requests (another process,
e.g. ``detente events ingest``, can write while the server is idle), readers open the file
read-only, and a write waits until no reader is open (a readers-writer lock), opens it for
writing, ingests, and closes it again.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from detente.events.store import Store


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


class StoreAccess:
    """Opens the store for one request at a time (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = ReadWriteLock()
        self.generation = 0  # bumped by every write made through this object

    def ensure(self) -> None:
        """Create the store (with the bundled record) if the file does not exist yet."""
        if not self.path.exists():
            with self.lock.exclusive():
                if not self.path.exists():
                    Store(self.path).close()
                    self.generation += 1

    @contextlib.contextmanager
    def read(self) -> Iterator[Store]:
        with self.lock.shared(), Store(self.path, read_only=True) as store:
            yield store

    @contextlib.contextmanager
    def write(self) -> Iterator[Store]:
        with self.lock.exclusive():
            try:
                with Store(self.path) as store:
                    yield store
            finally:
                self.generation += 1

    def signature(self) -> tuple:
        """Changes whenever the store's contents may have changed (this process's writes,
        or another process's: the file or its write-ahead log changes)."""
        parts: list = [self.generation]
        for candidate in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = os.stat(candidate)
                parts.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                parts.append(None)
        return tuple(parts)
