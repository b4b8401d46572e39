"""Probabilistic acceptance: how likely each party is to accept a deal, and the deal to happen.

Every position and salience in a scenario is an estimate, so a party's gain from a deal is
uncertain. The scenario documents a prior per actor (``Uncertainty``: a standard deviation for
its positions, in points per 100 of scale, and one for its saliences). ``samples`` draws
(seeded, reproducible bit for bit) put every position at x + sd_x z (clipped to the scale) and
every salience at s + sd_s z (clipped to [0, 1]); in each draw k party i's gain from moving the
issues from ``start`` q to ``end`` y is, in points (``preferences``),

    g_ik = 100 sum_d s_idk (|q_d - x_idk| - |y_d - x_idk|) / W_d.

Who must agree: a deal names its signatories and the parties whose consent it needs; only they
hold a veto (without names, the scenario's parties with a veto). Every other actor is a third
party: its acceptance is reported, and with ``third_party_weight`` w > 0 a share of its stake
reaches each veto holder as pressure (brokers push to accept, spoilers to refuse):

    g*_ik = g_ik + w sum_{j third party} min(1, c_j / c_i) g_jk.

A party accepts in draw k with probability sigma(g*_ik / noise) (a logistic choice around a
zero gain), 0 if the deal crosses one of its red lines on an issue it moves; a tremble t is
the chance that a choice goes against its stakes whatever they are:

    P(accept_i) = t + (1 - 2t) mean_k sigma(g*_ik / noise),
    P(viable) = mean_k prod_{i veto} (t + (1 - 2t) sigma(g*_ik / noise)).

The verdict is "likely" when P(viable) >= 2/3, "unlikely" when it is <= 1/3, "uncertain"
between; the driving issue is the costliest issue of the veto holder least likely to accept.
Gains and costs are reported at the point estimates (the scenario's numbers), with the 5 % and
95 % points of the gain over the draws beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from detente.dialogue import preferences
from detente.dialogue.inputs import Inputs
from detente.dialogue.scenario import Scenario
from detente.errors import ParameterError

SAMPLES = 2000
LIKELY, UNLIKELY = 2 / 3, 1 / 3


@dataclass(frozen=True, eq=False)
class Priors:
    """The scenario's estimates and their standard deviations, ``(N, D)`` each, in the
    issues' own units; ``capability`` ``(N,)``; the acceptance settings."""

    position: np.ndarray
    position_sd: np.ndarray
    salience: np.ndarray
    salience_sd: np.ndarray
    capability: np.ndarray
    scale: np.ndarray
    noise: float
    tremble: float
    third_party_weight: float

    @classmethod
    def of(cls, scenario: Scenario) -> Priors:
        inputs = scenario.inputs
        n, d = inputs.position.shape
        pos_sd = np.empty((n, d))
        sal_sd = np.empty((n, d))
        for i, actor in enumerate(scenario.actors):
            prior = scenario.uncertainty_of(actor)
            pos_sd[i] = prior.position * inputs.width / 100.0
            sal_sd[i] = prior.salience
        model = scenario.acceptance
        return cls(inputs.position, pos_sd, inputs.salience, sal_sd, inputs.capability,
                   inputs.scale, model.noise, model.tremble, model.third_party_weight)


def normal_draws(samples: int, n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal draws for the positions and the saliences, each ``(samples, n, d)``."""
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        raise ParameterError.single("must be a positive integer", field="samples",
                                    value=samples)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError.single("the seed must be a non-negative integer", field="seed",
                                    value=seed)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((samples, n, d)), rng.standard_normal((samples, n, d))


def drawn(priors: Priors, z_pos: np.ndarray, z_sal: np.ndarray,
          position: np.ndarray | None = None, salience: np.ndarray | None = None):
    """Positions and saliences ``(K, N, D)`` around ``position``/``salience`` (default: the
    priors' estimates), and where each is not clipped (its derivative is 1 there, 0 elsewhere)."""
    position = priors.position if position is None else position
    salience = priors.salience if salience is None else salience
    raw_x = position + priors.position_sd * z_pos
    raw_s = salience + priors.salience_sd * z_sal
    x = np.clip(raw_x, priors.scale[:, 0], priors.scale[:, 1])
    s = np.clip(raw_s, 0.0, 1.0)
    return x, s, x == raw_x, s == raw_s


def stakes(x: np.ndarray, s: np.ndarray, width: np.ndarray, start: np.ndarray,
           end: np.ndarray) -> np.ndarray:
    """Gains in points of moving from ``start`` to ``end`` (``(..., D)``), for positions and
    saliences ``(K, N, D)``: ``(..., K, N)``."""
    q = np.asarray(start, dtype=float)[..., None, None, :]
    y = np.asarray(end, dtype=float)[..., None, None, :]
    return 100.0 * (s * (np.abs(q - x) - np.abs(y - x)) / width).sum(axis=-1)


def pressure_weights(capability: np.ndarray, veto: np.ndarray) -> np.ndarray:
    """``(N, N)``: how much of third party j's stake reaches veto holder i, min(1, c_j / c_i)
    (1 when c_i = 0); zero unless i holds a veto and j does not."""
    c = np.asarray(capability, dtype=float)
    ratio = np.divide(c[None, :], c[:, None], out=np.ones((c.size, c.size)),
                      where=c[:, None] > 0)
    return np.minimum(ratio, 1.0) * (veto[:, None] & ~veto[None, :])


def choice_probability(gains: np.ndarray, crossed: np.ndarray | np.bool_, noise: float,
                       tremble: float) -> np.ndarray:
    """Per draw, the probability of accepting: t + (1 - 2t) sigma(g / noise), t where a red
    line is crossed. ``crossed`` broadcasts against ``gains``."""
    p = np.where(crossed, 0.0, expit(gains / noise))
    return tremble + (1.0 - 2.0 * tremble) * p


def crossed_lines(inputs: Inputs, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``(N, D)``: red lines the deal crosses, on the issues it moves."""
    moved = ~np.isclose(start, end)
    return preferences.red_lines_crossed(inputs, end) & moved


@dataclass(frozen=True)
class Chance:
    """One actor's acceptance of a deal: P(accept), its gain at the point estimates and over
    the draws (mean, 5 % and 95 %), its costliest issue and that issue's cost (point
    estimates)."""

    actor: str
    role: str
    veto: bool
    p_accept: float
    gain: float
    gain_mean: float
    gain_low: float
    gain_high: float
    costliest_issue: str | None
    cost: float
    red_lines: tuple[str, ...]
    reason: str

    @property
    def accepts(self) -> bool:
        return self.p_accept >= 0.5

    def to_json_dict(self) -> dict:
        return {"actor": self.actor, "role": self.role, "veto": self.veto,
                "p_accept": round(self.p_accept, 4), "accepts": self.accepts,
                "gain": round(self.gain, 4), "gain_mean": round(self.gain_mean, 4),
                "gain_90": [round(self.gain_low, 4), round(self.gain_high, 4)],
                "costliest_issue": self.costliest_issue, "cost": round(self.cost, 4),
                "red_lines": list(self.red_lines), "reason": self.reason}


@dataclass(frozen=True, eq=False)
class Outlook:
    """Whether a deal is likely: P(viable), the verdict, what drives it, every actor's
    chance, and the draws it rests on."""

    p_viable: float
    label: str
    driver: str | None
    driving_issue: str | None
    sentence: str
    chances: tuple[Chance, ...]
    samples: int
    seed: int
    third_party_weight: float

    @property
    def signatories(self) -> list[str]:
        return [c.actor for c in self.chances if c.veto]

    def to_json_dict(self) -> dict:
        return {"p_viable": round(self.p_viable, 4), "outlook": self.label,
                "verdict": self.sentence, "driver": self.driver,
                "driving_issue": self.driving_issue, "samples": self.samples, "seed": self.seed,
                "third_party_weight": self.third_party_weight,
                "acceptance": [c.to_json_dict() for c in self.chances]}


def label(p_viable: float) -> str:
    """likely, unlikely or uncertain (module docstring)."""
    return "likely" if p_viable >= LIKELY else "unlikely" if p_viable <= UNLIKELY else \
        "uncertain"


def veto_mask(scenario: Scenario, signatories: Sequence[str] = (),
              consent: Sequence[str] = ()) -> tuple[np.ndarray, list[str]]:
    """(veto ``(N,)``, role per actor): the named signatories and consent holders, or the
    scenario's parties with a veto when none is named."""
    ids = scenario.actor_ids
    named = set(signatories) | set(consent)
    if named:
        veto = np.array([a in named for a in ids])
        roles = ["signatory" if a in signatories else "consent" if a in consent
                 else "third party" for a in ids]
    else:
        veto = scenario.inputs.veto.copy()
        roles = ["party with a veto" if v else "third party" for v in veto]
    return veto, roles


def outlook(scenario: Scenario, end: np.ndarray, veto: np.ndarray, roles: Sequence[str],
            start: np.ndarray | None = None, samples: int = SAMPLES,
            seed: int = 0) -> Outlook:
    """The outlook of moving the issues from ``start`` (default: the status quo) to ``end``
    (module docstring)."""
    inputs = scenario.inputs
    priors = Priors.of(scenario)
    start = inputs.status_quo if start is None else np.asarray(start, dtype=float)
    end = np.asarray(end, dtype=float)
    z_pos, z_sal = normal_draws(samples, inputs.n_actors, inputs.n_issues, seed)
    x, s, _, _ = drawn(priors, z_pos, z_sal)
    g = stakes(x, s, inputs.width, start, end)  # (K, N)
    w = priors.third_party_weight * pressure_weights(inputs.capability, veto)
    effective = g + g @ w.T
    crossed = crossed_lines(inputs, start, end)
    p = choice_probability(effective, crossed.any(axis=1), priors.noise, priors.tremble)
    judged = veto if veto.any() else np.ones_like(veto)
    p_viable = float(np.prod(p[:, judged], axis=1).mean())
    # costs at the point estimates, as the gain (x 100, per actor and issue)
    cost = 100.0 * inputs.salience * (np.abs(end - inputs.position)
                                      - np.abs(start - inputs.position)) / inputs.width
    point = -cost.sum(axis=1)
    chances = []
    for i, actor in enumerate(inputs.actors):
        lines = tuple(inputs.issues[d] for d in np.flatnonzero(crossed[i]))
        k = int(np.argmax(cost[i]))
        worst = inputs.issues[k] if cost[i, k] > 0 else None
        lo, hi = np.percentile(g[:, i], [5, 95])
        chance = Chance(actor, _role(roles[i], veto[i], float(p[:, i].mean())), bool(veto[i]),
                        float(p[:, i].mean()), float(point[i]), float(g[:, i].mean()), float(lo),
                        float(hi), lines[0] if lines else worst, float(max(cost[i, k], 0.0)),
                        lines, "")
        chances.append(_with_reason(chance, inputs, end, i))
    driver = min((c for c in chances if judged[inputs.actor_index(c.actor)]),
                 key=lambda c: c.p_accept)
    verdict = label(p_viable)
    sentence = f"{verdict}: P(viable) {p_viable:.2f}"
    if verdict != "likely" or driver.p_accept < LIKELY:
        sentence += (f", driven by {driver.actor}" +
                     (f" on {driver.costliest_issue}" if driver.costliest_issue else "") +
                     f" (P(accept) {driver.p_accept:.2f})")
    return Outlook(p_viable, verdict, driver.actor, driver.costliest_issue, sentence,
                   tuple(chances), int(samples), int(seed), priors.third_party_weight)


def _role(role: str, veto: bool, p: float) -> str:
    if veto:
        return role
    return f"{role}: {'supports' if p >= 0.5 else 'opposes'}"


def _with_reason(c: Chance, inputs: Inputs, end: np.ndarray, i: int) -> Chance:
    spread = f"90% of draws {c.gain_low:+.1f} to {c.gain_high:+.1f}"
    if c.red_lines:
        d = inputs.issue_index(c.red_lines[0])
        low, high, _ = preferences.limits(inputs)
        why = (f"crosses its red line on {c.red_lines[0]} (signs only "
               f"[{low[i, d]:g}, {high[i, d]:g}], deal {end[d]:g})")
    elif c.costliest_issue is None:
        why = f"gains {c.gain:+.1f} points ({spread}); no issue costs it anything"
    else:
        why = (f"gains {c.gain:+.1f} points ({spread}); costliest issue {c.costliest_issue} "
               f"(-{c.cost:.1f})")
    return Chance(**{**c.__dict__, "reason": why})
