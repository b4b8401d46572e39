"""Coded decisions, the fit to revealed choices, the backtest and the forecast error."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from typer.testing import CliRunner

from detente import yamlio
from detente.cli import app
from detente.dialogue import backtest, catalog, decisions, fit, outcomes, scenario
from detente.errors import ScenarioError

runner = CliRunner()
CUTOFF = dt.date(2018, 1, 1)

TOY = """\
id: toy
as_of: 2020-01-01
acceptance: {noise: 3, tremble: 0.02, uncertainty: {position: 10, salience: 0.15}}
issues:
  - {id: freeze, status_quo: 0}
  - {id: relief, status_quo: 0}
actors:
  - id: A
    capability: 1
    positions:
      freeze: {position: 100, salience: 0.9, rationale: wants the freeze}
      relief: {position: 0, salience: 0.5, rationale: dislikes relief}
  - id: B
    capability: 1
    positions:
      freeze: {position: 0, salience: 0.8, rationale: dislikes the freeze}
      relief: {position: 100, salience: 0.5, rationale: wants relief}
"""

# B accepts freezes for little relief, again and again: its salience on the freeze is lower
# (or its position higher) than the analyst thought.
DECISIONS = """\
scenario: toy
decisions:
{items}
"""
ITEM = """\
  - id: d{k}
    date: 201{k}-01-01
    title: deal {k}
    signatories: [A, B]
    moves: {{freeze: [0, 40], relief: [0, 20]}}
    choices: {{A: accepted, B: {choice}}}
    sources: [{{title: a source, url: "https://example.org/{k}"}}]
"""


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY)
    return path


def _decisions(tmp_path, choices=("accepted",) * 6) -> Path:
    items = "".join(ITEM.format(k=k, choice=c) for k, c in enumerate(choices))
    path = tmp_path / "decisions.yaml"
    path.write_text(DECISIONS.format(items=items))
    return path


@cache
def _korea():
    sc = catalog.load("korea-2018")
    return sc, decisions.load("korea-1994-2019", sc)


# --- decisions files: every problem located ----------------------------------------------

def test_bad_decisions_are_refused_with_file_line_and_field(toy, tmp_path):
    sc = scenario.read(toy)
    path = _decisions(tmp_path, ("accepted", "maybe"))
    lines = path.read_text().splitlines()

    def line_of(needle, start=0):
        return next(n for n, line in enumerate(lines, 1) if needle in line and n > start)

    with pytest.raises(ScenarioError) as info:  # a choice outside the three
        decisions.load(path, sc)
    (problem,) = info.value.problems
    assert (problem.field, problem.line) == ("decisions.1.choices.B",
                                             line_of("choices:", line_of("- id: d1")))
    assert "'accepted', 'rejected' or 'defected'" in str(problem)
    text = path.read_text().replace("B: maybe", "B: rejected")
    text = text.replace("signatories: [A, B]\n    moves: {freeze: [0, 40], relief: [0, 20]}\n"
                        "    choices: {A: accepted, B: accepted}",
                        "signatories: [A, C]\n    moves: {freeze: [0, 140], tariffs: [0, 1]}\n"
                        "    choices: {A: accepted, B: accepted, D: rejected}", 1)
    path.write_text(text)
    lines = text.splitlines()
    with pytest.raises(ScenarioError) as info:  # every other problem at once
        decisions.load(path, sc)
    found = {(p.field, p.line) for p in info.value.problems}
    first = line_of("- id: d0")
    assert found == {("decisions.0.signatories.1", line_of("signatories", first)),
                     ("decisions.0.moves.freeze", line_of("moves", first)),
                     ("decisions.0.moves.tariffs", line_of("moves", first)),
                     ("decisions.0.choices.D", line_of("choices", first)),
                     ("decisions.0.choices.B", line_of("choices", first))}
    messages = " ".join(str(p) for p in info.value.problems)
    assert "unknown party" in messages and "only a signatory" in messages
    assert "unknown issue" in messages and "outside the issue's scale" in messages


def test_a_choice_needs_a_signatory_and_ids_are_unique(toy, tmp_path):
    sc = scenario.read(toy)
    path = _decisions(tmp_path, ("accepted", "accepted"))
    text = path.read_text().replace("signatories: [A, B]", "signatories: [A]", 1)
    text = text.replace("- id: d1", "- id: d0")
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        decisions.load(path, sc)
    messages = [str(p) for p in info.value.problems]
    assert any("decisions.0.choices.B" in m and "only a signatory" in m for m in messages)
    assert any("decisions.1.id" in m and "duplicate" in m for m in messages)


def test_a_decision_can_name_a_proposal(tmp_path):
    sc, found = _korea()
    double = next(d for d in found.items if d.id == "double-suspension-2017")
    # the bundled proposal's positions and deciders, from where things stood in 2017
    assert double.proposal == "freeze-for-freeze"
    assert double.moves == {"tests": (0, 60), "denuclearisation": (0, 25), "exercises": (0, 60)}
    assert double.signatories == ["PRK", "USA"] and double.consent == ["KOR"]
    path = tmp_path / "d.yaml"
    path.write_text("scenario: korea-2018\ndecisions:\n  - id: x\n    date: 2010-01-01\n"
                    "    title: x\n    proposal: no-such-proposal\n"
                    "    choices: {USA: accepted}\n"
                    "    sources: [{title: s, url: 'https://example.org'}]\n")
    with pytest.raises(ScenarioError) as info:
        decisions.load(path, sc)
    problem = info.value.problems[0]
    assert (problem.field, problem.line, problem.value) == ("decisions.0.proposal", 6,
                                                            "no-such-proposal")
    assert "unknown or invalid proposal" in problem.message
    local = tmp_path / "mine.yaml"
    local.write_text("name: mine\nsignatories: [USA]\npositions: {talks: 60}\n")
    path.write_text(path.read_text().replace("no-such-proposal", "mine.yaml"))
    (mine,) = decisions.load(path, sc).items  # a file beside the decisions file
    assert mine.moves == {"talks": (40, 60)} and mine.signatories == ["USA"]


def test_decisions_for_another_scenario_are_refused(toy, tmp_path):
    path = _decisions(tmp_path)
    text = path.read_text().replace("scenario: toy", "scenario: other")
    path.write_text(text)
    with pytest.raises(ScenarioError, match="coded for scenario 'other'") as info:
        decisions.load(path, scenario.read(toy))
    assert info.value.problems[0].line == 1


def test_the_bundled_decisions_are_cited_and_span_the_period():
    _, found = _korea()
    items = found.items
    assert items[0].date.year == 1994 and items[-1].date.year == 2019
    assert len(found.before(CUTOFF)) >= 15 and len(found.after(CUTOFF)) >= 7
    ids = {d.id for d in items}
    for required in ("agreed-framework-1994", "berlin-1999", "joint-statement-2005",
                     "initial-actions-2007", "second-phase-2007", "verification-protocol-2008",
                     "leap-day-2012", "test-suspension-offer-2015", "double-suspension-2017",
                     "moratorium-2018", "singapore-2018", "august-exercise-suspension-2018",
                     "hanoi-offer-2019", "big-deal-2019"):
        assert required in ids
    for d in items:
        assert d.sources and all(s.url.startswith("http") for s in d.sources)
        assert d.description and d.choices
    assert {c for d in items for c in d.choices.values()} == set(decisions.CHOICES)


# --- the fit -------------------------------------------------------------------------------

def test_the_fit_learns_from_the_choices_within_the_ranges(toy, tmp_path):
    sc = scenario.read(toy)
    found = decisions.load(_decisions(tmp_path), sc)
    result = fit.fit(sc, found)
    assert result.converged, result.message
    record = result.record
    assert record.decisions_used == 6 and record.choices_used == 12
    assert record.log_likelihood_after > record.log_likelihood_before
    b = result.scenario.actor("B").positions
    # B accepted every freeze: the fit raises its position or lowers its salience there
    assert b["freeze"].position > 0 or b["freeze"].salience < 0.8
    for move in record.moves:
        assert abs(move.after - move.before) <= 2 * move.prior_sd + 1e-9
    assert {(m.actor, m.issue) for m in record.moves} <= {(a, i) for a in "AB"
                                                          for i in ("freeze", "relief")}
    # what moved is recorded, and undoing it gives the analyst's inputs back
    restored = fit.unfitted(result.scenario)
    assert restored.inputs.position.tolist() == sc.inputs.position.tolist()
    assert restored.inputs.salience.tolist() == sc.inputs.salience.tolist()
    assert restored.fit is None


def test_the_gradient_is_exact():
    sc, found = _korea()
    data = decisions.coded(sc, [d for _, d in found.before(CUTOFF)])
    weighted = sc.model_copy(update={"acceptance": sc.acceptance.model_copy(
        update={"third_party_weight": 0.2})})
    objective = fit.Likelihood(fit.unfitted(weighted), data, samples=32, seed=3,
                               prior_weight=1.0)
    rng = np.random.default_rng(0)
    n = 2 * sc.inputs.position.size
    theta = np.concatenate([rng.normal(0, 0.5, n), [0.2]])
    _, grad = objective(theta)
    numeric = approx_fprime(theta, lambda t: objective(t)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, atol=1e-4, rtol=1e-4)


def test_a_fit_that_does_not_converge_keeps_the_inputs(toy, tmp_path):
    sc = scenario.read(toy)
    found = decisions.load(_decisions(tmp_path), sc)
    result = fit.fit(sc, found, max_iterations=1)
    assert not result.converged and "did not converge" in result.message
    assert result.scenario is result.unfitted and result.scenario.fit is None
    assert result.record.moves == []


def test_a_fit_refuses_decisions_after_as_of(toy, tmp_path):
    sc = scenario.read(toy).model_copy(update={"as_of": dt.date(2013, 6, 1)})
    path = _decisions(tmp_path)
    with pytest.raises(ScenarioError) as info:
        fit.fit(sc, decisions.load(path, sc))
    lines = path.read_text().splitlines()
    late = [p for p in info.value.problems]
    assert [p.field for p in late] == [f"decisions.{k}.date" for k in (4, 5)]
    assert [p.line for p in late] == [n for n, line in enumerate(lines, 1)
                                      if line.strip().startswith("date: 201")
                                      and int(line.strip()[-10:-6]) > 2013]
    assert "after the scenario's as_of 2013-06-01" in str(info.value)
    assert fit.fit(sc, decisions.load(path, sc), before=dt.date(2013, 1, 1)).converged


def test_the_bundled_scenario_is_the_one_fitted_before_2018():
    sc, found = _korea()
    assert sc.fit is not None and sc.fit.before == CUTOFF
    assert sc.fit.decisions == "korea-1994-2019"
    assert "2018-01-01" in sc.description and "fit" in sc.description
    again = fit.fit(sc, found, before=CUTOFF, samples=sc.fit.samples, seed=sc.fit.seed,
                    prior_weight=sc.fit.prior_weight)
    assert again.converged
    assert again.scenario.inputs.position.tolist() == sc.inputs.position.tolist()
    assert again.scenario.inputs.salience.tolist() == sc.inputs.salience.tolist()
    assert again.record.model_dump() == sc.fit.model_dump()


def test_the_fitted_yaml_keeps_the_file_and_records_the_fit(tmp_path):
    result = fit.fit(*_korea(), before=CUTOFF)
    text = fit.fitted_yaml("korea-2018", result)
    assert text == catalog.path_of("korea-2018").read_text()  # the bundled file, reproduced
    edited = tmp_path / "edited.yaml"
    move = result.scenario.fit.moves[0]
    doc = yamlio.read(catalog.path_of("korea-2018")).data
    actor = next(a for a in doc["actors"] if a["id"] == move.actor)
    actor["positions"][move.issue][move.field] = move.after + (0.01 if move.field ==
                                                                  "salience" else 1)
    edited.write_text(scenario.from_data(yamlio.to_plain(doc)).to_yaml())
    with pytest.raises(ScenarioError, match="edited after its fit") as info:
        fit.unfitted(scenario.read(edited))
    assert info.value.problems[0].field == "fit.moves.0.after"


# --- the backtest ---------------------------------------------------------------------------

def test_backtest_scores_the_model_beside_the_baselines():
    sc, found = _korea()
    result = backtest.backtest(sc, found, CUTOFF, samples=500)
    names = [s.name for s in result.choice_scores]
    assert names == [backtest.MODEL, *backtest.BASELINES]
    n_accepted = sum(f.outcome for f in result.choices)
    everyone = result.choice_scores[2]
    assert everyone.accuracy == pytest.approx(n_accepted / everyone.n)
    assert everyone.brier == pytest.approx(1 - n_accepted / everyone.n)
    assert result.choice_scores[3].accuracy == pytest.approx(1 - n_accepted / everyone.n)
    assert {f.decision for f in result.choices} >= {"moratorium-2018", "singapore-2018",
                                                     "august-exercise-suspension-2018",
                                                     "hanoi-offer-2019", "big-deal-2019"}
    assert all(f.date >= CUTOFF for f in result.choices)
    for s in result.choice_scores:
        assert s.accuracy_ci[0] <= s.accuracy <= s.accuracy_ci[1]
        assert s.brier_ci[0] <= s.brier <= s.brier_ci[1] + 1e-12
    for name, verdict in result.comparisons(result.choice_scores).items():
        other = next(s for s in result.choice_scores if s.name == name)
        model = result.choice_scores[0]
        overlap = not (model.brier_ci[1] < other.brier_ci[0] or other.brier_ci[1] <
                       model.brier_ci[0])
        assert (verdict["brier"] == "no clear difference") == overlap
        if not overlap:
            assert verdict["brier"] == ("model better" if model.brier < other.brier
                                        else "baseline better")
    assert result.misses == [f for f in result.choices
                             if (f.p[backtest.MODEL] >= 0.5) != f.outcome]
    # the model was fitted only on what came before the cut-off
    assert result.fit.record.before == CUTOFF and result.trained_on == len(found.before(CUTOFF))


def test_scores_and_their_intervals():
    p = np.array([0.9, 0.8, 0.2, 0.6, 0.1, 0.7])
    y = np.array([True, True, False, False, False, True])
    s = backtest.score("m", p, y, seed=0)
    assert (s.n, s.hits) == (6, 5) and s.brier == pytest.approx(np.mean((p - y) ** 2))
    assert s.accuracy_ci[0] < 5 / 6 < s.accuracy_ci[1]
    small = backtest.score("m", p[:4], y[:4], seed=0)
    assert small.accuracy_ci is None and small.brier_ci is None  # too few to say
    assert backtest.score("m", p, y, seed=0) == s  # seeded bootstrap


# --- forecast error ---------------------------------------------------------------------------

def test_scorecard_by_hand(toy, tmp_path):
    sc = scenario.read(toy)
    path = tmp_path / "outcomes.yaml"
    path.write_text("scenario: toy\nepisodes:\n  - id: later\n    title: later\n"
                    "    date: 2021-01-01\n    outcome:\n"
                    "      freeze: {value: 30, rationale: reached, sources: [s]}\n"
                    "      relief: {value: 10, rationale: reached, sources: [s]}\n")
    card = outcomes.scorecard(sc, outcomes.load(path, sc), "compromise")
    # status quo (0, 0): errors 30 and 10; compromise: weighted means of the positions
    assert card.mean_error("status quo") == pytest.approx(20.0)
    forecast = card.forecasts["compromise"]
    expected = (abs(forecast[0] - 30) + abs(forecast[1] - 10)) / 2
    assert card.mean_error("compromise") == pytest.approx(expected)
    assert card.beats_status_quo("compromise") == (expected < 20)
    assert card.verdict("compromise").startswith(
        "beats" if expected < 20 else "cannot beat the status quo")


def test_bad_outcomes_are_located(toy, tmp_path):
    sc = scenario.read(toy)
    path = tmp_path / "outcomes.yaml"
    path.write_text("scenario: toy\nepisodes:\n  - id: early\n    title: early\n"
                    "    date: 2019-01-01\n    outcome:\n"
                    "      freeze: {value: 130, rationale: r, sources: [s]}\n"
                    "      tariffs: {value: 1, rationale: r, sources: [s]}\n")
    with pytest.raises(ScenarioError) as info:
        outcomes.load(path, sc)
    found = {(p.field, p.line) for p in info.value.problems}
    assert found == {("episodes.0.date", 5), ("episodes.0.outcome.freeze", 7),
                     ("episodes.0.outcome.tariffs", 8), ("episodes.0.outcome", 6)}


def test_the_bundled_scorecard_labels_every_model():
    sc, _ = _korea()
    card = outcomes.bundled_scorecard(sc)
    assert [e.id for e in card.episodes] == ["eve-of-hanoi", "end-of-2019"]
    assert set(card.models) == {"compromise", "median", "nash", "bdm", "smp"}
    for model in card.models:
        assert card.verdict(model).startswith(
            "beats" if card.beats_status_quo(model) else "cannot beat the status quo")


# --- the command line -----------------------------------------------------------------------

def test_fit_command_writes_the_fitted_scenario(toy, tmp_path):
    out = tmp_path / "fitted.yaml"
    result = runner.invoke(app, ["dialogue", "fit", str(toy), "--decisions",
                                 str(_decisions(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "What moved" in result.output and f"wrote {out}" in result.output
    fitted = scenario.read(out)
    assert fitted.fit is not None and fitted.fit.moves
    assert "wants the freeze" in out.read_text()  # the source's wording is kept


def test_fit_command_refuses_and_fails_cleanly(toy, tmp_path):
    late = runner.invoke(app, ["dialogue", "fit", "korea-2018", "-o", str(tmp_path / "x.yaml")])
    assert late.exit_code == 2 and "field 'decisions.20.date'" in late.output
    assert "dated after the scenario's as_of 2018-02-26" in late.output
    out = tmp_path / "never.yaml"
    stuck = runner.invoke(app, ["dialogue", "fit", str(toy), "--decisions",
                                str(_decisions(tmp_path)), "--max-iterations", "1", "-o", str(out)])
    assert stuck.exit_code == 1 and "did not converge" in stuck.output
    assert not out.exists()
    bad = runner.invoke(app, ["dialogue", "fit", "korea-2018", "--before", "2018-13-01"])
    assert bad.exit_code == 2 and "field 'before'" in bad.output


def test_backtest_and_outcomes_commands(tmp_path):
    result = runner.invoke(app, ["dialogue", "backtest", "--samples", "300", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cutoff"] == "2018-01-01" and data["trained_on"]["decisions"] >= 15
    assert data["choices"]["scores"][0]["name"] == "fitted model"
    table = runner.invoke(app, ["dialogue", "backtest", "korea-2018", "--samples", "300"])
    assert "everyone" in table.output and "miss" in table.output
    scored = runner.invoke(app, ["dialogue", "outcomes", "--json"])
    assert scored.exit_code == 0, scored.output
    models = json.loads(scored.output)["models"]
    assert models[0]["model"] == "status quo" and len(models) == 6
    text = runner.invoke(app, ["dialogue", "outcomes", "korea-2018"]).output
    assert "Mean absolute error against known outcomes" in text
