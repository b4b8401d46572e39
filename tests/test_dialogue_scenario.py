"""Dialogue scenarios: the YAML model, its located errors, the bundled scenario."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from detente import yamlio
from detente.dialogue import catalog, scenario
from detente.errors import NotFoundError, ScenarioError
from tests.strategies import dialogue_scenarios

GOOD = """\
id: tiny
issues:
  - id: freeze
    status_quo: 10
    anchors: {0: none, 30: test freeze}
  - id: relief
    scale: [0, 50]
    status_quo: 0
actors:
  - id: USA
    capability: 100
    positions:
      freeze: {position: 100, salience: 0.9}
      relief: {position: 0, salience: 0.5, range: [0, 20]}
  - id: PRK
    capability: 40
    positions:
      freeze: {position: 0, salience: 1.0, reservation: 30}
      relief: {position: 50, salience: 0.8}
"""


def _problems(text: str) -> list:
    with pytest.raises(ScenarioError) as info:
        scenario.parse(text, "s.yaml")
    return info.value.problems


def test_good_scenario_parses_with_defaults():
    sc = scenario.parse(GOOD, "s.yaml")
    assert sc.issue_ids == ["freeze", "relief"]
    assert sc.issue("relief").scale == (0.0, 50.0)
    assert sc.issue("freeze").scale == (0.0, 100.0)
    assert sc.actor("USA").has_veto and sc.actor("PRK").has_veto
    assert sc.issue("freeze").anchor_near(26) == "test freeze"
    inputs = sc.inputs
    assert inputs.position.tolist() == [[100, 0], [0, 50]]
    assert inputs.has_range.tolist() == [[False, True], [False, False]]
    assert inputs.reservation[1, 0] == 30


@pytest.mark.parametrize(("old", "new", "field", "line", "needle"), [
    ("freeze: {position: 100, salience: 0.9}", "freeze: {position: 120, salience: 0.9}",
     "actors.0.positions.freeze.position", 13, "outside the issue's scale"),
    ("capability: 100", "capability: -1", "actors.0.capability", 11, "greater than or equal"),
    ("freeze: {position: 0, salience: 1.0, reservation: 30}",
     "freeze: {position: 0, salience: -0.5, reservation: 30}",
     "actors.1.positions.freeze.salience", 18, "greater than or equal"),
    ("      relief: {position: 50, salience: 0.8}\n", "",
     "actors.1.positions", 17, "no stance on issue 'relief'"),
    ("  - id: PRK", "  - id: USA", "actors.1.id", 15, "duplicate actor"),
    ("relief: {position: 0, salience: 0.5, range: [0, 20]}",
     "relief: {position: 30, salience: 0.5, range: [0, 20]}",
     "actors.0.positions.relief.range", 14, "must contain the actor's position"),
    ("status_quo: 10", "status_quo: 101", "issues.0.status_quo", 4, "outside the issue's scale"),
    ("freeze: {position: 0, salience: 1.0, reservation: 30}",
     "freeze: {position: 0, salience: 1.0, reservation: 30}\n      extra: {position: 1, "
     "salience: 0.1}", "actors.1.positions.extra", 19, "unknown issue"),
])
def test_bad_input_is_located(old, new, field, line, needle):
    assert old in GOOD
    problems = _problems(GOOD.replace(old, new))
    match = [p for p in problems if p.field == field]
    assert match, problems
    assert match[0].line == line and needle in match[0].message
    assert match[0].file == "s.yaml"


def test_every_problem_is_reported_at_once():
    text = GOOD.replace("position: 100,", "position: 150,").replace("capability: 40",
                                                                    "capability: -4")
    fields = {p.field for p in _problems(text)}
    assert "actors.1.capability" in fields  # pydantic errors first; cross checks after they pass
    text = GOOD.replace("position: 100,", "position: 150,").replace("- id: PRK", "- id: USA")
    fields = {p.field for p in _problems(text)}
    assert {"actors.0.positions.freeze.position", "actors.1.id"} <= fields


def test_yaml_syntax_error_names_the_line():
    problems = _problems("id: x\nissues: [\n")
    assert problems[0].line is not None and "YAML" in problems[0].message


def test_unknown_key_is_rejected():
    problems = _problems(GOOD.replace("capability: 40", "capability: 40\n    capabilty: 1"))
    assert any(p.field == "actors.1.capabilty" for p in problems)


@settings(max_examples=40, deadline=None)
@given(dialogue_scenarios())
def test_round_trip_through_yaml(data):
    sc = scenario.from_data(data)
    again = scenario.parse(sc.to_yaml(), "again.yaml")
    assert again == sc
    assert again.inputs.position.tolist() == sc.inputs.position.tolist()


def test_bundled_scenario_has_a_rationale_for_every_number():
    sc = catalog.load("korea-2018")
    assert sc.disclaimer and "estimate" in sc.disclaimer
    assert sc.how_to_change and "detente dialogue" in sc.how_to_change
    assert {a.id for a in sc.actors} >= {"USA", "PRK", "KOR", "CHN", "JPN", "RUS"}
    assert any(a.role == "mediator" and not a.has_veto for a in sc.actors)
    assert len(sc.issues) == 8 and {"talks", "sanctions"} <= set(sc.issue_ids)
    for issue in sc.issues:
        assert issue.status_quo_rationale and issue.anchors, issue.id
    # the sanctions scale can say "no new sanctions" and has room below the status quo
    sanctions = sc.issue("sanctions")
    assert sanctions.anchor_near(40).startswith("no new sanctions")
    assert sanctions.scale[0] < sanctions.status_quo < 40
    assert sc.acceptance.rationale and "fitted" in sc.description
    for actor in sc.actors:
        assert actor.capability_rationale, actor.id
        assert actor.uncertainty is not None and actor.uncertainty.rationale, actor.id  # prior
        for issue_id, stance in actor.positions.items():
            assert len(stance.rationale) > 40, (actor.id, issue_id)
            assert stance.sources, (actor.id, issue_id)
            if stance.range is not None:
                assert re.search(r"[Rr]ed line", stance.rationale), (actor.id, issue_id)
            if stance.reservation is not None:
                assert "Reservation" in stance.rationale, (actor.id, issue_id)


def test_bundled_scenario_cites_only_dates_in_the_curated_tables():
    # a "diplomacy.csv DATE" citation must point at a row of that table
    from tests.conftest import shared_data

    table = (shared_data() / "curated" / "diplomacy.csv").read_text()
    dates = {line.split(",")[0] for line in table.splitlines()[1:]}
    doc = yamlio.read(catalog.path_of("korea-2018"))
    cited = set()
    for actor in yamlio.to_plain(doc.data)["actors"]:
        for stance in actor["positions"].values():
            for source in stance.get("sources", []):
                if source.startswith("diplomacy.csv"):
                    cited |= set(re.findall(r"\d{4}-\d{2}-\d{2}", source))
    assert cited and cited <= dates, cited - dates


def test_catalog_errors():
    with pytest.raises(NotFoundError, match="korea-2018"):
        catalog.load("no-such-scenario")
    with pytest.raises(ScenarioError, match="file not found"):
        catalog.load("missing/file.yaml")


@pytest.mark.parametrize("value", ["0", "20180226", "2018-02-30"])
def test_as_of_must_be_a_real_date(value):
    # YAML would read 0 as a 1970 timestamp and 2018-02-30 as an unlocated error.
    problems = _problems(GOOD.replace("id: tiny\n", f"id: tiny\nas_of: {value}\n"))
    assert [(p.line, p.field) for p in problems] == [(2, "as_of")]
    assert "expected a date YYYY-MM-DD" in problems[0].message
    assert scenario.parse(GOOD.replace("id: tiny\n", "id: tiny\nas_of: 2018-04-27\n"),
                          "s.yaml").as_of.isoformat() == "2018-04-27"
