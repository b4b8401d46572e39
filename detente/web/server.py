"""``detente serve``: the app under uvicorn."""

from __future__ import annotations

from pathlib import Path

from detente.web.settings import Settings


def run(host: str = "127.0.0.1", port: int = 8000, db: str | Path | None = None,
        **limits) -> None:
    """Serve until interrupted; the token comes from ``$DETENTE_TOKEN``."""
    import uvicorn

    from detente.web.app import create_app

    settings = Settings.from_env(db, **limits)
    app = create_app(settings)
    mode = "read-only (set DETENTE_TOKEN to allow writes)" if settings.read_only \
        else "writes allowed with the token"
    print(f"detente: serving {settings.db} on http://{host}:{port}/ ({mode}); "
          f"API docs at /docs", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
