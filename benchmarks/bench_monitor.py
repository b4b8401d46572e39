"""Monitor and what-if speed on synthetic records of 1M and 10M events.

* ``check``: the compliance monitor (one agreement, its own window) on 1M and 10M events.
* ``whatif``: 1,000 weekly start dates on 1M events, in one vectorised pass, against the naive
  baseline run in the same process: one Python replay per start date over a pandas frame of the
  events (window filter, then the agreement's selectors, then the earliest act). The baseline is
  timed on start dates spread evenly over the range (a replay's cost depends on how much of the
  record follows its start) and its mean cost per start multiplied by the number of starts; the
  two are checked to agree on the sampled starts.

Goals (issue 3): what-if over 1,000 starts on 1M events under 2 s on 2 cores, >= 100x the naive
baseline. The synthetic events are generated straight into the store's DuckDB table with SQL
(hash of the row number: reproducible, no Python objects).

    .venv/bin/python benchmarks/bench_monitor.py [--rows 1000000 --big-rows 10000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from detente import monitor
from detente.agreements import presets
from detente.agreements.spec import Agreement
from detente.events.kinds import EXERCISE_STATUSES, MISSILE_CLASSES
from detente.events.store import Store
from detente.replay import whatif

ACTORS = ["PRK", "USA", "KOR", "CHN", "JPN", "RUS"]
KINDS = ["missile_test", "missile_test", "military_exercise", "sanctions_designation",
         "provocation", "talks", "announcement", "summit"]
ISSUERS = ["OFAC", "UNSC", "EU"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def make_store(path: Path, rows: int) -> Store:
    """A store with ``rows`` synthetic events from 1950 to 2025, inserted with one SQL query."""
    store = Store(path, empty=True)
    pick = "{values}[1 + CAST(hash(i, {salt}) % {n} AS INTEGER)]"
    kind = pick.format(values=_sql_list(KINDS), salt=3, n=len(KINDS))
    actor = pick.format(values=_sql_list(ACTORS), salt=2, n=len(ACTORS))
    klass = pick.format(values=_sql_list(list(MISSILE_CLASSES)), salt=4, n=len(MISSILE_CLASSES))
    status = pick.format(values=_sql_list(list(EXERCISE_STATUSES)), salt=5,
                         n=len(EXERCISE_STATUSES))
    issuer = pick.format(values=_sql_list(ISSUERS), salt=6, n=len(ISSUERS))
    store.con.execute(f"""
        INSERT INTO stored_events
        SELECT printf('%016x', i) AS id, d AS date,
               CASE WHEN k = 'military_exercise' THEN d + CAST(hash(i, 7) % 21 AS INTEGER)
               END AS "end",
               CASE WHEN k = 'military_exercise' AND hash(i, 8) % 3 > 0 THEN 'USA' ELSE a END,
               NULL AS target, k AS kind,
               CASE k
                 WHEN 'missile_test' THEN '{{"class":"' || {klass} || '"}}'
                 WHEN 'military_exercise' THEN CASE WHEN hash(i, 8) % 3 > 0
                     THEN '{{"parties":["USA","KOR"],"status":"' || {status} || '"}}'
                     ELSE '{{"status":"' || {status} || '"}}' END
                 WHEN 'sanctions_designation' THEN '{{"issuer":"' || {issuer} || '"}}'
                 ELSE '{{}}' END AS attrs,
               'bench' AS source, CAST(i AS VARCHAR) AS source_ref, 'high' AS confidence,
               NULL AS summary, NULL AS match_key
        FROM (SELECT i, DATE '1950-01-01' + CAST(hash(i, 1) % 27394 AS INTEGER) AS d,
                     {kind} AS k, {actor} AS a
              FROM range({rows}) t(i))""")
    return store


def load_frame(store: Store) -> pd.DataFrame:
    """The naive baseline's input: every event as a pandas frame, attributes parsed."""
    frame = store.con.sql('SELECT id, date, coalesce("end", date) AS last, actor, kind, attrs '
                          "FROM events").df()
    attrs = [json.loads(a) for a in frame["attrs"]]
    frame["class"] = [a.get("class") for a in attrs]
    frame["status"] = [a.get("status") for a in attrs]
    frame["issuer"] = [a.get("issuer") for a in attrs]
    for party in ACTORS:  # joint acts: one boolean column per party, computed once
        frame[f"with_{party}"] = [party in (a.get("parties") or ()) for a in attrs]
    frame["date"] = pd.to_datetime(frame["date"])
    frame["last"] = pd.to_datetime(frame["last"])
    return frame.drop(columns=["attrs"])


def naive_replay(frame: pd.DataFrame, agreement: Agreement, start: dt.date,
                 record_end: dt.date) -> tuple[dt.date | None, str | None, str | None]:
    """The first breach for one start date, by filtering the frame (the baseline)."""
    s, e = pd.Timestamp(start), pd.Timestamp(record_end)
    if agreement.end is not None:
        e = min(e, s + pd.Timedelta(days=(agreement.end - agreement.start).days))
    window = frame[(frame["last"] >= s) & (frame["date"] <= e)]
    best = None
    for order, c in enumerate(agreement.commitments):
        party = (window["actor"] == c.party) | window[f"with_{c.party}"]
        match = np.zeros(len(window), bool)
        for sel in c.refrains_from:
            m = (window["kind"] == sel.kind.value).to_numpy().copy()
            for name in sel.where:
                m &= window[name].isin(sel.accepted(name)).to_numpy()
            match |= m
        hits = window[match & party.to_numpy()]
        if hits.empty:
            continue
        day = hits["date"].where(hits["date"] > s, s)
        key = pd.DataFrame({"day": day, "date": hits["date"], "id": hits["id"]}).sort_values(
            ["day", "date", "id"]).iloc[0]
        candidate = (key["day"], order, key["id"], c.party)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is None:
        return None, None, None
    return best[0].date(), best[3], best[2]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--starts", type=int, default=1000)
    parser.add_argument("--baseline-sample", type=int, default=40)
    args = parser.parse_args()
    agreement = presets.load("post-olympic-pause")
    first = dt.date(2000, 1, 3)
    last = first + dt.timedelta(days=7 * (args.starts - 1))

    with tempfile.TemporaryDirectory() as tmp:
        for rows in (args.rows, args.big_rows):
            made, store = timed(lambda rows=rows: make_store(Path(tmp) / f"b{rows}.duckdb", rows))
            print(f"generated {rows:,} events in {made:.1f} s")
            seconds, report = timed(lambda store=store: monitor.check(agreement, store))
            print(f"check {agreement.id} on {rows:,} events: {seconds:.2f} s "
                  f"({len(report.breaches):,} breaches, {len(report.responses):,} responses, "
                  f"status {report.status_label})")
            if rows != args.rows:
                store.close()
                continue
            record_end = monitor.record_end(store)
            whatif(agreement, store, first, last, 7)  # warm DuckDB's caches, as for the baseline
            fast, result = timed(lambda store=store: whatif(agreement, store, first, last, 7))
            assert len(result.starts) == args.starts
            print(f"whatif {args.starts:,} starts on {rows:,} events: {fast:.3f} s")
            loaded, frame = timed(lambda store=store: load_frame(store))
            sample = result.starts.iloc[np.linspace(0, args.starts - 1, args.baseline_sample)
                                        .astype(int)]
            per_start = []
            for row in sample.itertuples():
                took, got = timed(lambda row=row, frame=frame, end=record_end: naive_replay(
                    frame, agreement, row.start.date(), end))
                per_start.append(took)
                want = (None if pd.isna(row.breach_date) else row.breach_date.date(),
                        row.breaker, row.event_id)
                assert got == want, (row.start, got, want)
            replays = float(np.mean(per_start)) * args.starts
            print(f"naive baseline (pandas, one replay per start): load {loaded:.2f} s + "
                  f"{np.mean(per_start) * 1000:.1f} ms/start x {args.starts:,} = "
                  f"{loaded + replays:.1f} s (timed on {args.baseline_sample} starts; "
                  "results agree)")
            print(f"ratio including the baseline's load: {(loaded + replays) / fast:.1f}")
            store.close()
            ratio = replays / fast  # the conservative figure: the baseline's load left out
    print(f"whatif_ratio_vs_naive: {ratio:.1f}")


if __name__ == "__main__":
    main()
