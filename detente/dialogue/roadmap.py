"""A mediator's roadmap: small reciprocal steps from the status quo to a target package.

"Commitment for commitment, action for action" (Joint Statement point 5). The distance from the
status quo to the target is cut into moves of at most ``step`` points per 100 points of scale
on each issue; a roadmap step bundles one move on one or more issues. A step is offered only if
every party with a veto accepts it at its time: its gain from the step, relative to where the
previous step left things, is not negative (``preferences``: g_i after minus g_i before). A step
that costs one party on one issue must therefore pay it on another: reciprocity. The target
must itself be acceptable (no limit crossed, no party worse off than in the status quo); since
limits are intervals around a party's position, the steps between the status quo and an
acceptable target cross no limit the status quo respects.

The search is depth-first over the grid of move counts, preferring the smallest steps (fewest
issues) and, among those, the most balanced (largest smallest gain); a state is abandoned when
some party's gain over all the moves still to come is negative, since steps with non-negative
gains cannot add up to a loss. When no path exists the roadmap says what blocks it: the party
for which the target itself is worse than the status quo (nothing can fix that but a new
target), or the parties that every possible next step would cost from the furthest point
reached.

Each step carries a verification score from the commitments that implement its moves
(``verifiability``), referenced per issue in the scenario (``issues[].commitments``) or in the
target file (``commitments:``). A reference may end in ``@LEVEL``: the commitment then implements
the moves from the status quo up to that point of the scale only (a test moratorium verifies a
move to a test freeze, not to dismantlement); a move no reference covers is unverified.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from detente.dialogue import acceptance, preferences
from detente.dialogue.inputs import Inputs
from detente.dialogue.verifiability import (
    Resolver,
    Verified,
    parse_ref,
    preset_resolver,
    verify,
)
from detente.errors import ParameterError

_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Move:
    """One issue moved by one increment; ``gives``: the parties it costs, ``gets``: those it
    pays."""

    issue: str
    start: float
    end: float
    gives: tuple[str, ...]
    gets: tuple[str, ...]

    def to_json_dict(self) -> dict:
        return {"issue": self.issue, "from": round(self.start, 4), "to": round(self.end, 4),
                "gives": list(self.gives), "gets": list(self.gets)}


@dataclass(frozen=True, eq=False)
class Step:
    """One roadmap step: its moves, every party's gain (x 100), its commitments and score."""

    number: int
    moves: tuple[Move, ...]
    positions: np.ndarray
    gains: dict[str, float]
    commitments: tuple[Verified, ...]
    unverified: tuple[str, ...]
    verification: float
    asymmetry: float | None
    weakest_verified: float | None = None

    def to_json_dict(self, inputs: Inputs) -> dict:
        return {"step": self.number, "moves": [m.to_json_dict() for m in self.moves],
                "positions": {k: round(float(v), 4) for k, v in
                              zip(inputs.issues, self.positions, strict=True)},
                "gains": {k: round(v, 4) for k, v in self.gains.items()},
                "commitments": [c.to_json_dict() for c in self.commitments],
                "unverified_issues": list(self.unverified),
                "verification": round(self.verification, 4),
                "weakest_verified": None if self.weakest_verified is None
                else round(self.weakest_verified, 4),
                "asymmetry": None if self.asymmetry is None else round(self.asymmetry, 4)}


@dataclass(frozen=True, eq=False)
class Roadmap:
    """The steps to ``target``, or why there are none (``feasible`` False, ``blockers``)."""

    name: str
    target: np.ndarray
    feasible: bool
    steps: tuple[Step, ...]
    reason: str
    blockers: tuple[str, ...] = ()
    reached: np.ndarray | None = None
    explored: int = 0
    notes: tuple[str, ...] = field(default=())
    step: float | None = None

    def to_json_dict(self, inputs: Inputs) -> dict:
        as_map = lambda v: None if v is None else {  # noqa: E731
            k: round(float(x), 4) for k, x in zip(inputs.issues, v, strict=True)}
        return {"name": self.name, "target": as_map(self.target), "feasible": self.feasible,
                "reason": self.reason, "blockers": list(self.blockers),
                "reached": as_map(self.reached), "explored_states": self.explored,
                "step_size": self.step,
                "steps": [s.to_json_dict(inputs) for s in self.steps], "notes": list(self.notes)}


def _grid(inputs: Inputs, target: np.ndarray, step: float):
    """Active issues, their move counts, the position of each level, and per-level gains."""
    width = inputs.width
    who = preferences.players(inputs)
    active, counts, levels, increments = [], [], [], []
    r = preferences.reach(inputs)[who]  # distance of the status quo from each position
    for d in range(inputs.n_issues):
        delta = float(target[d] - inputs.status_quo[d])
        if abs(delta) <= _TOLERANCE:
            continue
        m = max(1, math.ceil(abs(delta) / (step * width[d] / 100.0) - 1e-9))
        points = inputs.status_quo[d] + delta * np.arange(m + 1) / m
        distance = np.abs(points[:, None] - inputs.position[who, d])  # (m+1, P)
        value = inputs.salience[who, d] * (r[:, d] - distance) / width[d]
        active.append(d)
        counts.append(m)
        levels.append(points)
        increments.append(np.diff(value, axis=0))  # (m, P): gain of each move
    return who, active, counts, levels, increments


STEPS = (10.0, 20.0, 25.0, 50.0, 100.0)


def roadmap(inputs: Inputs, target: np.ndarray, commitments: dict[str, list[str]] | None = None,
            step: float | None = None, name: str = "target",
            resolver: Resolver = preset_resolver, budget: int = 200_000) -> Roadmap:
    """The roadmap from the status quo to ``target`` (D,) (see the module docstring).

    ``step``: the largest move per issue, in points per 100 of scale. By default the finest of
    10, 20, 25, 50 and 100 that admits a path is used (100: everything in one step), and the
    notes say which finer grids failed and why."""
    if step is not None:
        return _roadmap(inputs, target, commitments, step, name, resolver, budget)
    failed: list[tuple[float, str]] = []
    for size in STEPS:
        result = _roadmap(inputs, target, commitments, size, name, resolver, budget)
        if result.feasible or not result.explored:
            notes = tuple(f"no path with {s:g}-point steps: {why}" for s, why in failed)
            return dataclasses.replace(result, notes=notes + result.notes)
        failed.append((size, result.reason))
    return result


def _roadmap(inputs: Inputs, target: np.ndarray, commitments: dict[str, list[str]] | None,
             step: float, name: str, resolver: Resolver, budget: int) -> Roadmap:
    if not (np.isfinite(step) and 0 < step <= 100):
        raise ParameterError.single("step must be in (0, 100] points per 100 of scale",
                                    field="step", value=step)
    target = np.asarray(target, dtype=float)
    commitments = commitments or {}
    verdicts = acceptance.accept(inputs, target)
    refusing = [a for a in verdicts if (a.veto or not inputs.veto.any()) and not a.accepts]
    if refusing:
        parts = "; ".join(f"{a.actor} {a.reason.removeprefix('rejects: ')}" for a in refusing)
        reason = (f"no path: the target itself is rejected ({parts}); every sequence of accepted "
                  "steps would end there, so the target must change")
        return Roadmap(name, target, False, (), reason, tuple(a.actor for a in refusing))
    who, active, counts, levels, increments = _grid(inputs, target, step)
    if not active:
        return Roadmap(name, target, True, (), "the target is the status quo: nothing to do")
    n_active = len(active)
    remaining = [np.vstack([np.cumsum(inc[::-1], axis=0)[::-1], np.zeros(inc.shape[1])])
                 for inc in increments]  # remaining[a][k]: gains still to come from level k
    subsets = np.array([s for size in range(1, n_active + 1)
                        for s in itertools.combinations(range(n_active), size)], dtype=object)
    masks = np.zeros((len(subsets), n_active), dtype=bool)
    for row, subset in enumerate(subsets):
        masks[row, list(subset)] = True
    sizes = masks.sum(axis=1)
    goal = tuple(counts)
    start = (0,) * n_active
    parent: dict[tuple, tuple | None] = {start: None}
    stack = [start]
    explored, deepest = 0, start
    while stack:
        state = stack.pop()
        explored += 1
        if sum(state) > sum(deepest):
            deepest = state
        if state == goal:
            break
        if explored > budget:
            break
        open_ = np.array([k < m for k, m in zip(state, counts, strict=True)])
        gain_rows = np.array([increments[a][min(state[a], counts[a] - 1)]
                              for a in range(n_active)])  # (A, P)
        allowed = ~(masks & ~open_).any(axis=1)
        gains = masks[allowed].astype(float) @ gain_rows  # (S, P)
        ok = (gains >= -_TOLERANCE).all(axis=1)
        rows = np.flatnonzero(allowed)[ok]
        order = np.lexsort((-gains[ok].min(axis=1), sizes[rows]))
        children = []
        for row in rows[order]:
            child = tuple(k + int(b) for k, b in zip(state, masks[row], strict=True))
            if child in parent:
                continue
            future = sum(remaining[a][child[a]] for a in range(n_active))
            if (future < -_TOLERANCE).any():
                continue
            parent[child] = state
            children.append(child)
        stack.extend(reversed(children))
    if goal not in parent:
        return _blocked(inputs, name, target, who, active, counts, levels, increments, deepest,
                        explored, explored > budget)
    path = [goal]
    while (previous := parent[path[-1]]) is not None:
        path.append(previous)
    path.reverse()
    steps = _steps(inputs, path, who, active, levels, increments, commitments, resolver)
    return Roadmap(name, target, True, tuple(steps),
                   f"{len(steps)} step(s) of at most {step:g} points per issue, each accepted by "
                   "every party", explored=explored, step=step)


def _position(inputs: Inputs, state, active, levels) -> np.ndarray:
    y = inputs.status_quo.copy()
    for a, d in enumerate(active):
        y[d] = levels[a][state[a]]
    return y


def _steps(inputs, path, who, active, levels, increments, commitments, resolver) -> list[Step]:
    cache: dict[str, Verified] = {}
    steps = []
    for number, (before, after) in enumerate(itertools.pairwise(path), start=1):
        moves, gain = [], np.zeros(len(who))
        refs, unverified = [], []
        for a, d in enumerate(active):
            if after[a] == before[a]:
                continue
            inc = increments[a][before[a]]
            gain += inc
            issue = inputs.issues[d]
            moves.append(Move(issue, float(levels[a][before[a]]), float(levels[a][after[a]]),
                              tuple(inputs.actors[who[k]] for k in np.flatnonzero(inc < -1e-12)),
                              tuple(inputs.actors[who[k]] for k in np.flatnonzero(inc > 1e-12))))
            covering = [ref for ref, level in map(parse_ref, commitments.get(issue, []))
                        if level is None or _between(levels[a][after[a]],
                                                     inputs.status_quo[d], level)]
            if covering:
                refs += [r for r in covering if r not in refs]
            else:
                unverified.append(issue)
        verified = []
        for ref in refs:
            if ref not in cache:
                cache[ref] = verify(ref, resolver)
            verified.append(cache[ref])
        scores = [v.score for v in verified]
        score = 0.0 if unverified or not scores else min(scores)
        best_by_party: dict[str, float] = {}
        for v in verified:
            best_by_party[v.party] = max(best_by_party.get(v.party, 0.0), v.score)
        asym = (max(best_by_party.values()) - min(best_by_party.values())
                if len(best_by_party) >= 2 else None)
        steps.append(Step(number, tuple(moves), _position(inputs, after, active, levels),
                          {inputs.actors[k]: float(g * 100) for k, g in zip(who, gain,
                                                                            strict=True)},
                          tuple(verified), tuple(unverified), score, asym,
                          min(scores) if scores else None))
    return steps


def _between(value: float, start: float, end: float) -> bool:
    return min(start, end) - 1e-9 <= value <= max(start, end) + 1e-9


def _blocked(inputs, name, target, who, active, counts, levels, increments, deepest, explored,
             out_of_budget) -> Roadmap:
    """Why the search failed, seen from the furthest state reached."""
    blame: dict[str, list[str]] = {}
    for a, d in enumerate(active):
        if deepest[a] >= counts[a]:
            continue
        inc = increments[a][deepest[a]]
        for k in np.flatnonzero(inc < -_TOLERANCE):
            blame.setdefault(inputs.actors[who[k]], []).append(inputs.issues[d])
    blockers = tuple(sorted(blame, key=lambda actor: -len(blame[actor])))
    reached = _position(inputs, deepest, active, levels)
    detail = "; ".join(f"{actor} loses on {', '.join(issues)}" for actor, issues in
                       sorted(blame.items(), key=lambda kv: -len(kv[1])))
    if out_of_budget:
        reason = (f"search stopped after {explored} states without reaching the target "
                  "(use a larger step to search a coarser grid)")
    else:
        reason = ("no path of accepted steps reaches the target: from the furthest point "
                  f"reached, every next move costs a party that nothing else can pay ({detail})")
    return Roadmap(name, target, False, (), reason, blockers, reached, explored)
