"""Sweeps: grid parsing, parameters applied, and the same table bit for bit in one process,
on a local process pool, and on a Dask cluster (a LocalCluster with two worker processes)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.agreements import presets
from detente.cli import app
from detente.errors import ParameterError, SchedulerError
from detente.simulate import build_model
from detente.simulate.strategy import Generous, Grim
from detente.simulate.sweep import apply, parse_grid, sweep

RATES = ["--rate", "PRK=0.3", "--rate", "USA=0.1"]
GRIDS = ["detection@PRK=0.5:1.0:0.25", "false_alarm=0:0.02:0.01"]


@pytest.fixture(scope="module")
def model():
    built, _ = build_model(presets.load("post-olympic-pause"), rates={"PRK": 0.3, "USA": 0.1},
                           horizon="3y")
    return built


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def test_grids():
    g = parse_grid("detection=0.5:1.0:0.05")
    assert g.name == "detection" and g.party is None and len(g.values) == 11
    assert g.values[0] == 0.5 and g.values[-1] == 1.0 and g.values[3] == 0.65
    assert parse_grid("false_alarm@PRK=0,0.01,0.05").values == (0.0, 0.01, 0.05)
    assert parse_grid("forgiveness=0.3").values == (0.3,)
    assert parse_grid("false_alarm=0:0.05:0.01").column == "false_alarm"
    for bad in ("detection=1.0:0.5:0.1", "detection=0:1:0", "detection=0:1:-0.1",
                "detection=", "detection", "=0:1:0.5", "detection=a:b:c", "detection=0:1",
                "detection=0:1:0.1:5", "detection=nan", "delay_days=0:inf:1"):
        with pytest.raises(ParameterError):
            parse_grid(bad)


def test_parameters_applied(model):
    m, _ = apply(model, [Grim(), Grim()], parse_grid("detection@PRK=0.4"), 0.4)
    assert m.parties[0].monitors[0].detection == 0.4
    assert m.parties[1].monitors[0].detection == 1.0
    m, _ = apply(model, [Grim(), Grim()], parse_grid("false_alarm=0.02"), 0.02)
    assert all(p.monitors[0].false_alarm == 0.02 for p in m.parties)
    m, _ = apply(model, [Grim(), Grim()], parse_grid("delay_days=14"), 14)
    assert m.parties[0].monitors[0].delay == 2
    m, _ = apply(model, [Grim(), Grim()], parse_grid("temptation@USA=0.4"), 0.4)
    assert m.parties[1].temptation == 0.4
    _, s = apply(model, [Generous(0.1), Grim()], parse_grid("forgiveness=0.6"), 0.6)
    assert s[0] == Generous(0.6) and s[1] == Grim()
    m, _ = apply(model, [Grim(), Grim()], parse_grid("discount=0.5"), 0.5)
    assert m.discount == 0.5
    for grid, value, strategies in (("forgiveness=0.5", 0.5, [Grim(), Grim()]),
                                    ("detection=1.5", 1.5, [Grim(), Grim()]),
                                    ("delay_days=-1", -1, [Grim(), Grim()]),
                                    ("delay_days=5000", 5000, [Grim(), Grim()]),
                                    ("detection@CHN=0.5", 0.5, [Grim(), Grim()]),
                                    ("colour=0.5", 0.5, [Grim(), Grim()]),
                                    ("discount@PRK=0.5", 0.5, [Grim(), Grim()])):
        with pytest.raises(ParameterError):
            apply(model, strategies, parse_grid(grid), value)


def test_sweep_table(model):
    result = sweep(model, {}, GRIDS, runs=1_000, seed=3, workers=1)
    frame = result.frame
    assert len(frame) == 9 and list(frame["point"]) == list(range(9))
    assert list(frame.columns[:3]) == ["point", "detection@PRK", "false_alarm"]
    # Without false alarms grim players never collapse; more false alarms, shorter lives.
    quiet = frame[frame["false_alarm"] == 0]
    assert (quiet["p_holding_12m"] == 1.0).all() and (quiet["collapsed"] == 0).all()
    for _, group in frame.groupby("detection@PRK"):
        assert group["p_holding_12m"].is_monotonic_decreasing


def test_same_table_on_one_process_a_pool_and_a_cluster(model, cluster):
    kwargs = dict(runs=1_500, seed=2024)
    strategies = {"PRK": "generous:forgive=0.2"}
    grids = [*GRIDS, "forgiveness@PRK=0.1,0.4"]
    one = sweep(model, strategies, grids, workers=1, **kwargs)
    pool = sweep(model, strategies, grids, workers=2, **kwargs)
    dask = sweep(model, strategies, grids, scheduler=cluster.scheduler_address, **kwargs)
    assert (one.backend, pool.backend, dask.backend) == ("process", "processes:2", "dask")
    pd.testing.assert_frame_equal(one.frame, pool.frame, check_exact=True)
    pd.testing.assert_frame_equal(one.frame, dask.frame, check_exact=True)
    other = sweep(model, strategies, grids, workers=1, runs=1_500, seed=2025)
    assert not one.frame["mean_periods"].equals(other.frame["mean_periods"])


def test_cli_sweep_on_the_cluster_matches_local(cluster, tmp_path: Path):
    local, remote = tmp_path / "local.parquet", tmp_path / "remote.parquet"
    common = ["sweep", "post-olympic-pause", *RATES, "--grid", "detection=0.6,0.9", "--grid",
              "false_alarm=0.01,0.03", "--runs", "800", "--seed", "9", "--horizon", "2y"]
    done = CliRunner().invoke(app, [*common, "--out", str(local), "--workers", "1"])
    assert done.exit_code == 0, done.output
    assert "4 grid points" in done.stdout and str(local) in done.stdout.replace("\n", "")
    done = CliRunner().invoke(app, [*common, "--out", str(remote), "--scheduler",
                                    cluster.scheduler_address, "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert data["backend"] == "dask" and data["points"] == 4
    pd.testing.assert_frame_equal(pd.read_parquet(local), pd.read_parquet(remote),
                                  check_exact=True)


def test_unreachable_scheduler_is_a_quick_clear_error(model, tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler"):
        sweep(model, {}, GRIDS, runs=100, seed=1, scheduler="tcp://127.0.0.1:9",
              connect_timeout=1.0)
    assert time.monotonic() - started < 20
    out = tmp_path / "never.parquet"
    done = CliRunner().invoke(app, ["sweep", "post-olympic-pause", *RATES, "--grid",
                                    "detection=0.5,1", "--scheduler", "tcp://127.0.0.1:9",
                                    "--connect-timeout", "1", "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert "cannot reach" in done.output and not out.exists()


@pytest.mark.parametrize("grid", ["detection=1.0:0.5:0.1", "detection=0:1.5:0.5",
                                  "forgiveness=0.1:0.5:0.2", "k=2"])
def test_cli_bad_grids_exit_2_and_write_nothing(grid, tmp_path: Path):
    out = tmp_path / "sweep.parquet"
    done = CliRunner().invoke(app, ["sweep", "post-olympic-pause", *RATES, "--grid", grid,
                                    "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert "grid" in done.output and not out.exists()
