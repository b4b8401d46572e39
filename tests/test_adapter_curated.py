"""The curated-table adapters: exercises, US sanctions actions, UN actions (and the older UN
resolutions table), diplomacy."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from detente.events.ingest import (
    detect,
    diplomacy,
    exercises,
    un_actions,
    un_resolutions,
    us_sanctions,
)
from detente.events.ingest.dataset import REPO_DATA as DATA
from detente.events.store import Store
from tests.sources_support import SOURCES, load, problem, rejected

EXERCISES = "curated/exercises.csv"
SANCTIONS = "curated/us_sanctions_actions.csv"
UN_ACTIONS = "curated/un_actions.csv"
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

EX_HEADER = "name,start,end,status,announced,parties,precision,note,confidence,source,url\n"


def test_exercises_joint_with_parties_and_announcements(tmp_path, store):
    path = _write(tmp_path, "ex.csv", EX_HEADER
                  + "Foal Eagle 2018,2018-04-01,2018-04-30,scaled_down,2018-01-04,USA;KOR,day,"
                    "postponed,medium,DoD,https://example.org/fe\n"
                  + "Vigilant Ace 2019,2018-12-01,2018-12-31,suspended,2018-10-19,USA;KOR,"
                    "month,planned for December,high,DoD statement,\n"
                  + "Freedom Edge 2024,2024-06-27,2024-06-29,held,,USA;KOR;JPN,day,,high,"
                    "USFK release,https://example.org/a https://example.org/b\n")
    assert detect(path) == "exercises"
    data = exercises.read(path).data
    rows = [json.loads(a) for a in data["attrs"]]
    kinds = list(data["kind"])
    assert kinds == ["military_exercise", "announcement", "military_exercise", "announcement",
                     "military_exercise"]
    assert set(data["actor"]) == {"USA"} and rows[0]["parties"] == ["USA", "KOR"]
    assert rows[0]["status"] == "scaled_down" and rows[0]["announced"] == "2018-01-04"
    assert rows[0]["citations"] == ["https://example.org/fe", "DoD"]
    assert rows[0]["url"] == "https://example.org/fe"
    # The announcement of restraint is an event of its own, on the day it was made public.
    assert data["date"].iloc[3].date() == dt.date(2018, 10, 19)
    assert rows[3]["category"] == "exercise_suspended" and rows[3]["name"] == "Vigilant Ace 2019"
    assert data["source_ref"].iloc[3] == "Vigilant Ace 2019|announced"
    assert rows[2]["date_precision"] == "month" and "date_precision" not in rows[0]
    assert rows[4]["parties"] == ["USA", "KOR", "JPN"]
    assert load(store, path).added == 5 and not load(store, path).changed


def test_exercises_bad_rows(tmp_path, store):
    path = _write(tmp_path, "ex.csv", EX_HEADER
                  + "A,2018-04-01,2018-04-30,held,,USA;KOR,day,,high,x,\n"
                  + "B,2018-04-01,2018-04-30,abandoned,,USA;KOR,day,,high,x,\n"
                  + "C,2018-13-01,,held,,USA;KOR,day,,high,x,\n"
                  + "D,2018-04-01,2018-04-02,held,,USA;KOR,day,,sure,,\n"
                  + "A,2019-04-01,2019-04-02,held,2019-01-01,USA;XXX,week,,high,x,ftp://a\n")
    error = rejected(store, path, "exercises")
    assert problem(error, "status", line=3).value == "abandoned"
    assert problem(error, "start", line=4).value == "2018-13-01"
    assert problem(error, "confidence", line=5).value == "sure"
    assert "cites a source" in problem(error, "source", line=5).message
    assert problem(error, "name", line=6).value == "A"
    assert problem(error, "announced", line=6)
    assert problem(error, "parties", line=6).value == "XXX"
    assert problem(error, "precision", line=6).value == "week"
    assert problem(error, "url", line=6).value == "ftp://a"
    # Rules of the event model are checked by the store, located the same way.
    path = _write(tmp_path, "ex2.csv", EX_HEADER
                  + "A,2018-04-01,2018-03-30,held,,USA;KOR,day,,high,x,\n")
    assert problem(rejected(store, path, "exercises"), "end", line=2)


def test_exercises_missing_column_truncated_encoding(tmp_path, store):
    path = _write(tmp_path, "ex.csv", EX_HEADER.replace("status", "state")
                  + "A,2018-04-01,,held,,USA;KOR,day,,high,x,\n")
    assert problem(rejected(store, path, "exercises"), "status", line=1)
    path = _write(tmp_path, "cut.csv", EX_HEADER + 'A,2018-04-01,,held,,USA;KOR,day,"unterm')
    assert "truncated" in str(rejected(store, path, "exercises"))
    path.write_bytes((EX_HEADER + "Caf\u00e9,2018-04-01,,held,,USA;KOR,day,,high,x,\n"
                      ).encode("cp1252"))
    assert problem(rejected(store, path, "exercises"), "encoding", line=2)


def test_exercises_real_file():
    data = exercises.read(DATA / EXERCISES).data
    assert data["source_ref"].is_unique
    attrs = [json.loads(a) for a in data["attrs"]]
    exercise = data["kind"] == "military_exercise"
    statuses = {a["status"] for a, e in zip(attrs, exercise, strict=True) if e}
    assert {"held", "computer_simulated", "suspended"} <= statuses
    assert all(a["citations"] for a in attrs)
    ufg = data[data["source_ref"] == "Ulchi-Freedom Guardian 2018"]
    assert json.loads(ufg["attrs"].iloc[0])["status"] == "suspended"
    # Corrections of the shared table (issue 12): the August 2019 training had no name, the
    # spring 2022 one was computer-simulated like 2021's, Freedom Shield 2026 was held.
    assert "Dong Maeng 19-2" not in set(data["source_ref"])
    fs26 = data[data["source_ref"] == "Freedom Shield 2026"]
    assert (fs26["date"].iloc[0].date(), fs26["end"].iloc[0].date()) == (
        dt.date(2026, 3, 9), dt.date(2026, 3, 19))
    spring = [a for a in attrs if "2022" in a.get("name", "") and "spring" in a["name"]]
    assert spring and spring[0]["status"] == "computer_simulated"
    assert data["date"].min().year <= 1976


# --- US sanctions ------------------------------------------------------------------------

SANC_HEADER = ("date,issuer,action,authority,individuals,entities,vessels,aircraft,proposed_by,"
               "note,confidence,source,url\n")


def test_us_sanctions_counts_and_kinds(tmp_path, store):
    path = _write(tmp_path, "s.csv", SANC_HEADER
                  + "2018-02-23,OFAC,designation,EO 13810,1,27,28,,,largest,high,Treasury,\n"
                  + "2016-07-06,OFAC,designation,,,,,,,human rights,high,Treasury,\n"
                  + "2005-09-15,FinCEN,special_measure,USA PATRIOT Act section 311,,1,,,,BDA,"
                    "high,Treasury js2720,https://example.org/bda\n"
                  + "2018-03-30,State,listing_proposal,,1,21,27,,USA,UN list,high,State,\n"
                  + "2008-06-26,OFAC,easing,TWEA termination,,,,,,eased,high,White House,\n"
                  + "2018-02-23,OFAC,designation,EO 13810,1,,,,,second one,high,Treasury,\n")
    assert detect(path) == "us-sanctions"
    data = us_sanctions.read(path).data
    rows = [json.loads(a) for a in data["attrs"]]
    assert (rows[0]["individuals"], rows[0]["entities"], rows[0]["vessels"]) == (1, 27, 28)
    assert rows[0]["authority"] == "EO 13810" and rows[0]["action"] == "designation"
    assert "individuals" not in rows[1]  # empty = unknown, not zero
    assert rows[2]["issuer"] == "FinCEN" and rows[2]["url"] == "https://example.org/bda"
    assert rows[3]["proposed_by"] == ["USA"]
    assert data["kind"].iloc[4] == "announcement" and rows[4]["category"] == "sanctions_easing"
    assert set(data["target"]) == {"PRK"} and set(data["actor"]) == {"USA"}
    assert list(data["source_ref"])[:2] == ["2018-02-23|OFAC|designation",
                                            "2016-07-06|OFAC|designation"]
    assert data["source_ref"].iloc[5] == "2018-02-23|OFAC|designation#2"
    assert load(store, path).added == 6


def test_us_sanctions_bad_rows(tmp_path, store):
    path = _write(tmp_path, "s.csv", SANC_HEADER
                  + "2018-02-23,OFAC,delisting,,1,2,3,,,x,high,y,\n"
                  + "2018-02-24,OFAC,designation,,one,2,3,,,x,high,y,\n"
                  + "23/02/2018,OFAC,designation,,1,2,3,,,x,high,y,\n"
                  + "2018-02-25,Treasury,designation,,1,2,3,,,x,high,,\n"
                  + "2018-02-26,OFAC,designation,,1,2,3,,USA,x,high,y,\n")
    error = rejected(store, path, "us-sanctions")
    assert problem(error, "action", line=2).value == "delisting"
    assert problem(error, "individuals", line=3).value == "one"
    assert problem(error, "date", line=4).value == "23/02/2018"
    assert problem(error, "issuer", line=5).value == "Treasury"
    assert problem(error, "source", line=5)
    assert problem(error, "proposed_by", line=6)


def test_us_sanctions_real_file():
    data = us_sanctions.read(DATA / SANCTIONS).data
    assert data["source_ref"].is_unique
    rows = [json.loads(a) for a in data["attrs"]]
    assert {r.get("issuer") for r in rows} >= {"OFAC", "State", "FinCEN"}
    assert all(r["citations"] for r in rows)
    assert data["date"].min().year == 2003
    # Corrections of the shared table (issue 12).
    by_ref = dict(zip(data["source_ref"], rows, strict=True))
    june = by_ref["2017-06-01|OFAC|designation"]
    assert (june["individuals"], june["entities"]) == (3, 9)
    july = by_ref["2016-07-06|OFAC|designation"]
    assert (july["individuals"], july["entities"]) == (11, 5)
    bda = by_ref["2005-09-15|FinCEN|special_measure"]
    assert "Banco Delta Asia" in data[data["source_ref"] == "2005-09-15|FinCEN|special_measure"
                                      ]["summary"].iloc[0] and bda["issuer"] == "FinCEN"
    assert any(r.get("issuer") == "State" and r.get("authority") and "CBW" in r["authority"]
               for r in rows)


# --- UN actions --------------------------------------------------------------------------

UN_HEADER = ("date,body,action,reference,title,vote,vetoed_by,proposed_by,individuals,entities,"
             "vessels,trigger,note,confidence,source,url\n")


def test_un_actions_kinds(tmp_path, store):
    path = _write(tmp_path, "u.csv", UN_HEADER
                  + "2006-10-14,UNSC,resolution,1718,Resolution 1718,15-0-0,,,,,,nuclear test,"
                    ",high,SC/8853,https://press.un.org/x\n"
                  + "2022-05-26,UNSC,draft_vetoed,S/2022/431,Draft on ICBM launches,13-2-0,"
                    "CHN;RUS,USA,,,,ICBM launches,,high,SC/14911,\n"
                  + "2018-03-30,1718 Committee,listing,,Listing,,,USA,1,21,27,,,high,SC/13270,\n"
                  + "2009-04-13,UNSC,presidential_statement,S/PRST/2009/7,PRST,,,,,,,launch,,"
                    "high,S/PRST/2009/7,\n")
    assert detect(path) == "un-actions"
    data = un_actions.read(path).data
    rows = [json.loads(a) for a in data["attrs"]]
    assert list(data["kind"]) == ["sanctions_resolution", "proposal", "sanctions_designation",
                                  "announcement"]
    assert (rows[0]["resolution"], rows[0]["action"], rows[0]["vote"]) == ("1718", "resolution",
                                                                           "15-0-0")
    assert data["actor"].iloc[1] == "USA" and rows[1]["vetoed_by"] == ["CHN", "RUS"]
    assert (rows[2]["issuer"], rows[2]["vessels"], rows[2]["proposed_by"]) == ("UNSC", 27,
                                                                              ["USA"])
    assert rows[3]["category"] == "presidential_statement"
    assert load(store, path).added == 4


def test_un_actions_bad_rows(tmp_path, store):
    path = _write(tmp_path, "u.csv", UN_HEADER
                  + "2006-10-14,UNSC,resolution,S/RES/1718,R,15 to 0,,,,,,x,,high,y,\n"
                  + "2022-05-26,UNSC,draft_vetoed,S/2022/431,D,13-2-0,,USA,,,,x,,high,y,\n"
                  + "2022-05-27,GA,statement,,S,,CHN,,,,,x,,high,y,\n")
    error = rejected(store, path, "un-actions")
    assert problem(error, "reference", line=2) and problem(error, "vote", line=2)
    assert problem(error, "vetoed_by", line=3)
    assert problem(error, "body", line=4) and problem(error, "action", line=4)


def test_un_actions_real_file_match_un_listing_days():
    data = un_actions.read(DATA / UN_ACTIONS).data
    assert data["source_ref"].is_unique
    rows = [json.loads(a) for a in data["attrs"]]
    resolutions = {r["resolution"]: d.date() for r, d in zip(rows, data["date"], strict=True)
                   if r.get("action") == "resolution"}
    assert {"1718", "1874", "2087", "2094", "2270", "2321", "2356", "2371", "2375",
            "2397"} <= set(resolutions)
    # Most UN listing batches fall on resolution adoption days (PROVENANCE.md).
    for day in ("2013-01-22", "2013-03-07", "2016-03-02", "2016-11-30", "2017-06-02",
                "2017-08-05", "2017-09-11", "2017-12-22"):
        assert dt.date.fromisoformat(day) in set(resolutions.values())
    vetoed = {d.date() for d, k, r in zip(data["date"], data["kind"], rows, strict=True)
              if k == "proposal" and r.get("category") == "draft_vetoed"}
    assert vetoed == {dt.date(2022, 5, 26), dt.date(2024, 3, 28)}


def test_un_resolutions_still_reads_the_older_table(tmp_path, store):
    header = "resolution,adopted,trigger,summary,confidence\n"
    path = _write(tmp_path, "r.csv", header + "1718,2006-10-14,nuclear test,committee,high\n")
    assert detect(path) == "un-resolutions"
    a = json.loads(un_resolutions.read(path).data["attrs"].iloc[0])
    assert (a["resolution"], a["issuer"], a["trigger"]) == ("1718", "UNSC", "nuclear test")
    bad = _write(tmp_path, "bad.csv", header + "S/RES/1718,2006-10-41,x,y,high\n")
    error = rejected(store, bad, "un-resolutions")
    assert problem(error, "resolution", line=2) and problem(error, "adopted", line=2)


# --- diplomacy ---------------------------------------------------------------------------

DIP_HEADER = "start,end,kind,parties,category,title,note,confidence,source,url\n"


def test_diplomacy_actor_target_parties(tmp_path, store):
    path = _write(tmp_path, "d.csv", DIP_HEADER
                  + "2018-06-12,,summit,USA;PRK,summit,Singapore summit,joint statement,high,"
                    "White House,https://example.org/s\n"
                  + "2005-09-19,,agreement,USA;PRK;KOR;CHN;JPN;RUS,,Joint Statement,x,high,"
                    "State,\n"
                  + "2018-02-09,2018-02-25,event,KOR;PRK,,PyeongChang Winter Olympics,,high,"
                    "IOC,\n"
                  + "2003-08-27,2003-08-29,talks,USA;PRK;KOR;CHN;JPN;RUS,talks,First round,,"
                    "high,State,\n"
                  + "2018-04-22,,announcement,KOR;PRK,loudspeaker_halt,Loudspeakers off,,"
                    "medium,Yonhap,\n")
    assert detect(path) == "diplomacy"
    data = diplomacy.read(path).data
    rows = [json.loads(a) for a in data["attrs"]]
    assert list(data["actor"]) == ["USA", "USA", "KOR", "USA", "KOR"]
    assert data["target"].iloc[0] == "PRK" and pd.isna(data["target"].iloc[1])
    assert rows[1]["parties"] == ["USA", "PRK", "KOR", "CHN", "JPN", "RUS"]
    assert rows[0]["title"] == "Singapore summit" and rows[0]["url"] == "https://example.org/s"
    assert data["kind"].iloc[2] == "other" and rows[2]["label"] == "event"
    assert rows[3]["format"] == "six-party" and rows[4]["category"] == "loudspeaker_halt"
    assert load(store, path).added == 5


def test_diplomacy_bad_rows(tmp_path, store):
    path = _write(tmp_path, "d.csv", DIP_HEADER
                  + "2018-06-12,,summit,USA;PRKK,,Singapore,x,high,s,\n"
                  + "2018-06-13,,party,USA,,Something,x,high,s,\n"
                  + "2018-06-14,,talks,,,Untitled,x,high,s,\n"
                  + "2018-06-31,,talks,USA,Talks!,Bad day,x,high,,\n")
    error = rejected(store, path, "diplomacy")
    assert problem(error, "parties", line=2).value == "PRKK"
    assert problem(error, "kind", line=3).value == "party"
    assert problem(error, "parties", line=4)
    assert problem(error, "start", line=5).value == "2018-06-31"
    assert problem(error, "category", line=5).value == "Talks!"
    assert problem(error, "source", line=5)


def test_diplomacy_real_file():
    data = diplomacy.read(DATA / DIPLOMACY).data
    assert data["source_ref"].is_unique
    rows = [json.loads(a) for a in data["attrs"]]
    assert all(r["citations"] for r in rows)
    singapore = data[data["source_ref"] == "2018-06-12|Singapore summit"]
    assert (singapore["actor"].iloc[0], singapore["target"].iloc[0]) == ("USA", "PRK")
    categories = {r.get("category") for r in rows}
    assert {"loudspeaker_halt", "loudspeaker_resumption", "military_agreement_suspension",
            "detainee_release", "site_dismantlement"} <= categories
    assert data["date"].max().year >= 2025  # diplomacy after 2022
