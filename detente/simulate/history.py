"""An agreement's record as weekly series: who acted when, what the record could see, context.

The fitted behaviour (``detente.simulate.hazard``) and the backtest (``detente.evaluate``) read
the record through this module only. Events come from ``matcher.compile`` (an act of a party is
an event that would breach one of its restraint commitments in the agreement); context events
(talks, summits and agreements among the six parties; combined exercises held) come from the
same compiler, through a synthetic agreement. ``Record.cut(day)`` keeps only what was known
before ``day``: events dated before it (their last day clipped) and coverage up to the day
before, so a fit or a state read at ``day`` never sees the future.

Weeks are counted back from the cut: week ``W - 1`` is the seven days before the cut, week
``W - 2`` the seven before those, and so on. A party *acted* in a week when one of its acts was
in force on one of its days; a week is *observed* for a party when none of its days is blind
for any of the party's commitments (``coverage`` level ``none``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from detente import matcher
from detente.agreements.spec import Agreement, Commitment, Selector, Verification
from detente.simulate.model import restraints

FIRST = dt.date(1950, 1, 1)
SIX = ("PRK", "USA", "KOR", "CHN", "JPN", "RUS")
DIPLOMACY = ("talks", "summit", "agreement")
EXERCISE_STATUSES = ["held", "scaled_down", "computer_simulated"]
_SEEN = Verification(means="context", detection=1.0)


def restraint_agreement(agreement: Agreement) -> Agreement:
    """The agreement with its restraint commitments only and no fixed term (what is forecast:
    the first breach of what the parties refrain from)."""
    kept = [c.model_copy(update={"undertakes": []}) for c in agreement.commitments
            if c.refrains_from]
    return agreement.model_copy(update={"commitments": kept, "end": None})


def _context_agreement() -> Agreement:
    commitments = [Commitment(id=f"diplomacy-{p}", party=p, verification=_SEEN,
                              refrains_from=[Selector(kind=k) for k in DIPLOMACY]) for p in SIX]
    commitments += [Commitment(id=f"exercises-{p}", party=p, verification=_SEEN, refrains_from=[
        Selector(kind="military_exercise", where={"status": EXERCISE_STATUSES})])
        for p in ("USA", "KOR")]
    return Agreement(id="context", title="context", parties=list(SIX), start=FIRST,
                     commitments=commitments)


def _merge(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day ranges sorted by first day (overlaps kept: every range marks its own weeks)."""
    order = np.argsort(first, kind="stable")
    return first[order].astype(np.int64), last[order].astype(np.int64)


@dataclass(frozen=True)
class Record:
    """Acts per party, blind days per party, context, as day numbers (``matcher.day_number``)."""

    agreement: str
    parties: tuple[str, ...]                  # parties with restraint commitments
    acts: dict[str, tuple[np.ndarray, np.ndarray]]
    blind: dict[str, tuple[np.ndarray, np.ndarray]]
    context: dict[str, tuple[np.ndarray, np.ndarray]]
    releasers: dict[str, tuple[str, ...]]     # party -> parties whose breach releases it
    response_days: int
    end: int                                  # last day known (inclusive)
    detection: dict[str, float] = field(default_factory=dict)  # party -> mean detection
    declared: bool = True
    weights: dict[str, float] = field(default_factory=dict)  # commitment -> share of breaches

    def cut(self, day: int) -> Record:
        """What was known before ``day``: events dated before it, blind spans to ``day - 1``
        (a day past the known end is blind)."""
        last = min(day - 1, self.end)

        def keep(pair):
            first, final = pair
            m = first <= last
            return first[m], np.minimum(final[m], last)

        def blind(pair):
            first, lastb = pair
            m = first <= last
            return first[m], np.minimum(lastb[m], last)

        return Record(self.agreement, self.parties,
                      {p: keep(v) for p, v in self.acts.items()},
                      {p: blind(v) for p, v in self.blind.items()},
                      {k: keep(v) for k, v in self.context.items()},
                      self.releasers, self.response_days, last, self.detection,
                      self.declared, self.weights)

    def blind_in(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """For each window ``first[k]..last[k]`` (day numbers): whether a day of it is blind
        for some party."""
        first, last = np.asarray(first), np.asarray(last)
        out = np.zeros(len(first), bool)
        for p in self.parties:
            b0, b1 = self.blind[p]
            if len(b0):
                out |= ((b0[None, :] <= last[:, None]) & (b1[None, :] >= first[:, None])).any(1)
        return out

    def weeks(self, day: int, count: int) -> Weeks:
        """The ``count`` weeks before ``day`` (which must be at most ``end + 1``)."""
        base = day - 7 * count
        acted = {p: _mark(*self.acts[p], base, count) for p in self.parties}
        observed = {p: ~_mark(*self.blind[p], base, count) for p in self.parties}
        context = {k: _mark(*v, base, count) for k, v in self.context.items()}
        return Weeks(base, count, acted, observed, context)


@dataclass(frozen=True)
class Weeks:
    """Weekly indicators over ``count`` weeks from day ``base``."""

    base: int
    count: int
    acted: dict[str, np.ndarray]
    observed: dict[str, np.ndarray]
    context: dict[str, np.ndarray]


def _mark(first: np.ndarray, last: np.ndarray, base: int, count: int) -> np.ndarray:
    """Bool per week: some range ``first[k]..last[k]`` overlaps it."""
    out = np.zeros(count + 1, np.int64)
    lo = np.floor_divide(first - base, 7)
    hi = np.floor_divide(last - base, 7)
    keep = (hi >= 0) & (lo < count)
    np.add.at(out, np.clip(lo[keep], 0, count), 1)
    np.add.at(out, np.clip(hi[keep] + 1, 0, count), -1)
    return np.cumsum(out[:count]) > 0


def load(agreement: Agreement, store, until: dt.date | None = None) -> Record:
    """The record of ``agreement``'s restraint acts up to ``until`` (default: the record's last
    day), with the blind spans of each party's commitments and the context events."""
    kept = restraint_agreement(agreement)
    end = until or store.record_end()
    compiled = matcher.compile(kept)
    frame = compiled.frame(store, FIRST, end)
    seen = compiled.observability(store, FIRST, end)
    d, final = frame["d"].to_numpy(np.int64), frame["l"].to_numpy(np.int64)
    parties = tuple(p for p in kept.parties if restraints(kept, p))
    acts, blind, detection, weights = {}, {}, {}, {}
    for p in parties:
        # Each commitment's share of the party's acts, corrected for its detection (the
        # record holds what was seen), as the rate estimate shares them.
        raw = {r.commitment.id: frame[r.column].to_numpy(bool).sum()
               / max(r.commitment.verification.detection, 1e-9)
               for r in compiled.acts() if r.party == p}
        total = sum(raw.values())
        weights.update({c: (v / total if total else 1 / len(raw)) for c, v in raw.items()})
        mask = np.zeros(len(frame), bool)
        for rule in compiled.acts():
            if rule.party == p:
                mask |= frame[rule.column].to_numpy(bool)
        acts[p] = _merge(d[mask], final[mask])
        firsts, lasts = [], []
        for c in restraints(kept, p):
            a, b = seen.intervals(c.id, "none")
            firsts.append(a)
            lasts.append(b)
        blind[p] = _merge(np.concatenate(firsts), np.concatenate(lasts))
        mine = restraints(kept, p)
        detection[p] = float(np.mean([c.verification.detection for c in mine]))
    context_spec = _context_agreement()
    ctx = matcher.compile(context_spec)
    cframe = ctx.frame(store, FIRST, end)
    cd, cl = cframe["d"].to_numpy(np.int64), cframe["l"].to_numpy(np.int64)
    context = {}
    for name in ("diplomacy", "exercises"):
        mask = np.zeros(len(cframe), bool)
        for rule in ctx.acts():
            if rule.commitment.id.startswith(name):
                mask |= cframe[rule.column].to_numpy(bool)
        context[name] = _merge(cd[mask], cl[mask])
    releasers = {p: tuple(q for q in parties if q != p
                          and p in kept.reciprocity.released_by(q, list(kept.parties)))
                 for p in parties}
    return Record(agreement.id, parties, acts, blind, context, releasers,
                  agreement.response_window_days, matcher.day_number(end), detection,
                  seen.declared, weights)
