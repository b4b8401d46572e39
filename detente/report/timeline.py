"""The event timeline: one swimlane per actor and kind, with agreements drawn over it.

Lanes (top to bottom): one per agreement (its window coloured by the monitor's status, breaches
and responses marked), then per actor: nuclear tests, missile tests (one colour per class),
exercises (spans coloured by status), sanctions designations (one colour per issuer), sanctions
resolutions, diplomacy (summits, talks, agreements, proposals, announcements) and other
provocations. Every marker carries its event id as ``customdata``, so a click can lead to the
evidence (``figures.CLICK_JS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from detente.events.kinds import EXERCISE_STATUSES, MISSILE_CLASSES
from detente.report.style import (
    CLASS_COLOURS,
    DIPLOMACY_COLOURS,
    ISSUER_COLOURS,
    KIND_COLOURS,
    STATUS_COLOURS,
    STATUS_FILLS,
    base_layout,
)

ACTOR_ORDER = ("PRK", "USA", "KOR", "UN", "CHN", "JPN", "RUS", "EU", "IAEA")
LANE_KINDS = ("nuclear_test", "missile_test", "military_exercise", "sanctions_designation",
              "sanctions_resolution", "diplomacy", "provocation")
LANE_NAMES = {
    "nuclear_test": "nuclear tests", "missile_test": "missile tests",
    "military_exercise": "exercises", "sanctions_designation": "sanctions",
    "sanctions_resolution": "UN resolutions", "diplomacy": "diplomacy",
    "provocation": "provocations",
}
DIPLOMACY = ("summit", "talks", "agreement", "proposal", "announcement")
TIMELINE_KINDS = (*LANE_KINDS[:-2], *DIPLOMACY, "provocation")
HOVER_CHARS = 160


def lane_kind(kind: str) -> str | None:
    """The lane group of an event kind (None: not drawn)."""
    if kind in DIPLOMACY:
        return "diplomacy"
    return kind if kind in LANE_KINDS else None


def lane_of(record: dict[str, Any]) -> str | None:
    group = lane_kind(record["kind"])
    return None if group is None else f"{record['actor']} · {LANE_NAMES[group]}"


def _actor_rank(actor: str) -> tuple[int, str]:
    return (ACTOR_ORDER.index(actor) if actor in ACTOR_ORDER else len(ACTOR_ORDER), actor)


def lanes_for(records: Iterable[dict[str, Any]]) -> list[str]:
    """Lane labels in display order (actor order, then kind order)."""
    seen = {(r["actor"], kind) for r in records if (kind := lane_kind(r["kind"]))}
    ordered = sorted(seen, key=lambda p: (_actor_rank(p[0]), LANE_KINDS.index(p[1])))
    return [f"{actor} · {LANE_NAMES[group]}" for actor, group in ordered]


def brief(record: dict[str, Any]) -> str:
    """One line naming the event: kind and its identifying attributes."""
    attrs = record.get("attrs") or {}
    bits = [record["kind"].replace("_", " ")]
    for name in ("class", "missile", "status", "issuer", "name", "resolution", "title"):
        value = attrs.get(name)
        if value and str(value) not in bits:
            bits.append(str(value))
    return " · ".join(bits[:4])


def hover(record: dict[str, Any]) -> str:
    """Hover text: date (and end), brief, summary (cut), source."""
    span = f" to {record['end']}" if record.get("end") else ""
    summary = (record.get("summary") or "").replace("\n", " ")
    if len(summary) > HOVER_CHARS:
        summary = summary[:HOVER_CHARS - 1] + "…"
    lines = [f"<b>{record['date']}{span}</b> {_esc(record['actor'])}", _esc(brief(record))]
    if summary:
        lines.append(_esc(summary))
    lines.append(f"source: {_esc(record['source'])} {_esc(record['source_ref'])}")
    return "<br>".join(lines)


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _colour_key(record: dict[str, Any]) -> tuple[str, str]:
    """(legend label, colour) of an event's trace."""
    kind, attrs = record["kind"], record.get("attrs") or {}
    if kind == "missile_test":
        cls = attrs.get("class") or "unknown"
        return f"missile: {cls}", CLASS_COLOURS.get(cls, CLASS_COLOURS["unknown"])
    if kind == "sanctions_designation":
        issuer = attrs.get("issuer") or "other"
        return f"sanctions: {issuer}", ISSUER_COLOURS.get(issuer, ISSUER_COLOURS["other"])
    if kind in DIPLOMACY:
        return kind, DIPLOMACY_COLOURS[kind]
    return kind.replace("_", " "), KIND_COLOURS.get(kind, "#555555")


def _key_order(label: str) -> tuple[int, int, str]:
    if label.startswith("missile: "):
        cls = label.split(": ", 1)[1]
        return (1, MISSILE_CLASSES.index(cls) if cls in MISSILE_CLASSES else 99, label)
    if label.startswith("exercise: "):
        status = label.split(": ", 1)[1]
        return (2, EXERCISE_STATUSES.index(status) if status in EXERCISE_STATUSES else 99, label)
    return (0 if label == "nuclear test" else 3, 0, label)


@dataclass(frozen=True)
class AgreementTrack:
    """What the timeline draws for one checked agreement (built from a monitor report)."""

    id: str
    title: str
    start: dt.date
    last_day: dt.date
    segments: tuple[tuple[dt.date, dt.date, str, str], ...]  # start, end, status, label
    marks: tuple[dict[str, Any], ...]  # date, kind (breach|response), party, commitment, event
    # The days after a party's first breach in which the others' acts count as responses.
    response_windows: tuple[tuple[dt.date, dt.date, str], ...] = ()

    @property
    def lane(self) -> str:
        return f"agreement: {self.id}"

    @classmethod
    def from_report(cls, report) -> AgreementTrack:
        marks = []
        for kind, acts in (("breach", report.breaches), ("response", report.responses)):
            for act in acts:
                marks.append({"date": act.date, "kind": kind, "party": act.party,
                              "commitment": act.commitment, "released_by": act.released_by,
                              "event": act.event.to_json_dict() if act.event else None,
                              "undertaking": act.undertaking})
        window = dt.timedelta(days=report.agreement.response_window_days)
        firsts: dict[str, dt.date] = {}
        for b in report.breaches:
            firsts.setdefault(b.party, b.date)
        windows = tuple((day, min(day + window, report.last_day), party)
                        for party, day in firsts.items() if window.days)
        return cls(report.agreement.id, report.agreement.title, report.start, report.last_day,
                   tuple((s.start, s.end, s.status, s.label) for s in report.timeline),
                   tuple(marks), windows)


def timeline_figure(records: Sequence[dict[str, Any]], tracks: Sequence[AgreementTrack] = (),
                    *, title: str = "Event timeline", note: str = "",
                    initial_range: tuple[dt.date, dt.date] | None = None) -> go.Figure:
    """The swimlane figure of ``records`` (public JSON form) with ``tracks`` on top."""
    drawn = [r for r in records if lane_of(r) is not None]
    lanes = [t.lane for t in tracks] + lanes_for(drawn)
    fig = go.Figure()
    _add_tracks(fig, tracks)
    _add_exercises(fig, [r for r in drawn if r["kind"] == "military_exercise"])
    _add_points(fig, [r for r in drawn if r["kind"] != "military_exercise"])
    layout = base_layout(title + (f"<br><sup>{_esc(note)}</sup>" if note else ""))
    layout.update(
        height=max(320, 70 + 30 * len(lanes)),
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(lanes)),
               "type": "category", "automargin": True, "fixedrange": True},
        xaxis={"type": "date", "rangeslider": {"visible": True, "thickness": 0.06},
               "rangeselector": {"x": 1, "xanchor": "right", "y": 1.01, "yanchor": "bottom",
                                 "buttons": [
                   {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
                   {"count": 5, "label": "5y", "step": "year", "stepmode": "backward"},
                   {"count": 10, "label": "10y", "step": "year", "stepmode": "backward"},
                   {"step": "all", "label": "all"}]}},
        hovermode="closest", legend={"orientation": "v", "x": 1.01, "y": 1},
        margin={"l": 10, "r": 10, "t": 80, "b": 30},
    )
    if initial_range is not None:
        layout["xaxis"]["range"] = [initial_range[0].isoformat(), initial_range[1].isoformat()]
    for track in tracks:
        layout.setdefault("shapes", []).append({
            "type": "rect", "xref": "x", "yref": "paper", "x0": track.start.isoformat(),
            "x1": (track.last_day + dt.timedelta(days=1)).isoformat(), "y0": 0, "y1": 1,
            "fillcolor": "rgba(70,110,200,0.05)", "line": {"width": 0}, "layer": "below"})
    fig.update_layout(layout)
    return fig


def _add_tracks(fig: go.Figure, tracks: Sequence[AgreementTrack]) -> None:
    shown: set[str] = set()
    for track in tracks:
        for start, end, status, label in track.segments:
            name = f"agreement {status}"
            fig.add_trace(go.Scatter(
                x=[start.isoformat(), (end + dt.timedelta(days=1)).isoformat()],
                y=[track.lane, track.lane], mode="lines",
                line={"color": STATUS_FILLS[status], "width": 12}, name=name,
                legendgroup=name, showlegend=name not in shown,
                hovertext=[f"<b>{_esc(track.title)}</b><br>{start} to {end}: {_esc(label)}"] * 2,
                hoverinfo="text"))
            shown.add(name)
        for start, end, party in track.response_windows:
            name = "response window"
            fig.add_trace(go.Scatter(
                x=[start.isoformat(), (end + dt.timedelta(days=1)).isoformat()],
                y=[track.lane, track.lane], mode="lines", opacity=0.55,
                line={"color": STATUS_COLOURS["response"], "width": 4, "dash": "dot"},
                name=name, legendgroup=name, showlegend=name not in shown,
                hovertext=[f"<b>{_esc(track.id)}</b>: {party} breached on {start}; others' "
                           f"acts until {end} count as responses"] * 2, hoverinfo="text"))
            shown.add(name)
        for kind, symbol in (("breach", "x"), ("response", "triangle-up")):
            marks = [m for m in track.marks if m["kind"] == kind]
            if not marks:
                continue
            name = f"{kind}es" if kind == "breach" else f"{kind}s"
            groups = _clusters(marks)
            fig.add_trace(go.Scatter(
                x=[g[0]["date"].isoformat() for g in groups], y=[track.lane] * len(groups),
                mode="markers", name=name, legendgroup=name, showlegend=name not in shown,
                marker={"symbol": symbol, "color": STATUS_COLOURS[kind],
                        "size": [min(11 + 3 * (len(g) - 1), 26) for g in groups],
                        "line": {"width": 1, "color": "#222"}},
                customdata=[g[0]["event"]["id"] if g[0]["event"] else "" for g in groups],
                hovertext=[_cluster_hover(track, g) for g in groups], hoverinfo="text"))
            shown.add(name)


CLUSTER_ABOVE = 30  # more marks than this on one lane: one marker per month


def _clusters(marks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Marks one by one, or, when there are many, grouped by month (a bigger marker for more)."""
    if len(marks) <= CLUSTER_ABOVE:
        return [[m] for m in marks]
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in sorted(marks, key=lambda m: m["date"]):
        groups.setdefault(m["date"].strftime("%Y-%m"), []).append(m)
    return list(groups.values())


def _cluster_hover(track: AgreementTrack, group: list[dict[str, Any]]) -> str:
    if len(group) == 1:
        return _mark_hover(track, group[0])
    parties = ", ".join(sorted({m["party"] for m in group}))
    kind = "breaches" if group[0]["kind"] == "breach" else "responses"
    return (f"<b>{len(group)} {kind}</b> of {_esc(track.id)} by {parties} in "
            f"{group[0]['date']:%Y-%m}<br>first: " + _mark_hover(track, group[0]))


def _mark_hover(track: AgreementTrack, mark: dict[str, Any]) -> str:
    head = f"<b>{mark['kind']}</b> of {_esc(track.id)} by {mark['party']} ({mark['commitment']})"
    if mark.get("released_by"):
        head += f", released by {mark['released_by']}"
    if mark["event"] is None:
        return f"{head}<br>{mark['date']}: missed {_esc(mark['undertaking'] or '')}"
    return f"{head}<br>{hover(mark['event'])}<br><i>click for the evidence</i>"


def _add_exercises(fig: go.Figure, records: list[dict[str, Any]]) -> None:
    by_status: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_status.setdefault((r.get("attrs") or {}).get("status") or "held", []).append(r)
    for status in sorted(by_status, key=lambda s: _key_order(f"exercise: {s}")):
        group = by_status[status]
        xs, ys, texts = [], [], []
        for r in group:
            end = r.get("end") or r["date"]
            last = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
            xs += [r["date"], last, None]
            ys += [lane_of(r)] * 2 + [None]
            texts += [hover(r)] * 2 + [None]
        colour = STATUS_COLOURS.get(status, "#888888")
        name = f"exercise: {status}"
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": 9},
                                 name=name, legendgroup=name, hovertext=texts,
                                 hoverinfo="text", connectgaps=False))
        # A marker at each start, so short exercises stay visible and clickable.
        fig.add_trace(go.Scatter(
            x=[r["date"] for r in group], y=[lane_of(r) for r in group], mode="markers",
            marker={"symbol": "line-ns-open", "size": 12, "color": colour}, name=name,
            legendgroup=name, showlegend=False, customdata=[r["id"] for r in group],
            hovertext=[hover(r) for r in group], hoverinfo="text"))


def _add_points(fig: go.Figure, records: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(_colour_key(r), []).append(r)
    for (label, colour) in sorted(groups, key=lambda k: _key_order(k[0])):
        group = groups[(label, colour)]
        symbol = "star" if group[0]["kind"] == "nuclear_test" else "circle"
        fig.add_trace(go.Scatter(
            x=[r["date"] for r in group], y=[lane_of(r) for r in group], mode="markers",
            name=label, legendgroup=label,
            marker={"color": colour, "size": 13 if symbol == "star" else 7, "symbol": symbol,
                    "opacity": 0.85, "line": {"width": 0.5, "color": "#333"}},
            customdata=[r["id"] for r in group], hovertext=[hover(r) for r in group],
            hoverinfo="text"))
