"""The Nash bargaining solution over all issues at once.

The parties whose consent is needed (actors with a veto) bargain over a package y, one outcome
per issue. Each has the gain g_i(y) over its disagreement point (``preferences``: linear,
salience-weighted loss). The disagreement point is the status quo (default) or, with
``disagreement="reservation"``, each party's reservation point where it declared one. The
asymmetric Nash solution maximises the capability-weighted Nash product

    max_y  sum_i c_i log g_i(y)   subject to g_i(y) > 0 for every party, y within every limit
                                  (red lines, reservation points),

which trades across issues by itself: a party gives on the issues it cares less about (low s_id)
for gains on the ones it cares about. The problem is concave. It is solved in two phases, both
in scale-normalised coordinates:

1. Feasibility: a linear programme maximises min_i g_i(y) (HiGHS via scipy's ``linprog``). If the
   best minimum is not positive, no package makes every party better off than disagreeing: the
   solution is the status quo, with a note saying which parties block.
2. Newton's method from that interior point on the smoothed objective, with |z| replaced by
   sqrt(z^2 + e^2) for e = 1e-2 ... 1e-9 (continuation) and a logarithmic barrier, 1e-3 e, for the
   red lines; damped steps keep every g_i positive.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from scipy.optimize import linprog

from detente.dialogue import preferences
from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast

_EPSILONS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)
_FEASIBLE = 1e-9


def _feasibility(x, s, rho, low, high):
    """max_y min_i g_i(y) as an LP over y (D), t (N*D) with t >= |y - x|, and z."""
    n, d = x.shape
    nv = d + n * d + 1
    c = np.zeros(nv)
    c[-1] = -1.0  # maximise z
    rows, rhs = [], []
    for i in range(n):
        for k in range(d):
            col = d + i * d + k
            for sign in (1.0, -1.0):  # sign (y_k - x_ik) - t_ik <= 0
                row = np.zeros(nv)
                row[k], row[col] = sign, -1.0
                rows.append(row)
                rhs.append(sign * x[i, k])
        row = np.zeros(nv)  # z - g_i(y) <= 0, g_i = sum_k s_ik (rho_ik - t_ik)
        row[d + i * d: d + (i + 1) * d] = s[i]
        row[-1] = 1.0
        rows.append(row)
        rhs.append(float(s[i] @ rho[i]))
    bounds = [(lo, hi) for lo, hi in zip(low, high, strict=True)] + [(0, None)] * (n * d) + \
        [(None, None)]
    result = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    if result.status != 0:  # cannot happen for a non-empty box, but never trust an LP blindly
        return None, -np.inf
    return result.x[:d], -result.fun


def _newton(y, x, s, rho, w, low, high, eps):
    """Maximise sum_i w_i log g_i^eps(y) + mu sum log(box slack) from a feasible ``y``; issues
    whose red lines leave a single point stay fixed there."""
    mu = 1e-3 * eps
    free = high - low > 1e-12
    boxed_low, boxed_high = free & (low > 0), free & (high < 1)

    def value(y):
        a = np.sqrt((y - x) ** 2 + eps**2)
        g = (s * (rho - a)).sum(axis=1)
        if np.any(g <= 0) or np.any(y[boxed_low] <= low[boxed_low]) or \
                np.any(y[boxed_high] >= high[boxed_high]):
            return -np.inf, None
        barrier = mu * (np.log(y[boxed_low] - low[boxed_low]).sum()
                        + np.log(high[boxed_high] - y[boxed_high]).sum())
        return float(w @ np.log(g)) + barrier, (a, g)

    # start strictly inside the red lines: a tiny step towards the middle of the box
    middle = (low + high) / 2
    for shrink in (1e-6, 1e-9, 1e-12):
        start = np.where(free, y + shrink * (middle - y), y)
        f, aux = value(start)
        if aux is not None:
            y = start
            break
    else:
        return y
    for _ in range(100):
        a, g = aux
        dg = -s * (y - x) / a  # (N, D)
        d2g = -s * eps**2 / a**3  # diagonal second derivatives, (N, D)
        grad = (w / g) @ dg
        hess = np.diag((w / g) @ d2g) - (dg * (w / g**2)[:, None]).T @ dg
        slack_low = np.where(boxed_low, y - low, 1.0)
        slack_high = np.where(boxed_high, high - y, 1.0)
        grad += mu * (boxed_low / slack_low - boxed_high / slack_high)
        hess -= np.diag(mu * (boxed_low / slack_low**2 + boxed_high / slack_high**2))
        grad, hess = grad[free], hess[np.ix_(free, free)]
        try:
            step = np.linalg.solve(hess - 1e-14 * np.eye(len(grad)), -grad)
        except np.linalg.LinAlgError:
            step = grad
        if grad @ step <= 0:  # not an ascent direction (numerical trouble): use the gradient
            step = grad
        full = np.zeros_like(y)
        full[free] = step
        t = 1.0
        while t > 1e-12:
            f_new, aux_new = value(y + t * full)
            if f_new >= f + 1e-4 * t * (grad @ step):
                break
            t *= 0.5
        else:
            break
        y, f, aux = y + t * full, f_new, aux_new
        if np.abs(t * step).max(initial=0.0) < 1e-13:
            break
    return y


def nash_solution(inputs: Inputs, disagreement: preferences.Benchmark = "status_quo"):
    """(package (D,), notes): the asymmetric Nash bargaining solution, or the status quo when
    no package gives every party a positive gain."""
    who = preferences.players(inputs)
    lo, width = inputs.scale[:, 0], inputs.width
    x = (inputs.position[who] - lo) / width
    s = inputs.salience[who]
    rho = preferences.reach(inputs, disagreement)[who] / width
    cap = inputs.capability[who]
    w = cap / cap.sum() if cap.sum() > 0 else np.full(len(who), 1.0 / len(who))
    lim_low, lim_high, declared = preferences.limits(inputs)
    low = np.where(declared[who], (lim_low[who] - lo) / width, 0.0).max(axis=0)
    high = np.where(declared[who], (lim_high[who] - lo) / width, 1.0).min(axis=0)
    sq = inputs.status_quo.copy()
    # An issue no bargaining party cares about (zero salience for all) leaves every gain
    # unchanged wherever it goes: it stays at the status quo, within the parties' limits.
    idle = ~np.any(s > 0, axis=0) & (low <= high)
    low, high = low.copy(), high.copy()
    low[idle] = high[idle] = np.clip((sq[idle] - lo[idle]) / width[idle], low[idle],
                                     high[idle])
    if np.any(low > high):
        issues = [inputs.issues[k] for k in np.flatnonzero(low > high)]
        return sq, [f"the parties' limits do not overlap on {', '.join(issues)}: no package "
                    "is possible; Nash returns the status quo"]
    y0, best = _feasibility(x, s, rho, low, high)
    if y0 is None or best <= _FEASIBLE:
        blockers = "" if y0 is None else _blockers(inputs, who, lo + width * y0, best,
                                                   disagreement)
        return sq, ["no package gives every party more than its disagreement point; Nash "
                    f"returns the status quo{blockers}"]
    y = np.clip(y0, low, high)
    for eps in _EPSILONS:
        a = np.sqrt((y - x) ** 2 + eps**2)
        if np.any((s * (rho - a)).sum(axis=1) <= 0):
            continue  # the smoothing is still coarser than the slack at this point
        y = _newton(y, x, s, rho, w, low, high, eps)
    return lo + width * y, []


def _blockers(inputs: Inputs, who: np.ndarray, package: np.ndarray, best: float,
              disagreement) -> str:
    """The parties that still lose at the package that treats the worst-off party best."""
    g = preferences.gains(inputs, package, disagreement)[who]
    binding = [inputs.actors[who[k]] for k in np.flatnonzero(g <= best + 1e-9)]
    shown = ", ".join(binding[:4]) + (f" and {len(binding) - 4} more" if len(binding) > 4 else "")
    return f" (even the package fairest to the worst-off party leaves {shown} no better off)"


class Nash:
    """Asymmetric (capability-weighted) Nash bargaining solution over all issues."""

    name: ClassVar[str] = "nash"
    title: ClassVar[str] = "Nash bargaining solution"
    dynamic: ClassVar[bool] = False

    def __init__(self, disagreement: Literal["status_quo", "reservation"] = "status_quo"):
        self.disagreement = disagreement

    def solve(self, inputs: Inputs) -> Forecast:
        package, notes = nash_solution(inputs, self.disagreement)
        return Forecast(self.name, package, notes=tuple(notes))
