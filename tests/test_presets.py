"""The bundled presets: well formed, documented, and right about the real record."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from detente import monitor, replay
from detente.agreements import presets, spec
from detente.agreements.spec import Selector
from detente.errors import NotFoundError
from detente.events.store import BUNDLED_EVENTS, Store

D = dt.date
EXPECTED = {"berlin-moratorium-1999", "freeze-for-freeze", "leap-day-2012", "moratorium-2018",
            "olympic-truce-2018", "post-olympic-pause"}


def test_every_preset_loads_and_is_documented() -> None:
    assert set(presets.ids()) >= EXPECTED
    for agreement in presets.load_all():
        assert presets.path_of(agreement.id).stem == agreement.id
        assert len(agreement.rationale) > 300, agreement.id
        assert agreement.sources, agreement.id
        assert "Verification basis" in agreement.rationale, agreement.id
        assert spec.parse(agreement.to_yaml()) == agreement


def test_the_alternatives_in_the_rationales_are_valid_one_line_selectors() -> None:
    """Every "- {kind: ...}" line a rationale offers as the alternative reading parses as a
    selector, and replacing the line it stands for in the file still gives a valid spec."""
    found = 0
    for agreement in presets.load_all():
        text = presets.path_of(agreement.id).read_text(encoding="utf-8")
        for line in re.findall(r"^\s+(- \{kind: .*\})\s*$", agreement.rationale, re.M):
            found += 1
            alternative = YAML(typ="safe").load(line)[0]
            alt = Selector.model_validate(alternative)
            originals = [ln for ln in text.splitlines() if ln.strip().startswith(
                f"- {{kind: {alt.kind.value}") and ln.strip() != line.strip()]
            assert originals, (agreement.id, line)
            changed = text.replace(originals[-1].strip(), line.strip())
            assert spec.parse(changed, agreement.id) != agreement
    assert found >= 6


def test_preset_resolution() -> None:
    assert presets.load("leap-day-2012").id == "leap-day-2012"
    assert presets.load(presets.path_of("leap-day-2012")).id == "leap-day-2012"
    with pytest.raises(NotFoundError) as info:
        presets.load("no-such-preset")
    assert "leap-day-2012" in str(info.value)


# --- the real bundled record ------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not BUNDLED_EVENTS.exists():
        pytest.skip("the bundled dataset is not built")
    path = tmp_path_factory.mktemp("real") / "events.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as store:
        yield store


def first_matching(store: Store, sql: str, after: dt.date) -> dt.date:
    """An independent look-up of the first event after ``after`` (plain SQL on the store)."""
    return store.con.execute(f"SELECT min(date) FROM events WHERE {sql} AND date >= ?",
                             [after]).fetchall()[0][0]


def test_leap_day_broken_by_the_launch_of_2012_04_13(real) -> None:
    report = monitor.check(presets.load("leap-day-2012"), real)
    first = report.first_breach
    assert (first.party, first.date) == ("PRK", D(2012, 4, 13))
    assert first.event.kind == "missile_test" and first.event.attrs["class"] == "SLV"
    assert report.status_on(D(2012, 4, 12)).status == "holding"


def test_leap_day_without_satellite_launches_breaks_on_the_2013_designations(real) -> None:
    text = presets.path_of("leap-day-2012").read_text(encoding="utf-8").replace(
        "{kind: missile_test, where: {class: [IRBM, ICBM, SLV]}}",
        "{kind: missile_test, where: {class: [IRBM, ICBM]}}")
    report = monitor.check(spec.parse(text), real)
    # With the satellite launch of 2012-12-12 exempt, OFAC's designations of 2013-01-24 come
    # before the nuclear test of 2013-02-12, which is then PRK's first breach (a response).
    assert report.first_breach.party == "USA" and report.first_breach.date == D(2013, 1, 24)
    nuclear = first_matching(real, "kind = 'nuclear_test'", D(2012, 2, 29))
    assert nuclear == D(2013, 2, 12)
    prk = [r for r in report.responses if r.party == "PRK"]
    assert prk and prk[0].date == nuclear and prk[0].event.kind == "nuclear_test"


def test_moratorium_2018_has_no_nuclear_or_icbm_test_in_2018(real) -> None:
    report = monitor.check(presets.load("moratorium-2018"), real)
    prk = report.first_breach_by("PRK")
    assert prk is not None and prk.date.year > 2018
    assert not [b for b in report.breaches if b.date.year == 2018]
    icbm = first_matching(real, "kind = 'missile_test' AND attrs->>'class' = 'ICBM'",
                          D(2018, 6, 12))
    assert prk.date == icbm
    assert report.first_breach.party == "PRK"
    # The allies' later full-scale exercises answer the breach: responses, not breaches.
    assert {r.party for r in report.responses} >= {"USA", "KOR"}
    assert all(r.date > prk.date for r in report.responses)


def test_berlin_moratorium(real) -> None:
    report = monitor.check(presets.load("berlin-moratorium-1999"), real)
    assert report.first_breach.date == D(2006, 7, 5)
    assert report.obligations[0].status == "met"
    assert report.obligations[0].event.attrs["title"] == "US announces easing of sanctions"
    shortened = monitor.check(presets.load("berlin-moratorium-1999"), real, end=D(2005, 3, 2))
    assert shortened.status == "holding" and shortened.breaches == ()


def test_olympic_truce_held_and_foal_eagle_ends_a_longer_one(real) -> None:
    truce = presets.load("olympic-truce-2018")
    assert monitor.check(truce, real).status == "holding"
    longer = monitor.check(truce, real, start=D(2018, 1, 9), end=D(2018, 4, 30))
    assert longer.first_breach.date == D(2018, 4, 1)
    assert longer.first_breach.event.attrs["name"] == "Foal Eagle 2018"


def test_freeze_for_freeze_scaled_down_choice_is_one_line(real) -> None:
    strict = monitor.check(presets.load("freeze-for-freeze"), real)
    assert {b.party for b in strict.breaches if b.date == strict.first_breach.date} == {
        "USA", "KOR"}
    assert strict.first_breach.event.attrs["status"] == "scaled_down"
    text = presets.path_of("freeze-for-freeze").read_text(encoding="utf-8")
    lenient = spec.parse(text.replace("status: [held, scaled_down, computer_simulated]",
                                      "status: [held]"))
    report = monitor.check(lenient, real)
    assert report.first_breach.event.attrs["status"] == "held"
    # The held-only reading skips the scaled-down Foal Eagle for an exercise held the same month.
    assert report.first_breach.event.id != strict.first_breach.event.id


def test_post_olympic_pause_broken_first_by_a_designation(real) -> None:
    report = monitor.check(presets.load("post-olympic-pause"), real)
    first = report.first_breach
    assert first.party == "USA" and first.event.kind == "sanctions_designation"
    ofac = "kind = 'sanctions_designation' AND actor = 'USA' AND attrs LIKE '%\"OFAC\"%'"
    assert first.date == first_matching(real, ofac, D(2018, 2, 26))
    # The State Department's CBW Act sanctions of 2018-03-05 are not OFAC designations.
    state = "kind = 'sanctions_designation' AND actor = 'USA' AND attrs LIKE '%\"State\"%'"
    assert first_matching(real, state, D(2018, 2, 26)) == D(2018, 3, 5)
    assert all(r.party == "PRK" for r in report.responses)


def test_whatif_on_the_real_record_matches_the_monitor_at_sampled_starts(real) -> None:
    agreement = presets.load("post-olympic-pause")
    result = replay.whatif(agreement, real, D(2006, 1, 1), D(2023, 12, 31), 7)
    assert len(result.starts) == (D(2023, 12, 31) - D(2006, 1, 1)).days // 7 + 1
    for row in result.starts.iloc[::97].itertuples():
        report = monitor.check(agreement, real, start=row.start.date(),
                               as_of=result.record_end)
        if row.observed:
            assert report.first_breach.date == row.breach_date.date()
            assert "+".join(report.first_breakers) == row.breaker
        else:
            # A blind day came first: the monitor shows it before its first breach.
            blind = report.observability.first_gap(row.blind_commitment, row.start.date())
            assert blind is not None and blind.start <= row.blind_from.date()
            assert report.first_breach is None or blind.start < report.first_breach.date


def test_presets_files_are_the_ones_loaded() -> None:
    directory = Path(presets.PRESET_DIR)
    assert sorted(p.stem for p in directory.glob("*.yaml")) == presets.ids()


def test_freeze_for_freeze_from_february_2026_is_broken_by_freedom_shield(real) -> None:
    report = monitor.check(presets.load("freeze-for-freeze"), real, start=D(2026, 2, 1))
    first = report.first_breach
    assert first.date == D(2026, 3, 9) and report.first_breakers == ("USA", "KOR")
    assert first.event.attrs["name"] == "Freedom Shield 2026"
