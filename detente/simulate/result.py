"""What a simulation returns: counts per period, and the summaries computed from them.

``S(t)`` is the share of runs whose agreement has not collapsed by the end of period ``t``
(``S(0) = 1``). A run *collapses* in the period in which some party first responds to an
observed breach (grim walks out, tit for tat retaliates, generous does not forgive...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.simulate.analytic import critical_detection
from detente.simulate.engine import ChunkStats
from detente.simulate.model import Model

if TYPE_CHECKING:
    import pandas as pd

MONTHS = (6, 12, 24)


def wilson(successes: np.ndarray, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (pointwise)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _first_at_or_below_half(curve: np.ndarray) -> int | None:
    """The first period at which ``curve`` is at most 0.5 (None: never within the horizon)."""
    below = np.flatnonzero(curve <= 0.5)
    return int(below[0]) if below.size else None


def dkw_epsilon(n: int, alpha: float) -> float:
    """Half-width of a Dvoretzky-Kiefer-Wolfowitz band: holds for every period at once with
    probability at least ``1 - alpha``."""
    return math.sqrt(math.log(2 / alpha) / (2 * n))


def payoff_flows(model: Model, stats: ChunkStats) -> np.ndarray:
    """Mean payoff per run in each period, per party: (H, n).

    Party ``i`` gets ``V`` times the share of other parties that restrained, pays ``c`` when
    tempted and restraining, and gains ``g`` times that share when it breaches.
    """
    n, runs = len(model.parties), stats.runs
    both = stats.both + np.swapaxes(stats.both, 1, 2)
    flows = np.zeros(stats.breaches.shape, dtype=float)
    for i, party in enumerate(model.parties):
        pay = party.payoff
        others = [j for j in range(n) if j != i]
        if others:
            restrained = sum(runs - stats.breaches[:, j] for j in others) / len(others)
            breach_vs_restraint = sum(stats.breaches[:, i] - both[:, i, j]
                                      for j in others) / len(others)
        else:
            restrained = np.full(stats.breaches.shape[0], float(runs))
            breach_vs_restraint = stats.breaches[:, i].astype(float)
        flows[:, i] = (pay.other_restraint * restrained
                       - pay.own_restraint * (stats.tempted[:, i] - stats.breaches[:, i])
                       + pay.defection_gain * breach_vs_restraint) / runs
    return flows


@dataclass(frozen=True)
class SimulationResult:
    """Counts summed over every run, with the model and seed that produced them."""

    model: Model
    strategies: tuple[str, ...]
    runs: int
    seed: int | None
    spawn_key: tuple[int, ...]
    stats: ChunkStats
    chunk_values: np.ndarray  # (chunks, n): discounted payoff per run, per chunk and party
    chunk_runs: np.ndarray    # (chunks,)
    rates: Mapping[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    #: P(holding) with every false-alarm rate at quantiles of its prior (``simulate_agreement``)
    sensitivity: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_chunks(cls, model: Model, strategies: tuple[str, ...], chunks: list[ChunkStats],
                    seed: np.random.SeedSequence, **extra: Any) -> SimulationResult:
        total = chunks[0]
        for c in chunks[1:]:
            total = total.add(c)
        weights = model.delta ** np.arange(model.horizon)
        values = np.array([weights @ payoff_flows(model, c) for c in chunks])
        entropy = seed.entropy if isinstance(seed.entropy, int) else None
        return cls(model=model, strategies=strategies, runs=total.runs, seed=entropy,
                   spawn_key=tuple(seed.spawn_key), stats=total, chunk_values=values,
                   chunk_runs=np.array([c.runs for c in chunks]), **extra)


    # --- survival -----------------------------------------------------------------------------

    @property
    def alive(self) -> np.ndarray:
        """Runs not collapsed at the end of each period 0..H."""
        return self.runs - np.concatenate([[0], np.cumsum(self.stats.collapses)])

    @property
    def survival_p(self) -> np.ndarray:
        return self.alive / self.runs

    def survival(self, level: float = 0.95) -> pd.DataFrame:
        """The survival curve with pointwise Wilson bands: period, days, p, lo, hi."""
        import pandas as pd

        alive = self.alive
        lo, hi = wilson(alive, self.runs, level)
        periods = np.arange(self.model.horizon + 1)
        return pd.DataFrame({"period": periods, "days": periods * self.model.days,
                             "p": alive / self.runs, "lo": lo, "hi": hi})

    @property
    def breach_free(self) -> np.ndarray:
        """Share of runs with no real breach (observed or not) by the end of each period."""
        return 1 - np.concatenate([[0], np.cumsum(self.stats.first_breaches)]) / self.runs

    @property
    def median_periods(self) -> int | None:
        """First period by whose end half the runs have collapsed (None: beyond horizon)."""
        return _first_at_or_below_half(self.survival_p)

    @property
    def median_interval(self) -> tuple[int | None, int | None]:
        """The 95% interval of the median period (Monte Carlo error of the runs), read off the
        Wilson band: the first period whose lower bound is at or below 0.5, and the first
        whose upper bound is (None: beyond the horizon)."""
        lo, hi = wilson(self.alive, self.runs)
        return _first_at_or_below_half(lo), _first_at_or_below_half(hi)

    @property
    def mean_periods(self) -> float:
        """Mean collapse period, restricted to the horizon: sum of S(t) for t < H."""
        return float(self.survival_p[:-1].sum())

    def p_holding(self, months: float) -> float | None:
        t = self.model.periods_for_months(months)
        return float(self.survival_p[t]) if t <= self.model.horizon else None

    # --- attribution --------------------------------------------------------------------------

    @property
    def collapsed(self) -> int:
        return int(self.stats.collapses.sum())

    @property
    def collapse_causes(self) -> dict[str, int]:
        real, false = self.stats.trigger.sum(axis=0)
        return {"real_breach": int(real), "false_alarm": int(false)}

    @property
    def first_breaker(self) -> dict[str, float]:
        """Share of collapses set off by an observed breach (real or false alarm) of each
        party."""
        total = max(self.collapsed, 1)
        return {code: float(self.stats.trigger[i].sum() / total)
                for i, code in enumerate(self.model.codes)}

    # --- behaviour and payoffs ----------------------------------------------------------------

    @property
    def cooperation(self) -> dict[str, float]:
        """Share of run-periods in which each party did not breach."""
        cells = self.runs * self.model.horizon
        return {code: float(1 - self.stats.breaches[:, i].sum() / cells)
                for i, code in enumerate(self.model.codes)}

    @property
    def mean_payoff(self) -> dict[str, float]:
        """Mean payoff per period over the horizon, per party."""
        flows = payoff_flows(self.model, self.stats)
        return {code: float(flows[:, i].mean()) for i, code in enumerate(self.model.codes)}

    def discounted_payoff(self, level: float = 0.95) -> dict[str, dict[str, float]]:
        """Discounted payoff per run (per-period discount ``model.delta``), with a batch-means
        confidence interval over chunks (needs at least two chunks)."""
        from scipy import stats as sps

        w = self.chunk_runs / self.chunk_runs.sum()
        out = {}
        for i, code in enumerate(self.model.codes):
            v = self.chunk_values[:, i]
            mean = float(w @ v)
            k = len(v)
            if k > 1:
                se = math.sqrt(float(w @ (v - mean) ** 2) * k / (k - 1) / k)
                half = float(sps.t.ppf(0.5 + level / 2, k - 1)) * se
            else:
                half = float("nan")
            out[code] = {"mean": mean, "lo": mean - half, "hi": mean + half}
        return out

    def critical_detection(self) -> dict[str, Any]:
        """Per party, the critical detection (``detente.simulate.analytic``), under the
        punishment the simulated strategies inflict (grim unless they all punish for a
        limited time)."""
        from detente.simulate.analytic import punishment_of

        punish = punishment_of(self.strategies)
        return {code: t.to_json_dict()
                for code, t in critical_detection(self.model, punish).items()}

    # --- output -------------------------------------------------------------------------------

    def periods_frame(self) -> pd.DataFrame:
        """Tidy per-period counts: one row per period and party."""
        import pandas as pd

        s = self.stats
        rows = []
        for i, code in enumerate(self.model.codes):
            rows.append(pd.DataFrame({
                "period": np.arange(1, self.model.horizon + 1), "party": code,
                "tempted": s.tempted[:, i], "breaches": s.breaches[:, i],
                "detections": s.detections[:, i], "false_alarms": s.false_alarms[:, i],
                "collapses": s.collapses}))
        return pd.concat(rows, ignore_index=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``survival`` (period, days, p, lo, hi: the main table), ``periods`` (per period and
        party), ``critical_detection`` (per commitment) and ``false_alarm_sensitivity`` (the
        results contract, ``detente.results``)."""
        import pandas as pd

        critical = pd.DataFrame([
            {"party": code, "commitment": c["id"], "detection": c["detection"],
             "delay_periods": c["delay_periods"], "critical": c["critical"],
             "self_enforcing": c["self_enforcing"], "punishment": t["punishment"]}
            for code, t in self.critical_detection().items() for c in t["commitments"]],
            columns=["party", "commitment", "detection", "delay_periods", "critical",
                     "self_enforcing", "punishment"])
        sensitivity = pd.DataFrame([
            {"quantile": row["quantile"],
             **{f"false_alarm_{k}": v for k, v in row["false_alarm_per_week"].items()},
             **{f"p_holding_{k}": v for k, v in row["p_holding"].items()}}
            for row in self.sensitivity])
        return {"survival": self.survival(), "periods": self.periods_frame(),
                "critical_detection": critical, "false_alarm_sensitivity": sensitivity}

    def summary(self) -> dict[str, Any]:
        """The headline numbers (what ``detente simulate`` prints)."""
        causes = self.collapse_causes
        total = max(self.collapsed, 1)
        return {
            "agreement": self.model.agreement, "runs": self.runs, "seed": self.seed,
            "period": self.model.period, "horizon_periods": self.model.horizon,
            "strategies": dict(zip(self.model.codes, self.strategies, strict=True)),
            "collapse_rule": self.model.collapse,
            "median_periods": self.median_periods,
            "median_interval_periods": list(self.median_interval),
            "mean_periods": self.mean_periods,
            "p_holding": {f"{m}m": self.p_holding(m) for m in MONTHS},
            "collapsed": self.collapsed / self.runs,
            "first_breaker": self.first_breaker,
            "collapse_causes": causes,
            "collapse_cause_shares": {k: v / total for k, v in causes.items()},
            "cooperation": self.cooperation,
            "mean_payoff": self.mean_payoff,
        }

    def to_json_dict(self, *, curve: bool = True) -> dict[str, Any]:
        """Everything JSON output carries: the summary, the survival curve, thresholds."""
        out = self.summary()
        if curve:
            out["survival"] = self.survival().drop(columns="days").to_dict("records")
        out["critical_detection"] = self.critical_detection()
        out["rates"] = dict(self.rates)
        out["false_alarm_sensitivity"] = list(self.sensitivity)
        out["spawn_key"] = list(self.spawn_key)
        out["elapsed_s"] = round(self.elapsed, 3)
        return out
