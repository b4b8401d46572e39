"""The generic adapter: users' own CSV, JSON and Parquet files, and what they get wrong."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from detente.errors import IngestError
from detente.events import ingest

MAPPING = {"date": "Day", "actor": "Who", "kind": "What", "attrs.class": "Class",
           "source_ref": "Key"}
CONSTANTS = {"source": "mine"}
GOOD = ("Day,Who,What,Class,Key\n2017-07-04,PRK,missile_test,ICBM,a1\n"
        "2017-07-28,PRK,missile_test,ICBM,a2\n")


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def ingest_refused(store, path: Path, **options) -> IngestError:
    before = store.fingerprint()
    with pytest.raises(IngestError) as info:
        ingest.ingest_file(store, path, **options)
    assert store.fingerprint() == before, "a failed ingest changed the store"
    assert all(p.file == str(path) for p in info.value.problems)
    return info.value


def test_mapped_csv_ingests_and_reingests_as_nothing(tmp_path, empty_store):
    path = write(tmp_path, "mine.csv", GOOD)
    first = ingest.ingest_file(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    again = ingest.ingest_file(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    assert (first.added, again.added, again.unchanged) == (2, 0, 2)
    assert [e.attrs["class"] for e in empty_store.events()] == ["ICBM", "ICBM"]


def test_fields_named_like_event_fields_need_no_mapping(tmp_path, empty_store):
    path = write(tmp_path, "plain.csv",
                 "date,actor,kind,source_ref\n2017-07-04,PRK,nuclear_test,x\n")
    assert ingest.ingest_file(empty_store, path, constants={"source": "p"}).added == 1


def test_without_a_key_column_the_row_content_is_the_key(tmp_path, empty_store):
    path = write(tmp_path, "nokey.csv", "date,actor,kind\n2017-07-04,PRK,nuclear_test\n"
                 "2016-09-09,PRK,nuclear_test\n")
    assert ingest.ingest_file(empty_store, path, constants={"source": "p"}).added == 2
    assert ingest.ingest_file(empty_store, path, constants={"source": "p"}).unchanged == 2
    dup = write(tmp_path, "dup.csv", "date,actor,kind\n2017-07-04,PRK,nuclear_test\n"
                "2017-07-04,PRK,nuclear_test\n")
    error = ingest_refused(empty_store, dup, constants={"source": "q"})
    assert [(p.row, p.field) for p in error.problems] == [(2, "source_ref")]
    assert "first at row 1" in str(error)


def test_json_lines_and_json_arrays_and_gzip(tmp_path, empty_store):
    records = [{"day": "2017-07-04", "who": "PRK", "what": "missile_test", "key": "j1",
                "cls": "ICBM"}]
    mapping = {"date": "day", "actor": "who", "kind": "what", "source_ref": "key",
               "attrs.class": "cls"}
    lines = write(tmp_path, "e.jsonl", "\n".join(json.dumps(r) for r in records))
    assert ingest.ingest_file(empty_store, lines, mapping=mapping, constants=CONSTANTS).added == 1
    array = write(tmp_path, "e.json", json.dumps([{**records[0], "key": "j2"}]))
    assert ingest.ingest_file(empty_store, array, mapping=mapping, constants=CONSTANTS).added == 1
    packed = tmp_path / "e.csv.gz"
    packed.write_bytes(gzip.compress(GOOD.encode()))
    assert ingest.ingest_file(empty_store, packed, mapping=MAPPING,
                              constants={"source": "gz"}).added == 2


def test_custom_date_format(tmp_path, empty_store):
    path = write(tmp_path, "d.csv", "Day,Who,What,Class,Key\n04/07/2017,PRK,missile_test,ICBM,a\n")
    ingest.ingest_file(empty_store, path, mapping=MAPPING, constants=CONSTANTS,
                       date_format="%d/%m/%Y")
    assert next(empty_store.events()).date.isoformat() == "2017-07-04"


def test_wrong_encoding_names_the_line_and_suggests_the_fix(tmp_path, empty_store):
    text = GOOD + "2017-08-01,PRK,missile_test,ICBM,caf\xe9\n"
    path = write(tmp_path, "latin.csv", text.encode("latin-1"))
    error = ingest_refused(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    assert error.problems[0].line == 4
    assert "--encoding" in str(error)
    result = ingest.ingest_file(empty_store, path, mapping=MAPPING, constants=CONSTANTS,
                                encoding="latin-1")
    assert result.added == 3


def test_missing_or_renamed_column_is_named(tmp_path, empty_store):
    path = write(tmp_path, "renamed.csv", GOOD.replace("Who", "Actor"))
    error = ingest_refused(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    (problem,) = error.problems
    assert problem.field == "actor" and problem.value == "Who"
    assert "Actor" in problem.message  # the columns the file does have


def test_unmapped_required_field_is_named(tmp_path, empty_store):
    path = write(tmp_path, "m.csv", GOOD)
    error = ingest_refused(empty_store, path, mapping=MAPPING)
    assert [p.field for p in error.problems] == ["source"]


@pytest.mark.parametrize(("row", "field", "fragment"), [
    ("2017-02-30,PRK,missile_test,ICBM,k", "date", "not a valid date"),
    ("yesterday,PRK,missile_test,ICBM,k", "date", "not a valid date"),
    ("2017-07-04,XXX,missile_test,ICBM,k", "actor", "unknown actor"),
    ("2017-07-04,PRK,missile_tset,ICBM,k", "kind", "unknown kind"),
    ("2017-07-04,PRK,missile_test,BIG,k", "attrs.class", "must be one of"),
])
def test_bad_values_are_located(tmp_path, empty_store, row, field, fragment):
    path = write(tmp_path, "bad.csv", GOOD + row + "\n")
    error = ingest_refused(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    (problem,) = error.problems
    assert (problem.row, problem.field) == (3, field)
    assert fragment in problem.message


def test_attribute_of_the_wrong_type_is_located(tmp_path, empty_store):
    path = write(tmp_path, "t.csv",
                 "date,actor,kind,apogee,key\n2017-07-04,PRK,missile_test,high,k\n")
    error = ingest_refused(empty_store, path, mapping={"attrs.apogee_km": "apogee",
                                                       "source_ref": "key"},
                           constants=CONSTANTS)
    assert [(p.row, p.field) for p in error.problems] == [(1, "attrs.apogee_km")]


@pytest.mark.parametrize(("text", "line", "fragment"), [
    (GOOD + "2017-08-01,PRK,missile_test\n", 4, "3 fields"),
    (GOOD + '2017-08-01,PRK,missile_test,ICBM,"unterminated\n', 4, "unterminated"),
])
def test_truncated_or_malformed_csv_names_the_line(tmp_path, empty_store, text, line, fragment):
    path = write(tmp_path, "broken.csv", text)
    error = ingest_refused(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    assert error.problems[0].line == line
    assert fragment in error.problems[0].message


def test_empty_and_header_only_files(tmp_path, empty_store):
    empty = write(tmp_path, "empty.csv", "")
    assert "empty" in str(ingest_refused(empty_store, empty, mapping=MAPPING,
                                         constants=CONSTANTS))
    header = write(tmp_path, "header.csv", GOOD.splitlines()[0] + "\n")
    assert ingest.ingest_file(empty_store, header, mapping=MAPPING, constants=CONSTANTS).rows == 0


def test_truncated_json_is_refused(tmp_path, empty_store):
    path = write(tmp_path, "cut.json", '[{"date": "2017-07-04", "actor": "PRK", "kind": "nucl')
    ingest_refused(empty_store, path, constants=CONSTANTS)


def test_unknown_format_and_missing_file(tmp_path, empty_store):
    path = write(tmp_path, "x.xlsx", "not really")
    assert "cannot tell the format" in str(ingest_refused(empty_store, path))
    assert "unknown format" in str(ingest_refused(empty_store, path, fmt="excel"))
    missing = tmp_path / "nope.csv"
    with pytest.raises(IngestError, match="file not found"):
        ingest.ingest_file(empty_store, missing)


def test_csv_attribute_columns_take_their_declared_types(tmp_path, empty_store):
    path = write(tmp_path, "typed.csv",
                 "date,actor,kind,apogee,series,ok,note,n,key\n"
                 "2017-07-04,PRK,missile_test,2802,1,true,a,7,k1\n"
                 "2017-07-28,PRK,missile_test,3724.9,2,false,b,,k2\n")
    ingest.ingest_file(empty_store, path, mapping={
        "attrs.apogee_km": "apogee", "attrs.series": "series", "attrs.confirmed": "ok",
        "attrs.x_note": "note", "attrs.x_count": "n", "source_ref": "key"}, constants=CONSTANTS)
    first, second = (e.attrs for e in empty_store.events())
    assert first == {"apogee_km": 2802.0, "series": 1, "confirmed": True, "x_note": "a",
                     "x_count": 7}
    assert second == {"apogee_km": 3724.9, "series": 2, "confirmed": False, "x_note": "b"}


def test_each_attribute_name_has_one_type_across_kinds():
    from detente.events.kinds import COMMON_ATTRS, KIND_ATTRS

    seen: dict[str, str] = {}
    for specs in (COMMON_ATTRS, *KIND_ATTRS.values()):
        for name, spec in specs.items():
            assert seen.setdefault(name, spec.type) == spec.type, name


def _parquet(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    import pandas as pd

    path = tmp_path / name
    pd.DataFrame(rows).to_parquet(path)
    return path


PARQUET_ROWS = [{"Day": "2017-07-04", "Who": "PRK", "What": "missile_test", "Class": "ICBM",
                 "Key": "a1"},
                {"Day": "2017-07-28", "Who": "PRK", "What": "missile_test", "Class": "ICBM",
                 "Key": "a2"},
                {"Day": "2017-08-29", "Who": "PRK", "What": "missile_test", "Class": "IRBM",
                 "Key": "a3"}]


def test_parquet_read_in_place_stores_what_the_same_csv_stores(tmp_path, store_path):
    from detente.events.store import Store

    pq = _parquet(tmp_path, "mine.parquet", PARQUET_ROWS)
    csv_text = "Day,Who,What,Class,Key\n" + "".join(
        f"{r['Day']},{r['Who']},{r['What']},{r['Class']},{r['Key']}\n" for r in PARQUET_ROWS)
    csv = write(tmp_path, "mine.csv", csv_text)
    assert ingest.read(pq, _con(), mapping=MAPPING, constants=CONSTANTS).in_place
    stored = {}
    for label, path in (("pq", pq), ("csv", csv)):
        with Store(tmp_path / f"{label}.duckdb", empty=True) as store:
            assert ingest.ingest_file(store, path, mapping=MAPPING, constants=CONSTANTS).added == 3
            assert ingest.ingest_file(store, path, mapping=MAPPING,
                                      constants=CONSTANTS).unchanged == 3
            stored[label] = [p for p in store.fingerprint().split(";")
                             if p.startswith("events:")]
    assert stored["pq"] == stored["csv"]


def _con():
    import duckdb

    return duckdb.connect()


def test_bad_parquet_rows_are_located_by_their_position(tmp_path, empty_store):
    rows = [dict(r) for r in PARQUET_ROWS]
    rows[1]["What"] = "missile_tst"
    rows[2]["Who"] = "ZZZ"
    pq = _parquet(tmp_path, "bad.parquet", rows)
    error = ingest_refused(empty_store, pq, mapping=MAPPING, constants=CONSTANTS)
    assert {(p.row, p.field) for p in error.problems} == {(2, "kind"), (3, "actor")}


def test_a_parquet_file_replaced_during_the_ingest_is_refused(tmp_path, empty_store):
    pq = _parquet(tmp_path, "moving.parquet", PARQUET_ROWS)
    batch = ingest.read(pq, empty_store.con, mapping=MAPPING, constants=CONSTANTS)
    before = empty_store.fingerprint()
    _parquet(tmp_path, "moving.parquet", PARQUET_ROWS[:1])  # rewritten after the read
    with pytest.raises(IngestError, match="changed while it was being ingested"):
        ingest.ingest_batch(empty_store, batch)
    assert empty_store.fingerprint() == before
