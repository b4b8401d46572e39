"""The job folder shared by server workers: one limit across queues, any queue reads any job,
a job whose process died is failed and frees its place, finished jobs are trimmed; settings
reach the workers through one environment variable."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from detente.errors import BusyError, NotFoundError, ParameterError
from detente.web.jobs import Job, JobQueue
from detente.web.settings import SETTINGS_ENV, TOKEN_ENV, Settings


def _wait(queue: JobQueue, job_id: str, timeout: float = 10) -> Job:
    deadline = time.monotonic() + timeout
    job = queue.get(job_id)
    while job.status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.01)
        job = queue.get(job_id)
    return job


def test_two_queues_on_one_folder_share_the_limit_and_the_jobs(tmp_path):
    first, second = JobQueue(1, 10, tmp_path), JobQueue(1, 10, tmp_path)
    release = threading.Event()
    try:
        job = first.submit("simulate", {"runs": 1}, lambda: (release.wait(10), {"n": 1})[1])
        with pytest.raises(BusyError):
            second.submit("simulate", {"runs": 2}, lambda: {"n": 2})
        assert second.get(job.id).status in ("queued", "running")
        assert second.active() == 1
        release.set()
        assert _wait(second, job.id).to_json_dict()["result"] == {"n": 1}
        other = second.submit("simulate", {"runs": 2}, lambda: {"n": 2})  # the place is free
        assert _wait(first, other.id).result == {"n": 2}
    finally:
        release.set()
        first.shutdown()
        second.shutdown()


def test_failures_are_reported_and_unknown_ids_are_not_found(tmp_path):
    queue = JobQueue(2, 10, tmp_path)
    try:
        job = queue.submit("simulate", {}, lambda: 1 / 0)
        done = _wait(queue, job.id)
        assert done.status == "failed" and "ZeroDivisionError" in done.error
        for bad in ("feedfeedfeedfeed", "../etc/passwd", job.id.upper()):
            with pytest.raises(NotFoundError):
                queue.get(bad)
    finally:
        queue.shutdown()


def test_a_job_whose_process_died_fails_and_frees_its_place(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    orphan = Job("0123456789abcdef", "simulate", {"runs": 5}, status="running",
                 pid=int(dead.stdout), pid_started="1")
    (tmp_path / f"{orphan.id}.json").write_text(json.dumps(orphan.__dict__))
    queue = JobQueue(1, 10, tmp_path)
    try:
        got = queue.get(orphan.id)
        assert got.status == "failed" and "stopped" in got.error and got.finished
        assert json.loads((tmp_path / f"{orphan.id}.json").read_text())["status"] == "failed"
        job = queue.submit("simulate", {}, lambda: {"ok": True})  # not refused as busy
        assert _wait(queue, job.id).result == {"ok": True}
    finally:
        queue.shutdown()


def test_only_the_last_finished_jobs_are_kept(tmp_path):
    queue = JobQueue(1, 2, tmp_path)
    try:
        ids = []
        for i in range(5):
            job = queue.submit("simulate", {"i": i}, lambda i=i: {"i": i})
            ids.append(job.id)
            _wait(queue, job.id)
        kept = {p.stem for p in tmp_path.glob("*.json")}
        assert kept == set(ids[-3:])  # trimmed to 2 finished when the 5th was submitted
        assert not list(tmp_path.glob(".*.tmp"))  # every write was replaced atomically
    finally:
        queue.shutdown()


def test_a_queue_without_a_folder_makes_and_removes_its_own():
    queue = JobQueue(1, 1)
    folder = queue.folder
    job = queue.submit("simulate", {}, lambda: {"ok": 1})
    assert _wait(queue, job.id).status == "done" and folder.exists()
    queue.shutdown()
    assert not folder.exists()


def test_settings_travel_through_the_environment_without_the_token(tmp_path, monkeypatch):
    settings = Settings(db=tmp_path / "e.duckdb", token="secret-token-1", max_runs=123,
                        jobs_dir=tmp_path / "jobs", store_wait_seconds=2.5)
    encoded = settings.to_env()
    assert "secret-token-1" not in encoded
    monkeypatch.setenv(SETTINGS_ENV, encoded)
    monkeypatch.setenv(TOKEN_ENV, "another-token-2")
    again = Settings.from_env()
    assert again.max_runs == 123 and again.jobs_dir == tmp_path / "jobs"
    assert again.db == tmp_path / "e.duckdb" and again.store_wait_seconds == 2.5
    assert again.token == "another-token-2"
    monkeypatch.setenv(SETTINGS_ENV, json.dumps({"max_rums": 1}))
    with pytest.raises(ParameterError, match="max_rums"):
        Settings.from_env()
