"""The results contract: every result type's ``to_json_dict()`` is exactly what its API response
model documents (the models forbid fields they do not name), on the real record; every API
route declares such a model, and each analysis route's real answer fits it."""

from __future__ import annotations

import datetime as dt
import time
from typing import get_args, get_origin

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from detente import evaluate, monitor, tension, verification
from detente.agreements import presets
from detente.dialogue import solvers
from detente.events.store import Store
from detente.web import answers, schemas
from detente.web.api import ErrorBody, router
from detente.web.app import create_app
from detente.web.settings import Settings


@pytest.fixture(scope="module")
def bundled_store(bundled):
    with Store(bundled, read_only=True) as store:
        yield store


@pytest.mark.parametrize("agreement", presets.ids())
def test_check_and_verification_answers_fit_their_models(bundled_store, agreement) -> None:
    spec = presets.load(agreement)
    schemas.CheckOut.model_validate(monitor.check(spec, bundled_store).to_json_dict())
    late = monitor.check(spec, bundled_store, start=dt.date(2026, 2, 1),
                         end=dt.date(2026, 10, 1))  # a window running into the blind days
    schemas.CheckOut.model_validate(late.to_json_dict())
    schemas.VerificationOut.model_validate(verification.view(spec).to_json_dict())


def test_tension_answers_fit_their_model(bundled_store) -> None:
    for smooth in (None, "8w"):
        series = tension.tension(bundled_store, "PRK-USA", weekly=True, smooth=smooth)
        schemas.TensionOut.model_validate(series.to_json_dict())


def test_the_models_refuse_fields_they_do_not_name(bundled_store) -> None:
    data = monitor.check(presets.load("post-olympic-pause"), bundled_store).to_json_dict()
    data["unexpected"] = 1
    with pytest.raises(ValueError, match="unexpected"):
        schemas.CheckOut.model_validate(data)


def test_whatif_is_one_thing_a_function_whatever_was_imported_before():
    import importlib
    import pkgutil

    import detente

    for module in pkgutil.walk_packages(detente.__path__, "detente."):
        if module.name.startswith(("detente.web", "detente.__main__")):
            continue
        importlib.import_module(module.name)
    assert callable(detente.whatif) and detente.whatif.__module__ == "detente.replay"
    assert detente.WhatIfResult.__module__ == "detente.replay"


@pytest.fixture(scope="module")
def client(bundled):
    with TestClient(create_app(Settings(db=bundled, max_whatif_starts=2000))) as c:
        yield c


def response_model(method: str, path: str):
    return next(r.response_model for r in router.routes if isinstance(r, APIRoute)
                and r.path == path and method in r.methods)


def test_every_api_route_declares_an_exact_response_model() -> None:
    routes = [r for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 14
    for route in routes:
        model = route.response_model
        model = get_args(model)[0] if get_origin(model) is list else model
        assert isinstance(model, type) and issubclass(model, BaseModel), route.path
        assert model.model_config.get("extra") == "forbid", route.path


def test_closed_value_sets_are_the_librarys() -> None:
    assert get_args(answers.DialogueModel) == solvers.MODELS
    assert get_args(answers.Method) == evaluate.METHODS


# (method, route, URL, request options): every analysis route, on the bundled record.
ANSWERS = [
    ("GET", "/api/health", "/api/health", {}),
    *[("GET", "/api/agreements/{agreement_id}", f"/api/agreements/{a}", {})
      for a in presets.ids()],
    *[("GET", "/api/whatif/{agreement_id}", f"/api/whatif/{a}",
       {"params": {"from": "2012-01-01", "step": 28}}) for a in presets.ids()],
    ("GET", "/api/check/{agreement_id}", "/api/check/freeze-for-freeze", {}),
    ("GET", "/api/verification/{agreement_id}", "/api/verification/freeze-for-freeze", {}),
    ("POST", "/api/simulate", "/api/simulate",
     {"json": {"agreement": "post-olympic-pause", "runs": 300, "seed": 2}}),
    ("POST", "/api/simulate", "/api/simulate",  # named strategies and a rate given
     {"json": {"agreement": "freeze-for-freeze", "runs": 300, "seed": 3, "period": "month",
               "strategies": {"PRK": "tit_for_tat"}, "rates": {"USA": 0.05}}}),
    ("GET", "/api/dialogue/{scenario_id}", "/api/dialogue/korea-2018",
     {"params": {"proposal": "action-for-action"}}),
    ("GET", "/api/dialogue/{scenario_id}", "/api/dialogue/korea-2018",
     {"params": {"models": "median,smp"}}),
    ("GET", "/api/evaluate", "/api/evaluate", {}),
    ("GET", "/api/evaluate", "/api/evaluate",
     {"params": [("agreement", "leap-day-2012"), ("agreement", "freeze-for-freeze"),
                 ("from", 2014), ("to", 2015), ("horizon", 26), ("method", "grim"),
                 ("method", "km"), ("runs", 16), ("bootstrap", 100)]}),
    ("GET", "/api/tension", "/api/tension", {"params": {"smooth": "4w"}}),
]


@pytest.mark.parametrize(("method", "route", "url", "options"), ANSWERS,
                         ids=[f"{m} {u}" for m, _, u, _ in ANSWERS])
def test_each_analysis_answer_fits_its_routes_model(client, method, route, url,
                                                    options) -> None:
    answer = client.request(method, url, **options)
    assert answer.status_code == 200, answer.text[:300]
    model = TypeAdapter(response_model(method, route))
    model.validate_json(answer.content)
    unexpected = {**answer.json(), "unexpected": 1}
    with pytest.raises(ValidationError, match="unexpected"):
        model.validate_python(unexpected)


def test_a_simulation_job_fits_its_model_queued_and_done(client) -> None:
    job = client.post("/api/simulate", json={"agreement": "leap-day-2012", "runs": 200,
                                              "seed": 5, "background": True})
    assert job.status_code == 202
    model = response_model("GET", "/api/simulate/{job_id}")
    body = model.model_validate_json(job.content)
    deadline = time.monotonic() + 60
    while body.status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        body = model.model_validate_json(client.get(body.url).content)
    assert body.status == "done" and body.result is not None and body.result.runs == 200
    assert body.params.agreement == "leap-day-2012" and body.error is None


def test_error_answers_fit_their_model(client) -> None:
    for url in ("/api/check/no-such-preset", "/api/whatif/freeze-for-freeze?step=0",
                "/api/evaluate?method=astrology"):
        answer = client.get(url)
        assert answer.status_code in (404, 422)
        ErrorBody.model_validate_json(answer.content)
