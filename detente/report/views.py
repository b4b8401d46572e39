"""One presenter per result type: ``view(result) -> View``, a title and its sections (figures,
tables, text), registered with ``functools.singledispatch``.

The library's result classes know nothing of presentation (they never import this package);
the presentation layers ask this registry: the notebook (``detente.report.notebook``, its
IPython formatters), ``html(view)`` for any page that shows one result. A new result type gets
its presenter here, once. Tables are capped (``max_rows``) with a line saying how many rows
were left out and where all of them are (``result.tables()``).
"""

from __future__ import annotations

import functools
import html as html_lib
from dataclasses import dataclass
from typing import Any

from detente.report import figures, tables

MAX_ROWS = 25  # rows shown per table in a notebook output; the rest stay in result.tables()


@dataclass(frozen=True)
class Figure:
    name: str
    figure: Any  # a plotly Figure


@dataclass(frozen=True)
class Text:
    text: str  # plain text, escaped when drawn


Section = Figure | tables.Table | Text


@dataclass(frozen=True)
class View:
    title: str
    sections: tuple[Section, ...]


@functools.singledispatch
def view(result: Any) -> View:
    """The title and sections that present ``result``."""
    kind = type(result)
    raise TypeError(f"no view for {kind.__module__}.{kind.__qualname__}")


def _register() -> None:
    """Register the presenters. The result modules are imported here, from the presentation
    layer downwards; they never import this package."""
    from detente import monitor, replay, verification
    from detente.dialogue.analysis import Analysis
    from detente.evaluate.backtest import Evaluation
    from detente.simulate.result import SimulationResult

    view.register(monitor.Report, check_view)
    view.register(replay.WhatIfResult, whatif_view)
    view.register(SimulationResult, simulation_view)
    view.register(verification.VerificationView, verification_view)
    view.register(Analysis, dialogue_view)
    view.register(Evaluation, evaluation_view)


def check_view(report) -> View:
    """A monitor ``Report``: status, the agreement's lane with breaches and responses, tables."""
    from detente.report.timeline import AgreementTrack, timeline_figure

    events = {a.event.id: a.event.to_json_dict() for a in (*report.breaches, *report.responses)
              if a.event is not None}
    fig = timeline_figure(list(events.values()), [AgreementTrack.from_report(report)],
                          title=f"{report.agreement.title}: status and evidence")
    first = report.first_breach
    head = (f"Window {report.start} to {report.end or 'open'} (data to {report.as_of}); "
            f"status {report.status_label}; "
            + (f"first breach {' and '.join(report.first_breakers)} on {first.date} "
               f"({first.commitment})" if first else "no breach") + ".")
    href = lambda event_id: f"#ev-{event_id}"  # noqa: E731
    found = (tables.segments_table(report),
             tables.acts_table(report.breaches, f"Breaches ({len(report.breaches)})", href),
             tables.acts_table(report.responses, f"Responses ({len(report.responses)})", href),
             tables.obligations_table(report, href) if report.obligations else None,
             tables.unobserved_table(report) if report.unobserved else None,
             tables.evidence_table(sorted(events.values(), key=lambda e: (e["date"], e["id"]))))
    return View(f"Check: {report.agreement.id}",
                (Text(head), Figure("check", fig), *(t for t in found if t is not None)))


def whatif_view(result) -> View:
    lo, hi = result.median_interval
    text = (f"{len(result.starts):,} starts from {result.start} to {result.end} every "
            f"{result.step_days} days; {result.breached:,} broken at {result.ending_events:,} "
            f"distinct events; median {result.median_days} days (95% interval {lo} to "
            f"{'beyond' if hi is None else hi}); {result.unobserved:,} starts unobserved.")
    return View(f"What-if: {result.agreement}", (
        Text(text), Figure("whatif", figures.survival_figure({result.agreement: result}, {})),
        tables.whatif_table({result.agreement: result})))


def simulation_view(result) -> View:
    rows = []
    for party, t in result.critical_detection().items():
        rows.append((party, t.get("commitment"), t.get("detection"),
                     "none suffices" if t.get("critical") is None else t.get("critical"),
                     "yes" if t.get("self_enforcing") else "no"))
    critical = tables.table(("party", "binding commitment", "detection", "critical detection",
                             "self-enforcing"), rows, "Critical detection probabilities",
                            numeric=(2, 3))
    agreement = result.model.agreement
    strategies = ", ".join(f"{k}={v}" for k, v in result.summary()["strategies"].items())
    return View(f"Simulation: {agreement}", (
        Text(f"{result.runs:,} runs (seed {result.seed}); strategies {strategies}."),
        Figure("simulation", figures.survival_figure({}, {agreement: result})),
        tables.simulation_table({agreement: result}), critical))


def verification_view(v) -> View:
    return View(f"Verification: {v.agreement}", tuple(tables.verification_tables(v)))


def dialogue_view(analysis) -> View:
    forecasts, actors = tables.dialogue_tables(analysis)
    return View(f"Dialogue: {analysis.scenario.id}", (
        Figure("dialogue", figures.dialogue_figure(analysis)), forecasts, actors))


def evaluation_view(evaluation) -> View:
    verdicts = [s.verdict for s in evaluation.skills if s.verdict]
    return View(f"Backtest: {', '.join(evaluation.agreements)}", (
        Text(f"Origins {evaluation.origins[0]}-{evaluation.origins[-1]}, "
             f"{len(evaluation.cases):,} scored cases; "
             + ("; ".join(verdicts) if verdicts else "no interval excludes zero: "
                "no clear difference from the baselines") + "."),
        Figure("backtest", figures.backtest_figure(evaluation)),
        tables.backtest_table(evaluation)))


def capped(table: tables.Table, max_rows: int = MAX_ROWS) -> tables.Table:
    """``table`` with at most ``max_rows`` rows and a caption saying how many were left out."""
    if len(table.rows) <= max_rows:
        return table
    left = len(table.rows) - max_rows
    return tables.Table(table.columns, table.rows[:max_rows],
                        f"{table.caption} (first {max_rows:,} rows; {left:,} more in "
                        "result.tables())", table.numeric, table.anchors[:max_rows])


def html(v: View, *, max_rows: int | None = MAX_ROWS) -> str:
    """The sections of ``v`` as HTML (plotly.js must be on the page)."""
    from detente.report.render import environment, figure_div

    # A template's macros are attributes its module gets at run time.
    macro = environment().get_template("_macros.html.j2").module.render_table  # type: ignore[attr-defined]
    out = []
    for section in v.sections:
        if isinstance(section, Figure):
            out.append(str(figure_div(section.figure, section.name)))
        elif isinstance(section, Text):
            out.append(f"<p>{html_lib.escape(section.text)}</p>")
        else:
            shown = section if max_rows is None else capped(section, max_rows)
            out.append(str(macro(shown)))
    return "".join(out)


_register()
