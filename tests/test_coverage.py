"""Coverage: declarations, observability, and that a blind stretch is never counted as
compliance by the monitor, the what-if, the rate estimate or the quiet-window finder."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente import matcher, monitor, tension
from detente.agreements.spec import Agreement
from detente.errors import IngestError, ParameterError, SpecError
from detente.events import coverage
from detente.events.coverage import Coverage, Target
from detente.replay import whatif
from detente.simulate import rates
from tests.strategies import make_event

D = dt.date
V = {"means": "m", "detection": 1.0}


def decl(source="syn", kinds=("missile_test",), actors=("PRK",), start=D(2000, 1, 1),
         end=D(2030, 12, 31), completeness="complete", **where) -> Coverage:
    return Coverage(source=source, kinds=kinds, actors=actors, where=where, start=start,
                    end=end, completeness=completeness)


def pause(**changes) -> Agreement:
    data = {
        "id": "pause", "title": "Pause", "parties": ["PRK", "USA"], "start": "2018-01-01",
        "commitments": [
            {"id": "prk", "party": "PRK", "verification": V,
             "refrains_from": [{"kind": "missile_test", "where": {"class": ["ICBM"]}}]},
            {"id": "usa", "party": "USA", "verification": V,
             "refrains_from": [{"kind": "sanctions_designation",
                                "where": {"issuer": ["OFAC"]}}]}]}
    data.update(changes)
    return Agreement.model_validate(data)


def icbm(ref, day):
    return make_event(ref, day, "PRK", "missile_test", {"class": "ICBM"})


def ofac(ref, day):
    return make_event(ref, day, "USA", "sanctions_designation", {"issuer": "OFAC"})


# --- the declaration model ----------------------------------------------------------------------

def test_declarations_are_validated_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="before start"):
        decl(start=D(2020, 1, 1), end=D(2019, 1, 1))
    with pytest.raises(ValueError, match=r"where\.issuer: not an attribute of kind missile_test"):
        decl(issuer=("OFAC",))
    with pytest.raises(ValueError, match="not an actor code"):
        decl(actors=("north korea",))
    with pytest.raises(ValueError, match="completeness"):
        decl(completeness="mostly")


def test_parse_declarations_names_file_line_and_field() -> None:
    from detente import yamlio

    text = ("src:\n  - kinds: [missile_test]\n    actors: [PRK]\n    from: 2001-01-01\n"
            "    to: 2000-01-01\n  - kinds: [missle_test]\n    actors: [PRK]\n"
            "    from: 2000-01-01\n    to: 2001-01-01\n    colour: red\n")
    doc = yamlio.parse(text, "cov.yaml", SpecError)
    with pytest.raises(SpecError) as info:
        coverage.parse_declarations(yamlio.to_plain(doc.data), "cov.yaml", doc.line_of)
    problems = info.value.problems
    assert {(p.file, p.field) for p in problems} == {("cov.yaml", "src.0"),
                                                      ("cov.yaml", "src.1.colour")}
    assert all(p.line for p in problems)
    ok = coverage.parse_declarations({"src": [{"kinds": "nuclear_test", "actors": "PRK",
                                               "from": "2000-01-01", "to": "2001-01-01"}]},
                                     "x.yaml")
    assert ok[0].kinds[0].value == "nuclear_test" and ok[0].completeness == "complete"


def test_levels_take_every_accepted_value_from_some_source() -> None:
    ofac_only = decl(kinds=("sanctions_designation",), actors=("USA",), issuer=("OFAC",))
    state = decl(source="state", kinds=("sanctions_designation",), actors=("USA",),
                 issuer=("State",))
    both = Target("sanctions_designation", "USA", {"issuer": ["OFAC", "State"]})
    assert both.level([ofac_only])[0] == "none"
    assert both.level([ofac_only, state]) == ("complete", ("state", "syn"))
    # A selector that accepts any issuer is only partly covered by issuer-restricted sources.
    assert Target("sanctions_designation", "USA").level([ofac_only, state])[0] == "partial"
    assert Target("sanctions_designation", "KOR").level([ofac_only])[0] == "none"
    thin = decl(completeness="partial")
    assert Target("missile_test", "PRK", {"class": "ICBM"}).level([thin])[0] == "partial"
    anyone = decl(actors=("*",))
    assert Target("missile_test", "JPN").level([anyone])[0] == "complete"


def test_spans_split_where_declarations_start_and_end() -> None:
    a = decl(start=D(2000, 1, 1), end=D(2000, 1, 10))
    b = decl(source="b", start=D(2000, 1, 21), end=D(2000, 1, 31), completeness="partial")
    found = coverage.spans([a, b], [Target("missile_test", "PRK")], D(2000, 1, 5),
                           D(2000, 2, 3))
    assert [(s.start.day, s.end.day, s.level) for s in found] == [
        (5, 10, "complete"), (11, 20, "none"), (21, 31, "partial"), (1, 3, "none")]
    assert sum(s.days for s in found) == 30


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30), st.booleans()), max_size=4),
       st.integers(0, 40), st.integers(0, 40))
def test_spans_partition_the_window_and_match_day_by_day_levels(items, a, length) -> None:
    base = D(2000, 1, 1)
    decls = [decl(source=f"s{i}", start=base + dt.timedelta(s),
                  end=base + dt.timedelta(s + n), completeness="complete" if c else "partial")
             for i, (s, n, c) in enumerate(items)]
    start, end = base + dt.timedelta(a), base + dt.timedelta(a + length)
    target = Target("missile_test", "PRK")
    found = coverage.spans(decls, [target], start, end)
    days = [s.start + dt.timedelta(k) for s in found for k in range(s.days)]
    assert days == [start + dt.timedelta(k) for k in range((end - start).days + 1)]
    for day in days:
        active = [d for d in decls if d.start <= day <= d.end]
        want = target.level(active)[0]
        assert next(s.level for s in found if s.start <= day <= s.end) == want


# --- the store ----------------------------------------------------------------------------------

def test_store_keeps_declarations_once_and_sets_the_record_end(empty_store) -> None:
    store = empty_store
    store.ingest_events([icbm("a", D(2018, 5, 1))])
    assert store.coverage() == [] and store.record_end() == D(2018, 5, 1)
    cov = decl(start=D(2010, 1, 1), end=D(2019, 6, 30))
    assert store.declare_coverage([cov]) == 1
    assert store.declare_coverage([cov]) == 0   # declaring it again adds nothing
    assert store.coverage() == [cov] and store.record_end() == D(2019, 6, 30)


def test_a_declaration_its_own_events_contradict_is_refused_and_changes_nothing(
        empty_store) -> None:
    store = empty_store
    store.ingest_events([icbm("a", D(2018, 5, 1)), icbm("b", D(2021, 3, 1))])
    before = store.fingerprint()
    with pytest.raises(IngestError, match="leaves out its own event 'b' of 2021-03-01"):
        store.declare_coverage([decl(start=D(2010, 1, 1), end=D(2019, 12, 31))])
    assert store.fingerprint() == before and store.coverage() == []
    # Another source's declaration is not about these events.
    store.declare_coverage([decl(source="other", start=D(2010, 1, 1), end=D(2019, 12, 31))])


def test_the_bundled_store_carries_the_declared_coverage(tmp_path) -> None:
    from detente.events.store import Store

    with Store(tmp_path / "b.duckdb") as store:
        declared = store.coverage()
        assert {d.source for d in declared} >= {"cns-missile-tests", "csis-provocations"}
        assert store.record_end() == max(d.end for d in declared)


# --- the monitor ---------------------------------------------------------------------------------

@pytest.fixture
def gapped(empty_store):
    """PRK seen throughout; the US seen in 2018-01-01..2018-06-30 and from 2019-01-01."""
    store = empty_store
    store.ingest_events([icbm("p", D(2018, 10, 1)), ofac("u0", D(2018, 3, 1)),
                         ofac("u", D(2019, 2, 1))])
    store.declare_coverage([
        decl(start=D(2017, 1, 1), end=D(2019, 12, 31)),
        decl(kinds=("sanctions_designation",), actors=("USA",), issuer=("OFAC",),
             start=D(2017, 1, 1), end=D(2018, 6, 30)),
        decl(kinds=("sanctions_designation",), actors=("USA",), issuer=("OFAC",),
             start=D(2019, 1, 1), end=D(2019, 12, 31))])
    return store


def test_check_reports_blind_stretches_and_an_uncertain_first_breach(gapped) -> None:
    report = monitor.check(pause(start="2018-04-01"), gapped)
    assert report.as_of == D(2019, 12, 31)
    assert [(c, s.start, s.end) for c, s in report.unobserved] == [
        ("usa", D(2018, 7, 1), D(2018, 12, 31))]
    assert report.first_breach.party == "PRK" and report.uncertain_first == ("usa",)
    labels = [s.label for s in report.timeline]
    assert labels[:2] == ["holding", "holding; unobserved: usa"]
    data = report.to_json_dict()
    assert data["first_breach_uncertain_because"] == ["usa"]
    assert data["commitments"][1]["unobserved_days"] == 184


def test_a_missed_obligation_in_a_blind_stretch_is_unobservable(gapped) -> None:
    spec = pause(start="2018-06-01", commitments=[
        {"id": "usa", "party": "USA", "verification": V,
         "undertakes": [{"id": "ease", "kind": "sanctions_designation",
                         "where": {"issuer": ["OFAC"]}, "within_days": 60}]}])
    report = monitor.check(spec, gapped)
    assert report.obligations[0].status == "unobservable" and report.breaches == ()
    seen = monitor.check(spec, gapped, start=D(2019, 3, 1))
    assert seen.obligations[0].status == "missed"


# --- the what-if: a gap is never compliance ------------------------------------------------

@st.composite
def gapped_records(draw):
    first = D(2018, 1, 1)
    events = []
    for k in range(draw(st.integers(0, 25))):
        day = first + dt.timedelta(draw(st.integers(0, 700)))
        events.append(icbm(f"p{k}", day) if draw(st.booleans()) else ofac(f"u{k}", day))
    gaps = []
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, 700))
        gaps.append((a, a + draw(st.integers(0, 120)), draw(st.sampled_from(["PRK", "USA"]))))
    return events, gaps


def _declarations(gaps, last: dt.date):
    """Coverage of both parties over 2018-01-01..last, except each party's gaps."""
    first = D(2018, 1, 1)
    out = []
    for party, kind, where in (("PRK", "missile_test", {}),
                               ("USA", "sanctions_designation", {"issuer": ("OFAC",)})):
        blind = sorted((a, b) for a, b, p in gaps if p == party)
        day = 0
        n = 0
        for a, b in [*blind, ((last - first).days + 1, 0)]:
            if a > day:
                out.append(Coverage(source=f"{party}{n}", kinds=(kind,), actors=(party,),
                                    where=where, start=first + dt.timedelta(day),
                                    end=first + dt.timedelta(a - 1)))
                n += 1
            day = max(day, b + 1)
    return out


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gapped_records())
def test_whatif_never_counts_a_blind_day_as_compliance(tmp_path_factory, record) -> None:
    from detente.events.store import Store

    events, gaps = record
    last = D(2019, 12, 31)
    path = tmp_path_factory.mktemp("gap") / "s.duckdb"
    with Store(path, empty=True) as store:
        if events:
            store.ingest_events(events)
        # Events inside a blind stretch stay in the store: the source that holds them does not
        # claim to cover those days, so they still count as seen acts.
        store.declare_coverage(_declarations(gaps, last))
        spec = pause()
        result = whatif(spec, store, D(2018, 1, 1), D(2019, 6, 30), 11, record_end=last)
        seen = matcher.compile(spec).observability(store, D(2018, 1, 1), last)
        for row in result.starts.to_dict(orient="records"):
            s = row["start"].date()
            end = row["breach_date"].date() if not row["censored"] else None
            through = end - dt.timedelta(1) if end else last
            blind = [c for c in ("prk", "usa")
                     for k in range((through - s).days + 1)
                     if seen.level_on(c, s + dt.timedelta(k)) == "none"]
            if row["observed"]:
                assert not blind, (s, row)
                report = monitor.check(spec, store, start=s, as_of=last)
                first = report.first_breach
                assert (first.date if first else None) == end
            else:
                assert blind and row["censored"] and row["breaker"] is None
                assert row["days_held"] == (row["blind_from"].date() - s).days
        shares = result.shares.set_index("breaker")
        assert shares.loc["unobserved", "starts"] == result.unobserved
        assert shares["starts"].sum() == len(result.starts)


def test_whatif_reports_unobserved_starts_and_shares_over_observed(gapped) -> None:
    result = whatif(pause(), gapped, D(2018, 1, 1), D(2018, 12, 31), 7)
    assert result.unobserved > 0 and result.observed + result.unobserved == len(result.starts)
    shares = result.shares.set_index("breaker")
    observed = result.observed
    assert shares.loc["PRK", "share_of_observed"] == pytest.approx(
        shares.loc["PRK", "starts"] / observed)
    blind = result.starts[~result.starts["observed"]]
    assert (blind["blind_commitment"] == "usa").all()
    # Every start after the US designation of 2018-03-01 reaches the US gap before PRK's launch
    # of 2018-10-01: the blind day is the gap's first day, or the start itself inside it.
    assert (blind["start"] > np.datetime64("2018-03-01")).all()
    first_blind = np.maximum(blind["start"], np.datetime64("2018-07-01"))
    assert (blind["blind_from"] == first_blind).all()
    # ... except the start on the day of PRK's launch: it held no day at all, whatever the US did.
    later = result.starts[result.starts["start"] > np.datetime64("2018-03-01")]
    assert len(blind) == len(later) - 1
    assert result.starts.set_index("start").loc["2018-10-01", "observed"]


# --- rates and quiet windows ------------------------------------------------

def test_a_rate_from_a_blind_period_is_refused_naming_the_gap(gapped) -> None:
    spec = pause()
    with pytest.raises(ParameterError, match=r"cannot see usa .* from 2018-07-01 to "
                                             r"2018-12-31"):
        rates.estimate(spec, "USA", gapped, D(2018, 1, 1), D(2019, 6, 30))
    ok = rates.estimate(spec, "USA", gapped, D(2019, 1, 1), D(2019, 6, 30))
    assert ok.periods_with_events == 1 and ok.warnings == ()


def test_a_rate_on_thin_sources_warns(empty_store) -> None:
    store = empty_store
    store.ingest_events([icbm("p", D(2018, 3, 1))])
    store.declare_coverage([decl(start=D(2017, 1, 1), end=D(2018, 12, 31),
                                 completeness="partial")])
    rate = rates.estimate(pause(), "PRK", store, D(2018, 1, 1), D(2018, 12, 31))
    assert rate.warnings and "partial sources (syn)" in rate.warnings[0]


def test_multi_day_events_count_in_every_period_they_overlap(empty_store) -> None:
    store = empty_store
    spec = pause(parties=["USA", "KOR"], commitments=[
        {"id": "usa", "party": "USA", "verification": V,
         "refrains_from": [{"kind": "military_exercise"}]}])
    store.ingest_events([make_event("x", D(2017, 12, 28), "USA", "military_exercise",
                                    {"status": "held"}, end=D(2018, 1, 16))])
    rate = rates.estimate(spec, "USA", store, D(2018, 1, 1), D(2018, 2, 25))
    # In force in weeks 0, 1 and 2 of the period although it began before it.
    assert rate.periods == 8 and rate.periods_with_events == 3


def test_quiet_windows_stop_where_the_record_goes_blind(gapped) -> None:
    found = tension.windows(gapped, min_days=30, actors=["PRK"], kinds=["missile_test"],
                            start=D(2017, 1, 1), end=D(2021, 12, 31))
    assert found.blind and found.blind[0].start == D(2020, 1, 1)
    last = found.windows[-1]
    assert last.end == D(2019, 12, 31) and last.ended_blind and not last.ongoing


# --- the command line -----------------------------------------

def _run(*args):
    from typer.testing import CliRunner

    from detente.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_data_coverage_shows_the_bundled_declarations_and_a_chart(tmp_path) -> None:
    db = tmp_path / "b.duckdb"
    done = _run("data", "coverage", "--json", "--db", db)
    assert done.exit_code == 0, done.output
    import json

    data = json.loads(done.stdout)
    ofac = [d for d in data["declarations"] if d["where"].get("issuer") == ["OFAC"]]
    assert min(d["start"] for d in ofac) == "2003-01-01"
    exercises = [d for d in data["declarations"] if "military_exercise" in d["kinds"]]
    assert min(d["start"] for d in exercises) <= "1990-01-01"
    rows = {(r["actor"], r["kind"]): r for r in data["grid"]}
    usa = rows[("USA", "sanctions_designation issuer OFAC")]
    assert dict(zip(usa["years"], usa["levels"], strict=True))[2017] == "complete"
    chart = _run("data", "coverage", "--chart", "--db", db)
    assert chart.exit_code == 0 and "█" in chart.output and "military_exercise" in chart.output


def test_ingest_with_coverage_and_declare(tmp_path) -> None:
    db = tmp_path / "u.duckdb"
    events = tmp_path / "e.csv"
    events.write_text("date,actor,kind,source,source_ref,class\n"
                      "2018-05-01,PRK,missile_test,mine,1,ICBM\n")
    good = tmp_path / "good.yaml"
    good.write_text("mine:\n  - kinds: [missile_test]\n    actors: [PRK]\n"
                    "    from: 2018-01-01\n    to: 2018-12-31\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mine:\n  - kinds: [missile_test]\n    actors: [PRK]\n"
                   "    from: 2019-01-01\n    to: 2019-12-31\n")
    args = ("events", "ingest", events, "--map", "attrs.class=class", "--db", db)
    refused = _run("init", "--empty", "--db", db)
    assert refused.exit_code == 0, refused.output
    refused = _run(*args, "--coverage", bad)
    assert refused.exit_code == 2 and "leaves out its own event" in refused.output
    from detente.events.store import Store

    with Store(db, read_only=True) as store:  # a refused file leaves nothing behind
        assert store.count() == 0 and store.coverage() == []
    assert _run(*args, "--coverage", good).exit_code == 0
    with Store(db, read_only=True) as store:
        assert store.count() == 1 and store.record_end() == D(2018, 12, 31)
    more = tmp_path / "more.yaml"
    more.write_text("other:\n  - kinds: [sanctions_designation]\n    actors: [USA]\n"
                    "    from: 2018-01-01\n    to: 2019-06-30\n")
    declared = _run("data", "declare", more, "--db", db)
    assert declared.exit_code == 0 and "the record ends 2019-06-30" in declared.output
    assert _run("data", "declare", "--db", db).exit_code == 2
