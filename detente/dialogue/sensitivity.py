"""Sensitivity: which actor's inputs move a model's forecast most.

Every input is an analyst's estimate, so the question is how much the forecast would change if
the estimates were somewhat off. ``samples`` perturbed copies of the scenario are drawn at once
(seeded, reproducible bit for bit): every actor's position on every issue moves by a normal
error of ``position_sd`` points per 100 points of scale (clipped to the scale), its capability is
multiplied by a log-normal factor exp(N(0, ``capability_sd``^2)), and its salience on every issue
moves by N(0, ``salience_sd``^2) (clipped to [0, 1]). The model is run on every copy (compromise,
median and the expected-utility model are vectorised over the copies; Nash and SMP run one by
one).

Attribution, per issue d: the forecasts f_d are regressed (least squares) on the standardised
perturbations, three per actor (its position and salience on d, its capability). The squared
coefficients of an actor's three perturbations, divided by var(f_d), are its share of the
forecast's variance; ``r2`` says how much of the variance the linear fit explains (a step-like
model such as the weighted median leaves more unexplained).

Samples: the regression has p = 3N regressors and an intercept. A least-squares coefficient on
S samples has variance about sigma^2 / (S - p - 2) (sigma^2: the variance the fit leaves
unexplained, at most var(f_d)), so an actor whose inputs do nothing still gets on average a
share of up to 3 / (S - p - 2) by chance (``share_noise``), and a fit to pure noise has r2
about p / (S - 1) (``r2_noise``). With S <= p + 1 the fit is exact whatever the model does
(r2 = 1, shares meaningless). ``min_samples`` = 3N + 62 keeps the chance share at most 5 points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers import bdm, get
from detente.dialogue.solvers.compromise import weighted_mean
from detente.dialogue.solvers.median import weighted_median
from detente.errors import ParameterError

NOISE_SHARE = 0.05  # the largest chance share (of an actor with no influence) we accept


def min_samples(n_actors: int) -> int:
    """The fewest samples for ``n_actors``: 3N regressors, and a chance share of at most 5
    points: 3 / (S - 3N - 2) <= 0.05 (module docstring)."""
    return 3 * n_actors + 2 + int(np.ceil(3 / NOISE_SHARE))


@dataclass(frozen=True, eq=False)
class IssueSensitivity:
    issue: str
    baseline: float
    mean: float
    std: float
    p05: float
    p95: float
    r2: float
    shares: dict[str, float]

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        return sorted(self.shares.items(), key=lambda kv: -kv[1])[:k]

    def to_json_dict(self) -> dict:
        return {"issue": self.issue, "baseline": round(self.baseline, 4),
                "mean": round(self.mean, 4), "std": round(self.std, 4),
                "p05": round(self.p05, 4), "p95": round(self.p95, 4), "r2": round(self.r2, 4),
                "top": [{"actor": a, "share": round(s, 4)} for a, s in self.top()],
                "shares": {a: round(s, 4) for a, s in self.shares.items()}}


@dataclass(frozen=True, eq=False)
class Sensitivity:
    model: str
    samples: int
    seed: int
    issues: tuple[IssueSensitivity, ...]

    @property
    def most_influential(self) -> tuple[str, float]:
        """The actor with the largest mean variance share over the issues."""
        actors = list(self.issues[0].shares)
        means = [np.mean([s.shares[a] for s in self.issues]) for a in actors]
        k = int(np.argmax(means))
        return actors[k], float(means[k])

    @property
    def regressors(self) -> int:
        return 3 * len(self.issues[0].shares)

    @property
    def share_noise(self) -> float:
        """The share an actor with no influence gets by chance, on average at most (module
        docstring)."""
        return 3 / (self.samples - self.regressors - 2)

    @property
    def r2_noise(self) -> float:
        """The r2 a linear fit to pure noise gets, about (module docstring)."""
        return self.regressors / (self.samples - 1)

    def to_json_dict(self) -> dict:
        actor, share = self.most_influential
        return {"model": self.model, "samples": self.samples, "seed": self.seed,
                "regressors": self.regressors, "share_noise": round(self.share_noise, 4),
                "r2_noise": round(self.r2_noise, 4),
                "most_influential": {"actor": actor, "mean_share": round(share, 4)},
                "issues": [s.to_json_dict() for s in self.issues]}


def perturb(inputs: Inputs, samples: int, rng: np.random.Generator, position_sd: float = 5.0,
            capability_sd: float = 0.2, salience_sd: float = 0.1):
    """(positions (S, N, D), capabilities (S, N), saliences (S, N, D), standardised
    perturbations (S, N, 3, D)) for ``samples`` perturbed copies."""
    n, d = inputs.position.shape
    z_pos = rng.standard_normal((samples, n, d))
    z_cap = rng.standard_normal((samples, n))
    z_sal = rng.standard_normal((samples, n, d))
    low, high = inputs.scale[:, 0], inputs.scale[:, 1]
    pos = np.clip(inputs.position + z_pos * position_sd * inputs.width / 100.0, low, high)
    cap = inputs.capability * np.exp(capability_sd * z_cap)
    sal = np.clip(inputs.salience + salience_sd * z_sal, 0.0, 1.0)
    z = np.stack([z_pos, np.broadcast_to(z_cap[:, :, None], (samples, n, d)), z_sal], axis=2)
    return pos, cap, sal, z


def forecasts(model: str, inputs: Inputs, pos: np.ndarray, cap: np.ndarray,
              sal: np.ndarray) -> np.ndarray:
    """The model's forecast, (S, D), for each perturbed copy."""
    s, n, d = pos.shape
    weight = cap[:, :, None] * sal  # (S, N, D)
    dead = weight.sum(axis=1, keepdims=True) <= 0
    weight = np.where(dead, cap[:, :, None], weight)
    if model == "compromise":
        return weighted_mean(np.swapaxes(pos, 1, 2), np.swapaxes(weight, 1, 2))
    flat = lambda a: np.swapaxes(a, 1, 2).reshape(s * d, n)  # noqa: E731 - (S*D, N)
    if model == "median":
        return weighted_median(flat(pos), flat(weight)).reshape(s, d)
    if model == "bdm":
        cap_b = np.repeat(cap, d, axis=0)
        final, _, _ = bdm.run(flat(pos), cap_b, flat(sal), record=False)
        return weighted_median(final, flat(weight)).reshape(s, d)
    solver = get(model)
    out = np.empty((s, d))
    for k in range(s):
        copy = inputs.replace(position=pos[k], capability=cap[k], salience=sal[k])
        out[k] = solver.solve(copy).position
    return out


def sensitivity(inputs: Inputs, model: str = "bdm", samples: int = 1000, seed: int = 0,
                position_sd: float = 5.0, capability_sd: float = 0.2,
                salience_sd: float = 0.1) -> Sensitivity:
    """The sensitivity of ``model``'s forecast to every actor's inputs (module docstring).
    ``model`` is one model's name; ``seed`` a non-negative integer; ``samples`` at least
    ``min_samples(inputs.n_actors)``."""
    solver = get(model)  # one model: get refuses 'all' or a list
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError.single("the seed must be a non-negative integer", field="seed",
                                    value=seed)
    least = min_samples(inputs.n_actors)
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < least:
        n = inputs.n_actors
        raise ParameterError.single(
            f"need at least {least} samples for {n} actors: the regression has {3 * n} "
            f"regressors (3 per actor), and with fewer than {least} samples an actor with no "
            f"influence gets on average more than {NOISE_SHARE:.0%} of the variance by chance",
            field="samples", value=samples)
    samples = int(samples)
    for name, value in (("position_sd", position_sd), ("capability_sd", capability_sd),
                        ("salience_sd", salience_sd)):
        if not (np.isfinite(value) and value >= 0):
            raise ParameterError.single("must be a non-negative number", field=name, value=value)
    rng = np.random.default_rng(seed)
    pos, cap, sal, z = perturb(inputs, samples, rng, position_sd, capability_sd, salience_sd)
    f = forecasts(solver.name, inputs, pos, cap, sal)
    baseline = solver.solve(inputs).position
    n = inputs.n_actors
    out = []
    for d, issue in enumerate(inputs.issues):
        y = f[:, d]
        var = float(y.var())
        features = z[:, :, :, d].reshape(samples, n * 3)
        features = (features - features.mean(0)) / np.where(features.std(0) > 0,
                                                            features.std(0), 1.0)
        if var > 0:
            design = np.column_stack([np.ones(samples), features])
            beta, *_ = np.linalg.lstsq(design, y, rcond=None)
            residual = y - design @ beta
            r2 = float(1 - residual.var() / var)
            contribution = (beta[1:] ** 2).reshape(n, 3).sum(axis=1) / var
        else:
            r2, contribution = 1.0, np.zeros(n)
        out.append(IssueSensitivity(
            issue, float(baseline[d]), float(y.mean()), float(np.sqrt(var)),
            float(np.percentile(y, 5)), float(np.percentile(y, 95)), r2,
            {a: float(c) for a, c in zip(inputs.actors, contribution, strict=True)}))
    return Sensitivity(solver.name, samples, int(seed), tuple(out))
