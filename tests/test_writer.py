"""The store's two write paths: the direct one (validate and insert in one pass) must accept and
refuse exactly what the full one does, and leave the same store behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.errors import IngestError
from detente.events import validation, writer
from detente.events.event import Event
from detente.events.store import STAGED_COLUMNS, Store
from tests.strategies import event_dicts

# Each breaks one rule: row rules (checked inside the INSERT) and batch rules (checked first).
CORRUPTIONS = [
    {"actor": "ZZZ"}, {"target": "QQQ"}, {"kind": "missile_tst"}, {"confidence": "sure"},
    {"date": None}, {"end": pd.Timestamp("1900-01-01")}, {"attrs": "[1]"}, {"attrs": "{bad"},
    {"attrs": '{"colour": "red"}'}, {"attrs": '{"x_v": Infinity}'}, {"source_ref": "dup"},
]


def _rows(events: list[Event]) -> list[dict]:
    rows = []
    for i, event in enumerate(events):
        row = {"_loc": i + 2, **{c: getattr(event, c) for c in STAGED_COLUMNS[1:]}}
        row.update(kind=str(event.kind), match_key=None,
                   attrs=json.dumps(event.attrs, sort_keys=True))
        row["date"], row["end"] = pd.Timestamp(event.date), (
            pd.Timestamp(event.end) if event.end else None)
        rows.append(row)
    return rows


def _ingest(path, rows: list[dict], *, full_only: bool, monkeypatch, before=(),
            in_place: bool = False, columns=STAGED_COLUMNS):
    """The fingerprint after ingesting ``rows`` (or the problems refused), and the result.
    ``in_place``: from a temp table read where it is, as the coded adapters' batches are.
    ``columns``: those of the incoming batch."""
    with monkeypatch.context() as patch:
        if full_only:
            patch.setattr(writer, "write_direct", lambda *a, **k: None)
        with Store(path, empty=True) as store:
            if before:
                store.ingest_frame(pd.DataFrame(before, columns=list(STAGED_COLUMNS)), file="a")
            frame = pd.DataFrame(rows, columns=list(columns))
            try:
                if in_place:
                    frame = frame.astype({"date": "datetime64[ms]", "end": "datetime64[ms]"})
                    store.con.execute("CREATE TEMP TABLE incoming AS SELECT * FROM frame")
                    result = store.ingest_relation(store.con.sql("SELECT * FROM incoming"),
                                                   file="b.csv", fmt="frame", in_place=True)
                elif "attrs" in columns:
                    result = store.ingest_frame(frame, file="b.csv")
                else:  # ingest_frame insists on every staged column
                    frame = frame.astype({"date": "datetime64[ms]", "end": "datetime64[ms]"})
                    result = store.ingest_relation(store.con.from_df(frame), file="b.csv",
                                                   fmt="frame")
                outcome = (result.added, result.unchanged)
            except IngestError as exc:
                outcome = [(p.row, p.field, p.message) for p in exc.problems]
            # Everything but the ingest log's clock.
            kept = [part for part in store.fingerprint().split(";")
                    if not part.startswith("ingests:")]
            log = store.ingest_log().drop(columns="ingested_at").to_dict("records")
            return kept, log, outcome


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_dicts(), min_size=1, max_size=12, unique_by=lambda d: d["source_ref"]),
       st.lists(st.tuples(st.integers(0, 11), st.sampled_from(CORRUPTIONS)), max_size=3),
       st.integers(0, 12), st.booleans(), st.booleans())
def test_direct_and_full_paths_accept_refuse_and_store_alike(tmp_path_factory, monkeypatch,
                                                             dicts, corruptions, known,
                                                             in_place, with_attrs):
    rows = _rows([Event(**{**d, "match_key": None}) for d in dicts])
    before = [dict(r) for r in rows[:known]]  # some rows already in the store
    for index, change in corruptions:
        rows[index % len(rows)].update(change)
        if change.get("source_ref") == "dup" and len(rows) > 1:
            rows[(index + 1) % len(rows)]["source_ref"] = "dup"
    # Without an attributes column every row's are {} and the direct path skips their checks.
    columns = STAGED_COLUMNS if with_attrs else [c for c in STAGED_COLUMNS if c != "attrs"]
    folder = tmp_path_factory.mktemp("paths")
    direct = _ingest(folder / "d.duckdb", rows, full_only=False, monkeypatch=monkeypatch,
                     before=before, in_place=in_place, columns=columns)
    full = _ingest(folder / "f.duckdb", rows, full_only=True, monkeypatch=monkeypatch,
                   before=before, columns=columns)
    assert direct == full


def test_an_edited_row_of_a_stored_event_is_still_checked(empty_store):
    row = {"_loc": 1, "date": pd.Timestamp("2017-01-01"), "end": None, "actor": "PRK",
           "target": None, "kind": "missile_test", "attrs": "{}", "source": "t",
           "source_ref": "1", "confidence": "high", "summary": None, "match_key": None}
    empty_store.ingest_frame(pd.DataFrame([row]), file="first.csv")
    before = empty_store.fingerprint()
    edited = pd.DataFrame([{**row, "_loc": 4, "kind": "missile_tst"}])
    with pytest.raises(IngestError) as info:
        empty_store.ingest_frame(edited, file="second.csv")
    assert [(p.row, p.field) for p in info.value.problems] == [(4, "kind")]
    assert empty_store.fingerprint() == before


def test_the_direct_path_takes_plain_batches_and_declines_keyed_or_broken_ones(empty_store):
    con = empty_store.con
    good = pd.DataFrame([{"_loc": i, "date": pd.Timestamp("2017-01-01"), "end": None,
                          "actor": "PRK", "target": None, "kind": "missile_test",
                          "attrs": "{}", "source": "t", "source_ref": str(i),
                          "confidence": "high", "summary": None, "match_key": None}
                         for i in range(1, 4)])

    def attempt(frame: pd.DataFrame):
        con.begin()
        try:
            return writer.write_direct(con, con.from_df(frame), file="x", loc="row")
        finally:
            con.rollback()
            writer.drop_staged(con)

    result, span = attempt(good)
    assert (result.rows, result.added, span) == (3, 3, 0)
    assert attempt(good.assign(match_key="missile_test|PRK|2017-01-01|1")) is None
    assert attempt(good.assign(actor=["PRK", "ZZZ", "PRK"])) is None
    assert empty_store.count() == 0


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None]),
                          st.sampled_from(["1", "2", "3", "", None])), max_size=12))
def test_duplicate_keys_are_counted_exactly(empty_store, keys):
    # The count of distinct key hashes only decides whether the exact count must run.
    con = empty_store.con
    frame = pd.DataFrame(keys, columns=["source", "source_ref"], dtype=object)
    con.register("keys_frame", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM keys_frame")
    con.unregister("keys_frame")
    counts: dict = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    assert validation.duplicated_keys(con) == sum(1 for n in counts.values() if n > 1)
    con.execute("DROP TABLE temp.staged")


def test_text_fields_are_stored_without_surrounding_spaces(empty_store):
    padded = {"_loc": 1, "date": pd.Timestamp("2017-01-01"), "end": None, "actor": " PRK ",
              "target": "  ", "kind": "missile_test ", "attrs": '  { "class" : "ICBM" } ',
              "source": " t", "source_ref": " 7 ", "confidence": "high ", "summary": None,
              "match_key": " "}
    blank_attrs = {**padded, "_loc": 2, "source_ref": "8", "attrs": "   "}
    empty_store.ingest_frame(pd.DataFrame([padded, blank_attrs]), file="padded.csv")
    stored = empty_store.query().sort_values("source_ref")
    assert stored["actor"].tolist() == ["PRK", "PRK"]
    assert stored["target"].isna().all() and stored["match_key"].isna().all()
    assert stored["kind"].tolist() == ["missile_test"] * 2
    assert stored["source_ref"].tolist() == ["7", "8"]
    assert stored["attrs_json"].tolist() == ['{"class":"ICBM"}', "{}"]


def test_non_finite_numbers_in_attributes_are_refused(empty_store):
    row = {"_loc": 1, "date": pd.Timestamp("2017-01-01"), "end": None, "actor": "PRK",
           "target": None, "kind": "missile_test", "attrs": '{"x_v": NaN}', "source": "t",
           "source_ref": "1", "confidence": "high", "summary": None, "match_key": None}
    fine = {**row, "_loc": 2, "source_ref": "2", "attrs": '{"x_v": "NaN", "x_w": 1.5}'}
    infinite = {**row, "_loc": 3, "source_ref": "3", "attrs": '{"x_w": -Infinity}'}
    with pytest.raises(IngestError) as info:
        empty_store.ingest_frame(pd.DataFrame([row, fine, infinite]), file="n.csv")
    assert [(p.row, p.field, p.value) for p in info.value.problems] == [
        (1, "attrs.x_v", "NaN"), (3, "attrs.x_w", "-Infinity")]
    assert empty_store.ingest_frame(pd.DataFrame([fine]), file="ok.csv").added == 1


@settings(max_examples=40, deadline=None)
@given(source=st.text(min_size=1, max_size=12), ref=st.text(min_size=1, max_size=20))
def test_the_stores_sql_id_is_the_python_id(source, ref):
    """One id formula: ``event.id_sql`` in DuckDB gives what ``event.event_id`` gives."""
    import duckdb

    from detente.events.event import event_id, id_sql

    got = duckdb.sql(f"SELECT {id_sql('s', 'r')} FROM (SELECT ? AS s, ? AS r)",
                     params=[source, ref]).fetchall()[0][0]
    assert got == event_id(source, ref)


@pytest.mark.parametrize("known", [False, True])
def test_a_gdelt_export_in_random_date_order_is_stored_in_date_order(tmp_path, empty_store,
                                                                      known, monkeypatch):
    """The store keeps events in date order (what lets date filters skip row groups): the
    typed-attribute path sorts the struct and writes ids and JSON after the sort, or (a store
    with events, ``known``) carries the ids its test for known rows hashed through the sort."""
    from detente.events.ingest import coded, gdelt

    fixture = Path(__file__).parent / "fixtures" / "interop" / "20170720000000.export.CSV"
    if known:
        shutil.copy(fixture, tmp_path / fixture.name)
        assert coded.ingest(empty_store, tmp_path / fixture.name).result.added == 12
    good = fixture.read_text().split("\n")[0].split("\t")
    at = gdelt.V2_COLUMNS.index("SQLDATE")
    lines = []
    for i in range(2_000):
        fields = [str(720_000_000 + i), *good[1:]]
        fields[at] = f"2016{1 + (i * 7919) % 12:02d}{1 + (i * 104729) % 28:02d}"  # < DATEADDED
        lines.append("\t".join(fields))
    path = tmp_path / "20180101000000.export.CSV"
    path.write_text("\n".join(lines) + "\n")

    def no_full_path(*_args, **_kwargs):
        raise AssertionError("the full path ran")

    monkeypatch.setattr(writer, "merge", no_full_path)  # the direct path writes it
    done = coded.ingest(empty_store, path)
    assert done.result.added == 2_000
    dates = [d for (d,) in empty_store.con.execute(
        "SELECT date FROM stored_events WHERE source_ref >= '720000000' ORDER BY rowid"
    ).fetchall()]
    assert len(set(dates)) > 50  # the file was in no date order
    assert dates == sorted(dates)
    ids = empty_store.con.execute("SELECT id, source, source_ref FROM stored_events").fetchall()
    from detente.events.event import event_id
    assert all(i == event_id(s, r) for i, s, r in ids)
