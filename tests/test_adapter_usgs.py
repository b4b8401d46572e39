"""The USGS nuclear test adapter: only explosions are tests; bad input is located."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from detente.events.ingest import detect, usgs
from detente.events.store import Store
from tests.sources_support import SOURCES, USGS_FILE, attrs, load, problem, real, rejected

FIXTURE = SOURCES / "usgs_small.json"


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        load(s, SOURCES / "cns_small.csv")
        yield s


def test_fixture_keeps_explosions_and_skips_the_collapse():
    batch = usgs.read(FIXTURE)
    data = batch.data
    assert list(data["source_ref"]) == ["us2000aert", "usp000eurb"]
    first = attrs(data, 0)
    assert first["magnitude"] == 6.3 and first["mag_type"] == "mb"
    assert first["time_utc"] == "2017-09-03T03:30:01.760Z"
    assert first["site"] == "Punggye-ri" and first["lat"] == pytest.approx(41.3)
    assert data["date"].iloc[0].date() == dt.date(2017, 9, 3)
    assert list(data["match_key"]) == ["nuclear_test|PRK|2017-09-03", "nuclear_test|PRK|2006-10-09"]
    assert any("us2000aetk" in note and "collapse" in note for note in batch.notes)


def test_fixture_ingest_is_idempotent(store):
    assert load(store, FIXTURE).added == 2
    assert not load(store, FIXTURE).changed
    assert detect(FIXTURE) == "usgs"


def test_missing_field_and_bad_time(store, tmp_path):
    doc = json.loads(FIXTURE.read_text())
    del doc["events"][1]["mag"]
    doc["events"][2]["time"] = "yesterday"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    error = rejected(store, path, "usgs")
    assert "us2000aert" in problem(error, "mag", row=2).message
    assert problem(error, "time", row=3).value == "yesterday"


def test_truncated_wrong_shape_and_encoding(store, tmp_path):
    text = FIXTURE.read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[:500])
    error = rejected(store, path, "usgs")
    assert "truncated" in str(error) and error.problems[0].line is not None
    path.write_text(json.dumps({"features": []}))
    assert problem(rejected(store, path, "usgs"), "events")
    path.write_bytes(text.encode("utf-16"))
    assert "UTF-16" in str(rejected(store, path, "usgs"))


def test_real_file_six_tests_with_usgs_magnitudes():
    batch = usgs.read(real(USGS_FILE))
    data = batch.data.sort_values("date")
    assert [d.date().isoformat() for d in data["date"]] == [
        "2006-10-09", "2009-05-25", "2013-02-12", "2016-01-06", "2016-09-09", "2017-09-03"]
    assert [json.loads(a)["magnitude"] for a in data["attrs"]] == [4.3, 4.7, 5.1, 5.1, 5.3, 6.3]
    assert {json.loads(a)["mag_type"] for a in data["attrs"]} == {"mb"}
    skipped = " ".join(batch.notes)
    for comcat_id in ("us2000aetk", "us2000ati7", "us1000aqsx"):
        assert comcat_id in skipped
