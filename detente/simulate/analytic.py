"""The incentive side: when is a party's compliance self-enforcing, false alarms counted?

For each party ``i`` and each of its commitments, the **critical detection probability** is the
detection ``p`` at which ``i``'s discounted payoff from breaching at every occasion equals its
payoff from complying, in the simulator's own game (the engine's per-period payoffs, discount
and horizon), against the other parties' punishment:

* **comply**: ``i`` plays the punishing strategy itself (it keeps its commitment until it
  observes a breach, then punishes in turn);
* **breach**: ``i`` takes every occasion (``always_defect``);
* the others **punish** what they observe of ``i`` (a detected breach, after the commitment's
  delay, or a false alarm): for good (``grim``, the default), or for ``L`` periods after each
  observation (limited punishment: ``tit_for_tat`` is ``L = 1``, ``grit`` its ``cooloff``).

False alarms end cooperation on the comply path too, and delays put punishment off, so the
threshold is where the two values cross, not the textbook formula. Both values are computed
exactly (for two parties: the others act as one, with their mean temptation, detection and
false alarms) by propagating the distribution of the game's state (punishment counters and
detections still in transit) period by period over the horizon. The transition is linear in
``p``, so one pass gives the values on a grid of ``p``; the threshold is interpolated between
grid points. Without false alarms and with ``q = 1``, grim punishment and a long horizon it is
the textbook ``(1 - delta)(T - R) / (delta (R - P))``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.simulate.model import Model

GRID = np.concatenate([[0.0], np.logspace(-5, 0, 41)])
REFINE = 41
MAX_STATES = 20_000


@dataclass(frozen=True)
class Game:
    """The two-sided game the threshold is computed on (probabilities per period)."""

    q: float              # the deciding party's chance of an occasion
    q_other: float        # the others' (share of them breaching when they punish)
    value: float          # V: worth of the others' restraint
    cost: float           # C: cost of one's own restraint when tempted
    gain: float           # G: gain from a breach while the others restrain
    false_alarm: float    # about the deciding party, per period without its breach
    false_alarm_other: float
    detection_other: float
    delay: int            # periods before the others see the deciding party's breach
    delay_other: int
    delta: float
    horizon: int
    punish: int | None = None   # None: for good (grim); L: for L periods after each observation
    unseen: bool = False        # the delay reaches past the horizon: no breach is ever seen


def _chances(intent: bool, q: float, f: float) -> list[tuple[float, float, bool, bool]]:
    """(probability, its part proportional to p, breach, false alarm) of one party's events in
    a period; detection is applied by the caller: a breach splits into detected (``p``) and
    not (``1 - p``)."""
    if intent:
        return [(q, 0.0, True, False), ((1 - q) * f, 0.0, False, True),
                ((1 - q) * (1 - f), 0.0, False, False)]
    return [(f, 0.0, False, True), (1 - f, 0.0, False, False)]


class _Chain:
    """States (own counter, others' counter, own pending bits, others' pending bits) and the
    transition split as ``P = P0 + p P1``, with the expected payoff per state."""

    def __init__(self, game: Game, comply: bool):
        self.g, self.comply = game, comply
        top = 1 if game.punish is None else game.punish
        own = range(top + 1) if comply else [0]
        ki = game.delay
        kj = game.delay_other if comply else 0
        if len(own) * (top + 1) * 2 ** (ki + kj) > MAX_STATES:
            raise ValueError("too many states")
        self.states = list(itertools.product(own, range(top + 1), range(2 ** ki),
                                             range(2 ** kj)))
        if len(self.states) > MAX_STATES:
            raise ValueError("too many states")
        self.index = {s: k for k, s in enumerate(self.states)}
        from scipy import sparse

        n = len(self.states)
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._w0: list[float] = []
        self._w1: list[float] = []
        self.r = np.zeros(n)
        for s in self.states:
            self._fill(s)
        # Transposed, so that the distribution (grid x states) propagates as P^T @ dist^T.
        shape = (n, n)
        self.p0t = sparse.csr_matrix((self._w0, (self._cols, self._rows)), shape=shape)
        self.p1t = sparse.csr_matrix((self._w1, (self._cols, self._rows)), shape=shape)

    def _react(self, counter: int, seen: bool) -> int:
        if self.g.punish is None:
            return 1 if (seen or counter) else 0
        return self.g.punish if seen else max(counter - 1, 0)

    def _fill(self, state: tuple[int, int, int, int]) -> None:
        g = self.g
        ci, cj, pi, pj = state
        k = self.index[state]
        intent_i = (ci > 0) if self.comply else True
        intent_j = cj > 0
        bi = g.q if intent_i else 0.0
        bj = g.q_other if intent_j else 0.0
        self.r[k] = g.value * (1 - bj) - g.cost * (g.q - bi) + g.gain * bi * (1 - bj)
        for (a, _, breach_i, fa_i), (b, _, breach_j, fa_j) in itertools.product(
                _chances(intent_i, g.q, g.false_alarm),
                _chances(intent_j, g.q_other, g.false_alarm_other)):
            for det_i in ((True, False) if breach_i else (False,)):
                # i's detection is the unknown p: detected carries p, missed carries 1 - p.
                w0, w1 = (0.0, a) if (breach_i and det_i) else ((a, -a) if breach_i
                                                                else (a, 0.0))
                for det_j in ((True, False) if breach_j else (False,)):
                    wj = b * (g.detection_other if det_j else 1 - g.detection_other) \
                        if breach_j else b
                    obs_i, new_pi = _arrive(pi, det_i, g.delay)
                    obs_i = obs_i or fa_i
                    if self.comply:
                        obs_j, new_pj = _arrive(pj, det_j, g.delay_other)
                        obs_j = obs_j or fa_j
                        new_ci = self._react(ci, obs_j)
                    else:
                        new_pj, new_ci = 0, 0
                    target = self.index[(new_ci, self._react(cj, obs_i), new_pi, new_pj)]
                    self._rows.append(k)
                    self._cols.append(target)
                    self._w0.append(w0 * wj)
                    self._w1.append(w1 * wj)

    def values(self, grid: np.ndarray) -> np.ndarray:
        """Discounted payoff over the horizon from the all-complying start, per ``p``."""
        dist = np.zeros((len(self.states), len(grid)))   # states x grid
        dist[self.index[(0, 0, 0, 0)]] = 1.0
        total = np.zeros(len(grid))
        weight = 1.0
        for _ in range(self.g.horizon):
            total += weight * (self.r @ dist)
            dist = self.p0t @ dist + (self.p1t @ dist) * grid[None, :]
            weight *= self.g.delta
        return total


def _arrive(bits: int, detected: bool, delay: int) -> tuple[bool, int]:
    """Whether a detection arrives this period, and the bits in transit afterwards."""
    now = bool(bits & 1) if delay else False
    rest = bits >> 1
    if detected:
        if delay == 0:
            now = True
        else:
            rest |= 1 << (delay - 1)
    return now, rest


def threshold(game: Game, grid: np.ndarray = GRID) -> tuple[float | None, dict[str, Any]]:
    """The critical detection (None: no detection deters a breach; 0: breaching never pays),
    and the two values at p = 0 and p = 1."""
    if game.q == 0.0 or (game.gain + game.cost) == 0.0:
        return 0.0, {}
    if game.unseen:  # detection cannot matter: breaching pays or not whatever p is
        seen = dataclasses.replace(game, unseen=False, delay=0)
        diff = _Chain(seen, False).values(grid[:1]) - _Chain(seen, True).values(grid[:1])
        return (None if diff[0] > 0 else 0.0), {}
    chains = _Chain(game, True), _Chain(game, False)
    comply, breach = (c.values(grid) for c in chains)
    diff = breach - comply          # positive: breaching pays at that detection
    if diff[0] > 0 >= diff[-1]:
        # A second, finer pass between the grid points where the sign changes.
        k = int(np.flatnonzero(diff <= 0)[0])
        fine = np.linspace(grid[k - 1], grid[k], REFINE)
        inner = chains[1].values(fine) - chains[0].values(fine)
        grid = np.concatenate([grid[:k - 1], fine, grid[k + 1:]])
        diff = np.concatenate([diff[:k - 1], inner, diff[k + 1:]])
    info = {"comply_value_p0": float(comply[0]), "breach_value_p0": float(breach[0]),
            "comply_value_p1": float(comply[-1]), "breach_value_p1": float(breach[-1])}
    if diff[0] <= 0:
        return 0.0, info
    if diff[-1] > 0:
        return None, info
    k = int(np.flatnonzero(diff <= 0)[0])
    a, b = grid[k - 1], grid[k]
    return float(a + (b - a) * diff[k - 1] / (diff[k - 1] - diff[k])), info


@dataclass(frozen=True)
class CommitmentThreshold:
    commitment: str
    detection: float
    delay_periods: int
    critical: float | None  # None: no detection probability suffices

    @property
    def self_enforcing(self) -> bool:
        return self.critical is not None and not math.isnan(self.critical) \
            and self.detection >= self.critical


@dataclass(frozen=True)
class PartyThreshold:
    """The critical detection probability of one party's commitments, next to the spec's."""

    party: str
    delta: float
    temptation: float
    punishment_rate: float  # Q
    false_alarm: float
    punishment: str         # "grim" or "L periods"
    T: float
    R: float
    P: float
    commitments: tuple[CommitmentThreshold, ...]

    @property
    def binding(self) -> CommitmentThreshold:
        """The commitment with the smallest margin of detection over its critical value (a
        breaching party picks the least verified commitment)."""
        def margin(c: CommitmentThreshold) -> tuple[float, float]:
            return (float("-inf") if c.critical is None else c.detection - c.critical,
                    c.detection)
        return min(self.commitments, key=margin)

    @property
    def critical(self) -> float | None:
        return self.binding.critical if self.commitments else 0.0

    @property
    def detection(self) -> float | None:
        return self.binding.detection if self.commitments else None

    @property
    def self_enforcing(self) -> bool:
        return all(c.self_enforcing for c in self.commitments)

    def to_json_dict(self) -> dict:
        return {
            "critical": self.critical, "detection": self.detection,
            "self_enforcing": self.self_enforcing,
            "commitment": self.binding.commitment if self.commitments else None,
            "delta": self.delta, "temptation": self.temptation,
            "punishment_rate": self.punishment_rate, "false_alarm": self.false_alarm,
            "punishment": self.punishment, "T": self.T, "R": self.R, "P": self.P,
            "commitments": [{"id": c.commitment, "detection": c.detection,
                             "delay_periods": c.delay_periods, "critical": c.critical,
                             "self_enforcing": c.self_enforcing} for c in self.commitments],
        }



def critical_value(*, delta: float, gain: float, value: float, defection_gain: float,
                   q_own: float, q_punish: float, delay: int = 0) -> float | None:
    """The textbook threshold under grim punishment, infinite horizon, no false alarm:
    ``p >= (1 - delta)(T - R) / (delta [delta^k Q (V + q G) - q (T - R)])`` (``gain = G + C``,
    ``value = V``); 0 when there is nothing to gain, None when no probability suffices. Kept
    as the reference the exact threshold reduces to."""
    if q_own == 0.0 or gain == 0.0:
        return 0.0
    bracket = delta ** delay * q_punish * (value + q_own * defection_gain) - q_own * gain
    if delta >= 1.0:
        return 0.0 if bracket > 0 else None
    if bracket <= 0.0:
        return None
    return (1.0 - delta) * gain / (delta * bracket)


def game_for(model: Model, i: int, monitor, punish: int | None = None,
             temptation: dict[str, float] | None = None) -> Game:
    """The two-sided game of party ``i`` breaching ``monitor``'s commitment against the
    parties its breach releases (``temptation`` overrides occasion rates, e.g. with fitted
    behaviour's mean weekly rate)."""
    n = len(model.parties)
    rates = {p.code: p.temptation for p in model.parties} | dict(temptation or {})
    party = model.parties[i]
    released = [j for j in range(n) if model.releases[i][j]]
    q_other = sum(rates[model.parties[j].code] for j in released) / (n - 1) if n > 1 else 0.0
    others = [model.parties[j] for j in released]
    det = float(np.mean([o.detection for o in others])) if others else 1.0
    fa = float(np.mean([o.false_alarm for o in others])) if others else 0.0
    delays = [max(o.monitors, key=lambda m: m.weight).delay for o in others if o.monitors]
    return Game(q=rates[party.code], q_other=q_other, value=party.payoff.other_restraint,
                cost=party.payoff.own_restraint, gain=party.payoff.defection_gain,
                false_alarm=party.false_alarm, false_alarm_other=fa, detection_other=det,
                delay=monitor.delay if monitor.delay < model.horizon else 0,
                delay_other=min(max(delays or [0]), model.horizon), delta=model.delta,
                horizon=model.horizon, punish=punish, unseen=monitor.delay >= model.horizon)


def critical_detection(model: Model, punish: int | None = None,
                       temptation: dict[str, float] | None = None) -> dict[str, PartyThreshold]:
    """Per party, the critical detection probability of each commitment (module docstring);
    ``punish``: None for punishment for good, or its length in periods."""
    # Fitted behaviour has an occasion every period; its incentive is read at its mean rate.
    fitted = {code: 1.0 - (1.0 - b.model.weekly_rate()) ** (model.days / 7.0)
              for code, b in model.behaviour.items() if getattr(b, "model", None)}
    temptation = fitted | dict(temptation or {})
    out = {}
    for i, party in enumerate(model.parties):
        pay = party.payoff
        commitments = []
        q_other = 0.0
        for m in party.monitors:
            game = game_for(model, i, m, punish, temptation)
            q_other = game.q_other
            try:
                critical, _ = threshold(game)
            except ValueError:  # too many states to compute exactly: say so rather than guess
                critical = float("nan")
            commitments.append(CommitmentThreshold(m.commitment, m.detection, m.delay,
                                                   critical))
        q = (temptation or {}).get(party.code, party.temptation)
        out[party.code] = PartyThreshold(
            party=party.code, delta=model.delta, temptation=q, punishment_rate=q_other,
            false_alarm=party.false_alarm,
            punishment="grim" if punish is None else f"{punish} periods",
            T=pay.other_restraint + pay.defection_gain,
            R=pay.other_restraint - pay.own_restraint, P=0.0, commitments=tuple(commitments))
    return out


def punishment_of(labels: tuple[str, ...]) -> int | None:
    """The punishment the simulated strategies inflict: L periods when every one is tit for
    tat (1) or grit (its cooloff), else for good."""
    lengths = []
    for label in labels:
        name, _, params = label.partition(":")
        if name == "tit_for_tat":
            lengths.append(1)
        elif name == "grit":
            lengths.append(int(dict(p.split("=") for p in params.split(",")).get("cooloff", 4))
                           if params else 4)
        else:
            return None
    return max(lengths) if lengths else None
