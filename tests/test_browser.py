"""The dashboard and the report in a real headless Chromium (Debian's package, driven by
Playwright; never a downloaded browser). The dashboard comes from a real ``detente serve``
process on a free loopback port; the report is opened from disk with every request recorded."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from detente.events.store import Store

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "events.duckdb"
    Store(db).close()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DETENTE_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "detente", "serve", "--db", str(db),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"detente serve did not start:\n{proc.stdout.read()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _save(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=False)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / name)
    return shot


def _rendered_points(page, figure: str) -> int:
    """Data points plotly actually drew as SVG in a figure (markers and line vertices)."""
    return page.evaluate("""(name) => {
        const root = document.querySelector(`[data-figure="${name}"]`);
        if (!root) { return -1; }
        const markers = root.querySelectorAll('.scatterlayer .trace .points path').length;
        const lines = [...root.querySelectorAll('.scatterlayer .trace path.js-line')]
            .filter(p => (p.getAttribute('d') || '').length > 10).length;
        return markers + lines;
    }""", figure)


def _wait_for_charts(page, *names: str) -> None:
    for name in names:
        page.wait_for_selector(f'[data-figure="{name}"] .main-svg', timeout=30_000)


def test_dashboard_loads_and_draws_its_charts(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/?agreement=freeze-for-freeze&runs=2000")
    _wait_for_charts(page, "timeline", "survival")
    assert "Freeze-for-freeze" in page.inner_text("#agreement-title")
    assert _rendered_points(page, "timeline") > 100
    assert _rendered_points(page, "survival") >= 2  # what-if and simulated curves
    lanes = page.locator('[data-figure="timeline"] .ytick text').all_text_contents()
    assert "agreement: freeze-for-freeze" in lanes and "PRK · missile tests" in lanes
    # The figure's data is the server's: the breach markers carry the check's event ids.
    breach_ids = page.evaluate("""() => {
        const gd = document.querySelector('[data-figure="timeline"] .js-plotly-plot');
        return gd.data.filter(t => t.name === 'breaches').flatMap(t => t.customdata);
    }""")
    api = httpx.get(f"{server}/api/check/freeze-for-freeze").json()
    found = [b for b in api["breaches"] if b["event"]]
    assert set(breach_ids) <= {b["event"]["id"] for b in found}
    # Many breaches on one lane are drawn one marker per month, leading to the month's first.
    months = {b["date"][:7] for b in found}
    assert len(breach_ids) == (len(months) if len(found) > 30 else len(found))
    assert _save(page, tmp_path, "dashboard.png").stat().st_size > 10_000
    assert not errors
    page.close()


def test_the_compare_page_draws_several_agreements_on_one_axis(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/compare?agreement=post-olympic-pause&agreement=freeze-for-freeze"
              "&runs=500&step=56")
    _wait_for_charts(page, "timeline", "survival")
    # two proposals in each of the two panels (the replay and the simulation)
    assert _rendered_points(page, "survival") >= 4
    traces = page.evaluate("""() => {
        const gd = document.querySelector('[data-figure="survival"] .js-plotly-plot');
        return [...new Set(gd.data.map(t => t.legendgroup).filter(Boolean))];
    }""")
    assert len(traces) == 2 and any(t.startswith("Post-Olympic pause") for t in traces) and \
        any(t.startswith("Freeze-for-freeze") for t in traces), traces
    assert "no clear difference" in page.inner_text("main") or \
        "lasts longer" in page.inner_text("main")
    _save(page, tmp_path, "compare.png")
    assert not errors
    page.close()


def test_picking_another_agreement_updates_the_page(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/?agreement=post-olympic-pause&runs=1000")
    _wait_for_charts(page, "timeline")
    before = page.inner_text("#status")
    page.select_option("#agreement", "leap-day-2012")  # submits the form on change
    page.wait_for_url("**agreement=leap-day-2012**", timeout=30_000)
    _wait_for_charts(page, "timeline", "survival")
    assert "Leap Day" in page.inner_text("#agreement-title")
    lanes = page.locator('[data-figure="timeline"] .ytick text').all_text_contents()
    assert "agreement: leap-day-2012" in lanes
    assert "agreement: post-olympic-pause" not in lanes
    assert page.input_value("#agreement") == "leap-day-2012"
    assert before  # both pages state a status
    _save(page, tmp_path, "dashboard-leap-day.png")
    page.close()


def test_clicking_a_breach_opens_its_evidence(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/?agreement=leap-day-2012&runs=500")
    _wait_for_charts(page, "timeline")
    event_id = page.evaluate("""() => {
        const gd = document.querySelector('[data-figure="timeline"] .js-plotly-plot');
        const trace = gd.data.find(t => t.name === 'breaches');
        const id = trace.customdata[0];
        gd.emit('plotly_click', {points: [{customdata: id, hovertext: 'x'}]});
        return id;
    }""")
    page.wait_for_url(f"**/events/{event_id}", timeout=15_000)
    assert event_id in page.content()
    page.close()


def test_report_opens_offline_without_any_request(browser, tmp_path):
    from detente.agreements import presets
    from detente.report.builder import ReportOptions, build

    db = tmp_path / "events.duckdb"
    Store(db).close()
    with Store(db, read_only=True) as store:
        report = build([presets.load("freeze-for-freeze"), presets.load("post-olympic-pause")],
                       store, ReportOptions(runs=1000, step_days=28))
    path = report.write(tmp_path / "report.html")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("networkidle")
    _wait_for_charts(page, "timeline", "survival", "dialogue")
    assert _rendered_points(page, "timeline") > 100
    assert _rendered_points(page, "survival") >= 4  # two proposals, two panels
    assert _rendered_points(page, "dialogue") > 0
    outside = [u for u in requests if not u.startswith("file://")]
    assert not outside, f"the report fetched {outside}"
    assert requests == [path.as_uri()]
    page.locator("#survival").scroll_into_view_if_needed()
    _save(page, tmp_path, "report-survival.png")
    context.close()


def test_a_phone_width_keeps_the_charts_visible(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server}/?agreement=post-olympic-pause&runs=1000")
    _wait_for_charts(page, "timeline", "survival")
    page.wait_for_timeout(300)
    # The plotting areas themselves, not their legends or lane labels, take the phone's width
    # (the survival figure has two panels side by side).
    for name in ("timeline", "survival"):
        boxes = [page.locator(f'[data-figure="{name}"] .nsewdrag').nth(k).bounding_box()
                 for k in range(page.locator(f'[data-figure="{name}"] .nsewdrag').count())]
        assert sum(b["width"] for b in boxes) > 300 and min(b["height"] for b in boxes) > 120, (
            name, boxes)
    assert page.locator("#glossary dt").count() >= 8
    modebar = page.eval_on_selector_all(".modebar-btn", "els => els.map(e => e.dataset.title)")
    assert not any("Share" in (t or "") for t in modebar)
    _save(page, tmp_path, "dashboard-phone.png")
    page.close()


def test_report_figures_are_svgs_and_pngs_that_open_in_chromium(browser, tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    db = tmp_path / "events.duckdb"
    Store(db).close()
    out = tmp_path / "figures"
    done = CliRunner().invoke(app, ["report", "post-olympic-pause", "freeze-for-freeze", "-o",
                                    str(tmp_path / "r.html"), "--figures", str(out), "--runs",
                                    "500", "--step", "28d", "--db", str(db)])
    assert done.exit_code == 0, done.output
    names = {p.name for p in out.iterdir()}
    for figure in ("timeline", "survival", "tension", "dialogue"):
        assert {f"{figure}.svg", f"{figure}.png"} <= names
    assert "post-olympic-pause-whatif-survival.csv" in names and "dialogue-issues.csv" in names
    assert not [n for n in names if n.startswith(".")]  # no staging folder left behind
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    for figure in ("survival", "timeline"):
        page.goto((out / f"{figure}.svg").as_uri())
        svg = page.locator("svg").first
        box = svg.bounding_box()
        assert box is not None and box["width"] >= 900, (figure, box)
        # Plotly draws curves as paths and text as text nodes: the SVG is a drawing, not an
        # empty canvas.
        assert page.locator("path.js-line, path.point, path.js-fill").count() > 0, figure
        assert page.get_by_text("still holding").count() or figure != "survival"
    png = (out / "survival.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    width = int.from_bytes(png[16:20], "big")
    assert width == 3000  # 1000 px at 3x: 300 dpi across ten inches
    page.context.close()


def test_figures_into_a_file_are_refused(tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    target = tmp_path / "taken.txt"
    target.write_text("keep")
    db = tmp_path / "events.duckdb"
    Store(db).close()
    done = CliRunner().invoke(app, ["report", "post-olympic-pause", "-o", str(tmp_path / "r.html"),
                                    "--figures", str(target), "--runs", "0", "--db", str(db)])
    assert done.exit_code == 2 and "give a folder" in done.output
    assert target.read_text() == "keep"
