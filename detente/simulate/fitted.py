"""The simulator's default behaviour: each party acts as its hazard fitted to the record says.

``Fitted`` is a strategy (``detente.simulate.strategy``) whose intent in each period is drawn
from the party's fitted weekly hazard (``detente.simulate.hazard``), given its own past acts in
the run (time since the last one, share of the past year), whether it observed a breach (real or
a false alarm) by a party whose breach releases it within the response window (the fitted
reaction), and the context at the start (held fixed: the future's talks and exercises are not
known). The model's temptation for a fitted party is 1 (an occasion every period): the hazard
decides. Its chance of acting is the fitted chance of a *recorded* act divided by the detection
of its commitments (the record only holds what was seen), so that the simulated record matches.

The fit's uncertainty is carried into the forecast: when a chunk starts, ``draws`` coefficient
vectors are drawn from the fit's Laplace posterior (``HazardModel.cov``) and the runs take them
in turn. The hazard is read from one table of thresholds per chunk, indexed by (coefficient
draw, periods since its last act, acts in the past year, reaction, context), so a period costs
a few array operations whatever the model.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from detente.simulate.hazard import CAP_WEEKS, YEAR, HazardModel, State
from detente.simulate.strategy import Strategy, register

_FULL = 1 << 32
_BIG = 65_535


@register
@dataclasses.dataclass(frozen=True, eq=False)
class Fitted(Strategy):
    """Acts as the party's hazard fitted to the record says (the default): own acts cluster,
    reactions to the other side's observed breaches, context at the start."""

    name: ClassVar[str] = "fitted"
    stochastic: ClassVar[bool] = True
    model: HazardModel | None = None
    days: float = 7.0               # length of a period
    reaction_weeks: int = 13
    #: per-run initial state: arrays of length 1 (every run) or of the number of runs
    initial: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    #: coefficient vectors drawn per chunk from the fit's Laplace posterior, one per run in
    #: turn (the forecast then carries the fit's uncertainty); 0: the point estimate only
    draws: int = 32

    def __post_init__(self) -> None:
        if self.model is None:
            from detente.errors import ParameterError

            raise ParameterError.single(
                "the fitted strategy needs the party's model: it is the default when the "
                "simulation is built from the event store", field="strategy", value="fitted")

    @property
    def hazard(self) -> HazardModel:
        """The fitted model (``__post_init__`` refuses None)."""
        assert self.model is not None
        return self.model

    # The fitted model is data, not a parameter a sweep could vary.
    def params(self) -> dict[str, Any]:
        return {}

    def label(self) -> str:
        return "fitted"

    @property
    def ring(self) -> int:
        return max(1, round(YEAR * 7 / self.days))

    @property
    def cap(self) -> int:
        return max(2, math.ceil(CAP_WEEKS * 7 / self.days))

    @property
    def react_periods(self) -> int:
        return max(1, round(self.reaction_weeks * 7 / self.days))

    @property
    def size(self) -> int:
        return (self.cap + 1) * (self.ring + 1) * 2 * 4

    def table(self, coefficients: np.ndarray | None = None) -> np.ndarray:
        """Thresholds of the chance to act for each coefficient vector (rows: intercept and
        coefficients; default the point estimate), indexed draw * size + ((since * (ring + 1) +
        count) * 2 + reaction) * 4 + context."""
        if coefficients is None:
            coefficients = np.array([[self.hazard.intercept, *self.hazard.coef]])
        return _table(coefficients, self.hazard.detection, self.days, self.cap, self.ring)

    def coefficients(self, rng: np.random.Generator) -> np.ndarray:
        """``draws`` coefficient vectors from the fit's Laplace posterior (or the estimate)."""
        point = np.array([[self.hazard.intercept, *self.hazard.coef]])
        if self.draws <= 0:
            return point
        return rng.multivariate_normal(point[0], np.asarray(self.hazard.cov), size=self.draws,
                                       method="svd")

    def start(self, runs: int) -> dict[str, Any]:
        init = self.initial or initial_state(_default_state(), self.days)
        def take(key, dtype):
            value = np.asarray(init[key], dtype)
            if value.shape[-1] == 1:
                return np.repeat(value, runs, axis=-1)
            if value.shape[-1] != runs:
                raise ValueError(f"fitted strategy initial state for {value.shape[-1]} runs, "
                                 f"asked for {runs}")
            return value.copy()
        ring = take("ring", bool)
        return {"since": take("since", np.uint16), "other": take("other", np.uint16),
                "ring": ring, "count": ring.sum(axis=0).astype(np.uint16),
                "context": take("context", np.uint8), "intent": np.zeros(runs, bool),
                "near": np.empty(runs, bool), "slot": [0], "draw": np.zeros(runs, np.uint8),
                # Scratch (not state carried between periods): wider dtypes.
                "_scratch": {"table": None, "index": np.empty(runs, np.int32),
                             "thr": np.empty(runs, np.uint32)}}

    def prime(self, state: dict[str, Any], rng: np.random.Generator) -> None:
        """Draw the chunk's coefficient vectors and each run's, then its first move."""
        vectors = self.coefficients(rng)
        state["_scratch"]["table"] = self.table(vectors)
        runs = len(state["draw"])
        state["draw"][:] = np.arange(runs) % len(vectors)
        self._draw(state, rng)

    def intent(self, state: dict[str, Any]) -> np.ndarray:
        return state["intent"]

    def react(self, state: dict[str, Any], seen: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        acted = state["intent"]
        since, other = state["since"], state["other"]
        # Clocks: +1 a period (saturating at the cap), back to 1 on an act / an observation.
        np.minimum(since, self.cap - 1, out=since)
        since += 1
        np.copyto(since, 1, where=acted)
        np.minimum(other, self.cap - 1, out=other)
        other += 1
        np.copyto(other, 1, where=seen)
        ring, count, slot = state["ring"], state["count"], state["slot"]
        k = slot[0] % self.ring
        np.subtract(count, ring[k], out=count, casting="unsafe")
        np.add(count, acted, out=count, casting="unsafe")
        np.copyto(ring[k], acted)
        slot[0] += 1
        self._draw(state, rng)
        return seen

    def _draw(self, state: dict[str, Any], rng: np.random.Generator) -> None:
        scratch = state["_scratch"]
        if scratch["table"] is None:   # not primed: the point estimate
            scratch["table"] = self.table()
        index = scratch["index"]
        np.multiply(state["since"], self.ring + 1, out=index, casting="unsafe")
        np.add(index, state["count"], out=index, casting="unsafe")
        np.less_equal(state["other"], self.react_periods, out=state["near"])
        np.multiply(index, 2, out=index)
        np.add(index, state["near"], out=index, casting="unsafe")
        np.multiply(index, 4, out=index)
        np.add(index, state["context"], out=index)
        if len(scratch["table"]) > self.size:   # several coefficient vectors
            index += state["draw"].astype(np.int32) * self.size
        thr = np.take(scratch["table"], index, out=scratch["thr"])
        runs = len(thr)
        u = rng.bit_generator.random_raw((runs + 1) // 2).view(np.uint32)[:runs]
        np.less(u, thr, out=state["intent"])


def _table(coefficients: np.ndarray, detection: float, days: float, cap: int,
           ring: int) -> np.ndarray:
    """Thresholds per coefficient vector and state; the logit is a sum of one term per state
    dimension, so it is built by broadcasting (in single precision: the thresholds' error,
    about 1e-7 of the probability, is far below any Monte Carlo error)."""
    from scipy.special import expit

    since = np.arange(cap + 1)
    weeks = np.maximum(1, np.rint(since * days / 7.0))
    share = np.arange(ring + 1) / ring
    c = np.atleast_2d(np.asarray(coefficients, float))[:, :, None]     # (K, 7, 1)
    a = c[:, 0] + c[:, 1] * np.log1p(np.minimum(weeks, CAP_WEEKS)) + c[:, 2] * (weeks == 1)
    b = c[:, 3] * share
    r = c[:, 4] * np.array([0.0, 1.0])
    ctx = np.arange(4)
    x = c[:, 5] * (ctx // 2) + c[:, 6] * (ctx % 2)
    logit = (a[:, :, None, None, None].astype(np.float32)
             + b[:, None, :, None, None].astype(np.float32)
             + (r[:, None, None, :, None] + x[:, None, None, None, :]).astype(np.float32))
    p = expit(logit, out=logit)
    if detection < 1.0:
        np.multiply(p, np.float32(1.0 / max(detection, 1e-9)), out=p)
        np.minimum(p, np.float32(1.0), out=p)
    if days != 7.0:
        p = (1.0 - (1.0 - p.astype(np.float64)) ** (days / 7.0)).astype(np.float32)
    # p in [0, 1]; 2**32 - 256 is the largest single-precision number below 2**32.
    np.multiply(p, np.float32(_FULL - 256), out=p)
    return p.reshape(-1).astype(np.uint32)


def _default_state() -> State:
    return State(weeks_since=CAP_WEEKS, past_year=(False,) * YEAR, other_since=CAP_WEEKS,
                 diplomacy=False, exercises=False)


def initial_state(states: State | list[State], days: float = 7.0) -> dict[str, np.ndarray]:
    """Arrays for ``Fitted.initial`` from one state (every run) or one state per run."""
    states = [states] if isinstance(states, State) else list(states)
    ring = max(1, round(YEAR * 7 / days))
    cap = max(2, math.ceil(CAP_WEEKS * 7 / days))
    weekly = np.array([s.past_year for s in states], bool).T     # (52, runs)
    # Spread each week's flag over the periods it covers (a week per period by default).
    if ring != YEAR:
        pos = np.minimum((np.arange(ring) * YEAR) // ring, YEAR - 1)
        first = np.r_[True, pos[1:] != pos[:-1]]
        weekly = weekly[pos] & first[:, None]
    return {"since": np.minimum(np.ceil(np.array([s.weeks_since for s in states]) * 7 / days),
                                cap).astype(np.uint16),
            "other": np.minimum(np.ceil(np.array([s.other_since for s in states]) * 7 / days),
                                cap).astype(np.uint16),
            "ring": weekly,
            "context": np.array([2 * s.diplomacy + s.exercises for s in states], np.uint8)}
