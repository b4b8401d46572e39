"""Bueno de Mesquita's expected-utility model, as specified by Scholz, Calbert and Smith (2011).

Each issue is bargained separately. Per round (Scholz et al. 2011, section 3; symbols per actor
i with capability c_i, salience s_i, position x_i; R = range of the initial positions):

1. Votes and probabilities. Actor k's vote for x_i over x_j is
   v_k(i, j) = c_k s_k (|x_k - x_j|^r_k - |x_k - x_i|^r_k) / R^r_k, and
   P(i, j) = sum_k max(0, v_k(i, j)) / sum_{k,a,b} |v_k(a, b)|   (0 when x_i = x_j).
2. Utilities, from the point of view of an actor with risk exponent r:
   U_s = 2 - 4 (0.5 - 0.5 |x_i - x_j|/R)^r, U_f = 2 - 4 (0.5 + 0.5 |x_i - x_j|/R)^r,
   U_sq = 2 - 4 (0.5)^r, and the expected utility of i challenging j is
   EU(i, j) = s_j (P(i,j) U_s + (1 - P(i,j)) U_f) + (1 - s_j) U_s - Q U_sq   (Q = 1).
3. Risk. With every r = 1, actor i's danger is D_i = sum_{k != i} EU(k, i) (from i's view);
   its risk acceptance a_i = (2 D_i - max D - min D) / (max D - min D) and its risk exponent
   r_i = (1 - a_i/3) / (1 + a_i/3).
4. Offers, seen by i with its new r_i against every j at another position, with
   e_ij = EU(i, j) and e_ji = EU(j, i) both from i's view:
   - confrontation, i loses, if e_ji > e_ij > 0: i moves to x_j;
   - compromise if e_ji > 0 > e_ij and e_ji > |e_ij|: i moves to x_i + (x_j - x_i) |e_ij / e_ji|;
   - capitulation if e_ji > 0 > e_ij and e_ji < |e_ij|: i moves to x_j.
   i accepts a confrontation if it has one (the nearest), else a compromise, else a
   capitulation; every actor moves at once.

Reference behaviour. The regression target is the log of the public Python reimplementation
(dmasad/bdm-scholz-expected-utility-model, Example.log), which follows Scholz's code in two
places where it departs from the text above; both are the default here because that log is
what the model is checked against, and both can be switched off:

- ``compromise_choice="scholz"``: among compromises, i takes the one that minimises
  (|e_ij| x_i + |e_ji| x_j) / (|e_ij| + |e_ji|), not the one that moves it least
  (``"least_move"``).
- ``capitulation=False``: the reference tests ``e_ji < abs(e_ji)``, which is never true, so no
  actor ever capitulates; ``capitulation=True`` applies the rule above.

Its log also prints the weighted mean on the line labelled "Median position" after each round (a
logging bug); ``render_log(..., median_line_bug=True)`` reproduces that line, the model itself is
not affected.

The forecast is the capability x salience weighted median of the final positions (the median
voter position after bargaining, as in Bueno de Mesquita 1994); the weighted mean is in the trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast
from detente.dialogue.solvers.median import weighted_median

NONE, CONFRONTATION, COMPROMISE, CAPITULATION = 0, 1, 2, 3
_MAX_CHUNK_ELEMENTS = 4_000_000  # bound the (B, N, N, N) temporaries to ~32 MB


@dataclass(frozen=True, eq=False)
class BdMTrace:
    """Per round r (0-based) and bargaining problem b: the risk exponents used, each actor's
    accepted offer (``kind``: 0 none, 1 confrontation lost, 2 compromise, 3 capitulation; the
    ``other`` actor; the two expected utilities; the new position) and the positions, weighted
    mean and weighted median after the round. Arrays are (rounds, B, N) or (rounds, B);
    ``initial``, ``initial_mean`` and ``initial_median`` describe round 0."""

    initial: np.ndarray
    initial_mean: np.ndarray
    initial_median: np.ndarray
    risk: np.ndarray
    kind: np.ndarray
    other: np.ndarray
    eu_own: np.ndarray
    eu_other: np.ndarray
    new_position: np.ndarray
    positions: np.ndarray
    mean: np.ndarray
    median: np.ndarray


def _probabilities(x: np.ndarray, cs: np.ndarray, r: np.ndarray | None,
                   span: np.ndarray) -> np.ndarray:
    """P(i, j) of step 1, (B, N, N); ``r`` None means every r_k = 1."""
    # dist[b, k, a] = (|x_k - x_a| / R) ** r_k
    dist = np.abs(x[:, :, None] - x[:, None, :]) / span[:, None, None]
    if r is not None:  # x ** 1.0 == x exactly, so skipping the power changes no bit
        dist = dist ** r[:, :, None]
    # sum_{a,b} |dist_k(b) - dist_k(a)| in O(N log N): sorted values times (2m - N + 1), doubled.
    n = x.shape[1]
    coef = 2.0 * (2.0 * np.arange(n) - (n - 1))
    pair_sum = (np.sort(dist, axis=-1) * coef).sum(axis=-1)
    total = (cs * pair_sum).sum(axis=-1)
    out = np.empty_like(dist)
    chunk = max(1, _MAX_CHUNK_ELEMENTS // max(1, n**3))
    for start in range(0, x.shape[0], chunk):
        part = slice(start, start + chunk)
        # gain[b, k, i, j] = dist_k(j) - dist_k(i): how much k prefers x_i to x_j
        gain = dist[part, :, None, :] - dist[part, :, :, None]
        np.maximum(gain, 0.0, out=gain)
        out[part] = np.einsum("bk,bkij->bij", cs[part], gain)
    safe = np.where(total > 0, total, 1.0)
    out /= safe[:, None, None]
    out[np.broadcast_to(total[:, None, None] <= 0, out.shape)] = 0.0
    out[x[:, :, None] == x[:, None, :]] = 0.0
    return out


def _expected_utility(x, s, r_view, prob, span, q):
    """EU(i, j) of step 2, (B, N, N), with the risk exponent ``r_view`` (broadcastable)."""
    d = np.abs(x[:, :, None] - x[:, None, :]) / span[:, None, None]
    if isinstance(r_view, float) and r_view == 1.0:  # the same numbers without the powers
        u_success, u_failure, u_sq = 2.0 - 4.0 * (0.5 - 0.5 * d), 2.0 - 4.0 * (0.5 + 0.5 * d), 0.0
    else:
        u_success = 2.0 - 4.0 * (0.5 - 0.5 * d) ** r_view
        u_failure = 2.0 - 4.0 * (0.5 + 0.5 * d) ** r_view
        u_sq = 2.0 - 4.0 * 0.5**r_view
    s_target = s[:, None, :]
    return (s_target * (prob * u_success + (1.0 - prob) * u_failure)
            + (1.0 - s_target) * u_success - q * u_sq)


def _risk_exponents(x, cs, s, span, q):
    """r_i of step 3, (B, N)."""
    prob = _probabilities(x, cs, None, span)
    eu = _expected_utility(x, s, 1.0, prob, span, q)  # every r = 1
    n = x.shape[1]
    eu[:, np.arange(n), np.arange(n)] = 0.0
    danger = eu.sum(axis=1)  # D_j = sum_k EU(k, j)
    high, low = danger.max(axis=1, keepdims=True), danger.min(axis=1, keepdims=True)
    spread = high - low
    acceptance = np.where(spread > 0, (2 * danger - high - low) / np.where(spread > 0, spread, 1),
                          0.0)
    return (1 - acceptance / 3.0) / (1 + acceptance / 3.0)


def bdm_round(x, cap, s, span, q=1.0, compromise_choice="scholz", capitulation=False):
    """One round on B problems at once: ``x``, ``s`` (B, N), ``cap`` (B, N) or (N,), ``span``
    (B,). Returns (new x, risk, kind, other, e_ij, e_ji, offered position)."""
    cs = np.broadcast_to(cap, x.shape) * s
    r = _risk_exponents(x, cs, s, span, q)
    prob = _probabilities(x, cs, r, span)
    eu_as_challenger = _expected_utility(x, s, r[:, :, None], prob, span, q)  # EU(i,j), i's r
    eu_as_target = _expected_utility(x, s, r[:, None, :], prob, span, q)  # EU(i,j), j's r
    e_own = eu_as_challenger  # e_ij[b, i, j]
    e_other = np.swapaxes(eu_as_target, 1, 2)  # e_ji[b, i, j] = EU(j, i) from i's view
    xi, xj = x[:, :, None], x[:, None, :]
    valid = xi != xj
    confront = valid & (e_other > e_own) & (e_own > 0)
    comp_zone = valid & (e_other > 0) & (e_own < 0)
    compromise = comp_zone & (e_other > np.abs(e_own))
    capitulate = comp_zone & (e_other < np.abs(e_own)) if capitulation else np.zeros_like(valid)
    with np.errstate(divide="ignore", invalid="ignore"):
        comp_pos = xi + (xj - xi) * np.abs(e_own / e_other)
        if compromise_choice == "scholz":
            comp_key = (np.abs(e_own) * xi + np.abs(e_other) * xj) / (np.abs(e_own)
                                                                       + np.abs(e_other))
        else:
            comp_key = np.abs(xi - comp_pos)
    jump = np.abs(xi - xj) * np.ones_like(e_own)
    inf = np.inf
    pick_conf = np.argmin(np.where(confront, jump, inf), axis=-1)
    pick_comp = np.argmin(np.where(compromise, comp_key, inf), axis=-1)
    pick_cap = np.argmin(np.where(capitulate, jump, inf), axis=-1)
    has_conf, has_comp, has_cap = confront.any(-1), compromise.any(-1), capitulate.any(-1)
    kind = np.where(has_conf, CONFRONTATION, np.where(has_comp, COMPROMISE,
                                                      np.where(has_cap, CAPITULATION, NONE)))
    other = np.where(has_conf, pick_conf, np.where(has_comp, pick_comp, pick_cap))
    take = lambda a: np.take_along_axis(a, other[..., None], axis=-1)[..., 0]  # noqa: E731
    target_x = take(np.broadcast_to(xj, e_own.shape))
    offered = np.where(kind == COMPROMISE, take(comp_pos), target_x)
    new_x = np.where(kind == NONE, x, offered)
    return new_x, r, kind, other, take(e_own), take(e_other), offered


def run(x0, cap, s, rounds=10, q=1.0, compromise_choice="scholz", capitulation=False,
        record=True):
    """``rounds`` rounds on B problems: ``x0``, ``s`` (B, N); ``cap`` (N,) or (B, N).
    Returns (final positions (B, N), ``BdMTrace`` or None, rounds actually run). Stops early
    when a round moves nobody (every later round would repeat it)."""
    x = np.array(x0, dtype=float)
    s = np.asarray(s, dtype=float)
    cap = np.asarray(cap, dtype=float)
    span = x.max(axis=1) - x.min(axis=1)
    span = np.where(span > 0, span, 1.0)
    w = np.broadcast_to(cap, x.shape) * s
    w_safe = np.where(w.sum(axis=1, keepdims=True) > 0, w, 1.0)
    log = {k: [] for k in ("risk", "kind", "other", "eu_own", "eu_other", "new_position",
                           "positions", "mean", "median")}
    initial = x.copy()
    done = 0
    for _ in range(rounds):
        x_new, r, kind, other, e_own, e_other, offered = bdm_round(
            x, cap, s, span, q, compromise_choice, capitulation)
        done += 1
        moved = not np.array_equal(x_new, x)
        x = x_new
        if record:
            for key, value in (("risk", r), ("kind", kind), ("other", other), ("eu_own", e_own),
                               ("eu_other", e_other), ("new_position", offered),
                               ("positions", x.copy()),
                               ("mean", (w_safe * x).sum(1) / w_safe.sum(1)),
                               ("median", weighted_median(x, w_safe))):
                log[key].append(value)
        if not moved:
            break
    trace = None
    if record:
        trace = BdMTrace(initial=initial, initial_mean=(w_safe * initial).sum(1) / w_safe.sum(1),
                         initial_median=weighted_median(initial, w_safe),
                         **{k: np.array(v) for k, v in log.items()})
    return x, trace, done


class BdM:
    """Bueno de Mesquita / Scholz expected-utility model (see the module docstring)."""

    name: ClassVar[str] = "bdm"
    title: ClassVar[str] = "expected utility (Bueno de Mesquita/Scholz)"
    dynamic: ClassVar[bool] = True

    def __init__(self, rounds: int = 10, q: float = 1.0,
                 compromise_choice: Literal["scholz", "least_move"] = "scholz",
                 capitulation: bool = False):
        if rounds < 1:
            raise ValueError("rounds must be at least 1")
        self.rounds, self.q = rounds, q
        self.compromise_choice, self.capitulation = compromise_choice, capitulation

    def solve(self, inputs: Inputs) -> Forecast:
        final, trace, done = run(inputs.position.T, inputs.capability, inputs.salience.T,
                                 self.rounds, self.q, self.compromise_choice, self.capitulation)
        w = inputs.weight.T
        w = np.where(w.sum(axis=1, keepdims=True) > 0, w, 1.0)
        return Forecast(self.name, weighted_median(final, w), final_positions=final.T,
                        rounds=done, trace=trace)


_PHRASES = {CONFRONTATION: "{a} loses confrontation to {b}", COMPROMISE: "{a} compromises with {b}",
            CAPITULATION: "{a} capitulates to {b}"}


def render_log(trace: BdMTrace, names: list[str], problem: int = 0,
               median_line_bug: bool = False) -> str:
    """The round-by-round log in the reference's layout, for bargaining problem ``problem``.

    ``median_line_bug=True`` prints the weighted mean on the "Median position" line after each
    round, as the reference does; otherwise the line holds the weighted median."""
    lines = [f"Median position: {float(trace.initial_median[problem])!r}",
             f"Mean position: {float(trace.initial_mean[problem])!r}"]
    for r in range(trace.kind.shape[0]):
        lines += ["", f"ROUND {r + 1}"]
        for i, name in enumerate(names):
            kind = int(trace.kind[r, problem, i])
            if kind == NONE:
                continue
            other = names[int(trace.other[r, problem, i])]
            lines.append(_PHRASES[kind].format(a=name, b=other))
            own, other_eu = float(trace.eu_own[r, problem, i]), float(trace.eu_other[r, problem, i])
            lines.append(f"\t{own!r} vs {other_eu!r}")
            lines.append(f"\tnew_pos = {float(trace.new_position[r, problem, i])!r}")
        median = trace.mean if median_line_bug else trace.median
        lines += ["", f"Median position: {float(median[r, problem])!r}",
                  f"Mean position: {float(trace.mean[r, problem])!r}"]
    return "\n".join(lines) + "\n"
