"""Reports: the self-contained HTML report, its figures and the notebook views.

``build(agreements, store, ReportOptions(...))`` computes every section; the result's
``write(path)`` writes the offline HTML page and, as the last expression of a Jupyter cell, it
renders itself. See docs/report.md.
"""

from __future__ import annotations

from detente.exports import lazy

__getattr__, __all__ = lazy("detente.report", {
    "build": "detente.report.builder",
    "ReportOptions": "detente.report.builder",
    "AnalysisReport": "detente.report.builder",
    "timeline_figure": "detente.report.timeline",
    "survival_figure": "detente.report.figures",
    "dialogue_figure": "detente.report.figures",
})
