"""The JSON API, in process: the same answers as the library, tokens, limits, JSON errors."""

from __future__ import annotations

import datetime as dt
import shutil
import time

import pytest
from fastapi.testclient import TestClient

from detente import monitor, replay
from detente.agreements import presets
from detente.events.query import EventFilter
from detente.events.store import Store
from detente.web.app import create_app
from detente.web.settings import Settings

TOKEN = "operator-secret-1"


@pytest.fixture(scope="module")
def client(bundled):
    app = create_app(Settings(db=bundled, sync_runs=2000, max_runs=5000, max_jobs=1,
                              max_whatif_starts=2000))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def writable(bundled, tmp_path):
    """A client with a token, on its own copy of the store."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(bundled, db)
    with TestClient(create_app(Settings(db=db, token=TOKEN, max_body_bytes=20_000))) as c:
        yield c


def test_events_match_the_library(client, bundled):
    params = {"actor": "PRK", "kind": "missile_test", "from": "2016-01-01", "to": "2017-12-31",
              "limit": 7, "offset": 3}
    page = client.get("/api/events", params=params).json()
    flt = EventFilter(actor="PRK", kind="missile_test", start="2016-01-01", end="2017-12-31",
                      limit=7, offset=3)
    with Store(bundled, read_only=True) as store:
        expected = list(store.records(flt))
        total = store.count(flt)
    assert page["total"] == total and page["events"] == expected
    assert page["limit"] == 7 and page["offset"] == 3
    following = client.get(page["next"]).json()
    assert following["offset"] == 10


def test_attribute_and_text_filters_use_sql_with_the_same_answer(client, bundled):
    page = client.get("/api/events", params=[("where", "class=ICBM,IRBM"),
                                             ("text", "Hwasong"), ("limit", 50)]).json()
    with Store(bundled, read_only=True) as store:
        expected = list(store.records(where=["class=ICBM,IRBM"], text="Hwasong", limit=50))
    assert page["events"] == expected and page["total"] >= len(expected) > 0


def test_last_page_has_no_next(client):
    total = client.get("/api/events", params={"kind": "nuclear_test"}).json()["total"]
    page = client.get("/api/events", params={"kind": "nuclear_test", "offset": total - 1}).json()
    assert len(page["events"]) == 1 and page["next"] is None


def test_one_event_and_unknown_ids(client):
    first = client.get("/api/events", params={"limit": 1}).json()["events"][0]
    assert client.get(f"/api/events/{first['id']}").json() == first
    missing = client.get("/api/events/0000000000000000")
    assert missing.status_code == 404 and "0000000000000000" in missing.json()["message"]


def test_errors_are_json_with_a_message(client):
    bad = client.get("/api/events", params={"where": "class"})
    assert bad.status_code == 422
    body = bad.json()
    assert body["type"] == "ParameterError" and body["problems"][0]["field"] == "where"
    assert "KEY=VALUE" in body["message"]
    wrong_date = client.get("/api/events", params={"from": "2018-13-01"})
    assert wrong_date.status_code == 422 and wrong_date.json()["problems"][0]["field"] == "from"
    assert client.get("/api/nothing-here").json()["type"] == "NotFoundError"
    too_big = client.get("/api/events", params={"limit": 5000})
    assert too_big.status_code == 413 and "limit" in too_big.json()["message"]


def test_only_bundled_presets_can_be_named(client):
    for name in ("no-such-preset", "..%2F..%2Fetc%2Fpasswd", "a b"):
        r = client.get(f"/api/check/{name}")
        assert r.status_code == 404, name
        assert r.json()["type"] == "NotFoundError"


def test_check_and_whatif_are_the_library_answers(client, bundled):
    spec = presets.load("leap-day-2012")
    with Store(bundled, read_only=True) as store:
        report = monitor.check(spec, store)
        replayed = replay.whatif(spec, store, dt.date(2010, 1, 1), dt.date(2014, 1, 1), 30)
    got = client.get("/api/check/leap-day-2012").json()
    assert got["status"] == report.status
    assert got["first_breach"]["event"]["id"] == report.first_breach.event.id
    w = client.get("/api/whatif/leap-day-2012",
                   params={"from": "2010-01-01", "to": "2014-01-01", "step": 30}).json()
    assert w["n_starts"] == len(replayed.starts) and w["median_days"] == replayed.median_days
    many = client.get("/api/whatif/leap-day-2012", params={"from": "1960-01-01", "step": 1})
    assert many.status_code == 413 and "step" in many.json()["message"]


def test_agreements_and_verification(client):
    listed = client.get("/api/agreements").json()
    assert [a["id"] for a in listed] == presets.ids()
    one = client.get("/api/agreements/post-olympic-pause").json()
    assert one["id"] == "post-olympic-pause" and one["commitments"]
    view = client.get("/api/verification/freeze-for-freeze").json()
    assert view["asymmetry"] > 0


def test_small_simulation_answers_at_once(client):
    r = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 500,
                                           "seed": 4})
    assert r.status_code == 200
    result = r.json()["result"]
    assert result["runs"] == 500 and result["seed"] == 4 and result["survival"][0]["p"] == 1
    again = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 500,
                                               "seed": 4}).json()["result"]
    assert again["survival"] == result["survival"]  # same seed, same curve


def test_large_simulation_is_a_job_and_jobs_are_bounded(client):
    r = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 4000,
                                           "seed": 1})
    assert r.status_code == 202
    job = r.json()
    assert job["status"] in ("queued", "running", "done")
    # max_jobs=1: a second one is refused while the first is active (or accepted if done).
    second = client.post("/api/simulate", json={"agreement": "leap-day-2012", "runs": 10,
                                                "background": True})
    assert second.status_code in (202, 429)
    if second.status_code == 429:
        assert second.json()["type"] == "BusyError"
    deadline = time.monotonic() + 30
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(job["url"]).json()
    assert job["status"] == "done" and job["result"]["runs"] == 4000
    assert client.get("/api/simulate/feedfeedfeedfeed").status_code == 404


def test_simulation_limits_and_bad_parameters(client):
    over = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 10**6})
    assert over.status_code == 413
    long = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 10,
                                              "horizon": "100y", "period": "day"})
    assert long.status_code == 413
    stranger = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 10,
                                                  "strategies": {"FRA": "grim"}})
    assert stranger.status_code == 422 and stranger.json()["problems"][0]["field"] == "strategies"
    nonsense = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 10,
                                                  "strategies": {"PRK": "telepathy"}})
    assert nonsense.status_code == 422


def test_a_client_cannot_make_the_server_import_a_module(client, tmp_path, monkeypatch):
    # The CLI and library take package.module.Class strategies; over HTTP that would run any
    # importable module's code, so only registered names are taken.
    marker = tmp_path / "imported"
    (tmp_path / "planted_strategy.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = client.post("/api/simulate", json={"agreement": "post-olympic-pause", "runs": 10,
                                           "strategies": {"PRK": "planted_strategy.Foo"}})
    assert r.status_code == 422 and "only registered strategies" in r.text
    page = client.get("/", params={"agreement": "post-olympic-pause",
                                   "strategy_PRK": "planted_strategy.Foo"})
    assert page.status_code < 500
    assert not marker.exists()


def test_dialogue_with_acceptance(client):
    r = client.get("/api/dialogue/korea-2018", params={"proposal": "post-olympic-pause",
                                                       "models": "median,nash"})
    body = r.json()
    assert [m["name"] for m in body["models"]] == ["median", "nash"]
    verdict = body["acceptance"][0]
    assert verdict["proposal"] == "post-olympic-pause" and verdict["signatories"] == ["PRK", "USA"]
    assert 0 <= verdict["p_viable"] <= 1 and verdict["outlook"] in ("likely", "unlikely",
                                                                    "uncertain")
    assert {a["actor"] for a in verdict["acceptance"] if a["veto"]} == {"PRK", "USA"}
    # the forecast error of the models asked for, beside the status quo
    assert [m["model"] for m in body["forecast_error"]["models"]] == ["status quo", "median",
                                                                     "nash"]
    assert client.get("/api/dialogue/korea-2018", params={"proposal": "nope"}).status_code == 404
    assert client.get("/api/dialogue/nope").status_code == 404


def test_writes_need_the_token(client, writable):
    event = {"date": "2030-01-02", "actor": "PRK", "kind": "missile_test",
             "attrs": {"class": "ICBM"}, "source": "api-test", "source_ref": "t1"}
    # Read-only server: no token accepted at all.
    refused = client.post("/api/events", json={"events": [event]})
    assert refused.status_code == 401 and "read-only" in refused.json()["message"]
    assert refused.headers["www-authenticate"] == "Bearer"
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}):
        r = writable.post("/api/events", json={"events": [event]}, headers=headers)
        assert r.status_code == 401, headers
    assert writable.get("/api/events", params={"source": "api-test"}).json()["total"] == 0
    ok = writable.post("/api/events", json={"events": [event]},
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["added"] == 1
    page = writable.get("/api/events", params={"source": "api-test"}).json()
    assert page["total"] == 1 and page["events"][0]["date"] == "2030-01-02"
    again = writable.post("/api/events", json={"events": [event]},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert again.json()["added"] == 0 and again.json()["unchanged"] == 1
    assert again.json()["notes"] == []
    # The same source key with other content: the stored event is kept, and the answer says so.
    other = writable.post("/api/events", json={"events": [{**event, "attrs": {"class": "SRBM"}}]},
                          headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert other["added"] == 0 and "differ" in other["notes"][0]


def test_invalid_events_change_nothing(writable):
    good = {"date": "2030-01-02", "actor": "PRK", "kind": "missile_test", "source": "api-test",
            "source_ref": "ok"}
    bad = {**good, "source_ref": "bad", "attrs": {"class": "BANANA"}}
    r = writable.post("/api/events", json={"events": [good, bad]},
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 422 and "class" in r.text
    assert writable.get("/api/events", params={"source": "api-test"}).json()["total"] == 0


def test_request_bodies_are_limited(writable):
    huge = {"events": [{"date": "2030-01-02", "actor": "PRK", "kind": "talks",
                        "source": "x", "source_ref": str(i), "summary": "y" * 200}
                       for i in range(200)]}
    r = writable.post("/api/events", json=huge, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 413 and r.json()["type"] == "LimitError"


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/events", "/api/agreements", "/api/check/{agreement_id}",
                 "/api/whatif/{agreement_id}", "/api/simulate", "/api/simulate/{job_id}",
                 "/api/dialogue/{scenario_id}"):
        assert path in schema["paths"], path
    post = schema["paths"]["/api/events"]["post"]
    assert post["security"] and "401" in post["responses"]
    assert client.get("/docs").status_code == 200


def test_dashboard_pages_render(client):
    page = client.get("/", params={"agreement": "leap-day-2012", "runs": 300})
    assert page.status_code == 200
    assert "Leap Day" in page.text and 'data-figure="timeline"' in page.text
    # The dashboard simulates what `detente simulate` does by default: fitted behaviour.
    assert '<option value="fitted" selected>' in page.text
    grim = client.get("/", params={"agreement": "leap-day-2012", "runs": 300,
                                   "strategy_PRK": "grim", "strategy_USA": "grim"})
    assert grim.status_code == 200 and '<option value="grim" selected>' in grim.text
    assert client.get("/", params={"agreement": "nope"}).status_code == 404
    assert client.get("/", params={"runs": "lots"}).status_code == 422
    events = client.get("/events", params={"actor": "PRK", "kind": "nuclear_test"})
    assert events.status_code == 200 and "6 events" in events.text
    one = client.get("/api/events", params={"kind": "nuclear_test", "limit": 1}).json()
    detail = client.get(f"/events/{one['events'][0]['id']}")
    assert detail.status_code == 200 and one["events"][0]["source_ref"] in detail.text
    missing = client.get("/events/nope")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    dialogue = client.get("/dialogue")
    assert dialogue.status_code == 200
    assert "P(accept)" in dialogue.text and "P(viable)" in dialogue.text
    assert "Forecast error against known outcomes" in dialogue.text
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and "plotly" in js.text[:2000].lower()


def test_tension_series(client, bundled):
    from detente import tension

    r = client.get("/api/tension", params={"dyad": "PRK-USA", "smooth": "4w"})
    with Store(bundled, read_only=True) as store:
        expected = tension.tension(store, "PRK-USA", weekly=True, smooth="4w")
    body = r.json()
    assert r.status_code == 200 and body["dyad"] == "PRK-USA"
    assert len(body["series"]) == expected.periods
    assert sum(row["events"] for row in body["series"]) == int(expected.frame["events"].sum())
    assert client.get("/api/tension", params={"dyad": "PRK"}).status_code == 422
    huge = client.get("/api/tension", params={"weekly": "false", "from": "0001-01-01",
                                              "to": "9999-01-01"})
    assert huge.status_code == 413


def test_a_body_that_is_not_json_is_a_400(client):
    r = client.post("/api/simulate", content=b"{broken json",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["type"] == "MalformedBody"
    assert "not valid JSON" in r.json()["message"]


def test_the_dashboard_compares_several_agreements_as_the_report_does(client, bundled):
    import html
    import re

    from detente.agreements import presets
    from detente.report.builder import ReportOptions, build

    chosen = ["post-olympic-pause", "leap-day-2012"]
    page = client.get("/compare", params={"agreement": chosen, "runs": 400, "step": 56})
    assert page.status_code == 200
    assert {"timeline", "survival"} <= set(re.findall(r'data-figure="(\w+)"', page.text))
    with Store(bundled, read_only=True) as store:
        report = build([presets.load(a) for a in chosen], store,
                       ReportOptions(runs=400, step_days=56, compare=tuple(chosen)))
    # the same builder, so the same summary, word for word
    assert html.escape(report.summary()[0], quote=False) in page.text.replace("&#39;", "'")
    assert 'href="/events/' in page.text  # evidence opens the dashboard's event pages
    assert client.get("/compare", params={"agreement": "nope"}).status_code == 404
    assert client.get("/compare", params={"runs": "0"}).status_code == 422
def test_evaluate_is_the_librarys_backtest_and_bounded(client, bundled, store_path):
    from detente.evaluate import evaluate

    params = [("agreement", "post-olympic-pause"), ("from", 2015), ("to", 2016),
              ("horizon", 13), ("horizon", 52), ("method", "hazard"), ("method", "base_all"),
              ("runs", 8), ("bootstrap", 100), ("seed", 3)]
    body = client.get("/api/evaluate", params=params).json()
    with Store(bundled, read_only=True) as store:
        expected = evaluate([presets.load("post-olympic-pause")], store, origins=[2015, 2016],
                            horizons=[13, 52], methods=["hazard", "base_all"], runs=8, seed=3,
                            draws=100).to_json_dict()
    for key in ("origins", "horizons_weeks", "methods", "cases", "scores", "skills"):
        assert body[key] == expected[key], key
    default = client.get("/api/evaluate").json()  # small by default: 4 origin years
    assert default["agreements"] == ["post-olympic-pause"]
    assert default["origins"] == [2015, 2016, 2017, 2018]
    # 6 presets x 4 years is over the bound (12 agreement-years): refused before any work
    wide = client.get("/api/evaluate", params=[("agreement", a) for a in presets.ids()])
    assert wide.status_code == 413 and "at most 12" in wide.json()["message"]
    assert client.get("/api/evaluate", params={"method": "astrology"}).status_code == 422
    assert client.get("/api/evaluate", params={"agreement": "nope"}).status_code == 404
    assert client.get("/api/evaluate", params={"horizon": 0}).status_code == 422
    Store(store_path, empty=True).close()
    with TestClient(create_app(Settings(db=store_path))) as empty:
        answer = empty.get("/api/evaluate")
        assert answer.status_code == 422 and "empty" in answer.json()["message"]


def test_the_operators_own_spec_files_are_offered_beside_the_presets(bundled, tmp_path):
    from detente.agreements import presets
    from detente.errors import SpecError

    mine = presets.load("post-olympic-pause").model_copy(update={"id": "my-pause",
                                                                 "title": "My pause"})
    path = tmp_path / "my-pause.yaml"
    path.write_text(mine.to_yaml(), encoding="utf-8")
    with TestClient(create_app(Settings(db=bundled, specs=(str(path),)))) as client:
        listed = [a["id"] for a in client.get("/api/agreements").json()]
        assert listed[-1] == "my-pause" and set(presets.ids()) < set(listed)
        assert client.get("/api/agreements/my-pause").json()["title"] == "My pause"
        check = client.get("/api/check/my-pause").json()
        assert check["status"] == client.get("/api/check/post-olympic-pause").json()["status"]
        page = client.get("/", params={"agreement": "my-pause", "runs": 200})
        assert page.status_code == 200 and "My pause" in page.text
        assert '<option value="my-pause" selected>' in page.text
        assert "my-pause" in client.get("/compare", params={"agreement": ["my-pause"],
                                                            "runs": 200}).text
    with TestClient(create_app(Settings(db=bundled))) as plain:  # another server: not offered
        assert plain.get("/api/agreements/my-pause").status_code == 404
    clash = tmp_path / "clash.yaml"
    clash.write_text(presets.load("leap-day-2012").to_yaml(), encoding="utf-8")
    with pytest.raises(SpecError, match="already a preset"):
        create_app(Settings(db=bundled, specs=(str(clash),)))


def test_the_dashboard_draws_the_check_through_its_presenter(client, bundled):
    """The single-agreement page shows what the check presenter says and links evidence to
    the event pages: the same words as the report and the notebook."""
    import html as html_lib

    from detente import monitor
    from detente.agreements import presets
    from detente.events.store import Store
    from detente.report import views

    page = client.get("/", params={"agreement": "leap-day-2012", "runs": 300}).text
    with Store(bundled, read_only=True) as store:
        check = monitor.check(presets.load("leap-day-2012"), store)
    for text in views.check_text(check):
        assert html_lib.escape(text.text) in page
    assert f'href="/events/{check.first_breach.event.id}"' in page
    for anchor in ("timeline", "survival", "verification"):
        assert f'<section class="view" id="{anchor}">' in page
