"""Replay every bundled agreement against the real record, then compare two proposals.

Uses the store named by $DETENTE_DB (created with the bundled record if it does not exist).

    .venv/bin/python examples/check_presets.py
"""

from __future__ import annotations

import datetime as dt

from detente import monitor, replay, verification
from detente.agreements import presets
from detente.events.store import Store

Store().close()  # create the default store with the bundled record on first use
with Store(read_only=True) as store:
    print("Would it have held? (the monitor, each agreement over its own window)")
    for agreement in presets.load_all():
        report = monitor.check(agreement, store)
        first = report.first_breach
        what = "no breach" if first is None else (
            f"first breach {first.date} by {first.party} ({first.commitment}"
            + (f": {first.event.kind.value} {first.event.attrs.get('class', '')}".rstrip()
               if first.event else f": missed {first.undertaking}") + ")")
        print(f"  {agreement.id:24} {report.status_label:22} {what}")

    print("\nHow long would each have lasted from any week of 2006-2023? (what-if)")
    for preset_id in ("post-olympic-pause", "freeze-for-freeze"):
        agreement = presets.load(preset_id)
        result = replay.whatif(agreement, store, dt.date(2006, 1, 1), dt.date(2023, 12, 31), 7)
        shares = ", ".join(f"{row.breaker} {row.share:.0%}" for row in result.shares.itertuples())
        median = result.median_days
        print(f"  {preset_id:20} {len(result.starts)} starts; median days held "
              f"{'not reached' if median is None else f'{median:g}'}; first breaker: {shares}")

    print("\nCan each side's compliance be seen? (verification asymmetry)")
    for preset_id in ("post-olympic-pause", "freeze-for-freeze"):
        view = verification.view(presets.load(preset_id))
        least = ", ".join(view.least_observable) or "-"
        print(f"  {preset_id:20} asymmetry {view.asymmetry:.3f} (least observable: {least})")
