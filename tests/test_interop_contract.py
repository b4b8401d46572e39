"""The contract every coded-data adapter (GDELT, ICEWS, POLECAT) must pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.events import ingest
from detente.events.ingest import ADAPTER_MODULES, coded, gdelt, icews, polecat
from detente.events.store import STAGED_COLUMNS, Store
from tests.conftest import FIXTURES

INTEROP = FIXTURES / "interop"
CASES = [
    (gdelt, "20170720000000.export.CSV", "20170721000000.export.CSV"),
    (icews, "events.2013.20150313084929.tab", "events.2013.malformed.tab"),
    (polecat, "ngecEvents.20221107.Release999.DV.txt", "ngecEvents.malformed.DV.txt"),
]
IDS = [m.FORMAT for m, _, _ in CASES]


@pytest.mark.parametrize(("module", "good", "bad"), CASES, ids=IDS)
def test_registered_before_generic_and_described(module, good, bad):
    assert module.FORMAT in ingest.adapters() and module.DESCRIPTION
    assert ADAPTER_MODULES.index(module.FORMAT) < ADAPTER_MODULES.index("generic")
    assert ingest.detect(INTEROP / good) == module.FORMAT
    assert ingest.detect(INTEROP / bad) == module.FORMAT
    others = [g for m, g, _ in CASES if m is not module]
    assert not any(module.detect(INTEROP / o) for o in others)


@pytest.mark.parametrize(("module", "good", "bad"), CASES, ids=IDS)
def test_batch_shape_and_idempotence(module, good, bad, tmp_path, empty_store):
    path = tmp_path / good
    shutil.copy(INTEROP / good, path)
    batch, summary = module.read_with_summary(path, empty_store.con)
    assert batch.format == module.FORMAT and batch.loc == "line" and not batch.prebuilt
    assert set(STAGED_COLUMNS) <= set(batch.data.columns)
    assert summary.describe() in batch.notes
    first = ingest.ingest_batch(empty_store, batch)
    assert first.added == summary.accepted > 0
    again = coded.ingest(empty_store, path)
    assert again.result.added == 0 and again.result.unchanged == summary.accepted


@pytest.mark.parametrize(("module", "good", "bad"), CASES, ids=IDS)
def test_accounting_and_rejects_locate_their_lines(module, good, bad, tmp_path, empty_store):
    path = tmp_path / bad
    shutil.copy(INTEROP / bad, path)
    done = coded.ingest(empty_store, path)
    s = done.summary
    assert s.accepted + s.rejected + s.skipped + s.blank == s.lines
    assert done.result.rows == s.accepted
    lines = path.read_text().split("\n")
    records = [json.loads(x) for x in Path(s.rejects_file).read_text().splitlines()]
    assert len(records) == s.rejected
    assert [r["line"] for r in records] == sorted(r["line"] for r in records)
    for r in records:
        assert lines[r["line"] - 1] == r["text"] and r["problems"]
        assert all(p["field"] and p["reason"] for p in r["problems"])


@pytest.mark.parametrize(("module", "good", "bad"), CASES, ids=IDS)
def test_refused_file_leaves_store_unchanged(module, good, bad, tmp_path, empty_store):
    path = tmp_path / good
    path.write_bytes((INTEROP / good).read_bytes()[:-5])  # truncated: no final newline
    before = empty_store.fingerprint()
    with pytest.raises(Exception, match="truncated or still being written"):
        ingest.ingest_file(empty_store, path, module.FORMAT)
    assert empty_store.fingerprint() == before
    assert not list(tmp_path.glob("*" + coded.REJECTS_SUFFIX))


GOOD_GDELT = (INTEROP / "20170720000000.export.CSV").read_text().splitlines()


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.integers(0, len(GOOD_GDELT) - 1), max_size=6),
       st.sampled_from(["code", "short", "date", "goldstein"]))
def test_rejects_are_exactly_the_corrupted_lines(tmp_path_factory, broken, how):
    lines = list(GOOD_GDELT)
    for i in broken:
        f = lines[i].split("\t")
        if how == "code":
            f[26] = "X" + f[26]
        elif how == "short":
            f = f[:30]
        elif how == "date":
            f[1] = "2017-07-04"
        else:
            f[30] = "-11"
        lines[i] = "\t".join(f)
    folder = tmp_path_factory.mktemp("corrupt")
    path = folder / "20170720000000.export.CSV"
    path.write_text("\n".join(lines) + "\n")
    with Store(folder / "s.duckdb", empty=True) as store:
        done = coded.ingest(store, path)
    rejected = set()
    if done.summary.rejects_file:
        rejected = {json.loads(x)["line"] for x in
                    Path(done.summary.rejects_file).read_text().splitlines()}
    assert rejected == {i + 1 for i in broken}
    skipped = 1 if 11 not in broken else 0  # line 12 has no Actor1 country: skipped
    assert done.result.added == len(GOOD_GDELT) - len(broken) - skipped
