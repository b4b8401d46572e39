"""The demo: the whole workbench in one call, on a fresh store.

``run_demo()`` creates an empty event store (in a temporary directory unless ``db`` is given),
ingests the bundled record, checks every preset agreement, replays the two proposals of 2018
(freeze-for-freeze and the post-Olympic pause) from every week since 2006, simulates both side
by side, runs the bundled dialogue scenario and writes the HTML report. ``detente demo`` and
``make demo`` call it.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from detente.agreements import presets
from detente.events.store import IngestResult, Store
from detente.progress import Progress
from detente.report.builder import AnalysisReport, ReportOptions, build

COMPARED = ("freeze-for-freeze", "post-olympic-pause")
DEMO_RUNS = 100_000
DEMO_SEED = 2018
DEFAULT_OUTPUT = Path("detente-report.html")

# progress(stage, done, total) (detente.progress): before each stage and once at the end
# ("done"), counting the demo's stages.


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What the demo did: the store it used, the ingest, the report and where it went."""

    store_path: Path
    temporary: bool
    ingest: IngestResult
    report: AnalysisReport
    report_path: Path
    seconds: float

    @property
    def runs(self) -> int:
        return self.report.options.runs

    @property
    def seed(self) -> int:
        return self.report.options.seed


BACKTEST_FROM = 2016  # the compared proposals' backtest: ten origins to the record's last year


def stages(n_presets: int, n_compared: int) -> int:
    """How many progress stages the demo reports (for a progress bar's total)."""
    # store + ingest + checks + what-ifs + simulations + backtest + dialogue + tension +
    # timeline + write
    return 2 + n_presets + 2 * n_compared + 5


def run_demo(*, db: str | Path | None = None, out: str | Path = DEFAULT_OUTPUT,
             runs: int = DEMO_RUNS, seed: int = DEMO_SEED, scenario: str = "korea-2018",
             progress: Progress | None = None) -> DemoResult:
    """Run the demo; see the module docstring. ``db`` keeps the store at that path (it must
    not hold other events already: the demo wants the bundled record alone)."""
    started = time.perf_counter()
    agreements = presets.load_all()
    total = stages(len(agreements), len(COMPARED))
    done = 0

    def note(stage: str, _done: int = 0, _total: int | None = None) -> None:
        nonlocal done
        if progress is not None:
            progress(stage, done, total)
        done += 1

    with tempfile.TemporaryDirectory(prefix="detente-demo-") as tmp:
        path = Path(db).expanduser() if db is not None else Path(tmp) / "events.duckdb"
        note(f"creating the event store {path}")
        with Store(path, empty=True) as store:
            note("ingesting the bundled record")
            ingest = store.load_bundled()
            options = ReportOptions(compare=COMPARED, runs=runs, seed=seed, scenario=scenario,
                                    title="detente demo: the Korean peninsula after the "
                                          "2018 Olympics", backtest_from=BACKTEST_FROM)
            report = build(agreements, store, options, progress=note)
        note(f"writing {out}")
        written = report.write(out)
    if progress is not None:
        progress("done", total, total)
    return DemoResult(store_path=path, temporary=db is None, ingest=ingest, report=report,
                      report_path=written.resolve(), seconds=time.perf_counter() - started)
