"""The web layer: a JSON API under /api/ and a server-rendered dashboard (FastAPI).

``create_app(Settings(db=...))`` builds the application; ``detente serve`` runs it with uvicorn.
See docs/web.md.
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any):
    """The FastAPI application (see ``detente.web.app.create_app``)."""
    from detente.web.app import create_app as factory

    return factory(*args, **kwargs)


__all__ = ["create_app"]
