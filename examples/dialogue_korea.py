"""Dialogue after the PyeongChang Olympics: would the parties take a post-Olympic pause, what could
a mediator add to it, and what path of reciprocal steps leads to a bigger package?

Uses only the library (the CLI equivalent of each step is in the comments) and the bundled
korea-2018 scenario, whose numbers are analyst estimates (see its disclaimer).
"""

from __future__ import annotations

import numpy as np

from detente.dialogue import catalog
from detente.dialogue.acceptance import accept, load_proposal, verdict
from detente.dialogue.analysis import analyse
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
outcome = pause.outcome(inputs)
viable, sentence = verdict(accept(inputs, outcome))
print(f"\n{pause.name}: {sentence}")
for a in accept(inputs, outcome):
    if a.veto:
        print(f"  {a.actor}: {a.reason}")

# A mediator's amendment: add what North Korea lacks, at the least cost to the others.
best = None
for d, issue in enumerate(scenario.issues):
    for value in np.arange(inputs.scale[d, 0], inputs.scale[d, 1] + 1, 5.0):
        amended = outcome.copy()
        amended[d] = value
        ok, why = verdict(accept(inputs, amended))
        if ok:
            margin = min(a.gain for a in accept(inputs, amended) if a.veto)
            if best is None or margin > best[0]:
                best = (margin, issue.id, value, why)
if best is None:
    print("\nNo single-issue amendment makes the pause viable.")
else:
    margin, issue_id, value, why = best
    print(f"\nAmended pause (+ {issue_id} at {value:g}): {why}")

# detente dialogue roadmap korea-2018 --to action-for-action
target = load_proposal("action-for-action", scenario)
refs = {i.id: list(i.commitments) for i in scenario.issues} | target.commitments
path = roadmap(inputs, target.outcome(inputs), refs, name=target.name)
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
