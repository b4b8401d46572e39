"""The agreement spec: round trips, selector semantics, and located errors for bad specs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings

from detente import yamlio
from detente.agreements import spec
from detente.agreements.spec import Agreement, Reciprocity, Selector, by_party
from detente.dialogue import catalog, scenario
from detente.errors import ScenarioError, SpecError
from detente.simulate import build_model
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
    # The spec as a user writes it (reciprocity perhaps omitted) reads as the same agreement.
    assert spec.parse(yamlio.dump(data), "<written>") == agreement
    if "reciprocity" not in data:
        assert agreement.reciprocity.mode == "mutual"
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


def test_omitted_reciprocity_is_mutual() -> None:
    """No ``reciprocity:`` key means mutual, as documented, and stays mutual through YAML."""
    omitted = spec.parse(GOOD.replace("reciprocity: mutual\n", ""), "omitted.yaml")
    assert omitted.reciprocity == spec.parse(GOOD).reciprocity == Reciprocity()
    assert omitted.reciprocity.mode == "mutual"
    assert omitted.reciprocity.released_by("PRK", omitted.parties) == ["USA"]
    assert "reciprocity: mutual" in omitted.to_yaml()
    assert spec.parse(omitted.to_yaml()) == omitted
    # The simulator's release matrix: each party's breach releases the other.
    model, _ = build_model(omitted, rates={"PRK": 0.1, "USA": 0.1})
    assert model.releases == ((False, True), (True, False))


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
    # Dates are YYYY-MM-DD: a number is not a date (pydantic would read seconds since 1970).
    ("integer start", ("start: 2018-02-26", "start: 0"), "start", "expected a date YYYY-MM-DD"),
    ("compact integer start", ("start: 2018-02-26", "start: 20180226"), "start",
     "expected a date YYYY-MM-DD"),
    ("start with a time", ("start: 2018-02-26", "start: 2018-02-26T10:00:00"), "start",
     "expected a date YYYY-MM-DD"),
    ("start not a calendar day", ("start: 2018-02-26", "start: 2018-02-30"), "start",
     "day is out of range for month"),
    ("quoted start not a calendar day", ("start: 2018-02-26", "start: '2018-02-30'"), "start",
     "day is out of range for month"),
    ("start month 13", ("start: 2018-02-26", "start: 2018-13-01"), "start",
     "month must be in 1..12"),
    ("end not a calendar day", ("start: 2018-02-26", "start: 2018-02-26\nend: 2018-02-30"),
     "end", "day is out of range for month"),
    ("deadline not a calendar day", ("within_days: 30}", "by: 2018-04-31}"),
     "commitments.1.undertakes.0.by", "day is out of range for month"),
    ("deadline before start", ("within_days: 30}", "by: 2018-01-01}"),
     "commitments.1.undertakes.0.by", "deadline is before start 2018-02-26"),
    ("duplicate undertaking ids", ("within_days: 30}", "within_days: 30}\n"
                                   "      - {id: talks, kind: summit, within_days: 60}"),
     "commitments.1.undertakes.1.id", "duplicate undertaking id"),
    ("infinite delay", ("delay_days: 1", "delay_days: .inf"),
     "commitments.0.verification.delay_days", "finite number of days from 0 to 3650"),
    ("huge delay", ("delay_days: 1", "delay_days: 1e12"),
     "commitments.0.verification.delay_days", "finite number of days from 0 to 3650"),
    ("NaN detection", ("detection: 0.9", "detection: .nan"),
     "commitments.0.verification.detection", "finite number"),
    ("empty where list", ("where: {class: [ICBM, IRBM]}", "where: {class: []}"),
     "commitments.0.refrains_from.0.where.class", "empty list"),
    ("empty target list", ("where: {issuer: OFAC}}", "where: {issuer: OFAC}, target: []}"),
     "commitments.1.refrains_from.0.target", "empty list"),
    ("empty where list of an undertaking", ("within_days: 30}",
                                            "within_days: 30, where: {parties: []}}"),
     "commitments.1.undertakes.0.where.parties", "empty list"),
    ("empty reciprocity map", ("reciprocity: mutual", "reciprocity: {}"), "reciprocity",
     "empty reciprocity map"),
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


def test_deadlines_after_the_end_and_duplicates_across_commitments() -> None:
    text = GOOD.replace("start: 2018-02-26", "start: 2018-02-26\nend: 2018-03-10").replace(
        "      - {kind: missile_test, where: {class: [ICBM, IRBM]}}",
        "      - {kind: missile_test, where: {class: [ICBM, IRBM]}}\n"
        "    undertakes:\n"
        "      - {id: talks, kind: talks, by: 2018-03-11}")
    with pytest.raises(SpecError) as info:
        spec.parse(text, "window.yaml")
    found = [(p.line, p.field, p.value) for p in info.value.problems]
    assert found == [(12, "commitments.0.undertakes.0.by", "2018-03-11"),
                     (19, "commitments.1.undertakes.0.id", "talks")]
    assert "deadline is after end 2018-03-10" in info.value.problems[0].message
    # Deadlines on the first and the last day are fine; a relative one may run past the end
    # (30 days here): missed after the window, it is no breach (see test_monitor).
    ok = text.replace("by: 2018-03-11", "by: 2018-03-10").replace(
        "id: talks, kind: talks, within_days", "id: meet, kind: talks, within_days")
    assert spec.parse(ok).commitments[0].undertakes[0].by == dt.date(2018, 3, 10)
    assert spec.parse(GOOD.replace("within_days: 30}", "by: 2018-02-26}"))


def test_deadline_problems_reported_with_field_problems() -> None:
    """The raw cross-field pass (used when fields are also wrong) knows the new rules too."""
    text = GOOD.replace("detection: 0.9", "detection: -2").replace(
        "within_days: 30}", "by: 2018-01-01}")
    with pytest.raises(SpecError) as info:
        spec.parse(text, "both.yaml")
    assert [(p.line, p.field) for p in info.value.problems] == [
        (10, "commitments.0.verification.detection"), (16, "commitments.1.undertakes.0.by")]


def test_bad_values_are_shown() -> None:
    with pytest.raises(SpecError) as info:
        spec.parse(GOOD.replace("{class: [ICBM, IRBM]}", "{class: []}"), "empty.yaml")
    assert info.value.problems[0].value == []
    assert str(info.value.problems[0]).endswith("(got [])")


def test_dates_accept_yaml_dates_and_quoted_strings_only() -> None:
    quoted = spec.parse(GOOD.replace("start: 2018-02-26", "start: '2018-02-26'"))
    assert quoted == spec.parse(GOOD)
    assert yamlio.as_date(dt.date(2018, 2, 26)) == dt.date(2018, 2, 26)
    for bad in (0, 20180226, 1.5, "2018-2-26", "26/02/2018", dt.datetime(2018, 2, 26), None):
        with pytest.raises(ValueError, match="expected a date YYYY-MM-DD"):
            yamlio.as_date(bad)


def test_invalid_scenario_date_is_located() -> None:
    """A dialogue scenario's ``as_of`` goes through the same YAML loader."""
    text = catalog.path_of("korea-2018").read_text(encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("as_of:"))
    bad = "\n".join("as_of: 2018-02-30" if i == line else ln
                    for i, ln in enumerate(text.splitlines(), 1))
    with pytest.raises(ScenarioError) as info:
        scenario.parse(bad, "sc.yaml")
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("sc.yaml", line, "as_of")
    assert problem.value == "2018-02-30"
