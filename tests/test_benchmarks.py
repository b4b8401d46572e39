"""Every benchmark script runs end to end (at toy sizes) and ends with its machine-readable
figures, so the scripts behind the README's performance table cannot rot unnoticed. Timings
themselves are not asserted: they are measured by running the scripts at full size."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURE = re.compile(r"^([a-z0-9_]+): (-?[\d,]+(?:\.\d+)?)$")

RUNS = {
    "bench_store.py": (["--rows", "20000"],
                       {"ingest_parquet_rows_per_s", "floor_parquet_rows_per_s",
                        "floor_store_layout_and_key_count_rows_per_s",
                        "ingest_parquet_share_of_floor",
                        "ingest_csv_rows_per_s", "query_ratio_vs_pandas"}),
    "bench_interop.py": (["--rows", "20000", "--memory-limit", "500MB"],
                         {"peak_memory_mb", "ingest_rows_per_s", "ratio_vs_pandas",
                          "floor_ratio_vs_pandas", "arrow_floor_ratio_vs_pandas",
                          "ingest_share_of_floor"}),
    "bench_monitor.py": (["--rows", "20000", "--big-rows", "40000", "--starts", "20",
                          "--baseline-sample", "4"], {"whatif_ratio_vs_naive"}),
    "bench_simulate.py": (["--seconds", "0.2", "--ipd-runs", "2000", "--runs", "2000",
                           "--periods", "52"], {"seconds_1m_x_520", "ratio_vs_axelrod"}),
    "bench_evaluate.py": (["--agreements", "post-olympic-pause", "--from", "2016", "--to",
                           "2017", "--runs", "8"], {"evaluate_seconds"}),
    "bench_scale.py": (["--rows", "20000"], {"rows_per_s_one_process", "rows_per_s_1_worker",
                                             "rows_per_s_2_workers", "speedup_2_workers"}),
    "bench_web.py": (["--rows", "5000", "--clients", "4", "--requests", "200", "--seconds", "5",
                      "--workers", "1"], {"p99_ms", "ratio_p50_library_vs_api",
                                          "mixed_read_p99_ms"}),
}
HEADLINES = {"bench_store.py": "query_ratio_vs_pandas",
             "bench_interop.py": "ingest_share_of_floor",
             "bench_monitor.py": "whatif_ratio_vs_naive", "bench_simulate.py": "ratio_vs_axelrod",
             "bench_scale.py": "speedup_2_workers",
             "bench_web.py": "p99_ms", "bench_evaluate.py": "evaluate_seconds"}
# bench_dialogue.py has no size options (it is the 1,000-scenario goal itself, ~16 s): left to
# the full-size runs.


@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs_and_prints_its_figures(script):
    args, expected = RUNS[script]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = {}
    for line in done.stdout.splitlines():
        match = FIGURE.match(line.strip())
        if match:
            figures[match[1]] = float(match[2].replace(",", ""))
    assert figures, done.stdout[-2000:]
    assert expected <= set(figures), (expected - set(figures), done.stdout[-2000:])
    assert all(value == value for value in figures.values())  # no NaN
    # The headline figure is the last line, so runs can be compared by it (issue 7).
    last = FIGURE.match(done.stdout.strip().splitlines()[-1].strip())
    assert last is not None and last[1] == HEADLINES[script], done.stdout[-500:]


def test_the_interop_profile_names_each_statements_costliest_operators():
    """``bench_interop.py --profile``: DuckDB's profile of detente's ingest (one INSERT that
    reads, checks, sorts and writes the file) and of the floor's one statement, read back from
    the profiler's output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_interop.py"),
                           "--rows", "20000", "--repeat", "1", "--profile"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    text = done.stdout
    ours, floor = text.split("profile of detente's ingest:")[1].split("profile of the floor:")
    insert = ours.split("INSERT INTO stored_events", 1)[1].split("\n")[1]  # its operators
    assert "READ_CSV" in insert and "ORDER_BY" in insert
    assert "CREATE TEMP TABLE _tab_" not in ours  # no check pass of its own
    assert "CREATE TABLE events AS" in floor and "READ_CSV" in floor
    assert re.search(r"profile of the floor: 1 statements, \d+\.\d s", text)
