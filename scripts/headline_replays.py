"""The headline replays of docs/data.md ("Before and after the two-sided record"), from a store.

Every preset replayed from every week of 2006-2023 (``detente whatif ID --from 2006-01-01 --to
2023-12-31 --step 7d``) and checked from its own start (``detente check ID``): the median days
held, who broke it first (shares of the observed broken starts; joint first breakers as A+B),
how many starts the record cannot see to their end, and the first breach. Prints the markdown
rows docs/data.md shows; tests/test_dataset.py checks that the document matches.

    .venv/bin/python scripts/headline_replays.py [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from detente import monitor, replay  # noqa: E402
from detente.agreements import presets  # noqa: E402
from detente.events.store import Store  # noqa: E402

FIRST, LAST = dt.date(2006, 1, 1), dt.date(2023, 12, 31)
HEADER = ("| preset | median days held | broken first by (of observed broken starts) | "
          "unobserved starts | thin starts | first breach from its own start |\n"
          "|---|---|---|---|---|---|")


def rows(store: Store) -> list[str]:
    out = []
    for agreement_id in presets.ids():
        spec = presets.load(agreement_id)
        result = replay.whatif(spec, store, FIRST, LAST, 7)
        shares = result.shares[~result.shares["breaker"].isin(["none", replay.UNOBSERVED])]
        broken = ", ".join(f"{r.breaker} {r.share_of_breached:.1%}"
                           for r in shares.itertuples() if r.starts)
        median = result.median_days
        report = monitor.check(spec, store)
        first = report.first_breach
        who = "+".join(report.first_breakers) + f" {first.date}" if first else "none"
        out.append(f"| {agreement_id} | {'-' if median is None else f'{median:g}'} | "
                   f"{broken or '-'} | {result.unobserved} of {len(result.starts)} | "
                   f"{result.thin} | {who} |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="event store (default: a new bundled store)")
    args = parser.parse_args(argv)
    if args.db is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "events.duckdb") as store:
            print("\n".join([HEADER, *rows(store)]))
        return 0
    with Store(args.db, read_only=True) as store:
        print("\n".join([HEADER, *rows(store)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
