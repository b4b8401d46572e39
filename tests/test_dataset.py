"""The bundled dataset: it loads into a new store, matches its sources, and rebuilds exactly."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from detente.events import ingest
from detente.events.ingest import dataset
from detente.events.store import BUNDLED_EVENTS, Store
from tests.sources_support import CSIS_FILE, JSON_FILE, UN_FILE, real

SOURCES_JSON = BUNDLED_EVENTS.parent / "sources.json"
BALLISTIC = ("SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "SLV", "HGV")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Store:
    """A new store (not empty=True): it starts with the bundled record loaded."""
    with Store(tmp_path_factory.mktemp("bundled") / "events.duckdb") as store:
        yield store


@pytest.fixture(scope="module")
def sources() -> dict:
    return json.loads(SOURCES_JSON.read_text(encoding="utf-8"))


def _events(store: Store, **filters) -> list:
    return list(store.events(**filters))


def _sources_of(event) -> set[str]:
    return {event.source, *(r.source for r in event.also)}


def test_new_store_loads_the_bundled_parquet(bundled, sources):
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{BUNDLED_EVENTS}')").fetchall()[0][0]
    assert bundled.count() == rows == sources["events"]
    by_kind = dict(bundled.con.execute(
        "SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    assert by_kind == sources["events_by_kind"]
    aliases = bundled.con.execute("SELECT count(*) FROM aliases").fetchall()[0][0]
    assert aliases > 400  # the further sources (also) came back with the events


def test_six_nuclear_tests_with_usgs_magnitudes(bundled):
    tests = _events(bundled, kind="nuclear_test")
    assert [e.date.isoformat() for e in tests] == [
        "2006-10-09", "2009-05-25", "2013-02-12", "2016-01-06", "2016-09-09", "2017-09-03"]
    assert [e.attrs["magnitude"] for e in tests] == [4.3, 4.7, 5.1, 5.1, 5.3, 6.3]
    for event in tests:  # USGS and CSIS record each test: one event, both sources
        assert event.source == "usgs-comcat"
        assert _sources_of(event) == {"usgs-comcat", "csis-provocations"}


def test_cns_rows_each_paired_with_their_json_row(bundled):
    cns_events = [e for e in _events(bundled, kind="missile_test")
                  if "cns-missile-tests" in _sources_of(e)]
    assert len(cns_events) == 245
    assert max(e.date for e in cns_events) == dt.date(2023, 4, 12)
    for event in cns_events:
        assert event.source == "cns-missile-tests"
        assert "nk-missile-tests" in _sources_of(event), event.source_ref


def test_json_rows_all_present(bundled):
    json_events = [e for e in _events(bundled, kind="missile_test")
                   if "nk-missile-tests" in _sources_of(e)]
    assert len(json_events) == 339
    assert max(e.date for e in json_events) == dt.date(2026, 4, 18)
    assert sum(e.attrs.get("date_precision") == "month" for e in json_events) == 8


def test_no_missile_tests_in_2018(bundled):
    year = {"start": dt.date(2018, 1, 1), "end": dt.date(2018, 12, 31)}
    assert bundled.count(kind="missile_test", **year) == 0
    assert bundled.count(kind="nuclear_test", **year) == 0
    assert bundled.count(kind="military_exercise", **year) > 0  # the filter does select 2018
    last = max(e.date for e in _events(bundled, kind="missile_test")
               if e.date < dt.date(2018, 1, 1))
    assert last == dt.date(2017, 11, 28)  # the Hwasong-15, 29 Nov in Korea


def test_every_csis_row_is_an_event_or_a_further_source(bundled):
    refs = bundled.con.execute(
        """SELECT count(DISTINCT source_ref) FROM (
             SELECT source_ref FROM events WHERE source = 'csis-provocations'
             UNION ALL SELECT source_ref FROM aliases WHERE source = 'csis-provocations')"""
    ).fetchall()[0][0]
    assert refs == 493


def test_csis_salvos_do_not_double_count(bundled):
    """No CSIS salvo row left standing alone shares its day with per-missile events."""
    per_missile_days = {e.date for e in _events(bundled, kind="missile_test")
                        if e.source in ("cns-missile-tests", "nk-missile-tests")}
    standalone = [e for e in _events(bundled, kind="missile_test")
                  if e.source == "csis-provocations" and e.attrs.get("class") in BALLISTIC
                  and (e.match_key or "").endswith("*")]
    assert standalone, "CSIS adds launches the per-missile sources lack (and after 2026-04-18)"
    assert not [e for e in standalone if e.date in per_missile_days]
    linked = bundled.con.execute(
        "SELECT count(DISTINCT id) FROM aliases WHERE source = 'csis-provocations'"
    ).fetchall()[0][0]
    assert linked > 150


def test_un_designations_match_provenance(bundled):
    listing = (real(UN_FILE).parent.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    section = listing[listing.index("Listings by date"):listing.index("Most batch dates")]
    expected = {day: int(n) for day, n in re.findall(r"(\d{4}-\d{2}-\d{2}) \((\d+)\)", section)}
    unsc = [e for e in _events(bundled, kind="sanctions_designation")
            if e.source == "un-consolidated-list"]
    assert len(unsc) == 155 == sum(expected.values())
    assert Counter(e.date.isoformat() for e in unsc) == expected
    assert Counter(e.attrs["entry_type"] for e in unsc) == {"individual": 80, "entity": 75}


def test_un_listing_actions_summarise_the_list_entries_of_their_day(bundled):
    actions = bundled.con.execute(
        """SELECT a.source_ref, e.source FROM aliases a JOIN events e ON e.id = a.event_id
           WHERE a.source = 'curated-un-actions'""").fetchall()
    assert actions and {source for _, source in actions} == {"un-consolidated-list"}
    # 2018-03-30: one action summarising the 22 entries of the consolidated list that day.
    day = [e for e in _events(bundled, kind="sanctions_designation",
                              start=dt.date(2018, 3, 30), end=dt.date(2018, 3, 30))
           if e.actor == "UN"]
    assert len(day) == 22 and all("curated-un-actions" in _sources_of(e) for e in day)


def test_joint_exercises_and_diplomacy_shapes(bundled):
    exercises = _events(bundled, kind="military_exercise")
    assert len(exercises) > 150 and min(e.date for e in exercises).year == 1976
    assert all(e.actor == "USA" and e.attrs["parties"][:2] == ["USA", "KOR"]
               for e in exercises)
    assert any(e.attrs["parties"] == ["USA", "KOR", "JPN"] for e in exercises)
    singapore = [e for e in _events(bundled, kind="summit") if e.date == dt.date(2018, 6, 12)]
    assert [(e.actor, e.target, e.attrs["parties"]) for e in singapore] == [
        ("USA", "PRK", ["USA", "PRK"])]


def test_sources_json_is_consistent(bundled, sources):
    records = {r["source"]: r for r in sources["sources"]}
    assert list(records) == ["cns-missile-tests", "nk-missile-tests", "usgs-comcat",
                             "csis-provocations", "un-consolidated-list", "curated-exercises",
                             "curated-us-sanctions", "curated-un-actions",
                             "curated-diplomacy"]
    assert all(r["coverage"] for r in records.values())
    assert sources["record_end"] == max(d["end"] for r in records.values()
                                        for d in r["coverage"])
    assert sum(r["added"] for r in records.values()) == sources["events"]
    for r in records.values():
        assert r["added"] + r["merged"] + r["linked"] + r["unchanged"] == r["rows"]
        assert r["title"] and r["licence"] and r["origin"]["path"]
        assert r["first"] <= r["last"]
    assert records["nk-missile-tests"]["origin"]["commit"] == (
        "a0cc65874d36a4a0fdf16b73919d23a3a8f5dac5")
    assert records["cns-missile-tests"]["rows"] == 245
    assert records["nk-missile-tests"]["merged"] == 245
    assert records["csis-provocations"]["merged"] == 8  # 6 nuclear tests, 2 same-test rows
    for source, record in records.items():
        carried = bundled.con.execute(
            """SELECT count(DISTINCT id) FROM (SELECT id FROM events WHERE source = ?
               UNION ALL SELECT event_id FROM aliases WHERE source = ?)""",
            [source, source]).fetchall()[0][0]
        assert carried == record["events"], source


def test_reingesting_each_real_file_adds_nothing(bundled):
    before = bundled.fingerprint()
    shared = real(JSON_FILE).parent.parent.parent
    for item in dataset.SOURCES:
        folder = dataset.REPO_DATA if item.path.startswith("curated/") else shared
        result = ingest.ingest_file(bundled, folder / item.path)  # format detected
        assert not result.changed, item.path
        assert result.unchanged == result.rows
    assert bundled.fingerprint() == before


def test_rebuild_reproduces_the_committed_dataset(tmp_path, sources):
    real(CSIS_FILE)  # skip without the shared folder
    shared = real(JSON_FILE).parent.parent.parent
    document = dataset.build(shared, tmp_path)
    assert document == sources
    assert (tmp_path / "sources.json").read_text(encoding="utf-8") == SOURCES_JSON.read_text(
        encoding="utf-8")
    query = "SELECT * FROM read_parquet('{}') ORDER BY id"
    built = duckdb.sql(query.format(tmp_path / "events.parquet")).fetchall()
    committed = duckdb.sql(query.format(BUNDLED_EVENTS)).fetchall()
    assert built == committed


def test_provenance_parsing():
    text = Path(real(UN_FILE).parent.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    found = dataset.raw_provenance(text, "seismic.excerpt.json")
    assert found["origin"] == {"repository": "Ahmet-Dedeler/free-north-korea",
                               "path": "data/seismic.json",
                               "commit": "2b681fe086472c965224b0c1907ad09845a3fcc3",
                               "hand_made_excerpt": True}
    assert found["licence"] == "the repository has no licence file"
    assert "public domain" in found["licence_text"]
    assert dataset.raw_provenance(text, "nothing.csv")["origin"] is None


# --- the two-sided record (issue 12) ------------------------------------------------------

def _missiles_on(store: Store, day: str) -> list:
    d = dt.date.fromisoformat(day)
    return [e for e in _events(store, kind="missile_test", start=d, end=d) if e.date == d]


def test_launch_dates_are_utc_days(bundled):
    # Both launches were in the Korean morning: the previous UTC day (both sources agree).
    musudan = _missiles_on(bundled, "2016-04-14")
    assert [e.attrs["missile"] for e in musudan] == ["Musudan"]
    assert _sources_of(musudan[0]) >= {"cns-missile-tests", "nk-missile-tests"}
    assert not [e for e in _missiles_on(bundled, "2016-04-15") if e.attrs.get("missile")]
    assert [e.attrs["missile"] for e in _missiles_on(bundled, "2017-05-13")] == ["Hwasong-12"]
    hwasong17 = next(e for e in _events(bundled, kind="missile_test")
                 if e.source_ref == "F1=241")
    assert "March 16" in hwasong17.summary and "April 16" not in hwasong17.summary


def test_reports_of_one_test_are_one_event(bundled):
    may = _missiles_on(bundled, "2026-05-26")
    assert len(may) == 1 and len(_sources_of(may[0]) | {r.source_ref for r in may[0].also}) >= 2
    cruise = [e for e in _events(bundled, kind="missile_test", start=dt.date(2021, 9, 11),
                                 end=dt.date(2021, 9, 12)) if e.attrs.get("class") == "cruise"]
    assert len(cruise) == 1
    assert (cruise[0].date, cruise[0].end) == (dt.date(2021, 9, 11), dt.date(2021, 9, 12))


def test_launches_of_unknown_class_take_the_class_csis_states(bundled):
    for day, klass in (("2022-02-26", "MRBM"), ("2022-03-04", "MRBM"), ("2024-05-27", "SLV"),
                       ("2025-01-14", "SRBM")):
        found = _missiles_on(bundled, day)
        assert found and all(e.attrs["class"] == klass for e in found), day
        assert all(e.attrs.get("class_source") == "csis-provocations" for e in found)


def test_the_record_ends_on_the_last_day_its_sources_cover(bundled, sources):
    declared = bundled.coverage()
    assert bundled.record_end() == max(d.end for d in declared)
    assert bundled.record_end().isoformat() == sources["record_end"]
    # Not the planned end of the last exercise announced (Ulchi Freedom Shield 2026).
    assert bundled.date_range()[1] == dt.date(2026, 8, 27) != bundled.record_end()


def test_every_kind_the_presets_use_is_covered(bundled):
    from detente.agreements import presets

    kinds = {(s.kind.value, c.party) for p in presets.ids() for c in presets.load(p).commitments
             for s in [*c.refrains_from, *(u.selector for u in c.undertakes)]}
    declared = bundled.coverage()
    for kind, party in sorted(kinds):
        assert any(kind in {k.value for k in d.kinds} and (party in d.actors or "*" in d.actors)
                   for d in declared), (kind, party)
    ofac = [d for d in declared if d.where.get("issuer") == ("OFAC",)]
    assert min(d.start for d in ofac) <= dt.date(2003, 1, 1)
    exercises = [d for d in declared if "military_exercise" in {k.value for k in d.kinds}]
    assert min(d.start for d in exercises).year <= 1990


@pytest.fixture
def data_copy(tmp_path):
    import shutil

    target = tmp_path / "data"
    shutil.copytree(dataset.REPO_DATA, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _build_error(data: Path, tmp_path: Path):
    from detente.errors import InputError

    real(CSIS_FILE)
    shared = real(JSON_FILE).parent.parent.parent
    with pytest.raises(InputError) as info:
        dataset.build(shared, tmp_path / "out", data=data)
    return info.value


def test_build_refuses_a_curated_row_without_a_citation(data_copy, tmp_path):
    import csv
    import io

    table = data_copy / "curated" / "us_sanctions_actions.csv"
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"), newline="")))
    rows[4][-2:] = ["", ""]  # the fourth action (line 5) loses its source and url
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    table.write_text(out.getvalue(), encoding="utf-8")
    error = _build_error(data_copy, tmp_path)
    found = [p for p in error.problems if p.field == "source"]
    assert found and found[0].line == 5 and str(table) == found[0].file
    assert not (tmp_path / "out" / "events.parquet").exists()


def test_build_refuses_bad_dates_statuses_and_issuers(data_copy, tmp_path):
    table = data_copy / "curated" / "exercises.csv"
    _edit(table, "Team Spirit 1978,1978-", "Team Spirit 1978,03/07/1978-")
    _edit(table, ",held,", ",heldd,")
    error = _build_error(data_copy, tmp_path)
    assert {p.field for p in error.problems} >= {"start", "status"}
    assert all(p.file == str(table) and p.line for p in error.problems)


def test_build_refuses_coverage_its_own_rows_contradict(data_copy, tmp_path):
    _edit(data_copy / "coverage.yaml", "    from: 2016-01-01\n    to: 2025-11-04",
          "    from: 2016-01-01\n    to: 2024-12-31")
    error = _build_error(data_copy, tmp_path)
    assert "contradict the declared coverage" in str(error)
    first = error.problems[0]
    assert first.file.endswith("us_sanctions_actions.csv") and first.field == "date"
    assert first.value.startswith("2025") and first.line


def test_build_refuses_a_source_without_declared_coverage(data_copy, tmp_path):
    text = (data_copy / "coverage.yaml").read_text(encoding="utf-8")
    start = text.index("usgs-comcat:")
    end = text.index("csis-provocations:")
    (data_copy / "coverage.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    error = _build_error(data_copy, tmp_path)
    assert "no coverage declared for source usgs-comcat" in str(error)
    assert error.problems[0].file.endswith("coverage.yaml")


def test_docs_headline_replays_match_the_record(bundled):
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "scripts" / "headline_replays.py"
    spec = importlib.util.spec_from_file_location("headline_replays", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (script.parent.parent / "docs" / "data.md").read_text(encoding="utf-8")
    shown = text.split("<!-- headline replays: generated by scripts/headline_replays.py -->\n"
                       )[1].split("<!-- end of headline replays -->")[0].strip()
    assert shown == "\n".join([module.HEADER, *module.rows(bundled)])
