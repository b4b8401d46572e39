"""Colours and the shared figure layout, so the report, the dashboard and the notebook agree."""

from __future__ import annotations

from typing import Any

# System fonts only: the report must not fetch a web font.
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

CLASS_COLOURS = {
    "ICBM": "#b2182b", "IRBM": "#d6604d", "MRBM": "#f4a582", "SRBM": "#fdae61",
    "SLBM": "#762a83", "SLV": "#5aae61", "HGV": "#8c510a", "cruise": "#4393c3",
    "unknown": "#999999",
}
STATUS_COLOURS = {
    "held": "#2166ac", "scaled_down": "#67a9cf", "postponed": "#fdb863", "suspended": "#1a9850",
    "breach": "#d73027", "response": "#fc8d59",
}
STATUS_FILLS = {"holding": "#a6d96a", "breached": "#fdae61", "collapsed": "#d73027"}
ISSUER_COLOURS = {"OFAC": "#542788", "UNSC": "#8073ac", "EU": "#b2abd2", "other": "#d8daeb"}
DIPLOMACY_COLOURS = {"summit": "#01665e", "talks": "#35978f", "agreement": "#003c30",
                     "proposal": "#80cdc1", "announcement": "#bf812d"}
KIND_COLOURS = {"nuclear_test": "#67001f", "sanctions_resolution": "#40004b",
                "provocation": "#878787"}
# One colour per compared proposal (what-if and simulation panels use the same one).
SERIES = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
          "#666666")
SOLVER_SYMBOLS = ("diamond", "square", "cross", "star-triangle-up", "hexagram", "x")


def series_colour(index: int) -> str:
    return SERIES[index % len(SERIES)]


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def base_layout(title: str) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": {"family": FONT, "size": 12},
        "template": "plotly_white",
        "margin": {"l": 10, "r": 10, "t": 60, "b": 30},
    }


# No cloud upload ("Share chart"): a report works offline and never sends its data anywhere.
# The camera button saves SVG, which papers can print at any size.
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False,
               "showSendToCloud": False,
               "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendDataToCloud",
                                          "editInChartStudio"],
               "toImageButtonOptions": {"format": "svg", "scale": 1}}
