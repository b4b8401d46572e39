"""Build the bundled event record: detente/data/events.parquet and detente/data/sources.json.

Ingests every source of the shared data folder, in a fixed order, into a temporary empty store
and exports it (see detente/events/ingest/dataset.py and docs/data.md).

    .venv/bin/python scripts/build_dataset.py [--shared PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from detente.errors import DetenteError  # noqa: E402
from detente.events.ingest.dataset import DATA_DIR, build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path,
                        default=Path(os.environ.get("DETENTE_SHARED_DATA",
                                                    REPO.parent / "shared" / "data")),
                        help="the shared data folder holding raw/ and curated/")
    parser.add_argument("--out", type=Path, default=DATA_DIR,
                        help="where to write events.parquet and sources.json")
    args = parser.parse_args(argv)
    try:
        document = build(args.shared, args.out,
                         progress=lambda name: print(f"ingesting {name}", file=sys.stderr))
    except DetenteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for record in document["sources"]:
        print(f"{record['source']:24} rows {record['rows']:4}  added {record['added']:4}  "
              f"merged {record['merged']:3}  linked {record['linked']:3}  "
              f"{record['first']} .. {record['last']}")
    kinds = ", ".join(f"{k} {n}" for k, n in document["events_by_kind"].items())
    print(f"events: {document['events']} ({kinds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
