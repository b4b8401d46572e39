"""The generic adapter: users' own CSV, JSON and Parquet files, and what they get wrong."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.errors import IngestError
from detente.events import ingest
from tests.strategies import event_dicts

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
    assert "columns: Day, Actor" in str(error)  # the columns the file does have


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


# --- each record keeps its own attributes; the JSON export round-trips ------------------------

def _events_part(store) -> list[str]:
    """The fingerprint of the events and the aliases (the ingest log differs by its times)."""
    return [p for p in store.fingerprint().split(";") if p.startswith(("events:", "aliases:"))]


def attrs_by_ref(store) -> list[dict]:
    """Each event's attributes, in source_ref order (events of one day come in id order)."""
    return [e.attrs for e in sorted(store.events(), key=lambda e: e.source_ref)]


def _lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


MISSILE = {"date": "2017-07-04", "actor": "PRK", "kind": "missile_test", "source_ref": "m1"}
EXERCISE = {"date": "2017-08-21", "actor": "USA", "kind": "military_exercise",
            "source_ref": "e1"}


@pytest.mark.parametrize("name", ["mixed.jsonl", "mixed.json"])
def test_json_records_keep_exactly_their_own_attributes(tmp_path, empty_store, name):
    records = [{**MISSILE, "attrs": {"class": "ICBM"}},
               {**EXERCISE, "attrs": {"status": "held"}, "extra": None}]
    text = _lines(*records) if name.endswith("l") else json.dumps(records)
    path = write(tmp_path, name, text)
    assert ingest.ingest_file(empty_store, path, constants=CONSTANTS).added == 2
    assert [e.attrs for e in empty_store.events()] == [{"class": "ICBM"}, {"status": "held"}]
    stored = [a for (a,) in empty_store.con.execute("SELECT attrs FROM events ORDER BY date")
              .fetchall()]
    assert stored == ['{"class":"ICBM"}', '{"status":"held"}']  # no null members


def test_json_numbers_keep_each_records_own_type(tmp_path, empty_store):
    path = write(tmp_path, "series.jsonl", _lines({**MISSILE, "attrs": {"series": 1}},
                                                  {**MISSILE, "source_ref": "m2",
                                                   "attrs": {"series": 2.5}}))
    error = ingest_refused(empty_store, path, constants=CONSTANTS)
    assert [(p.row, p.field, p.value) for p in error.problems] == [(2, "attrs.series", "2.5")]
    ok = write(tmp_path, "x.jsonl", _lines({**MISSILE, "attrs": {"x_n": 1}},
                                           {**MISSILE, "source_ref": "m2",
                                            "attrs": {"x_n": 2.5, "x_f": 2.0}}))
    ingest.ingest_file(empty_store, ok, constants=CONSTANTS)
    assert attrs_by_ref(empty_store) == [{"x_n": 1}, {"x_n": 2.5, "x_f": 2.0}]
    assert type(attrs_by_ref(empty_store)[0]["x_n"]) is int


def _export_json(db: Path) -> str:
    from typer.testing import CliRunner

    from detente.cli import app

    result = CliRunner().invoke(app, ["events", "list", "--format", "json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stdout


def _store_of(db: Path, events) -> list[str]:
    from detente.events.store import Store

    with Store(db, empty=True) as store:
        store.ingest_events(events)
        return _events_part(store)


def test_json_export_reingests_into_the_same_store(tmp_path):
    import datetime as dt

    from detente.events.event import Event
    from detente.events.store import Store

    def missile(ref, n, source="cns", **attrs):
        return Event(date=dt.date(2017, 7, 4), actor="PRK", kind="missile_test", attrs=attrs,
                     source=source, source_ref=ref, match_key=f"missile_test|PRK|2017-07-04|{n}")

    events = [missile("a", 1, **{"class": "ICBM", "apogee_km": 2802.0, "series": 1}),
              missile("b", 1, source="csis", outcome="success"),  # an alias of a
              missile("c", 2, x_note="caf\u00e9 \u2603", x_list=["x", "y"], x_big=1e20),
              Event(date=dt.date(2017, 8, 21), end=dt.date(2017, 8, 31), actor="USA",
                    target="PRK", kind="military_exercise", attrs={"status": "held"},
                    source="ex", source_ref="ufg", summary="Ulchi Freedom Guardian")]
    original = _store_of(tmp_path / "a.duckdb", events)
    assert "aliases:1:" in original[1]
    for name, text in (("all.json", _export_json(tmp_path / "a.duckdb")),
                       ("all.jsonl", _lines(*json.loads(_export_json(tmp_path / "a.duckdb"))))):
        with Store(tmp_path / f"{name}.duckdb", empty=True) as copy:
            result = ingest.ingest_file(copy, write(tmp_path, name, text))
            assert (result.rows, result.added) == (3, 3)
            assert _events_part(copy) == original


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_dicts(), min_size=1, max_size=8))
def test_any_json_export_round_trips(tmp_path_factory, dicts):
    from detente.events.event import Event
    from detente.events.store import Store

    folder = tmp_path_factory.mktemp("jsonrt")
    original = _store_of(folder / "a.duckdb", [Event(**d) for d in dicts])
    path = write(folder, "all.json", _export_json(folder / "a.duckdb"))
    with Store(folder / "b.duckdb", empty=True) as copy:
        ingest.ingest_file(copy, path)
        assert _events_part(copy) == original


# --- what a CSV attrs cell and mapped attribute columns hold ---------------------------------

@pytest.mark.parametrize("extra", [{}, {"attrs.class": "cls"}])
def test_bad_json_in_a_csv_attrs_cell_is_refused(tmp_path, empty_store, extra):
    path = write(tmp_path, "a.csv", "date,actor,kind,source_ref,attrs,cls\n"
                 '2017-07-04,PRK,missile_test,a,"{""class"": ""ICBM""}",ICBM\n'
                 "2017-07-05,PRK,missile_test,b,{bad json},ICBM\n"
                 "2017-07-06,PRK,missile_test,c,,ICBM\n"
                 '2017-07-07,PRK,missile_test,d,"[1, 2]",ICBM\n')
    error = ingest_refused(empty_store, path, mapping=extra, constants=CONSTANTS)
    assert [(p.row, p.field, p.value) for p in error.problems] == [
        (2, "attrs", "{bad json}"), (4, "attrs", "[1, 2]")]


def test_non_finite_numbers_are_refused_where_they_are(tmp_path, empty_store):
    import duckdb

    pq = tmp_path / "v.parquet"
    duckdb.sql(f"""COPY (SELECT * FROM (VALUES ('2017-07-04', 'a', 1.5::DOUBLE),
                   ('2017-07-05', 'b', 'inf'::DOUBLE), ('2017-07-06', 'c', 'nan'::DOUBLE))
                   t(date, source_ref, v)) TO '{pq}' (FORMAT parquet)""")
    mapping = {"attrs.x_v": "v"}
    constants = {**CONSTANTS, "actor": "PRK", "kind": "missile_test"}
    error = ingest_refused(empty_store, pq, mapping=mapping, constants=constants)
    assert [(p.row, p.field, p.value) for p in error.problems] == [
        (2, "attrs.x_v", "Infinity"), (3, "attrs.x_v", "NaN")]
    text = (_lines({**MISSILE, "attrs": {"x_v": 1.5, "x_s": "NaN, or Infinity]"}})
            + '{"date": "2017-07-05", "actor": "PRK", "kind": "missile_test", '
              '"source_ref": "m2", "attrs": {"x_l": [1, -Infinity], "x_v": NaN}}\n')
    error = ingest_refused(empty_store, write(tmp_path, "nan.jsonl", text), constants=CONSTANTS)
    assert [(p.row, p.field, p.value) for p in error.problems] == [
        (2, "attrs.x_l", "-Infinity"), (2, "attrs.x_v", "NaN")]
    # In a CSV file nan is text, and stays text in an extension attribute (valid JSON).
    csv_path = write(tmp_path, "v.csv", "date,source_ref,v\n2017-07-04,a,nan\n2017-07-05,b,inf\n")
    ingest.ingest_file(empty_store, csv_path, mapping=mapping, constants=constants)
    assert attrs_by_ref(empty_store) == [{"x_v": "nan"}, {"x_v": "inf"}]
    error = ingest_refused(empty_store, csv_path, mapping={"attrs.apogee_km": "v"},
                           constants={**constants, "source": "declared"})
    assert [(p.row, p.field) for p in error.problems] == [(1, "attrs.apogee_km"),
                                                          (2, "attrs.apogee_km")]


def test_csv_text_becomes_a_number_only_where_the_attribute_is_one(tmp_path, empty_store):
    path = write(tmp_path, "n.csv", "date,source_ref,x,s\n2017-07-04,a,007,007\n"
                 "2017-07-05,b,7,7.0\n2017-07-06,c,2.50,+3\n2017-07-07,d,2.5,3\n"
                 "2017-07-08,e,1e3,03\n2017-07-09,f,-0,4\n")
    constants = {**CONSTANTS, "actor": "PRK", "kind": "missile_test"}
    ingest.ingest_file(empty_store, path, mapping={"attrs.x_ref": "x", "attrs.series": "s"},
                       constants=constants)
    assert attrs_by_ref(empty_store) == [
        {"x_ref": "007", "series": 7}, {"x_ref": 7, "series": 7},
        {"x_ref": "2.50", "series": 3}, {"x_ref": 2.5, "series": 3},
        {"x_ref": "1e3", "series": 3}, {"x_ref": "-0", "series": 4}]
    bad = write(tmp_path, "b.csv", "date,source_ref,s\n2017-07-04,a,2.5\n2017-07-05,b,1e3\n"
                "2017-07-06,c,0x10\n2017-07-07,d,1_000\n")
    error = ingest_refused(empty_store, bad, mapping={"attrs.series": "s"},
                           constants={**constants, "source": "b"})
    assert [p.row for p in error.problems] == [1, 2, 3, 4]  # not silently 3, 1000, 16, 1000
    assert {p.field for p in error.problems} == {"attrs.series"}


def test_a_string_for_a_declared_number_in_json_is_read_like_csv_text(tmp_path, empty_store):
    path = write(tmp_path, "s.jsonl", _lines({**MISSILE, "ap": "2802", "s": "2"},
                                             {**MISSILE, "source_ref": "m2", "ap": 3724.5,
                                              "s": 3}))
    ingest.ingest_file(empty_store, path, mapping={"attrs.apogee_km": "ap",
                                                   "attrs.series": "s"}, constants=CONSTANTS)
    assert attrs_by_ref(empty_store) == [{"apogee_km": 2802.0, "series": 2},
                                                      {"apogee_km": 3724.5, "series": 3}]


# --- options and files that cannot be read: clean, located errors ----------------------------

@pytest.mark.parametrize(("options", "field", "fragment"), [
    ({"encoding": "foo"}, "encoding", "unknown encoding"),
    ({"encoding": "utf-16"}, "encoding", "not utf-16 text"),
    ({"encoding": "cp1252"}, "encoding", "utf-8, utf-16 or latin-1"),
    ({"date_format": "%Q"}, "date_format", "not a valid strptime format"),
])
def test_bad_options_are_named_with_their_value(tmp_path, empty_store, options, field,
                                                fragment):
    path = write(tmp_path, "ok.csv", GOOD)
    error = ingest_refused(empty_store, path, mapping=MAPPING, constants=CONSTANTS, **options)
    (problem,) = error.problems
    assert (problem.field, problem.value) == (field, next(iter(options.values())))
    assert fragment in problem.message


def test_bad_options_and_a_directory_exit_2_without_a_traceback(tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--empty", "--db", str(db)]).exit_code == 0
    good = write(tmp_path, "ok.csv", GOOD)
    (tmp_path / "d.csv").mkdir()
    mapped = ["--map", "date=Day", "--map", "actor=Who", "--map", "kind=What", "--set",
              "source=mine", "--db", str(db)]
    for args in ([good, "--encoding", "foo"], [good, "--date-format", "%Q"],
                 [tmp_path / "d.csv"]):
        result = runner.invoke(app, ["events", "ingest", *map(str, args), *mapped])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and str(args[0]) in result.output


def test_utf16_and_latin1_files_read_with_their_encoding(tmp_path, empty_store):
    u16 = write(tmp_path, "u16.csv", GOOD.encode("utf-16"))
    assert ingest.ingest_file(empty_store, u16, mapping=MAPPING, constants=CONSTANTS,
                              encoding="utf-16").added == 2
    l1 = write(tmp_path, "l1.csv", (GOOD.replace("a1", "caf\xe9")).encode("latin-1"))
    assert ingest.ingest_file(empty_store, l1, mapping=MAPPING, constants={"source": "l"},
                              encoding="latin1").added == 2


def test_a_row_with_an_extra_field_is_located(tmp_path, empty_store):
    # DuckDB's sniffer took such a last row for the header and dropped the rows above it.
    path = write(tmp_path, "extra.csv", GOOD + "2017-08-01,PRK,missile_test,ICBM,a3,oops\n")
    error = ingest_refused(empty_store, path, mapping=MAPPING, constants=CONSTANTS)
    assert [(p.line, p.message) for p in error.problems] == [
        (4, "has 6 fields, the header has 5 (an unquoted delimiter?)")]


@pytest.mark.parametrize(("text", "fragment"), [
    ("[1, 2, 3]", "is a number, not an object"),
    ('"hello"', "is a string, not an object"),
    ("[[{}]]", "is a list, not an object"),
    (json.dumps({"events": [MISSILE]}), "its member 'events' is a list"),
])
def test_json_that_is_not_a_list_of_objects_says_so(tmp_path, empty_store, text, fragment):
    error = ingest_refused(empty_store, write(tmp_path, "n.json", text), constants=CONSTANTS)
    assert fragment in str(error) and "list of objects" in str(error).replace("JSON ", "")


def test_an_empty_json_list_is_zero_rows(tmp_path, empty_store):
    assert ingest.ingest_file(empty_store, write(tmp_path, "e.json", "[]\n"),
                              constants=CONSTANTS).rows == 0


def test_an_unmapped_required_field_lists_the_columns_the_file_has(tmp_path, empty_store):
    path = write(tmp_path, "c.csv", "Date,actor,kind\n2017-07-04,PRK,nuclear_test\n")
    error = ingest_refused(empty_store, path, constants=CONSTANTS)
    (problem,) = error.problems
    assert problem.field == "date" and "columns: Date, actor, kind" in str(error)


def test_a_wide_file_lists_its_columns_once(tmp_path, empty_store):
    names = [f"Column{i}" for i in range(61)]
    path = write(tmp_path, "wide.csv", ",".join(names) + "\n" + ",".join("1" * 61) + "\n")
    error = ingest_refused(empty_store, path)
    assert [p.field for p in error.problems] == ["date", "actor", "kind", "source"]
    assert str(error).count("Column1,") == 1 and "Column24, ... (36 more)" in str(error)


@pytest.mark.parametrize(("name", "text", "line"), [
    ("bad.jsonl", '{"a": 1}\n{"a": }\n{"a": 3}\n', 2),
    ("bad.json", '[\n  {"a": 1},\n  {"a": }\n]\n', 3),
    ("lines.json", '{"a": 1}\n{"a": 2}\n{"a" 3}\n', 3),
    ("utf.jsonl", b'{"a": "x"}\n{"a": "caf\xe9"}\n', 2),
])
def test_json_syntax_errors_name_their_line(tmp_path, empty_store, name, text, line):
    error = ingest_refused(empty_store, write(tmp_path, name, text), constants=CONSTANTS)
    assert [p.line for p in error.problems] == [line]


def test_long_csv_lines_read_up_to_the_stated_limit(tmp_path, empty_store, monkeypatch):
    from detente.events.ingest import records

    big = "x" * 2_100_000  # over DuckDB's default line limit (2,000,000 bytes)
    path = write(tmp_path, "long.csv", f"date,actor,kind,source_ref,summary\n"
                 f"2017-07-04,PRK,nuclear_test,a,short\n2017-07-05,PRK,nuclear_test,b,{big}\n")
    assert ingest.ingest_file(empty_store, path, constants=CONSTANTS).added == 2
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1000)
    error = ingest_refused(empty_store, path, constants={"source": "small"})
    (problem,) = error.problems
    assert problem.line == 3 and "at most 1,000 bytes" in problem.message
