"""The agreement spec: round trips, selector semantics, and located errors for bad specs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings

from detente.agreements import spec
from detente.agreements.spec import Agreement, Reciprocity, Selector, by_party
from detente.errors import SpecError
from tests.strategies import agreement_dicts, make_event

GOOD = """\
id: demo
title: Demo freeze
parties: [PRK, USA]
start: 2018-02-26
commitments:
  - id: prk-no-tests
    party: PRK
    refrains_from:
      - {kind: missile_test, where: {class: [ICBM, IRBM]}}
    verification: {means: radar, detection: 0.9, delay_days: 1, false_alarm: 0.01}
  - id: usa-no-designations
    party: USA
    refrains_from:
      - {kind: sanctions_designation, where: {issuer: OFAC}}
    undertakes:
      - {id: talks, kind: talks, within_days: 30}
    verification: {means: lists, detection: 1.0}
reciprocity: mutual
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agreement_dicts())
def test_spec_yaml_round_trip(data: dict) -> None:
    agreement = Agreement.model_validate(data)
    again = spec.parse(agreement.to_yaml(), "<round-trip>")
    assert again == agreement
    assert again.to_dict() == agreement.to_dict()
    assert spec.parse(again.to_yaml()) == again


def test_parse_good_spec_and_accessors() -> None:
    a = spec.parse(GOOD, "good.yaml")
    assert a.parties == ["PRK", "USA"]
    assert a.commitment("usa-no-designations").undertakes[0].deadline(a.start) == \
        dt.date(2018, 3, 28)
    assert [c.id for c in a.commitments_of("PRK")] == ["prk-no-tests"]
    assert a.reciprocity.released_by("PRK", a.parties) == ["USA"]
    moved = a.with_window(start=dt.date(2019, 1, 1))
    assert moved.start == dt.date(2019, 1, 1) and moved.commitments == a.commitments


def test_reciprocity_forms() -> None:
    assert Reciprocity.model_validate("none").released_by("PRK", ["PRK", "USA"]) == []
    explicit = Reciprocity.model_validate({"PRK": ["USA", "KOR"]})
    assert explicit.mode == "explicit"
    assert explicit.released_by("PRK", ["PRK", "USA", "KOR"]) == ["USA", "KOR"]
    assert explicit.released_by("USA", ["PRK", "USA", "KOR"]) == []


def test_selector_semantics() -> None:
    icbm = Selector(kind="missile_test", where={"class": ["ICBM"]})
    assert icbm.matches(make_event("a", dt.date(2020, 1, 1), "PRK", "missile_test",
                                   {"class": "ICBM"}))
    assert not icbm.matches(make_event("b", dt.date(2020, 1, 1), "PRK", "missile_test",
                                       {"class": "SRBM"}))
    # An event lacking the attribute does not match: an unknown class is not an ICBM.
    assert not icbm.matches(make_event("c", dt.date(2020, 1, 1), "PRK", "missile_test"))
    joint = make_event("d", dt.date(2020, 1, 1), "USA", "military_exercise",
                       {"status": "held", "parties": ["USA", "KOR"]})
    assert Selector(kind="military_exercise", where={"parties": "KOR"}).matches(joint)
    assert not Selector(kind="military_exercise", where={"parties": "JPN"}).matches(joint)
    assert by_party(joint, "KOR") and by_party(joint, "USA") and not by_party(joint, "JPN")
    aimed = Selector(kind="military_exercise", target=["PRK"])
    assert not aimed.matches(joint)


BAD_CASES = [
    # (description, replacement (old, new), expected field, expected message fragment)
    ("unknown party", ("parties: [PRK, USA]", "parties: [PRK, USAA]"), "parties.1",
     "unknown party"),
    ("unknown kind", ("kind: missile_test", "kind: missile_tset"), "commitments.0.refrains_from.0"
     ".kind", "missile_test"),
    ("unknown attribute", ("where: {class: [ICBM, IRBM]}", "where: {klass: [ICBM, IRBM]}"),
     "commitments.0.refrains_from.0", "unknown attribute 'klass'"),
    ("probability above 1", ("detection: 0.9", "detection: 1.5"),
     "commitments.0.verification.detection", "less than or equal to 1"),
    ("end before start", ("start: 2018-02-26", "start: 2018-02-26\nend: 2017-01-01"), "end",
     "end is before start"),
    ("duplicate commitment ids", ("id: usa-no-designations", "id: prk-no-tests"),
     "commitments.1.id", "duplicate commitment id"),
    ("party not in the agreement", ("party: USA", "party: KOR"), "commitments.1.party",
     "not one of the agreement's parties"),
]


@pytest.mark.parametrize("name, change, field, fragment", BAD_CASES,
                         ids=[c[0] for c in BAD_CASES])
def test_bad_spec_is_located(name, change, field, fragment) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(SpecError) as info:
        spec.parse(text, "bad.yaml")
    problems = info.value.problems
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.file == "bad.yaml"
    assert problem.field == field
    assert fragment in problem.message
    changed_line = next(i for i, (new, old) in enumerate(
        zip(text.splitlines(), GOOD.splitlines(), strict=False), 1) if new != old)
    assert problem.line == changed_line


def test_every_problem_reported_once() -> None:
    text = GOOD.replace("detection: 0.9", "detection: -2").replace(
        "parties: [PRK, USA]", "parties: [PRK, USA, XXX]")
    with pytest.raises(SpecError) as info:
        spec.parse(text, "two.yaml")
    fields = sorted(p.field for p in info.value.problems)
    assert fields == ["commitments.0.verification.detection", "parties.2"]


def test_field_and_cross_field_problems_in_one_run() -> None:
    text = GOOD.replace("detection: 0.9", "detection: -2").replace(
        "id: usa-no-designations", "id: prk-no-tests").replace(
        "start: 2018-02-26", "start: 2018-02-26\nend: 2018-01-01")
    with pytest.raises(SpecError) as info:
        spec.parse(text, "three.yaml")
    found = [(p.line, p.field) for p in info.value.problems]
    assert found == [(5, "end"), (11, "commitments.0.verification.detection"),
                     (12, "commitments.1.id")]


def test_yaml_syntax_error_has_line() -> None:
    text = GOOD.replace("reciprocity: mutual", "reciprocity: [mutual")
    with pytest.raises(SpecError) as info:
        spec.parse(text, "syntax.yaml")
    problem = info.value.problems[0]
    assert problem.file == "syntax.yaml" and problem.line is not None
    assert "YAML" in problem.message


def test_load_missing_file(tmp_path) -> None:
    with pytest.raises(SpecError) as info:
        spec.load(tmp_path / "nope.yaml")
    assert "not found" in str(info.value)
