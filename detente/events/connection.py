"""Opening the store's DuckDB file: a lock held by another process is named, with its
command line, so the user knows what to stop."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import duckdb

from detente.errors import StoreError, StoreLockedError

_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<exe>\S+) \(PID (?P<pid>\d+)\)")


def describe_process(pid: str) -> str:
    """``PID n: its command line`` (from /proc), or ``PID n``."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"PID {pid}"
    cmd = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return f"PID {pid}: {cmd[:200]}" if cmd else f"PID {pid}"


def connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the store at ``path``; ``StoreLockedError`` naming the process that
    holds it, ``StoreError`` for any other failure."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        match = _LOCK_RE.search(str(exc))
        if match:
            raise StoreLockedError(
                f"the event store {path} is in use by another process "
                f"({describe_process(match['pid'])}); DuckDB allows one writer at a time. "
                "Stop that process, wait for it to finish, or pass another --db."
            ) from None
        raise StoreError(f"cannot open the event store {path}: {exc}") from None
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the event store {path}: {exc}") from None


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if there still is one: a COMMIT that failed (a full
    disk) has ended it already, and DuckDB's refusal to roll back would hide that cause."""
    with contextlib.suppress(duckdb.TransactionException):
        con.rollback()
