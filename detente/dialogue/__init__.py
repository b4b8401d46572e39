"""Dialogue: multi-party bargaining over a scenario.

Where may agreement exist (``zone``), where is new discussion needed, what would the parties
settle on (``solvers``: compromise, weighted median, Nash, Bueno de Mesquita/Scholz expected
utility, KTAB's spatial model of politics), would each party accept a proposal (``acceptance``),
which package deals are viable (``package``), how much the answer depends on the model
(``uncertainty``) and on each input (``sensitivity``), and what sequence of small reciprocal
steps a mediator could offer (``roadmap``). See docs/dialogue.md.

The names below are imported on first use, so ``import detente.dialogue`` stays cheap (the
roadmap and sensitivity functions share their module's name: import them from
``detente.dialogue.roadmap`` and ``detente.dialogue.sensitivity``).
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
    "Inputs": "detente.dialogue.inputs",
})
