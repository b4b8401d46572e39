"""Probabilistic acceptance: who holds the veto, P(accept), P(viable), the verdict."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from detente.dialogue import acceptance, catalog, probability, scenario
from detente.errors import ParameterError, ScenarioError
from tests.strategies import seeds

# Two parties who trade a freeze for relief, a broker and a spoiler without a veto.
TRADE = """\
id: trade
acceptance: {noise: 5, tremble: 0.05, uncertainty: {position: 10, salience: 0.1}}
issues:
  - {id: freeze, status_quo: 0}
  - {id: relief, status_quo: 0}
actors:
  - id: A
    capability: 2
    positions:
      freeze: {position: 100, salience: 1.0}
      relief: {position: 0, salience: 0.3}
  - id: B
    capability: 1
    positions:
      freeze: {position: 0, salience: 0.3, range: [0, 60]}
      relief: {position: 100, salience: 1.0}
  - id: BROKER
    capability: 3
    positions:
      freeze: {position: 100, salience: 1.0}
      relief: {position: 100, salience: 1.0}
  - id: SPOILER
    capability: 3
    positions:
      freeze: {position: 0, salience: 1.0}
      relief: {position: 0, salience: 1.0}
"""


@pytest.fixture
def trade():
    return scenario.parse(TRADE, "trade.yaml")


def _outlook(sc, end, signatories=("A", "B"), samples=2000, seed=0, consent=()):
    veto, roles = probability.veto_mask(sc, signatories, consent)
    return probability.outlook(sc, np.array(end, dtype=float), veto, roles, samples=samples,
                               seed=seed)


def test_only_signatories_hold_the_veto(trade):
    result = _outlook(trade, [50, 50])
    roles = {c.actor: c for c in result.chances}
    assert roles["A"].veto and roles["B"].veto
    assert not roles["BROKER"].veto and roles["BROKER"].role == "third party: supports"
    assert roles["SPOILER"].role == "third party: opposes"
    # the spoiler's refusal does not block the deal: P(viable) is the signatories' alone
    assert result.p_viable > 0.8 and result.label == "likely"
    assert result.p_viable <= min(roles["A"].p_accept, roles["B"].p_accept) + 1e-12


def test_a_red_line_leaves_only_the_tremble(trade):
    result = _outlook(trade, [80, 50])  # B signs nothing above 60 on the freeze
    b = next(c for c in result.chances if c.actor == "B")
    assert b.red_lines == ("freeze",) and b.p_accept == pytest.approx(0.05)
    assert result.label == "unlikely" and result.driver == "B"
    assert result.driving_issue == "freeze" and "driven by B on freeze" in result.sentence


def test_a_one_sided_deal_is_unlikely_and_names_the_issue(trade):
    result = _outlook(trade, [50, 0])  # B freezes for nothing
    b = next(c for c in result.chances if c.actor == "B")
    assert b.p_accept < 0.2 and b.costliest_issue == "freeze" and b.gain < 0
    assert result.label == "unlikely" and result.p_viable <= probability.UNLIKELY


def test_the_tremble_bounds_every_probability(trade):
    result = _outlook(trade, [50, 50])
    for c in result.chances:
        assert 0.05 - 1e-12 <= c.p_accept <= 0.95 + 1e-12


def test_third_parties_move_the_odds_only_with_a_weight(trade):
    weighted = trade.model_copy(update={"acceptance": trade.acceptance.model_copy(
        update={"third_party_weight": 0.3})})

    def p_a(sc, signatories):  # A gains about 1 point from the deal: a coin flip alone
        result = _outlook(sc, [10, 30], signatories)
        return next(c.p_accept for c in result.chances if c.actor == "A")

    broker_outside = ("A", "B", "SPOILER")
    spoiler_outside = ("A", "B", "BROKER")
    assert p_a(weighted, broker_outside) > p_a(trade, broker_outside) + 0.2  # a broker pushes
    assert p_a(weighted, spoiler_outside) < p_a(trade, spoiler_outside) - 0.2  # a spoiler pulls
    # without a weight the outsiders are reported and move nothing
    assert p_a(trade, broker_outside) == p_a(trade, spoiler_outside)


def test_pressure_weights():
    w = probability.pressure_weights(np.array([2.0, 1.0, 3.0, 0.0]),
                                     np.array([True, True, False, False]))
    assert w[0].tolist() == [0, 0, 1.0, 0]  # min(1, 3/2) = 1; a zero-capability outsider 0
    assert w[1].tolist() == [0, 0, 1.0, 0]
    assert not w[2].any() and not w[3].any()  # outsiders feel no pressure


def test_labels():
    assert probability.label(0.7) == "likely" and probability.label(2 / 3) == "likely"
    assert probability.label(0.5) == "uncertain" and probability.label(1 / 3) == "unlikely"


def test_reproducible_bit_for_bit_and_seed_checked(trade):
    first = _outlook(trade, [50, 50], seed=3).to_json_dict()
    assert first == _outlook(trade, [50, 50], seed=3).to_json_dict()
    assert first != _outlook(trade, [50, 50], seed=4).to_json_dict()
    for bad in (-1, 1.5, True):
        with pytest.raises(ParameterError, match="seed"):
            _outlook(trade, [50, 50], seed=bad)
    with pytest.raises(ParameterError, match="samples"):
        _outlook(trade, [50, 50], samples=0)


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_monte_carlo_error_is_small_for_any_seed(seed):
    # 2,000 draws: the standard error of P(viable) is at most 0.5 / sqrt(2000) = 0.011, so
    # any seed lands within 0.06 (over five standard errors) of a 40,000-draw reference
    sc = catalog.load("korea-2018")
    pause = acceptance.load_proposal("post-olympic-pause", sc)
    reference = pause.outlook(sc, samples=40_000, seed=12345)
    result = pause.outlook(sc, samples=2000, seed=int(seed % 2**32))
    assert abs(result.p_viable - reference.p_viable) < 0.06
    for c, r in zip(result.chances, reference.chances, strict=True):
        assert abs(c.p_accept - r.p_accept) < 0.06


def test_the_post_olympic_pause_is_a_two_party_deal():
    sc = catalog.load("korea-2018")
    pause = acceptance.load_proposal("post-olympic-pause", sc)
    assert pause.signatories == ["PRK", "USA"]
    result = pause.outlook(sc)
    assert result.signatories == ["USA", "PRK"]
    assert result.label in ("likely", "unlikely", "uncertain")
    assert f"P(viable) {result.p_viable:.2f}" in result.sentence
    # the roadmap and the deterministic verdict use the same veto holders
    inputs = pause.inputs(sc)
    assert [a for a, v in zip(inputs.actors, inputs.veto, strict=True) if v] == ["USA", "PRK"]


def test_proposal_signatories_must_be_actors(tmp_path):
    sc = catalog.load("korea-2018")
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nsignatories: [PRK, XYZ]\nconsent: [ABC]\npositions: {tests: 60}\n")
    with pytest.raises(ScenarioError) as info:
        acceptance.load_proposal(path, sc)
    found = {(p.field, p.line, p.value) for p in info.value.problems}
    assert found == {("signatories[1]", 2, "XYZ"), ("consent[0]", 3, "ABC")}
