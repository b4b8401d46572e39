"""Rich HTML for notebooks: results render as tables and the report's charts when they are the
last expression of a Jupyter cell.

The result classes call these functions from a one-line ``_repr_html_`` (``HtmlReprMixin``
supplies it). plotly.js is inlined in the first output of a session only (``PLOTLY_JS =
"once"``); set it to ``"always"`` for outputs that must stand alone (e.g. exported one by one).
"""

from __future__ import annotations

import html
from typing import Any

from detente.report import figures, tables
from detente.report.render import environment, plotly_js
from detente.report.render import figure_div as _figure_div
from detente.report.timeline import AgreementTrack, timeline_figure

PLOTLY_JS = "once"
_loaded = False


class HtmlReprMixin:
    """Gives a result class ``_repr_html_`` through ``detente.report.notebook.html_for``."""

    def _repr_html_(self) -> str:
        return html_for(self)


def _loader() -> str:
    """The plotly.js script tag, when this output has to carry it."""
    global _loaded
    if PLOTLY_JS == "none" or (PLOTLY_JS == "once" and _loaded):
        return ""
    _loaded = True
    return f"<script>{plotly_js()}</script>"


def _wrap(title: str, body: str) -> str:
    css = environment().get_template("_style.css").render()
    return (f'<div class="detente-output"><style>{_scoped(css)}</style>{_loader()}'
            f"<h3>{html.escape(title)}</h3>{body}</div>")


def _scoped(css: str) -> str:
    # Keep the report's styles inside the output cell (no effect on the notebook itself).
    out = []
    for block in css.split("}"):
        if "{" not in block:
            continue
        selectors, rules = block.split("{", 1)
        if selectors.strip().startswith(":root"):
            out.append(f".detente-output {{{rules}}}")
            continue
        scoped = ", ".join(f".detente-output {s.strip()}" for s in selectors.split(",")
                           if s.strip() and s.strip() not in ("body", "*"))
        if scoped:
            out.append(f"{scoped} {{{rules}}}")
    return "\n".join(out)


def _tables(*found: tables.Table | None) -> str:
    # A template's macros are attributes its module gets at run time.
    macro = environment().get_template("_macros.html.j2").module.render_table  # type: ignore[attr-defined]
    return "".join(str(macro(t)) for t in found if t is not None)


def figure_div(fig, name: str) -> str:
    # Plain str: adding Markup to str would escape the tables that follow.
    return str(_figure_div(fig, name))


def check_html(report) -> str:
    """A monitor ``Report``: status, the agreement's lane with breaches and responses, tables."""
    events = {a.event.id: a.event.to_json_dict() for a in (*report.breaches, *report.responses)
              if a.event is not None}
    fig = timeline_figure(list(events.values()), [AgreementTrack.from_report(report)],
                          title=f"{report.agreement.title}: status and evidence")
    first = report.first_breach
    head = (f"<p>Window {report.start} to {report.end or 'open'} (data to {report.as_of}); "
            f"status <b class='status-{report.status}'>{html.escape(report.status_label)}</b>; "
            + (f"first breach {first.party} on {first.date} ({html.escape(first.commitment)})"
               if first else "no breach") + ".</p>")
    href = lambda event_id: f"#ev-{event_id}"  # noqa: E731
    body = head + figure_div(fig, "check") + _tables(
        tables.segments_table(report),
        tables.acts_table(report.breaches, f"Breaches ({len(report.breaches)})", href),
        tables.acts_table(report.responses, f"Responses ({len(report.responses)})", href),
        tables.obligations_table(report, href) if report.obligations else None,
        tables.evidence_table(sorted(events.values(), key=lambda e: (e["date"], e["id"]))))
    return _wrap(f"Check: {report.agreement.id}", body)


def whatif_html(result) -> str:
    fig = figures.survival_figure({result.agreement: result}, {})
    return _wrap(f"What-if: {result.agreement}",
                 figure_div(fig, "whatif") + _tables(tables.whatif_table(
                     {result.agreement: result})))


def simulation_html(result) -> str:
    fig = figures.survival_figure({}, {result.model.agreement: result})
    rows = []
    for party, t in result.critical_detection().items():
        rows.append((party, t.get("commitment"), t.get("detection"),
                     "none suffices" if t.get("critical") is None else t.get("critical"),
                     "yes" if t.get("self_enforcing") else "no"))
    critical = tables.table(("party", "binding commitment", "detection", "critical detection",
                             "self-enforcing"), rows, "Critical detection probabilities",
                            numeric=(2, 3))
    return _wrap(f"Simulation: {result.model.agreement}", figure_div(fig, "simulation")
                 + _tables(tables.simulation_table({result.model.agreement: result}), critical))


def verification_html(view) -> str:
    return _wrap(f"Verification: {view.agreement}", _tables(*tables.verification_tables(view)))


def dialogue_html(analysis) -> str:
    forecasts, actors = tables.dialogue_tables(analysis)
    return _wrap(f"Dialogue: {analysis.scenario.id}",
                 figure_div(figures.dialogue_figure(analysis), "dialogue")
                 + _tables(forecasts, actors))


def report_fragment(report) -> str:
    """A whole ``AnalysisReport`` as one notebook output (the report's sections)."""
    from detente.report.render import report_context

    body = environment().get_template("_sections.html.j2").render(**report_context(report))
    return _wrap(f"{report.options.title}: {', '.join(a.id for a in report.agreements)}", body)


def html_for(obj: Any) -> str:
    """The notebook HTML of any detente result this module knows."""
    name = type(obj).__name__
    module = type(obj).__module__
    if module == "detente.monitor" and name == "Report":
        return check_html(obj)
    if name == "WhatIfResult":
        return whatif_html(obj)
    if name == "SimulationResult":
        return simulation_html(obj)
    if name == "VerificationView":
        return verification_html(obj)
    if name == "Analysis":
        return dialogue_html(obj)
    if name == "AnalysisReport":
        return report_fragment(obj)
    raise TypeError(f"no notebook view for {module}.{name}")


__all__ = ["HtmlReprMixin", "html_for"]
