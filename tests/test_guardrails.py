"""Guardrails for users' own specs and data: suggestions for codes and values, selector values
the store never holds, a filter that matched nothing, readable YAML, a new store announced."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from detente.agreements import spec as spec_lib
from detente.agreements.vocabulary import suggest, unmatched
from detente.errors import SpecError
from detente.events import actors
from tests.strategies import make_event

SPEC = """\
id: mine
title: Mine
parties: [{prk}, {usa}]
start: 2018-01-01
commitments:
  - id: a
    party: {prk}
    refrains_from:
      - {{kind: missile_test, where: {{class: [{klass}]}}}}
    verification: {{means: m, detection: 1}}
  - id: b
    party: {usa}
    refrains_from:
      - {{kind: sanctions_designation, where: {{issuer: [{issuer}]}}}}
    verification: {{means: m, detection: 1}}
"""


def test_unknown_codes_and_values_get_a_suggestion() -> None:
    assert actors.suggest("DPRK") == "PRK" and actors.suggest("us") == "USA"
    assert actors.suggest("PRKK") == "PRK" and actors.suggest("ZZZZZZ") is None
    with pytest.raises(SpecError) as info:
        spec_lib.parse(SPEC.format(prk="DPRK", usa="US", klass="icbm", issuer="OFAC"), "s.yaml")
    text = str(info.value)
    assert "did you mean PRK?" in text and "did you mean USA?" in text
    assert "'icbm' is not one of" in text and "did you mean ICBM?" in text


def test_selector_values_the_store_never_holds_are_named(empty_store) -> None:
    empty_store.ingest_events([
        make_event("m", dt.date(2018, 5, 1), "PRK", "missile_test", {"class": "ICBM"}),
        make_event("s", dt.date(2018, 6, 1), "USA", "sanctions_designation",
                   {"issuer": "OFAC"})])
    good = spec_lib.parse(SPEC.format(prk="PRK", usa="USA", klass="ICBM", issuer="OFAC"))
    assert unmatched(good, empty_store) == []
    bad = spec_lib.parse(SPEC.format(prk="PRK", usa="USA", klass="IRBM", issuer="Ofac"))
    found = {(u.commitment, u.attribute, u.value): u for u in unmatched(bad, empty_store)}
    assert set(found) == {("a", "class", "IRBM"), ("b", "issuer", "Ofac")}
    assert found[("b", "issuer", "Ofac")].suggestion == "OFAC"
    assert "never matches" in str(found[("a", "class", "IRBM")])
    assert suggest("Tresury", ("OFAC", "Treasury")) == "Treasury"


def _cli(*args, db):
    env = {**os.environ, "DETENTE_DB": str(db), "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_cli_explains_an_empty_result_and_announces_a_new_store(tmp_path) -> None:
    db = tmp_path / "new.duckdb"
    done = _cli("events", "list", "--kind", "missile_test", "--where", "class=icbm", db=db)
    assert done.returncode == 0, done.stderr
    assert f"note: created a new event store at {db} with the bundled record" in done.stderr
    assert "no event of kind missile_test has class=icbm" in done.stderr
    assert "did you mean class=ICBM?" in done.stderr
    again = _cli("events", "list", "--kind", "missile_test", "--where", "class=ICBM", db=db)
    assert "created a new event store" not in again.stderr and "note:" not in again.stderr
    spec = tmp_path / "mine.yaml"
    spec.write_text(SPEC.format(prk="PRK", usa="USA", klass="ICBM", issuer="Treasury"))
    checked = _cli("agreements", "validate", str(spec), db=db)
    assert checked.returncode == 0 and "issuer='Treasury', so it never matches" in checked.stdout
    replay = _cli("check", str(spec), db=db)
    assert "note: b: no event in the store has sanctions_designation issuer='Treasury'" in (
        replay.stderr)


def test_shown_yaml_is_readable_and_reads_back() -> None:
    from detente.agreements import presets

    pause = presets.load("post-olympic-pause")
    text = pause.to_yaml()
    assert "parties: [PRK, USA]" in text and "rationale: |\n" in text
    assert "\\n" not in text  # no escaped line breaks in quoted strings
    assert spec_lib.parse(text) == pause


@pytest.mark.parametrize("value", [
    ["a", ": z"], ["#c", "x y"], ["a", "\x85"], "a\nb", "a\n\nb ", " a\nb", "a\r\nb",
    "a\tb\nc", "a\x85b\n", "x\n\n", {"key\x85": 1}])
def test_readable_yaml_reads_back_exactly_whatever_the_text(value) -> None:
    from ruamel.yaml import YAML

    from detente import yamlio

    data = {"field": value}
    assert YAML(typ="rt").load(yamlio.dump(data)) == data


def test_whatif_shows_zero_when_every_start_broke_early(tmp_path) -> None:
    from detente.events.store import Store

    db = tmp_path / "w.duckdb"
    with Store(db, empty=True) as store:
        store.ingest_events([make_event(f"m{k}", dt.date(2018, 1, 1) + dt.timedelta(days=20 * k),
                                        "PRK", "missile_test", {"class": "ICBM"})
                             for k in range(40)])
    spec = tmp_path / "mine.yaml"
    spec.write_text(SPEC.format(prk="PRK", usa="USA", klass="ICBM", issuer="OFAC"))
    done = _cli("whatif", str(spec), "--from", "2018-01-01", "--to", "2019-06-30", db=db)
    assert done.returncode == 0, done.stderr
    rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines()
            if line.startswith("│") and line.split("│")[1].strip().isdigit()}
    assert "0.000" in rows["365"] and "0.000" in rows["730"]
