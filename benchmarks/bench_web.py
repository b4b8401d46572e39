"""Web API latency: GET /api/events on a store of 1M events, 50 concurrent clients on loopback.

A real ``detente serve`` process serves a store of ``--rows`` synthetic events (the generator of
bench_store.py); 50 asyncio clients (httpx) send a seeded mix of filtered, paged queries
(actor, kind, date range, offset) until ``--requests`` have been answered or ``--seconds`` have
passed, whichever comes first. Baseline, in this process on the same store and queries: the
library answering the same filters one at a time without HTTP (``Store.records``). Goal (issue
6): p99 under 100 ms. The last line is ``p99_ms: N``.

    .venv/bin/python benchmarks/bench_web.py [--rows 1000000] [--clients 50] [--requests 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from detente.events import ingest
from detente.events.query import EventFilter
from detente.events.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_store import ACTORS, KINDS, make_sources


def queries(n: int, seed: int) -> list[dict[str, str | int]]:
    """A seeded mix: most queries filter by actor/kind/years and page; some are broad."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q: dict[str, str | int] = {"limit": 50, "offset": 50 * rng.randrange(5)}
        shape = rng.random()
        if shape < 0.5:
            q["actor"], q["kind"] = rng.choice(ACTORS), rng.choice(KINDS)
        elif shape < 0.8:
            q["actor"] = rng.choice(ACTORS)
        if rng.random() < 0.6:
            year = rng.randrange(1990, 2024)
            q["from"], q["to"] = f"{year}-01-01", f"{year + rng.randrange(1, 4)}-12-31"
        out.append(q)
    return out


def as_filter(q: dict) -> EventFilter:
    return EventFilter(actor=q.get("actor"), kind=q.get("kind"), start=q.get("from"),
                       end=q.get("to"), limit=q["limit"], offset=q["offset"])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def load(url: str, mix: list[dict], clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    queue = iter(mix)
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def worker() -> None:
            for q in queue:
                if time.perf_counter() > deadline:
                    return
                start = time.perf_counter()
                r = await client.get("/api/events", params=q)
                latencies.append(time.perf_counter() - start)
                r.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _, parquet = make_sources(folder, args.rows)
        db = folder / "events.duckdb"
        with Store(db, empty=True) as store:
            ingest.ingest_file(store, parquet)
        mix = queries(args.requests, args.seed)

        # Baseline: the library, same store, same filters, one at a time, no HTTP.
        with Store(db, read_only=True) as store:
            lib = []
            for q in mix[:200]:
                start = time.perf_counter()
                list(store.records(as_filter(q)))
                store.count(as_filter(q))
                lib.append(time.perf_counter() - start)
        lib_p50 = statistics.median(lib) * 1000
        print(f"library (no HTTP, 1 client, 200 queries): p50 {lib_p50:.1f} ms, "
              f"p99 {percentile(lib, 99) * 1000:.1f} ms")

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "DETENTE_TOKEN"}
        server = subprocess.Popen([sys.executable, "-m", "detente", "serve", "--db", str(db),
                                   "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            started = time.perf_counter()
            while True:
                try:
                    if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            print(f"server up in {time.perf_counter() - started:.1f} s (event index built)")
            asyncio.run(load(url, mix[:100], 10, 10))  # warm-up, not counted
            began = time.perf_counter()
            latencies = asyncio.run(load(url, mix, args.clients, args.seconds))
            wall = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(10)
    ms = [x * 1000 for x in latencies]
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    print(f"{len(ms):,} requests from {args.clients} clients over {args.rows:,} events in "
          f"{wall:.1f} s ({len(ms) / wall:,.0f} requests/s; client and server share "
          f"{os.cpu_count()} cores)")
    print(f"latency: p50 {p50:.1f} ms, p90 {percentile(ms, 90):.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(ms):.1f} ms (goal: p99 < 100 ms)")
    print(f"ratio_p50_library_vs_api: {lib_p50 / p50:.2f}")
    print(f"p99_ms: {p99:.1f}")


if __name__ == "__main__":
    main()
