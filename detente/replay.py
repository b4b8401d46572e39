"""Historical what-if: replay an agreement from every start date in a range, in one pass.

For each start ``s`` the agreement runs over ``[s, s + (end - start)]`` when the spec has an end
(a fixed-term agreement keeps its length) or ``[s, record_end]`` when it is open-ended; the answer
for ``s`` is exactly what ``monitor.check(agreement, store, start=s, end=..., as_of=record_end)``
reports as its first breach (tests check this against a naive replay).

Method: one SQL query (``matcher.compile(agreement).frame``) fetches, for every commitment and
undertaking, the (date, last day, id) of every matching event; then, per commitment, with the
events sorted by (date, id) and ``M`` the running maximum of their last days,
``numpy.searchsorted`` answers all starts at once: an event covers ``s`` iff the first index with
``M >= s`` has date ``<= s`` (breach on ``s``); otherwise the next event with date ``> s`` is the
breach. The first breach of the agreement is the earliest over commitments; parties breaching on
that day are joint first breakers (``USA+KOR``).

Blind spots: where the record's coverage cannot see a commitment (``matcher.Observability``), a
start whose replay reaches a blind day before its first breach (or before its end, if unbroken)
is **unobserved**: nobody knows whether the blind party broke it first. It is not counted as
compliance: it enters the survival curve censored at its first blind day (it held at least that
long, as far as anyone saw) and the shares of who breaks first are taken over observed starts.

Survival: Kaplan-Meier over the starts, ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``, the chance
that the agreement is still holding ``t`` days after its start, with starts that reach the end of
the record (or of their term, or a blind day) unbroken censored. Starts a week apart overlap
heavily and many end at the same event, so they are not independent samples: the 95% band
(``lo``, ``hi``) is a bootstrap that draws whole start years with replacement, and the result
says how many distinct events ended the broken starts. Greenwood's band (log(-log) scale), which
treats every start as independent and is several times too narrow, is kept beside it
(``greenwood_lo``, ``greenwood_hi``). See docs/agreements.md.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detente import matcher, monitor
from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from detente.events.store import Store

EPOCH = matcher.EPOCH
_NEVER = np.iinfo(np.int64).max // 4
STARTS_COLUMNS = ["start", "breach_date", "days_held", "breaker", "commitment", "event_id",
                  "censored", "observed", "blind_from", "blind_commitment", "thin"]
SURVIVAL_COLUMNS = ["days", "p", "lo", "hi"]
BAND_COLUMNS = [*SURVIVAL_COLUMNS, "greenwood_lo", "greenwood_hi"]
BOOTSTRAP_DRAWS = 1000
UNOBSERVED = "unobserved"


def _day(value: dt.date) -> int:
    return (value - EPOCH).days


def _date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


@dataclass(frozen=True)
class WhatIfResult:
    """Per start: the first breach (or censoring, or a blind day); the survival curve; who
    breaks first, over the observed starts."""

    agreement: str
    start: dt.date
    end: dt.date
    step_days: int
    record_end: dt.date
    term_days: int | None
    starts: pd.DataFrame
    survival: pd.DataFrame
    shares: pd.DataFrame
    coverage_declared: bool = True
    band: str = "greenwood"        # what lo/hi are: "year" (bootstrap of start years) or
    ending_events: int = 0         # distinct events that ended the broken starts
    bootstrap_draws: int = 0

    @property
    def breached(self) -> int:
        return int((~self.starts["censored"]).sum())

    @property
    def unobserved(self) -> int:
        """Starts whose outcome the record cannot tell (a blind day came first)."""
        return int((~self.starts["observed"]).sum())

    @property
    def observed(self) -> int:
        return len(self.starts) - self.unobserved

    @property
    def thin(self) -> int:
        """Observed starts whose replay rests on a partial source somewhere."""
        return int((self.starts["observed"] & self.starts["thin"]).sum())

    @property
    def median_days(self) -> float | None:
        """The first ``t`` with ``S(t) <= 0.5``, or None if the curve never gets there."""
        return _crossing(self.survival, "p")

    @property
    def median_interval(self) -> tuple[float | None, float | None]:
        """The 95% interval of the median, read off the band: from the first ``t`` whose lower
        bound is at or below 0.5 to the first whose upper bound is (None: not reached within
        the observation, i.e. beyond it)."""
        return _crossing(self.survival, "lo"), _crossing(self.survival, "hi")


    def tables(self) -> dict[str, pd.DataFrame]:
        """``starts`` (one row per start, first), ``survival`` and ``shares`` (the results
        contract, ``detente.results``)."""
        starts = self.starts.copy()
        for column in ("start", "breach_date", "blind_from"):
            starts[column] = starts[column].dt.date
        return {"starts": starts, "survival": self.survival.copy(),
                "shares": self.shares.copy()}

    def to_json_dict(self) -> dict[str, Any]:
        starts = []
        row: Any  # pandas-stubs types every itertuples field as any scalar
        for row in self.starts.itertuples(index=False):
            starts.append({
                "start": row.start.date().isoformat(),
                "breach_date": None if pd.isna(row.breach_date)
                else row.breach_date.date().isoformat(),
                "days_held": int(row.days_held), "breaker": row.breaker,
                "commitment": row.commitment, "event_id": row.event_id,
                "censored": bool(row.censored), "observed": bool(row.observed),
                "blind_from": None if pd.isna(row.blind_from)
                else row.blind_from.date().isoformat(),
                "blind_commitment": row.blind_commitment, "thin": bool(row.thin)})
        return {
            "agreement": self.agreement, "from": self.start.isoformat(),
            "to": self.end.isoformat(), "step_days": self.step_days,
            "record_end": self.record_end.isoformat(), "term_days": self.term_days,
            "n_starts": len(self.starts), "breached": self.breached,
            "censored": len(self.starts) - self.breached - self.unobserved,
            "unobserved": self.unobserved, "thin": self.thin,
            "coverage_declared": self.coverage_declared, "median_days": self.median_days,
            "median_interval_days": list(self.median_interval),
            "band": self.band, "ending_events": self.ending_events,
            "bootstrap_draws": self.bootstrap_draws,
            "shares": self.shares.to_dict(orient="records"),
            "survival": self.survival.to_dict(orient="records"),
            "starts": starts,
        }


def _crossing(curve: pd.DataFrame, column: str) -> float | None:
    below = curve[curve[column] <= 0.5]
    return float(below["days"].iloc[0]) if len(below) else None


def _first_on_or_after(d: np.ndarray, lasts: np.ndarray, starts: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """For each start ``s``: the first day >= s on which one of the events (sorted by date, id)
    is in force, and the index of the first such event (date, id order); ``_NEVER``/-1 if none."""
    n = len(d)
    if n == 0:
        return np.full(len(starts), _NEVER, np.int64), np.full(len(starts), -1, np.int64)
    running = np.maximum.accumulate(lasts)
    upto = np.searchsorted(d, starts, side="right")      # events dated <= s
    cover = np.searchsorted(running, starts, side="left")  # first event lasting to >= s
    covered = cover < upto
    nxt = upto                                            # first event dated > s
    has_next = nxt < n
    day = np.where(covered, starts, np.where(has_next, d[np.minimum(nxt, n - 1)], _NEVER))
    index = np.where(covered, cover, np.where(has_next, nxt, -1))
    return day.astype(np.int64), index.astype(np.int64)


def _first_blind_day(first: np.ndarray, last: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For each start ``s``: the first day >= s inside one of the disjoint, sorted spans
    ``first[k]..last[k]``, or ``_NEVER``."""
    if len(first) == 0:
        return np.full(len(starts), _NEVER, np.int64)
    k = np.searchsorted(last, starts, side="left")       # first span ending on or after s
    inside = k < len(first)
    return np.where(inside, np.maximum(first[np.minimum(k, len(first) - 1)], starts), _NEVER)


def whatif(agreement: Agreement, store: Store, start: dt.date, end: dt.date, step_days: int = 7,
           *, record_end: dt.date | None = None, bootstrap: int = BOOTSTRAP_DRAWS,
           seed: int = 0, frame: pd.DataFrame | None = None) -> WhatIfResult:
    """Replay ``agreement`` from ``start``, ``start + step_days``, ... up to ``end``.

    ``record_end`` (default: the last day the record covers) is where observation stops:
    starts that reach it unbroken are censored; ``end`` is clipped to it. The survival band
    (``lo``, ``hi``) is a bootstrap of start years (``bootstrap`` draws, ``seed``; 0 draws:
    Greenwood's band, which treats overlapping starts as independent). ``frame``: the
    agreement's matched events from ``start`` to ``record_end`` (``Matcher.frame``), when
    already gathered (``detente.scale.whatif_many`` reads them part by part).
    """
    if step_days < 1:
        raise ParameterError.single("must be at least 1 day", field="step_days", value=step_days)
    if end < start:
        raise ParameterError.single(f"is before the first start {start}", field="end",
                                    value=str(end))
    record_end = record_end or monitor.record_end(store)
    if start > record_end:
        raise ParameterError.single(f"is after the end of the record ({record_end})",
                                    field="start", value=str(start))
    end = min(end, record_end)
    s = np.arange(_day(start), _day(end) + 1, step_days, dtype=np.int64)
    term = (agreement.end - agreement.start).days if agreement.end is not None else None
    horizon = np.minimum(s + term, _day(record_end)) if term is not None \
        else np.full(len(s), _day(record_end), np.int64)

    compiled = matcher.compile(agreement)
    if frame is None:
        frame = compiled.frame(store, start, record_end)
    seen = compiled.observability(store, start, record_end)
    d_all, l_all = frame["d"].to_numpy(np.int64), frame["l"].to_numpy(np.int64)
    ids = frame["id"].to_numpy(object)

    # One candidate per (commitment, kind) row; code orders ties as the monitor does:
    # (date, commitment order, act before defaults, undertakings by id).
    n_units = max([len(c.undertakes) for c in agreement.commitments] + [0])
    codes, events, rows = [], [], []
    for rule in compiled.rules:
        i, c = rule.position, rule.commitment
        mask = frame[rule.column].to_numpy(bool)
        if rule.undertaking is None:
            day, index = _first_on_or_after(d_all[mask], l_all[mask], s)
            day = np.where(day <= horizon, day, _NEVER)
            ev = np.where(index >= 0, ids[mask][np.maximum(index, 0)] if mask.any() else None,
                          None)
            codes.append(day)
            # numpy's stubs refuse None in np.where; it makes an object array
            events.append(np.where(day < _NEVER, ev, None))  # type: ignore[call-overload]
            rows.append((i, 0))
            continue
        u = rule.undertaking
        rank = {x.id: k for k, x in enumerate(sorted(c.undertakes, key=lambda x: x.id))}
        met_day, _ = _first_on_or_after(d_all[mask], l_all[mask], s)
        if u.within_days is not None:
            deadline = s + u.within_days
        else:
            assert u.by is not None  # the validator requires one of the two
            deadline = np.full(len(s), _day(u.by), np.int64)
        due = np.maximum(deadline + 1, s)
        missed = (met_day > deadline) & (deadline < _day(record_end)) & (due <= horizon)
        codes.append(np.where(missed, due, _NEVER))
        events.append(np.full(len(s), None, object))
        rows.append((i, 1 + rank[u.id]))
    width = n_units + 1
    if codes:
        stacked = np.stack(codes)
        order = np.array([i * width + k for i, k in rows], np.int64)[:, None]
        key = np.where(stacked < _NEVER, stacked * (len(agreement.commitments) * width) + order,
                       np.iinfo(np.int64).max)
        best = np.argmin(key, axis=0)
        breach = stacked[best, np.arange(len(s))] < _NEVER
        breach_day = np.where(breach, stacked[best, np.arange(len(s))], -1)
        evidence = np.stack(events)[best, np.arange(len(s))]
    else:
        stacked = np.empty((0, len(s)), np.int64)
        best = np.zeros(len(s), np.int64)
        breach = np.zeros(len(s), bool)
        breach_day = np.full(len(s), -1)
        evidence = np.full(len(s), None, object)
    commitment_of = np.array([agreement.commitments[i].id for i, _ in rows] or [""], object)

    # Joint first breakers: every party with an act or default on the first breach day.
    on_first = {}
    for party in agreement.parties:
        own = [k for k, (i, _) in enumerate(rows) if agreement.commitments[i].party == party]
        first_day = stacked[own].min(axis=0) if own else np.full(len(s), _NEVER)
        on_first[party] = breach & (first_day == breach_day)
    breaker = np.array(["+".join(p for p in agreement.parties if on_first[p][k]) or None
                        for k in range(len(s))], dtype=object)

    # Blind days: the first day >= s on which some commitment cannot be seen at all.
    outcome = np.where(breach, breach_day, horizon)
    blind = np.full(len(s), _NEVER, np.int64)
    blind_of = np.full(len(s), None, object)
    thin_day = np.full(len(s), _NEVER, np.int64)
    for c in agreement.commitments:
        mine = _first_blind_day(*seen.intervals(c.id, "none"), s)
        earlier = mine < blind
        blind = np.where(earlier, mine, blind)
        blind_of = np.where(earlier, c.id, blind_of)
        thin_day = np.minimum(thin_day, _first_blind_day(*seen.intervals(c.id, "partial"), s))
    unseen = np.where(breach, blind < breach_day, blind <= horizon)
    observed = ~unseen
    breach &= observed
    held = np.where(breach, breach_day - s, np.where(unseen, blind - s, horizon - s + 1))

    starts = pd.DataFrame({
        "start": pd.to_datetime(s, unit="D"),
        "breach_date": pd.to_datetime(np.where(breach, breach_day, np.nan), unit="D"),
        "days_held": held.astype(np.int64),
        # object columns keep None (a string dtype would turn it into NaN); numpy's stubs refuse
        # None in np.where (it makes an object array), which pandas-stubs then reads as str data
        "breaker": pd.Series(np.where(breach, breaker, None), dtype=object),  # type: ignore[call-overload, arg-type]
        "commitment": pd.Series(np.where(breach, commitment_of[best], None), dtype=object),
        "event_id": pd.Series(np.where(breach, evidence, None), dtype=object),
        "censored": ~breach,
        "observed": observed,
        "blind_from": pd.to_datetime(np.where(unseen, blind, np.nan), unit="D"),
        "blind_commitment": pd.Series(np.where(unseen, blind_of, None), dtype=object),  # type: ignore[call-overload, arg-type]
        "thin": observed & (thin_day <= outcome),
    }, columns=STARTS_COLUMNS)
    survival = kaplan_meier(held, breach)
    band = "greenwood"
    if bootstrap > 0 and breach.any():
        years = pd.to_datetime(s, unit="D").year.to_numpy()
        lo, hi = bootstrap_band(held, breach, years, survival["days"].to_numpy(),
                                draws=bootstrap, seed=seed)
        survival = survival.rename(columns={"lo": "greenwood_lo", "hi": "greenwood_hi"})
        survival.insert(2, "lo", lo)
        survival.insert(3, "hi", hi)
        survival = survival[BAND_COLUMNS]
        band = "year"
    among = {p: int((on_first[p] & observed).sum()) for p in agreement.parties}
    shares = who_breaks_first(starts, agreement.parties, among)
    endings = {e for e, b in zip(evidence, breach, strict=True) if b and e is not None}
    endings |= {f"{c}@{d}" for e, b, c, d in zip(evidence, breach, commitment_of[best],
                                                   breach_day, strict=True)
                if b and e is None}  # a missed undertaking: one ending per commitment and day
    return WhatIfResult(agreement=agreement.id, start=start, end=end, step_days=step_days,
                        record_end=record_end, term_days=term, starts=starts, survival=survival,
                        shares=shares, coverage_declared=seen.declared, band=band,
                        ending_events=len(endings),
                        bootstrap_draws=bootstrap if band == "year" else 0)


def bootstrap_band(days_held: np.ndarray, breached: np.ndarray, clusters: np.ndarray,
                   times: np.ndarray, *, draws: int = BOOTSTRAP_DRAWS, seed: int = 0,
                   confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """A percentile band of the Kaplan-Meier curve at ``times`` from a cluster bootstrap:
    whole clusters of starts (their start year) are drawn with replacement, since starts a
    week apart share their ending events and are far from independent."""
    from scipy import sparse

    days_held = np.asarray(days_held, np.int64)
    breached = np.asarray(breached, bool)
    order, cluster = np.unique(clusters, return_inverse=True)
    rng = np.random.Generator(np.random.SFC64(seed))
    c = len(order)
    picks = rng.integers(0, c, size=(draws, c)) + c * np.arange(draws)[:, None]
    counts = np.bincount(picks.ravel(), minlength=draws * c).reshape(draws, c).astype(float)
    weights = counts[:, cluster]                                    # draws x starts
    event_times = np.unique(days_held[breached])
    k = len(event_times)
    n = len(days_held)
    # At risk at the i-th event time while i < reach (breached: t <= held; censored: t < held).
    reach = np.where(breached, np.searchsorted(event_times, days_held, side="right"),
                     np.searchsorted(event_times, days_held, side="left"))
    at = sparse.csr_matrix((np.ones(n), (np.arange(n), reach)), shape=(n, k + 1))
    risk = (sparse.csr_matrix(weights) @ at).toarray()
    risk = np.cumsum(risk[:, ::-1], axis=1)[:, ::-1][:, 1:]   # n_i: reach > i
    index = np.searchsorted(event_times, days_held[breached])
    ev = sparse.csr_matrix((np.ones(len(index)), (np.flatnonzero(breached), index)),
                           shape=(n, k))
    deaths = (sparse.csr_matrix(weights) @ ev).toarray()
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(risk > 0, 1.0 - deaths / risk, 1.0)
    curves = np.cumprod(step, axis=1)
    # Each requested time takes the curve at the last event time <= it.
    position = np.searchsorted(event_times, times, side="right") - 1
    at_times = np.where(position[None, :] >= 0, curves[:, np.maximum(position, 0)], 1.0)
    tail = (1 - confidence) / 2
    return (np.quantile(at_times, tail, axis=0), np.quantile(at_times, 1 - tail, axis=0))


def kaplan_meier(days_held: np.ndarray, breached: np.ndarray, confidence: float = 0.95
                 ) -> pd.DataFrame:
    """Kaplan-Meier ``S(t) = P(days_held > t)`` with a Greenwood log(-log) band.

    A censored start with ``days_held = C`` was seen holding on days ``0..C-1``, so it is at risk
    at ``t`` iff ``t < C``; a breached one with ``days_held = k`` is at risk iff ``t <= k``.
    Rows: ``t = 0`` and every breach time (where the curve steps).
    """
    from scipy.stats import norm

    days_held = np.asarray(days_held, np.int64)
    breached = np.asarray(breached, bool)
    z = float(norm.ppf(0.5 + confidence / 2))
    times = np.unique(days_held[breached])
    rows = [] if (len(times) and times[0] == 0) else [(0, 1.0, 1.0, 1.0)]
    s_t, green = 1.0, 0.0
    event_sorted = np.sort(days_held[breached])
    censor_sorted = np.sort(days_held[~breached])
    for t in times:
        d = int(np.searchsorted(event_sorted, t, "right") - np.searchsorted(event_sorted, t))
        n = int(len(event_sorted) - np.searchsorted(event_sorted, t, "left")
                + len(censor_sorted) - np.searchsorted(censor_sorted, t, "right"))
        s_t *= 1.0 - d / n
        green = green + d / (n * (n - d)) if n > d else math.inf
        if s_t <= 0.0:
            rows.append((int(t), 0.0, 0.0, 0.0))
            continue
        log_s = math.log(s_t)
        if log_s == 0.0 or not math.isfinite(green):
            rows.append((int(t), s_t, s_t, s_t))
            continue
        se = math.sqrt(green) / abs(log_s)
        rows.append((int(t), s_t, s_t ** math.exp(z * se), s_t ** math.exp(-z * se)))
    return pd.DataFrame(rows, columns=SURVIVAL_COLUMNS)


SHARES_COLUMNS = ["breaker", "starts", "share", "share_of_observed", "share_of_breached",
                  "among_first"]


def who_breaks_first(starts: pd.DataFrame, parties: list[str],
                     among_first: dict[str, int] | None = None) -> pd.DataFrame:
    """Who broke it first: one row per party (starts it broke first alone), one per group of
    joint first breakers that occurs (``USA+KOR``), ``none`` (observed and unbroken) and
    ``unobserved`` (a blind day came first). ``share`` is of all starts, ``share_of_observed``
    of the observed ones, ``share_of_breached`` of the observed broken ones; ``among_first``:
    in how many observed starts the party breached on the first breach day at all."""
    total = len(starts)
    observed = starts["observed"] if "observed" in starts else pd.Series(True, starts.index)
    n_observed = int(observed.sum())
    broken = int((~starts["censored"]).sum())
    labels = list(parties) + sorted({b for b in starts["breaker"].dropna() if "+" in b},
                                    key=lambda b: [parties.index(p) for p in b.split("+")])
    rows = []
    for label in labels:
        n = int((starts["breaker"] == label).sum())
        rows.append({"breaker": label, "starts": n, "share": n / total if total else 0.0,
                     "share_of_observed": n / n_observed if n_observed else 0.0,
                     "share_of_breached": n / broken if broken else 0.0,
                     "among_first": (among_first or {}).get(label, n)})
    unbroken = int((observed & starts["censored"]).sum())
    rows.append({"breaker": "none", "starts": unbroken,
                 "share": unbroken / total if total else 0.0,
                 "share_of_observed": unbroken / n_observed if n_observed else 0.0,
                 "share_of_breached": 0.0, "among_first": unbroken})
    blind = total - n_observed
    rows.append({"breaker": UNOBSERVED, "starts": blind, "share": blind / total if total else 0.0,
                 "share_of_observed": 0.0, "share_of_breached": 0.0, "among_first": blind})
    return pd.DataFrame(rows, columns=SHARES_COLUMNS)
