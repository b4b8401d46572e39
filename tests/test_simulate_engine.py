"""The engine against closed forms, for any seed; reproducibility; the model's inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from detente.agreements import presets
from detente.errors import ParameterError
from detente.simulate import build_model, simulate, simulate_agreement
from detente.simulate.engine import ChunkStats
from detente.simulate.model import horizon_periods, per_period
from detente.simulate.result import dkw_epsilon
from tests.strategies import seeds, sim_model, sim_party

RUNS = 20_000
ALPHA = 1e-6  # chance that a correct engine fails one check: bands are that wide
Z = 5.3       # two-sided normal quantile for about 1e-7


def assert_curve(result, expected: np.ndarray) -> None:
    """The whole simulated curve lies within a simultaneous DKW band of the closed form."""
    eps = dkw_epsilon(result.runs, ALPHA)
    gap = np.abs(result.survival_p - expected)
    assert gap.max() <= eps, f"max gap {gap.max():.4f} at period {gap.argmax()} > {eps:.4f}"


def assert_hazard(result, hazard: float) -> None:
    """A constant per-period hazard estimated from every period (collapses / exposure)."""
    alive = result.alive
    exposure = alive[:-1].sum()
    estimate = result.stats.collapses.sum() / exposure
    se = math.sqrt(hazard * (1 - hazard) / exposure)
    assert abs(estimate - hazard) <= Z * se + 1e-12, (estimate, hazard, se)


@settings(max_examples=4, deadline=None)
@given(seed=seeds)
def test_grim_compliers_survive_false_alarms_only(seed):
    # Grim parties never breach first: (1 - f)^(n t) with n monitored parties.
    f1, f2 = 0.02, 0.005
    model = sim_model(sim_party("PRK", q=0.4, p=0.7, f=f1), sim_party("USA", q=0.1, f=f2))
    result = simulate(model, {}, runs=RUNS, seed=seed)
    t = np.arange(model.horizon + 1)
    assert_curve(result, ((1 - f1) * (1 - f2)) ** t)
    assert_hazard(result, 1 - (1 - f1) * (1 - f2))
    assert result.collapse_causes["real_breach"] == 0
    assert result.collapse_causes["false_alarm"] == result.collapsed
    # Who is blamed: each party's false alarms in proportion to their rates.
    share = result.first_breaker["PRK"]
    expect = f1 / (f1 + f2 - f1 * f2)  # ties go to the first-listed party
    assert abs(share - expect) <= Z * math.sqrt(expect * (1 - expect) / result.collapsed)


@settings(max_examples=4, deadline=None)
@given(seed=seeds)
def test_independent_breaches_closed_form(seed):
    # Both parties breach at every occasion (rate q): (1 - (q p + (1 - q) f))^(n t).
    q, p, f = 0.05, 0.8, 0.01
    model = sim_model(sim_party("PRK", q=q, p=p, f=f), sim_party("USA", q=q, p=p, f=f),
                      horizon=80)
    result = simulate(model, ["always_defect", "always_defect"], runs=RUNS, seed=seed)
    h = q * p + (1 - q) * f
    t = np.arange(model.horizon + 1)
    assert_curve(result, (1 - h) ** (2 * t))
    assert_hazard(result, 1 - (1 - h) ** 2)
    real = result.collapse_causes["real_breach"] / result.collapsed
    expect = q * p / h  # a collapse begins with a real breach in this share of cases
    assert abs(real - expect) <= Z * math.sqrt(expect * (1 - expect) / result.collapsed) + 0.01


@settings(max_examples=3, deadline=None)
@given(seed=seeds)
def test_delayed_detection_closed_form(seed):
    # PRK always breaches, seen k periods late; USA (grim) raises false alarms PRK reacts to.
    q, p, f, k, g = 0.1, 0.9, 0.01, 3, 0.004
    model = sim_model(sim_party("PRK", q=q, p=p, f=f, delay=k), sim_party("USA", q=0.3, f=g),
                      horizon=60)
    result = simulate(model, ["always_defect", "grim"], runs=RUNS, seed=seed)
    t = np.arange(model.horizon + 1)
    expected = (1 - (1 - q) * f) ** t * (1 - q * p) ** np.maximum(t - k, 0) * (1 - g) ** t
    assert_curve(result, expected)
    # Nothing real can be seen before period k + 1.
    assert result.stats.detections[:k, 0].sum() == 0
    assert result.stats.detections[k:, 0].sum() > 0


@settings(max_examples=3, deadline=None)
@given(seed=seeds)
def test_three_parties_and_multiple_commitments(seed):
    from detente.simulate import Monitor

    # PRK's breaches split 30/70 over a well and a badly verified commitment.
    mons = (Monitor("a", detection=1.0, delay=0, false_alarm=0.002, weight=0.3),
            Monitor("b", detection=0.2, delay=0, false_alarm=0.01, weight=0.7))
    prk = sim_party("PRK", q=0.08, monitors=mons)
    model = sim_model(prk, sim_party("USA", q=0.05, p=1.0), sim_party("KOR", q=0.02, f=0.003),
                      horizon=70)
    result = simulate(model, ["always_defect", "always_defect", "always_defect"], runs=RUNS,
                      seed=seed)
    fa_prk = 1 - (1 - 0.002) * (1 - 0.01)
    h_prk = 0.08 * (0.3 * 1.0 + 0.7 * 0.2) + (1 - 0.08) * fa_prk
    h_usa = 0.05
    h_kor = 0.02 * 1.0 + 0.98 * 0.003
    t = np.arange(model.horizon + 1)
    assert_curve(result, ((1 - h_prk) * (1 - h_usa) * (1 - h_kor)) ** t)


def test_same_seed_same_counts_on_any_number_of_threads():
    model = sim_model(sim_party("PRK", q=0.3, p=0.9, f=0.01, delay=2),
                      sim_party("USA", q=0.1, f=0.002))
    strategies = {"PRK": "generous:forgive=0.3", "USA": "threshold_k:k=2,window=8"}
    one = simulate(model, strategies, runs=9_000, seed=42, chunk_size=2_000, workers=1)
    many = simulate(model, strategies, runs=9_000, seed=42, chunk_size=2_000, workers=3)
    for name in ChunkStats.__dataclass_fields__:
        assert np.array_equal(getattr(one.stats, name), getattr(many.stats, name)), name
    assert np.array_equal(one.chunk_values, many.chunk_values)
    other = simulate(model, strategies, runs=9_000, seed=43, chunk_size=2_000)
    assert not np.array_equal(one.stats.collapses, other.stats.collapses)


def test_survival_is_a_proper_curve_with_bands():
    model = sim_model(sim_party("PRK", q=0.2, p=0.5, f=0.01), sim_party("USA", f=0.01))
    result = simulate(model, {"PRK": "tit_for_tat", "USA": "grit:cooloff=3"}, runs=3_000,
                      seed=5)
    curve = result.survival()
    assert list(curve.columns) == ["period", "days", "p", "lo", "hi"]
    assert curve["p"].iloc[0] == 1.0
    assert (np.diff(curve["p"]) <= 0).all()
    assert ((curve["lo"] <= curve["p"]) & (curve["p"] <= curve["hi"])).all()
    assert result.collapsed == sum(result.collapse_causes.values())
    assert result.stats.walkouts.sum() >= result.collapsed
    m = result.median_periods
    assert m is not None and curve["p"].iloc[m] <= 0.5 < curve["p"].iloc[m - 1]
    assert result.mean_periods == pytest.approx(curve["p"].iloc[:-1].sum())
    assert result.p_holding(12) == curve["p"].iloc[52]
    assert result.p_holding(120) is None  # beyond a two-year horizon


def test_horizons_and_periods():
    assert horizon_periods("10y", "week") == 522
    assert horizon_periods("520w", "week") == 520
    assert horizon_periods("24m", "month") == 24
    assert horizon_periods("90d", "day") == 90
    assert horizon_periods(13, "week") == 13
    for bad in ("0y", "-3w", "ten years", "0", "2q", "1d"):
        with pytest.raises(ParameterError):
            horizon_periods(bad, "week")
    with pytest.raises(ParameterError):
        horizon_periods("1y", "fortnight")
    assert per_period(0.1, 7) == 0.1
    assert per_period(0.1, 14) == pytest.approx(1 - 0.9**2)


def test_model_from_a_preset_converts_weekly_inputs():
    spec = presets.load("post-olympic-pause")
    model, rates = build_model(spec, period="day", horizon="1y",
                               rates={"PRK": 0.3, "USA": 0.1})
    assert model.horizon == 365
    prk = model.parties[0]
    assert prk.temptation == pytest.approx(1 - 0.7 ** (1 / 7))
    assert prk.monitors[0].false_alarm == pytest.approx(1 - 0.99 ** (1 / 7))
    assert prk.monitors[0].delay == 1  # delay_days 1 on daily periods
    assert rates["PRK"].source == "option"
    weekly, _ = build_model(spec, rates={"PRK": 0.3, "USA": 0.1})
    assert weekly.parties[0].monitors[0].delay == 0  # one day rounds to no weekly delay
    assert weekly.releases == ((False, True), (True, False))


@pytest.mark.parametrize("kwargs", [
    {"rates": {"PRK": 1.2, "USA": 0.1}},
    {"rates": {"PRK": -0.1, "USA": 0.1}},
    {"rates": {"CHN": 0.1, "PRK": 0.1, "USA": 0.1}},
    {"rates": {"PRK": 0.1}},  # USA has none and there is no store
    {"rates": {"PRK": 0.1, "USA": 0.1}, "horizon": "0w"},
    {"rates": {"PRK": 0.1, "USA": 0.1}, "tremble": {"PRK": 2.0}},
    {"rates": {"PRK": 0.1, "USA": 0.1}, "discount": 0.0},
])
def test_bad_inputs_are_parameter_errors(kwargs):
    with pytest.raises(ParameterError):
        simulate_agreement(presets.load("post-olympic-pause"), runs=10, seed=1, **kwargs)


@pytest.mark.parametrize("strategies", [{"PRK": "nonsense"}, {"CHN": "grim"},
                                        {"PRK": "generous:forgive=2"},
                                        {"PRK": "threshold_k:k=0"}, {"PRK": "grim:x=1"}])
def test_bad_strategies_are_parameter_errors(strategies):
    with pytest.raises(ParameterError):
        simulate_agreement(presets.load("post-olympic-pause"), strategies, runs=10, seed=1,
                           rates={"PRK": 0.1, "USA": 0.1})


@pytest.mark.parametrize("runs", [0, -5, 1.5])
def test_runs_must_be_positive_integers(runs):
    with pytest.raises(ParameterError):
        simulate(sim_model(), {}, runs=runs, seed=1)


def test_party_without_restraints_watches_and_responds():
    # Berlin 1999: the US only undertakes to announce an easing; it cannot breach but can
    # walk out when it sees a launch.
    spec = presets.load("berlin-moratorium-1999")
    result = simulate_agreement(spec, {"PRK": "always_defect"}, runs=4_000, seed=3,
                                rates={"PRK": 0.05}, horizon="2y")
    usa = result.model.codes.index("USA")
    assert result.stats.breaches[:, usa].sum() == 0
    assert result.first_breaker["PRK"] == 1.0
    assert result.stats.walkouts[usa] > 0


def test_a_delay_beyond_the_horizon_is_never_seen():
    """A breach seen only after the horizon is not seen at all: the run equals one with
    detection 0, bit for bit, and the engine allocates no delay buffer for it (a delay of
    1e9 periods would otherwise need 1e9 x runs bytes)."""
    from dataclasses import fields

    def model(p, delay):
        return sim_model(sim_party("PRK", q=0.3, p=p, f=0.01, delay=delay),
                         sim_party("USA", q=0.1, f=0.002), horizon=40)

    strategies = ["always_defect", "grim"]
    late = simulate(model(0.9, 10**9), strategies, runs=3_000, seed=5)
    blind = simulate(model(0.0, 0), strategies, runs=3_000, seed=5)
    for f in fields(ChunkStats):
        assert np.array_equal(getattr(late.stats, f.name), getattr(blind.stats, f.name)), f.name
    # One period short of the horizon: only first-period breaches are seen, in the last period.
    edge = simulate(model(1.0, 39), ["always_defect", "always_comply"], runs=3_000, seed=5)
    assert edge.stats.detections[:39, 0].sum() == 0
    assert edge.stats.detections[39, 0] == edge.stats.breaches[0, 0] > 0


def test_spec_delay_longer_than_a_daily_horizon_runs():
    spec = presets.load("post-olympic-pause")
    data = spec.to_dict()
    data["commitments"][0]["verification"]["delay_days"] = 3650
    slow = type(spec).model_validate(data)
    result = simulate_agreement(slow, {"PRK": "always_defect"}, runs=2_000, seed=2,
                                rates={"PRK": 0.2, "USA": 0.1}, period="day", horizon="1y")
    prk = result.model.codes.index("PRK")
    assert result.stats.breaches[:, prk].sum() > 0
    assert result.stats.detections[:, prk].sum() == 0


def test_a_negative_monitoring_delay_is_refused_naming_the_field():
    from detente.simulate.model import Monitor

    with pytest.raises(ParameterError, match=r"c\.delay_days.*must be >= 0"):
        Monitor("c", detection=0.5, delay=-1, false_alarm=0.0, weight=1.0, delay_days=-7.0)
