"""The results contract: every result type's ``to_json_dict()`` is exactly what its API response
model documents (the models forbid fields they do not name), on the real record."""

from __future__ import annotations

import datetime as dt

import pytest

from detente import monitor, tension, verification
from detente.agreements import presets
from detente.events.store import Store
from detente.web import schemas


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
