"""Fit a scenario to revealed choices: move positions and saliences within their documented
ranges so that the coded decisions become as likely as the priors allow.

The likelihood of the choices is the product, over every known choice of a signatory or consent
holder, of P(accept) (``probability``) if it accepted or defected and 1 - P(accept) if it
refused, each decision measured from where things stood (its ``moves``' from-values) to where it
would have taken them. The fit maximises

    sum_choices log P(choice) - prior_weight / 2 sum ((x - x0) / sd_x)^2 + ((s - s0) / sd_s)^2

over every actor's positions x and saliences s (x0, s0: the analyst's inputs, sd: the actor's
documented uncertainty), and over the third-party weight, within the documented range: at most
``fit_range`` standard deviations from the inputs, inside the issue's scale and the actor's
declared red lines, saliences in [0, 1], the weight in [0, 0.5]. ``prior_weight`` 0 is plain
maximum likelihood within the ranges; 1 (the default) weighs the analyst's inputs as what they
are, one more piece of evidence. The draws are fixed (``samples``, ``seed``), so the objective is
smooth and deterministic; its gradient is exact (the gains are piecewise linear in the inputs)
and the optimiser is scipy's L-BFGS-B with bounds.

A fit always starts from the analyst's inputs: fitting a fitted scenario first restores them
(``unfitted``). A fit that does not converge says so and keeps the unfitted inputs.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from scipy.optimize import minimize
from scipy.special import expit

from detente import yamlio
from detente.bundle import Bundle
from detente.dialogue import catalog, decisions, probability
from detente.dialogue import scenario as scenario_module
from detente.dialogue.decisions import Coded, Decisions
from detente.dialogue.scenario import FitMove, FitRecord, Scenario
from detente.errors import ParameterError, Problem, ScenarioError

FIT_SAMPLES = 256
OPTIMISER = "scipy.optimize.minimize (L-BFGS-B, exact gradient)"


def unfitted(scenario: Scenario) -> Scenario:
    """The analyst's inputs of a fitted scenario (its fit's moves undone); the scenario itself
    when it was not fitted. A move whose ``after`` is no longer the scenario's number (edited
    since the fit) is an error: the record no longer describes the file."""
    if scenario.fit is None:
        return scenario
    data = scenario.to_dict()
    problems = []
    for k, move in enumerate(scenario.fit.moves):
        if move.field == "third_party_weight":
            holder, key = data.setdefault("acceptance", {}), "third_party_weight"
            current = scenario.acceptance.third_party_weight
        else:
            assert move.actor is not None and move.issue is not None  # a stance move names both
            actor = scenario.actor_ids.index(move.actor)
            holder = data["actors"][actor]["positions"][move.issue]
            key = move.field
            current = getattr(scenario.actor(move.actor).positions[move.issue], move.field)
        if not np.isclose(current, move.after):
            problems.append(Problem(
                f"the scenario's value is {current:g}, not the fitted {move.after:g}: the file "
                "was edited after its fit (remove the fit block, or set the value back)",
                field=f"fit.moves.{k}.after", value=move.after))
        holder[key] = move.before
    ScenarioError.collect(f"scenario {scenario.id}: its fit record does not match", problems)
    data.pop("fit", None)
    return scenario_module.from_data(data, f"{scenario.id} (unfitted)")


@dataclass(frozen=True, eq=False)
class Fit:
    """The outcome of a fit: the fitted scenario (the unfitted one when it did not converge),
    whether it converged and why not, and the record written into the scenario."""

    scenario: Scenario
    unfitted: Scenario
    converged: bool
    message: str
    record: FitRecord

    def to_json_dict(self) -> dict:
        return {"converged": self.converged, "message": self.message,
                "fit": self.record.model_dump(mode="json")}


class Likelihood:
    """The negative log posterior of the fit (module docstring) and its gradient, as a function
    of the standardised offsets u = (x - x0) / sd_x, v = (s - s0) / sd_s (``(N, D)`` each,
    flattened) and the third-party weight."""

    def __init__(self, scenario: Scenario, data: Coded, samples: int, seed: int,
                 prior_weight: float):
        self.priors = probability.Priors.of(scenario)
        self.inputs = scenario.inputs
        self.data = data
        self.prior_weight = prior_weight
        n, d = self.inputs.position.shape
        self.shape = (n, d)
        self.z_pos, self.z_sal = probability.normal_draws(samples, n, d, seed)
        self.pressure = np.stack([probability.pressure_weights(self.inputs.capability, v)
                                  for v in data.veto])  # (E, N, N)
        self.q = data.start[:, None, None, :]
        self.y = data.end[:, None, None, :]

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        n, d = self.shape
        u, v = theta[:n * d].reshape(n, d), theta[n * d:2 * n * d].reshape(n, d)
        return (self.priors.position + self.priors.position_sd * u,
                self.priors.salience + self.priors.salience_sd * v, float(theta[-1]))

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        n, d = self.shape
        position, salience, weight = self.unpack(theta)
        x, s, mx, ms = probability.drawn(self.priors, self.z_pos, self.z_sal, position, salience)
        width, data = self.inputs.width, self.data
        diff = np.abs(self.q - x) - np.abs(self.y - x)  # (E, K, N, D)
        g = 100.0 * (s * diff / width).sum(axis=-1)  # (E, K, N)
        passed = np.einsum("ekj,eij->eki", g, self.pressure)
        effective = g + weight * passed
        tremble, noise = self.priors.tremble, self.priors.noise
        sig = np.where(data.crossed[:, None, :], 0.0, expit(effective / noise))
        p = (tremble + (1 - 2 * tremble) * sig).mean(axis=1)  # (E, N)
        # without a tremble a crossed red line makes a choice impossible: keep the log finite
        p_obs = np.clip(p[data.obs_decision, data.obs_actor], 1e-12, 1 - 1e-12)
        a = data.obs_accepted
        loglik = float(np.sum(np.where(a, np.log(p_obs), np.log1p(-p_obs))))
        # gradient: dl/dP per observation, then back through the draws
        dl_dp = np.where(a, 1.0 / p_obs, -1.0 / (1.0 - p_obs))
        per = np.zeros_like(p)
        np.add.at(per, (data.obs_decision, data.obs_actor), dl_dp)
        k = x.shape[0]
        dl_deff = per[:, None, :] * (1 - 2 * tremble) * sig * (1 - sig) / (noise * k)
        dl_dg = dl_deff + weight * np.einsum("eki,eij->ekj", dl_deff, self.pressure)
        dl_dweight = float(np.sum(dl_deff * passed))
        dg_dx = 100.0 * s * (np.sign(x - self.q) - np.sign(x - self.y)) / width * mx
        dg_ds = 100.0 * diff / width * ms
        dl_dx = np.einsum("ekj,ekjd->jd", dl_dg, dg_dx)
        dl_ds = np.einsum("ekj,ekjd->jd", dl_dg, dg_ds)
        u, v = theta[:n * d], theta[n * d:2 * n * d]
        value = -loglik + 0.5 * self.prior_weight * float(u @ u + v @ v)
        grad = np.concatenate([-(dl_dx * self.priors.position_sd).ravel() + self.prior_weight * u,
                               -(dl_ds * self.priors.salience_sd).ravel() + self.prior_weight * v,
                               [-dl_dweight]])
        return value, grad

    def log_likelihood(self, theta: np.ndarray) -> float:
        value, _ = self.__call__(theta)
        n, d = self.shape
        u, v = theta[:n * d], theta[n * d:2 * n * d]
        return -(value - 0.5 * self.prior_weight * float(u @ u + v @ v))

    def bounds(self, scenario: Scenario) -> list[tuple[float, float]]:
        """The documented ranges, in standardised units (module docstring)."""
        reach = scenario.acceptance.fit_range
        pr, inputs = self.priors, self.inputs
        low = np.maximum(inputs.range_low, inputs.scale[:, 0])
        high = np.minimum(inputs.range_high, inputs.scale[:, 1])
        u_low = np.maximum(-reach, (low - pr.position) / pr.position_sd)
        u_high = np.minimum(reach, (high - pr.position) / pr.position_sd)
        v_low = np.maximum(-reach, -pr.salience / pr.salience_sd)
        v_high = np.minimum(reach, (1.0 - pr.salience) / pr.salience_sd)
        return [*zip(u_low.ravel(), u_high.ravel(), strict=True),
                *zip(v_low.ravel(), v_high.ravel(), strict=True), (0.0, 0.5)]

    def start(self, scenario: Scenario) -> np.ndarray:
        n, d = self.shape
        return np.concatenate([np.zeros(2 * n * d), [scenario.acceptance.third_party_weight]])


def fit(scenario: Scenario, found: Decisions, before: dt.date | None = None,
        prior_weight: float = 1.0, samples: int = FIT_SAMPLES, seed: int = 0,
        max_iterations: int = 500) -> Fit:
    """``scenario`` fitted to the decisions of ``found`` dated before ``before`` (all without
    one), every one of them dated no later than the scenario's ``as_of`` (module docstring)."""
    if not (np.isfinite(prior_weight) and prior_weight >= 0):
        raise ParameterError.single("must be a non-negative number", field="prior_weight",
                                    value=prior_weight)
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, int) \
            or max_iterations < 1:
        raise ParameterError.single("must be a positive integer", field="max_iterations",
                                    value=max_iterations)
    base = unfitted(scenario)
    used = found.before(before)
    decisions.refuse_after(found, used, base)
    data = decisions.coded(base, [d for _, d in used])
    if data.n_choices == 0:
        raise ScenarioError.single(f"no known choice among the {len(used)} decision(s) dated "
                                   f"before {before}: nothing to fit", file=found.file,
                                   field="before", value=str(before))
    objective = Likelihood(base, data, samples, seed, prior_weight)
    start = objective.start(base)
    result = minimize(objective, start, jac=True, method="L-BFGS-B",
                      bounds=objective.bounds(base), options={"maxiter": max_iterations})
    position, salience, weight = objective.unpack(result.x)
    position, salience = np.round(position, 1), np.round(salience, 2)
    weight = round(weight, 3)
    fitted_theta = _theta(objective, position, salience, weight)
    moves = _moves(base, position, salience, weight, objective.priors)
    record = FitRecord(
        decisions=found.name, before=before, decisions_used=len(used),
        choices_used=data.n_choices,
        log_likelihood_before=round(objective.log_likelihood(start), 4),
        log_likelihood_after=round(objective.log_likelihood(fitted_theta), 4),
        prior_weight=prior_weight, samples=samples, seed=seed, iterations=int(result.nit),
        optimiser=OPTIMISER, moves=moves if result.success else [])
    if not result.success:
        message = (f"the fit did not converge after {result.nit} iteration(s) "
                   f"({_text(result.message)}); the unfitted inputs are kept")
        return Fit(base, base, False, message, record)
    fitted = _apply(base, moves, record)
    message = (f"converged after {result.nit} iteration(s): log-likelihood of the "
               f"{data.n_choices} choices {record.log_likelihood_before:.2f} -> "
               f"{record.log_likelihood_after:.2f}; {len(moves)} number(s) moved")
    return Fit(fitted, base, True, message, record)


def _text(message) -> str:
    return message.decode() if isinstance(message, bytes) else str(message)


def _theta(objective: Likelihood, position, salience, weight) -> np.ndarray:
    pr = objective.priors
    return np.concatenate([((position - pr.position) / pr.position_sd).ravel(),
                           ((salience - pr.salience) / pr.salience_sd).ravel(), [weight]])


def _moves(base: Scenario, position, salience, weight, priors) -> list[FitMove]:
    inputs = base.inputs
    out = []
    for i, actor in enumerate(inputs.actors):
        for d, issue in enumerate(inputs.issues):
            for name, new, old, sd in (
                    ("position", position, inputs.position, priors.position_sd),
                    ("salience", salience, inputs.salience, priors.salience_sd)):
                if not np.isclose(new[i, d], old[i, d]):
                    out.append(FitMove(field=name, actor=actor, issue=issue,
                                       before=float(old[i, d]), after=float(new[i, d]),
                                       prior_sd=round(float(sd[i, d]), 4)))
    if not np.isclose(weight, base.acceptance.third_party_weight):
        out.append(FitMove(field="third_party_weight",
                           before=base.acceptance.third_party_weight, after=float(weight)))
    return sorted(out, key=lambda m: -abs(m.after - m.before) / (m.prior_sd or 0.1))


def _apply(base: Scenario, moves: list[FitMove], record: FitRecord) -> Scenario:
    data = base.to_dict()
    for move in moves:
        if move.field == "third_party_weight":
            data.setdefault("acceptance", {})["third_party_weight"] = move.after
        else:
            assert move.actor is not None and move.issue is not None  # a stance move names both
            i = base.actor_ids.index(move.actor)
            data["actors"][i]["positions"][move.issue][move.field] = move.after
    data["fit"] = record.model_dump(mode="json", exclude_defaults=True)
    return scenario_module.from_data(data, f"{base.id} (fitted)")


def fitted_yaml(ref: str | Path, result: Fit) -> str:
    """The fitted scenario as YAML: the source file with its fitted numbers changed and the fit
    recorded (layout and wording kept), or the plain dump of a scenario read from a CSV."""
    text = str(ref)
    if Path(text).suffix.lower() == ".csv":
        return result.scenario.to_yaml()
    path = Path(text).expanduser() if Bundle.is_path(text) else catalog.path_of(text)
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    doc = yaml.load(path.read_text(encoding="utf-8"))
    sc = result.scenario
    for actor, node in zip(sc.actors, doc["actors"], strict=True):
        for issue, stance in actor.positions.items():
            for key in ("position", "salience"):
                value = getattr(stance, key)
                if not np.isclose(node["positions"][issue][key], value):
                    node["positions"][issue][key] = _number(value)
    weight = sc.acceptance.third_party_weight
    if "acceptance" in doc or weight:
        doc.setdefault("acceptance", {})["third_party_weight"] = _number(weight)
    if sc.fit is None:
        doc.pop("fit", None)
    else:
        record = yamlio.to_plain(sc.fit.model_dump(mode="json", exclude_defaults=True))
        moves = CommentedSeq()
        for move in record.pop("moves", []):
            row = CommentedMap((k, _number(v) if isinstance(v, float) else v)
                               for k, v in move.items())
            row.fa.set_flow_style()  # one line per move
            moves.append(row)
        doc["fit"] = {**record, "moves": moves}
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
