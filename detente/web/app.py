"""The application factory: settings, store access, error mapping, limits, routes.

Errors are JSON with a message under /api/ (``{"message", "type", "problems"}``, status from
``DetenteError.http_status``) and an HTML page elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente import __version__
from detente.errors import (
    DetenteError,
    InputError,
    SchemaVersionError,
    StoreError,
    StoreLockedError,
)
from detente.web import connections
from detente.web.access import StoreAccess
from detente.web.index import EventQueries
from detente.web.jobs import JobQueue
from detente.web.settings import Settings

log = logging.getLogger("detente.web")


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, whether or not they announce a
    Content-Length (a chunked body is counted as it arrives), and bodies that take longer
    than ``timeout`` seconds to arrive with 408 (a slow client holds no worker for long)."""

    def __init__(self, app, limit: int, timeout: float = 30.0):
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        chunks, size = [], 0
        if scope["method"] in ("POST", "PUT", "PATCH"):
            deadline = asyncio.get_running_loop().time() + self.timeout
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    await self._refuse(scope, send, 408, "RequestTimeout", "the request body "
                                       f"did not arrive within {self.timeout:g} s")
                    return
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.limit:
                    await self._refuse(scope, send)
                    return
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            sent = False

            async def replay():
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope, send, status: int = 413, kind: str = "LimitError",
                      message: str | None = None) -> None:
        message = message or f"the request body is over the limit of {self.limit:,} bytes"
        response = error_response(scope.get("path", ""), status, kind, message,
                                  headers={"Connection": "close"})
        await response(scope, None, send)  # type: ignore[arg-type]  # a plain Response never reads


def error_response(path: str, status: int, kind: str, message: str,
                   problems: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    if path.startswith("/api") or path in ("/openapi.json",):
        return JSONResponse({"message": message, "type": kind, "problems": problems or []},
                            status_code=status, headers=headers)
    from detente.web.pages import error_page

    return HTMLResponse(error_page(status, message), status_code=status, headers=headers)


def _validation_problems(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        value = err.get("input")
        plain = isinstance(value, str | int | float | bool) or value is None
        out.append({"message": err.get("msg", "invalid"), "field": ".".join(loc) or None,
                    "value": value if plain else str(value)[:200]})
    return out


_STORE_MESSAGES = {
    StoreLockedError: "the event store is in use by another process (DuckDB allows one writer "
                      "at a time); retry shortly",
    SchemaVersionError: "the event store was written by a newer detente than this server's",
    StoreError: "the event store cannot be used; the server's log says why",
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(DetenteError)
    async def _domain(request: Request, exc: DetenteError) -> Response:
        problems = [p.to_json_dict() for p in exc.problems] if isinstance(exc, InputError) else []
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        message = exc.summary if isinstance(exc, InputError) else str(exc)
        if isinstance(exc, StoreError):
            # The full message names the store's path and the process holding it (its PID
            # and command line): for the operator's log, not for any client.
            log.warning("%s: %s", request.url.path, exc)
            message = _STORE_MESSAGES.get(type(exc), _STORE_MESSAGES[StoreError])
            headers = {"Retry-After": "1"} if isinstance(exc, StoreLockedError) else None
        return error_response(request.url.path, exc.http_status, type(exc).__name__, message,
                              problems, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        broken = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if broken:  # not JSON at all: a malformed body, not a bad value in one
            at = (broken[0].get("ctx") or {}).get("error", "")
            return error_response(request.url.path, 400, "MalformedBody",
                                  f"the request body is not valid JSON ({at})".replace(" ()", ""))
        problems = _validation_problems(exc)
        first = problems[0] if problems else {"message": "invalid request"}
        where = f"field '{first['field']}': " if first.get("field") else ""
        message = f"{where}{first['message']}" + (
            f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else "")
        return error_response(request.url.path, 422, "InputError", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {404: "NotFoundError", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return error_response(request.url.path, exc.status_code, kind, str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request.url.path, 500, "InternalError",
                              f"internal error ({type(exc).__name__}); see the server log")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API and dashboard for ``settings`` (default: ``Settings.from_env()``)."""
    settings = settings or Settings.from_env()
    connections.configure(settings.header_timeout_seconds, settings.max_connections)
    access = StoreAccess(settings.db, settings.store_wait_seconds)
    queries = EventQueries(access, settings.index_max_events, settings.max_query_seconds)
    jobs = JobQueue(settings.max_jobs, settings.kept_jobs, settings.jobs_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        access.ensure()
        try:
            queries.current()  # build the event index before the first request
        except DetenteError as exc:  # e.g. another process holds the write lock: retry later
            log.warning("event index not built at startup: %s", exc)
        yield
        jobs.shutdown()

    app = FastAPI(
        title="detente", version=__version__, lifespan=lifespan,
        description="Replay, verify, simulate and negotiate reciprocal-restraint agreements. "
                    "Read-only unless the operator sets DETENTE_TOKEN; writes need "
                    "'Authorization: Bearer <token>'. Errors are JSON: "
                    "{message, type, problems}.")
    app.state.settings, app.state.access = settings, access
    from detente.web.api import user_specs

    app.state.user_specs = user_specs(settings)  # checked now: a bad file stops the start
    app.state.queries, app.state.jobs = queries, jobs
    install_handlers(app)

    from detente.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    if settings.events_fast_path:
        from detente.web.fastpath import EventsFastPath

        app.add_middleware(EventsFastPath)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       timeout=settings.body_timeout_seconds)
    return app
