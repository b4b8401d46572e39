"""What an actor prefers: the utility every analysis shares, and the limits it will not cross.

Utility is linear loss, salience-weighted, with distances measured as a share of each issue's
scale (so issues on different scales compare):

    u_i(y) = - sum_d s_id |y_d - x_id| / W_d.

An actor's gain from an outcome y is measured against the status quo q,

    g_i(y) = u_i(y) - u_i(q) = sum_d s_id (|q_d - x_id| - |y_d - x_id|) / W_d,

and its cost on issue d is the term's negative. Its limits are what it will not sign whatever it
gets elsewhere (its red lines): outside its declared ``range``, or further from its position than
its declared ``reservation`` point (the least favourable point it would still sign). On one issue
alone it accepts the points it prefers to the status quo, within its limits:
[x - |q - x|, x + |q - x|] intersected with the limits and the scale.

The Nash solution can instead measure gains from each actor's reservation point
(``Benchmark = "reservation"``): its disagreement outcome is then the reservation point where
declared, the status quo elsewhere, which models a walk-away worse than today's status quo.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente.dialogue.inputs import Inputs

Benchmark = Literal["status_quo", "reservation"]


def benchmark(inputs: Inputs, mode: Benchmark = "status_quo") -> np.ndarray:
    """The disagreement outcome per actor and issue, (N, D): the status quo, or
    (``mode="reservation"``) the reservation point where declared."""
    sq = np.broadcast_to(inputs.status_quo, inputs.position.shape)
    if mode == "status_quo":
        return np.array(sq)
    return np.where(np.isnan(inputs.reservation), sq, inputs.reservation)


def reach(inputs: Inputs, mode: Benchmark = "status_quo") -> np.ndarray:
    """|b_id - x_id|, (N, D): the distance from its position at which an actor's gain is zero."""
    return np.abs(benchmark(inputs, mode) - inputs.position)


def costs(inputs: Inputs, outcome: np.ndarray, mode: Benchmark = "status_quo") -> np.ndarray:
    """Per actor and issue, the salience-weighted loss of ``outcome`` (D,) or (B, D) relative to
    the benchmark, (N, D) or (B, N, D); negative numbers are gains."""
    outcome = np.asarray(outcome, dtype=float)
    distance = np.abs(outcome[..., None, :] - inputs.position)
    return inputs.salience * (distance - reach(inputs, mode)) / inputs.width


def gains(inputs: Inputs, outcome: np.ndarray, mode: Benchmark = "status_quo") -> np.ndarray:
    """g_i(outcome), (N,) or (B, N)."""
    return -costs(inputs, outcome, mode).sum(axis=-1)


def limits(inputs: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, high, declared), each (N, D): the interval an actor will sign on each issue (its
    range, within reservation distance of its position, within the scale), and whether it
    declared any limit there."""
    low = np.maximum(inputs.range_low, inputs.scale[:, 0])
    high = np.minimum(inputs.range_high, inputs.scale[:, 1])
    has_reservation = ~np.isnan(inputs.reservation)
    r = np.abs(np.where(has_reservation, inputs.reservation, inputs.position) - inputs.position)
    low = np.where(has_reservation, np.maximum(low, inputs.position - r), low)
    high = np.where(has_reservation, np.minimum(high, inputs.position + r), high)
    return low, high, inputs.has_range | has_reservation


def red_lines_crossed(inputs: Inputs, outcome: np.ndarray) -> np.ndarray:
    """(N, D) booleans: the outcome lies outside a limit the actor declared."""
    outcome = np.asarray(outcome, dtype=float)
    low, high, declared = limits(inputs)
    return declared & ((outcome < low - 1e-9) | (outcome > high + 1e-9))


def acceptable_intervals(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """(low, high), each (N, D): on each issue alone, the outcomes each actor prefers (weakly)
    to the status quo and will sign."""
    r = reach(inputs)
    lim_low, lim_high, _ = limits(inputs)
    return (np.maximum(inputs.position - r, lim_low), np.minimum(inputs.position + r, lim_high))


def players(inputs: Inputs) -> np.ndarray:
    """Indices of the actors whose consent an agreement needs (all actors if none has a veto)."""
    veto = np.flatnonzero(inputs.veto)
    return veto if veto.size else np.arange(inputs.n_actors)
