"""HTML rendering: figures to divs, tables through one macro, the page through Jinja2.

The report page inlines plotly.js from the installed plotly package (no CDN, no web fonts), so
it opens offline; the dashboard serves the same file from /static instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from detente.report import figures, tables, views
from detente.report.style import PLOT_CONFIG
from detente.report.summary import summary_rows
from detente.report.timeline import AgreementTrack, timeline_figure

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_ids = itertools.count(1)


@functools.cache
def environment(*extra_dirs: str) -> jinja2.Environment:
    """The Jinja2 environment: the report's templates (plus ``extra_dirs`` searched first)."""
    loader = jinja2.FileSystemLoader([*extra_dirs, str(TEMPLATE_DIR)])
    escape = jinja2.select_autoescape(enabled_extensions=("html", "j2"),
                                      default_for_string=True)
    env = jinja2.Environment(loader=loader, autoescape=escape, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = number
    return env


def number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@functools.cache
def plotly_js() -> str:
    """plotly.js from the installed plotly package, to inline or to serve."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def figure_div(fig, name: str) -> Markup:
    """A figure as a ``<div>`` plus the script that draws it (plotly.js must be loaded)."""
    div_id = f"fig-{name}-{next(_ids)}"
    html = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config=PLOT_CONFIG, include_mathjax=False)
    return Markup(f'<div class="figure" data-figure="{name}">{html}</div>')


def cited_events(report) -> list[dict[str, Any]]:
    """Every event the report's checks cite (breaches, responses, obligations met), once, by
    date."""
    return views.cited_records(*report.checks.values())


def timeline_fig(report):
    """One timeline for every agreement of the report: their lanes over the record."""
    tracks = [AgreementTrack.from_report(report.checks[a.id]) for a in report.agreements]
    first = min(a.start for a in report.agreements)
    last = report.record["last"]
    start = first - dt.timedelta(days=730)
    return timeline_figure(report.timeline, tracks, note=report.timeline_note,
                           initial_range=(start, last))


def report_views(report, evidence_href: Callable[[str], str] = views.evidence_hash
                 ) -> dict[str, Any]:
    """The report's results as presenter views (``detente.report.views``), by page part:
    ``tension``, ``survival``, ``backtest``, ``dialogue`` (a view or None), ``agreements``
    and ``verification`` (a view per agreement)."""
    titles = figures.titles_of(report.agreements)
    out: dict[str, Any] = {"tension": None, "survival": None, "backtest": None,
                           "dialogue": None}
    if report.tension is not None and report.tension.events:
        windows = [(a.id, report.checks[a.id].start, report.checks[a.id].last_day)
                   for a in report.agreements if a.id in report.compared]
        out["tension"] = replace(views.view(report.tension, windows=windows), anchor="tension")
    out["agreements"] = [
        replace(views.view(report.checks[a.id], figure=False, evidence=False,
                           href=evidence_href), title=a.title, tag=a.id,
                anchor=f"agreement-{a.id}") for a in report.agreements]
    if report.whatifs or report.simulations:
        out["survival"] = replace(views.survival_view(report.whatifs, report.simulations,
                                                      titles=titles),
                                  title="How long would it hold?", anchor="survival")
    if report.evaluation is not None:
        out["backtest"] = replace(views.view(report.evaluation),
                                  title="Is the forecast any good?", anchor="backtest")
    out["verification"] = []
    for a in report.agreements:
        sim = report.simulations.get(a.id)
        critical = sim.critical_detection() if sim is not None else None
        out["verification"].append(replace(
            views.view(report.verification[a.id], critical=critical), title=a.title))
    if report.dialogue is not None:
        out["dialogue"] = replace(
            views.view(report.dialogue, proposals=report.proposals,
                       forecast_error=report.forecast_error),
            title="Dialogue: where may agreement exist?", anchor="dialogue")
    return out


def report_figures(report) -> dict[str, Any]:
    """Every figure of the report as a Plotly figure, by name, in page order: the HTML page
    draws these and ``report --figures`` writes them (``detente.report.export``)."""
    parts = report_views(report)
    out: dict[str, Any] = {"timeline": timeline_fig(report)}
    for name in ("survival", "backtest", "tension", "dialogue"):
        if parts[name] is not None:
            out.update(parts[name].figures())
    return out


def report_context(report, evidence_href: Callable[[str], str] = views.evidence_hash
                   ) -> dict[str, Any]:
    """Everything the templates need: the summary, the timeline, and each result drawn by its
    presenter (``views.html``), as markup."""
    parts = report_views(report, evidence_href)

    def drawn(v, level: int = 2) -> Markup | None:
        return None if v is None else Markup(views.html(v, max_rows=None, level=level))

    return {
        "report": report, "summary": report.summary(),
        "glance": tables.summary_table(summary_rows(report)),
        "timeline": figure_div(timeline_fig(report), "timeline"),
        "tension": drawn(parts["tension"], 3),
        "agreements": [drawn(v, 3) for v in parts["agreements"]],
        "survival": drawn(parts["survival"]), "backtest": drawn(parts["backtest"]),
        "verification": [drawn(v, 3) for v in parts["verification"]],
        "dialogue": drawn(parts["dialogue"]),
        "evidence": tables.evidence_table(cited_events(report)),
        "options": report.options,
    }


def report_html(report) -> str:
    """The whole self-contained page."""
    template = environment().get_template("report.html.j2")
    return template.render(**report_context(report), plotly_js=Markup(plotly_js()),
                           evidence_base="#ev-")
