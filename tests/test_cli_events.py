"""The events, data and init commands, through Typer's runner and as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.events.store import Store

runner = CliRunner()
CSV = ("Day,Who,What,Class,Key\n2017-07-04,PRK,missile_test,ICBM,a1\n"
       "2017-07-28,PRK,missile_test,ICBM,a2\n2016-09-09,PRK,nuclear_test,,n5\n")
MAP = ["--map", "date=Day", "--map", "actor=Who", "--map", "kind=What",
       "--map", "attrs.class=Class", "--map", "source_ref=Key", "--set", "source=mine"]


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    db = tmp_path / "cli.duckdb"
    assert run("init", "--empty", "--db", db).exit_code == 0
    src = tmp_path / "mine.csv"
    src.write_text(CSV, encoding="utf-8")
    result = run("events", "ingest", src, *MAP, "--db", db)
    assert result.exit_code == 0, result.output
    assert "3 events added" in result.output
    return db


def test_ingest_twice_reports_nothing_added(loaded, tmp_path):
    result = run("events", "ingest", tmp_path / "mine.csv", *MAP, "--db", loaded, "--json")
    assert json.loads(result.stdout)[0]["added"] == 0
    assert json.loads(result.stdout)[0]["unchanged"] == 3


def test_list_json_has_the_public_event_fields(loaded):
    result = run("events", "list", "--kind", "missile_test", "--format", "json", "--db", loaded)
    assert result.exit_code == 0
    events = json.loads(result.stdout)
    assert [e["date"] for e in events] == ["2017-07-04", "2017-07-28"]
    for e in events:
        assert {"id", "date", "end", "actor", "target", "kind", "attrs", "source", "source_ref",
                "confidence"} <= set(e)
        assert e["attrs"] == {"class": "ICBM"}


def test_list_filters(loaded):
    def dates(*args):
        out = run("events", "list", "--format", "json", "--db", loaded, *args)
        assert out.exit_code == 0, out.output
        return [e["date"] for e in json.loads(out.stdout)]

    assert dates("--where", "class=ICBM", "--from", "2017-07-10") == ["2017-07-28"]
    assert dates("--kind", "nuclear_test") == ["2016-09-09"]
    assert dates("--actor", "USA") == []
    assert dates("--limit", "1", "--offset", "1") == ["2017-07-04"]


def test_list_csv_reingests_into_an_identical_store(loaded, tmp_path):
    out = run("events", "list", "--format", "csv", "--db", loaded)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 3 and json.loads(rows[0]["attrs"]) == {}
    exported = tmp_path / "export.csv"
    exported.write_text(out.stdout, encoding="utf-8")
    copy = tmp_path / "copy.duckdb"
    run("init", "--empty", "--db", copy)
    assert run("events", "ingest", exported, "--db", copy).exit_code == 0
    with Store(loaded, read_only=True) as a, Store(copy, read_only=True) as b:
        assert a.query().astype(str).equals(b.query().astype(str))


def test_table_output_and_stats(loaded):
    table = run("events", "list", "--db", loaded)
    assert table.exit_code == 0 and "3 events" in table.output
    stats = run("events", "stats", "--json", "--db", loaded)
    data = json.loads(stats.stdout)
    assert data["events"] == 3
    assert {r["kind"]: r["events"] for r in data["kind"]} == {"missile_test": 2,
                                                                "nuclear_test": 1}


def test_show_by_id_and_unknown_id(loaded):
    first = json.loads(run("events", "list", "--format", "json", "--db", loaded).stdout)[0]
    shown = run("events", "show", first["id"], "--db", loaded)
    assert json.loads(shown.stdout) == first
    missing = run("events", "show", "0000000000000000", "--db", loaded)
    assert missing.exit_code == 2 and "no event" in missing.output


def test_bad_file_exits_2_names_file_row_field_and_writes_nothing(loaded, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + "2017-13-01,PRK,missile_test,ICBM,a9\n", encoding="utf-8")
    with Store(loaded, read_only=True) as store:
        before = store.fingerprint()
    result = run("events", "ingest", bad, *MAP, "--db", loaded)
    assert result.exit_code == 2
    assert "bad.csv, row 4: field 'date'" in result.output
    assert "Traceback" not in result.output
    with Store(loaded, read_only=True) as store:
        assert store.fingerprint() == before


def test_bad_filter_values_exit_2(loaded):
    assert run("events", "list", "--kind", "missile", "--db", loaded).exit_code == 2
    assert run("events", "list", "--from", "2017-02-30", "--db", loaded).exit_code == 2
    assert run("events", "list", "--where", "apogee_km>=high", "--db", loaded).exit_code == 2


def test_declare_actor_option(tmp_path, loaded):
    src = tmp_path / "iaea.csv"
    src.write_text("date,actor,kind,source_ref\n2009-04-16,KEDO,announcement,k\n",
                   encoding="utf-8")
    refused = run("events", "ingest", src, "--set", "source=x", "--db", loaded)
    assert refused.exit_code == 2 and "unknown actor" in refused.output
    accepted = run("events", "ingest", src, "--set", "source=x", "--declare-actor",
                   "KEDO=Korean Peninsula Energy Development Organization", "--db", loaded)
    assert accepted.exit_code == 0, accepted.output


def test_init_refuses_to_overwrite_without_force(loaded):
    assert run("init", "--db", loaded).exit_code == 3
    assert run("init", "--empty", "--force", "--db", loaded).exit_code == 0


def test_data_commands(loaded):
    kinds = json.loads(run("data", "kinds", "--json").stdout)
    by_kind = {k["kind"]: k for k in kinds}
    assert by_kind["sanctions_designation"]["cameo"] == "163"
    assert by_kind["missile_test"]["attributes"]["class"].startswith("str")
    formats = run("data", "formats")
    assert formats.exit_code == 0 and "generic" in formats.output


def test_every_command_has_help_with_an_example():
    import typer.main

    root = typer.main.get_command(app)

    def walk(command, path: list[str]):
        if hasattr(command, "commands"):  # a group (Typer may vendor its own click classes)
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    for path, command in walk(root, []):
        assert command.help, f"`detente {' '.join(path)}` has no help"
        assert "Example" in command.help, f"`detente {' '.join(path)}` has no example"
        result = run(*path, "--help")
        assert result.exit_code == 0, (path, result.output)


def test_module_entry_point_runs_as_a_subprocess(loaded):
    done = subprocess.run([sys.executable, "-m", "detente", "events", "list", "--format",
                           "json", "--db", str(loaded)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3


def test_cli_ingests_each_real_source_file_into_the_bundled_store_as_nothing_new(tmp_path):
    from tests.conftest import shared_data

    raw = shared_data() / "raw"
    db = tmp_path / "bundled.duckdb"
    for path in (raw / "missile_tests" / "north_korea_missile_test_database.csv",
                 raw / "provocations" / "north_korea_provocations_1958_present.csv"):
        result = run("events", "ingest", path, "--db", db, "--json")
        assert result.exit_code == 0, result.output
        (summary,) = json.loads(result.stdout)
        assert summary["added"] == 0 and summary["unchanged"] == summary["rows"] > 0


def test_dates_outside_years_1800_to_2199_are_refused(loaded, tmp_path):
    # DuckDB reads years past 9999 too; Python, JSON readers and the analyses cannot hold them.
    before = Store(loaded, read_only=True).fingerprint()
    src = tmp_path / "years.csv"
    src.write_text("Day,Who,What,Class,Key,End\n12345-01-01,PRK,missile_test,,y1,\n"
                   "2017-01-01,PRK,missile_test,,y2,99999-01-01\n", encoding="utf-8")
    result = run("events", "ingest", src, *MAP, "--map", "end=End", "--db", loaded)
    assert result.exit_code == 2
    assert "row 1: field 'date': must be between 1800-01-01 and 2199-12-31" in result.output
    assert "row 2: field 'end': must be between" in result.output
    assert Store(loaded, read_only=True).fingerprint() == before


def test_a_refused_file_leaves_no_declared_actor_and_earlier_files_are_reported(loaded,
                                                                               tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("Day,Who,What,Class,Key\n2017-01-01,QQQ,talks,,g1\n", encoding="utf-8")
    bad.write_text("Day,Who,What,Class,Key\n2017-01-01,QQQ,talkz,,b1\n", encoding="utf-8")
    result = run("events", "ingest", bad, *MAP, "--declare-actor", "QQQ=Testland",
                 "--db", loaded)
    assert result.exit_code == 2
    assert Store(loaded, read_only=True).declared_actors() == {}
    result = run("events", "ingest", good, bad, *MAP, "--declare-actor", "QQQ=Testland",
                 "--db", loaded)
    assert result.exit_code == 2
    assert "good.csv: 1 rows read, 1 events added" in result.output
    assert "1 of 2 files ingested before the error below" in result.output
    assert Store(loaded, read_only=True).declared_actors() == {"QQQ": "Testland"}


def test_list_filters_match_as_stored(loaded):
    def count(*args):
        out = run("events", "list", "--format", "json", "--db", loaded, *args)
        assert out.exit_code == 0, out.output
        return len(json.loads(out.stdout))

    # Codes and kinds in any case, as ingest normalises them.
    assert count("--actor", "prk", "--kind", "MISSILE_TEST") == 2
    # --text is literal: LIKE wildcards match only themselves; attribute names do not match.
    assert count("--text", "%") == 0 and count("--text", "_") == 0
    assert count("--text", "class") == 0
    assert count("--text", "icbm") == 2


def test_where_compares_numbers_as_numbers(tmp_path):
    db = tmp_path / "n.duckdb"
    assert run("init", "--empty", "--db", db).exit_code == 0
    src = tmp_path / "n.csv"
    src.write_text("Day,Who,What,Apogee,Key\n2017-07-04,PRK,missile_test,2802.0,a1\n"
                   "2017-07-28,PRK,missile_test,3724.9,a2\n", encoding="utf-8")
    assert run("events", "ingest", src, "--map", "date=Day", "--map", "actor=Who",
               "--map", "kind=What", "--map", "attrs.apogee_km=Apogee", "--map",
               "source_ref=Key", "--set", "source=n", "--db", db).exit_code == 0
    for where, expected in (("apogee_km=2802", 1), ("apogee_km=2802.0", 1),
                            ("apogee_km!=2802", 1), ("apogee_km=2802,3724.9", 2)):
        out = run("events", "list", "--format", "json", "--where", where, "--db", db)
        assert len(json.loads(out.stdout)) == expected, where


def test_list_and_export_edges(loaded, tmp_path):
    out = run("events", "list", "--limit", "0", "--db", loaded)
    assert "none of the 3 matching events shown" in out.output
    out = run("events", "list", "--kind", "talks", "--format", "csv", "--db", loaded)
    assert out.stdout.splitlines() == [",".join(
        ["id", "date", "end", "actor", "target", "kind", "attrs", "source", "source_ref",
         "confidence", "summary", "match_key", "also"])]
    out = run("events", "list", "--from", "2017-13-01", "--db", loaded)
    assert out.exit_code == 2 and "'--from'" in out.output
    out = run("events", "export", tmp_path / "x.csv", "--db", loaded)
    assert out.exit_code == 2 and "*.parquet" in out.output
    out = run("events", "export", tmp_path / "missing" / "x.parquet", "--db", loaded)
    assert out.exit_code == 2 and "no such folder" in out.output
    empty = tmp_path / "empty.duckdb"
    assert run("init", "--empty", "--db", empty).exit_code == 0
    assert "0 events: the store is empty" in run("events", "stats", "--db", empty).output


def test_show_of_a_summary_row_names_every_event_it_summarises(tmp_path):
    # The bundled record: a CSIS row for a salvo stands for each missile of it.
    db = tmp_path / "bundled.duckdb"
    assert run("init", "--db", db).exit_code == 0
    with Store(db, read_only=True) as store:
        alias, count = store.con.execute(
            "SELECT id, count(*) FROM aliases GROUP BY id HAVING count(*) > 1 "
            "ORDER BY id LIMIT 1").fetchall()[0]
        targets = store.alias_of(alias)
        first = store.get(alias)
    assert len(targets) == count and first is not None and first.id == targets[0]
    result = run("events", "show", alias, "--db", db)
    assert result.exit_code == 0
    assert f"summarising {count} events" in result.output
    assert json.loads(result.stdout)["id"] == targets[0]


def test_an_edited_row_of_an_ingested_file_is_reported_not_silently_dropped(loaded, tmp_path):
    before = Store(loaded, read_only=True).fingerprint()
    edited = tmp_path / "mine.csv"
    edited.write_text(CSV.replace("2017-07-28,PRK,missile_test,ICBM,a2",
                                  "2017-07-29,PRK,missile_test,IRBM,a2"), encoding="utf-8")
    result = run("events", "ingest", edited, *MAP, "--db", loaded)
    assert result.exit_code == 0
    assert ("1 row(s) have the source key of a stored event but differ from it (first at row 2)"
            in " ".join(result.output.split()))
    assert Store(loaded, read_only=True).fingerprint() == before  # the stored event is kept
