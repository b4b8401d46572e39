"""Server settings: the store, the operator's token and every limit, in one value object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from detente.errors import ParameterError
from detente.events.store import default_path

TOKEN_ENV = "DETENTE_TOKEN"


@dataclass(frozen=True)
class Settings:
    """``token`` None means read-only: every write is refused. Limits bound each request's
    work: body size, page size, what-if starts, simulation runs (synchronous up to
    ``sync_runs``, as a background job above), jobs queued at once."""

    db: Path = field(default_factory=default_path)
    token: str | None = None
    max_body_bytes: int = 2_000_000
    max_page: int = 1000
    default_page: int = 100
    max_offset: int = 10_000_000
    max_ingest_events: int = 10_000
    max_whatif_starts: int = 20_000
    max_runs: int = 200_000
    sync_runs: int = 20_000
    dashboard_runs: int = 20_000
    max_jobs: int = 4
    kept_jobs: int = 100
    index_max_events: int = 5_000_000
    index_idle_seconds: float = 0.0  # 0: keep the in-memory event index while the server runs

    def __post_init__(self) -> None:
        object.__setattr__(self, "db", Path(self.db).expanduser())
        for name in ("max_body_bytes", "max_page", "default_page", "max_runs", "sync_runs",
                     "max_jobs", "kept_jobs", "max_whatif_starts", "max_ingest_events",
                     "dashboard_runs"):
            if getattr(self, name) < 1:
                raise ParameterError.single("must be positive", field=name,
                                            value=getattr(self, name))
        if self.token is not None and len(self.token) < 8:
            raise ParameterError.single("the token must have at least 8 characters",
                                        field=TOKEN_ENV, value="(hidden)")

    @classmethod
    def from_env(cls, db: str | Path | None = None, **overrides) -> Settings:
        """Settings with the token from ``$DETENTE_TOKEN`` (empty: read-only)."""
        token = os.environ.get(TOKEN_ENV) or None
        return cls(db=Path(db) if db is not None else default_path(), token=token, **overrides)

    @property
    def read_only(self) -> bool:
        return self.token is None
