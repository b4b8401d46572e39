"""Datasets read in place beside the store (``events attach``): the same answers as the same
rows ingested, checks at attach, files that change, and the scans fanned out on Dask."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from detente import matcher, monitor, replay, scale, tension
from detente.agreements import presets
from detente.cli import app
from detente.errors import IngestError, StoreError
from detente.events import coverage
from detente.events.query import EventFilter
from detente.events.store import BUNDLED_SOURCES, Store
from detente.web.index import EventIndex, sql_page

PRESETS = ("post-olympic-pause", "freeze-for-freeze")
FILTERS = [
    EventFilter(),
    EventFilter(actor="PRK", kind="missile_test", start="2017-01-01", end="2017-12-31"),
    EventFilter(involving="USA", start="2018-03-01"),
    EventFilter(kind="military_exercise", where=("status!=held",), end="2010-12-31"),
    EventFilter(text="launch", limit=7, offset=3),
    EventFilter(kind="missile_test", where=("apogee_km>=1000",)),
    EventFilter(source="us-sanctions", start="2016-01-01", end="2016-12-31"),
]


@pytest.fixture(scope="module")
def pair(bundled, tmp_path_factory):
    """Two stores holding the bundled record with its coverage: ingested from an export, and
    attached as a partitioned export."""
    folder = tmp_path_factory.mktemp("pair")
    with Store(bundled, read_only=True) as source:
        source.export_parquet(folder / "all.parquet")
        source.export_parquet(folder / "parts", partition_by=("year", "month"))
    declared = coverage.read_sources(BUNDLED_SOURCES)
    with Store(folder / "ingested.duckdb", empty=True) as store:
        store.declare_coverage(declared, with_next_ingest=True)
        from detente.events import ingest

        assert ingest.ingest_file(store, folder / "all.parquet").added > 1000
    with Store(folder / "attached.duckdb", empty=True) as store:
        store.attach(folder / "parts", declared)
    return folder


def test_attached_dataset_answers_like_the_same_rows_ingested(pair):
    with Store(pair / "ingested.duckdb", read_only=True) as a, \
            Store(pair / "attached.duckdb", read_only=True) as b:
        assert b.con.execute("SELECT count(*) FROM stored_events").fetchall() == [(0,)]
        assert (a.count(), a.date_range(), a.span_days(), a.record_end()) == \
            (b.count(), b.date_range(), b.span_days(), b.record_end())
        assert a.coverage() == b.coverage()
        for flt in FILTERS:
            assert list(a.records(flt)) == list(b.records(flt)), flt
            assert a.count(flt) == b.count(flt)
        first = next(a.records(EventFilter(kind="missile_test", start="2017-02-12")))
        alias = first["also"][0]
        alias_id = __import__("hashlib").sha256(
            f"{alias['source']}\x1f{alias['source_ref']}".encode()).hexdigest()[:16]
        assert a.get(alias_id) == b.get(alias_id) == a.get(first["id"])
        assert {k: v.to_dict() for k, v in a.stats().items()} == \
            {k: v.to_dict() for k, v in b.stats().items()}
        for preset in PRESETS:
            spec = presets.load(preset)
            assert monitor.check(spec, a).to_json_dict() == monitor.check(spec, b).to_json_dict()
            start, end = dt.date(2006, 1, 1), dt.date(2023, 12, 31)
            assert replay.whatif(spec, a, start, end).to_json_dict() == \
                replay.whatif(spec, b, start, end).to_json_dict()
            compiled = matcher.compile(spec)
            assert compiled.frame(a, start, end).equals(compiled.frame(b, start, end))
        assert tension.tension(a, "PRK-USA", weekly=True).to_json_dict() == \
            tension.tension(b, "PRK-USA", weekly=True).to_json_dict()
        assert tension.windows(a, actors=["PRK"]).to_json_dict() == \
            tension.windows(b, actors=["PRK"]).to_json_dict()
        assert tension.dyads(a, weekly=True).frame.equals(tension.dyads(b, weekly=True).frame)
        flt = EventFilter(actor="PRK", start="2017-01-01", limit=20)
        assert EventIndex(a, ()).query(flt) == EventIndex(b, ()).query(flt)
        assert sql_page(a, flt) == sql_page(b, flt)
        a.export_parquet(pair / "again-a.parquet")
        b.export_parquet(pair / "again-b.parquet")
    again = [pd.read_parquet(pair / f"again-{x}.parquet") for x in "ab"]
    assert again[0].equals(again[1])


def test_a_date_filter_reaches_the_parquet_scan(pair):
    """Row groups (and files) whose dates a filter excludes are skipped by their statistics:
    the filter is pushed into the Parquet reader."""
    with Store(pair / "attached.duckdb", read_only=True) as store:
        where, params = EventFilter(start="2017-01-01", end="2017-03-31").sql(store.span_days())
        plan = "\n".join(r[1] for r in store.con.execute(
            f"EXPLAIN SELECT id FROM events e {where}", params).fetchall())
    scan = plan[plan.index("PARQUET"):]
    assert "date" in scan.split("Filters:", 1)[1][:400]


def test_ingest_counts_an_attached_event_as_present(pair, tmp_path):
    with Store(pair / "attached.duckdb", read_only=True) as store:
        store.relation(EventFilter(limit=3)).write_parquet(str(tmp_path / "three.parquet"))
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes((pair / "attached.duckdb").read_bytes())
    from detente.events import ingest

    with Store(copy) as store:
        result = ingest.ingest_file(store, tmp_path / "three.parquet")
        assert (result.added, result.unchanged) == (0, 3)


def _dataset(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    con = duckdb.connect()
    con.register("frame", pd.DataFrame(rows))
    con.execute(f"""COPY (SELECT substr(sha256(source || chr(31) || source_ref), 1, 16) AS id,
        CAST(date AS DATE) AS date, CAST(NULL AS DATE) AS "end", actor,
        CAST(NULL AS VARCHAR) AS target, kind, attrs, source, source_ref,
        'high' AS confidence, CAST(NULL AS VARCHAR) AS summary,
        CAST(NULL AS VARCHAR) AS match_key FROM frame ORDER BY date)
        TO '{folder / "data.parquet"}' (FORMAT parquet)""")
    con.close()
    return folder


def _rows(n: int, **changes) -> list[dict]:
    rows = [{"date": f"2020-01-{i + 1:02d}", "actor": "PRK", "kind": "missile_test",
             "attrs": '{"class":"SRBM"}', "source": "mine", "source_ref": f"r{i}"}
            for i in range(n)]
    rows[-1].update(changes)
    return rows


def test_attach_checks_every_row_and_refuses_what_the_store_would(empty_store, tmp_path):
    bad = _dataset(tmp_path, "bad", _rows(3, kind="launch"))
    before = empty_store.fingerprint()
    with pytest.raises(IngestError) as info:
        empty_store.attach(bad)
    (problem,) = info.value.problems
    assert problem.row == 3 and problem.field == "kind" and problem.file.endswith("data.parquet")
    assert empty_store.datasets() == [] and empty_store.fingerprint() == before
    good = _dataset(tmp_path, "good", _rows(3))
    assert empty_store.attach(good).events == 3 and empty_store.count() == 3
    twice = _dataset(tmp_path, "twice", _rows(3))  # the same ids again
    with pytest.raises(IngestError, match="already in the store"):
        empty_store.attach(twice)
    assert [d.path for d in empty_store.datasets()] == [good]


def test_attach_refuses_a_file_in_another_layout(empty_store, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    duckdb.sql(f"COPY (SELECT 1 AS a, DATE '2020-01-01' AS date) TO '{other / 'x.parquet'}' "
               "(FORMAT parquet)")
    with pytest.raises(IngestError, match="not a dataset in detente's event layout") as info:
        empty_store.attach(other)
    assert {p.field for p in info.value.problems} >= {"id", "kind", "attrs"}


def test_a_changed_or_missing_dataset_stops_the_store_until_attached_again(tmp_path):
    path = tmp_path / "s.duckdb"
    data = _dataset(tmp_path, "data", _rows(2))
    with Store(path, empty=True) as store:
        store.attach(data)
    file = data / "data.parquet"
    os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns + 10**9))
    with pytest.raises(StoreError, match="changed since it was attached"):
        Store(path, read_only=True)
    with Store(path, verify_datasets=False) as store:
        assert store.attach(data).events == 2
    with Store(path, read_only=True) as store:
        assert store.count() == 2
    file.unlink()
    with pytest.raises(StoreError, match="is missing"):
        Store(path, read_only=True)
    runner = CliRunner()
    done = runner.invoke(app, ["events", "detach", str(data), "--db", str(path)])
    assert done.exit_code == 0, done.output
    with Store(path, read_only=True) as store:
        assert store.count() == 0 and store.datasets() == []


def test_cli_export_attach_datasets_and_all_dyads(bundled, tmp_path):
    runner = CliRunner()
    parts = tmp_path / "parts"
    done = runner.invoke(app, ["events", "export", str(parts), "--partition-by", "year,month",
                               "--db", str(bundled)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in parts.iterdir())[0].startswith("year=")
    db = tmp_path / "a.duckdb"
    Store(db, empty=True).close()
    done = runner.invoke(app, ["events", "attach", str(parts), "--db", str(db), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["events"] > 1000
    listed = runner.invoke(app, ["events", "datasets", "--db", str(db), "--json"])
    assert [d["path"] for d in json.loads(listed.stdout)] == [str(parts)]
    out = tmp_path / "dyads.csv"
    done = runner.invoke(app, ["tension", "--all-dyads", "--weekly", "--db", str(db),
                               "--out", str(out), "--limit", "3"])
    assert done.exit_code == 0, done.output
    assert "PRK-USA" in done.stdout and out.exists()
    with Store(db, read_only=True) as store:
        expected = tension.dyads(store, weekly=True).frame
    assert len(pd.read_csv(out)) == len(expected)
    done = runner.invoke(app, ["tension", "--db", str(db)])
    assert done.exit_code == 2 and "--all-dyads" in done.output
    done = runner.invoke(app, ["whatif-many", *PRESETS, "--from", "2010-01-01", "--to",
                               "2012-12-31", "--db", str(db), "--json"])
    assert done.exit_code == 0, done.output
    assert set(json.loads(done.stdout)) == set(PRESETS)


@pytest.fixture(scope="module")
def cluster():
    """A Dask LocalCluster with two worker processes, shared by the fan-out tests."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as found:
        yield found


def test_scans_fanned_out_on_dask_equal_the_single_process_run(pair, cluster):
    with Store(pair / "attached.duckdb", read_only=True) as store:
        assert len(scale.parts(store, 8)) > 2
        for options in ({"weekly": True}, {"per_mention": True, "unilateral": False},
                        {"start": dt.date(2016, 1, 1), "sources": ["cns", "us-sanctions"]}):
            single = tension.dyads(store, **options)
            fanned = scale.dyads(store, scheduler=cluster.scheduler_address, **options)
            assert fanned.parts > 2 and fanned.frame.equals(single.frame), options
        specs = [presets.load(p) for p in PRESETS]
        start, end = dt.date(2006, 1, 1), dt.date(2023, 12, 31)
        many = scale.whatif_many(specs, store, start, end, 7,
                                 scheduler=cluster.scheduler_address)
        for spec in specs:
            assert many[spec.id].to_json_dict() == \
                replay.whatif(spec, store, start, end, 7).to_json_dict()


def test_joint_acts_count_once_in_the_dyad_of_their_parties(empty_store):
    """An act by two parties with no target belongs to their own dyad once, as ``tension``
    counts it, not once per party."""
    from detente.events.event import Event

    events = [Event(date=dt.date(2020, 1, 1), actor="USA", target="KOR", kind="talks",
                    source="t", source_ref="1"),
              Event(date=dt.date(2020, 1, 2), actor="USA", kind="military_exercise",
                    attrs={"parties": ["USA", "KOR"], "status": "held"}, source="t",
                    source_ref="2")]
    empty_store.ingest_events(events)
    found = tension.dyads(empty_store).frame.set_index("date")
    one = tension.tension(empty_store, "KOR-USA").frame.set_index("date")
    assert found.loc[dt.date(2020, 1, 2), "events"] == one.loc[dt.date(2020, 1, 2), "events"] == 1
    assert found["tension"].sum() == pytest.approx(one["tension"].sum())
