"""Results render as rich HTML in a notebook (through IPython's own formatter), with their data
in it, capped, and without the result classes knowing of presentation."""

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
    html = notebook.html_for(report)
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
    first, second = notebook.html_for(result), notebook.html_for(result)
    js = get_plotlyjs()[:300]
    assert js in first and js not in second
    assert js not in notebook.html_for(view)


def test_whatif_and_verification_carry_their_numbers(store):
    agreement = presets.load("post-olympic-pause")
    result = replay.whatif(agreement, store, dt.date(2010, 1, 1), dt.date(2015, 1, 1), 30)
    html = notebook.html_for(result)
    assert f">{len(result.starts)}<" in html or f">{len(result.starts):,}<" in html
    assert f"{result.start} to {result.end}" in html
    view = verification.view(agreement)
    vhtml = notebook.html_for(view)
    for c in view.commitments:
        assert c.commitment in vhtml and c.means in vhtml
    assert f"asymmetry {view.asymmetry:.3f}" in vhtml


def test_simulation_shows_survival_and_critical_detection(store):
    from detente.simulate import simulate_agreement

    result = simulate_agreement(presets.load("post-olympic-pause"), runs=1000, seed=3,
                                store=store)
    html = notebook.html_for(result)
    assert "Critical detection probabilities" in html
    for party in result.critical_detection():
        assert f"<td class=\"\">{party}</td>" in html
    assert f"{result.p_holding(12):.1%}" in html
    assert "Plotly.newPlot" in html


def test_dialogue_analysis_shows_map_and_zones():
    from detente.dialogue import analysis, catalog

    result = analysis.analyse(catalog.load("korea-2018"))
    html = notebook.html_for(result)
    for issue in result.scenario.issues:
        assert issue.label in html
    for z in result.zones:
        assert z.reason.split(":")[0] in html
    for name in result.forecasts:
        assert name in html


def test_unknown_objects_have_no_view():
    with pytest.raises(TypeError, match="no notebook view"):
        notebook.html_for(object())


def test_ipython_draws_every_result_through_its_presenter(store):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert notebook.register(shell)
    agreement = presets.load("post-olympic-pause")
    for result in (monitor.check(agreement, store), verification.view(agreement),
                   replay.whatif(agreement, store, dt.date(2012, 1, 1), dt.date(2013, 1, 1),
                                 30)):
        data, _ = shell.display_formatter.format(result)
        assert data["text/html"].startswith('<div class="detente-output">')
    data, _ = shell.display_formatter.format(object())
    assert "text/html" not in data


def test_a_long_result_is_capped_with_the_rest_counted(store):
    from detente.report import views

    report = monitor.check(presets.load("freeze-for-freeze"), store)
    assert len(report.breaches) > views.MAX_ROWS
    notebook.html_for(report)  # the session's first output carries plotly.js (4.6 MB)
    html = notebook.html_for(report)
    left = len(report.breaches) - views.MAX_ROWS
    assert f"{left:,} more in result.tables()" in html
    assert len(html) < 1_000_000, len(html)
    assert html.count("<tr") < 6 * (views.MAX_ROWS + 2)


def test_result_modules_never_import_the_presentation_layer():
    import detente

    root = Path(detente.__file__).parent
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("report/", "web/", "cli/")) or rel in ("__init__.py", "demo.py"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "detente.report" not in text and "_repr_html_" not in text, rel


def test_ipython_is_told_of_every_result_the_views_present():
    from detente.report import views

    presented = {(cls.__module__, cls.__qualname__) for cls in views.view.registry
                 if cls is not object}
    assert presented == set(notebook.RESULTS)


def test_a_tension_series_shows_its_chart_and_what_it_sums(bundled):
    from detente import tension

    with Store(bundled, read_only=True) as opened:
        series = tension.tension(opened, "PRK-USA", weekly=True, smooth="8w")
    html = notebook.html_for(series)
    assert "Tension index PRK-USA" in html and html.count("Plotly.newPlot") == 1
    assert f"{int(series.frame['events'].sum()):,} such events" in html
    assert "half-life of 56 days" in html
