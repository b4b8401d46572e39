"""``detente check`` and ``detente whatif``: replay an agreement against the record."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    SpecArgument,
    console,
    emit_result,
    err_console,
    output_format,
)
from detente.dates import parse_days, required_date
from detente.events.query import as_date

SURVIVAL_MILESTONES = (0, 30, 90, 180, 365, 730)


def parse_step(value: str) -> int:
    """``7d``, ``2w`` or ``7`` as a whole number of days (``dates.parse_days``)."""
    return int(parse_days(value, "--step", whole=True))


SUMMARY_CHARS = 70


def _event_text(event) -> str:
    if event is None:
        return "(no matching act by the deadline)"
    bits = [event.kind.value]
    for name in ("class", "status", "issuer", "missile", "name"):
        if event.attrs.get(name):
            bits.append(str(event.attrs[name]))
    span = f" to {event.end}" if event.end else ""
    summary = " ".join((event.summary or "").split())
    if len(summary) > SUMMARY_CHARS:  # the full text is in --json and `detente events show`
        summary = summary[:SUMMARY_CHARS - 1].rstrip() + "…"
    return f"{' '.join(bits)} on {event.date}{span}" + (f": {summary}" if summary else "")


def _acts_table(title: str, acts) -> Table:
    table = Table(title=title)
    for column in ("date", "party", "commitment", "evidence", "event id"):
        table.add_column(column, overflow="fold")
    for b in acts:
        what = _event_text(b.event)
        if b.undertaking:
            what = f"missed {b.undertaking} {what}"
        if b.released_by:
            what += f" [released by {b.released_by}]"
        table.add_row(str(b.date), b.party, b.commitment, what,
                      b.event.id if b.event else "-")
    return table


def check(
    agreement: SpecArgument,
    start: Annotated[str | None, typer.Option(
        "--start", help="Replay from this date instead of the spec's start (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(
        "--end", help="End the window on this date instead of the spec's end.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Use data up to this date only (default: the end of the record).")
    ] = None,
    limit: Annotated[int, typer.Option(
        help="Rows shown per table (JSON output is never cut).", min=1)] = 10,
    json_out: JsonOption = False,
    fmt: FormatOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Replay an agreement against the event record: who breached first, when, and why.

    Every breach with its evidence event, the first breach, responses of parties released by
    an earlier breach, positive obligations met or missed, and the day-by-day status timeline.

    --format csv prints one row per breach and response; --out FILE.csv|.json|.parquet writes
    the result too.

    Example: [bold]detente check leap-day-2012[/]  or
    [bold]detente check freeze-for-freeze --start 2018-02-26 --format csv --out ff.csv[/]
    """
    from detente import monitor, results
    from detente.agreements import presets
    from detente.events.store import Store

    spec = presets.load(agreement)  # an invalid spec stops here: nothing opened or written
    fmt = output_format(fmt, json_out)
    if out is not None:
        results.check_path(out)
    start_d, end_d = as_date(start, "--start"), as_date(end, "--end")
    as_of_d = as_date(as_of, "--as-of")
    monitor.resolve_window(spec, start_d, end_d)
    with Store(db, read_only=True) as store:
        report = monitor.check(spec, store, start=start_d, end=end_d, as_of=as_of_d)
        _warn_past_record(store, as_of_d, "--as-of")
        warn_unmatched(spec, store)
    if emit_result(report, fmt, out):
        return
    console.print(f"[bold]{spec.title}[/] ({spec.id})")
    console.print(f"window {report.start} .. {report.end or 'open'}; data to {report.as_of}")
    colour = {"holding": "green", "breached": "yellow", "collapsed": "red"}[report.status]
    console.print(f"status: [bold {colour}]{report.status_label}[/]")
    first = report.first_breach
    if first is not None:
        who = " and ".join(report.first_breakers) + (
            " jointly" if len(report.first_breakers) > 1 else "")
        what = ", ".join(dict.fromkeys(b.commitment for b in report.first_breaches))
        console.print(f"first breach: {who} on {first.date} ({what}): "
                      f"{_event_text(first.event)}", markup=False, highlight=False)
        if report.uncertain_first:
            console.print("[yellow]uncertain: the record could not see "
                          f"{', '.join(report.uncertain_first)} on some day before "
                          f"{first.date}; a breach there may have come first, unseen[/]")
    else:
        console.print("first breach: none")
    if not report.coverage_declared:
        console.print("[yellow]no source in this store declares its coverage: days without "
                      "events count as quiet (docs/data.md, Coverage)[/]")
    for title, acts in (("breaches", report.breaches),
                        ("responses of released parties", report.responses)):
        if acts:
            more = f", first {limit} shown" if len(acts) > limit else ""
            console.print(_acts_table(f"{title} ({len(acts)}{more})", acts[:limit]))
    if report.obligations:
        table = Table(title="positive obligations")
        for column in ("party", "undertaking", "deadline", "status", "evidence"):
            table.add_column(column, overflow="fold")
        for o in report.obligations:
            table.add_row(o.party, o.undertaking, str(o.deadline), o.status,
                          _event_text(o.event) if o.event else "-")
        console.print(table)
    if report.unobserved:
        blind = Table(title="unobserved: the record cannot see these commitments kept or "
                            "broken (not compliance)")
        for column in ("commitment", "party", "from", "to", "days", "needs"):
            blind.add_column(column, overflow="fold")
        parties = {c.id: c.party for c in spec.commitments}
        assert report.observability is not None  # the unobserved spans come from it
        for cid, span in report.unobserved:
            blind.add_row(cid, parties[cid], str(span.start), str(span.end), str(span.days),
                          report.observability.labels.get(cid, ""))
        console.print(blind)
    timeline = Table(title="timeline")
    for column in ("from", "to", "days", "status"):
        timeline.add_column(column)
    for seg in report.timeline:
        timeline.add_row(str(seg.start), str(seg.end), str(seg.days), seg.label
                         + (f" (responded: {', '.join(seg.responded)})" if seg.responded else ""))
    console.print(timeline)


def whatif(
    agreement: SpecArgument,
    from_: Annotated[str, typer.Option("--from", help="First start date (YYYY-MM-DD).")],
    to: Annotated[str, typer.Option("--to", help="Last start date (YYYY-MM-DD).")],
    step: Annotated[str, typer.Option("--step", help="Days between starts: 7d, 2w, 30.")] = "7d",
    record_end: Annotated[str | None, typer.Option(
        "--record-end", help="Last day of data (default: the end of the record).")] = None,
    json_out: JsonOption = False,
    fmt: FormatOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Replay an agreement from every start date in a range: how long would it have held?

    All starts in one vectorised pass; Kaplan-Meier survival with a 95% band, and who would
    have broken it first.

    --format csv prints one row per start date; --out FILE.csv|.json|.parquet writes the result.

    Example: [bold]detente whatif post-olympic-pause --from 2006-01-01 --to 2023-12-31 --step 7d[/]
    """
    from detente import replay, results
    from detente.agreements import presets
    from detente.events.store import Store

    spec = presets.load(agreement)
    fmt = output_format(fmt, json_out)
    if out is not None:
        results.check_path(out)
    first, last = required_date(from_, "--from"), required_date(to, "--to")
    days = parse_step(step)
    end_of_record = as_date(record_end, "--record-end")
    with Store(db, read_only=True) as store:
        result = replay.whatif(spec, store, first, last, days, record_end=end_of_record)
        _warn_past_record(store, end_of_record, "--record-end")
        warn_unmatched(spec, store)
    if emit_result(result, fmt, out):
        return
    n = len(result.starts)
    console.print(f"[bold]{spec.title}[/] ({spec.id}): {n} starts from {result.start} to "
                  f"{result.end} every {result.step_days} days; data to {result.record_end}"
                  + (f"; term {result.term_days} days" if result.term_days is not None else ""))
    median = result.median_days
    unbroken = n - result.breached - result.unobserved
    console.print(f"observed: {result.observed} of {n} starts; broken: {result.breached}; "
                  f"unbroken at the end of the record or term: {unbroken}; median days held: "
                  f"{'not reached' if median is None else f'{median:g}'}")
    if result.unobserved:
        blind = result.starts[~result.starts["observed"]]
        by = blind["blind_commitment"].value_counts()
        console.print(f"[yellow]unobserved: {result.unobserved} starts reach a day the record "
                      "cannot see before any breach ("
                      + ", ".join(f"{c}: {k}" for c, k in by.items())
                      + "); they count as censored there, not as compliance, and the shares "
                        "below are of observed starts[/]")
    if result.thin:
        console.print(f"[yellow]thin: {result.thin} observed starts rest on partial sources "
                      "somewhere in their replay[/]")
    if not result.coverage_declared:
        console.print("[yellow]no source in this store declares its coverage: days without "
                      "events count as quiet (docs/data.md, Coverage)[/]")
    shares = Table(title="who breaks first (joint first breakers as A+B)")
    for column in ("party", "starts", "share of all", "share of observed", "share of broken",
                   "on first-breach day"):
        shares.add_column(column, justify="left" if column == "party" else "right")
    row: Any  # pandas-stubs types every itertuples field as any scalar
    for row in result.shares.itertuples(index=False):
        party = row.breaker not in ("none", replay.UNOBSERVED)
        shares.add_row(row.breaker, str(row.starts), f"{row.share:.1%}",
                       f"{row.share_of_observed:.1%}" if row.breaker != replay.UNOBSERVED
                       else "-",
                       f"{row.share_of_breached:.1%}" if party else "-",
                       str(row.among_first) if party and "+" not in row.breaker else "-")
    console.print(shares)
    banded = result.band == "year"
    survival = Table(title="still holding after t days (Kaplan-Meier; 95% band: "
                     + ("bootstrap of start years" if banded else "Greenwood") + ")")
    for column in ("t (days)", "S(t)", "low", "high", *(("Greenwood",) if banded else ())):
        survival.add_column(column, justify="right")
    curve = result.survival
    starts = result.starts
    followed = max([*(starts["days_held"] - starts["censored"].astype(int)), 0])
    ended = len(curve) and curve["p"].iloc[-1] == 0.0
    for t in SURVIVAL_MILESTONES:
        upto = curve[curve["days"] <= t]
        extra = ("-",) if banded else ()
        if t > followed and not ended:
            survival.add_row(str(t), "-", "-", "-", *extra)  # beyond the longest observation
            continue
        if upto.empty:
            survival.add_row(str(t), "1.000", "1.000", "1.000", *extra)
            continue
        row = upto.iloc[-1]
        survival.add_row(str(t), f"{row.p:.3f}", f"{row.lo:.3f}", f"{row.hi:.3f}",
                         *((f"{row.greenwood_lo:.3f}-{row.greenwood_hi:.3f}",)
                           if banded else ()))
    console.print(survival)
    if banded:
        console.print(f"the {result.breached} broken starts ended at {result.ending_events} "
                      f"distinct events: the band draws whole start years "
                      f"({result.bootstrap_draws} draws), since starts a week apart share "
                      "their endings; Greenwood's, which treats them as independent, is "
                      "beside it")


def register(app: typer.Typer) -> None:
    """Add ``check`` and ``whatif`` to the root command."""
    app.command("check")(check)
    app.command("whatif")(whatif)


def warn_unmatched(spec, store) -> None:
    """Say so when a selector value occurs nowhere in the store (a typo never matches)."""
    from detente.agreements.vocabulary import unmatched

    for found in unmatched(spec, store):
        err_console.print(f"note: {found}", markup=False, highlight=False)


def _warn_past_record(store, given: dt.date | None, option: str) -> None:
    """Say so when a user-given end of data lies past the last day the record covers: the days
    after it are unobserved (or, in a store without coverage declarations, count as quiet)."""
    last = store.record_end()
    if given is not None and last is not None and given > last:
        if store.coverage():
            err_console.print(f"note: {option} {given} is after the last day the record covers "
                              f"({last}); the days between are unobserved")
        else:
            err_console.print(f"note: {option} {given} is after the store's last event ({last});"
                              " the days between count as days without any breach")
