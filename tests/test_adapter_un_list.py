"""The UN consolidated list adapter: the DPRK subset, padding stripped, bad input located."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from detente.events.ingest import detect, un_list
from detente.events.store import Store
from tests.sources_support import SOURCES, UN_FILE, attrs, load, problem, real, rejected

FIXTURE = SOURCES / "un_small.xml"


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        load(s, SOURCES / "usgs_small.json")
        yield s


def test_fixture_dprk_entries_stripped():
    data = un_list.read(FIXTURE).data
    assert list(data["source_ref"]) == ["KPi.033", "KPi.038", "KPe.053"]
    first, second, entity = (attrs(data, i) for i in range(3))
    assert first["name"] == "RI WON HO" and second["name"] == "CHO CHUN RYONG"
    assert entity["name"] == "PROPAGANDA AND AGITATION DEPARTMENT (PAD)"
    assert [a["entry_type"] for a in (first, second, entity)] == ["individual", "individual",
                                                                  "entity"]
    assert {a["issuer"] for a in (first, second, entity)} == {"UNSC"}
    assert set(data["actor"]) == {"UN"} and set(data["target"]) == {"PRK"}
    assert data["date"].iloc[2].date() == dt.date(2017, 9, 11)
    assert list(data["_loc"]) == [1, 2, 4]  # position among the list's entries


def test_fixture_ingest_and_detect(store):
    assert load(store, FIXTURE).added == 3
    assert not load(store, FIXTURE).changed
    assert detect(FIXTURE) == "un-list"


def test_bad_entries_named(store, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(FIXTURE.read_text().replace("2017-09-11", "2017-13-11")
                    .replace("KPi.038 ", "KP-038"))
    error = rejected(store, path, "un-list")
    assert problem(error, "LISTED_ON", row=4).value == "2017-13-11"
    assert problem(error, "REFERENCE_NUMBER", row=2).value == "KP-038"


def test_truncated_and_not_a_list(store, tmp_path):
    text = FIXTURE.read_text()
    path = tmp_path / "cut.xml"
    cut = text[: text.index("<ENTITIES>") + 30]
    path.write_text(cut)
    error = rejected(store, path, "un-list")
    assert error.problems[0].line == cut.count("\n") + 1
    assert "truncated" in str(error)
    path.write_text("<?xml version='1.0'?><CONSOLIDATED_LIST></CONSOLIDATED_LIST>")
    assert "no INDIVIDUAL" in str(rejected(store, path, "un-list"))


def test_real_file_155_entries_with_provenance_counts():
    data = un_list.read(real(UN_FILE)).data
    assert len(data) == 155
    kinds = Counter(attrs(data, i)["entry_type"] for i in range(len(data)))
    assert kinds == {"individual": 80, "entity": 75}
    assert data["source_ref"].is_unique
    assert all(re.fullmatch(r"KP[ie]\.\d{3}", ref) for ref in data["source_ref"])
    assert not any(attrs(data, i)["name"] != attrs(data, i)["name"].strip()
                   for i in range(len(data)))
    listing = (real(UN_FILE).parent.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    section = listing[listing.index("Listings by date"):listing.index("Most batch dates")]
    expected = {day: int(n) for day, n in re.findall(r"(\d{4}-\d{2}-\d{2}) \((\d+)\)", section)}
    assert len(expected) == 13
    assert Counter(d.date().isoformat() for d in data["date"]) == expected
