"""The HTML report: what it computes, what it draws, and that it needs no network."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from typer.testing import CliRunner

from detente.agreements import presets
from detente.cli import app
from detente.errors import ParameterError
from detente.events.store import Store
from detente.report import figures, render, summary
from detente.report.builder import ReportOptions, build
from detente.report.render import cited_events
from detente.report.timeline import TIMELINE_KINDS, AgreementTrack, lanes_for, timeline_figure
from tests.strategies import make_event

runner = CliRunner()
COMPARED = ("freeze-for-freeze", "post-olympic-pause")


@pytest.fixture(scope="module")
def report(bundled):
    with Store(bundled, read_only=True) as store:
        return build(presets.load_all(), store,
                     ReportOptions(compare=COMPARED, runs=3000, seed=7, step_days=28))


@pytest.fixture(scope="module")
def page(report) -> str:
    return report.html()


def test_every_section_is_computed(report, bundled):
    assert [a.id for a in report.agreements] == presets.ids()
    assert set(report.checks) == set(presets.ids())
    assert set(report.whatifs) == set(COMPARED) == set(report.simulations)
    assert report.dialogue is not None and report.proposals
    assert {s.runs for s in report.simulations.values()} == {3000}
    # Each proposal has its own seed, so adding one leaves the others unchanged.
    assert [report.simulations[k].seed for k in COMPARED] == [7, 8]
    with Store(bundled, read_only=True) as store:
        drawable = store.count(kind=TIMELINE_KINDS)
    assert len(report.timeline) == drawable and report.timeline_note == f"{drawable:,} events"


def test_summary_figures_are_the_computed_ones(report):
    text = " ".join(report.summary())
    for k in COMPARED:
        w, s = report.whatifs[k], report.simulations[k]
        assert f"{len(w.starts):,} start dates" in text
        assert summary.days_text(w.median_days) in text
        assert summary.days_text(summary.simulated_median_days(s)) in text
        assert f"{s.runs:,} simulated runs (seed {s.seed})" in text
    # The verdict says "lasts longer" only when the median intervals are apart.
    verdict = report.summary()[0]
    intervals = {k: report.whatifs[k].median_interval for k in COMPARED}
    a, b = (intervals[k] for k in COMPARED)
    apart = summary._separated(a, b) or summary._separated(b, a)
    assert ("lasts longer in the historical replay" in verdict) == apart
    assert ("no clear difference in the historical replay" in verdict) == (not apart)
    for k in COMPARED:
        lo, hi = intervals[k]
        median = report.whatifs[k].median_days
        assert lo is None or lo <= (median or float("inf")) <= (hi or float("inf"))
        if lo is not None:
            assert f"95% interval {lo:,.0f}-" in verdict
    assert "alike" not in text
    broken = sum(1 for c in report.checks.values() if c.first_breach is not None)
    assert f"{broken} of {len(report.agreements)} agreements were broken" in text


def test_page_is_self_contained(page):
    from plotly.offline import get_plotlyjs

    assert page.startswith("<!DOCTYPE html>")
    plotly_js = get_plotlyjs()
    assert page.count(plotly_js) == 1  # inlined once
    # Outside plotly.js itself (whose defaults name URLs it never loads for these charts): no
    # external script, stylesheet, font or CDN. The browser test checks the actual requests.
    ours = page.replace(plotly_js, "")
    assert not re.search(r"<script[^>]+src=", ours)
    assert not re.search(r"<link[^>]+href=\"(?!data:)", ours)  # the icon is a data: URL
    assert "@import" not in ours and "@font-face" not in ours
    # (Figures carry base64 arrays, where the letters "cdn" can occur by chance.)
    assert not re.search(r"(https?:)?//[^\s\"'<>]*cdn", ours, re.I)


def test_breaches_link_to_their_evidence(report, page):
    cited = cited_events(report)
    assert cited, "the presets are broken in the record, so there is evidence"
    for event in cited:
        assert f'id="ev-{event["id"]}"' in page
    leap = report.checks["leap-day-2012"]
    first = leap.first_breach
    assert f'href="#ev-{first.event.id}"' in page
    assert first.event.source_ref in page


def _figure_data(page: str, name: str) -> list[dict]:
    block = page.split(f'data-figure="{name}"', 1)[1]
    payload = block.split("Plotly.newPlot(", 1)[1]
    # newPlot("id", [traces], {layout}, {config}): decode the traces array.
    start = payload.index("[")
    traces, _ = json.JSONDecoder().raw_decode(payload[start:])
    return traces


def test_timeline_has_agreement_lanes_and_event_lanes(report, page):
    traces = _figure_data(page, "timeline")
    lanes = {y for t in traces for y in (t.get("y") or []) if y}
    for a in report.agreements:
        assert f"agreement: {a.id}" in lanes
    assert "PRK · missile tests" in lanes and "USA · exercises" in lanes
    breach_marks = [t for t in traces if t.get("name") == "breaches"]
    ids = {i for t in breach_marks for i in t["customdata"]}
    assert report.checks["leap-day-2012"].first_breach.event.id in ids


def test_survival_panels_carry_both_curves(report, page):
    traces = _figure_data(page, "survival")
    names = {t.get("name") for t in traces}
    for k in COMPARED:
        assert report.agreement(k).title in names
    sim = report.simulations["post-olympic-pause"]
    curve = figures.simulated_curve(sim)
    lines = [t for t in traces if t.get("name") == report.agreement("post-olympic-pause").title
             and t.get("xaxis") == "x2"]
    assert lines and lines[0]["y"][:5] == pytest.approx(curve["p"][:5])


def test_tension_panel_is_the_library_series(report, page, bundled):
    from detente import tension

    with Store(bundled, read_only=True) as store:
        expected = tension.tension(store, "PRK-USA", weekly=True, smooth="8w")
    assert report.tension.periods == expected.periods
    traces = _figure_data(page, "tension")
    bars = next(t for t in traces if t.get("type") == "bar")
    assert len(bars["x"]) == expected.periods
    assert sum(bars["y"]) == pytest.approx(float(expected.frame["tension"].sum()))
    events = int(expected.frame["events"].sum())
    assert f"counts {events:,} events" in " ".join(report.summary())


def test_verification_table_shows_critical_detection(report, page):
    for k in COMPARED:
        for party, t in report.simulations[k].critical_detection().items():
            assert party in page
            if t["critical"] is not None:
                assert f"{t['critical']:.3g}" in page
    assert "none suffices" in page or all(
        t["critical"] is not None for k in COMPARED
        for t in report.simulations[k].critical_detection().values())


def test_dialogue_section_shows_probabilities_and_forecast_error(report, page):
    for proposal in report.proposals:
        assert "P(viable)" in proposal.sentence and 0 <= proposal.p_viable <= 1
        assert all(0 < c.p_accept < 1 for c in proposal.acceptance)
    assert "P(accept)" in page and "Forecast error against known outcomes" in page
    card = report.forecast_error
    assert card is not None and card.models
    for model in card.models:
        label = card.verdict(model)
        assert ("cannot beat the status quo" in label) == (not card.beats_status_quo(model))
        assert label in page
    failing = [m for m in card.models if not card.beats_status_quo(m)]
    if failing:
        assert "cannot beat the forecast that nothing changes" in " ".join(report.summary())


def test_dialogue_map_sizes_follow_capability_times_salience(report):
    fig = figures.dialogue_figure(report.dialogue)
    inputs = report.dialogue.inputs
    actors_trace = next(t for t in fig.data if t.y is not None and list(t.y) == list(inputs.actors))
    sizes = list(actors_trace.marker.size)
    weight = inputs.weight[:, 0]
    big, small = int(weight.argmax()), int(weight.argmin())
    assert sizes[big] >= sizes[small]
    ratio = (sizes[big] / max(sizes[small], 1e-9)) ** 2
    if sizes[small] > 4:  # not clipped at the minimum size
        assert ratio == pytest.approx(weight[big] / weight[small], rel=1e-6)
    forecast_names = {t.name for t in fig.data if t.y is not None and list(t.y) == ["forecasts"]}
    assert forecast_names == set(report.dialogue.forecasts)


def test_timeline_figure_on_synthetic_events():
    events = [make_event("m1", dt.date(2017, 7, 4), "PRK", "missile_test", {"class": "ICBM"}),
              make_event("x1", dt.date(2017, 8, 21), "USA", "military_exercise",
                         {"status": "held", "name": "UFG"}, end=dt.date(2017, 8, 31)),
              make_event("s1", dt.date(2018, 4, 27), "KOR", "summit", target="PRK")]
    records = [e.to_json_dict() for e in events]
    assert lanes_for(records) == ["PRK · missile tests", "USA · exercises", "KOR · diplomacy"]
    fig = timeline_figure(records)
    exercise = next(t for t in fig.data if t.name == "exercise: held" and t.mode == "lines")
    assert list(exercise.x[:2]) == ["2017-08-21", "2017-09-01"]  # a span, end day included
    icbm = next(t for t in fig.data if t.name == "missile: ICBM")
    assert list(icbm.customdata) == [events[0].id]


def test_agreement_track_marks_breaches_and_responses(bundled):
    from detente import monitor

    with Store(bundled, read_only=True) as store:
        check = monitor.check(presets.load("freeze-for-freeze"), store)
    track = AgreementTrack.from_report(check)
    kinds = [m["kind"] for m in track.marks]
    assert kinds.count("breach") == len(check.breaches)
    assert kinds.count("response") == len(check.responses)
    assert track.segments[0][0] == check.start


def test_options_are_checked():
    with pytest.raises(ParameterError, match="runs"):
        ReportOptions(runs=0)
    with pytest.raises(ParameterError, match="step_days"):
        ReportOptions(step_days=0)


def test_compare_must_name_a_report_agreement(bundled):
    with Store(bundled, read_only=True) as store, pytest.raises(ParameterError,
                                                                match="compare"):
        build([presets.load("leap-day-2012")], store, ReportOptions(compare=("nope",)))


def test_report_command_writes_a_file(bundled, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "leap-day-2012", "--runs", "500", "--step", "8w",
                                 "--scenario", "none", "-o", str(out), "--db", str(bundled)])
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.output.replace("\n", "")
    text = out.read_text(encoding="utf-8")
    assert "Leap Day" in text and 'data-figure="survival"' in text
    assert 'data-figure="dialogue"' not in text


def test_report_command_rejects_a_bad_agreement(bundled, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "no-such-preset", "-o", str(out), "--db",
                                 str(bundled)])
    assert result.exit_code == 2
    assert "no-such-preset" in result.output
    assert not out.exists()


def test_agreement_sections_state_blind_stretches_and_joint_breakers(page, report):
    check = report.checks["freeze-for-freeze"]
    assert check.first_breakers == ("USA", "KOR")
    assert "First breach: USA and KOR jointly on 2018-04-01" in page
    assert "Unobserved: the record cannot see these commitments kept or broken" in page
    for cid, span in check.unobserved:
        assert f">{cid}</td>" in page and str(span.start) in page
    assert 'id="glossary"' in page and "sendDataToCloud" in page  # removed from the mode bar


@pytest.mark.parametrize(("first", "second", "claim"), [
    ((40, 50), (10, 20), "lasts longer"),            # apart
    ((40, 50), (30, 45), "no clear difference"),     # overlapping
    ((40, None), (10, 39), "lasts longer"),          # beyond observation, still apart
    ((10, None), (20, 30), "no clear difference"),   # an open interval overlaps
])
def test_the_comparison_claims_only_what_the_intervals_carry(first, second, claim):
    titles = {"a": "A", "b": "B"}
    medians = {"a": float(first[0] + 1), "b": float(second[0] + 1)}
    lead, text = summary._comparison("historical replay", medians,
                                      {"a": first, "b": second}, titles, 2)
    assert claim in text
    assert (lead is not None) == (claim == "lasts longer")


def test_words_state_their_thresholds(report):
    text = " ".join(report.summary())
    for k in COMPARED:
        v = report.verification[k]
        if v.asymmetry >= summary.LOPSIDED:
            assert f"lopsided (asymmetry {v.asymmetry:.2f}, at or above the" in text
        elif v.asymmetry > 0:
            assert f"uneven (asymmetry {v.asymmetry:.2f}, below the" in text
    # every assumption next to its result
    for k in COMPARED:
        s = report.simulations[k]
        assert f"Assumptions for {report.agreement(k).title}" in text
        for party, strategy in s.summary()["strategies"].items():
            assert f"{party}={strategy}" in text
        for m in (m for p in s.model.parties for m in p.monitors):
            assert f"{m.commitment} seen with probability {m.detection:g}" in text
    assert "answer different questions" in text


def test_each_result_on_the_page_is_drawn_by_its_presenter(report, page):
    """The report holds no section markup of its own for a result: each agreement's check,
    the survival comparison and verification are what the presenters give (figure ids are
    numbered per draw, so the checked parts carry no figure)."""
    import html as html_lib
    from dataclasses import replace

    from detente.report import views

    for a in report.agreements:
        shown = replace(views.view(report.checks[a.id], figure=False, evidence=False),
                        title=a.title, tag=a.id, anchor=f"agreement-{a.id}")
        assert not shown.figures()
        assert views.html(shown, max_rows=None, level=3) in page
        assert html_lib.escape(views.check_text(report.checks[a.id])[0].text) in page
    parts = render.report_views(report)
    assert [v.anchor for v in parts["agreements"]] == [f"agreement-{a.id}"
                                                       for a in report.agreements]
    assert set(render.report_figures(report)) == {"timeline", "survival", "tension",
                                                  "dialogue"}
    for part in ("survival", "tension", "dialogue"):
        assert f'id="{part}"' in page
        for text in (s.text for s in parts[part].sections if isinstance(s, views.Text)):
            assert html_lib.escape(text) in page


def test_a_single_result_and_a_comparison_share_the_survival_view(report):
    from detente.report import views

    whatif = report.whatifs["post-olympic-pause"]
    alone = views.view(whatif)
    both = views.survival_view({"post-olympic-pause": whatif}, {})
    assert [type(s) for s in alone.sections[1:]] == [type(s) for s in both.sections]
    assert "Simulation:" not in both.sections[0].text  # no word on a panel it does not draw
