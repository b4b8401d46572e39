"""HTML rendering: figures to divs, tables through one macro, the page through Jinja2.

The report page inlines plotly.js from the installed plotly package (no CDN, no web fonts), so
it opens offline; the dashboard serves the same file from /static instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from detente.report import figures, tables
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


def evidence_hash(event_id: str) -> str:
    return "#" + tables.evidence_anchor(event_id)


def cited_events(report) -> list[dict[str, Any]]:
    """Every event a check cites (breaches, responses, obligations met), once, by date."""
    seen: dict[str, dict[str, Any]] = {}
    for check in report.checks.values():
        for act in (*check.breaches, *check.responses):
            if act.event is not None:
                seen.setdefault(act.event.id, act.event.to_json_dict())
        for o in check.obligations:
            if o.event is not None:
                seen.setdefault(o.event.id, o.event.to_json_dict())
    return sorted(seen.values(), key=lambda e: (e["date"], e["id"]))


def agreement_sections(report, evidence_href: Callable[[str], str]) -> list[dict[str, Any]]:
    out = []
    for a in report.agreements:
        check = report.checks[a.id]
        out.append({
            "agreement": a, "check": check,
            "breaches": tables.acts_table(check.breaches, f"Breaches ({len(check.breaches)})",
                                          evidence_href),
            "responses": tables.acts_table(
                check.responses, f"Responses of released parties ({len(check.responses)})",
                evidence_href),
            "obligations": tables.obligations_table(check, evidence_href)
            if check.obligations else None,
            "segments": tables.segments_table(check),
            "unobserved": tables.unobserved_table(check) if check.unobserved else None,
        })
    return out


def timeline_fig(report):
    tracks = [AgreementTrack.from_report(report.checks[a.id]) for a in report.agreements]
    first = min(a.start for a in report.agreements)
    last = report.record["last"]
    start = first - dt.timedelta(days=730)
    return timeline_figure(report.timeline, tracks, note=report.timeline_note,
                           initial_range=(start, last))


def tension_shown(report) -> bool:
    return report.tension is not None and bool(int(report.tension.frame["events"].sum()))


def report_figures(report) -> dict[str, Any]:
    """Every figure of the report as a Plotly figure, by name, in page order: the HTML page
    draws these and ``report --figures`` writes them (``detente.report.export``)."""
    titles = figures.titles_of(report.agreements)
    out: dict[str, Any] = {"timeline": timeline_fig(report)}
    if report.whatifs or report.simulations:
        out["survival"] = figures.survival_figure(report.whatifs, report.simulations,
                                                  titles=titles)
    if report.evaluation is not None:
        out["backtest"] = figures.backtest_figure(report.evaluation)
    if tension_shown(report):
        windows = [(a.id, report.checks[a.id].start, report.checks[a.id].last_day)
                   for a in report.agreements if a.id in report.compared]
        out["tension"] = figures.tension_figure(report.tension, windows)
    if report.dialogue is not None:
        out["dialogue"] = figures.dialogue_figure(report.dialogue)
    return out


def report_context(report, evidence_href: Callable[[str], str] = evidence_hash
                   ) -> dict[str, Any]:
    """Everything the templates need: figures as divs, tables, the summary."""
    figs = report_figures(report)
    verification = []
    for a in report.agreements:
        sim = report.simulations.get(a.id)
        critical = sim.critical_detection() if sim is not None else None
        commitments, parties = tables.verification_tables(report.verification[a.id], critical)
        verification.append({"agreement": a, "commitments": commitments, "parties": parties})
    dialogue = None
    if report.dialogue is not None:
        forecasts, actors = tables.dialogue_tables(report.dialogue)
        dialogue = {
            "analysis": report.dialogue,
            "figure": figure_div(figs["dialogue"], "dialogue"),
            "forecasts": forecasts, "actors": actors,
            "proposals": [tables.acceptance_table(p) for p in report.proposals],
            "forecast_error": (tables.forecast_error_table(report.forecast_error)
                               if report.forecast_error is not None else None),
        }
    survival = None
    if report.whatifs or report.simulations:
        survival = {
            "figure": figure_div(figs["survival"], "survival"),
            "whatif": tables.whatif_table(report.whatifs) if report.whatifs else None,
            "simulation": tables.simulation_table(report.simulations)
            if report.simulations else None,
        }
    backtest = None
    if report.evaluation is not None:
        ev = report.evaluation
        backtest = {"evaluation": ev, "verdicts": [s.verdict for s in ev.skills
                                                  if s.verdict and s.model == "default"],
                    "table": tables.backtest_table(ev),
                    "figure": figure_div(figs["backtest"], "backtest")}
    tension = None
    if "tension" in figs:
        tension = {"series": report.tension,
                   "events": int(report.tension.frame["events"].sum()),
                   "figure": figure_div(figs["tension"], "tension")}
    return {
        "report": report, "summary": report.summary(), "tension": tension,
        "glance": tables.summary_table(summary_rows(report)),
        "timeline": figure_div(figs["timeline"], "timeline"),
        "agreements": agreement_sections(report, evidence_href),
        "survival": survival, "verification": verification, "dialogue": dialogue,
        "backtest": backtest,
        "evidence": tables.evidence_table(cited_events(report)),
        "options": report.options,
    }


def report_html(report) -> str:
    """The whole self-contained page."""
    template = environment().get_template("report.html.j2")
    return template.render(**report_context(report), plotly_js=Markup(plotly_js()),
                           evidence_base="#ev-")
