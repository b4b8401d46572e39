"""The analytic side: when is compliance self-enforcing under grim play?

Against parties that answer an observed breach by taking all their occasions for good (grim),
a party ``i`` that complies earns ``R = V - q_i c`` per period; one that breaches at every
occasion gains ``T - R = g + c`` per occasion, is caught with probability ``p`` per breach
after ``k`` periods, and from then on earns ``P = (1 - Q)(V + q_i g)``, where ``Q`` is the
chance per period that a released party breaches (their temptation rates, averaged over the
other parties). Comparing the two discounted streams (per-period discount ``delta``) gives

    p >= (1 - delta)(T - R) / (delta [delta^k Q (V + q_i g) - q_i (T - R)])

which with ``q = 1`` and no delay is the textbook ``(1 - delta)(T - R) / (delta (R - P))``
with ``T = V + g``, ``R = V - c``, ``P = 0``. When the bracket is not positive no detection
probability deters a breach (the punishment is worth less than the breaches it licenses).
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.simulate.model import Model


@dataclass(frozen=True)
class CommitmentThreshold:
    commitment: str
    detection: float
    delay_periods: int
    critical: float | None  # None: no detection probability suffices

    @property
    def self_enforcing(self) -> bool:
        return self.critical is not None and self.detection >= self.critical


@dataclass(frozen=True)
class PartyThreshold:
    """The critical detection probability of one party's commitments, next to the spec's."""

    party: str
    delta: float
    temptation: float
    punishment_rate: float  # Q
    T: float
    R: float
    P: float
    commitments: tuple[CommitmentThreshold, ...]

    @property
    def binding(self) -> CommitmentThreshold:
        """The commitment with the smallest margin of detection over its critical value (a
        breaching party picks the least verified commitment)."""
        def margin(c: CommitmentThreshold) -> tuple[float, float]:
            return (float("-inf") if c.critical is None else c.detection - c.critical,
                    c.detection)
        return min(self.commitments, key=margin)

    @property
    def critical(self) -> float | None:
        return self.binding.critical if self.commitments else 0.0

    @property
    def detection(self) -> float | None:
        return self.binding.detection if self.commitments else None

    @property
    def self_enforcing(self) -> bool:
        return all(c.self_enforcing for c in self.commitments)

    def as_dict(self) -> dict:
        return {
            "critical": self.critical, "detection": self.detection,
            "self_enforcing": self.self_enforcing,
            "commitment": self.binding.commitment if self.commitments else None,
            "delta": self.delta, "temptation": self.temptation,
            "punishment_rate": self.punishment_rate, "T": self.T, "R": self.R, "P": self.P,
            "commitments": [{"id": c.commitment, "detection": c.detection,
                             "delay_periods": c.delay_periods, "critical": c.critical,
                             "self_enforcing": c.self_enforcing} for c in self.commitments],
        }


def critical_value(*, delta: float, gain: float, value: float, defection_gain: float,
                   q_own: float, q_punish: float, delay: int = 0) -> float | None:
    """The critical detection probability of the module docstring (``gain = g + c``,
    ``value = V``); 0 when there is nothing to gain, None when no probability suffices."""
    if q_own == 0.0 or gain == 0.0:
        return 0.0
    bracket = delta ** delay * q_punish * (value + q_own * defection_gain) - q_own * gain
    if delta >= 1.0:
        return 0.0 if bracket > 0 else None
    if bracket <= 0.0:
        return None
    return (1.0 - delta) * gain / (delta * bracket)


def critical_detection(model: Model) -> dict[str, PartyThreshold]:
    """Per party, the critical detection probability of each commitment under grim play."""
    out = {}
    n = len(model.parties)
    delta = model.delta
    for i, party in enumerate(model.parties):
        pay = party.payoff
        q_punish = (sum(model.parties[j].temptation for j in range(n) if model.releases[i][j])
                    / (n - 1)) if n > 1 else 0.0
        gain = pay.defection_gain + pay.own_restraint
        q = party.temptation
        commitments = tuple(
            CommitmentThreshold(m.commitment, m.detection, m.delay, critical_value(
                delta=delta, gain=gain, value=pay.other_restraint,
                defection_gain=pay.defection_gain, q_own=q, q_punish=q_punish,
                delay=m.delay))
            for m in party.monitors)
        out[party.code] = PartyThreshold(
            party=party.code, delta=delta, temptation=q, punishment_rate=q_punish,
            T=pay.other_restraint + pay.defection_gain,
            R=pay.other_restraint - pay.own_restraint, P=0.0, commitments=commitments)
    return out
