"""``detente demo``: the whole workbench on a fresh store, in one command."""

from __future__ import annotations

from typer.testing import CliRunner

from detente.agreements import presets
from detente.cli import app
from detente.demo import COMPARED, run_demo, stages
from detente.events.store import BUNDLED_EVENTS


def test_demo_runs_every_step_and_writes_the_report(tmp_path):
    import pyarrow.parquet as pq

    seen = []
    out = tmp_path / "demo.html"
    result = run_demo(out=out, runs=2000, seed=5,
                      progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert result.temporary and not result.store_path.exists()  # the temporary store is gone
    assert result.ingest.added == pq.read_metadata(BUNDLED_EVENTS).num_rows
    report = result.report
    assert [a.id for a in report.agreements] == presets.ids()
    assert tuple(report.whatifs) == COMPARED == tuple(report.simulations)
    assert {s.runs for s in report.simulations.values()} == {2000}
    assert report.dialogue is not None
    total = stages(len(presets.ids()), len(COMPARED))
    assert [d for _, d, _ in seen] == [*list(range(total)), total]
    assert seen[-1][0] == "done"
    assert result.report_path == out.resolve() and out.stat().st_size > 1_000_000


def test_demo_keeps_the_store_when_asked(tmp_path):
    db = tmp_path / "kept.duckdb"
    result = run_demo(db=db, out=tmp_path / "r.html", runs=500)
    assert not result.temporary and db.exists()


def test_demo_command_prints_the_table_and_the_path(tmp_path):
    out = tmp_path / "demo.html"
    result = CliRunner().invoke(app, ["demo", "--runs", "1000", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", "")
    assert "1,000 runs each" in text
    assert str(out.resolve()) in text
    for agreement in presets.ids():
        assert agreement[:8] in text  # the table may cut long ids
    assert out.exists()
