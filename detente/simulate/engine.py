"""The vectorised engine: many runs of the repeated game at once, period by period.

Runs are split into chunks of ``chunk_size`` (fixed, whatever the number of workers); chunk ``c``
draws from ``SeedSequence(seed).spawn`` child ``c`` through an SFC64 generator, so a result is
bit for bit the same on one thread, several threads, processes or a Dask cluster. Each chunk
returns integer counts per period only (no per-run arrays), so memory stays flat in ``runs``.

One period, for every run of a chunk and every party ``i``, from one 32-bit uniform ``u``:

* tempted  = ``u < q`` (an occasion arises); breach = tempted and the strategy's intent (flipped
  with probability ``tremble``);
* the breach falls on commitment ``c`` when ``u`` lies in that commitment's share of
  ``[0, q)``, and is detected when ``u`` lies in the first ``detection`` part of that share;
  the observation arrives ``delay`` periods later;
* a false alarm is reported, only when the party did not breach, with probability ``f``:
  ``u >= 1 - (1 - q) f`` (not tempted) or ``u < q f`` (tempted but refrained).

Observations are public; party ``j`` reacts to those of every party whose breach releases it.

False-alarm rates with a prior (``Monitor.prior``) are drawn per run at the start of a chunk,
from the chunk's generator, before anything else. Under ``model.collapse == "breach"`` a run
collapses at the first observed real breach (the replay's rule), blamed on the breaching party,
and counted as answering a false alarm when that party had seen one about a party whose breach
releases it within ``model.response_periods``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.errors import ParameterError
from detente.progress import Progress
from detente.simulate import strategy as strategies_mod
from detente.simulate.model import Model
from detente.simulate.strategy import Strategy

DEFAULT_CHUNK = 262_144
MAX_RUNS = 100_000_000
_FULL = 1 << 32
_EMPTY = np.empty(0, dtype=bool)



def _thr(x: float) -> int:
    """Threshold on a uniform uint32 for probability ``x`` (exact to 2**-33)."""
    return min(_FULL, max(0, round(x * _FULL)))


def _less(u: np.ndarray, thr: int, out: np.ndarray) -> np.ndarray:
    if thr >= _FULL:
        out.fill(True)
    elif thr <= 0:
        out.fill(False)
    else:
        np.less(u, np.uint32(thr), out=out)
    return out


def _at_least(u: np.ndarray, thr: int, out: np.ndarray) -> np.ndarray:
    if thr <= 0:
        out.fill(True)
    elif thr >= _FULL:
        out.fill(False)
    else:
        np.greater_equal(u, np.uint32(thr), out=out)
    return out


def seed_children(seed: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """What ``seed.spawn(n)`` returns on a fresh sequence, without mutating ``seed``."""
    return [np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i),
                                   pool_size=seed.pool_size) for i in range(n)]


def as_seed(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise ParameterError.single("must be a non-negative integer", field="seed", value=seed)
    if seed is None:
        # Fresh entropy, kept to 63 bits: the seed is shown to users and written in JSON,
        # whose readers (and the API's encoder) hold at most a signed 64-bit integer.
        seed = secrets.randbits(63)
    return np.random.SeedSequence(seed)


@dataclass
class ChunkStats:
    """Counts from one chunk. Periods are rows (period ``t`` is row ``t - 1``)."""

    runs: int
    collapses: np.ndarray        # (H,) runs whose agreement collapsed in the period
    first_breaches: np.ndarray   # (H,) runs with their first real breach in the period
    tempted: np.ndarray          # (H, n) runs in which the party had an occasion
    breaches: np.ndarray         # (H, n) runs in which the party breached
    both: np.ndarray             # (H, n, n) runs in which both i and j breached (i < j filled)
    detections: np.ndarray       # (H, n) real breaches of the party observed in the period
    false_alarms: np.ndarray     # (H, n) false alarms about the party in the period
    trigger: np.ndarray          # (n, 2) collapses blamed on party i: [real breach, false alarm]
    walkouts: np.ndarray         # (n,) collapses in which party j responded
    first_breaker: np.ndarray    # (n,) runs whose first real breach was by party i
    group_collapses: np.ndarray | None = None  # (H, G) collapses per group of runs, if asked

    @classmethod
    def zeros(cls, runs: int, horizon: int, n: int) -> ChunkStats:
        z = np.zeros
        return cls(runs, z(horizon, np.int64), z(horizon, np.int64), z((horizon, n), np.int64),
                   z((horizon, n), np.int64), z((horizon, n, n), np.int64),
                   z((horizon, n), np.int64), z((horizon, n), np.int64), z((n, 2), np.int64),
                   z(n, np.int64), z(n, np.int64))

    def add(self, other: ChunkStats) -> ChunkStats:
        groups = None if self.group_collapses is None or other.group_collapses is None \
            else self.group_collapses + other.group_collapses
        return ChunkStats(self.runs + other.runs, **{f: getattr(self, f) + getattr(other, f)
                                                     for f in _COUNT_FIELDS},
                          group_collapses=groups)


_COUNT_FIELDS = ("collapses", "first_breaches", "tempted", "breaches", "both", "detections",
                 "false_alarms", "trigger", "walkouts", "first_breaker")


def _thr_runs(x: np.ndarray) -> np.ndarray:
    """Per-run thresholds on uint32 uniforms (clipped to the top value: off by 2**-32 at most)."""
    return np.clip(np.rint(x * _FULL), 0, _FULL - 1).astype(np.uint32)


def draw_false_alarms(party, days: float, runs: int, rng: np.random.Generator
                      ) -> np.ndarray | None:
    """Per-run false-alarm chance per period of ``party``, for monitors with a prior (None when
    every rate is fixed)."""
    if not any(m.prior(days) for m in party.monitors):
        return None
    keep = np.ones(runs)
    for m in party.monitors:
        prior = m.prior(days)
        if prior is None:
            keep *= 1.0 - m.false_alarm
            continue
        weekly = rng.beta(prior[0], prior[1], runs)
        keep *= (1.0 - weekly) ** (days / 7.0)
    return 1.0 - keep


class _PartyStep:
    """One party's per-period arithmetic, with thresholds and buffers prepared once."""

    fa_lo: np.ndarray | int  # false-alarm thresholds: per run, or one for every run
    fa_hi: np.ndarray | int

    def __init__(self, party, runs: int, horizon: int, fa_runs: np.ndarray | None = None):
        q, f = party.temptation, party.false_alarm
        self.q_thr = _thr(q)
        self.eps_thr = _thr(party.tremble)
        if fa_runs is not None:
            self.fa_lo, self.fa_hi = _thr_runs(q * fa_runs), _thr_runs(1.0 - (1.0 - q) * fa_runs)
            self.has_fa = True
        else:
            self.fa_lo, self.fa_hi = _thr(q * f), _thr(1.0 - (1.0 - q) * f)
            self.has_fa = f > 0.0
        lo = 0.0
        self.segments = []  # (lo threshold, detected-below threshold, delay) per commitment
        for m in party.monitors:
            start = _thr(q * lo)
            if m.delay >= horizon:
                # Seen only after the horizon, that is never within it: no detection, and no
                # ring buffer the size of the delay.
                self.segments.append((start, start, 0))
            else:
                self.segments.append((start, _thr(q * (lo + m.weight * m.detection)), m.delay))
            lo += m.weight
        self.delays = max((s[2] for s in self.segments), default=0)
        self.ring = np.zeros((self.delays + 1, runs), dtype=bool) if self.delays else None
        # Without any uniform: always tempted (or never), one commitment seen surely (or never).
        surely = len(self.segments) == 1 and self.segments[0][1] in (0, self.q_thr)
        self.needs_u = not (not self.has_fa and (self.q_thr == 0 or (
            self.q_thr == _FULL and surely)))
        self.always = self.q_thr == _FULL
        self.tempted = np.full(runs, self.always)
        self.breach = np.empty(runs, bool)
        self.real = np.empty(runs, bool)
        self.fa = np.zeros(runs, bool)
        # Without false alarms the observations are the real ones: share the array.
        self.obs = np.empty(runs, bool) if self.has_fa else self.real
        self.act = np.empty(runs, bool)
        self.tmp = np.empty(runs, bool)
        self.tmp2 = np.empty(runs, bool)

    def step(self, t: int, intent: np.ndarray, u: np.ndarray | None,
             v: np.ndarray | None) -> None:
        act = self.act
        if v is not None:  # trembling hand: flip the intended action
            np.not_equal(intent, _less(v, self.eps_thr, self.tmp), out=act)
        else:
            np.copyto(act, intent)
        if u is None:  # always or never tempted: `tempted` was filled once
            if self.always:
                np.copyto(self.breach, act)
            else:
                self.breach.fill(False)
        else:
            np.logical_and(_less(u, self.q_thr, self.tempted), act, out=self.breach)
        # Real breaches observed now (delay 0) or later (ring buffer slot t + delay).
        ring = self.ring
        if ring is not None:
            slot = t % ring.shape[0]
            np.copyto(self.real, ring[slot])
            ring[slot] = False
        elif not (u is None and self.always and self.segments[0][1] == _FULL
                  and self.segments[0][0] == 0):
            self.real.fill(False)
        for lo, hi, delay in self.segments:
            if hi <= lo:
                continue
            if u is None:
                if ring is None:  # surely detected at once: the observation is the breach
                    np.copyto(self.real, self.breach)
                    continue
                det = self.breach
            else:
                det = _less(u, hi, self.tmp)
                if lo > 0:
                    det &= _at_least(u, lo, self.tmp2)
                det &= act
            if delay == 0:
                self.real |= det
            else:
                assert ring is not None  # a delay has its ring buffer
                ring[(t + delay) % ring.shape[0]] |= det
        if self.has_fa and isinstance(self.fa_hi, np.ndarray):
            assert u is not None  # false alarms draw uniforms (needs_u)
            fa = np.greater_equal(u, self.fa_hi, out=self.fa)
            low = np.less(u, self.fa_lo, out=self.tmp)
            np.logical_and(low, np.logical_not(act, out=self.tmp2), out=low)
            fa |= low
            np.logical_or(self.real, fa, out=self.obs)
        elif self.has_fa:
            # One threshold for every run here; false alarms draw uniforms (needs_u).
            assert u is not None and not isinstance(self.fa_lo, np.ndarray) \
                and not isinstance(self.fa_hi, np.ndarray)
            fa = _at_least(u, self.fa_hi, self.fa)
            if self.fa_lo > 0:
                low = _less(u, self.fa_lo, self.tmp)
                np.logical_and(low, np.logical_not(act, out=self.tmp2), out=low)
                fa |= low
            np.logical_or(self.real, fa, out=self.obs)


def _first_time(flags: Sequence[np.ndarray], done: np.ndarray, any_buf: np.ndarray,
                newly: np.ndarray) -> np.ndarray:
    """The runs where any of ``flags`` holds and ``done`` does not yet; marks them ``done``.
    ``any_buf`` and ``newly`` are scratch arrays of the runs' length."""
    np.copyto(any_buf, flags[0])
    for flag in flags[1:]:
        any_buf |= flag
    np.logical_and(any_buf, np.logical_not(done, out=newly), out=newly)
    idx = np.flatnonzero(newly)
    done[idx] = True
    return idx


def run_chunk(model: Model, strats: Sequence[Strategy], runs: int,
              seed: np.random.SeedSequence, groups: np.ndarray | None = None) -> ChunkStats:
    """Simulate ``runs`` runs over the model's horizon; integer counts only (and collapses
    per period for each group of runs, when ``groups`` gives each run's group number)."""
    rng = np.random.Generator(np.random.SFC64(seed))
    n, horizon = len(model.parties), model.horizon
    out = ChunkStats.zeros(runs, horizon, n)
    if groups is not None:
        groups = np.asarray(groups, np.int64)
        out.group_collapses = np.zeros((horizon, int(groups.max()) + 1), np.int64)
    fa_runs = [draw_false_alarms(p, model.days, runs, rng) for p in model.parties]
    steps = [_PartyStep(p, runs, horizon, f) for p, f in zip(model.parties, fa_runs,
                                                              strict=True)]
    states = [s.start(runs) for s in strats]
    for s, state in zip(strats, states, strict=True):
        prime = getattr(s, "prime", None)
        if prime is not None:  # strategies whose first move is drawn (fitted behaviour)
            prime(state, rng)
    by_breach = model.collapse == "breach"
    fa_watch = by_breach and any(s.has_fa for s in steps)
    # Periods since each party last saw a false alarm about a party whose breach releases it.
    fa_clock = [np.full(runs, 65_535, np.uint16) for _ in range(n)] if fa_watch else []
    sources = [[i for i in range(n) if model.releases[i][j]] for j in range(n)]
    n_u = sum(s.needs_u for s in steps)
    n_v = sum(s.eps_thr > 0 for s in steps)
    draws = n_u + n_v
    collapsed = np.zeros(runs, bool)
    breached = np.zeros(runs, bool)
    n_collapsed = n_breached = 0
    seen_buf = np.empty(runs, bool)
    none_seen = np.zeros(runs, bool)
    any_resp = np.empty(runs, bool)
    newly = np.empty(runs, bool)
    any_breach = np.empty(runs, bool)
    pair = np.empty(runs, bool)
    resp: list[np.ndarray] = [np.empty(runs, bool) for _ in range(n)]
    words = (draws * runs + 1) // 2
    for t in range(horizon):
        if draws:
            uniforms = rng.bit_generator.random_raw(words).view(np.uint32)
        k = 0
        for i, step in enumerate(steps):
            u = v = None
            if step.needs_u:
                u = uniforms[k * runs:(k + 1) * runs]
                k += 1
            if step.eps_thr > 0:
                v = uniforms[k * runs:(k + 1) * runs]
                k += 1
            step.step(t, strats[i].intent(states[i]), u, v)
            out.tempted[t, i] = np.count_nonzero(step.tempted) if u is not None else (
                runs if step.always else 0)
            out.breaches[t, i] = np.count_nonzero(step.breach)
            out.detections[t, i] = np.count_nonzero(step.real)
            if step.has_fa:
                out.false_alarms[t, i] = np.count_nonzero(step.fa)
        for i in range(n):
            for j in range(i + 1, n):
                out.both[t, i, j] = np.count_nonzero(
                    np.logical_and(steps[i].breach, steps[j].breach, out=pair))
        # First real breach of each run (the truth, whatever was observed).
        if n_breached < runs:
            idx = _first_time([s.breach for s in steps], breached, any_breach, newly)
            if idx.size:
                n_breached += idx.size
                out.first_breaches[t] = idx.size
                who = np.argmax(np.stack([s.breach[idx] for s in steps]), axis=0)
                out.first_breaker += np.bincount(who, minlength=n)
        # Reactions to this period's observations (strategies must not modify `seen`).
        for j in range(n):
            src = sources[j]
            if len(src) == 1:
                seen = steps[src[0]].obs
            elif src:
                seen = seen_buf
                np.copyto(seen, steps[src[0]].obs)
                for i in src[1:]:
                    seen |= steps[i].obs
            else:
                seen = none_seen
            np.logical_and(strats[j].react(states[j], seen, rng), seen, out=resp[j])
        if fa_watch:
            for j in range(n):
                clock = fa_clock[j]
                np.minimum(clock, 65_534, out=clock)
                clock += 1
                for i in sources[j]:
                    if steps[i].has_fa:
                        np.copyto(clock, 0, where=steps[i].fa)
        if n_collapsed == runs:
            continue
        if by_breach:
            idx = _first_time([s.real for s in steps], collapsed, any_resp, newly)
        else:
            idx = _first_time(resp, collapsed, any_resp, newly)
        if idx.size:
            n_collapsed += idx.size
            out.collapses[t] = idx.size
            if groups is not None and out.group_collapses is not None:
                out.group_collapses[t] += np.bincount(groups[idx],
                                                      minlength=out.group_collapses.shape[1])
            if by_breach:
                _attribute_breach(out, idx, steps, fa_clock, model.response_periods)
            else:
                _attribute(out, idx, steps, resp, model.releases)
    return out


def _attribute_breach(out: ChunkStats, idx: np.ndarray, steps: list[_PartyStep],
                      fa_clock: list[np.ndarray], window: int) -> None:
    """Blame each new collapse on the first-listed party whose real breach was observed; the
    cause is a false alarm when that party had seen one within ``window`` periods."""
    left = np.ones(idx.size, bool)
    for i, step in enumerate(steps):
        blamed = step.real[idx] & left
        if not blamed.any():
            continue
        left &= ~blamed
        answered = blamed & (fa_clock[i][idx] <= window) if fa_clock else \
            np.zeros(idx.size, bool)
        out.trigger[i, 1] += int(np.count_nonzero(answered))
        out.trigger[i, 0] += int(np.count_nonzero(blamed & ~answered))
        out.walkouts[i] += int(np.count_nonzero(blamed))


def _attribute(out: ChunkStats, idx: np.ndarray, steps: list[_PartyStep],
               resp: list[np.ndarray], releases) -> None:
    """Blame each new collapse on one party: one whose observed breach drew a response,
    preferring a real breach to a false alarm, then the earlier-listed party."""
    n = len(steps)
    responded = [r[idx] for r in resp]
    for j in range(n):
        out.walkouts[j] += np.count_nonzero(responded[j])
    trig = []
    for i in range(n):
        observers = [responded[j] for j in range(n) if releases[i][j]]
        hit = np.zeros(idx.size, bool)
        for r in observers:
            hit |= r
        trig.append(hit & steps[i].obs[idx])
    left = np.ones(idx.size, bool)
    for cause in (0, 1):
        for i in range(n):
            blamed = trig[i] & left
            if cause == 0 and steps[i].has_fa:
                blamed &= steps[i].real[idx]
            count = np.count_nonzero(blamed)
            if count:
                out.trigger[i, cause] += count
                left &= ~blamed


def plan_chunks(runs: int, chunk_size: int) -> list[int]:
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1:
        raise ParameterError.single("must be a positive integer", field="runs", value=runs)
    if runs > MAX_RUNS:
        raise ParameterError.single(f"at most {MAX_RUNS:,} runs per call", field="runs",
                                    value=runs)
    if chunk_size < 1:
        raise ParameterError.single("must be a positive integer", field="chunk_size",
                                    value=chunk_size)
    full, rest = divmod(int(runs), int(chunk_size))
    return [chunk_size] * full + ([rest] if rest else [])


def run(model: Model, strats: Mapping[str, Strategy | str] | Sequence[Strategy], runs: int,
        seed: np.random.SeedSequence, *, chunk_size: int = DEFAULT_CHUNK,
        workers: int | None = None, progress: Progress | None = None) -> list[ChunkStats]:
    """Every chunk's counts, in chunk order, computed on ``workers`` threads (default: all
    cores; NumPy releases the GIL in its loops and in the generator)."""
    ordered = resolve_strategies(model, strats)
    sizes = plan_chunks(runs, chunk_size)
    seeds = seed_children(seed, len(sizes))
    workers = max(1, min(workers or os.cpu_count() or 1, len(sizes)))
    results: list[Any] = [None] * len(sizes)
    if workers == 1:
        for c, (size, s) in enumerate(zip(sizes, seeds, strict=True)):
            results[c] = run_chunk(model, ordered, size, s)
            if progress:
                progress("simulating", c + 1, len(sizes))
        return results
    with ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(run_chunk, model, ordered, size, s): c
                   for c, (size, s) in enumerate(zip(sizes, seeds, strict=True))}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress:
                progress("simulating", done, len(sizes))
    return results


def resolve_strategies(model: Model, strats: Mapping[str, Strategy | str] | Sequence[Strategy]
                       ) -> list[Strategy]:
    """One strategy per simulated party, in the model's order (default: the party's fitted
    behaviour, ``model.behaviour``, else ``grim``; the name ``fitted`` asks for it)."""
    def one(code: str, value: Strategy | str) -> Strategy:
        if isinstance(value, str) and value.strip() == "fitted":
            if code not in model.behaviour:
                raise ParameterError.single(
                    "no fitted behaviour for this party (build the model from the event "
                    "store, without a rate for it)", field="strategy", value=f"{code}=fitted")
            return model.behaviour[code]
        return strategies_mod.resolve(value)

    if not isinstance(strats, Mapping):
        strats = list(strats)
        if len(strats) != len(model.parties):
            raise ParameterError.single(f"need one strategy per party {model.codes}",
                                        field="strategy", value=len(strats))
        return [one(code, s) for code, s in zip(model.codes, strats, strict=True)]
    for code in strats:
        model.index(code)
    return [one(code, strats.get(code, model.behaviour.get(code, "grim")))
            for code in model.codes]
