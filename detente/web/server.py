"""``detente serve``: the app under uvicorn, in one process or several.

With ``workers`` > 1 uvicorn starts that many worker processes sharing the listening socket;
each imports ``detente.web.app:create_app`` and builds its app from ``$DETENTE_WEB_SETTINGS``
(set here, JSON without the token; the token stays in ``$DETENTE_TOKEN``). This process creates
the store if needed and the jobs folder every worker shares (a fresh temporary folder, removed
when the server stops, unless one is given; a single process makes its own).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from detente.errors import ParameterError
from detente.web import connections
from detente.web.access import StoreAccess
from detente.web.settings import SETTINGS_ENV, Settings

APP_FACTORY = "detente.web.app:create_app"


def run(host: str = "127.0.0.1", port: int = 8000, db: str | Path | None = None,
        workers: int = 1, jobs_dir: str | Path | None = None, **limits) -> None:
    """Serve until interrupted; the token comes from ``$DETENTE_TOKEN``."""
    import uvicorn

    if not 1 <= workers <= 64:
        raise ParameterError.single("must be between 1 and 64", field="--workers",
                                    value=workers)
    temporary = None
    if jobs_dir is None and workers > 1:
        # One process: the app makes (and removes) its own. Several: made here, for all of
        # them (uvicorn's supervisor returns after stopping the workers, so this removes it).
        temporary = jobs_dir = tempfile.mkdtemp(prefix="detente-jobs-")
    settings = Settings.from_env(db, jobs_dir=jobs_dir, **limits)
    from detente.web.api import user_specs

    offered = user_specs(settings)  # a bad spec file stops here, before anything listens
    try:
        if settings.jobs_dir is not None:
            settings.jobs_dir.mkdir(parents=True, exist_ok=True)
        # Created once here, so the workers do not race to create it.
        StoreAccess(settings.db, settings.store_wait_seconds).ensure()
        mode = "read-only (set DETENTE_TOKEN to allow writes)" if settings.read_only \
            else "writes allowed with the token"
        plural = "es" if workers > 1 else ""
        where = settings.jobs_dir or "a temporary folder"
        cap = connections.connection_cap(settings.max_connections)
        print(f"detente: serving {settings.db} on http://{host}:{port}/ ({mode}; {workers} "
              f"worker process{plural}, jobs in {where}; at most {cap:,} connections per "
              f"worker, headers within {settings.header_timeout_seconds:g} s); API docs at "
              "/docs", flush=True)
        if offered:
            print(f"detente: your agreements beside the presets: {', '.join(offered)}",
                  flush=True)
        # Slow clients: uvicorn's keep-alive timeout, and the header timeout and connection
        # cap of detente's protocol (connections.py; set in each worker by create_app).
        options: dict[str, Any] = {
            "host": host, "port": port, "log_level": "warning", "access_log": False,
            "timeout_keep_alive": settings.keep_alive_seconds, "http": connections.IMPORT_PATH}
        if workers == 1:
            from detente.web.app import create_app

            uvicorn.run(create_app(settings), **options)
        else:
            os.environ[SETTINGS_ENV] = settings.to_env()  # read by each worker's create_app
            uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
