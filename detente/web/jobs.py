"""Background simulation jobs: bounded in number, run one at a time, kept for a while.

A simulation larger than ``Settings.sync_runs`` becomes a job: ``POST /api/simulate`` answers
202 with its id, and ``GET /api/simulate/{id}`` reports ``queued``, ``running``, ``done`` (with
the result) or ``failed`` (with the error message).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from detente.errors import BusyError, DetenteError, NotFoundError


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "params": self.params,
                "submitted": self.submitted, "started": self.started,
                "finished": self.finished, "result": self.result, "error": self.error,
                "url": f"/api/simulate/{self.id}"}


class JobQueue:
    """At most ``max_active`` jobs queued or running; the last ``kept`` finished ones stay
    readable."""

    def __init__(self, max_active: int, kept: int):
        self.max_active, self.kept = max_active, kept
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detente-job")

    def active(self) -> int:
        return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    def submit(self, kind: str, params: dict[str, Any],
               work: Callable[[], dict[str, Any]]) -> Job:
        with self._lock:
            if self.active() >= self.max_active:
                raise BusyError(f"the server already has {self.max_active} simulations queued "
                                "or running; try again when one has finished")
            job = Job(secrets.token_hex(8), kind, params)
            self._jobs[job.id] = job
            self._trim()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[], dict[str, Any]]) -> None:
        job.status, job.started = "running", _now()
        try:
            job.result = work()
            job.status = "done"
        except DetenteError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # a bug must not kill the worker thread; report it
            job.error, job.status = f"internal error: {type(exc).__name__}: {exc}", "failed"
        finally:
            job.finished = _now()

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status in ("done", "failed")]
        for key in finished[:max(0, len(finished) - self.kept)]:
            del self._jobs[key]

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no simulation job {job_id!r} (finished jobs are kept for the "
                                f"last {self.kept})")
        return job

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
