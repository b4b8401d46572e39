"""ICEWS (CAMEO, country names) and POLECAT (PLOVER, ISO codes) files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from detente.errors import IngestError
from detente.events import ingest
from detente.events.ingest import coded, icews, polecat
from tests.conftest import FIXTURES

INTEROP = FIXTURES / "interop"
ICEWS = "events.2013.20150313084929.tab"
ICEWS_BAD = "events.2013.malformed.tab"
POLECAT = "ngecEvents.20221107.Release999.DV.txt"
POLECAT_BAD = "ngecEvents.malformed.DV.txt"


def copy(tmp_path: Path, name: str) -> Path:
    shutil.copy(INTEROP / name, tmp_path / name)
    return tmp_path / name


def rejects_by_line(path: Path) -> dict[int, dict]:
    text = path.with_name(path.name + coded.REJECTS_SUFFIX).read_text()
    return {r["line"]: r for r in map(json.loads, text.splitlines())}


def test_detection():
    assert ingest.detect(INTEROP / ICEWS) == "icews"
    assert ingest.detect(INTEROP / POLECAT) == "polecat"
    assert not icews.detect(INTEROP / POLECAT) and not polecat.detect(INTEROP / ICEWS)


def test_icews_maps_country_names_and_organisations(tmp_path, empty_store):
    done = coded.ingest(empty_store, copy(tmp_path, ICEWS))
    assert (done.summary.accepted, done.summary.rejected, done.result.added) == (7, 0, 7)
    frame = empty_store.query(source="icews").set_index("source_ref")
    assert frame.loc["21000002", "actor"] == "UN"             # UN Security Council, no country
    assert frame.loc["21000007", "actor"] == "RUS"            # "Russian Federation"
    assert frame.loc["21000005", "target"] == "PRK"           # "North Korea"
    assert frame.loc["21000003", "kind"] == "provocation"     # 138
    assert frame.loc["21000005", "kind"] == "proposal"        # 036
    assert json.loads(frame.loc["21000001", "attrs_json"]) == {
        "cameo": "150", "goldstein": -7.2, "quad_class": 4, "code_system": "CAMEO",
        "code": "150"}
    assert frame.loc["21000004", "summary"] == "China make a visit North Korea"


def test_country_name_table_knows_icews_names():
    names = icews.country_names()
    for name, code in (("north korea", "PRK"), ("south korea", "KOR"), ("united states", "USA"),
                       ("russian federation", "RUS"), ("occupied palestinian territory", "PSE"),
                       ("korea, democratic people's republic of", "PRK")):
        assert names[name] == code


def test_icews_rejects_and_names_option(tmp_path, empty_store):
    path = copy(tmp_path, ICEWS_BAD)
    done = coded.ingest(empty_store, path)
    assert done.summary.rejected_by == {"Event Date": 2, "CAMEO Code": 1, "Source Country": 1,
                                        "Intensity": 1, "columns": 1, "duplicate": 1}
    by_line = rejects_by_line(path)
    assert by_line[4]["problems"][0]["value"] == "2013-13-01"
    assert by_line[6]["problems"][0]["field"] == "columns"
    assert by_line[8]["problems"][0]["value"] == "Kosovo"
    assert by_line[9]["problems"][0]["value"] == "high"
    assert by_line[10]["problems"][0]["field"] == "key"
    lines = path.read_text().split("\n")
    assert all(lines[n - 1] == r["text"] for n, r in by_line.items())
    # Mapping Kosovo to a declared code accepts that row.
    empty_store.declare_actor("KOS", "Kosovo")
    done = coded.ingest(empty_store, path, names={"Kosovo": "KOS"})
    assert "Source Country" not in done.summary.rejected_by
    assert "KOS" in set(empty_store.query(source="icews")["actor"])


def test_icews_header_missing_a_column_refuses_the_file(tmp_path, empty_store):
    path = tmp_path / "events.tab"
    lines = (INTEROP / ICEWS).read_text().splitlines()
    lines[0] = lines[0].replace("CAMEO Code", "Code")
    path.write_text("\n".join(lines) + "\n")
    before = empty_store.fingerprint()
    with pytest.raises(IngestError, match="lacks CAMEO Code") as info:
        ingest.ingest_file(empty_store, path, "icews")
    assert info.value.problems[0].line == 1
    assert empty_store.fingerprint() == before


def test_polecat_maps_plover_and_keeps_codes(tmp_path, empty_store):
    done = coded.ingest(empty_store, copy(tmp_path, POLECAT))
    s = done.summary
    assert (s.lines, s.accepted, s.rejected, s.skipped) == (9, 8, 0, 1)
    frame = empty_store.query(source="polecat").set_index("source_ref")
    kinds = frame["kind"].to_dict()
    assert kinds == {"20221104-0001": "provocation", "20221104-0002": "other",
                     "20221104-0003": "provocation", "20221104-0004": "other",
                     "20221104-0005": "sanctions_designation", "20221104-0006": "other",
                     "20221104-0007": "talks", "20221104-0008": "agreement"}
    joint = json.loads(frame.loc["20221104-0004", "attrs_json"])
    assert joint["parties"] == ["USA", "KOR"] and frame.loc["20221104-0004", "actor"] == "USA"
    assert joint["code_system"] == "PLOVER" and joint["code"] == "COOPERATE"
    assert joint["x_contexts"] == "military;wmd" and "x_mode" not in joint
    mobilize = json.loads(frame.loc["20221104-0002", "attrs_json"])
    assert mobilize == {"plover": "MOBILIZE", "goldstein": -6.0, "quad_class": 4,
                        "x_mode": "weapons", "x_contexts": "military",
                        "code_system": "PLOVER", "code": "MOBILIZE"}


def test_polecat_joint_actor_matches_an_agreement_party(tmp_path, empty_store):
    from detente.events.query import EventFilter

    coded.ingest(empty_store, copy(tmp_path, POLECAT))
    by_kor = empty_store.query(EventFilter(involving=("KOR",), kind=("other",)))
    assert "20221104-0004" in set(by_kor["source_ref"])


def test_polecat_rejects(tmp_path, empty_store):
    path = copy(tmp_path, POLECAT_BAD)
    done = coded.ingest(empty_store, path)
    assert done.summary.rejected_by == {"columns": 1, "Event Date": 3, "Event Type": 1,
                                        "Event Intensity": 1, "Actor Country": 1}
    by_line = rejects_by_line(path)
    assert by_line[4]["problems"][0]["field"] == "columns"
    assert by_line[5]["problems"][0]["value"] == "2022-11-31"
    assert by_line[7]["problems"][0]["value"] == "ATTACK"
    assert by_line[9]["problems"][0]["value"] == "PRK;XXX"
    assert "Publication Date" in by_line[10]["problems"][0]["reason"]
    assert done.result.added == 2


def test_polecat_accepts_old_intensity_header(tmp_path, empty_store):
    path = tmp_path / "ngecEvents.old.txt"
    lines = (INTEROP / POLECAT).read_text().splitlines()
    lines[0] = lines[0].replace("Event Intensity", "Intensity")
    path.write_text("\n".join(lines) + "\n")
    assert coded.ingest(empty_store, path).result.added == 8


@pytest.mark.parametrize("name", [ICEWS, POLECAT])
def test_quoted_fields_are_unquoted(tmp_path, empty_store, name):
    path = tmp_path / name
    lines = (INTEROP / name).read_text().splitlines()
    fields = lines[1].split("\t")
    fields[0] = f'"{fields[0]}"'
    lines[1] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")
    coded.ingest(empty_store, path)
    assert fields[0].strip('"') in set(empty_store.query()["source_ref"])
