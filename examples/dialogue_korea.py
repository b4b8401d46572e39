"""Dialogue after the PyeongChang Olympics: how likely is a post-Olympic pause, what could a
mediator add to it, and what path of reciprocal steps leads to a bigger package?

Uses only the library (the CLI equivalent of each step is in the comments) and the bundled
korea-2018 scenario, whose numbers are analyst estimates fitted on the parties' choices before
2018 (see its disclaimer and its fit block).
"""

from __future__ import annotations

import numpy as np

from detente.dialogue import catalog
from detente.dialogue.acceptance import load_proposal
from detente.dialogue.analysis import analyse
from detente.dialogue.probability import outlook as probability_outlook
from detente.dialogue.probability import veto_mask
from detente.dialogue.roadmap import roadmap
from detente.dialogue.sensitivity import sensitivity

scenario = catalog.load("korea-2018")
inputs = scenario.inputs
print(f"{scenario.title} (as of {scenario.as_of})")

# detente dialogue korea-2018 --model all
result = analyse(scenario, "all")
print("\nForecasts (0-100):")
for d, issue in enumerate(scenario.issues):
    row = "  ".join(f"{name} {f.position[d]:5.1f}" for name, f in result.forecasts.items())
    print(f"  {issue.id:17s} {row}")
print("\nZones of agreement:")
for zone in result.zones:
    print(f"  {zone.issue:17s} {zone.reason}")

# detente dialogue accept korea-2018 --proposal post-olympic-pause
pause = load_proposal("post-olympic-pause", scenario)
outlook = pause.outlook(scenario, samples=2000, seed=0)
print(f"\n{pause.name} (signed by {', '.join(pause.signatories)}): {outlook.sentence}")
for chance in outlook.chances:
    print(f"  {chance.actor} ({chance.role}): P(accept) {chance.p_accept:.2f}")

# A mediator's amendment: the one-issue change to the pause that makes it most likely.
outcome = pause.outcome(inputs)
veto, roles = veto_mask(scenario, pause.signatories)
best = None
for d, issue in enumerate(scenario.issues):
    for value in np.arange(inputs.scale[d, 0], inputs.scale[d, 1] + 1, 10.0):
        amended = outcome.copy()
        amended[d] = value
        p = probability_outlook(scenario, amended, veto, roles, samples=500, seed=0).p_viable
        if best is None or p > best[0]:
            best = (p, issue.id, value)
p_best, issue_id, value = best
print(f"\nBest one-issue amendment: {issue_id} at {value:g} (P(viable) {p_best:.2f} against "
      f"{outlook.p_viable:.2f})")

# detente dialogue roadmap korea-2018 --to action-for-action
target = load_proposal("action-for-action", scenario)
refs = {i.id: list(i.commitments) for i in scenario.issues} | target.commitments
path = roadmap(target.inputs(scenario), target.outcome(inputs), refs, name=target.name)
print(f"\nRoadmap to {target.name}: {path.reason}")
for step in path.steps:
    moves = ", ".join(f"{m.issue} {m.start:g}->{m.end:g}" for m in step.moves)
    print(f"  step {step.number}: {moves}; verification {step.verification:.2f}"
          + (f" (unverified: {', '.join(step.unverified)})" if step.unverified else ""))

# detente dialogue sensitivity korea-2018 --model compromise --samples 500
sens = sensitivity(inputs, "compromise", samples=500, seed=0)
actor, share = sens.most_influential
print(f"\nThe compromise forecast depends most on {actor}'s inputs "
      f"(mean variance share {share:.0%} over {len(sens.issues)} issues).")
