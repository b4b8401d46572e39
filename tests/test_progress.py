"""One progress protocol: every long operation calls progress(stage, done, total)."""

from __future__ import annotations

from detente.agreements import presets
from detente.events.store import Store
from detente.progress import Progress


def recorder() -> tuple[Progress, list[tuple[str, int, int | None]]]:
    seen: list[tuple[str, int, int | None]] = []

    def hear(stage: str, done: int, total: int | None) -> None:
        assert isinstance(stage, str) and isinstance(done, int)
        assert total is None or (isinstance(total, int) and 0 <= done <= total)
        seen.append((stage, done, total))

    return hear, seen


def test_simulation_sweep_ingest_and_backtest_speak_the_same_protocol(tmp_path) -> None:
    from detente.evaluate import evaluate
    from detente.simulate import build_model, simulate_agreement, sweep

    pause = presets.load("post-olympic-pause")
    hear, seen = recorder()
    simulate_agreement(pause, rates={"PRK": 0.05, "USA": 0.02}, runs=5000, seed=1,
                       progress=hear, chunk_size=1000)
    assert {s for s, _, _ in seen} == {"simulating"} and seen[-1][1] == seen[-1][2] == 5

    hear, seen = recorder()
    model, _ = build_model(pause, rates={"PRK": 0.05, "USA": 0.02})
    from detente.simulate.engine import resolve_strategies
    sweep.sweep(model, resolve_strategies(model, {}), [sweep.parse_grid("detection=0.5,0.9")],
                runs=200, seed=1, workers=1, progress=hear)
    assert seen[-1] == ("sweeping", 2, 2)

    import pandas as pd

    from detente.events.ingest import ingest_file

    path = tmp_path / "e.csv"
    pd.DataFrame([{"date": "2018-05-01", "actor": "PRK", "kind": "missile_test",
                   "source": "t", "source_ref": "p1", "class": "ICBM"}]).to_csv(path,
                                                                                 index=False)
    hear, seen = recorder()
    with Store(tmp_path / "s.duckdb", empty=True) as store:
        ingest_file(store, path, progress=hear)
        assert store.count() == 1
    assert [s for s, _, _ in seen][-1] == "done" and seen[-1][1:] == (1, 1)

    hear, seen = recorder()
    with Store(tmp_path / "b.duckdb") as store:
        evaluate([pause], store, origins=(2016,), horizons=(13,), methods=("base_5y",),
                 draws=100, progress=hear)
    assert {s for s, _, _ in seen} == {"backtest"} and seen[-1][1] == seen[-1][2]


def test_the_command_line_draws_every_report_with_one_drawer(capsys):
    """Off a terminal the drawer writes one line per stage (counts when known) to stderr, or
    nothing for a command whose output is data; quick work within ``delay`` draws nothing."""
    from detente.cli.common import progress

    with progress("demo", delay=0.0, unit="stages") as bar:
        assert not bar.interactive  # pytest's stderr is no terminal
        bar("checking", 1, 5)
        bar("timeline")
        bar("done", 5, 5)
    with progress("simulating", delay=0.0, unit="chunks", lines=False) as quiet:
        quiet("chunk", 1, 3)
    with progress("ingest", delay=60.0) as slow:
        slow("validating", 0, 10)
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["demo: checking [1/5 stages]", "demo: timeline"]
    assert captured.out == ""
