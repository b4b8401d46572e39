"""How verifiable a roadmap step is, from the agreement specs' commitments that implement it.

A step's moves are implemented by commitments of agreement specs, referenced as
``PRESET_ID:COMMITMENT_ID`` (a bundled preset) or ``path/to/spec.yaml:COMMITMENT_ID``. Each
commitment's ``verification`` gives the probability p that a breach is detected, the delay t in
days before it is, and the weekly false-alarm probability f. Its verifiability is

    V = p (1 - f) 2^(-t / 30)

the chance a breach is seen, discounted for noise (a channel that cries wolf is trusted less) and
halved for every 30 days of delay (a breach seen late has already paid off). V is in [0, 1]:
1 for a published list (p = 1, t = 0, f = 0), about 0.97 for seismic and radar networks
(p = 0.99, t = 1, f = 0.01).

A step is as verifiable as its least verifiable part: its score is the minimum V over its moves'
commitments, and 0 when a move has no commitment at all (nothing to check it against; the
weakest verified part is then reported beside it). The
spread between the parties' best-verified commitments is reported as the step's asymmetry: the
side whose concession is easy to see gives more than the other (the classic objection to
freeze-for-freeze).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from detente.errors import DetenteError, NotFoundError, ScenarioError

HALF_LIFE_DAYS = 30.0


class VerificationLike(Protocol):
    detection: float
    delay_days: float
    false_alarm: float


class CommitmentLike(Protocol):
    id: str
    party: str
    verification: VerificationLike


@dataclass(frozen=True)
class Verified:
    """One referenced commitment and its verifiability."""

    ref: str
    party: str
    means: str
    detection: float
    delay_days: float
    false_alarm: float
    score: float

    def to_json_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "party": self.party, "means": self.means,
                "detection": self.detection, "delay_days": self.delay_days,
                "false_alarm": self.false_alarm, "score": round(self.score, 4)}


def score(detection: float, delay_days: float, false_alarm: float) -> float:
    """V = p (1 - f) 2^(-t / 30)."""
    return detection * (1.0 - false_alarm) * 2.0 ** (-delay_days / HALF_LIFE_DAYS)


def parse_ref(text: str) -> tuple[str, float | None]:
    """``"PRESET:COMMITMENT@30"`` -> (``"PRESET:COMMITMENT"``, 30.0): a reference and the point of
    the issue's scale up to which the commitment implements moves (None: all moves)."""
    ref, sep, level = text.rpartition("@")
    if not sep:
        return text, None
    try:
        return ref, float(level)
    except ValueError:
        raise ScenarioError.single("a commitment reference ends in @LEVEL, a number on the "
                                   "issue's scale", field="commitments", value=text) from None


def split_ref(ref: str) -> tuple[str, str]:
    """``"PRESET:COMMITMENT"`` -> (preset or path, commitment id)."""
    spec, sep, commitment = ref.rpartition(":")
    if not sep or not spec or not commitment:
        raise ScenarioError.single("a commitment reference must be PRESET_ID:COMMITMENT_ID or "
                                   "path/to/spec.yaml:COMMITMENT_ID", field="commitments",
                                   value=ref)
    return spec, commitment


def ref_problem(text: str, scale: tuple[float, float] | None = None) -> str | None:
    """What is wrong with the reference ``text`` (``PRESET:COMMITMENT`` optionally ``@LEVEL``,
    the level on ``scale``), or None; lets files report it with their line."""
    try:
        ref, level = parse_ref(text)
        split_ref(ref)
    except ScenarioError as exc:
        return exc.problems[0].message
    if level is not None and scale is not None and not (
            math.isfinite(level) and scale[0] <= level <= scale[1]):
        return f"the @LEVEL must be on the issue's scale [{scale[0]:g}, {scale[1]:g}]"
    return None


@cache
def _agreement(spec: str):
    from detente.agreements import presets  # the agreement specs (another package's model)

    return presets.load(spec)


def preset_resolver(ref: str) -> CommitmentLike:
    """The commitment a reference names, from the bundled presets or a spec file."""
    spec, commitment_id = split_ref(ref)
    agreement = _agreement(spec)
    for commitment in agreement.commitments:
        if commitment.id == commitment_id:
            return commitment
    known = ", ".join(c.id for c in agreement.commitments)
    raise NotFoundError(f"agreement {spec!r} has no commitment {commitment_id!r}; "
                        f"commitments: {known}")


Resolver = Callable[[str], CommitmentLike]


def unresolved(text: str, resolver: Resolver = preset_resolver) -> str | None:
    """Why ``resolver`` cannot find the commitment the reference ``text`` names (None: it
    can); lets files report it with their line."""
    try:
        resolver(parse_ref(text)[0])
    except DetenteError as exc:
        return str(exc)
    return None


def verify(ref: str, resolver: Resolver = preset_resolver) -> Verified:
    """The verifiability of the commitment ``ref``."""
    commitment = resolver(ref)
    v = commitment.verification
    return Verified(ref, commitment.party, getattr(v, "means", ""), float(v.detection),
                    float(v.delay_days), float(v.false_alarm),
                    score(v.detection, v.delay_days, v.false_alarm))
