"""The CNS missile test CSV adapter: encodings, records, dates, distances, keys, bad input."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.events.ingest import cns, detect
from detente.events.store import Store
from tests.sources_support import (
    CNS_FILE,
    CSIS_FILE,
    SOURCES,
    attrs,
    load,
    problem,
    real,
    rejected,
)

FIXTURE = SOURCES / "cns_small.csv"


@pytest.fixture
def store(store_path):
    with Store(store_path, empty=True) as s:
        load(s, SOURCES / "usgs_small.json")  # something to keep unchanged
        yield s


# --- the date parser ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected", "precision"), [
    ("9-Apr-84", dt.date(1984, 4, 9), "day"),
    ("Sep-84", dt.date(1984, 9, 1), "month"),
    ("5-Jan-22", dt.date(2022, 1, 5), "day"),
    ("31-Dec-49", dt.date(2049, 12, 31), "day"),
    ("1-Jan-50", dt.date(1950, 1, 1), "day"),
    ("4/19/2023", dt.date(2023, 4, 19), "day"),
    ("09-April-1984", dt.date(1984, 4, 9), "day"),
    ("Sept-1984", dt.date(1984, 9, 1), "month"),
    ("1984-09", dt.date(1984, 9, 1), "month"),
    (" 2017-07-04 ", dt.date(2017, 7, 4), "day"),
])
def test_parse_date_forms(text, expected, precision):
    assert cns.parse_date(text) == (expected, precision)


@pytest.mark.parametrize(("text", "message"), [
    ("31-Feb-17", "impossible date"),
    ("Foo-84", "unknown month"),
    ("2017/07/04", "not a date"),
    ("", "not a date"),
])
def test_parse_date_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        cns.parse_date(text)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2049, 12, 31)),
       st.sampled_from(["%d-%b-%y", "%b-%y", "%m/%d/%Y", "%Y-%m-%d", "%d-%B-%Y"]))
def test_parse_date_round_trips_cns_styles(day, style):
    text = day.strftime(style).lstrip("0")
    parsed, precision = cns.parse_date(text)
    if "%d" in style:
        assert (parsed, precision) == (day, "day")
    else:
        assert (parsed, precision) == (day.replace(day=1), "month")


@given(st.integers(0, 99))
def test_two_digit_years_pivot_at_50(yy):
    parsed, _ = cns.parse_date(f"1-Jan-{yy:02d}")
    assert parsed.year == (1900 + yy if yy >= 50 else 2000 + yy)
    assert cns.parse_date(f"1-Jan-{yy:02d}", pivot=0)[0].year == 1900 + yy


@pytest.mark.parametrize(("text", "expected"), [
    ("9:20:00 AM", "09:20"), ("12:30:00 AM", "00:30"), ("12:05:00 PM", "12:05"),
    ("10:36:20 PM", "22:36:20"), ("21:13", "21:13"), ("", None), ("Unknown", None)])
def test_parse_time(text, expected):
    assert cns.parse_time(text) == expected


def test_parse_time_rejects_nonsense():
    for text in ("13:00:00 PM", "25:00", "noon"):
        with pytest.raises(ValueError):
            cns.parse_time(text)


# --- the fixture -------------------------------------------------------------------------

def test_fixture_reads_cp1252_multiline_records():
    batch = cns.read(FIXTURE)
    data = batch.data
    assert list(data["source_ref"]) == [f"F1={i}" for i in range(1, 7)]
    # Records start on these physical lines: LF inside quoted fields counts as a line.
    assert list(data["_loc"]) == [2, 4, 5, 7, 8, 10]
    assert batch.loc == "line"
    first = attrs(data, 0)
    assert "bearing 90°" in data["summary"].iloc[0]  # 0xB0 decoded as cp1252
    assert first["citations"][1].startswith("Joseph S. Bermudez")
    assert first["url"] == "http://www.nti.org/media/pdfs/north_korea_missile_2.pdf"
    third = attrs(data, 2)
    assert third["location"] == "Kittae Pass , Kangwon Province, (North Korea)"  # 0xA0 gone
    assert "\xa0" not in third["location"]


def test_fixture_dates_precision_and_keys():
    data = cns.read(FIXTURE).data
    dates = [d.date() for d in data["date"]]
    assert dates == [dt.date(1984, 4, 9), dt.date(1984, 9, 1), dt.date(2006, 7, 5),
                     dt.date(2006, 7, 5), dt.date(2017, 11, 28), dt.date(2023, 4, 12)]
    assert attrs(data, 1)["date_precision"] == "month"
    assert "date_precision" not in attrs(data, 0)
    assert list(data["match_key"]) == [
        "missile_test|PRK|1984-04-09|1", "missile_test|PRK|1984-09|1",
        "missile_test|PRK|2006-07-05|1", "missile_test|PRK|2006-07-05|2",
        "missile_test|PRK|2017-11-28|1", "missile_test|PRK|2023-04-12|1"]
    assert list(data["confidence"]) == ["high", "medium", "high", "high", "high", "medium"]


def test_fixture_distances_classes_outcomes_times():
    data = cns.read(FIXTURE).data
    a = [attrs(data, i) for i in range(6)]
    assert [x["class"] for x in a] == ["SRBM", "SRBM", "MRBM", "SRBM", "ICBM", "ICBM"]
    assert [x["outcome"] for x in a] == ["success", "failure", "success", "success", "success",
                                         "unknown"]
    assert a[2]["distance_km"] == 1380.0 and a[2]["distance_text"] == "1,380 km"
    assert "apogee_km" not in a[2] and a[2]["apogee_text"] == "between 25 and 90 km"
    assert a[3]["distance_km"] == 330.0 and a[3]["distance_text"] == "330 lm"
    assert a[4]["apogee_km"] == 4475.0 and a[4]["time_utc"] == "18:18"
    assert "apogee_km" not in a[0] and a[0]["apogee_text"] == "Unknown"
    assert a[5]["confirmed"] is False and a[4]["confirmed"] is True
    assert a[5]["time_utc"] == "22:22"


def test_fixture_ingests_once(store):
    first = load(store, FIXTURE)
    assert (first.added, first.rows) == (6, 6)
    again = load(store, FIXTURE)
    assert not again.changed and again.unchanged == 6


def test_utf8_copy_reads_the_same(tmp_path):
    copy = tmp_path / "cns_utf8.csv"
    copy.write_bytes(FIXTURE.read_bytes().decode("cp1252").encode("utf-8"))
    a, b = cns.read(FIXTURE).data, cns.read(copy).data
    assert list(a["attrs"]) == list(b["attrs"]) and list(a["summary"]) == list(b["summary"])


def test_detect():
    assert cns.detect(FIXTURE)
    assert detect(FIXTURE) == "cns-csv"
    assert not cns.detect(SOURCES / "csis_small.csv")


# --- bad input ---------------------------------------------------------------------------

def _edited(tmp_path, old: bytes, new: bytes, name: str = "cns.csv"):
    raw = FIXTURE.read_bytes()
    assert old in raw
    path = tmp_path / name
    path.write_bytes(raw.replace(old, new, 1))
    return path


def test_bad_date_names_line_field_and_text(store, tmp_path):
    path = _edited(tmp_path, b"12-Apr-23", b"12-Apr-2x")
    error = rejected(store, path)
    p = problem(error, "Date", line=10)
    assert p.value == "12-Apr-2x"
    assert "line 10" in str(error) and "'Date'" in str(error) and "12-Apr-2x" in str(error)


def test_impossible_date(store, tmp_path):
    error = rejected(store, _edited(tmp_path, b"28-Nov-17", b"30-Feb-17"))
    assert "impossible date" in problem(error, "Date", line=8).message


def test_missing_column_is_named(store, tmp_path):
    error = rejected(store, _edited(tmp_path, b"Missile Type", b"Missile Kind"), "cns-csv")
    p = problem(error, "Missile Type", line=1)
    assert "Missile Kind" in p.message


def test_wrong_encoding_named(store, tmp_path):
    error = rejected(store, FIXTURE, "cns-csv", encoding="utf-8")
    p = problem(error, "encoding", line=3)  # the first non-UTF-8 byte (0xB0) is on line 3
    assert "0xb0" in p.message
    utf16 = tmp_path / "cns16.csv"
    utf16.write_bytes(FIXTURE.read_bytes().decode("cp1252").encode("utf-16"))
    assert "UTF-16" in str(rejected(store, utf16, "cns-csv"))


def test_truncated_file_inside_quotes(store, tmp_path):
    raw = FIXTURE.read_bytes()
    cut = raw.index(b"Lofted") + 3  # inside the quoted, multi-line field of line 8
    path = tmp_path / "cut.csv"
    path.write_bytes(raw[:cut])
    error = rejected(store, path)
    assert problem(error, None, line=8)
    assert "truncated" in str(error)


def test_truncated_file_short_row(store, tmp_path):
    raw = FIXTURE.read_bytes()
    path = tmp_path / "short.csv"
    path.write_bytes(raw[: raw.rindex(b"Pyongyang International")])
    error = rejected(store, path)
    assert "fields" in problem(error, None, line=10).message


def test_unknown_class_and_outcome(store, tmp_path):
    path = _edited(tmp_path, b",MRBM,", b",Rocket,")
    path.write_bytes(path.read_bytes().replace(b"Failure", b"Exploded"))
    error = rejected(store, path)
    assert problem(error, "Missile Type", line=5).value == "Rocket"
    assert problem(error, "Test Outcome", line=4).value == "Exploded"


def test_duplicate_row_number_rejected_by_store(store, tmp_path):
    error = rejected(store, _edited(tmp_path, b"\r\n6,12-Apr-23", b"\r\n5,12-Apr-23"))
    assert problem(error, "source_ref", line=10)


# --- the real file -----------------------------------------------------------------------

def test_real_file_counts_match_provenance():
    batch = cns.read(real(CNS_FILE))
    data = batch.data
    assert len(data) == 245
    classes = Counter(attrs(data, i)["class"] for i in range(len(data)))
    assert classes == {"SRBM": 163, "MRBM": 30, "IRBM": 16, "ICBM": 11, "SLBM": 10, "SLV": 6,
                       "HGV": 1, "unknown": 8}
    outcomes = Counter(attrs(data, i)["outcome"] for i in range(len(data)))
    assert outcomes == {"success": 187, "failure": 33, "unknown": 25}
    assert data["date"].min().date() == dt.date(1984, 4, 9)
    assert data["date"].max().date() == dt.date(2023, 4, 12)
    assert not (data["date"].dt.year == 2018).any()
    months = [attrs(data, i).get("date_precision") for i in range(len(data))]
    assert months.count("month") == 8
    assert data["match_key"].is_unique and data["source_ref"].is_unique
    assert any("F1=161" in note for note in batch.notes)


def test_real_file_erratum_only_when_asked():
    data = cns.read(real(CNS_FILE), errata=False).data
    row = data[data["source_ref"] == "F1=161"]
    assert row["date"].iloc[0].date() == dt.date(2022, 1, 5)


def test_real_file_detected_and_not_confused():
    assert detect(real(CNS_FILE)) == "cns-csv"
    assert not cns.detect(real(CSIS_FILE))
