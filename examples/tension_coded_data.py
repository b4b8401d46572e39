"""Machine-coded event data end to end: ingest GDELT, ICEWS and POLECAT files (with their bad
rows rejected, line by line), compute a tension index from their Goldstein scores, and run one
watch cycle that alerts on a breach of a pause.

Uses the sample exports in tests/fixtures/interop and a fresh store in a temporary folder.

    .venv/bin/python examples/tension_coded_data.py
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from detente import tension
from detente.agreements import spec
from detente.events.ingest import coded
from detente.events.store import Store
from detente.watch import Watch

logging.getLogger("detente.ingest").setLevel(logging.ERROR)  # summaries are printed below
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "interop"
PAUSE = """\
id: summer-2017-pause
title: A pause from July 2017 (no provocations for no new sanctions)
parties: [PRK, USA]
start: 2017-07-01
commitments:
  - id: prk-no-provocation
    party: PRK
    refrains_from: [{kind: provocation}]
    verification: {means: news reports, detection: 0.9, delay_days: 1, false_alarm: 0.05}
  - id: usa-no-sanctions
    party: USA
    refrains_from: [{kind: sanctions_designation}]
    verification: {means: published lists, detection: 1.0, delay_days: 0, false_alarm: 0.0}
reciprocity: mutual
"""

with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp)
    feed = folder / "feed"
    feed.mkdir()
    for name in ("20130405.export.CSV", "20170721000000.export.CSV",
                 "events.2013.malformed.tab", "ngecEvents.20221107.Release999.DV.txt"):
        shutil.copy(SAMPLES / name, feed / name)
    store_path = folder / "events.duckdb"

    print("1. Ingest (one transaction per file; bad rows to NAME.rejects.jsonl)")
    with Store(store_path, empty=True) as store:
        for path in sorted(feed.iterdir()):
            done = coded.ingest(store, path, rejects=folder)
            s = done.summary
            print(f"  {path.name}: {done.format}, {s.lines} lines, {s.accepted} accepted, "
                  f"{s.rejected} rejected {dict(sorted(s.rejected_by.items()))}, "
                  f"{s.skipped} skipped")
        first = json.loads((folder / "20170721000000.export.CSV.rejects.jsonl")
                           .read_text().splitlines()[0])
        print(f"  first reject: line {first['line']}, {first['problems'][0]['field']}: "
              f"{first['problems'][0]['reason']}")

        print("\n2. Tension PRK-USA from Goldstein scores, by week")
        series = tension.tension(store, "PRK-USA", weekly=True)
        for row in series.frame[series.frame["events"] > 0].itertuples(index=False):
            print(f"  week of {row.date}: {row.events} events, conflict {row.conflict:.1f}, "
                  f"cooperation {row.cooperation:.1f}, tension {row.tension:+.1f}")

    print("\n3. One watch cycle over the feed for a pause that starts on 2017-07-01")
    (folder / "pause.yaml").write_text(PAUSE)
    log = folder / "alerts.jsonl"
    watch = Watch(spec.load(folder / "pause.yaml"), feed, store_path=store_path, log=log,
                  window_days=30, settle=0.0, echo=lambda line: print("  " + line))
    result = watch.cycle(once=True)
    print(f"  {len(result.new_alerts)} alerts, {len(log.read_text().splitlines())} lines in "
          f"{log.name}; a second cycle adds {len(watch.cycle(once=True).new_alerts)}")
