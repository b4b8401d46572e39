"""Results render as rich HTML in a notebook, with their data in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from detente import monitor, replay, verification
from detente.agreements import presets
from detente.events.store import Store
from detente.report import notebook


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("nb") / "events.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as opened:
        yield opened


@pytest.fixture(autouse=True)
def _plotly_once(monkeypatch):
    monkeypatch.setattr(notebook, "_loaded", False)


def test_check_result_shows_breaches_with_evidence(store):
    report = monitor.check(presets.load("leap-day-2012"), store)
    html = report._repr_html_()
    assert report.status_label in html
    for act in (*report.breaches, *report.responses):
        assert act.event.id in html
    assert html.count("Plotly.newPlot") == 1
    assert "<table" in html


def test_plotly_js_is_inlined_once_per_session(store):
    from plotly.offline import get_plotlyjs

    view = verification.view(presets.load("post-olympic-pause"))
    result = replay.whatif(presets.load("post-olympic-pause"), store, dt.date(2010, 1, 1),
                           dt.date(2015, 1, 1), 30)
    first, second = result._repr_html_(), result._repr_html_()
    js = get_plotlyjs()[:300]
    assert js in first and js not in second
    assert js not in view._repr_html_()


def test_whatif_and_verification_carry_their_numbers(store):
    agreement = presets.load("post-olympic-pause")
    result = replay.whatif(agreement, store, dt.date(2010, 1, 1), dt.date(2015, 1, 1), 30)
    html = result._repr_html_()
    assert f">{len(result.starts)}<" in html or f">{len(result.starts):,}<" in html
    assert f"{result.start} to {result.end}" in html
    view = verification.view(agreement)
    vhtml = view._repr_html_()
    for c in view.commitments:
        assert c.commitment in vhtml and c.means in vhtml
    assert f"asymmetry {view.asymmetry:.3f}" in vhtml


def test_simulation_shows_survival_and_critical_detection(store):
    from detente.simulate import simulate_agreement

    result = simulate_agreement(presets.load("post-olympic-pause"), runs=1000, seed=3,
                                store=store)
    html = result._repr_html_()
    assert "Critical detection probabilities" in html
    for party in result.critical_detection():
        assert f"<td class=\"\">{party}</td>" in html
    assert f"{result.p_holding(12):.1%}" in html
    assert "Plotly.newPlot" in html


def test_dialogue_analysis_shows_map_and_zones():
    from detente.dialogue import analysis, catalog

    result = analysis.analyse(catalog.load("korea-2018"))
    html = result._repr_html_()
    for issue in result.scenario.issues:
        assert issue.label in html
    for z in result.zones:
        assert z.reason.split(":")[0] in html
    for name in result.forecasts:
        assert name in html


def test_unknown_objects_have_no_view():
    with pytest.raises(TypeError, match="no notebook view"):
        notebook.html_for(object())
