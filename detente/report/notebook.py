"""Rich HTML for notebooks: results render as tables and the report's charts when they are the
last expression of a Jupyter cell.

The result classes know nothing of this: ``register()`` (called by ``import detente`` when
IPython is running) tells IPython's HTML formatter, by module and class name, to draw each
result through its presenter (``detente.report.views``). Tables are capped at
``views.MAX_ROWS`` rows with a line saying how many more ``result.tables()`` holds. plotly.js is
inlined in the first output of a session only (``PLOTLY_JS = "once"``); set it to
``"always"`` for outputs that must stand alone (e.g. exported one by one).
"""

from __future__ import annotations

import html
from typing import Any

from detente.report.render import environment, plotly_js

PLOTLY_JS = "once"
_loaded = False

#: (module, class) of every result drawn in a notebook; views.view has their presenters
RESULTS = (("detente.monitor", "Report"), ("detente.replay", "WhatIfResult"),
           ("detente.simulate.result", "SimulationResult"),
           ("detente.verification", "VerificationView"),
           ("detente.dialogue.analysis", "Analysis"),
           ("detente.evaluate.backtest", "Evaluation"), ("detente.tension", "TensionSeries"))


def _loader() -> str:
    """The plotly.js script tag, when this output has to carry it."""
    global _loaded
    if PLOTLY_JS == "none" or (PLOTLY_JS == "once" and _loaded):
        return ""
    _loaded = True
    return f"<script>{plotly_js()}</script>"


def _wrap(body: str, title: str | None = None) -> str:
    css = environment().get_template("_style.css").render()
    heading = f"<h3>{html.escape(title)}</h3>" if title else ""
    return (f'<div class="detente-output"><style>{_scoped(css)}</style>{_loader()}'
            f"{heading}{body}</div>")


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


def report_fragment(report) -> str:
    """A whole ``AnalysisReport`` as one notebook output (the report's sections)."""
    from detente.report.render import report_context

    body = environment().get_template("_sections.html.j2").render(**report_context(report))
    return _wrap(body, f"{report.options.title}: {', '.join(a.id for a in report.agreements)}")


def html_for(obj: Any) -> str:
    """The notebook HTML of any detente result (``TypeError`` for anything else)."""
    from detente.report import views
    from detente.report.builder import AnalysisReport

    if isinstance(obj, AnalysisReport):
        return report_fragment(obj)
    try:
        shown = views.view(obj)
    except TypeError:
        kind = type(obj)
        raise TypeError(f"no notebook view for {kind.__module__}.{kind.__qualname__}") from None
    return _wrap(views.html(shown))


def register(shell: Any = None) -> bool:
    """Draw detente's results in IPython (``shell``: the running one by default); False when
    there is no IPython shell. Registered by name, so no result module is imported here."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
        if shell is None:
            return False
    formatter = shell.display_formatter.formatters["text/html"]
    for module, name in RESULTS:
        formatter.for_type_by_name(module, name, html_for)
    return True


__all__ = ["html_for", "register"]
