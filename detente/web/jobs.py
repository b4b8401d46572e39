"""Background simulation jobs, shared by every worker process through a folder.

A simulation larger than ``Settings.sync_runs`` becomes a job: ``POST /api/simulate`` answers
202 with its id, and ``GET /api/simulate/{id}`` reports ``queued``, ``running``, ``done`` (with
the result) or ``failed`` (with the error message).

Each job is one JSON file ``<id>.json`` in the jobs folder, replaced atomically (written to a
temporary file, then ``os.replace``), so any worker answers for any job and never reads half a
file. Counting the active jobs and creating a new one happen under an exclusive ``fcntl`` lock
on ``.lock`` in the folder, so the limit holds across workers. The worker that accepted a job
runs it (one at a time per worker) and is the only one writing its file, recording its process
id and start time. If that process dies (killed, crashed; a restart by uvicorn is a new
process), the next worker to read the job marks it ``failed`` ("the worker running it
stopped"), which frees its place; the job is not restarted: submit it again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from detente.errors import BusyError, DetenteError, NotFoundError

ACTIVE = ("queued", "running")
JOB_ID_RE = re.compile(r"^[0-9a-f]{16}$")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


_PROC = Path("/proc/self/stat").exists()


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None if there is
    no such process: with the pid it tells a live owner from a new process reusing its id.
    Without /proc: "?" for any live process."""
    if not _PROC:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return raw.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def _owner() -> tuple[int, str | None]:
    return os.getpid(), _started(os.getpid())


@dataclass
class Job:
    id: str
    kind: str
    params: dict[str, Any]
    status: str = "queued"
    submitted: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    pid: int = 0
    pid_started: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "params": self.params,
                "submitted": self.submitted, "started": self.started,
                "finished": self.finished, "result": self.result, "error": self.error,
                "url": f"/api/simulate/{self.id}"}

    def owner_alive(self) -> bool:
        started = _started(self.pid) if self.pid else None
        return started is not None and (started == self.pid_started or started == "?")


class JobQueue:
    """At most ``max_active`` jobs queued or running across every process sharing ``folder``
    (None: a temporary folder removed at shutdown); the last ``kept`` finished ones stay
    readable."""

    def __init__(self, max_active: int, kept: int, folder: Path | None = None):
        self.max_active, self.kept = max_active, kept
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="detente-jobs-")) if folder is None \
            else Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detente-job")
        self._mine: dict[str, Future] = {}  # this process's active jobs
        self._mine_lock = threading.Lock()

    # --- files ---------------------------------------------------------------------------------

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.folder / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, job: Job) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{job.id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(asdict(job), out, default=str)
            os.replace(tmp, self._path(job.id))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _read(self, path: Path) -> Job | None:
        try:
            return Job(**json.loads(path.read_text()))
        except FileNotFoundError:  # trimmed meanwhile
            return None

    def _settle(self, job: Job) -> Job:
        """An active job whose process is gone is failed (call with the lock held)."""
        if job.status in ACTIVE and job.id not in self._mine and not job.owner_alive():
            job.status, job.finished = "failed", _now()
            job.error = (f"the worker process running this job stopped (PID {job.pid}) before "
                         "it finished; submit it again")
            self._write(job)
        return job

    def _all(self) -> list[Job]:
        jobs = [self._read(p) for p in self.folder.glob("*.json")]
        return [self._settle(j) for j in jobs if j is not None]

    # --- the queue -----------------------------------------------------------------------------

    def active(self) -> int:
        with self._locked():
            return sum(1 for j in self._all() if j.status in ACTIVE)

    def submit(self, kind: str, params: dict[str, Any],
               work: Callable[[], dict[str, Any]]) -> Job:
        with self._locked():
            jobs = self._all()
            if sum(1 for j in jobs if j.status in ACTIVE) >= self.max_active:
                raise BusyError(f"the server already has {self.max_active} simulations queued "
                                "or running; try again when one has finished")
            pid, started = _owner()
            job = Job(secrets.token_hex(8), kind, params, pid=pid, pid_started=started)
            self._write(job)
            self._trim(jobs)
            with self._mine_lock:
                self._mine[job.id] = self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[], dict[str, Any]]) -> None:
        job.status, job.started = "running", _now()
        self._write(job)
        try:
            job.result = work()
            job.status = "done"
        except DetenteError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # a bug must not kill the worker thread; report it
            job.error, job.status = f"internal error: {type(exc).__name__}: {exc}", "failed"
        finally:
            job.finished = _now()
            self._write(job)
            with self._mine_lock:
                self._mine.pop(job.id, None)

    def _trim(self, jobs: list[Job]) -> None:
        def written(job: Job) -> int:  # a finished job's file was last written when it ended
            try:
                return self._path(job.id).stat().st_mtime_ns
            except FileNotFoundError:
                return 0

        finished = sorted((j for j in jobs if j.status not in ACTIVE), key=written)
        for job in finished[:max(0, len(finished) - self.kept)]:
            with contextlib.suppress(FileNotFoundError):
                self._path(job.id).unlink()

    def get(self, job_id: str) -> Job:
        job = self._read(self._path(job_id)) if JOB_ID_RE.match(job_id) else None
        if job is None:
            raise NotFoundError(f"no simulation job {job_id!r} (finished jobs are kept for the "
                                f"last {self.kept})")
        if job.status in ACTIVE and job.id not in self._mine and not job.owner_alive():
            with self._locked():
                job = self._settle(self._read(self._path(job_id)) or job)
        return job

    def shutdown(self) -> None:
        """Stop taking jobs; queued ones of this process fail (a running one finishes)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._mine_lock:
            cancelled = [k for k, future in self._mine.items() if future.cancelled()]
        for job_id in cancelled:
            job = self._read(self._path(job_id))
            if job is not None:
                job.status, job.finished = "failed", _now()
                job.error = "the server stopped before this job ran; submit it again"
                self._write(job)
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
