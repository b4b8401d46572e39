"""One presenter per result type: ``view(result) -> View``, a title and its sections (figures,
tables, text), registered with ``functools.singledispatch``.

The library's result classes know nothing of presentation (they never import this package);
every presentation layer asks this registry and draws what it returns with ``html(view)``: the
notebook (``detente.report.notebook``, its IPython formatters), the HTML report
(``render.report_context``) and the dashboard's pages (``detente.web.pages``). Pages adjust a
view through keyword options (``check_view(report, figure=False)``, ``verification_view(v,
critical=...)``) and ``dataclasses.replace`` (a title, an anchor), never by re-assembling its
sections. ``survival_view`` presents several replays and simulations on one axis (the report's
comparison); a single what-if or simulation is the same view with one curve. A new result type
gets its presenter here, once. Tables are capped (``max_rows``) in a notebook with a line
saying how many rows were left out and where all of them are (``result.tables()``).
"""

from __future__ import annotations

import functools
import html as html_lib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from detente.report import figures, tables

MAX_ROWS = 25  # rows shown per table in a notebook output; the rest stay in result.tables()
SCROLL_ROWS = 15  # on a page, a longer table scrolls in a box of its own


@dataclass(frozen=True)
class Figure:
    name: str     # the figure's ``data-figure`` name on a page and its file name in an export
    figure: Any   # a plotly Figure


@dataclass(frozen=True)
class Text:
    text: str     # plain text, escaped when drawn
    role: Literal["body", "hint", "warn"] = "body"


Section = Figure | tables.Table | Text


@dataclass(frozen=True)
class View:
    title: str
    sections: tuple[Section, ...]
    anchor: str | None = None  # the id of its section on a page
    tag: str | None = None     # a badge after the title (an agreement's id)

    def figures(self) -> dict[str, Any]:
        """Its Plotly figures by name."""
        return {s.name: s.figure for s in self.sections if isinstance(s, Figure)}


@functools.singledispatch
def view(result: Any, **options: Any) -> View:
    """The title and sections that present ``result`` (``options``: its presenter's)."""
    kind = type(result)
    raise TypeError(f"no view for {kind.__module__}.{kind.__qualname__}")


def _register() -> None:
    """Register the presenters. The result modules are imported here, from the presentation
    layer downwards; they never import this package."""
    from detente import monitor, replay, verification
    from detente.dialogue.analysis import Analysis
    from detente.evaluate.backtest import Evaluation
    from detente.simulate.result import SimulationResult
    from detente.tension import TensionSeries

    view.register(monitor.Report, check_view)
    view.register(replay.WhatIfResult, whatif_view)
    view.register(SimulationResult, simulation_view)
    view.register(verification.VerificationView, verification_view)
    view.register(Analysis, dialogue_view)
    view.register(Evaluation, evaluation_view)
    view.register(TensionSeries, tension_view)


def evidence_hash(event_id: str) -> str:
    """The link to an event's row in the evidence table of the same page."""
    return "#" + tables.evidence_anchor(event_id)


def cited_records(*reports) -> list[dict[str, Any]]:
    """The events monitor ``Report``s cite (breaches, responses, obligations met), once, by
    date, in their public JSON form."""
    seen: dict[str, dict[str, Any]] = {}
    for report in reports:
        for act in (*report.breaches, *report.responses, *report.obligations):
            if act.event is not None:
                seen.setdefault(act.event.id, act.event.to_json_dict())
    return sorted(seen.values(), key=lambda e: (e["date"], e["id"]))


def check_text(report) -> tuple[Text, ...]:
    """What a check found, in words: window, status, first breach and what the record could
    not see, the response rule, and a warning when no source declares its coverage."""
    a = report.agreement
    first = report.first_breach
    if first is None:
        breach = "No breach."
    else:
        jointly = " jointly" if len(report.first_breakers) > 1 else ""
        breach = (f"First breach: {' and '.join(report.first_breakers)}{jointly} on "
                  f"{first.date} ({first.commitment}).")
        if report.uncertain_first:
            breach += (f" The record could not see {', '.join(report.uncertain_first)} on some "
                       "day before it: an earlier breach there cannot be ruled out.")
    out = [Text(f"Parties {', '.join(a.parties)}; window {report.start} to "
                f"{report.end or 'open'} (data to {report.as_of}); reciprocity "
                f"{a.reciprocity.mode}. Status: {report.status_label}. {breach} Acts of "
                f"released parties within {a.response_window_days} days of the release are "
                "responses.")]
    if not report.coverage_declared:
        out.append(Text("No source in this store declares its coverage: days without events "
                        "count as quiet.", "warn"))
    return tuple(out)


def check_view(report, *, figure: bool = True, evidence: bool = True,
               record: Sequence[dict[str, Any]] | None = None, record_note: str = "",
               href: Callable[[str], str] = evidence_hash) -> View:
    """A monitor ``Report``: what it found, its lane on a timeline, status segments, unobserved
    stretches, breaches, responses, obligations and the evidence.

    ``record``: the events to draw around the agreement's lane (default: the cited ones);
    ``figure``/``evidence`` False leave out the timeline and the evidence table (a page that
    draws one timeline and one evidence table for several checks); ``href`` links an event id
    to its evidence (the evidence table below by default)."""
    from detente.report.timeline import AgreementTrack, timeline_figure

    cited = cited_records(report) if evidence or (figure and record is None) else []
    sections: list[Section] = list(check_text(report))
    if figure:
        shown = cited if record is None else record
        title = (f"{report.agreement.title}: status and evidence" if record is None
                 else f"{report.agreement.title}: the record around its window")
        sections.append(Figure("timeline", timeline_figure(
            list(shown), [AgreementTrack.from_report(report)], title=title, note=record_note)))
    found = (tables.segments_table(report),
             tables.unobserved_table(report) if report.unobserved else None,
             tables.acts_table(report.breaches, f"Breaches ({len(report.breaches)})", href),
             tables.acts_table(report.responses, "Responses of released parties "
                               f"({len(report.responses)})", href) if report.responses else None,
             tables.obligations_table(report, href) if report.obligations else None,
             tables.evidence_table(cited) if evidence else None)
    return View(f"Check: {report.agreement.id}",
                (*sections, *(t for t in found if t is not None)))


def survival_view(whatifs: Mapping[str, Any], simulations: Mapping[str, Any], *,
                  titles: Mapping[str, str] | None = None) -> View:
    """Replays and simulations of one or several agreements on one axis, with their tables."""
    said = []
    if whatifs:
        said.append("Replay: every start date against the real record (Kaplan-Meier estimate "
                    "of the share still holding; its 95% band draws whole start years, since "
                    "starts a step apart share the events that end them).")
    if simulations:
        said.append("Simulation: each party's behaviour fitted to the record before its start "
                    "and imperfect monitoring (share of runs without an observed breach, 95% "
                    "Wilson band).")
    if whatifs and simulations:
        said.append("They answer different questions: a replay ends at the first breach the "
                    "record shows; a simulated run at the first breach its monitoring detects, "
                    "or at a false alarm.")
    found = (tables.whatif_table(dict(whatifs)) if whatifs else None,
             tables.simulation_table(dict(simulations)) if simulations else None)
    ids = list(dict.fromkeys([*whatifs, *simulations]))
    return View(f"How long would it hold? {', '.join(ids)}", (
        Text(" ".join(said), "hint"),
        Figure("survival", figures.survival_figure(whatifs, simulations, titles=titles)),
        *(t for t in found if t is not None)))


def whatif_view(result) -> View:
    """A what-if replay: its counts and median in words, its curve and its table."""
    lo, hi = result.median_interval
    text = (f"{len(result.starts):,} starts from {result.start} to {result.end} every "
            f"{result.step_days} days; {result.breached:,} broken at {result.ending_events:,} "
            f"distinct events; median {result.median_days} days (95% interval {lo} to "
            f"{'beyond' if hi is None else hi}); {result.unobserved:,} starts unobserved.")
    shown = survival_view({result.agreement: result}, {})
    return View(f"What-if: {result.agreement}", (Text(text), *shown.sections))


def simulation_view(result) -> View:
    """A simulation: runs and strategies, its curve, its table, critical detection."""
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
    shown = survival_view({}, {agreement: result})
    return View(f"Simulation: {agreement}", (
        Text(f"{result.runs:,} runs (seed {result.seed}); strategies {strategies}."),
        *shown.sections, critical))


def verification_view(v, *, critical: Mapping[str, Any] | None = None) -> View:
    """Per commitment and per party; ``critical`` (a simulation's critical detection by party)
    adds the threshold each party's detection is compared with."""
    commitments, parties = tables.verification_tables(
        v, dict(critical) if critical is not None else None)
    return View(f"Verification: {v.agreement}", (
        Text("Detection: chance a real breach is seen; informedness = timely detection minus "
             "the chance of a false alarm over the horizon (1: plain to see, 0: reports carry "
             "no information). The critical detection probability, where a simulation ran, is "
             "the least detection that makes a party's restraint self-enforcing against "
             "partners who punish what they observe, false alarms and delays counted.", "hint"),
        commitments, parties))


def dialogue_view(analysis, *, proposals: Sequence[Any] = (), forecast_error: Any = None
                  ) -> View:
    """The dialogue analysis: its map of positions, the models' forecasts and the actors; with
    ``proposals`` (``builder.ProposalVerdict``) each party's acceptance, with
    ``forecast_error`` (an ``outcomes.Scorecard``) how the forecasts fared."""
    forecasts, actors = tables.dialogue_tables(analysis)
    sections: list[Section] = [
        Text(analysis.scenario.disclaimer, "hint"),
        Text("Marker area is proportional to capability x salience; the green band is the zone "
             "of agreement, the dashed line the status quo, the bottom row each model's "
             "forecast.", "hint"),
        Figure("dialogue", figures.dialogue_figure(analysis)), forecasts, actors]
    if proposals:
        sections.append(Text("Acceptance is probabilistic: P(accept) per party from draws over "
                             "the scenario's documented uncertainty; only a proposal's "
                             "signatories and consent holders hold a veto.", "hint"))
        sections.extend(tables.acceptance_table(p) for p in proposals)
    if forecast_error is not None:
        sections.append(tables.forecast_error_table(forecast_error))
    return View(f"Dialogue: {analysis.scenario.id}", tuple(sections))


def evaluation_view(evaluation) -> View:
    """A backtest: what was scored, the skill chart and table, and the verdicts of the default
    forecast (only where an interval excludes zero)."""
    verdicts = [s.verdict for s in evaluation.skills if s.verdict and s.model == "default"]
    return View(f"Backtest: {', '.join(evaluation.agreements)}", (
        Text(f"Origins {evaluation.origins[0]}-{evaluation.origins[-1]}, "
             f"{len(evaluation.cases):,} scored cases. The simulation's default forecast "
             "(behaviour fitted to the record) and simple baselines, each made at 1 January "
             "of every origin year from the record before it, scored on what the record then "
             "showed (windows the record cannot decide are left out). Skill above zero beats "
             "the baseline; the bars are 95% intervals from a bootstrap of origin years.",
             "hint"),
        Figure("backtest", figures.backtest_figure(evaluation)),
        tables.backtest_table(evaluation),
        Text("; ".join(verdicts) + "." if verdicts else
             "No verdict: every interval includes zero (no clear difference from the "
             "baselines).")))


def tension_view(series, *, windows: Sequence[tuple[str, Any, Any]] = ()) -> View:
    """A dyad's tension index, ``windows`` ``(label, start, last day)`` shaded."""
    smooth = (f"; the line is smoothed with a half-life of {series.halflife_days:g} days"
              if series.halflife_days else "")
    unit = "Weekly" if series.freq == "W" else "Daily"
    shaded = "; shaded: the agreements' windows" if windows else ""
    return View(f"Tension index {series.dyad.label}", (
        Text(f"{unit} sum of Goldstein-weighted events in which one side of the dyad acts on "
             f"the other ({series.events:,} such events in the record): conflictual events "
             f"count up, cooperative ones down{smooth}{shaded}.", "hint"),
        Figure("tension", figures.tension_figure(series, windows))))


def capped(table: tables.Table, max_rows: int = MAX_ROWS) -> tables.Table:
    """``table`` with at most ``max_rows`` rows and a caption saying how many were left out."""
    if len(table.rows) <= max_rows:
        return table
    left = len(table.rows) - max_rows
    return tables.Table(table.columns, table.rows[:max_rows],
                        f"{table.caption} (first {max_rows:,} rows; {left:,} more in "
                        "result.tables())", table.numeric, table.anchors[:max_rows])


def html(v: View, *, max_rows: int | None = MAX_ROWS, level: int = 3) -> str:
    """``v`` as an HTML section, its title a heading of ``level`` (plotly.js must be on the
    page). ``max_rows`` caps each table (a notebook); None shows every row, a long table in
    a scrolling box (a page)."""
    from detente.report.render import environment, figure_div

    # A template's macros are attributes its module gets at run time.
    macro = environment().get_template("_macros.html.j2").module.render_table  # type: ignore[attr-defined]
    tag = f' <span class="badge">{html_lib.escape(v.tag)}</span>' if v.tag else ""
    anchor = f' id="{html_lib.escape(v.anchor)}"' if v.anchor else ""
    out = [f'<section class="view"{anchor}><h{level}>{html_lib.escape(v.title)}{tag}'
           f"</h{level}>"]
    for section in v.sections:
        if isinstance(section, Figure):
            out.append(str(figure_div(section.figure, section.name)))
        elif isinstance(section, Text):
            role = "" if section.role == "body" else f' class="{section.role}"'
            out.append(f"<p{role}>{html_lib.escape(section.text)}</p>")
        elif max_rows is not None:
            out.append(str(macro(capped(section, max_rows))))
        else:
            out.append(str(macro(section, scroll=len(section.rows) > SCROLL_ROWS)))
    out.append("</section>")
    return "".join(out)


_register()
