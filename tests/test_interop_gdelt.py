"""GDELT 1.0/2.0 exports: codebook columns, mapping, rejects with line numbers, compression,
and files still being written."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest

from detente.errors import IngestError
from detente.events import ingest
from detente.events.ingest import coded, gdelt
from detente.events.store import Store
from tests.conftest import FIXTURES

INTEROP = FIXTURES / "interop"
V2 = "20170720000000.export.CSV"
V2_BAD = "20170721000000.export.CSV"


def copy(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    target = tmp_path / (as_name or name)
    shutil.copy(INTEROP / name, target)
    return target


def rejects_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in
            path.with_name(path.name + coded.REJECTS_SUFFIX).read_text().splitlines()]


def test_codebook_columns():
    assert len(gdelt.V1_COLUMNS) == 57 and len(gdelt.V1_DAILY_COLUMNS) == 58
    assert len(gdelt.V2_COLUMNS) == 61
    for cols in (gdelt.V1_COLUMNS, gdelt.V2_COLUMNS):
        assert cols[:2] == ("GLOBALEVENTID", "SQLDATE")
        assert cols.index("EventCode") == 26 and cols.index("GoldsteinScale") == 30
        assert cols.index("Actor1CountryCode") == 7 and cols.index("Actor2CountryCode") == 17
    assert gdelt.V1_COLUMNS[-1] == "DATEADDED"
    assert gdelt.V2_COLUMNS[-2:] == ("DATEADDED", "SOURCEURL")
    assert "ActionGeo_ADM2Code" in gdelt.V2_COLUMNS and \
        "ActionGeo_ADM2Code" not in gdelt.V1_COLUMNS


def test_detects_gdelt_files_only(tmp_path):
    for name in (V2, V2_BAD, "20130405.export.CSV", "200610.csv"):
        assert ingest.detect(INTEROP / name) == "gdelt", name
    for name in ("events.2013.20150313084929.tab", "ngecEvents.20221107.Release999.DV.txt"):
        assert not gdelt.detect(INTEROP / name)
    csv = tmp_path / "mine.csv"
    csv.write_text("date,actor,kind,source\n2017-07-04,PRK,missile_test,me\n")
    assert ingest.detect(csv) == "generic"


def test_ingests_a_2_0_export(tmp_path, empty_store):
    path = copy(tmp_path, V2)
    done = coded.ingest(empty_store, path)
    s = done.summary
    assert (s.lines, s.accepted, s.rejected, s.skipped) == (13, 12, 0, 1)
    assert s.skipped_by == {"no state or known organisation as Actor1": 1}
    assert done.result.added == 12 and s.rejects_file is None
    frame = empty_store.query().set_index("source_ref")
    assert frame.loc["680000001", "kind"] == "other"             # CAMEO 150 stays other
    assert json.loads(frame.loc["680000001", "attrs_json"]) == {
        "cameo": "150", "code": "150", "code_system": "CAMEO", "goldstein": -7.2,
        "mentions": 120, "quad_class": 4,
        "url": "https://news.example.org/20170704/680000001.html"}
    assert frame.loc["680000002", "kind"] == "sanctions_designation"
    assert frame.loc["680000006", "kind"] == "provocation"       # 190 fight
    assert frame.loc["680000009", "kind"] == "agreement"
    assert frame.loc["680000010"].isna()["target"]               # no Actor2
    assert frame.loc["680000011", "actor"] == "UN"               # known group UNO
    assert frame.loc["680000013", "actor"] == "ROU"              # CAMEO ROM
    assert str(frame.loc["680000001", "date"].date()) == "2017-07-04"
    assert set(frame["confidence"]) == {"low"} and set(frame["source"]) == {"gdelt"}
    # Re-ingesting the same file adds nothing.
    before = empty_store.fingerprint()
    again = coded.ingest(empty_store, path)
    assert again.result.added == 0 and again.result.unchanged == 12
    assert empty_store.fingerprint() == before


def test_ingests_1_0_daily_and_back_files(tmp_path, empty_store):
    daily = coded.ingest(empty_store, copy(tmp_path, "20130405.export.CSV"))
    back = coded.ingest(empty_store, copy(tmp_path, "200610.csv"))
    assert daily.result.added == 4 and back.result.added == 3
    frame = empty_store.query(source="gdelt").set_index("source_ref")
    assert json.loads(frame.loc["250000001", "attrs_json"])["url"].endswith("250000001.html")
    assert "url" not in json.loads(frame.loc["1000001", "attrs_json"])     # 57 columns: no URL
    assert frame.loc["250000001", "kind"] == "provocation"            # 138
    assert frame.loc["1000002", "actor"] == "UN"


def test_geo_option_adds_the_action_location(tmp_path, empty_store):
    coded.ingest(empty_store, copy(tmp_path, V2), geo=True)
    attrs = json.loads(empty_store.query(source="gdelt")["attrs_json"].iloc[0])
    assert attrs["lat"] == pytest.approx(39.0194) and attrs["location"].startswith("Pyongyang")


def test_malformed_rows_go_to_rejects_with_line_numbers(tmp_path, empty_store):
    path = copy(tmp_path, V2_BAD)
    done = coded.ingest(empty_store, path)
    s = done.summary
    assert (s.lines, s.accepted, s.rejected, s.blank) == (15, 3, 11, 1)
    assert s.rejected_by == {"columns": 1, "EventCode": 1, "SQLDATE": 3, "GoldsteinScale": 1,
                             "Actor1CountryCode": 2, "QuadClass": 1, "NumMentions": 1,
                             "duplicate": 1}
    rejects = rejects_of(path)
    by_line = {r["line"]: r for r in rejects}
    lines = path.read_text().split("\n")
    for r in rejects:  # each reject names its own line, text and all
        assert lines[r["line"] - 1] == r["text"]
    assert by_line[4]["problems"][0]["field"] == "columns"
    assert "40 tab-separated fields, expected 61" in by_line[4]["problems"][0]["reason"]
    assert by_line[5]["problems"] == [{"field": "EventCode", "value": "15X", "reason":
                                       "not a CAMEO event code (2-4 digits, root 01-20)"}]
    assert by_line[6]["problems"][0] == {"field": "SQLDATE", "value": "2017074",
                                         "reason": "not a date YYYYMMDD"}
    assert "outside the data's range" in by_line[8]["problems"][0]["reason"]   # 1978
    assert by_line[9]["problems"][0]["value"] == "20170801"                   # after added
    assert by_line[11]["problems"][0]["value"] == "XYZ"
    assert by_line[12]["problems"][0]["value"] == "EUR"                       # CAMEO region
    assert "EUR" in by_line[12]["problems"][0]["reason"]
    assert by_line[15]["problems"][0]["field"] == "key"
    assert "line 1" in by_line[15]["problems"][0]["reason"]
    assert 7 not in by_line and len(lines) == 16                               # blank line
    # The good rows went in, in one transaction; nothing from the bad ones.
    assert sorted(empty_store.query()["source_ref"]) == ["680000001", "680000002", "680000003"]


def test_a_row_with_several_problems_lists_them_all(tmp_path, empty_store):
    line = (INTEROP / V2).read_text().splitlines()[0].split("\t")
    line[1], line[26], line[30] = "2017-07-04", "abc", "hot"
    path = tmp_path / "20170722000000.export.CSV"
    path.write_text("\t".join(line) + "\n")
    coded.ingest(empty_store, path)
    (reject,) = rejects_of(path)
    assert {p["field"] for p in reject["problems"]} == {"SQLDATE", "EventCode",
                                                        "GoldsteinScale"}


def test_declared_region_codes_are_accepted(tmp_path, empty_store):
    path = copy(tmp_path, V2_BAD)
    empty_store.declare_actor("EUR", "Europe (CAMEO region)")
    done = coded.ingest(empty_store, path)
    assert done.summary.rejected_by["Actor1CountryCode"] == 1    # XYZ still rejected
    assert "EUR" in set(empty_store.query()["actor"])


def test_stale_rejects_file_is_removed_when_the_input_is_fixed(tmp_path, empty_store):
    path = copy(tmp_path, V2_BAD, V2)
    coded.ingest(empty_store, path)
    rejects = path.with_name(path.name + coded.REJECTS_SUFFIX)
    assert rejects.exists()
    shutil.copy(INTEROP / V2, path)
    coded.ingest(empty_store, path)
    assert not rejects.exists()


def test_rejects_option_writes_elsewhere_or_nowhere(tmp_path, empty_store):
    path = copy(tmp_path, V2_BAD)
    out = tmp_path / "rejects"
    out.mkdir()
    done = coded.ingest(empty_store, path, rejects=out)
    assert Path(done.summary.rejects_file) == out / (path.name + coded.REJECTS_SUFFIX)
    done = coded.ingest(empty_store, path, rejects=False)
    assert done.summary.rejects_file is None and done.summary.rejected == 11


@pytest.mark.parametrize("kind", ["gz", "zip"])
def test_compressed_exports_ingest_like_the_plain_file(tmp_path, kind, store_path):
    plain = INTEROP / V2
    if kind == "gz":
        path = tmp_path / (V2 + ".gz")
        path.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        path = tmp_path / (V2 + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(plain, V2)
    assert ingest.detect(path) == "gdelt"
    with Store(store_path, empty=True) as store:
        done = coded.ingest(store, path)
        assert done.result.added == 12
        compressed = store.query()[["id", "date", "actor", "target", "kind", "attrs_json"]]
    with Store(tmp_path / "plain.duckdb", empty=True) as store:
        coded.ingest(store, copy(tmp_path, V2, "plain.export.CSV"))
        expected = store.query()[["id", "date", "actor", "target", "kind", "attrs_json"]]
    assert compressed.equals(expected)
    assert not list(Path(tempfile.gettempdir()).glob("detente-coded-*/" + V2[:-4] + "*"))


def _broken_zip(tmp_path: Path) -> Path:
    path = tmp_path / (V2 + ".zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.write(INTEROP / V2, V2)
    data = bytearray(path.read_bytes())
    start = data.find(b"680000005")  # flip data bytes inside the stored member: CRC fails
    data[start:start + 3] = b"999"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make", ["truncated_gz", "crc_zip", "crc_gz"])
def test_broken_compression_refuses_the_whole_file(tmp_path, empty_store, make):
    data = (INTEROP / V2).read_bytes()
    if make == "truncated_gz":
        path = tmp_path / (V2 + ".gz")
        path.write_bytes(gzip.compress(data)[:-40])
    elif make == "crc_gz":
        path = tmp_path / (V2 + ".gz")
        blob = bytearray(gzip.compress(data))
        blob[-6] ^= 0xFF  # the stored CRC-32 no longer matches the data
        path.write_bytes(bytes(blob))
    else:
        path = _broken_zip(tmp_path)
    before = empty_store.fingerprint()
    with pytest.raises(IngestError, match=r"broken \w+ compression"):
        ingest.ingest_file(empty_store, path, "gdelt")
    assert empty_store.fingerprint() == before
    assert not path.with_name(path.name + coded.REJECTS_SUFFIX).exists()


@pytest.mark.parametrize("name", [V2 + ".part", V2 + ".tmp", "." + V2, V2 + ".crdownload"])
def test_in_progress_names_are_refused(tmp_path, empty_store, name):
    path = copy(tmp_path, V2, name)
    before = empty_store.fingerprint()
    with pytest.raises(IngestError, match="still being written"):
        ingest.ingest_file(empty_store, path, "gdelt")
    assert empty_store.fingerprint() == before


def test_truncated_last_line_refuses_the_file_with_its_line(tmp_path, empty_store):
    path = tmp_path / V2
    text = (INTEROP / V2).read_text()
    path.write_text(text[:-200])  # cut line 13 short: fields missing, no final newline
    before = empty_store.fingerprint()
    with pytest.raises(IngestError) as info:
        ingest.ingest_file(empty_store, path, "gdelt")
    assert info.value.problems[0].line == 13
    assert "truncated or still being written" in str(info.value)
    assert empty_store.fingerprint() == before
    # A caller who knows the file is complete can accept it; the cut line is then rejected.
    done = coded.ingest(empty_store, path, allow_unterminated=True)
    assert done.summary.rejected_by == {"columns": 1} and done.result.added == 11


def test_a_nul_byte_refuses_the_file_with_its_line(tmp_path, empty_store):
    path = tmp_path / V2
    lines = (INTEROP / V2).read_bytes().split(b"\n")
    lines[4] = lines[4][:10] + b"\x00\x00" + lines[4][12:]
    path.write_bytes(b"\n".join(lines))
    before = empty_store.fingerprint()
    with pytest.raises(IngestError, match="NUL byte") as info:
        ingest.ingest_file(empty_store, path, "gdelt")
    assert info.value.problems[0].line == 5
    assert empty_store.fingerprint() == before


def test_a_file_that_changes_while_read_is_refused(tmp_path, empty_store, monkeypatch):
    path = copy(tmp_path, V2)
    real = coded.FileState.of.__func__
    calls = []

    def append_after_first_look(cls, p):
        state = real(cls, p)
        calls.append(p)
        if len(calls) == 1:  # a writer appends while the check pass runs
            with open(path, "a") as handle:
                handle.write((INTEROP / V2).read_text().splitlines()[0] + "\n")
        return state

    monkeypatch.setattr(coded.FileState, "of", classmethod(append_after_first_look))
    before = empty_store.fingerprint()
    with pytest.raises(IngestError, match="changed while it was being read"):
        ingest.ingest_file(empty_store, path, "gdelt")
    assert empty_store.fingerprint() == before


def test_not_a_gdelt_file(tmp_path, empty_store):
    path = tmp_path / "x.export.CSV"
    path.write_text("a\tb\tc\n1\t2\t3\n")
    with pytest.raises(IngestError, match=r"GDELT 1\.0 has 57 or 58.*--gdelt-version"):
        ingest.ingest_file(empty_store, path, "gdelt")


def test_invalid_utf8_refuses_the_file(tmp_path, empty_store):
    path = tmp_path / V2
    data = (INTEROP / V2).read_bytes().replace(b"NORTH KOREA", b"NORTH K\xd6REA", 1)
    path.write_bytes(data)
    with pytest.raises(IngestError, match="UTF-8") as info:
        ingest.ingest_file(empty_store, path, "gdelt")
    assert info.value.problems[0].line == 1
    done = coded.ingest(empty_store, path, encoding="latin-1")
    assert done.result.added == 12


def test_cli_ingest_with_format(tmp_path, store_path):
    from typer.testing import CliRunner

    from detente.cli import app

    path = copy(tmp_path, V2_BAD)
    Store(store_path, empty=True).close()
    result = CliRunner().invoke(app, ["events", "ingest", str(path), "--format", "gdelt",
                                      "--db", str(store_path), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["added"] == 3
    assert path.with_name(path.name + coded.REJECTS_SUFFIX).exists()


def test_line_numbers_hold_without_preserved_insertion_order(tmp_path, empty_store):
    path = copy(tmp_path, V2_BAD)
    empty_store.con.execute("SET preserve_insertion_order = false")
    try:
        done = coded.ingest(empty_store, path)
    finally:
        empty_store.con.execute("RESET preserve_insertion_order")
    lines = path.read_text().split("\n")
    records = rejects_of(path)
    assert [r["line"] for r in records] == [4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    assert all(lines[r["line"] - 1] == r["text"] for r in records)
    assert done.result.added == 3


def test_a_csv_named_like_a_back_file_is_gdelt_only_by_content(tmp_path):
    mine = tmp_path / "2006.csv"
    mine.write_text("date,actor,kind,source\n2006-10-09,PRK,nuclear_test,me\n")
    assert ingest.detect(mine) == "generic"
    back = copy(tmp_path, "200610.csv", "2006.csv")
    assert ingest.detect(back) == "gdelt"


# --- GDELT as users hold it: headered CSV, Parquet, frames ----------------------------------

def _codebook_frame():
    import pandas as pd

    rows = [line.split("\t") for line in (INTEROP / V2).read_text().splitlines()]
    return pd.DataFrame(rows, columns=list(gdelt.V2_COLUMNS))


def _events(store: Store):
    return store.query()[["id", "date", "actor", "target", "kind", "attrs_json", "summary"]]


@pytest.fixture(scope="module")
def from_export(tmp_path_factory):
    """The events of the raw 2.0 export, as a reference for every other shape."""
    folder = tmp_path_factory.mktemp("export")
    with Store(folder / "s.duckdb", empty=True) as store:
        coded.ingest(store, copy(folder, V2))
        return _events(store)


def test_a_headered_csv_reads_by_column_name_like_the_export(tmp_path, empty_store,
                                                               from_export):
    frame = _codebook_frame()
    frame["ActionGeo_FullName"] = "Pyongyang, North Korea"  # a comma inside a quoted field
    frame = frame[list(reversed(frame.columns))]              # any order
    path = tmp_path / "bq-results-20240101.csv"
    frame.to_csv(path)                                        # with pandas' index column
    assert ingest.detect(path) == "gdelt"
    done = coded.ingest(empty_store, path)
    assert (done.summary.accepted, done.summary.skipped, done.result.added) == (12, 1, 12)
    assert _events(empty_store).equals(from_export)


def test_a_headered_file_rejects_by_line_with_the_same_rules(tmp_path, empty_store):
    frame = _codebook_frame()
    frame.loc[3, "EventCode"] = "15X"
    frame.loc[6, "GoldsteinScale"] = "hot"
    path = tmp_path / "gdelt.tsv"
    frame.to_csv(path, sep="\t", index=False)
    done = coded.ingest(empty_store, path)
    assert done.summary.rejected_by == {"EventCode": 1, "GoldsteinScale": 1}
    lines = path.read_text().split("\n")
    by_line = {r["line"]: r for r in rejects_of(path)}
    assert sorted(by_line) == [5, 8]                          # the header is line 1
    assert all(lines[n - 1] == r["text"] for n, r in by_line.items())
    assert by_line[5]["problems"][0]["reason"].startswith("not a CAMEO event code")
    assert by_line[8]["problems"] == [{"field": "GoldsteinScale", "value": "hot",
                                       "reason": "not a number from -10 to 10"}]


def test_a_headered_file_lacking_a_required_column_names_them_once(tmp_path, empty_store):
    frame = _codebook_frame().drop(columns=["EventCode", "SQLDATE"])
    path = tmp_path / "x.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(IngestError) as info:
        coded.ingest(empty_store, path, "gdelt")
    text = str(info.value)
    assert "lacks the columns SQLDATE, EventCode" in text and text.count("GLOBALEVENTID") == 1


def test_parquet_with_typed_columns_reads_like_the_export(tmp_path, empty_store, from_export):
    frame = _codebook_frame()
    for column in ("GLOBALEVENTID", "SQLDATE", "DATEADDED", "NumMentions", "QuadClass"):
        frame[column] = frame[column].astype("int64")
    frame["GoldsteinScale"] = frame["GoldsteinScale"].astype(float)
    frame.loc[4, "QuadClass"] = 9
    path = tmp_path / "gdelt.parquet"
    frame.to_parquet(path)
    assert ingest.detect(path) == "gdelt"
    done = coded.ingest(empty_store, path)
    assert done.summary.rejected_by == {"QuadClass": 1} and done.summary.unit == "rows"
    (reject,) = rejects_of(path)
    assert reject["row"] == 5 and reject["values"]["QuadClass"] == "9"
    expected = from_export[from_export["id"] != _events(empty_store)["id"].iloc[0]]
    assert len(_events(empty_store)) == 11 and set(_events(empty_store)["id"]) < \
        set(from_export["id"]) and len(expected) == 11


@pytest.mark.parametrize("kind", ["pandas", "arrow"])
def test_a_frame_ingests_from_python_like_the_export(empty_store, from_export, kind, tmp_path):
    import pyarrow as pa

    frame = _codebook_frame()
    data = frame if kind == "pandas" else pa.Table.from_pandas(frame)
    result = empty_store.ingest_frame(data, format="gdelt")
    assert result.added == 12 and "13 rows; 12 accepted" in result.notes[0]
    assert _events(empty_store).equals(from_export)
    frame.loc[0, "SQLDATE"] = "2017-07-04"
    out = tmp_path / "bad.jsonl"
    again = empty_store.ingest_frame(frame, format="gdelt", file="gdeltpyr",
                                     rejects=out)
    assert again.added == 0 and "1 rejected" in again.notes[0]
    (reject,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert (reject["file"], reject["row"], reject["problems"][0]["field"]) == \
        ("gdeltpyr", 1, "SQLDATE")


def test_a_frame_with_numeric_event_codes_is_refused(empty_store):
    frame = _codebook_frame()
    frame["EventCode"] = frame["EventCode"].astype(int)
    with pytest.raises(IngestError, match="leading zeros"):
        empty_store.ingest_frame(frame, format="gdelt")
    with pytest.raises(IngestError, match="frames of: gdelt"):
        empty_store.ingest_frame(frame, format="icews")


def test_a_one_line_file_cut_short_is_gdelt_with_gdelts_message(tmp_path, store_path):
    from typer.testing import CliRunner

    from detente.cli import app

    path = tmp_path / "events.csv"
    path.write_text((INTEROP / V2).read_text().splitlines()[0][:150])
    assert ingest.detect(path) == "gdelt"
    Store(store_path, empty=True).close()
    result = CliRunner().invoke(app, ["events", "ingest", str(path), "--db", str(store_path)])
    assert result.exit_code == 2
    assert "not terminated by a newline" in result.output and "--map" not in result.output


def test_cli_gdelt_version_and_geo_options(tmp_path, store_path):
    from typer.testing import CliRunner

    from detente.cli import app

    path = copy(tmp_path, V2)
    Store(store_path, empty=True).close()
    run = CliRunner().invoke
    done = run(app, ["events", "ingest", str(path), "--gdelt-version", "1", "--db",
                     str(store_path)])
    assert done.exit_code == 0 and "rejected: columns 13" in done.output
    done = run(app, ["events", "ingest", str(path), "--gdelt-version", "2", "--geo", "--db",
                     str(store_path)])
    assert done.exit_code == 0 and "12 events added" in done.output
    with Store(store_path, read_only=True) as store:
        assert "lat" in json.loads(store.query()["attrs_json"].iloc[0])
    done = run(app, ["events", "ingest", str(path), "--gdelt-version", "3"])
    assert done.exit_code == 2 and "--gdelt-version" in done.output


def test_rejected_lines_past_the_first_buffer_keep_their_text(tmp_path, empty_store,
                                                               monkeypatch):
    """The line scan that finds rejected lines' text numbers lines in the scan's order: a
    table written from it was stored out of order past the first buffer (DuckDB 2.0), so
    the text of later rejected lines came out null (seen at 1M rows with 32 MB buffers)."""
    from detente.events.ingest import tabular

    monkeypatch.setattr(tabular, "_BUFFER", 1 << 20)
    good = (INTEROP / V2).read_text().split("\n")[0].split("\t")
    lines = []
    for i in range(60_000):
        fields = [str(700_000_000 + i), *good[1:]]
        if i % 10_000 == 9_999:
            fields[26] = "XX"  # EventCode: rejected by a rule, after several buffers
        lines.append("\t".join(fields))
    lines.insert(25_000, "")  # a blank line shifts the lines after it
    path = tmp_path / "20170720000000.export.CSV"
    path.write_text("\n".join(lines) + "\n")
    done = coded.ingest(empty_store, path)
    records = rejects_of(path)
    assert done.summary.rejected == 6 and done.summary.blank == 1
    assert [r["line"] for r in records] == [10_000, 20_000, 30_001, 40_001, 50_001, 60_001]
    assert all(r["text"] == lines[r["line"] - 1] for r in records)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_rejected_lines_are_read_by_position_when_every_line_was_read(tmp_path, empty_store,
                                                                       monkeypatch, newline):
    """With no blank line and no line the reader refused, a row's position is its line: the
    rejected lines' text is read by position from the file's bytes, without the line scan."""
    from detente.events.ingest import lines as lines_module

    def no_scan(*_args, **_kwargs):
        raise AssertionError("the line scan ran")

    monkeypatch.setattr(lines_module, "locate", no_scan)
    good = (INTEROP / V2).read_text().split("\n")[0].split("\t")
    lines = []
    for i in range(3_000):
        fields = [str(700_000_000 + i), *good[1:]]
        if i in (0, 1_234, 2_999):
            fields[26] = "XX"
        lines.append("\t".join(fields))
    lines.append(lines[10])  # a repeated key, rejected as a duplicate of line 11
    path = tmp_path / "20170720000000.export.CSV"
    path.write_bytes((newline.join(lines) + newline).encode())
    done = coded.ingest(empty_store, path)
    records = rejects_of(path)
    assert done.summary.rejected == 4 and done.result.added == 2_997
    assert [r["line"] for r in records] == [1, 1_235, 3_000, 3_001]
    assert all(r["text"] == lines[r["line"] - 1] for r in records)
    assert "line 11" in records[-1]["problems"][0]["reason"]


def test_many_rejected_lines_read_by_position_keep_their_own_text(tmp_path, empty_store):
    """Many rejected lines in one chunk of the file, some next to each other: each record
    carries its own line's text (the search walks on from the previous line found)."""
    good = (INTEROP / V2).read_text().split("\n")[0].split("\t")
    lines, bad = [], set()
    for i in range(5_000):
        fields = [str(710_000_000 + i), *good[1:]]
        if i % 7 == 0 or i in (1, 2, 4_998, 4_999):
            fields[26] = "XX"
            bad.add(i + 1)
        lines.append("\t".join(fields))
    path = tmp_path / "20170721000000.export.CSV"
    path.write_text("\n".join(lines) + "\n")
    done = coded.ingest(empty_store, path)
    records = rejects_of(path)
    assert done.summary.rejected == len(bad)
    assert [r["line"] for r in records] == sorted(bad)
    assert all(r["text"] == lines[r["line"] - 1] for r in records)


def test_a_line_that_does_not_hold_its_rows_key_stops_the_ingest(tmp_path, empty_store):
    """Rejected lines are read by position, which rests on the check table keeping the file's
    order: a line whose key is not its row's is refused with both keys named, never reported
    as the rejected line (a table built by hand here, the file once in order, once not)."""
    from detente.errors import IngestError
    from detente.events.ingest import gdelt, lines, tabular

    con = empty_store.con
    spec = gdelt.layout(con, version="2", present=set(gdelt.V2_COLUMNS))
    at = list(spec.inputs).index("GLOBALEVENTID")
    rejected = [None] * len(spec.inputs)
    rejected[at] = "700000002"
    con.execute("CREATE TEMP TABLE hand (err VARCHAR, key VARCHAR, input VARCHAR[])")
    con.execute("INSERT INTO hand VALUES (NULL, '700000000', NULL), (NULL, '700000001', NULL), "
                "('EventCode', NULL, ?)", [rejected])
    read = tabular.Read("f.CSV", con, spec, "hand", "hand_rows", "line")
    lines.set_dropped(read, 1, [])
    good = (INTEROP / V2).read_text().split("\n")[0].split("\t")
    text = tabular.Text("\t", "", False)

    def write(keys: list[int]) -> Path:
        path = tmp_path / f"{keys[-1]}.CSV"
        path.write_text("".join("\t".join([str(k), *good[1:]]) + "\n" for k in keys))
        return path

    in_order = write([700000000, 700000001, 700000002])
    assert lines.texts_by_count(read, in_order, text, 1, 0, False) == {
        3: in_order.read_text().splitlines()[2]}
    with pytest.raises(IngestError, match="not in the file's order") as caught:
        lines.texts_by_count(read, write([700000000, 700000002, 700000001]), text, 1, 0, False)
    assert "holds key '700000001', the row read there '700000002'" in str(
        caught.value.problems[0])
