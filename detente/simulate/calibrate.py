"""Calibration: are the simulator's forecasts any good against the record?

For each agreement, temptation rates are fitted on a training period (``rates.estimate``), and
the simulator predicts the chance that the agreement, started on any day, holds 6 and 12 months.
The historical what-if (``detente.whatif``) replays the agreement from every ``step_days``-th
day of a later test period; each start whose whole 6 (12) month window lies inside the record
is an outcome (held or broken). Predictions are scored with the Brier score and a reliability
table, next to two naive baselines fitted on the same training period: the training base rate
(share of training starts that held, counting only starts whose window ends inside training)
and "always holds".

What is simulated: the record shows behaviour, not a signed agreement, so every party takes
each of its occasions (``always_defect``); a breach counts when recorded (the spec's detection,
no false alarms, no delay), by any party. Undertakings (one-off positive obligations) are not
simulated and are left out of the replay too, and a fixed term is dropped so that every start
can be followed for 12 months.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.agreements.spec import Agreement
from detente.errors import ParameterError
from detente.simulate import engine
from detente.simulate import model as model_mod
from detente.simulate import rates as rates_mod
from detente.simulate.simulation import simulate

if TYPE_CHECKING:
    import pandas as pd

HORIZONS = (6, 12)
METHODS = ("model", "base_rate", "always_holds")
BINS = np.linspace(0.0, 1.0, 11)


def restraint_only(agreement: Agreement) -> Agreement | None:
    """The agreement with only its restraint commitments (no undertakings) and no fixed term;
    None if nothing is left."""
    kept = [c.model_copy(update={"undertakes": []}) for c in agreement.commitments
            if c.refrains_from]
    if not kept:
        return None
    return agreement.model_copy(update={"commitments": kept, "end": None})


def outcomes(agreement: Agreement, store, start: dt.date, end: dt.date, *, step_days: int,
             record_end: dt.date | None, horizons_days: dict[int, int]) -> pd.DataFrame:
    """Per what-if start and horizon: 1 if the agreement held that many days, 0 if not;
    starts whose window runs past the record are left out (keeping only their early breaches
    would bias the outcomes towards breaking)."""
    import pandas as pd

    from detente.whatif import whatif

    replay = whatif(agreement, store, start, end, step_days, record_end=record_end)
    starts = replay.starts
    last = pd.Timestamp(replay.record_end)
    rows = []
    for months, days in horizons_days.items():
        followed = (last - starts["start"]).dt.days + 1 >= days
        sub = starts[followed]
        rows.append(pd.DataFrame({
            "agreement": agreement.id, "start": sub["start"].dt.date, "horizon_months": months,
            "held": (sub["days_held"] >= days).astype(int),
            "breaker": sub["breaker"].where(sub["days_held"] < days, None)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


@dataclass(frozen=True)
class AgreementFit:
    """What was fitted for one agreement, and its predictions."""

    agreement: str
    rates: dict[str, dict[str, Any]]
    model: dict[int, float]       # horizon months -> predicted P(hold)
    base_rate: dict[int, float | None]
    train_starts: dict[int, int]


@dataclass(frozen=True)
class CalibrationResult:
    train: tuple[dt.date, dt.date]
    test: tuple[dt.date, dt.date]
    fits: tuple[AgreementFit, ...]
    predictions: pd.DataFrame   # agreement, start, horizon_months, held, model, base_rate, ...
    skipped: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    runs: int = 0

    def scores(self) -> pd.DataFrame:
        """Brier score per horizon and method (lower is better), with n and the base rate of
        holding in the test period."""
        import pandas as pd

        rows = []
        for months, sub in self.predictions.groupby("horizon_months"):
            for method in METHODS:
                ok = sub[method].notna()
                err = (sub.loc[ok, method] - sub.loc[ok, "held"]) ** 2
                rows.append({"horizon_months": int(months), "method": method,
                             "brier": float(err.mean()) if ok.any() else None,
                             "n": int(ok.sum()), "observed_held": float(sub["held"].mean())})
        return pd.DataFrame(rows)

    def reliability(self) -> pd.DataFrame:
        """Per horizon, method and bin of predicted probability: count, mean prediction and
        observed share that held."""
        import pandas as pd

        rows = []
        for months, sub in self.predictions.groupby("horizon_months"):
            for method in METHODS:
                pred = sub[method]
                ok = pred.notna()
                bins = np.clip(np.digitize(pred[ok], BINS[1:-1]), 0, len(BINS) - 2)
                for b in np.unique(bins):
                    mask = bins == b
                    rows.append({"horizon_months": int(months), "method": method,
                                 "bin": f"{BINS[b]:.1f}-{BINS[b + 1]:.1f}",
                                 "n": int(mask.sum()),
                                 "mean_predicted": float(pred[ok][mask].mean()),
                                 "observed": float(sub["held"][ok][mask].mean())})
        return pd.DataFrame(rows)

    def verdict(self) -> dict[int, str]:
        """In words, per horizon: which method scored best."""
        out = {}
        scores = self.scores()
        for months, sub in scores.groupby("horizon_months"):
            sub = sub.dropna(subset=["brier"]).sort_values("brier")
            if sub.empty:
                continue
            best = sub.iloc[0]
            model = sub[sub["method"] == "model"]
            if best["method"] == "model":
                text = "the model beats both baselines"
            elif not model.empty:
                text = (f"the model ({model['brier'].iloc[0]:.3f}) does not beat "
                        f"{best['method']} ({best['brier']:.3f})")
            else:
                text = f"{best['method']} scores best"
            out[int(months)] = text
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "train": [d.isoformat() for d in self.train],
            "test": [d.isoformat() for d in self.test],
            "runs": self.runs, "seed": self.seed,
            "scores": self.scores().to_dict("records"),
            "reliability": self.reliability().to_dict("records"),
            "verdict": {f"{k}m": v for k, v in self.verdict().items()},
            "agreements": [{"agreement": f.agreement, "rates": f.rates,
                            "model": {f"{k}m": v for k, v in f.model.items()},
                            "base_rate": {f"{k}m": v for k, v in f.base_rate.items()},
                            "train_starts": {f"{k}m": v for k, v in f.train_starts.items()}}
                           for f in self.fits],
            "skipped": self.skipped,
            "predictions": len(self.predictions),
        }


def calibrate(agreements: Sequence[Agreement], store, train: tuple[dt.date, dt.date],
              test: tuple[dt.date, dt.date], *, runs: int = 20_000,
              seed: int | np.random.SeedSequence | None = None, step_days: int = 7,
              period: str = "week") -> CalibrationResult:
    """Fit on ``train``, predict and score on ``test`` (see the module docstring)."""
    import pandas as pd

    if train[1] >= test[0]:
        raise ParameterError.single(f"the training period must end before the test period "
                                    f"starts ({test[0]})", field="train",
                                    value=f"{train[0]}:{train[1]}")
    days = model_mod.period_days(period)
    periods = {m: model_mod.horizon_periods(f"{m}m", period) for m in HORIZONS}
    horizons_days = {m: round(t * days) for m, t in periods.items()}
    seq = engine.as_seed(seed)
    seeds = engine.seed_children(seq, len(agreements))
    fits, frames, skipped = [], [], {}
    for agreement, child in zip(agreements, seeds, strict=True):
        kept = restraint_only(agreement)
        if kept is None:
            skipped[agreement.id] = "no restraint commitments to simulate"
            continue
        fitted = {code: rates_mod.estimate(kept, code, store, train[0], train[1], period)
                  for code in kept.parties if model_mod.restraints(kept, code)}
        built = model_mod.build(kept, rates={k: r.rate for k, r in fitted.items()},
                                period=period, horizon=max(periods.values()),
                                weights=rates_mod.weights(fitted))
        # Recorded breaches only: no false alarms, no delay; anyone's breach ends the run.
        n = len(built.parties)
        built = dataclasses.replace(
            built.with_monitors(None, false_alarm=0.0, delay=0),
            releases=tuple(tuple(True for _ in range(n)) for _ in range(n)))
        result = simulate(built, ["always_defect"] * n, runs=runs, seed=child)
        model_p = {m: float(result.survival_p[t]) for m, t in periods.items()}
        base = outcomes(kept, store, train[0], train[1], step_days=step_days,
                        record_end=train[1], horizons_days=horizons_days)
        base_p = {m: (float(base[base["horizon_months"] == m]["held"].mean())
                      if (base["horizon_months"] == m).any() else None) for m in HORIZONS}
        try:
            seen = outcomes(kept, store, test[0], test[1], step_days=step_days,
                            record_end=None, horizons_days=horizons_days)
        except ParameterError as exc:
            skipped[agreement.id] = str(exc)
            continue
        if seen.empty:
            skipped[agreement.id] = "no test start can be followed 6 months inside the record"
            continue
        seen["model"] = seen["horizon_months"].map(model_p)
        seen["base_rate"] = seen["horizon_months"].map(base_p).astype(float)
        seen["always_holds"] = 1.0
        frames.append(seen)
        fits.append(AgreementFit(
            agreement=agreement.id, rates={k: r.as_dict() for k, r in fitted.items()},
            model=model_p, base_rate=base_p,
            train_starts={m: int((base["horizon_months"] == m).sum()) for m in HORIZONS}))
    if not frames:
        raise ParameterError.single("nothing to score: " + "; ".join(
            f"{k}: {v}" for k, v in skipped.items()), field="test",
            value=f"{test[0]}:{test[1]}")
    return CalibrationResult(train=train, test=test, fits=tuple(fits),
                             predictions=pd.concat(frames, ignore_index=True), skipped=skipped,
                             seed=seq.entropy if isinstance(seq.entropy, int) else None,
                             runs=runs)
