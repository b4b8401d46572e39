"""The JSON API under /api/: events, agreements, checks, what-ifs, simulations, evaluations,
dialogue.

Every route is a thin layer over the library; domain errors become JSON errors at the edge
(``app.py``). Every answer has an exact response model (``schemas``, ``answers``), so the
OpenAPI schema documents it and schemathesis checks it. Only bundled presets, scenarios and
proposals can be named: a request never reaches the server's file system.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import os
import pathlib
import re
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from detente import __version__
from detente.errors import AuthError, DetenteError, LimitError, NotFoundError, ParameterError
from detente.events.event import Event
from detente.events.kinds import Kind
from detente.events.query import EventFilter
from detente.web import answers, schemas
from detente.web.index import EventIndex
from detente.yamlio import Date as Day  # YYYY-MM-DD only, as everywhere (detente.dates)

router = APIRouter(prefix="/api")
bearer = HTTPBearer(auto_error=False, description="The operator's token (DETENTE_TOKEN).")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
DEFAULT_WHATIF_FROM = dt.date(2006, 1, 1)
# The work of one simulation is bounded like max_runs weekly runs over ten years, and its
# horizon (the engine steps period by period) by ten years of days.
REFERENCE_PERIODS = 522
MAX_HORIZON_PERIODS = 3653
MAX_TENSION_PERIODS = 40_000
# Path parameters name a bundled preset or scenario; the examples let /docs and schemathesis
# (its examples phase) reach real answers rather than only 404s.
AgreementId = Annotated[str, Path(examples=["post-olympic-pause"],
                                  description="A bundled preset (GET /api/agreements).")]
ScenarioId = Annotated[str, Path(examples=["korea-2018"],
                                 description="A bundled dialogue scenario.")]
DEFAULT_EVALUATE_AGREEMENT = "post-olympic-pause"
DEFAULT_EVALUATE_FROM = 2015
DEFAULT_EVALUATE_YEARS = 4
MAX_EVALUATE_RUNS = 256  # the CLI's default


# --- response and request models (for the OpenAPI schema) ------------------------------------

class ProblemOut(schemas.Exact):
    """One problem with the input (``errors.Problem``; a request's own: message, field,
    value)."""

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    value: schemas.Scalar | None = None


class ErrorBody(schemas.Exact):
    message: str
    type: str
    problems: list[ProblemOut] = Field(default_factory=list)


EventOut = schemas.EventJson  # one model of an event for every route


class EventsPage(schemas.Exact):
    total: int = Field(description="Events matching the filters.")
    limit: int
    offset: int
    next: str | None = Field(description="URL of the next page, or null on the last one.")
    events: list[EventOut]


class IngestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(min_length=1, description="Events in their public JSON form "
                                "(id optional: computed from source and source_ref).")
    file: str = Field("api", max_length=200, description="Name recorded in the ingest log.")


class IngestOut(schemas.Exact):
    file: str
    rows: int
    added: int
    merged: int
    linked: int
    unchanged: int
    notes: list[str] = Field(description="What the ingest noticed, e.g. rows with the source "
                             "key of a stored event that differ from it (the stored one kept).")


class AgreementOut(schemas.Exact):
    id: str
    title: str
    parties: list[str]
    start: dt.date
    end: dt.date | None
    commitments: list[str]
    reciprocity: schemas.Releases


class SimulateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agreement: str = Field(min_length=1, max_length=100, examples=["post-olympic-pause"])
    runs: int = Field(10_000, ge=1, description="Independent runs (the server caps them).")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Seed (default: fresh).")
    horizon: str = Field("10y", min_length=1, max_length=16, examples=["10y", "24m", "520w"])
    period: Literal["day", "week", "month"] = "week"
    strategies: dict[str, str] = Field(default_factory=dict,
                                       examples=[{"PRK": "generous:forgive=0.3"}])
    rates: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)
    background: bool = Field(False, description="Run as a job even when small.")


class JobOut(schemas.Exact):
    id: str
    kind: Literal["simulate"]
    status: Literal["queued", "running", "done", "failed"]
    params: SimulateBody = Field(description="The request, as received.")
    submitted: str
    started: str | None
    finished: str | None
    result: answers.SimulationOut | None = Field(description="When done.")
    error: str | None = Field(description="When failed: why.")
    url: str


class SimulateOut(schemas.Exact):
    status: Literal["done"]
    result: answers.SimulationOut


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "Malformed request body"), (404, "Not found"), (413, "Over a size or run limit"),
        (422, "Invalid input (every problem listed)"), (503, "The event store is unusable"))}
WRITE_ERRORS = {**ERRORS, 401: {"model": ErrorBody, "description": "Missing or wrong token"}}


# --- helpers -----------------------------------------------------------------------------------

def state(request: Request):
    return request.app.state


def check_id(value: str, what: str) -> str:
    if not ID_RE.match(value):
        raise NotFoundError(f"no {what} {value!r}")
    return value


def load_preset(agreement_id: str, st: Any = None):
    """A bundled preset, or one of the operator's spec files (``serve --spec``) by its id
    (``st``: the app's state, ``state(request)``)."""
    from detente.agreements import presets

    check_id(agreement_id, "preset")
    if st is not None and agreement_id in st.user_specs:
        return st.user_specs[agreement_id]
    return presets.load(presets.path_of(agreement_id, paths_allowed=False))


def user_specs(settings: Any) -> dict[str, Any]:
    """The operator's spec files by id, each checked; an id a preset already has is refused
    (a request for it would be ambiguous)."""
    from detente.agreements import presets
    from detente.agreements import spec as spec_lib
    from detente.errors import SpecError

    found: dict[str, Any] = {}
    for path in settings.specs:
        agreement = spec_lib.load(pathlib.Path(path))
        if agreement.id in presets.ids() or agreement.id in found:
            raise SpecError.single(f"the id {agreement.id!r} is already a "
                                   f"{'preset' if agreement.id in presets.ids() else 'spec'}"
                                   "'s: give the spec another id", file=path, field="id",
                                   value=agreement.id)
        found[agreement.id] = agreement
    return found


def agreements_offered(request: Request) -> list[Any]:
    """The presets, then the operator's spec files."""
    from detente.agreements import presets

    return [*presets.load_all(), *state(request).user_specs.values()]


def json_response(data: Any, status: int = 200) -> Response:
    # orjson: several times faster than json on the event pages the API serves most; NaN and
    # infinities become null, as `clean` does for the other responses.
    body = orjson.dumps(data, default=_default,
                        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code=status, media_type="application/json")


def _default(value: Any) -> Any:
    from detente.cli.common import _json_default

    return _json_default(value)


def clean(data: Any) -> Any:
    """JSON-safe copy: NaN and infinities (undefined statistics) become null."""
    if isinstance(data, float):
        return data if data == data and abs(data) != float("inf") else None
    if isinstance(data, dict):
        return {k: clean(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [clean(v) for v in data]
    if hasattr(data, "item") and not isinstance(data, str | bytes):
        return clean(data.item())
    return data


def require_token(request: Request,
                  credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    """Writes need the operator's token; without DETENTE_TOKEN the server is read-only."""
    token = state(request).settings.token
    if token is None:
        raise AuthError("this server is read-only: the operator has not set DETENTE_TOKEN")
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(),
                                                      token.encode()):
        raise AuthError("writes need the operator's token: send 'Authorization: Bearer "
                        "<DETENTE_TOKEN>'")


# --- routes ------------------------------------------------------------------------------------

@router.get("/health", summary="Server status", response_model=schemas.Health,
            responses=ERRORS)
def health(request: Request) -> dict[str, Any]:
    st = state(request)
    with st.access.read() as store:
        count = store.count()
        first, last = store.date_range()
    return {"status": "ok", "version": __version__, "events": count,
            "first": first.isoformat() if first else None,
            "last": last.isoformat() if last else None,
            "read_only": st.settings.read_only, "worker": os.getpid()}


@router.get("/events", summary="Events matching filters, in date order, a page at a time",
            response_model=EventsPage, responses=ERRORS)
async def list_events(
    request: Request,
    actor: Annotated[list[str] | None, Query(description="Actor code(s), e.g. PRK.")] = None,
    target: Annotated[list[str] | None, Query(description="Target code(s).")] = None,
    involving: Annotated[list[str] | None, Query(
        description="Actor, target or listed party.")] = None,
    kind: Annotated[list[Kind] | None, Query(description="Event kind(s).")] = None,
    date_from: Annotated[Day | None, Query(alias="from",
                                               description="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[Day | None, Query(alias="to",
                                             description="Last day (YYYY-MM-DD).")] = None,
    where: Annotated[list[str] | None, Query(
        description="Attribute test: class=ICBM,IRBM or apogee_km>=1000.")] = None,
    text: Annotated[str | None, Query(max_length=200,
                                      description="Text in the summary or attributes.")] = None,
    source: Annotated[list[str] | None, Query(description="Source name(s).")] = None,
    limit: Annotated[int | None, Query(ge=0, description="Page size (server default and "
                                                         "maximum apply).")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    # Common queries are answered before FastAPI parses them (fastpath.py), by the same
    # events_filter and events_page; this route answers the rest and documents the API.
    flt = events_filter(state(request).settings, limit, offset, actor=tuple(actor or ()),
                        target=tuple(target or ()), involving=tuple(involving or ()),
                        kind=tuple(k.value for k in kind or ()), where=tuple(where or ()),
                        start=date_from, end=date_to, text=text, source=tuple(source or ()))
    queries = state(request).queries
    index = queries.fresh() if EventIndex.supports(flt) else None
    if index is not None:
        # Well under a millisecond of vectorised work: cheaper on the event loop than a
        # thread hop.
        total, events = index.query(flt)
    else:  # a rebuild or SQL: off the event loop
        total, events = await run_in_threadpool(queries.page, flt)
    return events_page(request.url, flt, total, events)


def events_filter(settings, limit: int | None, offset: int, **filters: Any) -> EventFilter:
    """The filter of a ``GET /api/events`` request, with the server's page limits."""
    limit = settings.default_page if limit is None else limit
    if limit > settings.max_page:
        raise LimitError(f"limit {limit} is over the page size limit {settings.max_page}")
    if offset > settings.max_offset:
        raise LimitError(f"offset {offset} is over the limit {settings.max_offset}; "
                         "narrow the filters instead")
    return bounded(settings, EventFilter(limit=limit, offset=offset, **filters))


def bounded(settings, flt: EventFilter) -> EventFilter:
    """``flt`` if its cost is within the server's bounds: each ``where`` condition is a scan
    of every event's attributes (4,500 of them cost 4.7 s of CPU), each value a comparison."""
    if len(flt.where) > settings.max_conditions:
        raise LimitError(f"{len(flt.where):,} `where` conditions; at most "
                         f"{settings.max_conditions} per query")
    values = sum(map(len, (flt.actor, flt.target, flt.involving, flt.kind, flt.source,
                           flt.ids))) + sum(len(c.values) for c in flt.where)
    if values > settings.max_filter_values:
        raise LimitError(f"{values:,} values in the filters; at most "
                         f"{settings.max_filter_values} per query")
    return flt


def events_page(url: URL, flt: EventFilter, total: int, events: list) -> Response:
    """The ``EventsPage`` answer, with the URL of the next page unless this is the last."""
    following = None
    if flt.offset + len(events) < total and flt.limit:
        following = str(url.include_query_params(offset=flt.offset + flt.limit))
    return json_response({"total": total, "limit": flt.limit, "offset": flt.offset,
                          "next": following, "events": events})


@router.get("/events/{event_id}", summary="One event (or the event an alias id merged into)",
            response_model=EventOut, responses=ERRORS)
def get_event(request: Request, event_id: Annotated[str, Path(max_length=64)]) -> Response:
    found = state(request).queries.get(event_id)
    if found is None:
        raise NotFoundError(f"no event {event_id!r}")
    return json_response(found)


@router.post("/events", summary="Ingest events (needs the operator's token)",
             response_model=IngestOut, responses=WRITE_ERRORS,
             dependencies=[Depends(require_token)])
def ingest_events(request: Request, body: Annotated[IngestBody, Body()]) -> dict[str, Any]:
    st = state(request)
    if len(body.events) > st.settings.max_ingest_events:
        raise LimitError(f"{len(body.events)} events in one request; the limit is "
                         f"{st.settings.max_ingest_events}")
    with st.access.write() as store:
        result = store.ingest_events(body.events, file=body.file)
    # This worker's snapshot is rebuilt before the answer: once a client is told its events
    # are in, this worker's reads include them (another's, after its rebuild). The events are
    # in whatever happens to the rebuild (another process may hold the store by now).
    with contextlib.suppress(DetenteError):
        st.queries.current(wait=True)
    return {**result.__dict__, "notes": list(result.notes)}


@router.get("/agreements", summary="The bundled presets and the operator's spec files",
            response_model=list[AgreementOut], responses=ERRORS)
def list_agreements(request: Request) -> list[dict[str, Any]]:
    return [{"id": a.id, "title": a.title, "parties": a.parties, "start": a.start,
             "end": a.end, "commitments": [c.id for c in a.commitments],
             "reciprocity": a.reciprocity.model_dump(mode="json")}
            for a in agreements_offered(request)]


@router.get("/agreements/{agreement_id}", summary="One preset in full",
            response_model=schemas.AgreementSpec, responses=ERRORS)
def get_agreement(agreement_id: AgreementId, request: Request) -> Response:
    return json_response(clean(load_preset(agreement_id, state(request)).to_dict()))


@router.get("/check/{agreement_id}", summary="Replay an agreement against the record",
            response_model=schemas.CheckOut, responses=ERRORS)
def check(request: Request, agreement_id: AgreementId,
          start: Annotated[Day | None, Query(description="Window start override.")] = None,
          end: Annotated[Day | None, Query(description="Window end override.")] = None,
          as_of: Annotated[Day | None, Query(description="Use data up to this day.")]
          = None) -> Response:
    from detente import monitor

    spec = load_preset(agreement_id, state(request))
    with state(request).access.read() as store:
        report = monitor.check(spec, store, start=start, end=end, as_of=as_of)
    return json_response(clean(report.to_json_dict()))


@router.get("/whatif/{agreement_id}", summary="Replay from every start date in a range",
            response_model=schemas.WhatIfOut, responses=ERRORS)
def whatif(request: Request, agreement_id: AgreementId,
           date_from: Annotated[Day, Query(alias="from", description="First start.",
                                           examples=["2018-01-01"])]
           = DEFAULT_WHATIF_FROM,
           date_to: Annotated[Day | None, Query(
               alias="to", description="Last start (default: the end of the record).")] = None,
           step: Annotated[int, Query(ge=1, le=3650, description="Days between starts.",
                                      examples=[28])] = 7,
           ) -> Response:
    from detente import monitor, replay

    spec = load_preset(agreement_id, state(request))
    st = state(request)
    with st.access.read() as store:
        last = date_to or monitor.record_end(store)
        if last >= date_from:
            starts = (last - date_from).days // step + 1
            if starts > st.settings.max_whatif_starts:
                raise LimitError(f"{starts} start dates; the limit is "
                                 f"{st.settings.max_whatif_starts} (use a larger step)")
        result = replay.whatif(spec, store, date_from, last, step)
    return json_response(clean(result.to_json_dict()))


@router.get("/verification/{agreement_id}", summary="Who can watch whom, how well",
            response_model=schemas.VerificationOut, responses=ERRORS)
def verification(request: Request, agreement_id: AgreementId,
                 horizon_days: Annotated[float, Query(gt=0, le=36500)] = 30.0) -> Response:
    from detente import verification as verification_lib

    return json_response(clean(verification_lib.view(load_preset(agreement_id, state(request)),
                                                     horizon_days).to_json_dict()))


def plan_simulation(st, body: SimulateBody):
    """Check everything and build the model now (errors answer the request); the returned
    function runs the simulation."""
    from detente.simulate import model as model_mod
    from detente.simulate import simulate
    from detente.simulate import strategy as strategy_mod
    from detente.simulate.simulation import build_model, configure

    if body.runs > st.settings.max_runs:
        raise LimitError(f"{body.runs:,} runs; this server allows at most "
                         f"{st.settings.max_runs:,}")
    spec = load_preset(body.agreement, st)
    for option, mapping in (("strategies", body.strategies), ("rates", body.rates)):
        for code in mapping:
            if code not in spec.parties:
                raise ParameterError.single(f"not a party of {spec.id}; parties: "
                                            f"{', '.join(spec.parties)}", field=option,
                                            value=code)
    strategies: dict[str, strategy_mod.Strategy | str] = {
        code: strategy_mod.parse(text, allow_import=False)
        for code, text in body.strategies.items()}
    periods = model_mod.horizon_periods(body.horizon, body.period)
    if periods > MAX_HORIZON_PERIODS:
        raise LimitError(f"a horizon of {periods:,} {body.period}s; this server simulates at "
                         f"most {MAX_HORIZON_PERIODS:,} periods")
    with st.access.read() as store:
        model, rates = build_model(spec, period=body.period, horizon=body.horizon,
                                   rates=dict(body.rates), store=store)
    model, strategies, rates = configure(model, rates, strategies)
    if body.runs * model.horizon > st.settings.max_runs * REFERENCE_PERIODS:
        raise LimitError(f"{body.runs:,} runs over {model.horizon:,} periods is more work than "
                         f"this server allows ({st.settings.max_runs:,} runs of "
                         f"{REFERENCE_PERIODS} periods)")

    def work() -> dict[str, Any]:
        result = simulate(model, strategies, runs=body.runs, seed=body.seed, rates=rates)
        return clean(result.to_json_dict())

    return work


@router.post("/simulate", summary="Simulate an agreement (large runs become a job)",
             response_model=SimulateOut,
             responses={**ERRORS, 202: {"model": JobOut, "description": "Queued as a job"},
                        429: {"model": ErrorBody, "description": "Too many jobs"}})
def simulate_route(request: Request, body: SimulateBody) -> Response:
    st = state(request)
    work = plan_simulation(st, body)
    if body.background or body.runs > st.settings.sync_runs:
        job = st.jobs.submit("simulate", body.model_dump(), work)
        return json_response(job.to_json_dict(), status=202)
    return json_response({"status": "done", "result": work()})


@router.get("/simulate/{job_id}", summary="Status (and result) of a simulation job",
            response_model=JobOut, responses=ERRORS)
def simulation_job(request: Request, job_id: Annotated[str, Path(max_length=64)]) -> Response:
    return json_response(state(request).jobs.get(job_id).to_json_dict())


@router.get("/evaluate", summary="Forecasts scored out of sample on rolling origins",
            response_model=answers.EvaluationOut, responses=ERRORS)
def evaluate(request: Request,
             agreement: Annotated[list[str] | None, Query(
                 description="Preset id(s) (default: post-olympic-pause).")] = None,
             first: Annotated[int, Query(alias="from", ge=1900, le=2100, examples=[2016],
                                         description="First origin year (1 January).")]
             = DEFAULT_EVALUATE_FROM,
             last: Annotated[int | None, Query(
                 alias="to", ge=1900, le=2100, examples=[2017],
                 description="Last origin year (default: three "
                 "years after the first, or the record's last full year).")] = None,
             horizon: Annotated[list[Annotated[int, Field(ge=1, le=520)]] | None, Query(
                 description="Horizon(s) in weeks (default 13, 26, 52, 104).")] = None,
             method: Annotated[list[answers.Method] | None, Query(
                 description="Method(s) (default: every one).")] = None,
             runs: Annotated[int, Query(ge=1, le=MAX_EVALUATE_RUNS, description="Simulated "
                                        "runs per start for the default forecast.")] = 64,
             bootstrap: Annotated[int, Query(ge=100, le=2000, description="Bootstrap samples "
                                             "of origin years for the intervals.")] = 500,
             seed: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0) -> Response:
    from detente.evaluate import HORIZONS, METHODS, origin_years
    from detente.evaluate import evaluate as evaluate_lib

    st = state(request)
    ids = list(dict.fromkeys(agreement or [DEFAULT_EVALUATE_AGREEMENT]))
    specs = [load_preset(a, st) for a in ids]
    with st.access.read() as store:
        years = origin_years(store, first, last)
        if last is None:  # a few years by default: an origin of an agreement costs up to 1 s
            years = years[:DEFAULT_EVALUATE_YEARS]
        if len(specs) * len(years) > st.settings.max_evaluate_origins:
            raise LimitError(f"{len(specs)} agreement(s) x {len(years)} origin years; this "
                             f"server evaluates at most {st.settings.max_evaluate_origins} "
                             "(fewer agreements or a shorter from..to)")
        result = evaluate_lib(specs, store, origins=years, horizons=horizon or HORIZONS,
                              methods=method or METHODS, runs=runs, seed=seed, draws=bootstrap)
    return json_response(clean(result.to_json_dict()))


@router.get("/tension", summary="A dyad's tension index, daily or weekly",
            response_model=schemas.TensionOut, responses=ERRORS)
def tension(request: Request,
            dyad: Annotated[str, Query(max_length=40, description="Two actors, e.g. PRK-USA.")]
            = "PRK-USA",
            weekly: bool = True,
            smooth: Annotated[str | None, Query(max_length=12, description="Half-life of the "
                                                "smoothing, e.g. 4w or 10d.")] = None,
            date_from: Annotated[Day | None, Query(alias="from")] = None,
            date_to: Annotated[Day | None, Query(alias="to")] = None) -> Response:
    from detente import tension as tension_lib

    with state(request).access.read() as store:
        first, last = store.date_range()
        first, last = date_from or first, date_to or last
        if first is not None and last is not None:
            periods = ((last - first).days + 1) // (7 if weekly else 1)
            if periods > MAX_TENSION_PERIODS:
                raise LimitError(f"{periods:,} periods; at most {MAX_TENSION_PERIODS:,} per "
                                 "request (use weekly=true or a shorter range)")
        series = tension_lib.tension(store, dyad, weekly=weekly, smooth=smooth,
                                     start=date_from, end=date_to)
    return json_response(clean(series.to_json_dict()))


@router.get("/dialogue/{scenario_id}", summary="Forecasts, zones of agreement, packages",
            response_model=answers.DialogueOut, responses=ERRORS)
def dialogue(scenario_id: ScenarioId,
             models: Annotated[str, Query(max_length=100, description="Models: all, or a "
                                          "comma-separated list.")] = "all",
             proposal: Annotated[list[str] | None, Query(
                 description="Bundled proposal id(s) to test for acceptance.")] = None,
             ) -> Response:
    from detente.dialogue import acceptance, analysis, catalog, outcomes

    check_id(scenario_id, "scenario")
    scenario = catalog.load(catalog.path_of(scenario_id, paths_allowed=False))
    result = analysis.analyse(scenario, models)
    out = result.to_json_dict()
    card = outcomes.bundled_scorecard(scenario, result.forecasts)
    out["forecast_error"] = card.to_json_dict() if card else None
    verdicts = []
    for ref in proposal or ():
        check_id(ref, "proposal")
        if ref not in acceptance.proposal_ids():
            raise NotFoundError(f"no proposal {ref!r}; bundled: "
                                f"{', '.join(acceptance.proposal_ids())}")
        prop = acceptance.load_proposal(ref, scenario)
        verdicts.append({"proposal": ref, "name": prop.name, "signatories": prop.signatories,
                         "consent": prop.consent, **prop.outlook(scenario).to_json_dict()})
    out["acceptance"] = verdicts
    return json_response(clean(out))
