"""The report's summary in words: which proposal lasts longer and why, every figure computed.

Each sentence is built from a result object (what-if, simulation, verification view, monitor
report, dialogue analysis); nothing here is a number typed by hand except the fixed reading
points of the curves (12 months) that the sentences name.
"""

from __future__ import annotations

import math
from typing import Any

from detente.report.timeline import brief

MONTH_DAYS = 30.4375


def days_text(days: float | None) -> str:
    if days is None:
        return "not reached"
    if days >= 2 * 365.25:
        return f"{days:,.0f} days (about {days / 365.25:.1f} years)"
    if days >= 61:
        return f"{days:,.0f} days (about {days / MONTH_DAYS:.0f} months)"
    return f"{days:,.0f} days"


def _days(n: float) -> str:
    return f"{n:g} day" if n == 1 else f"{n:g} days"


def pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


#: asymmetry (the gap between the best- and the worst-watched party's informedness, 0 to 1)
#: from which the summary calls verification "lopsided"; below it and above 0, "uneven"
LOPSIDED = 0.25


def _rank_key(value: float | None) -> float:
    return math.inf if value is None else value


def whatif_median(result) -> float | None:
    return result.median_days


def simulated_median_days(result) -> float | None:
    periods = result.median_periods
    return None if periods is None else periods * result.model.days


def simulated_median_interval(result) -> tuple[float | None, float | None]:
    days = result.model.days
    return tuple(None if p is None else p * days  # type: ignore[return-value]
                 for p in result.median_interval)


def _interval_text(interval: tuple[float | None, float | None]) -> str:
    lo, hi = interval
    if lo is None:
        return "95% interval beyond the observation"
    return f"95% interval {lo:,.0f}-{'beyond' if hi is None else f'{hi:,.0f}'}"


def _separated(lead: tuple[float | None, float | None],
               other: tuple[float | None, float | None]) -> bool:
    """The leader's median interval lies wholly above the other's."""
    return _rank_key(lead[0]) > _rank_key(other[1])


def _comparison(kind: str, medians: dict[str, float | None],
                intervals: dict[str, tuple[float | None, float | None]],
                titles: dict[str, str], n: int) -> tuple[str | None, str]:
    """(the leader, or None when no interval separates) and the clause saying so."""
    order = sorted(medians, key=lambda k: -_rank_key(medians[k]))
    lead, rest = order[0], order[1:]
    figures = "; ".join(f"{titles[k]} {days_text(medians[k])} ({_interval_text(intervals[k])})"
                        for k in order)
    if all(_separated(intervals[lead], intervals[r]) for r in rest):
        return lead, (f"{titles[lead]} lasts {_most(n)} in the {kind}, the median intervals "
                      f"apart ({figures})")
    return None, f"no clear difference in the {kind}: the median intervals overlap ({figures})"


def _most(n: int) -> str:
    return "longer" if n == 2 else "longest"


def _verdict(report) -> list[str]:
    ids = list(report.compared)
    titles = {a.id: a.title for a in report.agreements}
    out = []
    hist = {k: whatif_median(report.whatifs[k]) for k in ids if k in report.whatifs}
    sims = {k: simulated_median_days(report.simulations[k]) for k in ids
            if k in report.simulations}
    if len(ids) > 1:
        bits = []
        if len(hist) > 1:
            bits.append(_comparison("historical replay", hist, {
                k: report.whatifs[k].median_interval for k in hist}, titles, len(hist))[1])
        if len(sims) > 1:
            bits.append(_comparison("simulation", sims, {
                k: simulated_median_interval(report.simulations[k]) for k in sims}, titles,
                len(sims))[1])
        if bits:
            out.append(f"Of the {len(ids)} proposals compared: " + "; ".join(bits) + ".")
    for k in ids:
        parts = []
        if k in report.whatifs:
            w = report.whatifs[k]
            n = len(w.starts)
            parts.append(
                f"replayed from {n:,} start dates between {w.start} and {w.end} (every "
                f"{w.step_days} days), it was broken in {w.breached:,} of them and held a median "
                f"of {days_text(hist[k])} before its first breach")
            if w.unobserved:
                one = w.unobserved == 1
                parts.append(f"{w.unobserved:,} start{'' if one else 's'} "
                             f"reach{'es' if one else ''} a stretch the record cannot see "
                             "before any breach and "
                             f"count{'s' if one else ''} only as held until then")
            if w.thin:
                parts.append(f"{w.thin:,} observed starts rest on partial sources somewhere")
        if k in report.simulations:
            s = report.simulations[k]
            p12 = s.p_holding(12)
            parts.append(
                f"in {s.runs:,} simulated runs (seed {s.seed}) it holds a median of "
                f"{days_text(sims[k])}, and {pct(p12)} of runs still hold after 12 months")
            thin = [f"{party} ({'; '.join(r['warnings'])})" for party, r in s.rates.items()
                    if r.get("warnings")]
            if thin:
                parts.append("its temptation rates rest on partial sources for "
                             + ", ".join(thin))
        if parts:
            out.append(f"{titles[k]} [{k}]: " + "; ".join(parts) + ".")
    return out


def _why(report) -> list[str]:
    out = []
    for k in report.compared:
        reasons = []
        w = report.whatifs.get(k)
        if w is not None and w.breached:
            shares = w.shares[~w.shares["breaker"].isin(["none", "unobserved"])].sort_values(
                "starts", ascending=False)
            top = shares.iloc[0]
            reasons.append(f"{top['breaker']} broke it first in {pct(top['share_of_breached'])} "
                           f"of the broken starts")
        v = report.verification.get(k)
        if v is not None and v.parties:
            low = min(v.parties, key=lambda p: p.observability)
            weakest = next(c for c in v.commitments if c.commitment == low.weakest)
            if v.asymmetry > 0:
                word = (f"lopsided (asymmetry {v.asymmetry:.2f}, at or above the {LOPSIDED:g} "
                        "this report calls lopsided)" if v.asymmetry >= LOPSIDED else
                        f"uneven (asymmetry {v.asymmetry:.2f}, below the {LOPSIDED:g} this "
                        "report calls lopsided)")
                reasons.append(
                    f"verification is {word}: {low.party}'s "
                    f"commitment {weakest.commitment} is seen with probability "
                    f"{weakest.detection:g} after {_days(weakest.delay_days)} "
                    f"(informedness {weakest.informedness:.2f} over {v.horizon_days:g} days)")
            else:
                reasons.append(f"every side is equally visible (informedness "
                               f"{low.observability:.2f} over {v.horizon_days:g} days)")
        s = report.simulations.get(k)
        if s is not None and s.collapsed:
            shares = s.summary()["collapse_cause_shares"]
            reasons.append(f"{pct(shares['false_alarm'])} of simulated collapses began with a "
                           f"false alarm and {pct(shares['real_breach'])} with a real breach")
            for party, t in s.critical_detection().items():
                if t.get("self_enforcing"):
                    continue
                if t.get("critical") is None:
                    reasons.append(f"no detection probability makes {party}'s restraint "
                                   f"self-enforcing under grim play (its commitment "
                                   f"{t.get('commitment')} is seen with probability "
                                   f"{t.get('detection'):g})")
                else:
                    reasons.append(f"{party}'s commitment {t.get('commitment')} is seen with "
                                   f"probability {t.get('detection'):g}, below the critical "
                                   f"{t['critical']:.2f} that would deter a breach")
        if reasons:
            title = report.agreement(k).title
            out.append(f"Why, for {title}: " + "; ".join(reasons) + ".")
    return out


def _medians_differ(report) -> list[str]:
    """Why the replay and the simulation of one agreement give different medians."""
    out = []
    for k in report.compared:
        w, s = report.whatifs.get(k), report.simulations.get(k)
        if w is None or s is None:
            continue
        a = report.agreement(k)
        replayed, simulated = w.median_interval, simulated_median_interval(s)
        overlap = not (_separated(replayed, simulated) or _separated(simulated, replayed))
        head = (f"For {a.title}, the replay's median ({days_text(whatif_median(w))}) and the "
                f"simulation's ({days_text(simulated_median_days(s))}) "
                + ("agree within their intervals, though they answer different questions"
                   if overlap else "differ because they answer different questions"))
        shares = s.summary()["collapse_cause_shares"]
        detections = sorted({m.detection for p in s.model.parties for m in p.monitors})
        seen = ("every breach is seen" if detections == [1.0] else
                f"a breach is seen with probability {min(detections):g} to "
                f"{max(detections):g}")
        out.append(
            f"{head}: the replay pools {w.observed:,} historical starts from {w.start} to "
            f"{w.end}, each ended by the first act the record shows (every recorded act "
            f"counts, and nothing else does); the simulation starts on {a.start} from the "
            f"state of the record that day, plays behaviour fitted to the record before it, "
            f"{seen}, and {pct(shares['false_alarm'])} of its collapses begin with a false "
            "alarm, which the record cannot contain.")
    return out


def _assumptions(report) -> list[str]:
    """Every assumption behind the numbers, next to them: strategies, fitted behaviour,
    monitoring and false-alarm priors, and what the record cannot see."""
    out = []
    for k in report.compared:
        a = report.agreement(k)
        bits = []
        s = report.simulations.get(k)
        if s is not None:
            strategies = s.summary()["strategies"]
            bits.append("strategies " + ", ".join(f"{p}={v}" for p, v in strategies.items()))
            bits.extend(f"{p}: {r['description']}" for p, r in s.rates.items()
                        if r.get("description"))
            monitors = []
            for party in s.model.parties:
                for m in party.monitors:
                    prior = m.prior(s.model.days)
                    fa = m.false_alarm_per_week(s.model.days)
                    monitors.append(
                        f"{m.commitment} seen with probability {m.detection:g} after "
                        f"{_days(m.delay_days)}, false alarms {fa:.4f} a week"
                        + (f" (Beta({prior[0]:.2g}, {prior[1]:.2g}) prior, "
                           f"{m.prior_weeks:g} weeks' weight)" if prior else " (fixed)"))
            bits.append("monitoring from the spec: " + "; ".join(monitors))
        w = report.whatifs.get(k)
        if w is not None:
            bits.append(f"the replay sees {w.observed:,} of {len(w.starts):,} starts to their "
                        f"end ({w.unobserved:,} reach a day the record cannot see first; "
                        f"{w.thin:,} rest on partial sources)")
        check = report.checks.get(k)
        if check is not None and check.unobserved:
            days = sum(span.days for _, span in check.unobserved)
            bits.append(f"since its start the record is blind to some commitment on "
                        f"{len(check.unobserved)} stretch(es), {days:,} commitment-days "
                        "(listed in its section)")
        if bits:
            out.append(f"Assumptions for {a.title}: " + "; ".join(bits) + ".")
    return out


def _record(report) -> list[str]:
    rec = report.record
    held, broken = [], []
    for a in report.agreements:
        c = report.checks[a.id]
        first = c.first_breach
        if first is None:
            held.append(f"{a.id} held ({c.start} to {c.last_day})")
        else:
            evidence = brief(first.event.to_json_dict()) if first.event else "a missed deadline"
            who = " and ".join(c.first_breakers) + (" jointly" if len(c.first_breakers) > 1
                                                     else "")
            doubt = (f"; {', '.join(c.uncertain_first)} could not be seen on some day before "
                     "it, so an earlier breach there cannot be ruled out"
                     if c.uncertain_first else "")
            broken.append(f"{a.id} was first broken by {who} on {first.date} "
                          f"({evidence}; now {c.status_label}{doubt})")
    text = (f"Against the record ({rec['events']:,} events from {rec['first']} to "
            f"{rec['last']}), {len(broken)} of {len(report.agreements)} agreements were broken")
    details = broken + held
    return [text + (": " + "; ".join(details) if details else "") + "."]


def _dialogue(report) -> list[str]:
    a = report.dialogue
    if a is None:
        return []
    zones = [z for z in a.zones if z.agreement]
    names = {i.id: i.label for i in a.scenario.issues}
    text = (f"In the dialogue scenario {a.scenario.id}, a zone of agreement exists on "
            f"{len(zones)} of {len(a.zones)} issues")
    if zones:
        text += " (" + ", ".join(f"{names[z.issue]} {z.low:g} to {z.high:g}" for z in zones) + ")"
    missing = [names[z.issue] for z in a.zones if not z.agreement]
    if missing:
        text += "; " + ", ".join(missing) + " need new discussion"
    out = [text + "."]
    forecasts = a.forecasts
    if forecasts and a.zones:
        spreads = []
        for d, issue in enumerate(a.scenario.issues):
            values = [float(f.position[d]) for f in forecasts.values()]
            spreads.append((max(values) - min(values), issue.label, min(values), max(values)))
        widest = max(spreads)
        out.append(f"The {len(forecasts)} bargaining models disagree most on {widest[1]} "
                   f"(forecasts from {widest[2]:.0f} to {widest[3]:.0f}).")
    for p in report.proposals:
        out.append(f"Proposal {p.name}: {p.sentence}.")
    card = report.forecast_error
    if card is not None:
        beaten = [m for m in card.models if card.beats_status_quo(m)]
        failing = [m for m in card.models if m not in beaten]
        text = (f"Against {len(card.episodes)} known outcome(s), "
                f"{', '.join(failing) if failing else 'no model'} cannot beat the forecast that "
                f"nothing changes (mean error {card.mean_error('status quo'):.1f} points)")
        if beaten:
            text += f"; {', '.join(beaten)} can"
        out.append(text + ".")
    return out


def _tension(report) -> list[str]:
    series = report.tension
    if series is None or not series.events:
        return []
    frame = series.frame
    column = "smoothed" if "smoothed" in frame else "tension"
    peak = frame.loc[frame[column].idxmax()]
    return [f"The {series.dyad.label} tension index counts {series.events:,} "
            f"events in which one side acts on the other; it peaks in the week of "
            f"{peak['date']} ({column} {peak[column]:.1f})."]


def summarise(report) -> list[str]:
    """Paragraphs: the verdict, why the replay and the simulation differ, the reasons, the
    assumptions, the record, tension, the dialogue."""
    return [*_verdict(report), *_medians_differ(report), *_why(report), *_assumptions(report),
            *_record(report), *_tension(report), *_dialogue(report)]


def summary_rows(report) -> list[dict[str, Any]]:
    """One row per agreement for tables (demo output, dashboard)."""
    rows = []
    for a in report.agreements:
        c = report.checks[a.id]
        first = c.first_breach
        # Keys only for what was computed: a missing key means "not run", None "not reached".
        # Blind commitments are their own column: the status says what the record shows.
        last = c.timeline[-1] if c.timeline else None
        status = c.status_label.split("; ")[0]
        blind = sorted({c.agreement.commitment(cid).party for cid in last.unobserved}) \
            if last else []
        row = {"agreement": a.id, "status": status,
               "first_breach": ("+".join(c.first_breakers) + f" {first.date}") if first
               else "-", "blind_at_end": blind}
        if a.id in report.whatifs:
            row["whatif_median_days"] = whatif_median(report.whatifs[a.id])
        if a.id in report.simulations:
            s = report.simulations[a.id]
            row["sim_median_days"] = simulated_median_days(s)
            row["p_holding_12m"] = s.p_holding(12)
        rows.append(row)
    return rows
