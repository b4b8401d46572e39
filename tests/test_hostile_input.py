"""Hostile and extreme input (issue 16): boundary dates, file names that look like patterns,
deep nesting, YAML alias bombs, unbounded conditions, text that a spreadsheet would run.
Each is refused with a located error, or handled, before it can wedge anything later."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente import monitor, replay, tension
from detente.agreements import presets
from detente.cli import app
from detente.errors import IngestError, InputError, ParameterError
from detente.events.ingest import ingest_file
from detente.events.store import Store
from detente.events.validation import FIRST_DATE, LAST_DATE, MAX_ATTR_DEPTH, nesting_depth
from detente.report.builder import ReportOptions, build

runner = CliRunner()
HEADER = "date,end,actor,target,kind,source,source_ref,attrs\n"


def _csv(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _test(day: str, ref: str, end: str = "") -> str:
    return f'{day},{end},PRK,,missile_test,t,{ref},"{{""class"":""ICBM""}}"'


# --- 3: boundary dates ---------------------------------------------------------------------------

def test_event_dates_outside_the_documented_range_are_refused_by_row_and_field(empty_store,
                                                                               tmp_path):
    # 0001-01-01 and 9999-12-31 once went in, then overflowed the quiet-window finder (the
    # watch exited every cycle), the report's timeline and the dashboard.
    assert (FIRST_DATE, LAST_DATE) == ("1800-01-01", "2199-12-31")
    before = empty_store.fingerprint()
    src = _csv(tmp_path / "far.csv", _test("0001-01-01", "a"), _test("9999-12-31", "b"),
               _test("1799-12-31", "c"), _test("2018-01-01", "d", end="2200-01-01"),
               _test("1800-01-01", "e"), _test("2199-12-31", "f"))
    with pytest.raises(IngestError) as info:
        ingest_file(empty_store, src)
    found = [(p.row, p.field, p.value) for p in info.value.problems]
    assert found == [(1, "date", "0001-01-01"), (2, "date", "9999-12-31"),
                     (3, "date", "1799-12-31"), (4, "end", "2200-01-01")]
    assert "must be between 1800-01-01 and 2199-12-31" in info.value.problems[0].message
    assert empty_store.fingerprint() == before


def test_every_analysis_handles_events_on_the_first_and_last_allowed_days(empty_store,
                                                                          tmp_path):
    ingest_file(empty_store, _csv(tmp_path / "edge.csv", _test(FIRST_DATE, "a"),
                                  _test(LAST_DATE, "b"), _test("2018-03-01", "c")))
    pause = presets.load("post-olympic-pause")
    report = monitor.check(pause, empty_store)
    assert report.first_breach.date == dt.date(2018, 3, 1)
    assert report.timeline[-1].end == dt.date.fromisoformat(LAST_DATE)
    found = tension.windows(empty_store, min_days=30)
    assert [(w.start, w.end) for w in found.windows] == [
        (dt.date(1800, 1, 2), dt.date(2018, 2, 28)), (dt.date(2018, 3, 2),
                                                      dt.date(2199, 12, 30))]
    series = tension.tension(empty_store, "PRK-USA", weekly=True, smooth="8w")
    assert series.frame["events"].sum() == 3
    replayed = replay.whatif(pause, empty_store, dt.date(2199, 1, 1), dt.date(2199, 12, 31), 30)
    assert len(replayed.starts) == 13 and replayed.breached == 13
    options = ReportOptions(whatif_from=dt.date(2199, 1, 1), step_days=30, runs=200,
                            scenario=None)
    html = build([pause], empty_store, options).html()
    assert "2199-12-31" in html and "1800-01-01" in html


def test_quiet_windows_tolerate_a_store_written_before_dates_were_bounded(empty_store):
    # An older detente accepted the calendar's ends: windows never start before or after them.
    empty_store.con.execute(
        """INSERT INTO stored_events (id, date, actor, kind, attrs, source, source_ref,
        confidence)
           VALUES ('a', DATE '0001-01-01', 'PRK', 'missile_test', '{}', 't', 'a', 'high'),
                  ('b', DATE '9999-12-31', 'PRK', 'missile_test', '{}', 't', 'b', 'high')""")
    found = tension.windows(empty_store, min_days=1)
    assert [(w.start, w.end, w.ongoing) for w in found.windows] == [
        (dt.date(1, 1, 2), dt.date(9999, 12, 30), False)]
    assert json.loads(found.to_json())["provocations"] == 2


def test_a_feed_file_with_a_far_date_is_refused_and_the_real_breach_beside_it_alerts(tmp_path):
    from detente.agreements import spec as spec_lib
    from detente.watch import Watch
    from tests.test_watch import watch_setup

    spec_path, feed, store_path, _ = watch_setup(tmp_path)  # a USA breach on 2017-07-05
    _csv(feed / "far.csv", _test("2017-07-10", "x"), _test("9999-12-31", "y"))
    w = Watch(spec_lib.load(spec_path), feed, store_path=store_path, window_days=3, settle=0.0,
              echo=lambda _: None)
    result = w.cycle(once=True)
    assert [f for f, _ in result.failed] == [str(feed / "far.csv")]
    new = {a.kind: a for a in result.new_alerts}
    assert new["breach"].payload["party"] == "USA"
    assert "row 2: field 'date'" in new["ingest_failed"].payload["error"]
    assert w.cycle(once=True).new_alerts == ()  # and the next cycle runs, repeating nothing


# --- 5: file names are names, not patterns -------------------------------------------------------

def _write_one(path: Path, ref: str) -> None:
    row = {"date": "2017-07-04", "actor": "PRK", "kind": "missile_test", "source": "t",
           "source_ref": ref, "attrs": json.dumps({"class": "ICBM"})}
    if path.name.endswith(".parquet"):
        pd.DataFrame([row]).to_parquet(path)
    elif path.name.endswith(".json"):
        path.write_text(json.dumps([row]), encoding="utf-8")
    else:
        text = ",".join(row) + "\n" + ",".join(
            '"' + v.replace('"', '""') + '"' for v in row.values()) + "\n"
        if path.name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet", ".csv.gz"])
def test_file_names_reach_the_readers_literally(empty_store, tmp_path, monkeypatch, suffix):
    # DuckDB's readers glob: 'ev?.csv' read ev1 and ev2, and 'ev[12].csv' never itself.
    monkeypatch.chdir(tmp_path)  # relative names: DuckDB also expanded a leading '~'
    names = ["ev1", "ev2", "ev?", "ev[12]", "ev*", "~ev", "ev]"]
    for name in names:
        _write_one(tmp_path / (name + suffix), name)
    for name in names:
        result = ingest_file(empty_store, name + suffix)
        assert (result.rows, result.added) == (1, 1), name
    stored = sorted(empty_store.query()["source_ref"])
    assert stored == sorted(names)


def test_a_coded_export_is_read_by_its_literal_name(empty_store, tmp_path):
    from detente.events.ingest import coded
    from tests.test_watch import FIRST, second_file

    second_file(tmp_path).rename(tmp_path / "20170720.exportX.CSV")  # what the pattern matches
    odd = tmp_path / "2017072[0].export?.CSV"
    odd.write_bytes(FIRST.read_bytes())
    done = coded.ingest(empty_store, odd, "gdelt")
    assert (done.result.rows, done.summary.skipped) == (12, 1)  # FIRST's 13 lines, no others
    assert "680000201" not in set(empty_store.query()["source_ref"])


# --- 6: deeply nested attributes -----------------------------------------------------------------

def _nested(levels: int) -> str:
    return '{"a":' * (levels - 1) + "[1]" + "}" * (levels - 1) if levels else "1"


def test_attributes_nested_past_the_limit_are_refused_by_row_and_field(empty_store, tmp_path):
    # 1,100 levels went in, then `events list --format json`, the report and the API's event
    # pages failed with RecursionError.
    assert MAX_ATTR_DEPTH == 32
    rows = [{"date": "2017-07-04", "actor": "PRK", "kind": "missile_test", "source": "t",
             "source_ref": f"r{i}", "attrs": f'{{"x_note":{_nested(n)}}}'}
            for i, n in enumerate([1100, MAX_ATTR_DEPTH, MAX_ATTR_DEPTH + 1, 3])]
    # and a string full of brackets is only text
    rows.append({**rows[-1], "source_ref": "r4", "attrs": json.dumps({"x_note": "[" * 90})})
    src = tmp_path / "deep.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(IngestError) as info:
        ingest_file(empty_store, src)
    assert [(p.row, p.field) for p in info.value.problems] == [(1, "attrs.x_note"),
                                                              (3, "attrs.x_note")]
    assert "1,100 levels deep; at most 32" in info.value.problems[0].message
    src.write_text("".join(json.dumps(r) + "\n" for i, r in enumerate(rows) if i not in (0, 2)),
                   encoding="utf-8")
    assert ingest_file(empty_store, src).added == 3
    kept = {r["source_ref"]: r["attrs"]["x_note"] for r in empty_store.records()}
    assert nesting_depth(json.dumps(kept["r1"])) == MAX_ATTR_DEPTH


def test_attributes_nested_past_the_limit_are_refused_by_the_api(tmp_path):
    from fastapi.testclient import TestClient

    from detente.web.app import create_app
    from detente.web.settings import Settings

    Store(tmp_path / "events.duckdb", empty=True).close()
    event = {"date": "2017-07-04", "actor": "PRK", "kind": "missile_test", "source": "t",
             "source_ref": "deep"}
    body = json.dumps({"events": [{**event, "attrs": {"x_": 0}}]}).replace(
        '{"x_": 0}', '{"x_deep": ' + _nested(600) + "}")
    app = create_app(Settings(db=tmp_path / "events.duckdb", token="hardening-token"))
    with TestClient(app) as client:
        answer = client.post("/api/events", content=body, headers={
            "Authorization": "Bearer hardening-token", "Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["problems"]
        assert (problem["row"], problem["field"]) == (1, "attrs.x_deep")
        assert client.get("/api/events").status_code == 200


# --- 7: YAML alias bombs -------------------------------------------------------------------------

LAUGHS = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    ) + "\nid: *i\n"


@pytest.mark.parametrize("text, words", [
    (LAUGHS, "expand to more than"),                     # a billion laughs: 9^9 strings
    ("a: &a [*a]\n", "refers to a list or mapping that contains it"),
    ("id: " + "[" * 5000 + "]" * 5000 + "\n", "nest more than"),
])
def test_yaml_that_would_expand_or_recurse_is_refused_at_once(tmp_path, text, words):
    from detente.agreements import spec as spec_lib
    from detente.dialogue import scenario as scenario_lib
    from detente.errors import ScenarioError, SpecError

    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    from detente import yamlio

    # specs, scenarios, and what proposals are read with
    for load, error in ((spec_lib.load, SpecError), (scenario_lib.read, ScenarioError),
                        (yamlio.read, InputError)):
        started = time.perf_counter()
        with pytest.raises(error) as info:
            load(path)
        assert time.perf_counter() - started < 1.0
        assert words in str(info.value) and str(path) in str(info.value)


def test_yaml_aliases_within_the_limits_still_work():
    from detente import yamlio

    doc = yamlio.parse("base: &b {detection: 0.9}\nuse: [*b, *b]\nmerged: {<<: *b, x: 1}\n",
                       "ok.yaml")
    plain = yamlio.to_plain(doc.data)
    assert plain["use"] == [{"detection": 0.9}] * 2 and plain["merged"]["x"] == 1


# --- 10: errors that name their cause, and no more ----------------------------------------------

def test_unwritable_outputs_are_errors_naming_the_file_not_tracebacks(tmp_path):
    # /proc refuses new files even to root; a folder is not a file name.
    db = str(tmp_path / "s.duckdb")
    Store(db).close()
    for args, code, words in (
            (["simulate", "post-olympic-pause", "--runs", "50", "--horizon", "1y", "--out",
              "/proc/curve.csv"], 1, "cannot write /proc/curve.csv"),
            (["report", "post-olympic-pause", "-o", str(tmp_path)], 2, "is a folder"),
            (["events", "export", "/proc/events.parquet"], 1,
             "cannot write /proc/events.parquet")):
        result = runner.invoke(app, [*args, "--db", db])
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == code and words in result.output, (args, result.output)


def test_a_quiet_window_weight_must_be_a_number(empty_store):
    with pytest.raises(ParameterError) as info:
        tension.windows(empty_store, max_weight=float("nan"))
    assert info.value.problems[0].field == "max_weight"
    empty_store.close()
    result = runner.invoke(app, ["windows", "--max-weight", "nan", "--db",
                                 str(empty_store.path)])
    assert result.exit_code == 2 and "max_weight" in result.output


FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "'=already", "'"]


def test_csv_exports_defuse_formulas_and_round_trip(empty_store, tmp_path):
    rows = [{"date": "2017-07-04", "actor": "PRK", "kind": "missile_test", "source": "t",
             "source_ref": text, "summary": text} for text in FORMULAS]
    src = tmp_path / "formulas.json"
    src.write_text(json.dumps(rows), encoding="utf-8")
    ingest_file(empty_store, src)
    empty_store.close()
    result = runner.invoke(app, ["events", "list", "--format", "csv", "--db",
                                 str(empty_store.path)])
    assert result.exit_code == 0, result.output
    exported = list(csv.DictReader(io.StringIO(result.stdout)))
    # OWASP: a cell a spreadsheet would run starts with a quote (one more on a quoted one).
    cells = sorted(r["summary"] for r in exported)
    assert cells == sorted(["'" + t if t[0] in "=+-@\t" or t.startswith("'=") else t
                            for t in FORMULAS])
    assert not any(c[0] in "=+-@\t\r" for r in exported for c in r.values() if c)
    back = tmp_path / "export.csv"
    back.write_text(result.stdout, encoding="utf-8")
    with Store(tmp_path / "again.duckdb", empty=True) as again:
        ingest_file(again, back)
        assert sorted(again.query()["summary"]) == sorted(FORMULAS)
        with Store(empty_store.path, read_only=True) as first:
            assert again.fingerprint().split(";")[0] == first.fingerprint().split(";")[0]


def test_nul_characters_are_kept_out_of_text_fields(empty_store, tmp_path):
    src = tmp_path / "nul.json"
    src.write_text(json.dumps([{"date": "2017-07-04", "actor": "PRK", "kind": "missile_test",
                                "source": "t", "source_ref": "a", "summary": "x\u0000y"}]),
                   encoding="utf-8")
    with pytest.raises(IngestError) as info:
        ingest_file(empty_store, src)
    assert [(p.row, p.field) for p in info.value.problems] == [(1, "summary")]


def test_a_json_file_with_a_byte_order_mark_is_read(empty_store, tmp_path):
    src = tmp_path / "bom.json"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps([{
        "date": "2017-07-04", "actor": "PRK", "kind": "missile_test", "source": "t",
        "source_ref": "a"}]).encode())
    assert ingest_file(empty_store, src).added == 1
