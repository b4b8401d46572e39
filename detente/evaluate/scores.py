"""Scores of a backtest: Brier and log score per horizon, skill with block-bootstrap intervals
over origin years, effective sample size, reliability, and verdicts only where an interval
excludes zero."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

EPS = 1e-3        # forecasts are clipped to [EPS, 1 - EPS] for the log score
LEVEL = 0.95
BINS = np.linspace(0.0, 1.0, 11)


@dataclass(frozen=True)
class Score:
    """One method at one horizon, over the cases it forecast."""

    method: str
    horizon: int          # weeks
    brier: float
    log_score: float      # mean negative log likelihood (lower is better)
    n: int
    n_eff: float          # cases worth of independent information (see ``effective_n``)
    observed_held: float  # share of the cases that held

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Skill:
    """Brier skill of a model against a baseline: ``1 - Brier(model) / Brier(baseline)`` on
    the cases both forecast, with a block-bootstrap interval over origin years."""

    model: str
    baseline: str
    horizon: int
    skill: float
    lo: float
    hi: float
    n: int
    years: int

    @property
    def verdict(self) -> str | None:
        """A sentence when the interval excludes zero, else None."""
        if self.lo > 0:
            word = "better"
        elif self.hi < 0:
            word = "worse"
        else:
            return None
        return (f"{self.model} is {word} than {self.baseline} at {self.horizon} weeks "
                f"(Brier skill {self.skill:+.3f}, {LEVEL:.0%} interval {self.lo:+.3f} to "
                f"{self.hi:+.3f})")

    def to_json_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


@dataclass(frozen=True)
class ReliabilityBin:
    method: str
    horizon: int
    lo: float
    hi: float
    n: int
    mean_forecast: float
    observed: float

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def _year_sums(years: np.ndarray, values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Sum of ``values`` per origin year, in the order of ``order`` (the distinct years)."""
    index = np.searchsorted(order, years)
    return np.bincount(index, weights=values, minlength=len(order))


def _resample(order: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """(draws, years) counts: how often each year is drawn in each bootstrap sample."""
    picks = rng.integers(0, len(order), size=(draws, len(order)))
    counts = np.zeros((draws, len(order)))
    np.add.at(counts, (np.arange(draws)[:, None], picks), 1)
    return counts


def brier_terms(forecast: np.ndarray, held: np.ndarray) -> np.ndarray:
    return (forecast - held) ** 2


def log_terms(forecast: np.ndarray, held: np.ndarray) -> np.ndarray:
    p = np.clip(forecast, EPS, 1 - EPS)
    return -(held * np.log(p) + (1 - held) * np.log(1 - p))


def score(cases: pd.DataFrame, methods: tuple[str, ...], horizons: tuple[int, ...],
          models: tuple[str, ...], baselines: tuple[str, ...], *, draws: int = 2000,
          seed: int = 0) -> tuple[list[Score], list[Skill], list[ReliabilityBin]]:
    """Scores, skills and reliability of ``cases`` (one row per start and horizon: ``origin``
    year, ``horizon``, ``held`` 0/1, one column of forecasts per method)."""
    rng = np.random.Generator(np.random.SFC64(seed))
    scores, skills, bins = [], [], []
    for h in horizons:
        sub = cases[cases["horizon"] == h]
        held = sub["held"].to_numpy(float)
        years = sub["origin"].to_numpy()
        order = np.unique(years)
        counts = _resample(order, draws, rng) if len(order) else np.zeros((draws, 0))
        for m in methods:
            f = sub[m].to_numpy(float)
            ok = ~np.isnan(f)
            if not ok.any():
                continue
            terms = brier_terms(f[ok], held[ok])
            scores.append(Score(m, h, float(terms.mean()),
                                float(log_terms(f[ok], held[ok]).mean()), int(ok.sum()),
                                effective_n(terms, years[ok], order, counts),
                                float(held[ok].mean())))
            bins.extend(reliability(m, h, f[ok], held[ok]))
        for model in models:
            for base in baselines:
                if model not in sub or base not in sub:
                    continue
                fm, fb = sub[model].to_numpy(float), sub[base].to_numpy(float)
                ok = ~np.isnan(fm) & ~np.isnan(fb)
                if not ok.any():
                    continue
                em = _year_sums(years[ok], brier_terms(fm[ok], held[ok]), order)
                eb = _year_sums(years[ok], brier_terms(fb[ok], held[ok]), order)
                value = 1.0 - em.sum() / eb.sum() if eb.sum() > 0 else float("nan")
                with np.errstate(divide="ignore", invalid="ignore"):
                    boot = 1.0 - (counts @ em) / (counts @ eb)
                boot = boot[np.isfinite(boot)]
                lo, hi = (np.quantile(boot, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
                          if len(boot) else (float("nan"), float("nan")))
                skills.append(Skill(model, base, h, float(value), float(lo), float(hi),
                                    int(ok.sum()), len(np.unique(years[ok]))))
    return scores, skills, bins


def effective_n(terms: np.ndarray, years: np.ndarray, order: np.ndarray,
                counts: np.ndarray) -> float:
    """``var(term) / var_bootstrap(mean term)``: how many independent cases the mean of the
    terms is worth, with origin years resampled as blocks (weekly starts overlap)."""
    sums = _year_sums(years, terms, order)
    sizes = _year_sums(years, np.ones(len(terms)), order)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = (counts @ sums) / (counts @ sizes)
    means = means[np.isfinite(means)]
    var_mean = float(np.var(means)) if len(means) > 1 else 0.0
    var = float(np.var(terms))
    if var_mean <= 0.0 or var <= 0.0:
        return float(len(terms))
    return min(float(len(terms)), var / var_mean)


def reliability(method: str, horizon: int, forecast: np.ndarray, held: np.ndarray
                ) -> list[ReliabilityBin]:
    """Cases per bin of forecast probability (tenths), with the mean forecast and the share
    that held."""
    index = np.clip(np.digitize(forecast, BINS[1:-1]), 0, len(BINS) - 2)
    out = []
    for b in np.unique(index):
        m = index == b
        out.append(ReliabilityBin(method, horizon, float(BINS[b]), float(BINS[b + 1]),
                                  int(m.sum()), float(forecast[m].mean()),
                                  float(held[m].mean())))
    return out


