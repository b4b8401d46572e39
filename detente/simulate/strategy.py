"""Strategies: how a party decides, run by run, whether to take an occasion to breach.

A strategy is vectorised over the runs of a chunk. The engine calls, once per period:

1. ``intent(state)`` -> bool array: in which runs the party takes an occasion to breach if one
   arises this period (it breaches only when also tempted);
2. ``react(state, seen, rng)`` with ``seen`` = in which runs the party observed, this period, a
   breach (real or a false alarm) by a party whose breach releases it; it updates ``state`` in
   place and returns in which runs it *responds* (retaliates or walks out). The agreement
   collapses at the first response in a run.

Everything per run lives in the object ``start(runs)`` returns, never on ``self``: one instance
serves every chunk, thread and worker. Keep per-run state in small dtypes (bool, uint8, uint16).

Add your own by subclassing ``Strategy`` and decorating it with ``@register``; see
docs/simulate.md ("Your own strategy") and examples/simulate_custom_strategy.py.
"""

from __future__ import annotations

import dataclasses
import importlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from detente.errors import ParameterError

_REGISTRY: dict[str, type[Strategy]] = {}
# Other names, with parameters where the name implies them: Axelrod's GTFT forgives 1/3 of
# breaches in the standard prisoner's dilemma.
ALIASES = {"tft": "tit_for_tat", "gtft": f"generous:forgive={1 / 3!r}", "grudger": "grim",
           "grim_trigger": "grim"}


@dataclasses.dataclass(frozen=True)
class Strategy(ABC):
    """Base class of every strategy. Subclasses are frozen dataclasses whose fields are their
    parameters (validate them in ``__post_init__`` by raising ``ParameterError``)."""

    name: ClassVar[str] = ""
    #: whether ``react`` draws random numbers (documentation, and the contract test uses it)
    stochastic: ClassVar[bool] = False

    @abstractmethod
    def start(self, runs: int) -> Any:
        """Fresh per-run state for ``runs`` runs (everything complying at the start)."""

    @abstractmethod
    def intent(self, state: Any) -> np.ndarray:
        """Bool array: in which runs the party takes an occasion this period."""

    @abstractmethod
    def react(self, state: Any, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Update ``state`` with this period's observations; return in which runs it responds."""

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def with_params(self, **changes: Any) -> Strategy:
        """A copy with some parameters changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def label(self) -> str:
        params = self.params()
        if not params:
            return self.name
        return self.name + ":" + ",".join(f"{k}={v}" for k, v in params.items())


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make a strategy available by its ``name`` (CLI ``--strategy P=NAME``)."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} needs a class attribute 'name'")
    _REGISTRY[cls.name] = cls
    return cls


def names() -> list[str]:
    """Names of every registered strategy, sorted."""
    return sorted(_REGISTRY)


def get(name: str, *, allow_import: bool = True) -> type[Strategy]:
    """The strategy class registered as ``name``, or importable as ``package.module.Class``
    (unless ``allow_import`` is false: a web client must not make the server import code)."""
    name = ALIASES.get(name, name).partition(":")[0]
    if name in _REGISTRY:
        return _REGISTRY[name]
    if "." in name and not allow_import:
        raise ParameterError.single(f"only registered strategies here: {', '.join(names())}",
                                    field="strategy", value=name)
    if "." in name:
        module, _, attr = name.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ParameterError.single(f"cannot import strategy class: {exc}", field="strategy",
                                        value=name) from None
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            raise ParameterError.single("not a subclass of detente.simulate.Strategy",
                                        field="strategy", value=name)
        return cls
    raise ParameterError.single(f"unknown strategy; known: {', '.join(names())} "
                                "(or package.module.Class)", field="strategy", value=name)


def parse(text: str, *, allow_import: bool = True) -> Strategy:
    """A strategy from ``NAME`` or ``NAME:param=value,param=value`` (``generous:forgive=0.2``).
    ``allow_import``: see ``get``."""
    name, _, rest = text.strip().partition(":")
    implied = ALIASES.get(name.strip(), "").partition(":")[2]
    if implied:  # the alias's own parameters first; the caller's override them
        rest = implied + ("," + rest if rest else "")
    cls = get(name.strip(), allow_import=allow_import)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in fields:
            raise ParameterError.single(
                f"expected param=value with param one of {', '.join(fields) or '(none)'}",
                field="strategy", value=text)
        default = fields[key].default
        kind = type(default) if default is not dataclasses.MISSING else float
        try:
            kwargs[key] = kind(value) if kind is not bool else value.lower() in ("1", "true")
        except ValueError:
            raise ParameterError.single(f"{key} must be a {kind.__name__}", field="strategy",
                                        value=text) from None
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ParameterError.single(str(exc), field="strategy", value=text) from None


def resolve(value: Strategy | str) -> Strategy:
    return value if isinstance(value, Strategy) else parse(value)


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ParameterError.single("must be a probability in [0, 1]", field=name, value=value)


def _check_count(name: str, value: int, low: int = 1, high: int = 65_535) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not (
            low <= value <= high):
        raise ParameterError.single(f"must be an integer in [{low}, {high}]", field=name,
                                    value=value)


# --- built-in strategies ---------------------------------------------------------------------


@register
@dataclasses.dataclass(frozen=True)
class AlwaysComply(Strategy):
    """Never takes an occasion and never responds: the agreement survives anything it sees."""

    name: ClassVar[str] = "always_comply"

    def start(self, runs: int) -> np.ndarray:
        return np.zeros(runs, dtype=bool)

    def intent(self, state: np.ndarray) -> np.ndarray:
        return state

    def react(self, state: np.ndarray, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return state  # all False


@register
@dataclasses.dataclass(frozen=True)
class AlwaysDefect(Strategy):
    """Takes every occasion, and treats any observed breach as the end of the agreement."""

    name: ClassVar[str] = "always_defect"

    def start(self, runs: int) -> np.ndarray:
        return np.ones(runs, dtype=bool)

    def intent(self, state: np.ndarray) -> np.ndarray:
        return state

    def react(self, state: np.ndarray, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return seen


@register
@dataclasses.dataclass(frozen=True)
class Grim(Strategy):
    """Complies until it observes a breach, then takes every occasion for good (Axelrod's
    ``Grudger``)."""

    name: ClassVar[str] = "grim"

    def start(self, runs: int) -> np.ndarray:
        return np.zeros(runs, dtype=bool)  # True once it has walked out

    def intent(self, state: np.ndarray) -> np.ndarray:
        return state

    def react(self, state: np.ndarray, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        state |= seen
        return seen


@register
@dataclasses.dataclass(frozen=True)
class TitForTat(Strategy):
    """Takes the occasions of the period after each period in which it observed a breach, and
    complies otherwise."""

    name: ClassVar[str] = "tit_for_tat"

    def start(self, runs: int) -> np.ndarray:
        return np.zeros(runs, dtype=bool)  # retaliate next period

    def intent(self, state: np.ndarray) -> np.ndarray:
        return state

    def react(self, state: np.ndarray, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        np.copyto(state, seen)
        return seen


@register
@dataclasses.dataclass(frozen=True)
class Generous(Strategy):
    """Tit for tat that forgives each observed breach with probability ``forgive`` (with
    ``forgive = 1/3`` it is Axelrod's ``GTFT`` for the standard prisoner's dilemma)."""

    name: ClassVar[str] = "generous"
    stochastic: ClassVar[bool] = True
    forgive: float = 0.1

    def __post_init__(self) -> None:
        _check_probability("forgive", self.forgive)

    def start(self, runs: int) -> np.ndarray:
        return np.zeros(runs, dtype=bool)

    def intent(self, state: np.ndarray) -> np.ndarray:
        return state

    def react(self, state: np.ndarray, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        idx = np.flatnonzero(seen)
        state[:] = False
        # Draw only for the runs that saw something: cheap, and still one draw per observation.
        state[idx[rng.random(idx.size) >= self.forgive]] = True
        return state


@register
@dataclasses.dataclass(frozen=True)
class ThresholdK(Strategy):
    """Tolerates observed breaches until ``k`` of them fall within ``window`` periods, then
    walks out for good."""

    name: ClassVar[str] = "threshold_k"
    k: int = 2
    window: int = 26

    def __post_init__(self) -> None:
        _check_count("k", self.k, 1, 255)
        _check_count("window", self.window, 1, 4096)

    def start(self, runs: int) -> dict[str, Any]:
        return {"out": np.zeros(runs, dtype=bool), "count": np.zeros(runs, dtype=np.uint16),
                "ring": np.zeros((self.window, runs), dtype=bool), "t": [0]}

    def intent(self, state: dict[str, Any]) -> np.ndarray:
        return state["out"]

    def react(self, state: dict[str, Any], seen: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        slot = state["t"][0] % self.window
        state["t"][0] += 1
        ring, count = state["ring"], state["count"]
        # Slide the window: drop the observation from `window` periods ago, add this one.
        count -= ring[slot]
        count += seen
        np.copyto(ring[slot], seen)
        walk = (count >= self.k) & ~state["out"]
        state["out"] |= walk
        return walk


@register
@dataclasses.dataclass(frozen=True)
class Grit(Strategy):
    """Graduated reciprocation: answers an observed breach by taking occasions for ``cooloff``
    periods, then re-offers compliance unilaterally (a new observation restarts the count)."""

    name: ClassVar[str] = "grit"
    cooloff: int = 4

    def __post_init__(self) -> None:
        _check_count("cooloff", self.cooloff, 1, 65_535)

    def start(self, runs: int) -> dict[str, np.ndarray]:
        return {"left": np.zeros(runs, dtype=np.uint16), "on": np.zeros(runs, dtype=bool)}

    def intent(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["on"]

    def react(self, state: dict[str, np.ndarray], seen: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        left = state["left"]
        np.subtract(left, 1, out=left, where=left > 0)
        left[seen] = self.cooloff
        np.greater(left, 0, out=state["on"])
        return seen


