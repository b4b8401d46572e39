"""The bargaining models, each behind the ``Solver`` interface.

``get(name)`` returns a solver with its default settings; ``MODELS`` lists the names in the
order reports show them.
"""

from __future__ import annotations

from detente.dialogue.inputs import Inputs
from detente.dialogue.solvers.base import Forecast, Solver
from detente.dialogue.solvers.bdm import BdM
from detente.dialogue.solvers.compromise import Compromise
from detente.dialogue.solvers.median import Median
from detente.dialogue.solvers.nash import Nash
from detente.dialogue.solvers.smp import SMP
from detente.errors import ParameterError

SOLVERS: dict[str, type[Solver]] = {cls.name: cls for cls in (Compromise, Median, Nash, BdM, SMP)}
MODELS: tuple[str, ...] = tuple(SOLVERS)

__all__ = [
    "MODELS",
    "SMP",
    "SOLVERS",
    "BdM",
    "Compromise",
    "Forecast",
    "Median",
    "Nash",
    "Solver",
    "get",
    "names",
    "solve_all",
]


def names(spec: str | list[str] | tuple[str, ...]) -> list[str]:
    """Model names from ``"all"``, one name, a comma-separated string or a list."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    items = [item.strip().lower() for item in items if item.strip()]
    if "all" in items:
        return list(MODELS)
    unknown = [item for item in items if item not in SOLVERS]
    if unknown or not items:
        raise ParameterError.single(f"unknown model; models: {', '.join(MODELS)} or all",
                                    field="model", value=",".join(unknown) or spec)
    return list(dict.fromkeys(items))


def get(name: str, **options) -> Solver:
    """A solver by name, with ``options`` passed to its constructor (one model: not ``all``
    nor a list)."""
    found = names(name)
    if len(found) != 1:
        raise ParameterError.single(f"one model expected; models: {', '.join(MODELS)}",
                                    field="model", value=name)
    return SOLVERS[found[0]](**options)


def solve_all(inputs: Inputs, models: str | list[str] = "all",
              options: dict[str, dict] | None = None) -> dict[str, Forecast]:
    """Every requested model's forecast, by name; ``options`` maps a model name to its
    constructor's keyword arguments (``{"nash": {"disagreement": "reservation"}}``)."""
    options = options or {}
    return {name: get(name, **options.get(name, {})).solve(inputs) for name in names(models)}
