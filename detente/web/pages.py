"""The dashboard: server-rendered pages with the report's charts and forms.

``/`` shows one agreement (picked in a form, with a replay start and simulation settings): its
timeline with breaches and responses, what-if and simulated survival, verification. ``/events``
browses the record, ``/events/{id}`` shows one event's evidence, ``/dialogue`` the dialogue map,
``/report`` downloads the offline HTML report.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from detente.errors import InputError, NotFoundError, ParameterError
from detente.events.query import Condition, EventFilter, as_date
from detente.report import tables, views
from detente.report.render import environment
from detente.report.timeline import TIMELINE_KINDS
from detente.web.api import (
    DEFAULT_WHATIF_FROM,
    agreements_offered,
    bounded,
    check_id,
    load_preset,
    state,
)

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_AGREEMENT = "post-olympic-pause"
DEFAULT_RUNS = 5000
TIMELINE_MARGIN = dt.timedelta(days=730)
TIMELINE_LIMIT = 3000
PAGE = 50


COMPARE_DEFAULT = ("post-olympic-pause", "freeze-for-freeze")
COMPARE_RUNS = 2_000


def render(name: str, **context: Any) -> str:
    return environment(str(TEMPLATES)).get_template(name).render(**context)


def error_page(status: int, message: str) -> str:
    return render("error.html.j2", status=status, message=message, nav="")


@functools.cache
def _plotly_bytes() -> bytes:
    from detente.report.render import plotly_js

    return plotly_js().encode()


@router.get("/static/plotly.min.js")
def plotly_script() -> Response:
    """plotly.js from the installed plotly package (the dashboard loads nothing else)."""
    return Response(_plotly_bytes(), media_type="application/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ParameterError.single("expected a whole number", field=name, value=value) from None
    if not low <= number <= high:
        raise ParameterError.single(f"must be between {low:,} and {high:,}", field=name,
                                    value=number)
    return number




def _message(exc: Exception) -> str:
    return exc.summary if isinstance(exc, InputError) else str(exc)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:

    st = state(request)
    q = request.query_params
    offered = agreements_offered(request)
    ids = [a.id for a in offered]
    chosen = q.get("agreement") or (DEFAULT_AGREEMENT if DEFAULT_AGREEMENT in ids else ids[0])
    form: dict[str, Any] = {"agreement": chosen, "start": q.get("start") or "",
            "whatif_from": q.get("whatif_from") or DEFAULT_WHATIF_FROM.isoformat(),
            "step": q.get("step") or "7", "runs": q.get("runs") or str(DEFAULT_RUNS),
            "seed": q.get("seed") or "1", "horizon": q.get("horizon") or "10y"}
    context: dict[str, Any] = {"presets": offered, "form": form, "error": None,
                               "nav": "dashboard"}
    try:
        spec = load_preset(chosen, state(request))
        context["spec"] = spec
        # The default is what `detente simulate` runs: behaviour fitted to the record.
        strategies = {p: q.get(f"strategy_{p}") or "fitted" for p in spec.parties}
        form["strategies"] = strategies
        context.update(_dashboard_sections(st, spec, form, strategies))
        status = 200
    except (InputError, NotFoundError) as exc:
        context["error"] = _message(exc)
        status = 404 if isinstance(exc, NotFoundError) else 422
    from detente.simulate import strategy as strategy_mod

    context["strategy_names"] = ["fitted", *strategy_mod.names()]
    return HTMLResponse(render("dashboard.html.j2", **context), status_code=status)


def _dashboard_sections(st, spec, form: dict[str, Any], strategies: dict[str, str]
                        ) -> dict[str, Any]:
    from detente import monitor, verification
    from detente.replay import whatif
    from detente.simulate import simulate
    from detente.simulate import strategy as strategy_mod
    from detente.simulate.simulation import build_model, configure

    start = as_date(form["start"], "start")
    whatif_from = as_date(form["whatif_from"], "whatif_from") or DEFAULT_WHATIF_FROM
    step = _int(form["step"], "step", 7, 1, 3650)
    runs = _int(form["runs"], "runs", DEFAULT_RUNS, 1, st.settings.dashboard_runs)
    seed = _int(form["seed"], "seed", 1, 0, 2**63 - 1)
    parsed: dict[str, strategy_mod.Strategy | str] = {
        p: s if s == "fitted" else strategy_mod.parse(s, allow_import=False)
        for p, s in strategies.items()}
    with st.access.read() as store:
        report = monitor.check(spec, store, start=start)
        record_last = monitor.record_end(store)
        starts = (record_last - whatif_from).days // step + 1
        if starts > st.settings.max_whatif_starts:
            raise ParameterError.single(f"{starts} start dates; the limit is "
                                        f"{st.settings.max_whatif_starts}", field="step",
                                        value=step)
        replay = whatif(spec, store, whatif_from, record_last, step)
        lo = report.start - TIMELINE_MARGIN
        hi = min(report.last_day + TIMELINE_MARGIN, record_last)
        records = list(store.records(EventFilter(kind=TIMELINE_KINDS, start=lo, end=hi,
                                                 limit=TIMELINE_LIMIT)))
        total = store.count(EventFilter(kind=TIMELINE_KINDS, start=lo, end=hi))
        model, rates = build_model(spec, horizon=form["horizon"], store=store)
        tension = None
        if len(spec.parties) >= 2:
            from detente import tension as tension_lib

            tension = tension_lib.tension(store, f"{spec.parties[0]}-{spec.parties[1]}",
                                          weekly=True, smooth="8w", start=lo, end=hi)
    model, parsed, rates = configure(model, rates, parsed)
    sim = simulate(model, parsed, runs=runs, seed=seed, rates=rates)
    note = f"{len(records):,} of {total:,} events from {lo} to {hi}" if total > len(records) \
        else f"{total:,} events from {lo} to {hi}"
    href = lambda event_id: f"/events/{event_id}"  # noqa: E731
    parts = [replace(views.view(report, record=records, record_note=note, evidence=False,
                                href=href), title="The record around its window",
                     anchor="timeline")]
    if tension is not None and tension.events:
        parts.append(replace(views.view(tension, windows=[(spec.id, report.start,
                                                           report.last_day)]),
                             anchor="tension"))
    parts.append(replace(views.survival_view({spec.id: replay}, {spec.id: sim},
                                             titles={spec.id: spec.title}),
                         title="How long would it hold?", anchor="survival"))
    parts.append(replace(views.view(verification.view(spec),
                                    critical=sim.critical_detection()),
                         title="Verification", anchor="verification"))
    return {"check": report, "sim": sim, "replay": replay,
            "parts": [Markup(views.html(v, max_rows=None, level=2)) for v in parts]}


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request) -> HTMLResponse:
    q = request.query_params
    form = {k: q.get(k) or "" for k in ("actor", "kind", "from", "to", "text", "where")}
    offset = 0
    context: dict[str, Any] = {"form": form, "error": None, "nav": "events", "rows": None}
    try:
        offset = _int(q.get("offset"), "offset", 0, 0, 10_000_000)
        flt = bounded(state(request).settings, EventFilter(
            # EventFilter splits comma-separated codes itself
            actor=form["actor"] or None, kind=form["kind"] or None,  # type: ignore[arg-type]
            start=as_date(form["from"] or None, "start"), end=as_date(form["to"] or None, "end"),
            text=form["text"] or None,
            where=tuple(Condition.parse(w) for w in form["where"].split(";") if w.strip()),
            limit=PAGE,
            offset=offset))
        total, events = state(request).queries.page(flt)
        context.update(total=total, offset=offset, events=events, page=PAGE,
                       table=tables.table(
                           ("date", "actor", "kind", "event", "source"),
                           [(e["date"] + (f" to {e['end']}" if e.get("end") else ""),
                             e["actor"], e["kind"],
                             tables.Cell(tables.brief(e), href=f"/events/{e['id']}"),
                             e["source"]) for e in events],
                           f"{total:,} events; {offset + 1 if events else 0:,} to "
                           f"{offset + len(events):,} shown"))
        base = {k: v for k, v in form.items() if v}
        context["prev"] = _link("/events", base, max(0, offset - PAGE)) if offset else None
        context["next"] = (_link("/events", base, offset + PAGE)
                           if offset + len(events) < total else None)
        status = 200
    except InputError as exc:
        context["error"] = _message(exc)
        status = 422
    return HTMLResponse(render("events.html.j2", **context), status_code=status)


def _link(path: str, params: dict[str, str], offset: int) -> str:
    from urllib.parse import urlencode

    return f"{path}?{urlencode({**params, 'offset': offset})}"


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: str) -> HTMLResponse:
    found = state(request).queries.get(event_id)
    if found is None:
        raise NotFoundError(f"no event {event_id!r}")
    attrs = tables.table(("attribute", "value"),
                         [(k, ", ".join(map(str, v)) if isinstance(v, list) else v)
                          for k, v in sorted(found["attrs"].items())], "Attributes")
    links = [c for c in [found["attrs"].get("url"), *(found["attrs"].get("citations") or [])]
             if isinstance(c, str) and c.startswith(("http://", "https://"))]
    return HTMLResponse(render("event.html.j2", event=found, attrs=attrs, links=links,
                               brief=tables.brief(found), nav="events"))


@router.get("/dialogue", response_class=HTMLResponse)
def dialogue_page(request: Request) -> HTMLResponse:
    from detente.dialogue import acceptance, analysis, catalog, outcomes
    from detente.report.builder import ProposalVerdict

    scenario_id = check_id(request.query_params.get("scenario") or "korea-2018", "scenario")
    scenario = catalog.load(catalog.path_of(scenario_id, paths_allowed=False))
    result = analysis.analyse(scenario)
    verdicts = [ProposalVerdict.of(ref, scenario) for ref in acceptance.proposal_ids(scenario.id)]
    card = outcomes.bundled_scorecard(scenario, result.forecasts)
    shown = views.view(result, proposals=verdicts, forecast_error=card)
    return HTMLResponse(render(
        "dialogue.html.j2", nav="dialogue", analysis=result, scenarios=catalog.ids(),
        part=Markup(views.html(replace(shown, title="Where may agreement exist?"),
                               max_rows=None, level=2))))


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request) -> HTMLResponse:
    """Several agreements side by side, as the report shows them (the same builder and the
    same sections), evidence linked to the dashboard's event pages."""
    from detente.report.builder import ReportOptions, build
    from detente.report.render import report_context

    st = state(request)
    q = request.query_params
    chosen = list(dict.fromkeys(q.getlist("agreement"))) or list(COMPARE_DEFAULT)
    runs = _int(q.get("runs"), "runs", COMPARE_RUNS, 1, st.settings.dashboard_runs)
    step = _int(q.get("step"), "step", 28, 7, 3650)
    specs = [load_preset(a, state(request)) for a in chosen]
    with st.access.read() as store:
        result = build(specs, store, ReportOptions(runs=runs, step_days=step,
                                                   compare=tuple(chosen)))
    context = report_context(result, evidence_href=lambda event_id: f"/events/{event_id}")
    return HTMLResponse(render("compare.html.j2", nav="compare",
                               presets=agreements_offered(request), chosen=chosen,
                               runs=runs, step=step, evidence_base="/events/",
                               **context))


@router.get("/report")
def report_download(request: Request) -> Response:
    """The offline HTML report of the chosen agreements (``?agreement=ID``, repeatable)."""
    from detente.report.builder import ReportOptions, build

    st = state(request)
    chosen = request.query_params.getlist("agreement") or [DEFAULT_AGREEMENT]
    specs = [load_preset(a, state(request)) for a in dict.fromkeys(chosen)]
    runs = _int(request.query_params.get("runs"), "runs", DEFAULT_RUNS, 1,
                st.settings.dashboard_runs)
    with st.access.read() as store:
        result = build(specs, store, ReportOptions(runs=runs, step_days=14))
    name = "detente-report-" + "-".join(s.id for s in specs)[:80] + ".html"
    return Response(result.html(), media_type="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
