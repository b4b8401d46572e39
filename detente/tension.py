"""Tension index per dyad, and quiet windows (periods with no provocation).

**Dyad.** An event belongs to dyad A-B when one side acts on the other (the actor, or one of
``attrs.parties`` for joint acts, is A and the target B, or the reverse) and, unless
``unilateral=False``, when either side acts with no target (tests, exercises, statements).

**Event weight.** Every event of the dyad gets a
weight on the Goldstein conflict-cooperation scale (-10 most conflictual, +10 most
cooperative): its own ``attrs.goldstein`` when the source codes one (GDELT, ICEWS intensity,
POLECAT intensity), otherwise the kind's weight from :data:`KIND_WEIGHTS`, anchored on the
Goldstein score of the CAMEO code nearest the kind (``kinds.CODES``). With ``per_mention`` a
coded event counts once per news mention (``attrs.mentions``, GDELT).

**Series.** Per day (or ISO week, Monday first) over the whole span, days without events
included: ``events``; ``conflict`` = sum of -w over negative weights; ``cooperation`` = sum of
w over positive weights; ``tension`` = conflict - cooperation (= -sum w); ``mean_weight``.
**Smoothing**: an exponentially weighted moving average of ``tension`` with half-life ``h``
(in days, converted to periods for weekly series): s_0 = x_0, s_t = (1 - a) s_(t-1) + a x_t,
a = 1 - 2^(-1/h).

**Windows.** A provocation is an event whose kind is in ``kinds`` (default: nuclear tests,
missile tests, provocations; coded data reach ``provocation`` through the CAMEO/PLOVER mapping)
or, with ``max_weight``, whose weight is at most that. Between consecutive provocation days
lie the quiet windows; each is listed with its first and last quiet day, its length, the
provocations that opened and ended it (none for the first, and an open window still running
at the end of the record is marked ``ongoing``). Quiet needs a record that could have seen a
provocation: a stretch in which no source covers the provocation kinds (by the actors asked
for; ``detente.events.coverage``) is blind, not quiet, so a window stops at a blind stretch
(``ended_blind``) and the next one starts after it (``opened_blind``). The span runs to the
last day the record covers (``Store.record_end``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from detente.dates import parse_days
from detente.errors import ParameterError
from detente.events import coverage
from detente.events.kinds import Kind
from detente.events.store import Store
from detente.sql import literal

ONE_DAY = dt.timedelta(days=1)

# Weight of an event with no coded Goldstein score, by kind (see the module docstring).
KIND_WEIGHTS: dict[str, float] = {
    Kind.NUCLEAR_TEST: -10.0,          # the scale's extreme (CAMEO 20x)
    Kind.MISSILE_TEST: -7.2,           # CAMEO 150 demonstrate military power
    Kind.MILITARY_EXERCISE: -7.2,      # CAMEO 150; by status, see EXERCISE_WEIGHTS
    Kind.SANCTIONS_DESIGNATION: -8.0,  # CAMEO 163 impose sanctions
    Kind.SANCTIONS_RESOLUTION: -8.0,   # CAMEO 163
    Kind.PROVOCATION: -7.0,            # CAMEO 138 threaten with military force
    Kind.SUMMIT: 7.0,                  # CAMEO 046 negotiate (at the top)
    Kind.TALKS: 7.0,                   # CAMEO 046 engage in negotiation
    Kind.AGREEMENT: 8.0,               # CAMEO 057 sign formal agreement
    Kind.PROPOSAL: 4.0,                # CAMEO 036 express intent to meet or negotiate
    Kind.ANNOUNCEMENT: 0.0,            # CAMEO 010 make statement
    Kind.OTHER: 0.0,                   # no code, no score
}
# An exercise scaled down or simulated weighs half; one postponed, suspended or cancelled is a
# de-escalatory step.
EXERCISE_WEIGHTS: dict[str, float] = {"held": -7.2, "scaled_down": -3.6,
                                      "computer_simulated": -3.6, "postponed": 2.0,
                                      "suspended": 2.0, "cancelled": 2.0}
PROVOCATION_KINDS: tuple[str, ...] = (Kind.NUCLEAR_TEST, Kind.MISSILE_TEST, Kind.PROVOCATION)

_DYAD_RE = re.compile(r"^\s*([A-Z][A-Z0-9_]{1,15})\s*-\s*([A-Z][A-Z0-9_]{1,15})\s*$")


@dataclass(frozen=True)
class Dyad:
    """Two actors; events count in either direction."""

    a: str
    b: str

    @classmethod
    def parse(cls, text: str) -> Dyad:
        match = _DYAD_RE.match(text.upper())
        if not match or match[1] == match[2]:
            raise ParameterError.single("expected two different actor codes as A-B, e.g. "
                                        "PRK-USA", field="dyad", value=text)
        return cls(match[1], match[2])

    @property
    def label(self) -> str:
        return f"{self.a}-{self.b}"

    def sql(self, unilateral: bool = False) -> str:
        """Events from one side to the other; with ``unilateral`` also acts of either side
        with no target. A side is the actor or one of ``attrs.parties`` (joint acts)."""
        a, b = literal(self.a), literal(self.b)

        def side(code: str) -> str:
            return (f"(actor = {code} OR coalesce(list_contains(json_extract_string(attrs, "
                    f"'$.parties[*]'), {code}), false))")

        between = f"(({side(a)} AND target = {b}) OR ({side(b)} AND target = {a}))"
        if unilateral:
            between = f"({between} OR (target IS NULL AND ({side(a)} OR {side(b)})))"
        return between


def parse_halflife(text: str | float | None) -> float | None:
    """``"4w"`` -> 28.0, ``"10d"`` or ``"10"`` -> 10.0 (days); None stays None."""
    if text is None:
        return None
    return parse_days(text, "smooth")


def weight_sql(per_mention: bool = False) -> str:
    """SQL for an event's weight over the store's event columns (see the module docstring)."""
    kinds = " ".join(f"WHEN {literal(k)} THEN {w}" for k, w in KIND_WEIGHTS.items())
    status = " ".join(f"WHEN {literal(s)} THEN {w}" for s, w in EXERCISE_WEIGHTS.items())
    weight = f"""coalesce(TRY_CAST(json_extract_string(attrs, '$.goldstein') AS DOUBLE),
        CASE WHEN kind = 'military_exercise' THEN
             CASE json_extract_string(attrs, '$.status') {status} ELSE {KIND_WEIGHTS[
                 Kind.MILITARY_EXERCISE]} END
             ELSE CASE kind {kinds} ELSE 0.0 END END)"""
    if per_mention:
        weight = (f"({weight}) * greatest(coalesce(TRY_CAST(json_extract_string(attrs, "
                  "'$.mentions') AS DOUBLE), 1), 1)")
    return weight


def _filters(start: dt.date | None, end: dt.date | None,
             sources: Sequence[str] | None) -> list[str]:
    where = []
    if start is not None:
        where.append(f"date >= DATE '{start.isoformat()}'")
    if end is not None:
        where.append(f"date <= DATE '{end.isoformat()}'")
    if sources:
        where.append(f"source IN ({', '.join(literal(s) for s in sources)})")
    return where


def event_weights(store: Store, dyad: Dyad | str, *, start: dt.date | None = None,
                  end: dt.date | None = None, sources: Sequence[str] | None = None,
                  per_mention: bool = False, unilateral: bool = True) -> pd.DataFrame:
    """Every event of the dyad with its weight (date, id, actor, target, kind, source,
    weight): the inputs of :func:`tension`, for inspection."""
    dyad = Dyad.parse(dyad) if isinstance(dyad, str) else dyad
    where = " AND ".join([dyad.sql(unilateral), *_filters(start, end, sources)])
    return store.con.sql(f"""SELECT date, id, actor, target, kind, source,
        {weight_sql(per_mention)} AS weight FROM events WHERE {where}
        ORDER BY date, id""").df()


@dataclass(frozen=True)
class TensionSeries:
    """A dyad's tension index: one row per period (see the module docstring)."""

    dyad: Dyad
    freq: str
    halflife_days: float | None
    per_mention: bool
    unilateral: bool
    frame: pd.DataFrame = field(repr=False)

    @property
    def periods(self) -> int:
        return len(self.frame)

    @property
    def events(self) -> int:
        """The events the series counts (one side of the dyad acting on the other)."""
        return int(self.frame["events"].sum())

    def to_json_dict(self) -> dict[str, Any]:
        rows = []
        row: Any  # pandas-stubs types every itertuples field as any scalar
        for row in self.frame.itertuples(index=False):
            item = {"date": row.date.isoformat(), "events": int(row.events),
                    "conflict": float(row.conflict), "cooperation": float(row.cooperation),
                    "tension": float(row.tension),
                    "mean_weight": None if pd.isna(row.mean_weight) else float(row.mean_weight)}
            if self.halflife_days is not None:
                item["smoothed"] = float(row.smoothed)
            rows.append(item)
        return {"dyad": self.dyad.label, "freq": "weekly" if self.freq == "W" else "daily",
                "halflife_days": self.halflife_days, "per_mention": self.per_mention,
                "unilateral": self.unilateral,
                "weights": {"kinds": {str(k): v for k, v in KIND_WEIGHTS.items()},
                            "military_exercise_status": EXERCISE_WEIGHTS},
                "series": rows}

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict())


def ewma(values: np.ndarray, halflife_periods: float) -> np.ndarray:
    """s_0 = x_0, s_t = (1 - a) s_(t-1) + a x_t with a = 1 - 2^(-1/h)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return values
    alpha = 1.0 - 2.0 ** (-1.0 / halflife_periods)
    # y[t] = a x[t] + (1 - a) y[t-1] with y[-1] = x[0], so y[0] = x[0].
    out, _ = lfilter([alpha], [1.0, alpha - 1.0], values, zi=[(1.0 - alpha) * values[0]])
    return out


def tension(store: Store, dyad: Dyad | str, *, weekly: bool = False,
            smooth: str | float | None = None, start: dt.date | None = None,
            end: dt.date | None = None, sources: Sequence[str] | None = None,
            per_mention: bool = False, unilateral: bool = True) -> TensionSeries:
    """The dyad's daily (or weekly) tension series, optionally smoothed (see module doc).

    The span runs from ``start`` (default: the dyad's first event) to ``end`` (default: its
    last event), every period present. ``unilateral``: also count acts of either side with
    no target (a missile test raises tension with every adversary).
    """
    dyad = Dyad.parse(dyad) if isinstance(dyad, str) else dyad
    halflife = parse_halflife(smooth)
    if start is not None and end is not None and end < start:
        raise ParameterError.single(f"the end {end} is before the start {start}", field="to",
                                    value=end.isoformat())
    where = " AND ".join([dyad.sql(unilateral), *_filters(start, end, sources)])
    daily = store.con.sql(f"""SELECT date, count(*) AS events,
            sum(CASE WHEN w < 0 THEN -w ELSE 0 END) AS conflict,
            sum(CASE WHEN w > 0 THEN w ELSE 0 END) AS cooperation, sum(w) AS net
        FROM (SELECT date, {weight_sql(per_mention)} AS w FROM events WHERE {where})
        GROUP BY date ORDER BY date""").df()
    first = start or (daily["date"].min().date() if len(daily) else None)
    last = end or (daily["date"].max().date() if len(daily) else None)
    columns = ["date", "events", "conflict", "cooperation", "tension", "mean_weight"]
    if first is None or last is None:
        frame = pd.DataFrame(columns=columns)
    else:
        days = pd.date_range(first, last, freq="D")
        daily = daily.set_index(pd.to_datetime(daily["date"])).drop(columns="date")
        daily = daily.reindex(days, fill_value=0)
        daily.index.name = "date"
        if weekly:
            # ISO weeks, labelled by their Monday (the first week may start before `first`).
            daily = daily.resample("W-MON", label="left", closed="left").sum()
        frame = daily.reset_index()
        frame["events"] = frame["events"].astype(int)
        frame["tension"] = frame["conflict"] - frame["cooperation"]
        frame["mean_weight"] = np.where(frame["events"] > 0,
                                        frame["net"] / frame["events"].where(
                                            frame["events"] > 0, 1), np.nan)
        frame["date"] = frame["date"].dt.date
        frame = frame[columns]
    if halflife is not None:
        periods = halflife / 7.0 if weekly else halflife
        frame["smoothed"] = ewma(frame["tension"].to_numpy(dtype=float), periods)
    return TensionSeries(dyad=dyad, freq="W" if weekly else "D", halflife_days=halflife,
                         per_mention=per_mention, unilateral=unilateral,
                         frame=frame.reset_index(drop=True))


# --- windows ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Provocation:
    """An event that opened or ended a quiet window."""

    id: str
    date: dt.date
    actor: str
    target: str | None
    kind: str
    weight: float
    summary: str | None
    source: str

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "date": self.date.isoformat(), "actor": self.actor,
                "target": self.target, "kind": self.kind, "weight": self.weight,
                "summary": self.summary, "source": self.source}


@dataclass(frozen=True)
class Window:
    """Quiet days ``start..end`` (inclusive) between provocations."""

    start: dt.date
    end: dt.date
    opened_by: tuple[Provocation, ...]
    ended_by: tuple[Provocation, ...]
    ongoing: bool
    opened_blind: bool = False   # it starts after a stretch the record cannot see
    ended_blind: bool = False    # it stops where the record goes blind

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_json_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days,
                "ongoing": self.ongoing, "opened_blind": self.opened_blind,
                "ended_blind": self.ended_blind,
                "opened_by": [p.to_json_dict() for p in self.opened_by],
                "ended_by": [p.to_json_dict() for p in self.ended_by]}


@dataclass(frozen=True)
class Windows:
    """Quiet windows of at least ``min_days`` over ``start..end``."""

    start: dt.date | None
    end: dt.date | None
    min_days: int
    actors: tuple[str, ...]
    dyad: Dyad | None
    kinds: tuple[str, ...]
    max_weight: float | None
    windows: tuple[Window, ...]
    provocations: int
    blind: tuple[coverage.Span, ...] = ()    # stretches no source covers
    coverage_declared: bool = True

    @property
    def frame(self) -> pd.DataFrame:
        """One row per window: start, end, days, ongoing, ended_by (first event id), ended_on,
        ended_kind, ended_actor."""
        rows = [{"start": w.start, "end": w.end, "days": w.days, "ongoing": w.ongoing,
                 "ended_by": w.ended_by[0].id if w.ended_by else None,
                 "ended_kind": w.ended_by[0].kind if w.ended_by else None,
                 "ended_actor": w.ended_by[0].actor if w.ended_by else None}
                for w in self.windows]
        return pd.DataFrame(rows, columns=["start", "end", "days", "ongoing", "ended_by",
                                           "ended_kind", "ended_actor"])

    @property
    def current(self) -> Window | None:
        """The window running at the end of the record, if it is long enough to be listed."""
        return self.windows[-1] if self.windows and self.windows[-1].ongoing else None

    def to_json_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None, "min_days": self.min_days,
                "actors": list(self.actors), "dyad": self.dyad.label if self.dyad else None,
                "kinds": list(self.kinds), "max_weight": self.max_weight,
                "provocations": self.provocations,
                "coverage_declared": self.coverage_declared,
                "blind": [b.to_json_dict() for b in self.blind],
                "windows": [w.to_json_dict() for w in self.windows]}

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict())


def _step(day: dt.date, by: dt.timedelta) -> dt.date | None:
    """``day + by``, or None past the calendar's ends (a store written before ingest bounded
    event dates may hold 0001-01-01 or 9999-12-31: no quiet day lies beyond them)."""
    try:
        return day + by
    except OverflowError:
        return None


def windows(store: Store, *, min_days: int = 90, actors: Sequence[str] | None = None,
            dyad: Dyad | str | None = None, kinds: Sequence[str] | None = None,
            max_weight: float | None = None, start: dt.date | None = None,
            end: dt.date | None = None, sources: Sequence[str] | None = None) -> Windows:
    """Quiet windows of at least ``min_days`` days (see the module docstring).

    ``actors`` limits provocations to those done by these actors, ``dyad`` to those of the
    dyad (between its two states, or by either with no target; see :class:`Dyad`). The span
    is ``start`` (default: the record's first day) to ``end`` (default: its last day).
    """
    if min_days < 1:
        raise ParameterError.single("must be at least 1", field="min_days", value=min_days)
    if max_weight is not None and not math.isfinite(max_weight):  # nan reached SQL as a name
        raise ParameterError.single("must be a finite number", field="max_weight",
                                    value=str(max_weight))
    kinds = tuple(kinds) if kinds else tuple(str(k) for k in PROVOCATION_KINDS)
    unknown = [k for k in kinds if k not in {x.value for x in Kind}]
    if unknown:
        raise ParameterError.single("unknown kind", field="kinds", value=", ".join(unknown))
    dyad = Dyad.parse(dyad) if isinstance(dyad, str) else dyad
    first = store.date_range()[0]
    span_start, span_end = start or first, end or store.record_end()
    if span_start is None or span_end is None:
        return Windows(start, end, min_days, tuple(actors or ()), dyad, kinds, max_weight, (), 0)
    if span_end < span_start:
        raise ParameterError.single(f"the end {span_end} is before the start {span_start}",
                                    field="to", value=span_end.isoformat())
    test = f"kind IN ({', '.join(literal(k) for k in kinds)})"
    if max_weight is not None:
        test = f"({test} OR {weight_sql()} <= {float(max_weight)})"
    where = [test, *_filters(span_start, span_end, sources)]
    if actors:
        where.append(f"actor IN ({', '.join(literal(a) for a in actors)})")
    if dyad is not None:
        where.append(dyad.sql(unilateral=True))
    rows = store.con.sql(f"""SELECT id, date, actor, target, kind, {weight_sql()} AS weight,
        summary, source FROM events WHERE {' AND '.join(where)} ORDER BY date, id""").fetchall()
    by_day: dict[dt.date, list[Provocation]] = {}
    for r in rows:
        by_day.setdefault(r[1], []).append(Provocation(*r))
    declarations = store.coverage()
    watched: list[str | None] = list(actors or ()) or (
        [dyad.a, dyad.b] if dyad is not None else [None])
    blind = coverage.gaps(coverage.spans(
        declarations, [coverage.Target(k, a) for k in kinds for a in watched],
        span_start, span_end)) if declarations else ()
    # Breaks between quiet runs, in date order: provocation days and blind stretches.
    breaks = sorted([(day, day, tuple(events)) for day, events in by_day.items()]
                    + [(b.start, b.end, None) for b in blind], key=lambda b: (b[0], b[1]))
    found: list[Window] = []
    previous: tuple[dt.date, dt.date, tuple[Provocation, ...] | None] | None = None
    for item in [*breaks, None]:
        quiet_start = span_start if previous is None else _step(previous[1], ONE_DAY)
        quiet_end = span_end if item is None else _step(item[0], -ONE_DAY)
        if quiet_start is not None and quiet_end is not None and quiet_end >= quiet_start \
                and (quiet_end - quiet_start).days + 1 >= min_days:
            found.append(Window(
                quiet_start, quiet_end,
                (previous[2] or ()) if previous else (), (item[2] or ()) if item else (),
                ongoing=item is None, opened_blind=previous is not None and previous[2] is None,
                ended_blind=item is not None and item[2] is None))
        if item is not None and (previous is None or item[1] >= previous[1]):
            previous = item
    return Windows(span_start, span_end, min_days, tuple(actors or ()), dyad, kinds, max_weight,
                   tuple(found), len(rows), tuple(blind), bool(declarations))


# --- all dyads ----------------------------------------------------------------------------------

_THOUSANDTHS = 1000  # weights are summed as integers: partial sums add up alike in any order
_BI, _UNI, _PAIR = "bilateral", "unilateral", "pairs"


def _base_sql(source: str, *, weekly: bool, start: dt.date | None, end: dt.date | None,
              sources: Sequence[str] | None, per_mention: bool) -> str:
    """Per event of ``source`` (a FROM item with the event columns): its sides (the actor and
    any ``attrs.parties``), target, period and weight in thousandths."""
    where = " AND ".join(_filters(start, end, sources)) or "true"
    period = "CAST(date_trunc('week', date) AS DATE)" if weekly else "date"
    sides = ("CASE WHEN contains(attrs, '\"parties\"') THEN list_distinct(list_concat([actor], "
             "coalesce(json_extract_string(attrs, '$.parties[*]'), []))) ELSE [actor] END")
    return f"""(SELECT {sides} AS sides, target, {period} AS period,
        CAST(round(({weight_sql(per_mention)}) * {_THOUSANDTHS}) AS BIGINT) AS w
        FROM {source} WHERE {where})"""


_SUMS = ("count(*) AS events, sum(CASE WHEN w < 0 THEN -w ELSE 0 END) AS conflict, "
         "sum(CASE WHEN w > 0 THEN w ELSE 0 END) AS cooperation, sum(w) AS net")


def dyad_parts(con: Any, source: str, *, weekly: bool = False, start: dt.date | None = None,
               end: dt.date | None = None, sources: Sequence[str] | None = None,
               per_mention: bool = False, unilateral: bool = True) -> dict[str, pd.DataFrame]:
    """The partial sums behind :func:`dyads` over ``source``: per (a, b, period) of the acts
    between a and b; per (a, period) of a's acts with no target; per (a, b, period) of joint
    acts with no target by both (counted once in their dyad). Sums over parts of the record
    add up to the sums over the whole (``detente.scale``)."""
    base = _base_sql(source, weekly=weekly, start=start, end=end, sources=sources,
                     per_mention=per_mention)
    out = {_BI: con.sql(f"""SELECT least(s, target) AS a, greatest(s, target) AS b, period,
        {_SUMS} FROM (SELECT unnest(sides) AS s, target, period, w FROM {base}
                      WHERE target IS NOT NULL) WHERE s <> target GROUP BY ALL""").df()}
    if unilateral:
        out[_UNI] = con.sql(f"""SELECT s AS a, period, {_SUMS} FROM (
            SELECT unnest(sides) AS s, period, w FROM {base} WHERE target IS NULL)
            GROUP BY ALL""").df()
        out[_PAIR] = con.sql(f"""SELECT x AS a, y AS b, period, {_SUMS} FROM (
            SELECT x, unnest(sides) AS y, period, w FROM (
                SELECT unnest(sides) AS x, sides, period, w FROM {base}
                WHERE target IS NULL AND len(sides) > 1)) WHERE x < y GROUP BY ALL""").df()
    return out


def _combined(con: Any, parts: Sequence[dict[str, pd.DataFrame]], unilateral: bool
              ) -> pd.DataFrame:
    """Sum the partial sums of every part and put each dyad's series together: its own acts,
    plus (``unilateral``) each side's acts with no target, less the joint ones counted by both
    sides."""
    names = [_BI, _UNI, _PAIR] if unilateral else [_BI]
    tables = {}
    for name in names:
        frames = [p[name] for p in parts if len(p[name])]
        tables[name] = pd.concat(frames, ignore_index=True) if frames else parts[0][name]
        con.register(f"_dyads_{name}", tables[name])
    try:
        sums = "sum(events) AS events, sum(conflict) AS conflict, " \
               "sum(cooperation) AS cooperation, sum(net) AS net"
        rows = f"SELECT a, b, period, {sums} FROM _dyads_{_BI} GROUP BY ALL"
        if unilateral:
            uni = f"(SELECT a, period, {sums} FROM _dyads_{_UNI} GROUP BY ALL)"
            pairs = f"(SELECT a, b, period, {sums} FROM _dyads_{_PAIR} GROUP BY ALL)"
            dyads = f"(SELECT DISTINCT a, b FROM _dyads_{_BI})"
            cols = "u.period, u.events, u.conflict, u.cooperation, u.net"
            rows = f"""{rows}
                UNION ALL SELECT d.a, d.b, {cols} FROM {dyads} d JOIN {uni} u ON u.a = d.a
                UNION ALL SELECT d.a, d.b, {cols} FROM {dyads} d JOIN {uni} u ON u.a = d.b
                UNION ALL SELECT p.a, p.b, p.period, -p.events, -p.conflict, -p.cooperation,
                                 -p.net FROM {pairs} p JOIN {dyads} d USING (a, b)"""
        frame = con.sql(f"""SELECT a || '-' || b AS dyad, a, b, period AS date,
            CAST(sum(events) AS BIGINT) AS events,
            CAST(sum(conflict) AS DOUBLE) / {_THOUSANDTHS} AS conflict,
            CAST(sum(cooperation) AS DOUBLE) / {_THOUSANDTHS} AS cooperation,
            CAST(sum(net) AS DOUBLE) / {_THOUSANDTHS} AS net
            FROM ({rows}) GROUP BY ALL HAVING sum(events) > 0 ORDER BY a, b, date""").df()
    finally:
        for name in names:
            con.unregister(f"_dyads_{name}")
    frame["tension"] = frame["conflict"] - frame["cooperation"]
    frame["mean_weight"] = frame["net"] / frame["events"]
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame.drop(columns="net")


@dataclass(frozen=True)
class DyadTension:
    """The tension index of every dyad: one row per dyad and period with events (``frame``:
    dyad, a, b, date, events, conflict, cooperation, tension, mean_weight; periods without
    events are left out, unlike :func:`tension`)."""

    freq: str
    per_mention: bool
    unilateral: bool
    frame: pd.DataFrame = field(repr=False)
    parts: int = 1

    def summary(self) -> pd.DataFrame:
        """One row per dyad: events, conflict, cooperation and tension in total, and the
        period of highest tension; highest total tension first."""
        f = self.frame
        if f.empty:
            return pd.DataFrame(columns=["dyad", "events", "conflict", "cooperation", "tension",
                                         "peak", "peak_tension"])
        totals = f.groupby("dyad", sort=True)[["events", "conflict", "cooperation",
                                               "tension"]].sum()
        peaks = f.loc[f.groupby("dyad", sort=True)["tension"].idxmax(), ["dyad", "date",
                                                                           "tension"]]
        out = totals.join(peaks.set_index("dyad").rename(
            columns={"date": "peak", "tension": "peak_tension"})).reset_index()
        return out.sort_values(["tension", "dyad"], ascending=[False, True],
                               ignore_index=True)

    def to_json_dict(self) -> dict[str, Any]:
        rows = [{**r, "date": r["date"].isoformat()} for r in self.frame.to_dict("records")]
        return {"freq": "weekly" if self.freq == "W" else "daily", "per_mention": self.per_mention,
                "unilateral": self.unilateral, "series": rows}


def dyads(store: Store, *, weekly: bool = False, start: dt.date | None = None,
          end: dt.date | None = None, sources: Sequence[str] | None = None,
          per_mention: bool = False, unilateral: bool = True) -> DyadTension:
    """The tension index of every dyad in the record, in one process (``detente.scale.dyads``
    fans the same sums out over the record's parts). A dyad is a pair with at least one act
    between them; with ``unilateral`` its series also counts either side's acts with no target,
    as :func:`tension` does. Weights are summed in thousandths, exactly."""
    if start is not None and end is not None and end < start:
        raise ParameterError.single(f"the end {end} is before the start {start}", field="to",
                                    value=end.isoformat())
    options: dict[str, Any] = {"weekly": weekly, "start": start, "end": end,
                               "sources": sources, "per_mention": per_mention,
                               "unilateral": unilateral}
    parts = [dyad_parts(store.con, "events", **options)]
    return DyadTension("W" if weekly else "D", per_mention, unilateral,
                       _combined(store.con, parts, unilateral))


def combine_dyads(con: Any, parts: Sequence[dict[str, pd.DataFrame]], *, weekly: bool,
                  per_mention: bool, unilateral: bool) -> DyadTension:
    """:class:`DyadTension` from the partial sums of several parts of the record."""
    return DyadTension("W" if weekly else "D", per_mention, unilateral,
                       _combined(con, parts, unilateral), parts=len(parts))
