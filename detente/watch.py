"""Watch an agreement: ingest new event files as they arrive, re-check, and raise alerts.

One **cycle** (``Watch.cycle``): open the store; find the source's files that are complete
(unchanged since the previous poll, or for ``once`` over a short settling pause) and new or
changed since they were last ingested (the **cursor**, table ``watch_files``); ingest each in
its own transaction (idempotent: a re-ingested file adds nothing); re-run the monitor and the
quiet-window finder; record the alerts they imply; deliver pending alerts; close the store (so
other processes can use it between polls).

**Alerts** are derived from the current report, each with an id that is a hash of what it is
about (the agreement, the breach's commitment and event, the status segment, the window), so
recomputing them finds the same ids and nothing is recorded twice:

* ``breach``: a commitment broken by its party, with the evidence event;
* ``status``: the agreement's status from a day on (holding, breached by ..., collapsed);
* ``blind``: a commitment the record cannot see from a day on (no source covers it: an
  unobserved stretch, not compliance); ``--coverage FILE`` declares what the watched feed
  covers, ``to: ongoing`` extending it to the day of each cycle;
* ``window_open``: no provocation by any party for ``window_days`` days (once per window);
* ``window_ended``: a provocation ended a quiet window of ``window_days`` days or more;
* ``ingest_failed``: a source file was refused whole (broken, or still being written).

**Delivery.** Alerts are recorded in the store (table ``alerts``) in the same transaction,
before any is delivered; each channel's delivery is marked in the store after it succeeds, so
no recorded alert is lost. The JSON-lines log gets each alert exactly once: it is checked for
an alert's id before appending, so a crash between the write and the mark never duplicates a
line (a torn last line is dropped on restart). The webhook gets each alert at least once: a
POST of the alert as JSON with an ``Idempotency-Key`` header (a crash between its answer and
the mark sends it again, with the same key), a timeout and quick retries; only a 2xx answer to
the POST itself delivers (a redirect is a failure); a failure is recorded and retried on later
cycles with exponential back-off, never dropped. The console may repeat a line after a crash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente import __version__
from detente.agreements.spec import Agreement
from detente.errors import IngestError, ParameterError
from detente.events.ingest import coded
from detente.events.store import Store, rollback

MAX_BACKOFF_S = 300.0


def alert_id(*parts: Any) -> str:
    """A stable id for what an alert is about."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Alert:
    id: str
    kind: str
    agreement: str
    payload: dict[str, Any]

    def record(self, watch: str, created_at: dt.datetime | None = None) -> dict[str, Any]:
        """The alert as delivered: id, watch, agreement, kind, created_at, then the payload."""
        out = {"id": self.id, "watch": watch, "agreement": self.agreement, "kind": self.kind}
        if created_at is not None:
            out["created_at"] = created_at.isoformat()
        out.update(self.payload)
        return out

    @property
    def text(self) -> str:
        p = self.payload
        if self.kind == "breach":
            ev = p.get("event") or {}
            what = f"{ev.get('kind')} {ev.get('summary') or ''}".strip() if ev else \
                f"missed {p.get('undertaking')}"
            return (f"{self.agreement}: {p['party']} breached {p['commitment']} on {p['date']}"
                    f" ({what})")
        if self.kind == "status":
            return f"{self.agreement}: status {p['label']} from {p['date']}"
        if self.kind == "blind":
            return (f"{self.agreement}: the record cannot see {p['commitment']} "
                    f"({p['party']}) from {p['date']}: no source covers {p['needs']}")
        if self.kind == "window_open":
            return (f"{self.agreement}: no provocation by {', '.join(p['actors'])} for "
                    f"{p['days']} days (since {p['start']})")
        if self.kind == "window_ended":
            ended = p["ended_by"][0] if p["ended_by"] else {}
            return (f"{self.agreement}: a quiet window of {p['days']} days ({p['start']} to "
                    f"{p['end']}) ended on {p['date']} by {ended.get('actor')} "
                    f"{ended.get('kind')}")
        return f"{self.agreement}: {p['file']} refused: {p['error']}"


def breach_alerts(agreement: Agreement, report: Any) -> list[Alert]:
    out = []
    for b in report.breaches:
        about = b.event.id if b.event is not None else f"default:{b.undertaking}:{b.date}"
        out.append(Alert(alert_id(agreement.id, "breach", b.commitment, about), "breach",
                         agreement.id, {**b.to_json_dict(), "first": b is report.breaches[0]}))
    return out


def status_alerts(agreement: Agreement, report: Any) -> list[Alert]:
    out = []
    previous = None
    for seg in report.timeline:
        # Segments also split where the record's view changes: a status alert is a new status.
        now = (seg.status, seg.breached_by, seg.responded)
        if now == previous:
            continue
        previous = now
        out.append(Alert(alert_id(agreement.id, "status", seg.start, seg.status,
                                  ",".join(seg.breached_by), ",".join(seg.responded)),
                         "status", agreement.id,
                         {"date": seg.start.isoformat(), "status": seg.status,
                          "label": seg.label, "breached_by": list(seg.breached_by),
                          "responded": list(seg.responded)}))
    return out


def blind_alerts(agreement: Agreement, report: Any) -> list[Alert]:
    """One alert per stretch in which a commitment cannot be seen (by its first day)."""
    parties = {c.id: c.party for c in agreement.commitments}
    labels = report.observability.labels if report.observability else {}
    return [Alert(alert_id(agreement.id, "blind", cid, span.start), "blind", agreement.id,
                  {"date": span.start.isoformat(), "until": span.end.isoformat(),
                   "commitment": cid, "party": parties[cid], "needs": labels.get(cid, "")})
            for cid, span in report.unobserved]


def window_alerts(agreement: Agreement, found: Any, window_days: int) -> list[Alert]:
    out = []
    actors = list(found.actors)
    for w in found.windows:
        if w.ongoing:
            if w.days >= window_days:
                out.append(Alert(
                    alert_id(agreement.id, "window_open", w.start, window_days), "window_open",
                    agreement.id, {"date": (w.start + dt.timedelta(days=window_days - 1))
                                   .isoformat(), "start": w.start.isoformat(),
                                   "days": window_days, "actors": actors}))
            continue
        out.append(Alert(
            alert_id(agreement.id, "window_ended", w.start, *(p.id for p in w.ended_by)),
            "window_ended", agreement.id,
            {"date": (w.end + dt.timedelta(days=1)).isoformat(), "start": w.start.isoformat(),
             "end": w.end.isoformat(), "days": w.days, "actors": actors,
             "ended_by": [p.to_json_dict() for p in w.ended_by]}))
    return out


def evaluate(agreement: Agreement, store: Store, *, window_days: int = 90) -> list[Alert]:
    """Every alert the record implies for ``agreement`` now (see the module docstring)."""
    from detente import monitor, tension

    try:
        report = monitor.check(agreement, store)
    except ParameterError:
        return []  # an empty record, or one that ends before the agreement starts
    alerts = (breach_alerts(agreement, report) + status_alerts(agreement, report)
              + blind_alerts(agreement, report))
    found = tension.windows(store, min_days=window_days, actors=agreement.parties,
                            start=agreement.start, end=report.last_day)
    return alerts + window_alerts(agreement, found, window_days)


# --- delivery -----------------------------------------------------------------------------------

class AlertLog:
    """The JSON-lines alert log, which never holds an alert twice."""

    def __init__(self, path: Path):
        self.path = path
        self.ids = self._load()

    def _load(self) -> set[str]:
        if not self.path.exists():
            return set()
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            # A torn last line (killed mid-write) was never marked delivered: drop it.
            keep = data[:data.rfind(b"\n") + 1]
            with open(self.path, "r+b") as handle:
                handle.truncate(len(keep))
            data = keep
        ids = set()
        for line in data.splitlines():
            try:
                ids.add(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                continue
        return ids

    def append(self, record: dict[str, Any]) -> bool:
        """Append ``record`` unless its id is already there; True if written."""
        if record["id"] in self.ids:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.ids.add(record["id"])
        return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not deliveries: urllib would follow a 301/302/303 to a POST with
    a body-less GET, whose 2xx would then count as delivered."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Webhook:
    """POST alerts as JSON to ``url`` (http or https): ``timeout`` seconds per try, ``retries``
    quick retries ``pause`` seconds apart (doubling); after that, the alert waits ``backoff``
    x 2^(n-1) seconds (at most 5 minutes) before its next try, n counting the failed
    deliveries. Only a 2xx answer to the POST itself delivers: a redirect is a failure."""

    url: str
    timeout: float = 5.0
    retries: int = 2
    pause: float = 0.5
    backoff: float = 2.0

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ParameterError.single("expected an http:// or https:// URL with a host",
                                        field="webhook", value=self.url)

    def post(self, record: dict[str, Any]) -> None:
        """Deliver or raise ``OSError`` describing the last failure."""
        body = json.dumps(record, ensure_ascii=False, default=str).encode()
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.pause * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json", "Idempotency-Key": record["id"],
                "User-Agent": f"detente/{__version__}"})
            try:
                with _OPENER.open(request, timeout=self.timeout) as response:
                    if 200 <= response.status < 300:
                        return
                    last = OSError(f"HTTP {response.status}")
            except urllib.error.HTTPError as exc:
                moved = exc.headers.get("Location") if 300 <= exc.code < 400 else None
                last = OSError(f"HTTP {exc.code}" + (
                    f" redirect to {moved}: the webhook must answer the POST itself (give "
                    "the URL it redirects to)" if moved else ""))
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                last = OSError(str(getattr(exc, "reason", exc)))
        raise OSError(str(last))


# --- the watch ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CycleResult:
    """What one cycle did."""

    ingested: tuple[coded.FileIngest, ...]
    failed: tuple[tuple[str, str], ...]
    new_alerts: tuple[Alert, ...]
    delivered: dict[str, int]
    pending: dict[str, int]

    def to_json_dict(self) -> dict[str, Any]:
        return {"ingested": [i.to_json_dict() for i in self.ingested],
                "failed": [{"file": f, "error": e} for f, e in self.failed],
                "new_alerts": [a.record("") for a in self.new_alerts],
                "delivered": self.delivered, "pending": self.pending}


@dataclass
class Watch:
    """Watch ``source`` (a file or a directory) for ``agreement`` (see the module docstring).

    ``echo`` receives each alert's console line (default: print); ``fmt`` forces an adapter;
    ``settle`` is how long a file must stay unchanged in ``once`` mode; ``window_days`` is the
    quiet-window length that raises ``window_open``/``window_ended`` alerts; ``coverage`` is a
    YAML file declaring what the watched feed covers (``to: ongoing``: up to the UTC day of
    each cycle).
    """

    agreement: Agreement
    source: Path
    store_path: Path | None = None
    log: Path | None = None
    webhook: Webhook | None = None
    fmt: str | None = None
    rejects: Path | None = None
    window_days: int = 90
    settle: float = 2.0
    echo: Callable[[str], None] = print
    coverage: Path | None = None
    _seen: dict[str, coded.FileState] = field(default_factory=dict, repr=False)
    _evaluated: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.source = Path(self.source).expanduser().resolve()
        if not self.source.exists():
            raise ParameterError.single("no such file or directory", field="source",
                                        value=str(self.source))
        if self.window_days < 1:
            raise ParameterError.single("must be at least 1", field="window_days",
                                        value=self.window_days)
        self.id = f"{self.agreement.id}@{alert_id(self.source)[:10]}"
        self._log = AlertLog(Path(self.log)) if self.log else None
        self._record_end: dt.date | None = None
        if self.coverage is not None:
            self._declarations()  # a broken file stops the watch before its first cycle

    def _declarations(self) -> list:
        from detente.events import coverage

        today = dt.datetime.now(dt.UTC).date()
        return coverage.read(self.coverage, today=today) if self.coverage else []

    # files ------------------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """Candidate input files: the source itself, or the directory's files (recursively),
        without names of files still being written and without detente's own side files."""
        if self.source.is_file():
            return [self.source]
        own = {Path(p).resolve() for p in (self.log, self.store_path) if p}
        own |= {p.with_name(p.name + ".wal") for p in own}  # DuckDB's write-ahead log
        out = []
        for path in sorted(self.source.rglob("*")):
            if path.is_file() and not coded.is_side_file(path) \
                    and coded.in_progress_reason(path) is None and path.resolve() not in own:
                out.append(path)
        return out

    def ready(self, once: bool) -> list[tuple[Path, coded.FileState]]:
        """Files that look complete: last modified ``settle`` seconds ago or more, or unchanged
        (size and modification time) since the previous poll. In ``once`` mode, a file younger
        than that is looked at again after ``settle`` seconds."""
        current = {p: self._state(p) for p in self.files()}
        now = time.time_ns()
        settle_ns = int(self.settle * 1e9)
        if once:
            previous = current
            if any(s and now - s.mtime_ns < settle_ns for s in current.values()):
                time.sleep(self.settle)
                current = {p: self._state(p) for p in self.files()}
                now = time.time_ns()
        else:
            previous = {Path(k): v for k, v in self._seen.items()}
            self._seen = {str(p): s for p, s in current.items() if s is not None}
        return [(p, s) for p, s in current.items() if s is not None
                and (previous.get(p) == s or now - s.mtime_ns >= settle_ns)]

    @staticmethod
    def _state(path: Path) -> coded.FileState | None:
        try:
            return coded.FileState.of(path)
        except OSError:
            return None

    # one cycle --------------------------------------------------------------------------------
    def cycle(self, *, once: bool = False) -> CycleResult:
        ready = self.ready(once)
        with Store(self.store_path) as store:
            cursor = self._cursor(store)
            ingested, failed, failure_alerts = [], [], []
            for path, state in ready:
                if cursor.get(str(path)) == state:
                    continue
                options: dict[str, Any] = {"rejects": self.rejects} if self.rejects else {}
                try:
                    done = coded.ingest(store, path, self.fmt, **options)
                except IngestError as exc:
                    self.echo(f"refused {path}: {exc.summary}")
                    failed.append((str(path), exc.summary))
                    failure_alerts.append(Alert(
                        alert_id(self.agreement.id, "ingest_failed", path, state.size,
                                 state.mtime_ns), "ingest_failed", self.agreement.id,
                        {"date": dt.date.today().isoformat(), "file": str(path),
                         "error": str(exc)}))
                    self._mark(store, path, state, None, str(exc))
                    continue
                self.echo(f"ingested {done.describe()}")
                ingested.append(done)
                self._mark(store, path, state, done, None)
            if self.coverage is not None:
                store.declare_coverage(self._declarations(), extend=True)
            grew = store.record_end() != self._record_end
            self._record_end = store.record_end()
            alerts = failure_alerts
            if ingested or failure_alerts or grew or not self._evaluated:
                alerts = evaluate(self.agreement, store, window_days=self.window_days) \
                    + failure_alerts
                self._evaluated = True
            new = self._record(store, alerts)
            delivered, pending = self._deliver(store)
        return CycleResult(tuple(ingested), tuple(failed), tuple(new), delivered, pending)

    def run(self, *, interval: float = 60.0, once: bool = False,
            cycles: int | None = None) -> Iterator[CycleResult]:
        """Cycle every ``interval`` seconds (forever, or ``cycles`` times; once: one cycle)."""
        count = 0
        while True:
            yield self.cycle(once=once)
            count += 1
            if once or (cycles is not None and count >= cycles):
                return
            time.sleep(interval)

    # store state ------------------------------------------------------------------------------
    def _cursor(self, store: Store) -> dict[str, coded.FileState]:
        rows = store.con.execute("SELECT path, size, mtime_ns FROM watch_files WHERE watch = ?",
                                 [self.id]).fetchall()
        return {p: coded.FileState(s, m) for p, s, m in rows}

    def _mark(self, store: Store, path: Path, state: coded.FileState,
              done: coded.FileIngest | None, error: str | None) -> None:
        s = done.summary if done else None
        store.con.execute(
            "INSERT OR REPLACE INTO watch_files VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?)",
            [self.id, str(path), state.size, state.mtime_ns, done.format if done else None,
             done.result.rows if done else None, done.result.added if done else None,
             s.rejected if s else None, s.skipped if s else None, error])

    def _record(self, store: Store, alerts: list[Alert]) -> list[Alert]:
        """Insert the alerts not yet recorded (one transaction); return the new ones."""
        if not alerts:
            return []
        ids = [a.id for a in alerts]
        known = {i for (i,) in store.con.execute(
            "SELECT id FROM alerts WHERE id IN (SELECT unnest(?))", [ids]).fetchall()}
        new = [a for a in dict((a.id, a) for a in alerts).values() if a.id not in known]
        if not new:
            return []
        store.con.begin()
        try:
            for a in new:
                store.con.execute(
                    "INSERT INTO alerts (id, watch, agreement, kind, created_at, payload) "
                    "VALUES (?, ?, ?, ?, now(), ?) ON CONFLICT DO NOTHING",
                    [a.id, self.id, a.agreement, a.kind, json.dumps(a.payload, default=str)])
            store.con.commit()
        except BaseException:
            rollback(store.con)
            raise
        return new

    def _pending(self, store: Store, column: str) -> list[tuple[Alert, Any]]:
        rows = store.con.execute(
            f"""SELECT id, kind, agreement, CAST(payload AS VARCHAR), created_at FROM alerts
                WHERE watch = ? AND {column} IS NULL
                ORDER BY json_extract_string(payload, '$.date'), created_at, kind, id""",
            [self.id]).fetchall()
        return [(Alert(i, k, ag, json.loads(p)), c) for i, k, ag, p, c in rows]

    def _deliver(self, store: Store) -> tuple[dict[str, int], dict[str, int]]:
        delivered = {"console": 0, "log": 0, "webhook": 0}
        for alert, _ in self._pending(store, "console_at"):
            self.echo(f"ALERT {alert.kind}: {alert.text}")
            store.con.execute("UPDATE alerts SET console_at = now() WHERE id = ?", [alert.id])
            delivered["console"] += 1
        if self._log is not None:
            for alert, created in self._pending(store, "logged_at"):
                self._log.append(alert.record(self.id, created))
                store.con.execute("UPDATE alerts SET logged_at = now() WHERE id = ?", [alert.id])
                delivered["log"] += 1
        # Alerts reach the webhook in order: while one waits out its back-off, all wait.
        waiting = self.webhook is not None and store.con.execute(
            "SELECT count(*) FROM alerts WHERE watch = ? AND webhook_at IS NULL "
            "AND webhook_next > now()", [self.id]).fetchall()[0][0]
        if self.webhook is not None and not waiting:
            for alert, created in self._pending(store, "webhook_at"):
                try:
                    self.webhook.post(alert.record(self.id, created))
                except OSError as exc:
                    attempts = store.con.execute(
                        "SELECT webhook_attempts FROM alerts WHERE id = ?",
                        [alert.id]).fetchall()[0][0] + 1
                    wait = min(MAX_BACKOFF_S, self.webhook.backoff * 2.0 ** (attempts - 1))
                    store.con.execute(
                        "UPDATE alerts SET webhook_attempts = ?, webhook_error = ?, "
                        f"webhook_next = now() + INTERVAL {wait:.3f} SECOND WHERE id = ?",
                        [attempts, str(exc), alert.id])
                    self.echo(f"webhook failed for alert {alert.id} (attempt {attempts}): {exc};"
                              f" retrying in {wait:g} s")
                    break  # keep alerts in order: later ones wait for this one
                store.con.execute(
                    "UPDATE alerts SET webhook_at = now(), webhook_attempts = webhook_attempts "
                    "+ 1, webhook_error = NULL WHERE id = ?", [alert.id])
                delivered["webhook"] += 1
        pending = {"log": len(self._pending(store, "logged_at")) if self._log else 0,
                   "webhook": len(self._pending(store, "webhook_at")) if self.webhook else 0}
        return delivered, pending


def alerts_of(store: Store, watch_id: str | None = None) -> list[dict[str, Any]]:
    """The recorded alerts (optionally of one watch) with their delivery state."""
    where, params = ("WHERE watch = ?", [watch_id]) if watch_id else ("", [])
    rows = store.con.execute(
        f"""SELECT id, watch, agreement, kind, created_at, CAST(payload AS VARCHAR), console_at,
                   logged_at, webhook_at, webhook_attempts, webhook_error FROM alerts {where}
            ORDER BY created_at, id""", params).fetchall()
    keys = ("id", "watch", "agreement", "kind", "created_at", "payload", "console_at",
            "logged_at", "webhook_at", "webhook_attempts", "webhook_error")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["payload"] = json.loads(item["payload"])
        out.append(item)
    return out

