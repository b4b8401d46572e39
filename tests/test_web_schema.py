"""Property-based API tests: schemathesis generates requests from the app's own OpenAPI
schema, and every answer must conform to it (documented status, content type and body) and
never be a server error. Bounded: a few examples per operation, no deadline per example."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from detente.events.store import Store
from detente.web.app import create_app
from detente.web.settings import Settings

TOKEN = "schema-test-token"



def _app():
    # The schema is read when the module is collected, so the app (and its store, in a
    # temporary folder removed at exit) exists from then on.
    folder = Path(tempfile.mkdtemp(prefix="detente-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    db = folder / "events.duckdb"
    Store(db).close()
    # Small limits keep every generated request cheap (what-ifs, simulations, pages).
    return create_app(Settings(db=db, token=TOKEN, max_runs=500, sync_runs=500, max_jobs=2,
                               max_whatif_starts=300, max_page=200, max_ingest_events=50,
                               max_evaluate_origins=2))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    headers = {"Authorization": f"Bearer {TOKEN}"} if case.method == "POST" else None
    case.call_and_validate(headers=headers, checks=[
        not_a_server_error, status_code_conformance, content_type_conformance,
        response_schema_conformance])
