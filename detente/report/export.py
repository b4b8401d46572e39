"""``detente report ... --figures DIR``: a report's figures and tables as files for a paper.

Every figure the report draws (``render.report_figures``) is written as SVG (vector, for print)
and PNG at print resolution (``PRINT_SCALE`` times its layout size), with Kaleido driving the
system's Chromium; every table of every result in the report is written as CSV through the
results contract (``tables()``, cells defused as ``--format csv`` does). The figures are drawn
in one browser session into a temporary folder inside DIR and moved into place only when all
of them are done, so a failure leaves no half set of figures under their names.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detente.errors import OutputError, ParameterError

PRINT_SCALE = 3          # 1000 px wide x 3 = 3000 px: 300 dpi across a 10-inch page
WIDTH, HEIGHT = 1000, 560  # static size when a figure's layout leaves it to the browser
FORMATS = ("svg", "png")


def result_tables(report) -> dict[str, Any]:
    """Every table of the report's results, by file stem: ``{agreement}-{result}-{table}``,
    ``backtest-{table}``, ``dialogue-{table}``, ``tension``."""
    out: dict[str, Any] = {}
    for a in report.agreements:
        for kind, results in (("check", report.checks), ("whatif", report.whatifs),
                              ("verification", report.verification),
                              ("simulation", report.simulations)):
            result = results.get(a.id)
            if result is None:
                continue
            for name, frame in result.tables().items():
                if name == "periods":  # per-period counts of every run: a data file, not a table
                    continue
                out[f"{a.id}-{kind}-{name}"] = frame
    if report.evaluation is not None:
        for name, frame in report.evaluation.tables().items():
            out[f"backtest-{name}"] = frame
    if report.dialogue is not None:
        for name, frame in report.dialogue.tables().items():
            out[f"dialogue-{name}"] = frame
    if report.tension is not None:
        out["tension"] = report.tension.frame
    return out


def write_figures(report, directory: str | Path, *, formats: tuple[str, ...] = FORMATS,
                  scale: float = PRINT_SCALE) -> list[Path]:
    """Write the report's figures (each in ``formats``) and tables (CSV) into ``directory``
    (created if missing, its parent must exist); return the files written."""
    from detente import results
    from detente.output import write_atomically
    from detente.report.render import report_figures

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ParameterError.single("is a file; give a folder", field="--figures",
                                    value=str(directory))
    if not directory.parent.is_dir():
        raise ParameterError.single("no such folder", field="--figures",
                                    value=str(directory.parent))
    directory.mkdir(exist_ok=True)
    figures = report_figures(report)
    written = _images(figures, directory, formats, scale)
    for stem, frame in result_tables(report).items():
        written.append(write_atomically(directory / f"{stem}.csv",
                                        _text_writer(results.csv_text(frame)), "--figures"))
    return written


def _text_writer(text: str) -> Callable[[Path], object]:
    return lambda tmp: tmp.write_text(text, "utf-8")


def _images(figures: dict[str, Any], directory: Path, formats: tuple[str, ...],
            scale: float) -> list[Path]:
    import importlib.util

    import plotly.io as pio

    if importlib.util.find_spec("kaleido") is None:  # plotly's static export needs it
        raise OutputError("writing figures needs kaleido: pip install 'detente[figures]'")
    staging = Path(tempfile.mkdtemp(prefix=".figures-", dir=directory))
    try:
        figs, paths, widths, heights = [], [], [], []
        for name, fig in figures.items():
            for fmt in formats:
                figs.append(fig)
                paths.append(staging / f"{name}.{fmt}")
                # Kaleido takes the size from its arguments, not from the layout.
                widths.append(fig.layout.width or WIDTH)
                heights.append(fig.layout.height or HEIGHT)
        try:
            pio.write_images(figs, paths, width=widths, height=heights, scale=scale)
        except Exception as exc:  # Kaleido reports a missing browser or a crash its own way
            raise OutputError(f"cannot draw the figures into {directory}: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                              "; nothing was written (Kaleido needs Chromium: "
                              "apt-get install chromium)") from None
        done = []
        for path in paths:
            target = directory / path.name
            os.replace(path, target)
            done.append(target)
        return done
    except OSError as exc:
        from detente.output import failure

        raise failure(directory, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
