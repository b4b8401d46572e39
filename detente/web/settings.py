"""Server settings: the store, the operator's token and every limit, in one value object.

``detente serve --workers N`` hands them to its worker processes in one environment variable
(``DETENTE_WEB_SETTINGS``, JSON without the token); the token always comes from
``DETENTE_TOKEN``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from detente.errors import ParameterError
from detente.events.store import default_path

TOKEN_ENV = "DETENTE_TOKEN"
SETTINGS_ENV = "DETENTE_WEB_SETTINGS"
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class Settings:
    """``token`` None means read-only: every write is refused. Limits bound each request's
    work: body size, page size, what-if starts, simulation runs (synchronous up to
    ``sync_runs``, as a background job above), jobs queued at once. ``jobs_dir`` holds the
    background jobs (shared by every worker process; None: a temporary folder of this app).
    ``max_evaluate_origins`` bounds an evaluation (agreements x origin years, up to a second
    each). ``store_wait_seconds`` bounds how long a request waits for another process to let
    go of the store before answering 503. Slow clients are bounded by the header, keep-alive and
    body timeouts and ``max_connections`` per worker (docs/web.md)."""

    db: Path = field(default_factory=default_path)
    token: str | None = None
    max_body_bytes: int = 2_000_000
    max_page: int = 1000
    default_page: int = 100
    max_offset: int = 10_000_000
    max_ingest_events: int = 10_000
    max_whatif_starts: int = 20_000
    max_evaluate_origins: int = 12  # agreements x origin years of one GET /api/evaluate
    max_runs: int = 200_000
    sync_runs: int = 20_000
    dashboard_runs: int = 20_000
    max_jobs: int = 4
    kept_jobs: int = 100
    jobs_dir: Path | None = None
    #: the operator's own agreement spec files, offered beside the presets (``serve --spec``)
    specs: tuple[str, ...] = ()
    store_wait_seconds: float = 10.0
    index_max_events: int = 5_000_000
    index_idle_seconds: float = 0.0  # 0: keep the in-memory event index while the server runs
    events_fast_path: bool = True  # plain GET /api/events answered before FastAPI (fastpath.py)
    header_timeout_seconds: float = 10.0  # to finish a request's headers (connections.py)
    keep_alive_seconds: float = 5.0       # an idle keep-alive connection is closed after this
    body_timeout_seconds: float = 30.0    # to send a request's whole body
    max_connections: int = 1000           # open connections per worker process
    max_conditions: int = 20              # `where` conditions in one event query
    max_filter_values: int = 100          # values in one event query's filters, all together
    max_query_seconds: float = 5.0        # an event query answered by SQL is stopped after

    def __post_init__(self) -> None:
        object.__setattr__(self, "db", Path(self.db).expanduser())
        object.__setattr__(self, "specs", tuple(str(Path(p).expanduser()) for p in self.specs))
        if self.jobs_dir is not None:
            object.__setattr__(self, "jobs_dir", Path(self.jobs_dir).expanduser())
        for name in ("max_body_bytes", "max_page", "default_page", "max_runs", "sync_runs",
                     "max_jobs", "kept_jobs", "max_whatif_starts", "max_ingest_events",
                     "dashboard_runs", "max_connections", "max_conditions",
                     "max_filter_values", "max_evaluate_origins"):
            if getattr(self, name) < 1:
                raise ParameterError.single("must be positive", field=name,
                                            value=getattr(self, name))
        if not 0 <= self.store_wait_seconds <= 3600:
            raise ParameterError.single("must be between 0 and 3600 seconds",
                                        field="store_wait_seconds",
                                        value=self.store_wait_seconds)
        for name in ("header_timeout_seconds", "keep_alive_seconds", "body_timeout_seconds",
                     "max_query_seconds"):
            value = getattr(self, name)
            if not 0 < value <= 3600:  # also false for NaN
                raise ParameterError.single("must be between 0 and 3600 seconds", field=name,
                                            value=value)
        if self.token is not None and len(self.token) < 8:
            raise ParameterError.single("the token must have at least 8 characters",
                                        field=TOKEN_ENV, value="(hidden)")
        if self.token is not None and not _TOKEN_CHARS.fullmatch(self.token):
            # A client sends it in an HTTP header, which carries nothing else.
            raise ParameterError.single("the token must be printable ASCII without spaces",
                                        field=TOKEN_ENV, value="(hidden)")

    @classmethod
    def from_env(cls, db: str | Path | None = None, **overrides) -> Settings:
        """Settings with the token from ``$DETENTE_TOKEN`` (empty: read-only), on top of
        ``$DETENTE_WEB_SETTINGS`` (JSON, as ``to_env`` writes it) when that is set."""
        values: dict = {}
        raw = os.environ.get(SETTINGS_ENV)
        if raw:
            try:
                values = json.loads(raw)
            except ValueError as exc:
                raise ParameterError.single(f"not JSON: {exc}", field=SETTINGS_ENV,
                                            value=raw[:200]) from None
            known = {f.name for f in dataclasses.fields(cls)} - {"token"}
            unknown = (sorted(set(values) - known) if isinstance(values, dict)
                       else ["(not an object)"])
            if unknown:
                raise ParameterError.single(f"unknown settings {unknown}; known: "
                                            f"{', '.join(sorted(known))}", field=SETTINGS_ENV,
                                            value=raw[:200])
        values.update(overrides)
        if db is not None:
            values["db"] = Path(db)
        values.setdefault("db", default_path())
        token = os.environ.get(TOKEN_ENV) or None
        return cls(token=token, **values)

    def to_env(self) -> str:
        """JSON of every setting but the token (which stays in ``$DETENTE_TOKEN``)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name != "token"}
        return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})

    @property
    def read_only(self) -> bool:
        return self.token is None
