"""The mediator's roadmap and the verification score of its steps."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.dialogue import acceptance, catalog, preferences, scenario
from detente.dialogue.roadmap import roadmap
from detente.dialogue.verifiability import parse_ref, preset_resolver, score, split_ref, verify
from detente.errors import NotFoundError, ParameterError, ScenarioError

TRADE = """\
id: trade
issues:
  - {id: tests, status_quo: 0}
  - {id: drills, status_quo: 0}
actors:
  - id: A
    capability: 1
    positions:
      tests: {position: 100, salience: 1.0}
      drills: {position: 0, salience: 0.5}
  - id: B
    capability: 1
    positions:
      tests: {position: 0, salience: 0.5}
      drills: {position: 100, salience: 1.0}
"""

COMMITMENTS = {
    "x:a-no-tests": SimpleNamespace(id="a-no-tests", party="A", verification=SimpleNamespace(
        means="seismic", detection=0.99, delay_days=1.0, false_alarm=0.01)),
    "x:b-no-drills": SimpleNamespace(id="b-no-drills", party="B", verification=SimpleNamespace(
        means="schedules", detection=1.0, delay_days=0.0, false_alarm=0.0)),
    "x:b-freeze": SimpleNamespace(id="b-freeze", party="B", verification=SimpleNamespace(
        means="imagery", detection=0.3, delay_days=30.0, false_alarm=0.05)),
}


def local(ref: str):
    """A small local protocol: objects with .party and .verification, no agreement specs."""
    return COMMITMENTS[ref]


@cache
def _korea():
    return catalog.load("korea-2018").inputs


@pytest.fixture
def trade():
    return scenario.parse(TRADE, "trade.yaml")


def test_reciprocal_steps(trade):
    inputs = trade.inputs
    result = roadmap(inputs, np.array([20.0, 20.0]), {"tests": ["x:b-no-drills"],
                                                       "drills": ["x:a-no-tests"]},
                     step=10, resolver=local)
    assert result.feasible and len(result.steps) == 2
    for s in result.steps:
        # a move on one issue alone costs the other party; only the pair is accepted
        assert {m.issue for m in s.moves} == {"tests", "drills"}
        assert all(g > 0 for g in s.gains.values())
        assert s.gains == pytest.approx({"A": 5.0, "B": 5.0})
    assert result.steps[-1].positions.tolist() == [20.0, 20.0]
    first = result.steps[0]
    assert first.verification == pytest.approx(min(score(1, 0, 0), score(0.99, 1, 0.01)))
    assert first.asymmetry == pytest.approx(1 - score(0.99, 1, 0.01))


def test_unverified_moves_score_zero(trade):
    result = roadmap(trade.inputs, np.array([20.0, 20.0]), {"tests": ["x:b-freeze"]}, step=10,
                     resolver=local)
    step = result.steps[0]
    assert step.unverified == ("drills",) and step.verification == 0.0
    assert step.commitments[0].score == pytest.approx(0.3 * 0.95 * 0.5)


def test_rejected_target_names_the_blocker(trade):
    result = roadmap(trade.inputs, np.array([60.0, 0.0]), step=10, resolver=local)
    assert not result.feasible and result.blockers == ("B",)
    assert "target itself is rejected" in result.reason and "tests" in result.reason


def test_coarser_grid_when_fine_steps_fail():
    sc = catalog.load("korea-2018")
    target = acceptance.load_proposal("action-for-action", sc).outcome(sc.inputs)
    target[sc.inputs.issue_index("sanctions")] = 100.0  # all sanctions lifted: a big last step
    result = roadmap(sc.inputs, target, {})
    assert result.feasible and result.step == 50
    assert any("no path with 10-point steps" in note for note in result.notes)
    fine = roadmap(sc.inputs, target, {}, step=10)
    assert not fine.feasible and fine.blockers and fine.reached is not None


def test_step_must_be_sensible(trade):
    with pytest.raises(ParameterError, match="step"):
        roadmap(trade.inputs, np.array([20.0, 20.0]), step=0)


def test_bundled_roadmap_uses_the_agreement_presets():
    sc = catalog.load("korea-2018")
    proposal = acceptance.load_proposal("action-for-action", sc)
    refs = {i.id: list(i.commitments) for i in sc.issues} | proposal.commitments
    result = roadmap(sc.inputs, proposal.outcome(sc.inputs), refs)
    cited = {c.ref for s in result.steps for c in s.commitments}
    assert "post-olympic-pause:prk-no-tests" in cited
    for s in result.steps:
        for c in s.commitments:
            assert c.score == pytest.approx(score(c.detection, c.delay_days, c.false_alarm))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([10.0, 25.0]))
def test_every_step_is_accepted_at_its_time(seed, step):
    rng = np.random.default_rng(seed)
    inputs = _korea()
    who = preferences.players(inputs)
    candidates = np.round(rng.uniform(inputs.scale[:, 0], inputs.scale[:, 1],
                                    (500, inputs.n_issues)), 0)
    low, high, declared = preferences.limits(inputs)
    y = candidates[:, None, :]
    crossed = (declared & ((y < low) | (y > high)))[:, who].any(axis=(1, 2))
    ok = (preferences.gains(inputs, candidates)[:, who] >= 0).all(axis=1) & ~crossed
    if not ok.any():
        return
    target = candidates[np.flatnonzero(ok)[0]]
    assert acceptance.verdict(acceptance.accept(inputs, target))[0]
    result = roadmap(inputs, target, {}, step=step)
    if not result.feasible:
        assert result.reason
        return
    before = inputs.status_quo
    for s in result.steps:
        gain = preferences.gains(inputs, s.positions) - preferences.gains(inputs, before)
        assert np.all(gain[who] >= -1e-9)
        moved = np.abs(s.positions - before)
        assert np.all(moved <= step * inputs.width / 100 + 1e-9)
        assert np.all(np.abs(s.positions - target) <= np.abs(before - target) + 1e-9)
        before = s.positions
    assert np.allclose(before, target)


def test_score_formula():
    assert score(1, 0, 0) == 1.0
    assert score(0.5, 30, 0) == pytest.approx(0.25)
    assert score(1, 0, 0.2) == pytest.approx(0.8)


def test_references_to_agreement_presets():
    verified = verify("post-olympic-pause:prk-no-tests")
    assert verified.party == "PRK" and verified.detection == 0.99
    assert verified.score == pytest.approx(0.99 * 0.99 * 2 ** (-1 / 30))
    assert preset_resolver("freeze-for-freeze:prk-programme-freeze").party == "PRK"
    with pytest.raises(NotFoundError, match="no commitment"):
        verify("post-olympic-pause:nothing")
    with pytest.raises(ScenarioError, match="PRESET_ID:COMMITMENT_ID"):
        split_ref("no-colon")
    assert split_ref("some/dir/spec.yaml:c1") == ("some/dir/spec.yaml", "c1")


def test_levels_limit_what_a_commitment_verifies(trade):
    refs = {"tests": ["x:b-no-drills@10"], "drills": ["x:a-no-tests"]}
    first, second = roadmap(trade.inputs, np.array([20.0, 20.0]), refs, step=10,
                            resolver=local).steps
    assert first.unverified == () and first.verification > 0.9
    assert second.unverified == ("tests",) and second.verification == 0.0
    assert second.weakest_verified == pytest.approx(score(0.99, 1, 0.01))
    assert parse_ref("p:c@30") == ("p:c", 30.0) and parse_ref("p:c") == ("p:c", None)
    with pytest.raises(ScenarioError, match="@LEVEL"):
        parse_ref("p:c@high")
