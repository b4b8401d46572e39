"""Survival figures (historical what-if and simulation, side by side) and the dialogue map.

Every figure is built from a result object the library returned; nothing is typed in here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from detente.report.style import SOLVER_SYMBOLS, base_layout, rgba, series_colour

YEAR_DAYS = 365.25
RECENT_YEARS = 10  # the tension chart opens on this many years


def whatif_curve(result) -> dict[str, list[float]]:
    """The Kaplan-Meier steps of a ``WhatIfResult`` as plot points, extended to the longest
    observation (so the last step is visible): days, p, lo, hi."""
    curve = result.survival
    days = [float(d) for d in curve["days"]]
    p, lo, hi = (list(map(float, curve[c])) for c in ("p", "lo", "hi"))
    starts = result.starts
    followed = float(max([0, *(starts["days_held"] - starts["censored"].astype(int))]))
    if days and followed > days[-1]:
        days.append(followed)
        p.append(p[-1])
        lo.append(lo[-1])
        hi.append(hi[-1])
    return {"days": days, "p": p, "lo": lo, "hi": hi}


def simulated_curve(result) -> dict[str, list[float]]:
    """A ``SimulationResult``'s survival curve with its Wilson band: days, p, lo, hi."""
    frame = result.survival()
    return {c: [float(v) for v in frame[c]] for c in ("days", "p", "lo", "hi")}


def _band(fig: go.Figure, curve: Mapping[str, list[float]], name: str, colour: str,
          shape: str, row: int | None = None, col: int | None = None,
          showlegend: bool = True) -> None:
    x = [d / YEAR_DAYS for d in curve["days"]]
    where = {"row": row, "col": col} if row is not None else {}
    fig.add_trace(go.Scatter(x=x, y=curve["hi"], mode="lines", line={"width": 0,
                                                                       "shape": shape},
                             hoverinfo="skip", showlegend=False, legendgroup=name), **where)
    fig.add_trace(go.Scatter(x=x, y=curve["lo"], mode="lines", line={"width": 0,
                                                                       "shape": shape},
                             fill="tonexty", fillcolor=rgba(colour, 0.18), hoverinfo="skip",
                             showlegend=False, legendgroup=name), **where)
    fig.add_trace(go.Scatter(
        x=x, y=curve["p"], mode="lines", name=name, legendgroup=name, showlegend=showlegend,
        line={"color": colour, "width": 2.2, "shape": shape},
        customdata=np.column_stack([curve["days"], curve["lo"], curve["hi"]]),
        hovertemplate=(f"<b>{name}</b><br>%{{customdata[0]:.0f}} days: S = %{{y:.3f}} "
                       "(95% band %{customdata[1]:.3f} to %{customdata[2]:.3f})<extra></extra>")),
        **where)


def median_of(curve: Mapping[str, list[float]]) -> float | None:
    """The first day the curve is at or below one half, or None."""
    for day, p in zip(curve["days"], curve["p"], strict=True):
        if p <= 0.5:
            return day
    return None


def _markers(fig: go.Figure, curve: Mapping[str, list[float]], name: str, colour: str,
             **where: Any) -> None:
    """The median (a diamond on the curve) of one curve."""
    median = median_of(curve)
    if median is not None:
        fig.add_trace(go.Scatter(
            x=[median / YEAR_DAYS], y=[0.5], mode="markers", legendgroup=name,
            showlegend=False, marker={"symbol": "diamond", "size": 10, "color": colour,
                                      "line": {"width": 1, "color": "#222"}},
            hovertemplate=f"<b>{name}</b>: median {median:.0f} days<extra></extra>"), **where)


def survival_figure(whatifs: Mapping[str, Any], simulations: Mapping[str, Any],
                    *, titles: Mapping[str, str] | None = None) -> go.Figure:
    """Historical what-if survival and simulated survival, one colour per proposal, each curve
    with its median (a diamond) and a guide at 12 months, on one x range. Two panels side by
    side when both kinds were computed, one panel when only one was."""
    ids = list(dict.fromkeys([*whatifs, *simulations]))
    runs = sorted({r.runs for r in simulations.values()})
    hist = "Historical what-if (Kaplan-Meier, 95% band)"
    sim = "Simulated (" + ", ".join(f"{n:,}" for n in runs) + " runs, 95% Wilson band)"
    panels = [(hist, whatifs, whatif_curve)] if whatifs else []
    panels += [(sim, simulations, simulated_curve)] if simulations else []
    fig = make_subplots(rows=1, cols=max(len(panels), 1), shared_yaxes=True,
                        horizontal_spacing=0.06,
                        subplot_titles=[title for title, _, _ in panels] or None)
    longest = 1.0
    for col, (_, results, curve_of) in enumerate(panels, start=1):
        for k, agreement in enumerate(ids):
            if agreement not in results:
                continue
            colour = series_colour(k)
            name = (titles or {}).get(agreement, agreement)
            curve = curve_of(results[agreement])
            first = col == 1 or agreement not in panels[0][1]
            _band(fig, curve, name, colour, "hv", 1, col, showlegend=first)
            _markers(fig, curve, name, colour, row=1, col=col)
            longest = max(longest, max(curve["days"], default=0) / YEAR_DAYS)
        fig.add_vline(x=1.0, line={"color": "#777", "dash": "dot", "width": 1}, row=1, col=col,
                      annotation_text="12 months", annotation_position="top right",
                      annotation_font_size=10)
    what = " and ".join(w for w, on in (("starts", whatifs), ("runs", simulations)) if on)
    layout = base_layout(f"How long would it hold? Share of {what or 'starts'} still holding "
                         "(diamond: median)")
    layout.update(height=430, hovermode="closest",
                  legend={"orientation": "h", "y": -0.18, "x": 0})
    fig.update_layout(layout)
    fig.update_yaxes(range=[0, 1.02], title_text="still holding", row=1, col=1)
    # Compared curves share one x range, in every panel, so their lengths can be compared.
    fig.update_xaxes(title_text="years after the start", range=[0, longest * 1.02])
    if not panels:
        fig.add_annotation(text="nothing computed", showarrow=False, x=0.5, y=0.5,
                           xref="x domain", yref="y domain")
    return fig


def dialogue_figure(analysis, *, max_size: float = 46.0) -> go.Figure:
    """The dialogue map: per issue, each actor's position (marker area proportional to
    capability x salience), the zone of agreement (shaded), the status quo (dashed) and each
    solver's forecast (one symbol per solver, on the ``forecasts`` row)."""
    inputs, scenario = analysis.inputs, analysis.scenario
    issues = list(scenario.issues)
    weight = inputs.weight
    scale = max_size / np.sqrt(weight.max()) if weight.max() > 0 else 0.0
    rows = len(issues)
    fig = make_subplots(rows=rows, cols=1, vertical_spacing=0.35 / max(rows, 1),
                        subplot_titles=[_issue_title(analysis, d) for d in range(rows)])
    actors = list(inputs.actors)
    lane = [*actors, "forecasts"]
    solvers = list(analysis.forecasts)
    for d, issue in enumerate(issues):
        row = d + 1
        z = analysis.zones[d]
        low, high = (float(v) for v in inputs.scale[d])
        if z.agreement:
            fig.add_shape(type="rect", x0=z.low, x1=z.high, y0=0, y1=1, xref=f"x{_ax(row)}",
                          yref=f"y{_ax(row)} domain", fillcolor="rgba(26,152,80,0.16)",
                          line={"width": 0}, layer="below")
        fig.add_shape(type="line", x0=issue.status_quo, x1=issue.status_quo, y0=0, y1=1,
                      xref=f"x{_ax(row)}", yref=f"y{_ax(row)} domain",
                      line={"color": "#555", "dash": "dash", "width": 1})
        sizes = np.sqrt(weight[:, d]) * scale
        fig.add_trace(go.Scatter(
            x=inputs.position[:, d], y=actors, mode="markers", showlegend=False,
            marker={"size": np.maximum(sizes, 4), "color": "#4575b4", "opacity": 0.75,
                    "line": {"width": 1, "color": "#223"}},
            customdata=np.column_stack([inputs.capability, inputs.salience[:, d],
                                        weight[:, d]]),
            hovertemplate=("<b>%{y}</b>: position %{x:g}<br>capability %{customdata[0]:g} x "
                           "salience %{customdata[1]:.2f} = %{customdata[2]:.1f}"
                           "<extra></extra>")), row=row, col=1)
        for k, name in enumerate(solvers):
            value = float(analysis.forecasts[name].position[d])
            fig.add_trace(go.Scatter(
                x=[value], y=["forecasts"], mode="markers", name=name, legendgroup=name,
                showlegend=d == 0,
                marker={"symbol": SOLVER_SYMBOLS[k % len(SOLVER_SYMBOLS)], "size": 12,
                        "color": series_colour(k), "line": {"width": 1, "color": "#222"}},
                hovertemplate=f"<b>{name}</b> forecast: %{{x:.1f}}<extra></extra>"),
                row=row, col=1)
        fig.update_xaxes(range=[low - 0.03 * (high - low), high + 0.03 * (high - low)],
                         row=row, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(lane)),
                         type="category", row=row, col=1, fixedrange=True)
    layout = base_layout(f"Dialogue map: {scenario.title or scenario.id}")
    layout.update(height=100 + 250 * rows,
                  legend={"x": 1.01, "y": 1, "title": {"text": "forecast"}},
                  margin={"l": 10, "r": 10, "t": 70, "b": 30})
    fig.update_layout(layout)
    return fig


def tension_figure(series, windows: Sequence[tuple[str, Any, Any]] = ()) -> go.Figure:
    """A dyad's tension index (bars per period, the smoothed line when computed), with
    agreement windows ``(label, start, last day)`` shaded."""
    frame = series.frame
    dates = [d.isoformat() for d in frame["date"]]
    unit = "week" if series.freq == "W" else "day"
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=dates, y=[float(v) for v in frame["tension"]], name=f"tension per {unit}",
        marker={"color": ["#d73027" if v > 0 else "#1a9850" for v in frame["tension"]]},
        customdata=np.column_stack([frame["events"], frame["conflict"], frame["cooperation"]]),
        hovertemplate=("%{x}: tension %{y:.1f} (%{customdata[0]} events; conflict "
                       "%{customdata[1]:.1f}, cooperation %{customdata[2]:.1f})<extra></extra>")))
    if "smoothed" in frame:
        fig.add_trace(go.Scatter(x=dates, y=[float(v) for v in frame["smoothed"]],
                                 mode="lines", name=f"smoothed (half-life "
                                 f"{series.halflife_days:g} days)",
                                 line={"color": "#333", "width": 1.5}))
    for k, (label, start, last) in enumerate(windows):
        fig.add_vrect(x0=start.isoformat(), x1=last.isoformat(), line_width=0,
                      fillcolor=rgba(series_colour(k), 0.10), layer="below",
                      annotation_text=label,
                      annotation_position="top left" if k % 2 == 0 else "bottom left",
                      annotation_font_size=10)
    layout = base_layout(f"Tension index {series.dyad.label} (conflict minus cooperation, "
                         f"Goldstein-weighted, per {unit})")
    # The record starts in 1958 but most events are recent: open on the last ten years, with
    # buttons for the rest (the whole series is in the figure).
    first, last = (frame["date"].iloc[0], frame["date"].iloc[-1]) if len(frame) else (None,
                                                                                     None)
    recent = None
    if first is not None and last is not None and (last - first).days > RECENT_YEARS * 366:
        recent = [(last - dt.timedelta(days=round(RECENT_YEARS * YEAR_DAYS))).isoformat(),
                  last.isoformat()]
    layout.update(height=340, hovermode="closest", bargap=0,
                  legend={"orientation": "h", "y": -0.25, "x": 0},
                  xaxis={"type": "date", "rangeslider": {"visible": False}, "range": recent,
                         "rangeselector": {"buttons": [
                             {"count": 1, "label": "1 y", "step": "year", "stepmode": "backward"},
                             {"count": 5, "label": "5 y", "step": "year", "stepmode": "backward"},
                             {"count": 10, "label": "10 y", "step": "year",
                              "stepmode": "backward"},
                             {"step": "all", "label": "all"}]}},
                  yaxis={"title": {"text": f"tension per {unit} (Goldstein points)"}})
    fig.update_layout(layout)
    return fig


def _ax(row: int) -> str:
    return "" if row == 1 else str(row)


def _issue_title(analysis, d: int) -> str:
    issue = analysis.scenario.issues[d]
    z = analysis.zones[d]
    zone = (f"zone of agreement {z.low:g} to {z.high:g}" if z.agreement
            else "no zone: needs new discussion")
    return f"{issue.label} (status quo {issue.status_quo:g}; {zone})"


def titles_of(agreements: Sequence[Any]) -> dict[str, str]:
    return {a.id: a.title for a in agreements}


def backtest_figure(evaluation) -> go.Figure:
    """Left: Brier skill of the default forecast against each baseline per horizon, with its
    95% interval (bootstrap of origin years). Right: reliability of the default forecast
    (mean forecast against the share that held, per tenth; marker area ~ cases)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "Brier skill of the default forecast (95% interval)",
        "Reliability of the default forecast"))
    baselines = list(dict.fromkeys(s.baseline for s in evaluation.skills
                                   if s.model == "default"))
    for k, base in enumerate(baselines):
        rows = [s for s in evaluation.skills if s.model == "default" and s.baseline == base]
        x = [s.horizon for s in rows]
        y = [s.skill for s in rows]
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="markers+lines", name=f"vs {base}",
            line={"color": series_colour(k)},
            error_y={"type": "data", "symmetric": False,
                     "array": [s.hi - s.skill for s in rows],
                     "arrayminus": [s.skill - s.lo for s in rows]},
            hovertemplate=f"vs {base}, %{{x}} weeks: skill %{{y:+.3f}}<extra></extra>"),
            row=1, col=1)
    fig.add_hline(y=0, line={"color": "grey", "dash": "dash"}, row=1, col=1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", showlegend=False,
                             line={"color": "grey", "dash": "dash"}, hoverinfo="skip"),
                  row=1, col=2)
    horizons = sorted({b.horizon for b in evaluation.reliability})
    for k, h in enumerate(horizons):
        bins = [b for b in evaluation.reliability if b.method == "default" and b.horizon == h]
        fig.add_trace(go.Scatter(
            x=[b.mean_forecast for b in bins], y=[b.observed for b in bins], mode="markers",
            name=f"{h} weeks", marker={"size": [6 + 3 * np.sqrt(b.n) ** 0.5 for b in bins],
                                       "color": series_colour(k + len(baselines))},
            customdata=[b.n for b in bins],
            hovertemplate=(f"{h} weeks: forecast %{{x:.2f}}, held %{{y:.2f}} "
                           "(%{customdata} cases)<extra></extra>")), row=1, col=2)
    fig.update_xaxes(title_text="horizon (weeks)", row=1, col=1)
    lows = [s.lo for s in evaluation.skills if s.model == "default" and s.lo == s.lo]
    # Skill is unbounded below: show down to -2 at most (the table has every value).
    fig.update_yaxes(title_text="Brier skill", range=[max(-2.0, min([-0.2, *lows])) - 0.05,
                                                       1.0], row=1, col=1)
    fig.update_xaxes(title_text="forecast P(holding)", range=[0, 1], row=1, col=2)
    fig.update_yaxes(title_text="share that held", range=[0, 1], row=1, col=2)
    fig.update_layout(**base_layout("Backtest: rolling origins, forecasts from the record "
                                    "before each"), height=440)
    return fig
