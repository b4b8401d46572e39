"""The DuckDB event store: schema, ingest transactions, identity and merging, queries."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.errors import IngestError, SchemaVersionError, StoreError
from detente.events.event import Event, event_id
from detente.events.store import MIGRATIONS, STAGED_COLUMNS, Store
from tests.strategies import event_dicts


def missile(ref: str, day: str, n: int | None = None, source: str = "cns", **attrs) -> Event:
    key = f"missile_test|PRK|{day}|{n}" if n is not None else None
    return Event(date=dt.date.fromisoformat(day), actor="PRK", kind="missile_test",
                 attrs={"class": "SRBM", **attrs}, source=source, source_ref=ref, match_key=key)


def test_new_empty_store_has_current_schema(store_path):
    with Store(store_path, empty=True) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.count() == 0


def test_ids_are_stable_hashes_computed_alike_in_python_and_sql(empty_store):
    event = missile("F1=7", "2017-07-04")
    empty_store.ingest_events([event])
    assert event.id == event_id("cns", "F1=7")
    assert [e.id for e in empty_store.events()] == [event.id]


def test_reingest_adds_nothing_and_leaves_store_identical(empty_store):
    events = [missile(f"F1={i}", "2017-07-04", i) for i in range(1, 4)]
    first = empty_store.ingest_events(events)
    before = empty_store.fingerprint()
    again = empty_store.ingest_events(events)
    assert (first.added, again.added, again.unchanged) == (3, 0, 3)
    assert empty_store.fingerprint() == before


def test_same_launch_from_two_sources_is_one_event_with_both_sources(empty_store):
    empty_store.ingest_events([missile("F1=1", "2017-07-04", 1)])
    result = empty_store.ingest_events([missile("2017-07-04#1", "2017-07-04", 1, source="json")])
    assert (result.added, result.merged) == (0, 1)
    (event,) = list(empty_store.events())
    assert event.source == "cns"
    assert [(r.source, r.source_ref) for r in event.also] == [("json", "2017-07-04#1")]
    # The alias id finds the event too, and re-ingesting the second source adds nothing.
    assert empty_store.get(event_id("json", "2017-07-04#1")).id == event.id
    assert empty_store.ingest_events([missile("2017-07-04#1", "2017-07-04", 1,
                                              source="json")]).unchanged == 1


def salvo(day: str) -> Event:
    return Event(date=dt.date.fromisoformat(day), actor="PRK", kind="missile_test",
                 source="csis", source_ref=f"{day}/salvo", match_key=f"missile_test|PRK|{day}|*")


def test_summary_row_links_to_every_item_of_its_salvo(empty_store):
    empty_store.ingest_events([missile(f"F1={i}", "2017-07-04", i) for i in (1, 2, 3)])
    result = empty_store.ingest_events([salvo("2017-07-04"), salvo("2017-07-05")])
    assert (result.linked, result.added) == (1, 1)
    by_day = empty_store.query().groupby(empty_store.query()["date"].dt.day).size().to_dict()
    assert by_day == {4: 3, 5: 1}
    for event in empty_store.events(start="2017-07-04", end="2017-07-04"):
        assert ("csis", "2017-07-04/salvo") in [(r.source, r.source_ref) for r in event.also]


def test_items_arriving_after_their_summary_absorb_it(empty_store):
    empty_store.ingest_events([salvo("2017-07-05")])
    result = empty_store.ingest_events([missile("F1=9", "2017-07-05", 1),
                                        missile("F1=10", "2017-07-05", 2)])
    assert result.added == 2
    events = list(empty_store.events())
    assert len(events) == 2  # the summary event is gone, not double counted
    assert all(("csis", "2017-07-05/salvo") in [(r.source, r.source_ref) for r in e.also]
               for e in events)
    # Re-ingesting the summary now changes nothing.
    assert empty_store.ingest_events([salvo("2017-07-05")]).unchanged == 1


def _frame(**overrides) -> pd.DataFrame:
    row = {"_loc": 1, "date": pd.Timestamp("2017-01-01"), "end": None, "actor": "PRK",
           "target": None, "kind": "missile_test", "attrs": "{}", "source": "t",
           "source_ref": "1", "confidence": "high", "summary": None, "match_key": None}
    row.update(overrides)
    return pd.DataFrame([row], columns=list(STAGED_COLUMNS))


@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    ({"actor": "PRKK"}, "actor", "unknown actor"),
    ({"target": "ZZZ"}, "target", "unknown actor"),
    ({"kind": "missile_tst"}, "kind", "unknown kind"),
    ({"end": pd.Timestamp("2016-01-01")}, "end", "before date"),
    ({"confidence": "certain"}, "confidence", "must be one of"),
    ({"attrs": '{"class": "ICBX"}'}, "attrs.class", "must be one of"),
    ({"attrs": '{"apogee_km": "high"}'}, "attrs.apogee_km", "type float"),
    ({"attrs": '{"colour": "red"}'}, "attrs.colour", "unknown attribute"),
    ({"attrs": '[1, 2]'}, "attrs", "JSON object"),
    ({"attrs": '{"parties": ["USA", 3]}'}, "attrs.parties", "list of strings"),
    ({"attrs": '{"parties": "USA"}'}, "attrs.parties", "type list"),
    ({"attrs": '{"class": "SRBM", "x_mine": [1]}', "target": "ZZZ"}, "target", "unknown actor"),
    ({"attrs": '{"announced": "2018-02-30"}', "kind": "military_exercise"},
     "attrs.announced", "date"),
    ({"date": None}, "date", "missing"),
])
def test_bad_rows_are_refused_with_field_and_row_and_nothing_changes(empty_store, overrides,
                                                                     field, fragment):
    empty_store.ingest_events([missile("keep", "2017-07-04")])
    before = empty_store.fingerprint()
    with pytest.raises(IngestError) as info:
        empty_store.ingest_frame(_frame(_loc=7, **overrides), file="in.csv")
    problem = next(p for p in info.value.problems if p.field == field)
    assert problem.row == 7 and problem.file == "in.csv"
    assert fragment in problem.message
    assert empty_store.fingerprint() == before


def test_every_problem_of_a_batch_is_reported_not_just_the_first(empty_store):
    frame = pd.concat([_frame(_loc=2, actor="XXX", source_ref="a"),
                       _frame(_loc=3, kind="nope", source_ref="b"),
                       _frame(_loc=4, source_ref="a")])
    with pytest.raises(IngestError) as info:
        empty_store.ingest_frame(frame, file="f.csv")
    assert {(p.row, p.field) for p in info.value.problems} == {
        (2, "actor"), (3, "kind"), (4, "source_ref")}
    assert "3 problem(s)" in str(info.value)


def test_declared_actor_becomes_acceptable(empty_store):
    with pytest.raises(IngestError):
        empty_store.ingest_frame(_frame(actor="HAMAS"), file="x")
    empty_store.declare_actor("HAMAS", "Hamas")
    assert empty_store.ingest_frame(_frame(actor="HAMAS"), file="x").added == 1
    assert empty_store.declared_actors() == {"HAMAS": "Hamas"}


def test_queries_filter_by_every_field(empty_store):
    events = [
        missile("a", "2016-02-07", **{"class": "SLV"}),
        missile("b", "2017-07-04", **{"class": "ICBM", "apogee_km": 2802.0}),
        missile("c", "2017-07-28", **{"class": "ICBM", "apogee_km": 3724.9}),
        Event(date=dt.date(2017, 8, 21), end=dt.date(2017, 8, 31), actor="USA",
              kind="military_exercise", attrs={"status": "held", "parties": ["USA", "KOR"],
                                               "name": "Ulchi-Freedom Guardian 2017"},
              source="ex", source_ref="ufg17", summary="combined command post exercise"),
        Event(date=dt.date(2017, 9, 26), actor="USA", target="PRK", kind="sanctions_designation",
              attrs={"issuer": "OFAC", "individuals": 26}, source="ofac", source_ref="0926"),
    ]
    empty_store.ingest_events(events)
    ids = lambda **f: [e.source_ref for e in empty_store.events(**f)]  # noqa: E731
    assert ids(kind="missile_test", where=["class=ICBM"]) == ["b", "c"]
    assert ids(where=["apogee_km>=3000"]) == ["c"]
    assert ids(kind="missile_test", where=["class!=ICBM"]) == ["a"]
    assert ids(where=["class=SLV,ICBM"]) == ["a", "b", "c"]
    assert ids(target="PRK") == ["0926"]
    assert ids(involving="KOR") == ["ufg17"]
    assert ids(where=["parties=KOR"]) == ["ufg17"]
    assert ids(start="2017-08-25", end="2017-08-26") == ["ufg17"]  # overlap, not start date
    assert ids(text="command post") == ["ufg17"]
    assert ids(text="freedom guardian") == ["ufg17"]  # attributes are searched, any case
    assert ids(actor="USA", source="ofac") == ["0926"]
    assert ids(limit=2, offset=1) == ["b", "c"]
    assert empty_store.count(kind="missile_test") == 3
    frame = empty_store.query(kind="missile_test")
    assert list(frame["source_ref"]) == ["a", "b", "c"]
    assert str(frame["date"].dtype).startswith("datetime64")
    assert empty_store.arrow(kind="missile_test").num_rows == 3


def test_stats_count_by_kind_actor_and_year(empty_store):
    empty_store.ingest_events([missile("a", "2016-02-07"), missile("b", "2017-07-04"),
                               missile("c", "2017-07-28")])
    stats = empty_store.stats()
    assert stats["kind"].to_dict("records") == [{"kind": "missile_test", "events": 3}]
    assert dict(zip(stats["year"]["year"], stats["year"]["events"], strict=True)) == {
        2016: 1, 2017: 2}


def test_a_store_from_a_newer_detente_is_refused(store_path):
    Store(store_path, empty=True).close()
    con = duckdb.connect(str(store_path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError, match="schema version 99"):
        Store(store_path)


def test_read_only_store_refuses_writes(store_path):
    Store(store_path, empty=True).close()
    with Store(store_path, read_only=True) as store, pytest.raises(StoreError,
                                                                   match="read-only"):
        store.ingest_events([missile("a", "2017-01-01")])


def test_export_and_reingest_round_trips_every_field(tmp_path, empty_store):
    empty_store.ingest_events([missile("F1=1", "2017-07-04", 1, apogee_km=2802.0),
                               missile("x#1", "2017-07-04", 1, source="json"),
                               salvo("2017-07-04")])
    out = tmp_path / "export.parquet"
    empty_store.export_parquet(out)
    with Store(tmp_path / "copy.duckdb", empty=True) as copy:
        from detente.events import ingest

        ingest.ingest_file(copy, out)
        assert copy.query().astype(str).equals(empty_store.query().astype(str))
        before = copy.fingerprint()
        assert ingest.ingest_file(copy, out).unchanged == 1
        assert copy.fingerprint() == before


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_dicts(), min_size=1, max_size=20))
def test_events_round_trip_through_the_store(tmp_path_factory, dicts):
    events = [Event(**d) for d in dicts]
    path = tmp_path_factory.mktemp("rt") / "s.duckdb"
    with Store(path, empty=True) as store:
        store.ingest_events(events)
        stored = {e.id: e for e in store.events()}
    assert set(stored) == {e.id for e in events}
    for e in events:
        got = stored[e.id]
        assert got.model_dump(exclude={"also"}) == e.model_dump(exclude={"also"})


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_dicts(), min_size=1, max_size=15), st.data())
def test_reingesting_any_subset_adds_nothing(tmp_path_factory, dicts, data):
    events = [Event(**d) for d in dicts]
    subset = data.draw(st.lists(st.sampled_from(events), max_size=len(events), unique_by=id))
    path = tmp_path_factory.mktemp("idem") / "s.duckdb"
    with Store(path, empty=True) as store:
        store.ingest_events(events)
        before = store.fingerprint()
        if subset:
            result = store.ingest_events(subset)
            assert result.added == 0 and result.unchanged == len(subset)
        assert store.fingerprint() == before


def test_attrs_are_stored_as_minified_json_whatever_the_input_spacing(empty_store):
    empty_store.ingest_frame(_frame(attrs='{ "class" :  "ICBM" }'), file="x")
    assert empty_store.query()["attrs_json"].tolist() == [json.dumps({"class": "ICBM"},
                                                                separators=(",", ":"))]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_dicts(), min_size=1, max_size=25), st.data())
def test_date_range_queries_select_exactly_the_overlapping_events(tmp_path_factory, dicts, data):
    events = [Event(**d) for d in dicts]
    start = data.draw(st.dates(dt.date(1949, 1, 1), dt.date(2031, 1, 1)))
    end = data.draw(st.one_of(st.none(), st.dates(start, dt.date(2031, 12, 31))))
    path = tmp_path_factory.mktemp("span") / "s.duckdb"
    with Store(path, empty=True) as store:
        for half in (events[::2], events[1::2]):  # the longest span is kept across ingests
            store.ingest_events(half)
        assert store.span_days() == max((e.last_day - e.date).days for e in events)
        got = {e.id for e in store.events(start=start, end=end)}
    expected = {e.id for e in events
                if e.last_day >= start and (end is None or e.date <= end)}
    assert got == expected


def test_query_names_its_json_column_apart_from_pandas_attrs_and_expands_it(empty_store):
    from tests.strategies import make_event

    empty_store.ingest_events([
        make_event("a", dt.date(2017, 7, 4), "PRK", "missile_test",
                   {"class": "ICBM", "apogee_km": 2802.0}),
        make_event("b", dt.date(2017, 7, 28), "PRK", "missile_test", {"class": "ICBM"}),
        make_event("c", dt.date(2017, 9, 3), "PRK", "nuclear_test", {})])
    frame = empty_store.query()
    assert "attrs" not in frame.columns and frame.attrs == {}  # pandas' own metadata, untouched
    assert json.loads(frame["attrs_json"].iloc[0])["class"] == "ICBM"
    wide = empty_store.query(expand_attrs=True)
    assert "attrs_json" not in wide.columns
    assert wide["attr.class"].tolist()[:2] == ["ICBM", "ICBM"]
    assert wide["attr.apogee_km"].iloc[0] == 2802.0 and pd.isna(wide["attr.apogee_km"].iloc[1])
    assert pd.isna(wide["attr.class"].iloc[2])
    assert empty_store.query(expand_attrs=True, kind="nuclear_test").shape[0] == 1
    assert empty_store.query(expand_attrs=True, actor="USA").empty
