"""Web API latency: GET /api/events on a store of 1M events, 50 concurrent clients on loopback.

A real ``detente serve --workers 2`` serves a store of ``--rows`` synthetic events (the
generator of bench_store.py); 50 clients send a seeded mix of filtered, paged queries (actor,
kind, date range, offset), each waiting for its answer before sending the next (a closed loop),
until ``--requests`` have been answered or ``--seconds`` have passed, whichever comes first.
Latency is the time from writing a request to having read its whole body. Before the clock
starts, client k connects after k x ``--ramp-ms`` and sends 8 warm-up queries (not counted):
connections arriving while the server is busy spread over its workers, whereas 50 connects in
the same instant are all accepted by whichever worker wakes first (``--ramp-ms 0`` shows that
case); the split is printed.

The load generator is a lean asyncio HTTP/1.1 client (one keep-alive connection per client,
requests built before the clock starts, Content-Length or chunked bodies, status checked), not
httpx: client and server share this machine's two cores, and httpx costs about as much CPU per
request as the server did, so it starved the server it was measuring (p99 ~1 s with httpx,
most of it the client's own queueing).

Baseline, in this process on the same store and queries: the library answering the same
filters one at a time without HTTP (``Store.records``). Goal (issue 6): p99 under 100 ms. The
last line is ``p99_ms: N`` (read-only).

Mixed reads and writes (issue 16): the same clients and queries once more, while one more
client ingests ``--write-events`` new events through ``POST /api/events`` (with the operator's
token) ``--writes-per-s`` times a second; the reads' percentiles are printed beside the
read-only ones (``mixed_read_p99_ms``), with the writes' own latency. ``--writes-per-s 0``
skips it.

    .venv/bin/python benchmarks/bench_web.py [--rows 1000000] [--clients 50]
        [--requests 20000] [--seconds 60] [--workers 2] [--ramp-ms 10]
        [--writes-per-s 2] [--write-events 10]
        [--db STORE (reuse a store instead of generating one)]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

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


# --- the load generator --------------------------------------------------------------------------

class HTTPFailure(Exception):
    """A non-200 answer or a broken response."""


class Connection:
    """One HTTP/1.1 keep-alive connection sending pre-built GET requests."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request(self, path: str) -> bytes:
        return (f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Accept: application/json\r\n\r\n").encode()

    def post(self, path: str, body: bytes, token: str) -> bytes:
        return (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def get(self, request: bytes) -> bytes:
        """Send ``request`` and return the body of its 200 answer."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise HTTPFailure(f"truncated response head: {exc.partial[:200]!r}") from None
            # The server closed an idle keep-alive connection: reopen and send again (a GET).
            self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HTTPFailure(f"not an HTTP/1.x status line: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._chunked()
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:  # no framing: the body ends when the server closes the connection
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close" or parts[0] == "HTTP/1.0":
            self.close()
        if parts[1] != "200":
            raise HTTPFailure(f"{lines[0]}: {body[:300]!r}")
        return body

    async def _chunked(self) -> bytes:
        chunks = []
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            if await self.reader.readexactly(2) != b"\r\n":
                raise HTTPFailure("a chunk does not end with CRLF")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Writes:
    """The writing client of the mixed scenario: ``batches`` of events to POST, one every
    ``1 / per_s`` seconds while the readers run; ``latencies`` are filled in."""

    batches: list[bytes]
    per_s: float
    token: str
    latencies: list[float] = field(default_factory=list)


def write_batches(n: int, size: int, seed: int) -> list[bytes]:
    """``n`` bodies of ``size`` new events each (unique source keys, seeded dates)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        events = [{"date": f"{rng.randrange(1990, 2024)}-0{rng.randrange(1, 10)}-1{j % 10}",
                   "actor": rng.choice(ACTORS), "kind": rng.choice(KINDS), "attrs": {},
                   "source": "bench-writes", "source_ref": f"w{seed}-{i}-{j}"}
                  for j in range(size)]
        out.append(json.dumps({"events": events, "file": "bench-writes"}).encode())
    return out


async def load(host: str, port: int, mix: list[dict], clients: int, seconds: float,
               warmup: int = 0, ramp: float = 0.0,
               writes: Writes | None = None) -> tuple[list[float], float, dict[int, int]]:
    """Closed loop: client k opens its connection after ``k * ramp`` seconds and sends
    ``warmup`` queries, not counted; once every client has, each sends the next query of the
    shared mix whenever its previous one is answered, until the mix is used up or ``seconds``
    have passed (and ``writes``, if given, are sent meanwhile). Answers the latencies, the
    wall time of the measured part and how many connections each server process got (from
    ``/api/health``)."""
    connections = [Connection(host, port) for _ in range(clients)]
    requests = [connections[0].request("/api/events?" + urllib.parse.urlencode(q))
                for q in mix]
    health = connections[0].request("/api/health")
    workers: dict[int, int] = {}

    async def prepare(conn: Connection, k: int) -> None:
        await asyncio.sleep(k * ramp)
        pid = json.loads(await conn.get(health))["worker"]
        workers[pid] = workers.get(pid, 0) + 1
        for request in requests[k * warmup:(k + 1) * warmup]:
            await conn.get(request)

    latencies: list[float] = []
    try:
        await asyncio.gather(*(prepare(c, k) for k, c in enumerate(connections)))
        pending = iter(requests)
        began = time.perf_counter()
        deadline = began + seconds

        async def client(conn: Connection) -> None:
            for request in pending:
                if time.perf_counter() > deadline:
                    return
                start = time.perf_counter()
                await conn.get(request)
                latencies.append(time.perf_counter() - start)

        readers = asyncio.gather(*(client(c) for c in connections))
        if writes is not None:
            connections.append(Connection(host, port))
            writer = asyncio.ensure_future(write_loop(connections[-1], writes, readers))
        await readers
        wall = time.perf_counter() - began
        if writes is not None:
            await writer
    finally:
        for conn in connections:
            conn.close()
    return latencies, wall, workers


async def write_loop(conn: Connection, writes: Writes, readers: asyncio.Future) -> None:
    """POST the batches on schedule until the readers are done (or the batches run out)."""
    for body in writes.batches:
        if readers.done():
            return
        start = time.perf_counter()
        await conn.get(conn.post("/api/events", body, writes.token))
        writes.latencies.append(time.perf_counter() - start)
        pause = 1 / writes.per_s - (time.perf_counter() - start)
        if pause > 0:
            await asyncio.wait([readers], timeout=pause)


def run_loop(coro):
    try:  # the lean client on uvloop when available: less of the shared CPU for the client
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


# --- the run -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, workers: int,
                  limit: float = 180) -> float:
    """Seconds until ``workers`` distinct server processes have answered (a worker accepts
    connections only once its event index is built)."""
    started = time.perf_counter()
    seen: set[int] = set()
    while len(seen) < workers:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=5) as r:
                seen.add(json.loads(r.read())["worker"])
                continue
        except (urllib.error.URLError, OSError):
            pass
        finally:
            if server.poll() is not None or time.perf_counter() - started > limit:
                raise SystemExit(f"the server did not start ({len(seen)} of {workers} "
                                 "workers answered)")
        time.sleep(0.2)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ramp-ms", type=float, default=10.0,
                        help="pause between clients' connections (0: all at once)")
    parser.add_argument("--writes-per-s", type=float, default=2.0,
                        help="writes per second in the mixed scenario (0: skip it)")
    parser.add_argument("--write-events", type=int, default=10,
                        help="events per write in the mixed scenario")
    parser.add_argument("--db", type=Path, help="use this store instead of generating --rows "
                        "events (the mixed scenario adds events to it)")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.db is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            _, parquet = make_sources(folder, args.rows)
            db = folder / "events.duckdb"
            with Store(db, empty=True) as store:
                ingest.ingest_file(store, parquet)
        else:
            db = args.db
        with Store(db, read_only=True) as store:
            rows = store.count()
        mix = queries(args.requests, args.seed)
        combos = {(q.get("actor"), q.get("kind")) for q in mix}
        print(f"{len(mix):,} seeded queries, {len(combos)} distinct actor/kind combinations "
              "(the server computes each one's rows once per worker, then caches them)")

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

        port = free_port()
        token = "bench-web-token"
        env = {**os.environ, "DETENTE_TOKEN": token}
        command = [sys.executable, "-m", "detente", "serve", "--db", str(db), "--port",
                   str(port), "--workers", str(args.workers)]
        print("server: detente " + " ".join(command[3:]))
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            up = wait_until_up(url, server, args.workers)
            print(f"server up in {up:.1f} s (every worker answered: event index built)")
            latencies, wall, workers = run_loop(load(
                "127.0.0.1", port, mix, args.clients, args.seconds, warmup=8,
                ramp=args.ramp_ms / 1000))
            mixed = None
            if args.writes_per_s > 0:
                writes = Writes(write_batches(int(args.seconds * args.writes_per_s) + 1,
                                              args.write_events, args.seed), args.writes_per_s,
                                token)
                mixed_latencies, mixed_wall, _ = run_loop(load(
                    "127.0.0.1", port, queries(args.requests, args.seed + 1), args.clients,
                    args.seconds, warmup=8, ramp=args.ramp_ms / 1000, writes=writes))
                mixed = (mixed_latencies, mixed_wall, writes)
        finally:
            server.terminate()
            server.wait(20)
    ms = [x * 1000 for x in latencies]
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    print(f"{len(ms):,} requests from {args.clients} clients over {rows:,} events in "
          f"{wall:.1f} s ({len(ms) / wall:,.0f} requests/s; client and server share "
          f"{os.cpu_count()} cores)")
    split = ", ".join(str(n) for n in sorted(workers.values(), reverse=True))
    print(f"connections per server process: {split}")
    print(f"latency: p50 {p50:.1f} ms, p90 {percentile(ms, 90):.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(ms):.1f} ms (goal: p99 < 100 ms)")
    if mixed is not None:
        mixed_ms = [x * 1000 for x in mixed[0]]
        write_ms = [x * 1000 for x in mixed[2].latencies]
        print(f"mixed: {len(mixed_ms):,} reads in {mixed[1]:.1f} s while {len(write_ms)} writes "
              f"of {args.write_events} events went in ({len(write_ms) / mixed[1]:.2f}/s; "
              f"{args.writes_per_s:g}/s asked, one at a time)")
        print(f"mixed reads: p50 {percentile(mixed_ms, 50):.1f} ms, p90 "
              f"{percentile(mixed_ms, 90):.1f} ms, p99 {percentile(mixed_ms, 99):.1f} ms, max "
              f"{max(mixed_ms):.1f} ms (read-only p99 {p99:.1f} ms)")
        if write_ms:
            print(f"mixed writes: p50 {percentile(write_ms, 50):.1f} ms, max "
                  f"{max(write_ms):.1f} ms")
        print(f"mixed_read_p99_ms: {percentile(mixed_ms, 99):.1f}")
    print(f"ratio_p50_library_vs_api: {lib_p50 / p50:.2f}")
    print(f"p99_ms: {p99:.1f}")


if __name__ == "__main__":
    main()
