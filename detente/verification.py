"""The verification view: how well each party's compliance can be seen by the others.

Every commitment carries ``verification: {means, detection, delay_days, false_alarm}``
(``false_alarm`` is a probability per week). Over a horizon of ``H`` days (default 30) this module
computes, per commitment:

* ``false_alarm_h = 1 - (1 - false_alarm) ** (H / 7)``: chance of at least one false report of a
  breach over the horizon when the party complies;
* ``timely_detection = detection`` if ``delay_days <= H`` else 0: chance a real breach is seen
  within the horizon;
* ``informedness = timely_detection - false_alarm_h`` (Youden's J): how much better than a coin the
  other side's reports are; 1 = perfectly observable, 0 = reports carry no information.

Per party (the party's commitments, seen by every other party):

* ``observability`` = the minimum informedness over its commitments: a party minded to cheat
  cheats where it is least visible, so its weakest commitment bounds what the others can know;
* ``false_alarm_week`` = ``1 - prod(1 - f_c)``: chance per week that *some* commitment of the
  party is falsely reported breached (any such report can collapse a mutual agreement).

The agreement's **asymmetry** is ``max_P observability - min_P observability`` over the parties
that have commitments: 0 when every side is as visible as the others, near 1 when one side's
compliance is plain to see and the other's is effectively invisible (the freeze-for-freeze
critique). See docs/agreements.md.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from detente.agreements.spec import Agreement, Commitment
from detente.errors import ParameterError
from detente.inspection import InspectionGame, Solution, solve_game  # noqa: F401

DEFAULT_HORIZON_DAYS = 30


def false_alarm_over(per_week: float, days: float) -> float:
    """Chance of at least one false alarm in ``days`` given a weekly false-alarm probability."""
    if not 0.0 <= per_week <= 1.0:
        raise ParameterError.single("must be in [0, 1]", field="false_alarm", value=per_week)
    if per_week == 1.0:
        return 1.0 if days > 0 else 0.0
    return 1.0 - math.exp(math.log1p(-per_week) * days / 7.0)


@dataclass(frozen=True)
class CommitmentView:
    """What the other parties can see of one commitment."""

    commitment: str
    party: str
    observers: tuple[str, ...]
    means: str
    detection: float
    delay_days: float
    false_alarm_week: float
    false_alarm_h: float
    timely_detection: float
    informedness: float

    def to_json_dict(self) -> dict[str, Any]:
        return {**asdict(self), "observers": list(self.observers)}


@dataclass(frozen=True)
class PartyView:
    """What the other parties can see of one party's compliance, over all its commitments."""

    party: str
    commitments: tuple[str, ...]
    weakest: str
    observability: float
    min_detection: float
    max_delay_days: float
    false_alarm_week: float
    false_alarm_h: float

    def to_json_dict(self) -> dict[str, Any]:
        return {**asdict(self), "commitments": list(self.commitments)}


@dataclass(frozen=True)
class VerificationView:
    """The verification view of one agreement over a horizon."""

    agreement: str
    horizon_days: float
    commitments: tuple[CommitmentView, ...]
    parties: tuple[PartyView, ...]
    asymmetry: float
    most_observable: tuple[str, ...]
    least_observable: tuple[str, ...]

    def party(self, code: str) -> PartyView:
        for p in self.parties:
            if p.party == code:
                return p
        raise KeyError(code)


    def tables(self) -> dict[str, pd.DataFrame]:
        """``commitments`` (first) and ``parties`` (the results contract)."""
        commitments = [c.to_json_dict() for c in self.commitments]
        for row in commitments:
            row["observers"] = ",".join(row["observers"])
        parties = [p.to_json_dict() for p in self.parties]
        for row in parties:
            row["commitments"] = ",".join(row["commitments"])
        return {"commitments": pd.DataFrame(commitments), "parties": pd.DataFrame(parties)}

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement, "horizon_days": self.horizon_days,
            "commitments": [c.to_json_dict() for c in self.commitments],
            "parties": [p.to_json_dict() for p in self.parties],
            "asymmetry": self.asymmetry, "most_observable": list(self.most_observable),
            "least_observable": list(self.least_observable),
        }


def commitment_view(agreement: Agreement, commitment: Commitment,
                    horizon_days: float = DEFAULT_HORIZON_DAYS) -> CommitmentView:
    """The view of one commitment of ``agreement`` over ``horizon_days``."""
    v = commitment.verification
    fa_h = false_alarm_over(v.false_alarm, horizon_days)
    timely = v.detection if v.delay_days <= horizon_days else 0.0
    return CommitmentView(
        commitment=commitment.id, party=commitment.party,
        observers=tuple(p for p in agreement.parties if p != commitment.party),
        means=v.means, detection=v.detection, delay_days=v.delay_days,
        false_alarm_week=v.false_alarm, false_alarm_h=fa_h, timely_detection=timely,
        informedness=timely - fa_h)


def view(agreement: Agreement, horizon_days: float = DEFAULT_HORIZON_DAYS) -> VerificationView:
    """Per commitment and per party: detection, delay, false alarms; and the asymmetry."""
    if not horizon_days > 0:
        raise ParameterError.single("must be > 0", field="horizon_days", value=horizon_days)
    rows = tuple(commitment_view(agreement, c, horizon_days) for c in agreement.commitments)
    parties = []
    for party in agreement.parties:
        own = [r for r in rows if r.party == party]
        if not own:
            continue  # a broker or guarantor with no commitment of its own: nothing to watch
        weakest = min(own, key=lambda r: r.informedness)
        fa_week = 1.0 - math.prod(1.0 - r.false_alarm_week for r in own)
        parties.append(PartyView(
            party=party, commitments=tuple(r.commitment for r in own), weakest=weakest.commitment,
            observability=weakest.informedness, min_detection=min(r.detection for r in own),
            max_delay_days=max(r.delay_days for r in own), false_alarm_week=fa_week,
            false_alarm_h=false_alarm_over(fa_week, horizon_days)))
    most: tuple[str, ...] = ()
    least: tuple[str, ...] = ()
    asymmetry = 0.0
    if parties:
        high = max(p.observability for p in parties)
        low = min(p.observability for p in parties)
        asymmetry = high - low
        if asymmetry > 0:  # equal visibility names nobody
            most = tuple(p.party for p in parties if p.observability == high)
            least = tuple(p.party for p in parties if p.observability == low)
    return VerificationView(agreement=agreement.id, horizon_days=float(horizon_days),
                            commitments=rows, parties=tuple(parties), asymmetry=asymmetry,
                            most_observable=most, least_observable=least)
