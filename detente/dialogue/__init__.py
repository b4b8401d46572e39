"""Dialogue: multi-party bargaining over a scenario.

How likely each party is to accept a proposal and the proposal to be made, with only its
signatories holding a veto (``probability``, ``acceptance``); the scenario's numbers fitted to
the choices the parties actually made (``decisions``, ``fit``) and tested forward in time
(``backtest``); where may agreement exist (``zone``), what would the parties settle on
(``solvers``: compromise, weighted median, Nash, Bueno de Mesquita/Scholz expected utility,
KTAB's spatial model of politics) and how far those forecasts fell from what happened
(``outcomes``); which package deals are viable (``package``), how much the answer depends on the
model (``uncertainty``) and on each input (``sensitivity``), and what sequence of small
reciprocal steps a mediator could offer (``roadmap``). See docs/dialogue.md.

The names below are imported on first use, so ``import detente.dialogue`` stays cheap (the
roadmap, sensitivity, fit and backtest functions share their module's name: import them from
``detente.dialogue.roadmap``, ``.sensitivity``, ``.fit`` and ``.backtest``).
"""

from __future__ import annotations

from detente.exports import lazy

__getattr__, __all__ = lazy("detente.dialogue", {
    "load": "detente.dialogue.catalog",
    "analyse": "detente.dialogue.analysis",
    "accept": "detente.dialogue.acceptance",
    "load_proposal": "detente.dialogue.acceptance",
    "zones": "detente.dialogue.zone",
    "packages": "detente.dialogue.package",
    "solve_all": "detente.dialogue.solvers",
    "Scenario": "detente.dialogue.scenario",
    "outlook": "detente.dialogue.probability",
    "load_decisions": "detente.dialogue.decisions:load",
    "scorecard": "detente.dialogue.outcomes",
    "Inputs": "detente.dialogue.inputs",
})
