"""Gather everything a report shows, by calling the library: checks, what-ifs, verification,
simulations, the dialogue analysis and the event timeline.

``build(agreements, store, ReportOptions(...))`` returns an ``AnalysisReport``; its ``html()``
is the self-contained page (``render.report_html``) and it renders itself in a notebook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente import __version__
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from detente.events.query import EventFilter
from detente.events.store import Store
from detente.progress import Progress
from detente.report.timeline import TIMELINE_KINDS

DEFAULT_WHATIF_FROM = dt.date(2006, 1, 1)  # North Korea's first nuclear test year
DEFAULT_SCENARIO = "korea-2018"
TIMELINE_LIMIT = 5000
TIMELINE_MARGIN_DAYS = 3 * 365


@dataclass(frozen=True)
class ReportOptions:
    """What to compute. ``compare`` names the agreements for the what-if and the simulation
    (default: every agreement of the report); ``scenario`` the dialogue scenario (None: skip)."""

    whatif_from: dt.date = DEFAULT_WHATIF_FROM
    whatif_to: dt.date | None = None
    step_days: int = 7
    simulate: bool = True
    runs: int = 20_000
    seed: int = 1
    horizon: str = "10y"
    period: str = "week"
    strategies: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    scenario: str | None = DEFAULT_SCENARIO
    proposals: tuple[str, ...] | None = None
    compare: tuple[str, ...] | None = None
    horizon_days: float = 30.0
    tension_dyad: str | None = "PRK-USA"
    tension_smooth: str | None = "8w"
    timeline_limit: int = TIMELINE_LIMIT
    title: str = "detente report"
    #: first origin year of a backtest of the compared agreements (None: no backtest section)
    backtest_from: int | None = None
    backtest_runs: int = 64

    def __post_init__(self) -> None:
        if self.step_days < 1:
            raise ParameterError.single("must be at least 1 day", field="step_days",
                                        value=self.step_days)
        if self.runs < 1:
            raise ParameterError.single("must be a positive integer", field="runs",
                                        value=self.runs)
        if self.timeline_limit < 1:
            raise ParameterError.single("must be positive", field="timeline_limit",
                                        value=self.timeline_limit)


@dataclass(frozen=True, eq=False)
class ProposalVerdict:
    """A bundled dialogue proposal and each party's acceptance of it: ``acceptance`` holds the
    ``probability.Chance`` of every actor, ``sentence`` the verdict with P(viable)."""

    id: str
    name: str
    positions: dict[str, float]
    acceptance: tuple[Any, ...]
    viable: bool
    sentence: str
    p_viable: float | None = None

    @classmethod
    def of(cls, ref: str | Path, scenario) -> ProposalVerdict:
        """The verdict on a proposal (bundled id or path) in ``scenario``."""
        from detente.dialogue import acceptance

        proposal = acceptance.load_proposal(ref, scenario)
        outcome = proposal.outcome(scenario.inputs)
        outlook = proposal.outlook(scenario)
        return cls(id=Path(str(ref)).stem, name=proposal.name,
                   positions=dict(zip(scenario.issue_ids, map(float, outcome), strict=True)),
                   acceptance=outlook.chances, viable=outlook.label == "likely",
                   sentence=outlook.sentence, p_viable=outlook.p_viable)


@dataclass(frozen=True, eq=False)
class AnalysisReport:
    """Everything one report shows; every number in it comes from these results."""

    options: ReportOptions
    agreements: tuple[Agreement, ...]
    compared: tuple[str, ...]
    record: dict[str, Any]
    checks: dict[str, Any]
    whatifs: dict[str, Any]
    verification: dict[str, Any]
    simulations: dict[str, Any]
    dialogue: Any | None
    proposals: tuple[ProposalVerdict, ...]
    timeline: list[dict[str, Any]]
    timeline_note: str
    generated: str
    version: str = __version__
    tension: Any | None = None
    forecast_error: Any | None = None  # dialogue.outcomes.Scorecard of the scenario, if any
    evaluation: Any | None = None      # evaluate.Evaluation of the compared agreements, if any

    def agreement(self, agreement_id: str) -> Agreement:
        for a in self.agreements:
            if a.id == agreement_id:
                return a
        raise KeyError(agreement_id)

    def html(self) -> str:
        """The self-contained HTML page (plotly.js inlined; no network needed to view it)."""
        from detente.report.render import report_html

        return report_html(self)

    def write(self, path: str | Path) -> Path:
        """Write ``html()`` to ``path`` (whole or not at all, creating its folder; see
        ``detente.output``) and return the path."""
        from detente.output import write_atomically

        html = self.html()
        return write_atomically(path, lambda tmp: tmp.write_text(html, encoding="utf-8"),
                                "out", parents=True)

    def summary(self) -> list[str]:
        """The generated summary, one paragraph per item (plain text)."""
        from detente.report.summary import summarise

        return summarise(self)

    def _repr_html_(self) -> str:
        from detente.report.notebook import report_fragment

        return report_fragment(self)


def _note(progress: Progress | None, stage: str) -> None:
    if progress is not None:
        progress(stage, 0, None)


def record_info(store: Store) -> dict[str, Any]:
    """The record's size and span: ``last`` is the last day its sources cover."""
    first = store.date_range()[0]
    return {"path": str(store.path), "events": store.count(), "first": first,
            "last": store.record_end(), "coverage_declared": bool(store.coverage())}


def timeline_records(store: Store, agreements: Sequence[Agreement], limit: int
                     ) -> tuple[list[dict[str, Any]], str]:
    """The events drawn on the timeline and a note saying what was left out, if anything."""
    flt = EventFilter(kind=TIMELINE_KINDS)
    total = store.count(flt)
    if total <= limit:
        return list(store.records(flt)), f"{total:,} events"
    # Too many to draw: keep the years around the agreements, then the latest ``limit``.
    start = min(a.start for a in agreements) - dt.timedelta(days=TIMELINE_MARGIN_DAYS)
    flt = EventFilter(kind=TIMELINE_KINDS, start=start)
    within = store.count(flt)
    offset = max(0, within - limit)
    records = list(store.records(EventFilter(kind=TIMELINE_KINDS, start=start, limit=limit,
                                             offset=offset)))
    first = records[0]["date"] if records else start.isoformat()
    return records, (f"{len(records):,} of {total:,} events (the latest from {first}; "
                     f"the timeline draws at most {limit:,})")


def build(agreements: Sequence[Agreement], store: Store, options: ReportOptions | None = None,
          *, progress: Progress | None = None) -> AnalysisReport:
    """Compute every section of the report for ``agreements`` against ``store``."""
    from detente import monitor, verification
    from detente.replay import whatif

    options = options or ReportOptions()
    if not agreements:
        raise ParameterError.single("name at least one agreement (a preset id or spec path)",
                                    field="agreements")
    ids = [a.id for a in agreements]
    if len(set(ids)) != len(ids):
        raise ParameterError.single("each agreement may appear once", field="agreements",
                                    value=",".join(ids))
    compared = tuple(options.compare) if options.compare is not None else tuple(ids)
    for agreement_id in compared:
        if agreement_id not in ids:
            raise ParameterError.single(f"not one of the report's agreements ({', '.join(ids)})",
                                        field="compare", value=agreement_id)
    record = record_info(store)
    if record["events"] == 0:
        raise ParameterError.single("the event store is empty: nothing to report on",
                                    field="store", value=str(store.path))
    checks, views = {}, {}
    for a in agreements:
        _note(progress, f"checking {a.id}")
        checks[a.id] = monitor.check(a, store)
        views[a.id] = verification.view(a, options.horizon_days)
    whatifs = {}
    last = options.whatif_to or record["last"]
    for agreement_id in compared:
        _note(progress, f"what-if {agreement_id}")
        whatifs[agreement_id] = whatif(_by_id(agreements, agreement_id), store,
                                              options.whatif_from, last, options.step_days)
    simulations = {}
    if options.simulate:
        simulations = _simulate(agreements, compared, store, options, progress)
    evaluation = None
    if options.backtest_from is not None:
        from detente.evaluate import evaluate, origin_years

        _note(progress, f"backtest from {options.backtest_from}")
        evaluation = evaluate([_by_id(agreements, a) for a in compared], store,
                              origins=origin_years(store, options.backtest_from),
                              methods=("default", "base_5y", "base_all", "persistence"),
                              runs=options.backtest_runs, seed=options.seed, draws=1000)
    proposals: tuple[ProposalVerdict, ...]
    dialogue, proposals, forecast_error = None, (), None
    if options.scenario:
        _note(progress, f"dialogue {options.scenario}")
        dialogue, proposals, forecast_error = _dialogue(options)
    tension = None
    if options.tension_dyad:
        from detente import tension as tension_lib

        _note(progress, f"tension {options.tension_dyad}")
        tension = tension_lib.tension(store, options.tension_dyad, weekly=True,
                                      smooth=options.tension_smooth)
    _note(progress, "timeline")
    records, note = timeline_records(store, agreements, options.timeline_limit)
    return AnalysisReport(
        options=options, agreements=tuple(agreements), compared=compared, record=record,
        checks=checks, whatifs=whatifs, verification=views, simulations=simulations,
        dialogue=dialogue, proposals=proposals, timeline=records, timeline_note=note,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), tension=tension,
        forecast_error=forecast_error, evaluation=evaluation)


def _by_id(agreements: Sequence[Agreement], agreement_id: str) -> Agreement:
    return next(a for a in agreements if a.id == agreement_id)


def _simulate(agreements: Sequence[Agreement], compared: Sequence[str], store: Store,
              options: ReportOptions, progress: Progress | None) -> dict[str, Any]:
    from detente.simulate import simulate_agreement

    out = {}
    for k, agreement_id in enumerate(compared):
        _note(progress, f"simulating {agreement_id} ({options.runs:,} runs)")
        agreement = _by_id(agreements, agreement_id)
        strategies = dict(options.strategies.get(agreement_id, {}))
        # Each proposal gets its own child seed, so adding one leaves the others unchanged.
        out[agreement_id] = simulate_agreement(
            agreement, strategies, runs=options.runs, seed=options.seed + k,
            period=options.period, horizon=options.horizon, store=store)
    return out


def _dialogue(options: ReportOptions) -> tuple[Any, tuple[ProposalVerdict, ...], Any]:
    from detente.dialogue import acceptance, analysis, catalog, outcomes

    assert options.scenario is not None  # called only when a scenario is given
    scenario = catalog.load(options.scenario)
    result = analysis.analyse(scenario)
    if options.proposals is not None:
        chosen = list(options.proposals)
    else:
        chosen = acceptance.proposal_ids(scenario.id)
    verdicts = tuple(ProposalVerdict.of(ref, scenario) for ref in chosen)
    return result, verdicts, outcomes.bundled_scorecard(scenario, result.forecasts)
