"""The verification view: detection, delay, false alarms, informedness and asymmetry."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings

from detente import verification
from detente.agreements import presets
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from tests.strategies import agreement_dicts


def spec(prk: dict, usa: dict, parties=("PRK", "USA", "CHN")) -> Agreement:
    return Agreement.model_validate({
        "id": "v", "title": "v", "parties": list(parties), "start": "2018-01-01",
        "commitments": [
            {"id": "prk", "party": "PRK", "refrains_from": [{"kind": "nuclear_test"}],
             "verification": {"means": "seismic", **prk}},
            {"id": "usa", "party": "USA", "refrains_from": [{"kind": "military_exercise"}],
             "verification": {"means": "public", **usa}}]})


def test_false_alarm_over_periods() -> None:
    assert verification.false_alarm_over(0.05, 0) == 0.0
    assert verification.false_alarm_over(0.05, 7) == pytest.approx(0.05)
    assert verification.false_alarm_over(0.05, 14) == pytest.approx(1 - 0.95 ** 2)
    assert verification.false_alarm_over(1.0, 3) == 1.0
    assert verification.false_alarm_over(0.0, 300) == 0.0
    with pytest.raises(ParameterError):
        verification.false_alarm_over(1.5, 7)


def test_numbers_follow_the_definitions() -> None:
    view = verification.view(spec({"detection": 0.8, "delay_days": 10, "false_alarm": 0.02},
                                   {"detection": 1.0}), horizon_days=28)
    prk = view.commitments[0]
    fa = 1 - 0.98 ** 4
    assert prk.false_alarm_h == pytest.approx(fa)
    assert prk.timely_detection == 0.8
    assert prk.informedness == pytest.approx(0.8 - fa)
    assert prk.observers == ("USA", "CHN")
    assert view.asymmetry == pytest.approx(1.0 - (0.8 - fa))
    assert view.most_observable == ("USA",) and view.least_observable == ("PRK",)
    # CHN has no commitment: nothing of it to watch.
    assert [p.party for p in view.parties] == ["PRK", "USA"]


def test_delay_beyond_the_horizon_means_no_timely_detection() -> None:
    slow = spec({"detection": 0.9, "delay_days": 60}, {"detection": 1.0})
    assert verification.view(slow, horizon_days=30).commitments[0].timely_detection == 0.0
    assert verification.view(slow, horizon_days=90).commitments[0].timely_detection == 0.9


def test_party_is_as_visible_as_its_weakest_commitment() -> None:
    a = Agreement.model_validate({
        "id": "w", "title": "w", "parties": ["PRK", "USA"], "start": "2018-01-01",
        "commitments": [
            {"id": "tests", "party": "PRK", "refrains_from": [{"kind": "nuclear_test"}],
             "verification": {"means": "seismic", "detection": 0.99, "false_alarm": 0.01}},
            {"id": "programme", "party": "PRK", "refrains_from": [{"kind": "provocation"}],
             "verification": {"means": "imagery", "detection": 0.3, "false_alarm": 0.05}},
            {"id": "usa", "party": "USA", "refrains_from": [{"kind": "military_exercise"}],
             "verification": {"means": "public", "detection": 1.0}}]})
    prk = verification.view(a).party("PRK")
    assert prk.weakest == "programme" and prk.min_detection == 0.3
    assert prk.false_alarm_week == pytest.approx(1 - 0.99 * 0.95)


def test_equal_visibility_names_nobody() -> None:
    same = {"detection": 0.9, "false_alarm": 0.01, "delay_days": 1}
    view = verification.view(spec(same, same))
    assert view.asymmetry == 0.0
    assert view.most_observable == () and view.least_observable == ()


def test_freeze_for_freeze_critique_shows_as_numbers() -> None:
    f4f = verification.view(presets.load("freeze-for-freeze"))
    pause = verification.view(presets.load("post-olympic-pause"))
    assert f4f.least_observable == ("PRK",)
    assert set(f4f.most_observable) == {"USA", "KOR"}
    assert f4f.party("PRK").weakest == "prk-programme-freeze"
    # Computed from the presets' own figures, not asserted constants: the freeze is several times
    # more lopsided than the pause, whose two sides are both easy to watch.
    assert f4f.asymmetry > 5 * pause.asymmetry
    assert f4f.party("PRK").observability < 0.5 < pause.party("PRK").observability
    json.dumps(f4f.to_json_dict())


def test_horizon_must_be_positive() -> None:
    with pytest.raises(ParameterError):
        verification.view(presets.load("freeze-for-freeze"), horizon_days=0)


@settings(max_examples=30, deadline=None)
@given(agreement_dicts())
def test_view_bounds_for_any_spec(data: dict) -> None:
    a = Agreement.model_validate(data)
    short = verification.view(a, horizon_days=7)
    long = verification.view(a, horizon_days=90)
    for s, lo in zip(short.commitments, long.commitments, strict=True):
        assert -1.0 <= s.informedness <= 1.0
        assert s.false_alarm_h <= lo.false_alarm_h + 1e-12
    assert 0.0 <= short.asymmetry <= 2.0
    assert math.isclose(short.asymmetry, max(p.observability for p in short.parties)
                        - min(p.observability for p in short.parties))
