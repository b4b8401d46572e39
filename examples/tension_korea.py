"""Tension on the Korean peninsula from the bundled record: weekly index, peaks, quiet windows.

Uses the store named by $DETENTE_DB (created with the bundled record if it does not exist).

    .venv/bin/python examples/tension_korea.py
"""

from __future__ import annotations

from detente import tension
from detente.events.store import Store

Store().close()  # create the default store with the bundled record on first use
with Store(read_only=True) as store:
    for dyad in ("PRK-USA", "PRK-KOR"):
        series = tension.tension(store, dyad, weekly=True, smooth="8w")
        frame = series.frame
        active = frame[frame["events"] > 0]
        print(f"{dyad}: {len(frame):,} weeks from {frame['date'].iloc[0]} to "
              f"{frame['date'].iloc[-1]}, {int(frame['events'].sum()):,} events in "
              f"{len(active):,} weeks")
        directed = tension.tension(store, dyad, weekly=True, unilateral=False).frame
        print(f"  of which {int(directed['events'].sum()):,} aimed by one side at the other "
              "(the rest: tests and other acts with no target)")
        top = frame.nlargest(3, "smoothed")
        for row in top.itertuples(index=False):
            print(f"  smoothed tension {row.smoothed:6.1f} in the week of {row.date} "
                  f"({row.events} events that week, tension {row.tension:.1f})")

    found = tension.windows(store, min_days=180, actors=["PRK"])
    print(f"\n{found.provocations:,} North Korean provocations (tests and other hostile acts) "
          f"from {found.start} to {found.end}; quiet windows of 180+ days:")
    for w in sorted(found.windows, key=lambda w: -w.days)[:8]:
        if w.ongoing:
            print(f"  {w.start} .. {w.end}  {w.days:5,} days, still open at the end of the record")
            continue
        first = w.ended_by[0]
        print(f"  {w.start} .. {w.end}  {w.days:5,} days, ended {first.date} by "
              f"{first.kind}: {(first.summary or '')[:70]}")
