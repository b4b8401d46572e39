"""Tables as plain data (columns and rows of cells), rendered by the same Jinja macro in the
report, the dashboard and the notebook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detente.report.timeline import brief


@dataclass(frozen=True)
class Cell:
    """One cell: its text, an optional link and CSS class, and a sort value."""

    text: str
    href: str | None = None
    cls: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    numeric: frozenset[int] = field(default_factory=frozenset)
    anchors: tuple[str | None, ...] = ()  # optional id per row (evidence rows)

    def __len__(self) -> int:
        return len(self.rows)


def cell(value: Any, **kw: Any) -> Cell:
    return value if isinstance(value, Cell) else Cell(_text(value), **kw)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "",
          numeric: Iterable[int] = (), anchors: Sequence[str | None] = ()) -> Table:
    return Table(tuple(columns), tuple(tuple(cell(v) for v in row) for row in rows), caption,
                 frozenset(numeric), tuple(anchors))


LINK_CHARS = 90


def named(record: dict[str, Any]) -> str:
    """An evidence link's text: the event's date, kind and what its summary says it was
    (``2018-08-03 sanctions designation · OFAC: Russia's Agrosoyuz Commercial Bank, ...``)."""
    summary = " ".join((record.get("summary") or "").split())
    if len(summary) > LINK_CHARS:
        summary = summary[:LINK_CHARS - 1].rstrip() + "…"
    head = f"{record['date']} {brief(record)}"
    return f"{head}: {summary}" if summary else head


def evidence_anchor(event_id: str) -> str:
    return f"ev-{event_id}"


def acts_table(acts: Sequence[Any], caption: str, evidence_href) -> Table:
    """Breaches or responses of a monitor report, each linked to its evidence."""
    rows = []
    for act in acts:
        if act.event is None:
            what = Cell(f"missed {act.undertaking} (no matching act by the deadline)")
        else:
            record = act.event.to_json_dict()
            what = Cell(named(record), href=evidence_href(act.event.id),
                        title=(record.get("summary") or "")[:300])
        rows.append((act.date, act.party, act.commitment, what,
                     act.released_by or "-"))
    return table(("date", "party", "commitment", "evidence", "released by"), rows, caption)


def segments_table(report) -> Table:
    rows = [(s.start, s.end, s.days, Cell(s.label, cls=f"status-{s.status}"),
             ", ".join(s.responded) or "-") for s in report.timeline]
    return table(("from", "to", "days", "status", "responded"), rows, "Status timeline",
                 numeric=(2,))


def unobserved_table(report) -> Table:
    """The stretches of the window in which the record cannot see a commitment."""
    parties = {c.id: c.party for c in report.agreement.commitments}
    labels = report.observability.labels if report.observability else {}
    rows = [(cid, parties[cid], span.start, span.end, span.days, labels.get(cid, ""))
            for cid, span in report.unobserved]
    return table(("commitment", "party", "from", "to", "days", "no source covers"), rows,
                 "Unobserved: the record cannot see these commitments kept or broken "
                 "(not compliance)", numeric=(4,))


def obligations_table(report, evidence_href) -> Table:
    rows = []
    for o in report.obligations:
        ev = (Cell(named(o.event.to_json_dict()), href=evidence_href(o.event.id))
              if o.event else "-")
        rows.append((o.party, o.undertaking, o.deadline, o.status, ev))
    return table(("party", "undertaking", "deadline", "status", "evidence"), rows,
                 "Positive obligations")


def evidence_table(events: Sequence[dict[str, Any]]) -> Table:
    """Every event cited as evidence, each row with an anchor ``ev-<id>``."""
    rows, anchors = [], []
    for e in events:
        attrs = e.get("attrs") or {}
        links = [c for c in [attrs.get("url"), *(attrs.get("citations") or [])] if c]
        first_link = next((c for c in links if str(c).startswith(("http://", "https://"))),
                          None)
        also = "; ".join(f"{a['source']} {a['source_ref']}" for a in e.get("also") or [])
        rows.append((
            Cell(e["id"], cls="mono"), e["date"] + (f" to {e['end']}" if e.get("end") else ""),
            e["actor"], brief(e), (e.get("summary") or "-")[:400],
            Cell(f"{e['source']} {e['source_ref']}", href=first_link), e["confidence"],
            also or "-"))
        anchors.append(evidence_anchor(e["id"]))
    return table(("id", "date", "actor", "event", "summary", "source", "confidence",
                  "also in"), rows, "Evidence: every event cited above", anchors=anchors)


def verification_tables(view, critical: dict[str, Any] | None = None) -> tuple[Table, Table]:
    """Per commitment and per party; ``critical`` (a simulation's critical detection by
    party) adds the threshold each party's detection is compared with."""
    h = f"{view.horizon_days:g}"
    commitments = table(
        ("commitment", "party", "watched by", "means", "detection", "delay (days)",
         "false alarm / week", f"false alarm / {h} d", f"informedness ({h} d)"),
        [(c.commitment, c.party, ", ".join(c.observers), c.means, c.detection, c.delay_days,
          c.false_alarm_week, c.false_alarm_h, c.informedness) for c in view.commitments],
        f"Who can watch whom, how well ({view.agreement})", numeric=range(4, 9))
    columns = ["party", "weakest commitment", "observability", "min detection",
               "max delay (days)"]
    if critical is not None:
        columns += ["critical detection", "self-enforcing"]
    rows = []
    for p in view.parties:
        row: list[Any] = [p.party, p.weakest, p.observability, p.min_detection,
                          p.max_delay_days]
        if critical is not None:
            t = critical.get(p.party) or {}
            value = t.get("critical")
            row += [Cell("none suffices" if value is None and t else _text(value),
                         cls="bad" if t and not t.get("self_enforcing") else None),
                    "yes" if t.get("self_enforcing") else "no"]
        rows.append(row)
    asym = (f"asymmetry {view.asymmetry:.3f}" + (
        f"; most observable {', '.join(view.most_observable)}, least "
        f"{', '.join(view.least_observable)}" if view.asymmetry > 0 else ""))
    parties = table(columns, rows, f"Per party ({asym})", numeric=range(2, 6))
    return commitments, parties


def whatif_table(whatifs: dict[str, Any]) -> Table:
    rows = []
    for k, w in whatifs.items():
        breakers = ", ".join(f"{r.breaker} {r.share_of_breached:.0%}"
                             for r in w.shares.itertuples(index=False)
                             if r.breaker != "none" and r.starts)
        rows.append((k, len(w.starts), f"{w.start} to {w.end}", w.step_days, w.breached,
                     len(w.starts) - w.breached, w.median_days, breakers or "-"))
    return table(("proposal", "starts", "start dates", "step (days)", "broken", "censored",
                  "median days held", "who breaks first (of broken)"), rows,
                 "Historical what-if", numeric=(1, 3, 4, 5, 6))


def backtest_table(evaluation) -> Table:
    """Brier score of each method per horizon, and the default's skill with its interval."""
    rows = []
    for m in evaluation.methods:
        cells = []
        for h in evaluation.horizons:
            s = evaluation.score(m, h)
            cells.append("-" if s is None else f"{s.brier:.3f}")
        rows.append((m, *cells))
    for base in [m for m in evaluation.methods if m != "default"]:
        cells = []
        for h in evaluation.horizons:
            k = evaluation.skill("default", base, h)
            cells.append("-" if k is None or k.skill != k.skill else
                         f"{k.skill:+.3f} [{k.lo:+.2f}, {k.hi:+.2f}]")
        rows.append((f"skill vs {base}", *cells))
    first = evaluation.score(evaluation.methods[0], evaluation.horizons[0])
    return table(("Brier score / skill", *(f"{h} weeks" for h in evaluation.horizons)), rows,
                 f"Backtest, origins {evaluation.origins[0]}-{evaluation.origins[-1]} "
                 f"({first.n if first else 0} cases at {evaluation.horizons[0]} weeks)",
                 numeric=tuple(range(1, len(evaluation.horizons) + 1)))


def simulation_table(simulations: dict[str, Any]) -> Table:
    rows = []
    for k, s in simulations.items():
        summary = s.summary()
        p = summary["p_holding"]
        causes = summary["collapse_cause_shares"]
        first = ", ".join(f"{c} {v:.0%}" for c, v in summary["first_breaker"].items() if v)
        strategies = ", ".join(f"{c}={v}" for c, v in summary["strategies"].items())
        median = s.median_periods
        sens = {row["quantile"]: row["p_holding"]["12m"] for row in s.sensitivity}
        moves = (f"{percent(sens[min(sens)])} to {percent(sens[max(sens)])}" if sens
                 else "-")
        rows.append((k, s.runs, s.seed, strategies,
                     f"{median} {s.model.period}s" if median is not None else "beyond horizon",
                     percent(p.get("6m")), percent(p.get("12m")), percent(p.get("24m")),
                     moves, percent(causes["false_alarm"]), first or "-"))
    return table(("proposal", "runs", "seed", "strategies", "median", "P(6 m)", "P(12 m)",
                  "P(24 m)", "P(12 m), false alarms at their prior's 5% to 95%",
                  "collapses from false alarms", "first observed breaker"), rows,
                 "Simulation", numeric=(1, 2, 5, 6, 7, 9))


def dialogue_tables(analysis) -> tuple[Table, Table]:
    names = list(analysis.forecasts)
    rows = []
    for d, issue in enumerate(analysis.scenario.issues):
        z = analysis.zones[d]
        rows.append((issue.label, issue.status_quo,
                     *[float(analysis.forecasts[n].position[d]) for n in names],
                     f"{z.low:g} to {z.high:g}" if z.agreement else "none",
                     Cell(z.reason)))
    forecasts = table(("issue", "status quo", *names, "zone of agreement", "why"), rows,
                      "Forecasts by issue", numeric=range(1, 2 + len(names)))
    inputs = analysis.inputs
    actor_rows = [(a, inputs.capability[i], bool(inputs.veto[i]),
                   *[f"{inputs.position[i, d]:g} ({inputs.salience[i, d]:.2f})"
                     for d in range(inputs.n_issues)]) for i, a in enumerate(inputs.actors)]
    actors = table(("actor", "capability", "veto",
                    *[i.label for i in analysis.scenario.issues]), actor_rows,
                   "Positions (salience) by actor", numeric=(1,))
    return forecasts, actors


def acceptance_table(verdict) -> Table:
    """Each actor's P(accept) of a proposal (``probability.Chance``), veto holders first."""
    chances = sorted(verdict.acceptance, key=lambda a: not a.veto)
    rows = [(a.actor, a.role, Cell(f"{a.p_accept:.2f}", cls="good" if a.accepts else "bad"),
             f"{a.gain:+.1f}", f"{a.gain_low:+.1f} to {a.gain_high:+.1f}",
             f"red line on {a.red_lines[0]}" if a.red_lines else a.costliest_issue or "-")
            for a in chances]
    positions = ", ".join(f"{k} {v:g}" for k, v in verdict.positions.items())
    return table(("actor", "role", "P(accept)", "gain", "90% of draws", "costliest issue"),
                 rows, f"{verdict.name} ({positions}): {verdict.sentence}", numeric=(2, 3))


def forecast_error_table(card) -> Table:
    """Each bargaining model's mean absolute error against known outcomes, beside the status
    quo forecast (``dialogue.outcomes.Scorecard``); a model that cannot beat it is marked."""
    rows = []
    for name in ("status quo", *card.models):
        errors = {e.episode: e.mae for e in card.errors if e.model == name}
        verdict = card.verdict(name)
        rows.append((name, *[errors[e.id] for e in card.episodes], card.mean_error(name),
                     Cell(verdict, cls="bad" if verdict.startswith("cannot") else None)))
    episodes = [f"{e.id} ({e.date})" for e in card.episodes]
    return table(("model", *episodes, "mean", "verdict"), rows,
                 "Forecast error against known outcomes (mean absolute error, points per 100 "
                 "of scale)", numeric=range(1, 2 + len(episodes)))


def summary_table(rows: Sequence[dict[str, Any]]) -> Table:
    def days(row, key):
        if key not in row:
            return "-"
        return "not reached" if row[key] is None else f"{row[key]:,.0f}"

    out = [(r["agreement"], Cell(r["status"], cls=f"status-{r['status'].split()[0]}"),
            r["first_breach"], ", ".join(r.get("blind_at_end") or []) or "-",
            days(r, "whatif_median_days"), days(r, "sim_median_days"),
            percent(r.get("p_holding_12m"))) for r in rows]
    return table(("agreement", "status against the record", "first breach",
                  "unobserved at the record's end", "what-if median (days)",
                  "simulated median (days)", "P(holding 12 m)"), out,
                 "At a glance", numeric=(4, 5, 6))
