"""``GET /api/events`` without FastAPI's parameter machinery, for the queries it can read.

FastAPI validates the eleven query parameters of ``GET /api/events`` with its dependency
solver, which costs about as much CPU as answering the query from the in-memory index. This
ASGI layer answers a request itself only when it reads every parameter exactly as FastAPI
would: known names, no blank values, no repeated single-valued parameter, dates as
YYYY-MM-DD, limit and offset as plain non-negative integers, kinds that exist; and only when
the filters are ones the index answers and the index is up to date. The answer is built by
the route's own functions (``api.events_filter``, ``api.events_page``). Everything else (an
error to report, ``where`` or ``text``, a stale index) goes to FastAPI untouched, so error
answers and the OpenAPI schema are the route's. ``Settings.events_fast_path`` turns it off.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import URL

from detente.errors import DetenteError
from detente.events.kinds import Kind
from detente.web.api import events_filter, events_page
from detente.web.index import EventIndex

PATH = "/api/events"
_LISTS = ("actor", "target", "involving", "kind", "source")
_SCALARS = ("from", "to", "limit", "offset")
_KINDS = frozenset(k.value for k in Kind)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def read_query(query_string: bytes) -> dict[str, Any] | None:
    """The parameters as the route would receive them, or None when any is not plainly
    readable (FastAPI then decides)."""
    lists: dict[str, list[str]] = {name: [] for name in _LISTS}
    scalars: dict[str, Any] = {}
    # Starlette's own parsing of the query string (QueryParams), so values decode alike.
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if not value:
            return None
        if name in lists:
            if name == "kind" and value not in _KINDS:
                return None
            lists[name].append(value)
        elif name in _SCALARS and name not in scalars:
            if name in ("from", "to"):
                if not _DAY.fullmatch(value):
                    return None
                try:
                    scalars[name] = dt.date.fromisoformat(value)
                except ValueError:
                    return None
            elif value.isascii() and value.isdigit() and len(value) <= 18 \
                    and (value == "0" or value[0] != "0"):
                scalars[name] = int(value)
            else:
                return None
        else:  # unknown or repeated single-valued parameter
            return None
    return {**{name: tuple(values) for name, values in lists.items()},
            "start": scalars.get("from"), "end": scalars.get("to"),
            "limit": scalars.get("limit"), "offset": scalars.get("offset", 0)}


class EventsFastPath:
    """ASGI middleware answering plain ``GET /api/events`` requests from a fresh index."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PATH:
            response = self.answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def answer(scope):
        params = read_query(scope.get("query_string", b""))
        if params is None:
            return None
        st = scope["app"].state
        try:
            flt = events_filter(st.settings, params.pop("limit"), params.pop("offset"),
                                **params)
        except DetenteError:  # the route reports it
            return None
        index = st.queries.fresh() if EventIndex.supports(flt) else None
        if index is None:
            return None
        total, events = index.query(flt)
        return events_page(URL(scope=scope), flt, total, events)
