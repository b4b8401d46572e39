"""The CSIS provocations adapter: label normalisation, salvo links, identity, bad input."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from detente.events.ingest import csis, detect
from detente.events.store import Store
from tests.sources_support import (
    CSIS_FILE,
    SOURCES,
    attrs,
    fixture_store,
    load,
    problem,
    real,
    rejected,
)

FIXTURE = SOURCES / "csis_small.csv"
HEADER = "date,type,event,description,resources\n"


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        yield fixture_store(s)


def _by_ref(data):
    return {row["source_ref"]: row for _, row in data.iterrows()}


# --- labels ------------------------------------------------------------------------------

@pytest.mark.parametrize(("type_", "label", "kind", "klass", "links"), [
    ("Missile Provocation", "Short-range Ballistic Missile Launch", "missile_test", "SRBM", True),
    ("Missile Provocation", "Short-range  Missile Launch", "missile_test", "SRBM", True),
    ("Missile Provocation", "Intercontinental ballistic missile & SRBM", "missile_test", "ICBM",
     True),
    ("Missile Provocation", "Satellite Launch (Other Provocation)", "missile_test", "SLV", True),
    ("Other Provocation", "Satellite Launch", "missile_test", "SLV", True),
    ("Missile Provocation", "Multiple Lanuch Rocket System (MLRS) Test", "provocation", None,
     True),
    ("Missile Provocation", "Strategic cruise missile", "missile_test", "cruise", False),
    ("Missile Provocation", "Anti-aircraft Missile Launch", "missile_test", "unknown", False),
    ("Missile Provocation", "Artillery Fire", "provocation", None, False),
    ("Missile Provocation", "Nuclear Detonation Device", "missile_test", "ballistic", True),
    ("Other Provocation", "Nuclear Detonation Device", "provocation", None, False),
    ("Nuclear Provocation", "Nuclear Test / Short-range missile launch", "nuclear_test", None,
     False),
    ("Missile Provocation", "Hypersonic glide thing", "missile_test", "unknown", True),
    ("Nuclear Provocation", "Something new", "nuclear_test", None, False),
    ("Other Provocation", "Something new", "provocation", None, False),
])
def test_classify(type_, label, kind, klass, links):
    found = csis.classify(type_, label)
    assert (found.kind, found.klass, found.links) == (kind, klass, links)


def test_labels_normalised():
    assert csis.clean_label("DMZ Enroachment") == "DMZ Encroachment"
    assert csis.clean_label("Exchange of Fire at DMZ") == "DMZ Exchange of Fire"
    assert csis.clean_label("Attempted Assasination of  President Park") == (
        "Attempted Assassination of President Park")
    assert csis.classify("Other Provocation", "Multiple Independently Targetable Rentry Vehicle "
                         "(MIRV) Test").category == "MIRV test"
    both = {csis.classify("Missile Provocation", x).category
            for x in ("Multiple Lanuch Rocket System (MLRS) Test",
                      "Multiple Launch Rocket System (MLRS) Test")}
    assert both == {"MLRS test"}


def test_description_overrides_a_ballistic_label():
    cruise = csis.classify("Missile Provocation", "Short-range Missile Launch",
                           "North Korea fired two cruise missiles from an inland area.")
    assert (cruise.klass, cruise.links) == ("cruise", False)
    sam = csis.classify("Missile Provocation", "Short-range Ballistic Missile Launch",
                        "North Korea launched 7 surface-to-air missiles.")
    assert (sam.klass, sam.links, sam.missile) == ("unknown", False, "surface-to-air missile")
    mixed = csis.classify("Missile Provocation", "Short-range Ballistic Missile Launch",
                          "modified anti-ship missiles or KN-02 short-range ballistic missiles")
    assert (mixed.klass, mixed.links) == ("SRBM", True)


def test_written_date():
    assert csis.written_date("On March 9, 2020 at 7:36 a.m., ...") == dt.date(2020, 3, 9)
    assert csis.written_date("fired on Thursday") is None


# --- linking -----------------------------------------------------------------------------

def _salvo(day, *, month=False, written=None):
    return csis._Salvo(0, dt.date.fromisoformat(day), month, written)


def test_choose_days_rules():
    known = {"2019-07-30": ["20:06"], "2014-03-03": [None], "2023-12-17": ["13:37", "23:24"],
             "1984-04-09": [None], "1992-06": [None], "2006-07-05": [None],
             "2020-03-08": ["22:36"]}
    rows = {
        "own": _salvo("2014-03-03"), "blocked": _salvo("2014-03-04"),
        "before": _salvo("2019-07-31"), "srbm": _salvo("2023-12-17"),
        "late": _salvo("2023-12-18"), "month": _salvo("1984-04-01", month=True),
        "month_only": _salvo("1992-06-01"), "after": _salvo("2006-07-04"),
        "written": _salvo("2020-03-06", written=dt.date(2020, 3, 9)),
        "taken": _salvo("2019-07-20", written=dt.date(2019, 7, 31)),
        "none": _salvo("2001-01-01"),
    }
    csis.choose_days(list(rows.values()), known)
    chosen = {name: s.chosen for name, s in rows.items()}
    assert chosen == {"own": "2014-03-03", "blocked": None, "before": "2019-07-30",
                      "srbm": "2023-12-17", "late": "2023-12-17", "month": "1984-04",
                      "month_only": "1992-06|", "after": "2006-07-05",
                      "written": "2020-03-08", "taken": None, "none": None}


def test_fixture_links_salvos_and_keeps_cruise_apart(store):
    before = store.count()
    result = load(store, FIXTURE)
    assert (result.rows, result.merged, result.linked) == (11, 1, 4)
    assert store.count() == before + result.added
    events = {(e.date.isoformat(), e.source): e for e in store.events()}
    # The 2024-05-30 (Korean day) salvo links to both missiles of 2024-05-29 (UTC day) ...
    for n in (1, 2):
        salvo = next(e for e in store.events(kind="missile_test") if e.source_ref ==
                     f"2024-05-29#{n}")
        assert {r.source_ref for r in salvo.also} == {
            "2024-05-30|Short-range Ballistic Missile Launch"}
    # ... while the cruise launch of the same day stays an event of its own.
    cruise = events[("2024-05-30", "csis-provocations")]
    assert cruise.attrs["class"] == "cruise" and cruise.match_key is None
    icbm = next(e for e in store.events(kind="missile_test") if e.date == dt.date(2017, 11, 28))
    assert "2017-11-29|Intercontinental Ballistic Missile" in {r.source_ref for r in icbm.also}
    nuke = events[("2017-09-03", "usgs-comcat")]
    assert [r.source for r in nuke.also] == ["csis-provocations"]
    mlrs = events[("2023-01-01", "csis-provocations")]
    assert mlrs.kind == "provocation" and mlrs.attrs["category"] == "MLRS test"
    sam = events[("2015-03-13", "csis-provocations")]
    assert sam.attrs["missile"] == "surface-to-air missile" and sam.match_key is None
    dmz = [e for e in store.events(kind="provocation") if e.date == dt.date(2015, 1, 1)]
    assert {e.attrs["category"] for e in dmz} == {"DMZ Encroachment"}
    assert {e.source_ref for e in dmz} == {"2015-01-01|DMZ Enroachment",
                                           "2015-01-01|DMZ Enroachment#2"}
    assert not load(store, FIXTURE).changed


def test_fixture_row_details():
    data = csis.read(FIXTURE).data
    rows = _by_ref(data)
    month = rows["1984-09-01|Short-range Ballistic Missile Launch"]
    assert json.loads(month["attrs"])["date_precision"] == "month"
    assert month["confidence"] == "medium"
    assert month["match_key"] == "missile_test|PRK|1984-09*"  # no store: its own month
    icbm = json.loads(rows["2017-11-29|Intercontinental Ballistic Missile"]["attrs"])
    assert icbm["citations"] == ["https://goo.gl/AbC123", "The US Military Experience in Korea, "
                                 "page 1."]
    assert icbm["url"] == "https://goo.gl/AbC123"
    nuke = rows["2017-09-03|Nuclear Test"]
    assert nuke["match_key"] == "nuclear_test|PRK|2017-09-03" and nuke["kind"] == "nuclear_test"
    assert list(data["_loc"])[:3] == [2, 3, 4]
    assert list(data["_loc"])[-1] == 12  # the last record spans lines 12-13


def test_summary_row_before_its_missiles_is_absorbed(store_path, tmp_path):
    path = tmp_path / "csis.csv"
    path.write_text(HEADER + "2017-11-28,Missile Provocation,Intercontinental Ballistic Missile,"
                    "Hwasong-15,\n", encoding="utf-8")
    with Store(store_path, empty=True) as s:
        load(s, path)
        assert s.count() == 1
        load(s, SOURCES / "cns_small.csv")
        assert s.count() == 6  # the summary became a further source of its missile
        icbm = next(e for e in s.events() if e.date == dt.date(2017, 11, 28))
        assert [r.source for r in icbm.also] == ["csis-provocations"]


def test_source_refs_do_not_depend_on_row_order(tmp_path):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    records, current = [], ""
    for line in lines[1:]:
        current += line
        if current.count('"') % 2 == 0:
            records.append(current)
            current = ""
    path = tmp_path / "reversed.csv"
    path.write_text(lines[0] + "".join(reversed(records)), encoding="utf-8")
    a, b = csis.read(FIXTURE).data, csis.read(path).data
    assert sorted(a["source_ref"]) == sorted(b["source_ref"])
    assert dict(zip(a["source_ref"], a["attrs"], strict=True)) == dict(
        zip(b["source_ref"], b["attrs"], strict=True))


def test_detect():
    assert detect(FIXTURE) == "csis"
    assert not csis.detect(SOURCES / "cns_small.csv")


# --- bad input ---------------------------------------------------------------------------

def test_bad_rows_named(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER
                    + "2020-02-30,Missile Provocation,Short-range Missile Launch,x,\n"
                    + "2020-03-01,Missile Provokation,Short-range Missile Launch,x,\n"
                    + "2020-03-02,Other Provocation,,x,\n", encoding="utf-8")
    error = rejected(store, path, "csis")
    assert problem(error, "date", line=2).value == "2020-02-30"
    assert problem(error, "type", line=3).value == "Missile Provokation"
    assert problem(error, "event", line=4)


def test_missing_column_truncated_and_encoding(store, tmp_path):
    path = tmp_path / "renamed.csv"
    path.write_text(FIXTURE.read_text(encoding="utf-8").replace("resources", "links", 1),
                    encoding="utf-8")
    assert "links" in problem(rejected(store, path, "csis"), "resources", line=1).message
    text = FIXTURE.read_text(encoding="utf-8")
    path.write_text(text[: text.index("several sources")], encoding="utf-8")
    assert "truncated" in str(problem(rejected(store, path, "csis"), None, line=12))
    path.write_bytes(text.replace("Enroachment", "Enroachment \u00e9").encode("cp1252"))
    assert problem(rejected(store, path, "csis"), "encoding", line=8)


# --- the real file -----------------------------------------------------------------------

def test_real_file_rows_and_labels():
    batch = csis.read(real(CSIS_FILE))
    data = batch.data
    assert len(data) == 493
    assert data["source_ref"].is_unique
    assert not (data["date"].dt.year == 2018).any()
    assert data["date"].min().date() == dt.date(1958, 2, 16)
    assert data["date"].max().date() == dt.date(2026, 8, 20)
    nuclear = data[data["kind"] == "nuclear_test"]
    assert sorted(d.date().isoformat() for d in nuclear["date"]) == [
        "2006-10-09", "2009-05-25", "2013-02-12", "2016-01-06", "2016-09-09", "2017-09-03"]
    titles = Counter(attrs(data, i)["title"] for i in range(len(data)))
    for typo in ("Lanuch", "Enroachment", "Assasination", "Rentry"):
        assert not any(typo in t for t in titles), typo
    labels = Counter(attrs(data, i)["label"] for i in range(len(data)))
    assert labels["Multiple Lanuch Rocket System (MLRS) Test"] == 6  # the source's words kept
    cruise = [attrs(data, i) for i in range(len(data)) if attrs(data, i).get("class") == "cruise"]
    assert all(c.get("class") == "cruise" for c in cruise) and len(cruise) >= 40
