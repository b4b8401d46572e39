"""Names of attached datasets (``events attach PATH --name NAME``): the default, the rule, one
name per dataset, detach by name or path, and the migration that names a schema-5 store's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import ParameterError
from detente.events import attached, dataset_names
from detente.events.store import MIGRATIONS, Store
from tests.test_attached import _dataset, _rows

runner = CliRunner()


def _data(tmp_path: Path, where: str, source: str = "mine", n: int = 2) -> Path:
    """A dataset folder at ``tmp_path/where`` (parents made), its events from ``source``."""
    parent = (tmp_path / where).parent
    parent.mkdir(parents=True, exist_ok=True)
    return _dataset(parent, Path(where).name, [dict(r, source=source) for r in _rows(n)])


def _cli(*args: str) -> tuple[int, str]:
    done = runner.invoke(app, ["events", *args])
    return done.exit_code, " ".join(done.output.split())  # rich wraps long lines


def test_a_dataset_is_named_after_its_folder_or_its_file_by_default(empty_store, tmp_path):
    folder = _data(tmp_path, "world-events")
    assert empty_store.attach(folder).name == "world-events"
    single = _data(tmp_path, "single", source="other") / "data.parquet"
    assert empty_store.attach(single).name == "data"
    spaced = _data(tmp_path, "my events (v2)", source="third")
    assert empty_store.attach(spaced).name == "my-events-v2"
    assert [(d.name, d.path) for d in empty_store.datasets()] == [
        ("my-events-v2", spaced), ("data", single), ("world-events", folder)]


def test_an_explicit_name_is_kept_and_listed(tmp_path):
    db = str(tmp_path / "s.duckdb")
    Store(db, empty=True).close()
    folder = _data(tmp_path, "parts")
    code, out = _cli("attach", str(folder), "--name", "gdelt-2024", "--db", db)
    assert code == 0 and "attached gdelt-2024" in out, out
    listed = runner.invoke(app, ["events", "datasets", "--db", db, "--json"])
    (shown,) = json.loads(listed.stdout)
    assert list(shown)[:2] == ["name", "path"]
    assert (shown["name"], shown["path"], shown["events"]) == ("gdelt-2024", str(folder), 2)
    code, out = _cli("datasets", "--db", db)
    assert code == 0 and out.index("name") < out.index("path") and "gdelt-2024" in out, out


def test_a_name_another_path_holds_is_refused_and_the_store_left_unchanged(empty_store,
                                                                           tmp_path):
    first = _data(tmp_path, "a/parts")
    empty_store.attach(first)
    before = (empty_store.fingerprint(), empty_store.datasets(), empty_store.count())
    second = _data(tmp_path, "b/parts", source="other")
    for name in (None, "parts"):  # by default, and asked for
        with pytest.raises(ParameterError) as info:
            empty_store.attach(second, name=name)
        (problem,) = info.value.problems
        assert (problem.field, problem.value) == ("name", "parts")
        assert f"the name 'parts' is taken by the dataset attached from {first}" in str(
            info.value)
        assert (empty_store.fingerprint(), empty_store.datasets(), empty_store.count()) == before
    assert empty_store.attach(second, name="parts-b").events == 2
    assert empty_store.count() == 4


def test_the_cli_refuses_a_taken_name_with_exit_code_2(tmp_path):
    db = str(tmp_path / "s.duckdb")
    Store(db, empty=True).close()
    assert _cli("attach", str(_data(tmp_path, "a/parts")), "--db", db)[0] == 0
    code, out = _cli("attach", str(_data(tmp_path, "b/parts", source="o")), "--db", db)
    assert code == 2 and "the name 'parts' is taken" in out and "--name" in out, out
    with Store(db, read_only=True) as store:
        assert [d.name for d in store.datasets()] == ["parts"] and store.count() == 2


def test_attaching_the_same_path_again_keeps_its_name_or_renames_it(empty_store, tmp_path):
    folder = _data(tmp_path, "parts")
    empty_store.attach(folder, name="first")
    assert empty_store.attach(folder).name == "first"             # checked anew, name kept
    assert empty_store.attach(folder, name="first").name == "first"
    assert empty_store.attach(folder, name="second").name == "second"
    assert [(d.name, d.path) for d in empty_store.datasets()] == [("second", folder)]
    assert empty_store.count() == 2
    other = _data(tmp_path, "other", source="o")
    assert empty_store.attach(other, name="first").name == "first"  # the old name is free


def test_detach_by_name_or_by_path_the_name_first(tmp_path, monkeypatch):
    db = str(tmp_path / "s.duckdb")
    one, two = _data(tmp_path, "one"), _data(tmp_path, "two", source="o")
    three = _data(tmp_path, "three", source="t")
    with Store(db, empty=True) as store:
        store.attach(one, name="two")      # named as the other's folder
        store.attach(two, name="second")
        store.attach(three)
    monkeypatch.chdir(tmp_path)
    code, out = _cli("detach", "two", "--db", db)  # the name, not the folder ./two
    assert code == 0 and "detached two" in out, out
    code, out = _cli("detach", str(three), "--db", db)
    assert code == 0 and "detached three" in out, out
    code, out = _cli("detach", "./two", "--db", db)  # a path: no name holds a '/'
    assert code == 0 and "detached second" in out, out
    with Store(db, read_only=True) as store:
        assert store.datasets() == [] and store.count() == 0
    code, out = _cli("detach", "two", "--db", db)
    assert code == 2 and "no dataset named 'two'" in out, out


def test_the_library_detach_returns_the_dataset(empty_store, tmp_path):
    folder = _data(tmp_path, "parts")
    empty_store.attach(folder, name="p")
    assert empty_store.detach("nothing") is None
    assert empty_store.detach("p").path == folder
    empty_store.attach(folder, name="p")
    assert empty_store.detach(folder).name == "p" and empty_store.datasets() == []


@pytest.mark.parametrize("name", ["", " parts", "parts ", "a b", "a/b", "-x", ".hidden", "..",
                                  "naïve", "x" * 65, "a\n"])
def test_a_name_against_the_rule_is_refused_saying_the_rule(empty_store, tmp_path, name):
    folder = _data(tmp_path, "parts")
    with pytest.raises(ParameterError, match=r"letters .* digits, '-', '_' and '\.'") as info:
        empty_store.attach(folder, name=name)
    assert (info.value.problems[0].field, info.value.problems[0].value) == ("name", name)
    assert "1 to 64 characters" in str(info.value) and empty_store.datasets() == []


def test_names_within_the_rule_are_taken_as_given(empty_store, tmp_path):
    for i, name in enumerate(["a", "7", "gdelt_2024.v2", "x" * 64]):
        folder = _data(tmp_path, f"d{i}", source=f"s{i}")
        assert empty_store.attach(folder, name=name).name == name


def test_the_cli_refuses_a_bad_name(tmp_path):
    db = str(tmp_path / "s.duckdb")
    Store(db, empty=True).close()
    code, out = _cli("attach", str(_data(tmp_path, "parts")), "--name", "my data", "--db", db)
    assert code == 2 and "field 'name'" in out and "'my data'" in out, out


def test_unique_suffixes_a_name_until_it_is_free():
    assert dataset_names.unique("parts", set()) == "parts"
    assert dataset_names.unique("parts", {"parts", "parts-2"}) == "parts-3"
    long = "x" * 64
    assert dataset_names.unique(long, {long}) == "x" * 62 + "-2"


def _schema_5_store(path: Path, folders: list[Path]) -> None:
    """A store as detente wrote it at schema 5, with ``folders`` attached: the migrations up
    to 5, and the rows and view attach wrote then."""
    con = duckdb.connect(str(path))
    for statements in MIGRATIONS[:5]:
        for statement in statements:
            assert isinstance(statement, str)
            con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '5')")
    select = ", ".join(f'"{c}"' for c in attached.EVENT_COLUMNS)
    parts = [f"SELECT {select}, CAST(NULL AS {attached.ALSO_TYPE}) AS _also FROM stored_events"]
    for folder in folders:
        files = [str(f.resolve()) for f in attached.find_files(folder)]
        state = [(f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files]
        con.execute("INSERT INTO datasets VALUES (?, ?, 2, DATE '2020-01-01', "
                    "DATE '2020-01-02', 0, false, now())", [str(folder), json.dumps(state)])
        parts.append(f"SELECT {select}, CAST([] AS {attached.ALSO_TYPE}) "
                     f"FROM {attached.parquet_sql(files)}")
    con.execute("CREATE OR REPLACE VIEW events AS " + " UNION ALL ".join(parts))
    con.close()


def test_a_schema_5_store_migrates_and_names_its_datasets_uniquely(tmp_path):
    path = tmp_path / "old.duckdb"
    folders = [_data(tmp_path, "a/parts", "s1"), _data(tmp_path, "b/parts", "s2"),
               _data(tmp_path, "c/parts-2", "s3"), _data(tmp_path, "d/my data", "s4")]
    _schema_5_store(path, folders)
    with Store(path, read_only=True) as store:  # an older store read-only: migrated once
        assert store.schema_version() == len(MIGRATIONS) == 6
        assert [(d.name, d.path) for d in store.datasets()] == [
            ("parts", folders[0]), ("parts-2", folders[1]), ("parts-2-2", folders[2]),
            ("my-data", folders[3])]
        assert store.count() == 8
    con = duckdb.connect(str(path))
    constraints = con.execute("""SELECT constraint_type FROM duckdb_constraints()
        WHERE table_name = 'datasets' AND constraint_column_names = ['name']""").fetchall()
    assert sorted(constraints) == [("NOT NULL",), ("UNIQUE",)]
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE datasets SET name = 'parts' WHERE name = 'my-data'")
    con.close()
    code, out = _cli("detach", "parts-2-2", "--db", str(path))
    assert code == 0 and f"detached parts-2-2 ({folders[2]})" in out, out


def test_the_cli_keeps_the_name_beside_declared_actors(tmp_path):
    # --declare-actor CODE=Name once shadowed --name in the command (the dataset took "Region")
    db = str(tmp_path / "s.duckdb")
    Store(db, empty=True).close()
    folder = _data(tmp_path, "parts")
    code, out = _cli("attach", str(folder), "--name", "gdelt-2024", "--declare-actor",
                     "XRG=Region", "--db", db)
    assert code == 0 and "attached gdelt-2024" in out, out
    code, out = _cli("attach", str(folder), "--declare-actor", "XRG=Region", "--db", db)
    assert code == 0 and "attached gdelt-2024" in out, out  # attached again: the name kept
