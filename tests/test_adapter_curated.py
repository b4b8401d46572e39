"""The four curated-table adapters: exercises, US sanctions actions, UN resolutions, diplomacy."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from detente.events.ingest import detect, diplomacy, exercises, un_resolutions, us_sanctions
from detente.events.store import Store
from tests.sources_support import SOURCES, load, problem, real, rejected

EXERCISES = "curated/exercises.csv"
SANCTIONS = "curated/us_sanctions_actions.csv"
RESOLUTIONS = "curated/un_resolutions.csv"
DIPLOMACY = "curated/diplomacy.csv"


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        load(s, SOURCES / "usgs_small.json")
        yield s


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- exercises ---------------------------------------------------------------------------

EX_HEADER = "name,start,end,status,announced,note,confidence,source\n"


def test_exercises_joint_with_parties(tmp_path, store):
    path = _write(tmp_path, "ex.csv", EX_HEADER
                  + "Foal Eagle 2018,2018-04-01,2018-04-30,scaled_down,2018-01-04,postponed,"
                    "medium,DoD\n"
                  + "Vigilant Ace 2019,2018-12-01,2018-12-31,suspended,2018-10-19,"
                    "planned for December (month precision),high,DoD statement\n")
    assert detect(path) == "exercises"
    data = exercises.read(path).data
    first, second = (json.loads(a) for a in data["attrs"])
    assert set(data["actor"]) == {"USA"} and first["parties"] == ["USA", "KOR"]
    assert first["status"] == "scaled_down" and first["announced"] == "2018-01-04"
    assert data["end"].iloc[0].date() == dt.date(2018, 4, 30)
    assert second["date_precision"] == "month" and "date_precision" not in first
    assert list(data["confidence"]) == ["medium", "high"]
    assert load(store, path).added == 2 and not load(store, path).changed


def test_exercises_bad_rows(tmp_path, store):
    path = _write(tmp_path, "ex.csv", EX_HEADER
                  + "A,2018-04-01,2018-03-30,held,,,high,x\n"
                  + "B,2018-04-01,2018-04-30,cancelled,,,high,x\n"
                  + "C,2018-13-01,,held,,,high,x\n"
                  + "D,2018-04-01,2018-04-02,held,,,sure,x\n")
    error = rejected(store, path, "exercises")
    assert problem(error, "status", line=3).value == "cancelled"
    assert problem(error, "start", line=4).value == "2018-13-01"
    # Rules of the event model are checked by the store, located the same way.
    path = _write(tmp_path, "ex2.csv", EX_HEADER + "A,2018-04-01,2018-03-30,held,,,high,x\n"
                  + "D,2018-04-01,2018-04-02,held,,,sure,x\n")
    error = rejected(store, path, "exercises")
    assert problem(error, "end", line=2) and problem(error, "confidence", line=3)


def test_exercises_missing_column_truncated_encoding(tmp_path, store):
    path = _write(tmp_path, "ex.csv", EX_HEADER.replace("status", "state")
                  + "A,2018-04-01,,held,,,high,x\n")
    assert problem(rejected(store, path, "exercises"), "status", line=1)
    path = _write(tmp_path, "cut.csv", EX_HEADER + 'A,2018-04-01,,held,,"unterminated')
    assert "truncated" in str(rejected(store, path, "exercises"))
    path.write_bytes((EX_HEADER + "Caf\u00e9,2018-04-01,,held,,,high,x\n").encode("cp1252"))
    assert problem(rejected(store, path, "exercises"), "encoding", line=2)


def test_exercises_real_file():
    data = exercises.read(real(EXERCISES)).data
    assert len(data) == 30 and data["source_ref"].is_unique
    statuses = {json.loads(a)["status"] for a in data["attrs"]}
    assert statuses == {"held", "scaled_down", "postponed", "suspended"}
    ufg = data[data["source_ref"] == "Ulchi-Freedom Guardian 2018"]
    assert json.loads(ufg["attrs"].iloc[0])["status"] == "suspended"


# --- US sanctions ------------------------------------------------------------------------

SANC_HEADER = "date,issuer,action,individuals,entities,vessels,note,confidence,source\n"


def test_us_sanctions_counts(tmp_path, store):
    path = _write(tmp_path, "s.csv", SANC_HEADER
                  + "2018-02-23,OFAC,designation,1,27,28,largest,high,Treasury\n"
                  + "2016-07-06,OFAC,designation,,,,human rights,high,Treasury\n")
    assert detect(path) == "us-sanctions"
    data = us_sanctions.read(path).data
    first, second = (json.loads(a) for a in data["attrs"])
    assert (first["individuals"], first["entities"], first["vessels"]) == (1, 27, 28)
    assert "individuals" not in second  # empty = unknown, not zero
    assert first["issuer"] == "OFAC" and set(data["target"]) == {"PRK"}
    assert list(data["source_ref"]) == ["2018-02-23|OFAC|designation",
                                        "2016-07-06|OFAC|designation"]
    assert load(store, path).added == 2


def test_us_sanctions_bad_rows(tmp_path, store):
    path = _write(tmp_path, "s.csv", SANC_HEADER
                  + "2018-02-23,OFAC,delisting,1,2,3,x,high,y\n"
                  + "2018-02-24,OFAC,designation,one,2,3,x,high,y\n"
                  + "23/02/2018,OFAC,designation,1,2,3,x,high,y\n")
    error = rejected(store, path, "us-sanctions")
    assert problem(error, "action", line=2).value == "delisting"
    assert problem(error, "individuals", line=3).value == "one"
    assert problem(error, "date", line=4).value == "23/02/2018"


def test_us_sanctions_real_file():
    data = us_sanctions.read(real(SANCTIONS)).data
    assert len(data) == 21 and data["source_ref"].is_unique
    assert {json.loads(a)["issuer"] for a in data["attrs"]} == {"OFAC"}
    assert (data["date"].dt.year == 2018).sum() == 7  # the actions during the 2018 pause


# --- UN resolutions ----------------------------------------------------------------------

def test_un_resolutions(tmp_path, store):
    header = "resolution,adopted,trigger,summary,confidence\n"
    path = _write(tmp_path, "r.csv", header + "1718,2006-10-14,nuclear test,committee,high\n")
    assert detect(path) == "un-resolutions"
    data = un_resolutions.read(path).data
    a = json.loads(data["attrs"].iloc[0])
    assert (a["resolution"], a["issuer"], a["trigger"]) == ("1718", "UNSC", "nuclear test")
    assert data["actor"].iloc[0] == "UN" and data["kind"].iloc[0] == "sanctions_resolution"
    bad = _write(tmp_path, "bad.csv", header + "S/RES/1718,2006-10-41,x,y,high\n")
    error = rejected(store, bad, "un-resolutions")
    assert problem(error, "resolution", line=2) and problem(error, "adopted", line=2)


def test_un_resolutions_real_file_match_un_listing_days():
    data = un_resolutions.read(real(RESOLUTIONS)).data
    assert len(data) == 11
    adopted = {d.date() for d in data["date"]}
    # Most UN listing batches fall on resolution adoption days (PROVENANCE.md).
    for day in ("2013-01-22", "2013-03-07", "2016-03-02", "2016-11-30", "2017-06-02",
                "2017-08-05", "2017-09-11", "2017-12-22"):
        assert dt.date.fromisoformat(day) in adopted


# --- diplomacy ---------------------------------------------------------------------------

DIP_HEADER = "start,end,kind,parties,title,note,confidence\n"


def test_diplomacy_actor_target_parties(tmp_path, store):
    path = _write(tmp_path, "d.csv", DIP_HEADER
                  + "2018-06-12,,summit,USA;PRK,Singapore summit,joint statement,high\n"
                  + "2005-09-19,,agreement,USA;PRK;KOR;CHN;JPN;RUS,Joint Statement,x,high\n"
                  + "2018-02-09,2018-02-25,event,KOR;PRK,PyeongChang Winter Olympics,,high\n"
                  + "2003-08-27,2003-08-29,talks,USA;PRK;KOR;CHN;JPN;RUS,First round,,high\n"
                  + "2018-01-04,,announcement,USA;KOR,Postponement,,high\n")
    assert detect(path) == "diplomacy"
    data = diplomacy.read(path).data
    rows = [json.loads(a) for a in data["attrs"]]
    assert list(data["actor"]) == ["USA", "USA", "KOR", "USA", "USA"]
    assert data["target"].iloc[0] == "PRK" and pd.isna(data["target"].iloc[1])
    assert rows[1]["parties"] == ["USA", "PRK", "KOR", "CHN", "JPN", "RUS"]
    assert rows[0]["title"] == "Singapore summit"
    assert data["kind"].iloc[2] == "other" and rows[2]["label"] == "event"
    assert rows[3]["format"] == "six-party"
    assert load(store, path).added == 5


def test_diplomacy_bad_rows(tmp_path, store):
    path = _write(tmp_path, "d.csv", DIP_HEADER
                  + "2018-06-12,,summit,USA;PRKK,Singapore,x,high\n"
                  + "2018-06-13,,party,USA,Something,x,high\n"
                  + "2018-06-14,,talks,,Untitled,x,high\n"
                  + "2018-06-31,,talks,USA,Bad day,x,high\n")
    error = rejected(store, path, "diplomacy")
    assert problem(error, "parties", line=2).value == "PRKK"
    assert problem(error, "kind", line=3).value == "party"
    assert problem(error, "parties", line=4)
    assert problem(error, "start", line=5).value == "2018-06-31"


def test_diplomacy_real_file():
    data = diplomacy.read(real(DIPLOMACY)).data
    assert len(data) == 43 and data["source_ref"].is_unique
    singapore = data[data["source_ref"] == "2018-06-12|Singapore summit"]
    assert (singapore["actor"].iloc[0], singapore["target"].iloc[0]) == ("USA", "PRK")
    assert set(data["kind"]) == {"agreement", "talks", "announcement", "summit", "proposal",
                                 "other"}
