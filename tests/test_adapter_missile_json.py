"""The per-missile JSON adapter: lookups, keys that pair with the CNS export, bad input."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter

import pytest

from detente.events.ingest import cns, detect, missile_json
from detente.events.store import Store
from tests.sources_support import (
    CNS_FILE,
    JSON_FILE,
    MISSILES,
    SOURCES,
    attrs,
    load,
    problem,
    real,
    rejected,
)

FIXTURE = MISSILES / "test.en.json"


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        load(s, SOURCES / "cns_small.csv")
        yield s


def _copy_set(tmp_path):
    for name in ("test.en.json", "missile.en.json", "facility.en.json"):
        shutil.copy(MISSILES / name, tmp_path / name)
    return tmp_path / "test.en.json"


def test_fixture_records_and_lookups():
    batch = missile_json.read(FIXTURE)
    data = batch.data
    assert len(data) == 8
    first = attrs(data, 0)
    assert first["missile"] == "Scud-B" and first["class"] == "SRBM"
    assert first["facility"] == "Tonghae Satellite Launching Ground"
    assert first["lat"] == pytest.approx(40.8499966)
    assert first["landing"] == "Unknown" and first["series"] == 1
    assert attrs(data, 1)["date_precision"] == "month"
    assert data["date"].iloc[1].date() == dt.date(1984, 9, 1)
    assert attrs(data, 2)["distance_km"] == 1380.0 and attrs(data, 3)["distance_km"] == 330.0
    assert attrs(data, 2)["landing"] == "Sea of Japan" and attrs(data, 2)["time_utc"] == "19:32"
    assert attrs(data, 5)["apogee_text"] == "na" and "apogee_km" not in attrs(data, 5)
    assert list(data["source_ref"])[-2:] == ["2024-05-29#1", "2024-05-29#2"]
    assert list(data["_loc"]) == list(range(1, 9))


def test_keys_pair_with_the_cns_fixture(store):
    result = load(store, FIXTURE)
    assert (result.merged, result.added) == (6, 2)
    assert store.count() == 8
    for event in store.events(kind="missile_test"):
        sources = {event.source, *(r.source for r in event.also)}
        expected = ({"cns-missile-tests", "nk-missile-tests"} if event.date.year < 2024
                    else {"nk-missile-tests"})
        assert sources == expected, event
    assert not load(store, FIXTURE).changed


def test_lookup_tables_can_live_elsewhere(tmp_path):
    (tmp_path / "data").mkdir()
    shutil.copy(FIXTURE, tmp_path / "data" / "tests.json")
    path = tmp_path / "data" / "tests.json"
    with pytest.raises(Exception, match="missile lookup table"):
        missile_json.read(path)
    batch = missile_json.read(path, missiles=MISSILES / "missile.en.json",
                              facilities=MISSILES / "facility.en.json")
    assert len(batch.data) == 8


def test_unknown_slug_names_the_record(store, tmp_path):
    path = _copy_set(tmp_path)
    text = path.read_text().replace('"hwasong-18"', '"hwasong-99"')
    path.write_text(text)
    error = rejected(store, path)
    p = problem(error, "missile", row=6)
    assert p.value == "hwasong-99" and "record 6 (2023-04-12)" in p.message
    assert p.line == text[: text.index('"hwasong-99"')].count("\n") - 1  # its "date" line


def test_bad_date_and_outcome(store, tmp_path):
    path = _copy_set(tmp_path)
    path.write_text(path.read_text().replace('"2017-11-28"', '"2017-11-31"')
                    .replace('"failure"', '"kaboom"'))
    error = rejected(store, path, "missile-json")
    assert problem(error, "date", row=5).value == "2017-11-31"
    assert problem(error, "outcome", row=2).value == "kaboom"


def test_missing_field_and_wrong_structure(store, tmp_path):
    path = _copy_set(tmp_path)
    data = json.loads(path.read_text())
    del data["timeBins"][0]["data"][0]["missile"]
    path.write_text(json.dumps(data, indent="\t"))
    assert problem(rejected(store, path), "missile", row=1).value is None
    path.write_text(json.dumps({"timeBins": {"year": 1}}))
    assert problem(rejected(store, path, "missile-json"), "timeBins")


def test_truncated_and_wrong_encoding(store, tmp_path):
    path = _copy_set(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    error = rejected(store, path, "missile-json")
    assert "truncated" in str(error) and error.problems[0].line == text[: len(text) // 2].count(
        "\n") + 1
    path.write_bytes(text.encode("utf-16"))
    assert "UTF-16" in str(rejected(store, path, "missile-json"))


def test_detect():
    assert detect(FIXTURE) == "missile-json"
    assert not missile_json.detect(MISSILES / "missile.en.json")
    assert not missile_json.detect(SOURCES / "usgs_small.json")


# --- the real files ----------------------------------------------------------------------

def test_real_file_counts_match_provenance():
    data = missile_json.read(real(JSON_FILE)).data
    assert len(data) == 339
    a = [attrs(data, i) for i in range(len(data))]
    assert Counter(x["outcome"] for x in a) == {"success": 229, "failure": 38, "unknown": 72}
    assert sum(x.get("date_precision") == "month" for x in a) == 8
    assert sum("time_utc" not in x for x in a) == 84
    assert sum("series" in x for x in a) == 249
    assert data["date"].min().date() == dt.date(1984, 4, 9)
    assert data["date"].max().date() == dt.date(2026, 4, 18)
    assert not (data["date"].dt.year == 2018).any()
    assert data["match_key"].is_unique and data["source_ref"].is_unique


def test_real_files_pair_one_for_one_through_2023_04_12():
    cns_data = cns.read(real(CNS_FILE)).data
    json_data = missile_json.read(real(JSON_FILE)).data
    early = json_data[json_data["date"] <= "2023-04-12"]
    assert len(early) == len(cns_data) == 245
    assert set(early["match_key"]) == set(cns_data["match_key"])
    pairs = cns_data.merge(early, on="match_key", suffixes=("_cns", "_json"))
    assert len(pairs) == 245
    assert (pairs["date_cns"] == pairs["date_json"]).all()
    times_differ = []
    for _, row in pairs.iterrows():
        a, b = json.loads(row["attrs_cns"]), json.loads(row["attrs_json"])
        assert a["outcome"] == b["outcome"], row["match_key"]
        assert ("time_utc" in a) == ("time_utc" in b), row["match_key"]
        if a.get("time_utc", "")[:5] != b.get("time_utc", ""):
            times_differ.append((a["time_utc"], b["time_utc"]))
        # Classes differ only where one side does not know it (the JSON's "unknown" slug
        # hides the CNS type 37 times; CNS lacks the type of two KN-25 launches).
        if a["class"] != b["class"]:
            assert "unknown" in (a["class"], b["class"]), row["match_key"]
    # A few launch times differ (the CNS row wins: it is ingested first), among them the JSON's
    # 12-hour slips "12:29" for CNS "12:29:00 AM" = 00:29 UTC (2016-02-07, 2017-07-04).
    assert len(times_differ) <= 6
    assert ("00:29", "12:29") in times_differ and ("00:40", "12:40") in times_differ
