"""KTAB's spatial model of politics (SMP), with KTAB's default settings.

A reimplementation from the published KTAB sources (KAPSARC, MIT licence: kmodel.cpp, smp.cpp,
smpbcn.cpp), deterministic state transitions, proportional voting, linear victory probabilities,
conditional probabilistic Condorcet elections (PCE), "one third" risk adjustment, "mid" risk
range, semi-committed third parties, S2P2 bargains interpolated by the initiator. Positions live
on [0, 1] per issue (``(x - low) / (high - low)``); saliences s_id in [0, 1] with
sum_d s_id <= 1 (KTAB's rule; when a scenario's saliences add up to more, all are divided by the
largest sum, which keeps every ratio). One turn, for actors i, j, k, h, n:

1. Distance: d_ij = sqrt(sum_d (s_id (x_id - x_jd))^2 / sum_d s_id^2) (i's ideal = its position).
   Utility with risk attitude R: u(d, R) = (1 - d)(1 + d R).
2. Risk attitudes. Risk-neutral utilities u_ki = 1 - d_ki; coalition strengths
   C(i, j) = 1e-8 + sum_k c_k max(0, u_ki - u_kj); victory probabilities
   V(i, j) = C(i, j) / (C(i, j) + C(j, i)), V(i, i) = 1/2; conditional PCE
   P_i = prod_j V(i, j) / sum_m prod_j V(m, j); R_i = (3 P_i - (P_max + 2 P_min)) /
   (2 (P_max - P_min)) in [-1/2, 1]. h's estimate of i's attitude: R_hi = (2 R_h + R_i) / 3, and
   h's estimate of i's utility for j's position U^h_ij = u(d_ij, R_hi).
3. Challenges. From i's own view (h = i), with w_m = c_m sum_d s_md: the principals contribute
   w_i (U_ii - U_ij) and w_j (U_ji - U_jj) to the coalitions for i and for j (plus 1e-10 each);
   each third party n weighs the little contest: p_n = (C_i + max(0, v_n)) / (C_i + C_j +
   |v_n|) with v_n = w_n (U_ni - U_nj), and votes w_n (E_a - E_b) where
   E_a = p_n (2 U_ni + U_nn) + (1 - p_n) 3 U_nj and E_b = p_n 3 U_ni + (1 - p_n)(2 U_nj + U_nn).
   The victory probability is p_ij = C_ij / (C_ij + C_ji) over the summed coalitions, and the
   expected gain of the challenge is
   dEU_ij = (1 - S_j) 2 U_ii + S_j (p_ij 2 U_ii + (1 - p_ij) 2 U_ij) - (U_ii + U_ij),
   S_j = sum_d s_jd. Each i targets the j with the largest dEU_ij above 1e-5 (first on ties).
4. Bargains (S2P2): per issue, with weights a = s_id^2 p_ij^2 and b = s_jd^2 (1 - p_ij)^2,
   i is offered (a + 1e-6) x_id + b x_jd and j is offered a x_id + (b + 1e-6) x_jd, both divided
   by (a + b + 1e-6) and rounded to 4 decimals. The bargain goes on the lists of i and j.
5. Choice. Each actor k's options are the status quo and every bargain on its list. Actor m
   values an option as the mean over all positions of U^m_mn, with the bargain's two offered
   positions replacing the positions of its two actors (valued with m's own R_m). A conditional PCE
   over the options with proportional votes weighted by capability picks the most probable
   option; k takes its part of it. Everyone moves at once.
6. Stop when sum_i ||x_i(t) - x_i(t-1)|| < 0.02 (sum_i ||x_i(1) - x_i(0)|| + 1e-4) after at least
   2 turns, or after 100 turns.

The forecast is the most probable outcome of the final state: a conditional PCE (step 2, with the
actors' risk-aware utilities of the distinct final positions) gives each distinct position a
probability; the forecast is their probability-weighted mean (which is the common position when
the actors have converged). Actors whose saliences are all zero are measured with equal weights in
step 1 (KTAB refuses them); their votes weigh nothing in steps 3 and 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast

MIN_COALITION = 1e-8
MIN_CONTEST = 1e-10
MIN_BARGAIN_WEIGHT = 1e-6
MIN_GAIN = 1e-5
POSITION_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class SMPTrace:
    """Positions on [0, 1] per turn ``(T + 1, N, D)``, each actor's target per turn ``(T, N)``
    (-1: none), its expected gain, and the outcome distribution of the final state."""

    positions: np.ndarray
    targets: np.ndarray
    gains: np.ndarray
    outcomes: np.ndarray
    outcome_probability: np.ndarray


def _utility(d: np.ndarray, risk: np.ndarray) -> np.ndarray:
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * risk), (1.0 - d) * (1.0 + risk))


def _distance_weights(sal: np.ndarray) -> np.ndarray:
    squared = sal**2
    dead = squared.sum(axis=1) <= 0
    squared[dead] = 1.0
    return squared / squared.sum(axis=1, keepdims=True)


def _distances(x: np.ndarray, dw: np.ndarray) -> np.ndarray:
    """d[i, j] of step 1."""
    diff = x[:, None, :] - x[None, :, :]
    return np.sqrt(np.einsum("id,ijd->ij", dw, diff * diff))


def _pce(utility: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Conditional PCE probabilities of the options (columns of ``utility``, voters x options)
    with proportional votes weighted by ``weight``."""
    gain = utility[:, :, None] - utility[:, None, :]
    np.maximum(gain, 0.0, out=gain)
    strength = MIN_COALITION + np.einsum("k,kij->ij", weight, gain)
    np.fill_diagonal(strength, MIN_COALITION)
    victory = strength / (strength + strength.T)
    np.fill_diagonal(victory, 0.5)
    p = np.prod(victory, axis=1)
    return p / p.sum()


def _risk(d: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """R_i of step 2."""
    p = _pce(1.0 - d, cap)
    high, low = p.max(), p.min()
    if high - low <= 0:
        return np.zeros_like(p)
    return (3 * p - (high + 2 * low)) / (2 * (high - low))


def _round4(x: np.ndarray) -> np.ndarray:
    return np.floor(0.5 + x * 10000.0) / 10000.0


def _challenges(util: np.ndarray, power: np.ndarray, sal_total: np.ndarray):
    """(p_ij, dEU_ij) of step 3 for every pair, from the challenger's view."""
    n = util.shape[0]
    idx = np.arange(n)
    own = util[idx, idx, :]  # own[i, j] = U^i_ij
    diag = util[:, idx, idx]  # diag[h, a] = U^h_aa
    u_ii = diag[idx, idx][:, None]
    u_ij = own
    u_ji = util[idx[:, None], idx[None, :], idx[:, None]]  # U^i_ji
    u_jj = diag  # U^i_jj
    c_i = power[:, None] * (u_ii - u_ij)
    c_j = power[None, :] * (u_ji - u_jj)
    for_i = MIN_CONTEST + np.maximum(c_i, 0) + np.maximum(c_j, 0)
    for_j = MIN_CONTEST + np.maximum(-c_i, 0) + np.maximum(-c_j, 0)
    u_ni = util[idx, :, idx][:, None, :]  # [i, ., n] = U^i_ni
    u_nj = np.swapaxes(util, 1, 2)  # [i, j, n] = U^i_nj
    u_nn = diag[:, None, :]  # [i, ., n] = U^i_nn
    w_n = power[None, None, :]
    v0 = w_n * (u_ni - u_nj)
    ci, cj = for_i[:, :, None], for_j[:, :, None]
    p_n = (ci + np.maximum(v0, 0)) / (ci + cj + np.abs(v0))
    e_a = p_n * (2 * u_ni + u_nn) + (1 - p_n) * 3 * u_nj
    e_b = p_n * 3 * u_ni + (1 - p_n) * (2 * u_nj + u_nn)
    vote = w_n * (e_a - e_b)
    third = np.ones((n, n, n), dtype=bool)
    third[idx, :, idx] = False
    third[:, idx, idx] = False
    for_i = for_i + np.where(third, np.maximum(vote, 0), 0).sum(axis=2)
    for_j = for_j + np.where(third, np.maximum(-vote, 0), 0).sum(axis=2)
    p = for_i / (for_i + for_j)
    s_j = sal_total[None, :]
    gain = (1 - s_j) * 2 * u_ii + s_j * (p * 2 * u_ii + (1 - p) * 2 * u_ij) - (u_ii + u_ij)
    np.fill_diagonal(gain, -np.inf)
    return p, gain


def turn(x: np.ndarray, cap: np.ndarray, sal: np.ndarray, dw: np.ndarray):
    """One SMP turn: positions ``x`` (N, D) on [0, 1] -> (new positions, targets, gains)."""
    n = x.shape[0]
    d = _distances(x, dw)
    risk = _risk(d, cap)
    r_hi = (2 * risk[:, None] + risk[None, :]) / 3  # h's estimate of i's attitude
    util = _utility(d[None, :, :], r_hi[:, :, None])  # U^h_ij
    sal_total = sal.sum(axis=1)
    power = cap * sal_total
    p, gain = _challenges(util, power, sal_total)
    masked = np.where(gain > MIN_GAIN, gain, -np.inf)
    target = np.argmax(masked, axis=1)
    has_target = np.isfinite(masked[np.arange(n), target])
    # step 4: bargains, in initiator order, onto both actors' lists (status quo first for each)
    lists: list[list[int]] = [[] for _ in range(n)]  # -1 - k: status quo of k; b >= 0: bargain
    init, rcvr, pos_init, pos_rcvr = [], [], [], []
    for i in range(n):
        lists[i].append(-1 - i)
        if not has_target[i]:
            continue
        j = int(target[i])
        prob = p[i, j]
        a = sal[i] ** 2 * prob**2
        b = sal[j] ** 2 * (1 - prob) ** 2
        total = a + b + MIN_BARGAIN_WEIGHT
        pos_init.append(_round4(((a + MIN_BARGAIN_WEIGHT) * x[i] + b * x[j]) / total))
        pos_rcvr.append(_round4((a * x[i] + (b + MIN_BARGAIN_WEIGHT) * x[j]) / total))
        init.append(i)
        rcvr.append(j)
        lists[i].append(len(init) - 1)
        lists[j].append(len(init) - 1)
    # step 5: value of every option to every actor, then a PCE per actor's list
    own = util[np.arange(n), np.arange(n), :]  # own[m, n] = U^m_mn
    base = own.sum(axis=1)
    value_sq = base / n
    value_b = np.empty((n, len(init)))
    if init:
        init_a, rcvr_a = np.array(init), np.array(rcvr)
        offered = np.stack([np.array(pos_init), np.array(pos_rcvr)])  # (2, B, D)
        diff = x[None, :, None, :] - offered[:, None, :, :]  # (2, m, B, D)
        dist = np.sqrt(np.einsum("md,smbd->smb", dw, diff * diff))
        u_offer = _utility(dist, risk[None, :, None]).sum(axis=0)  # (m, B)
        value_b = (u_offer + base[:, None] - own[:, init_a] - own[:, rcvr_a]) / n
    new_x = x.copy()
    for k in range(n):
        options = lists[k]
        if len(options) == 1:
            continue
        values = np.stack([value_sq if o < 0 else value_b[:, o] for o in options], axis=1)
        best = options[int(np.argmax(_pce(values, cap)))]
        if best >= 0:
            new_x[k] = pos_init[best] if init[best] == k else pos_rcvr[best]
    return new_x, np.where(has_target, target, -1), np.where(has_target, masked.max(axis=1),
                                                              np.nan)


def outcome_distribution(x: np.ndarray, cap: np.ndarray, dw: np.ndarray):
    """Distinct positions of a state (rows within 1e-3 merged) and their PCE probabilities."""
    d = _distances(x, dw)
    risk = _risk(d, cap)
    util = _utility(d, risk[:, None])  # each actor's own risk-aware utility
    keep: list[int] = []
    for i in range(x.shape[0]):
        if all(np.linalg.norm(x[i] - x[k]) >= POSITION_TOLERANCE for k in keep):
            keep.append(i)
    return x[keep], _pce(util[:, keep], cap)


def run(x0: np.ndarray, cap: np.ndarray, sal: np.ndarray, max_turns: int = 100,
        min_turns: int = 2, min_delta_ratio: float = 0.02):
    """Turns until the stopping rule (step 6). ``x0`` (N, D) on [0, 1], ``sal`` (N, D) with rows
    summing to at most 1. Returns (final positions, ``SMPTrace``)."""
    x = np.array(x0, dtype=float)
    cap = np.asarray(cap, dtype=float)
    sal = np.asarray(sal, dtype=float)
    dw = _distance_weights(sal)
    history, targets, gains = [x.copy()], [], []
    first = None
    for t in range(1, max_turns + 1):
        x, target, gain = turn(x, cap, sal, dw)
        history.append(x.copy())
        targets.append(target)
        gains.append(gain)
        step = np.linalg.norm(history[-1] - history[-2], axis=1).sum()
        if first is None:
            first = step + 1e-4
        if t >= min_turns and step / first < min_delta_ratio:
            break
    outcomes, prob = outcome_distribution(x, cap, dw)
    trace = SMPTrace(np.array(history), np.array(targets), np.array(gains), outcomes, prob)
    return x, trace


class SMP:
    """KTAB spatial model of politics (see the module docstring)."""

    name: ClassVar[str] = "smp"
    title: ClassVar[str] = "spatial model of politics (KTAB)"
    dynamic: ClassVar[bool] = True

    def __init__(self, max_turns: int = 100):
        if max_turns < 1:
            raise ValueError("max_turns must be at least 1")
        self.max_turns = max_turns

    def solve(self, inputs: Inputs) -> Forecast:
        low, width = inputs.scale[:, 0], inputs.width
        x0 = (inputs.position - low) / width
        totals = inputs.salience.sum(axis=1)
        divisor = max(1.0, float(totals.max()))
        notes = []
        if divisor > 1:
            notes.append(f"saliences add up to {divisor:.3g} for some actor; all were divided by "
                         "that so that each actor's total is at most 1 (KTAB's rule)")
        final, trace = run(x0, inputs.capability, inputs.salience / divisor,
                           max_turns=self.max_turns)
        expected = trace.outcome_probability @ trace.outcomes
        return Forecast(self.name, low + width * expected, final_positions=low + width * final,
                        rounds=len(trace.targets), notes=tuple(notes), trace=trace)
