"""One date and duration parser for every option, spec field and API parameter."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from detente import dates
from detente.agreements import spec as spec_lib
from detente.cli import app
from detente.errors import ParameterError, SpecError

NOT_DATES = ["20180226", "2018-W09-1", "2018-02-26T00:00", "2018-2-26", "26/02/2018",
             "2018-02-30", " ", "2018-02-26x"]


@pytest.mark.parametrize("text", NOT_DATES)
def test_only_yyyy_mm_dd_is_a_date(text) -> None:
    with pytest.raises(ParameterError, match="expected a date YYYY-MM-DD") as info:
        dates.parse_date(text, "--start")
    assert info.value.problems[0].field == "--start"
    assert not dates.is_date_text(text)


def test_dates_ranges_and_durations() -> None:
    assert dates.parse_date("2018-02-26", "x") == dt.date(2018, 2, 26)
    assert dates.parse_date(dt.datetime(2018, 2, 26, 5), "x") == dt.date(2018, 2, 26)
    assert dates.parse_date("", "x") is None
    assert dates.parse_range("2017-01-01:2017-12-31", "--reference") == (
        dt.date(2017, 1, 1), dt.date(2017, 12, 31))
    for bad in ("2017-01-01", "20170101:20171231", "2018-01-01:2017-01-01"):
        with pytest.raises(ParameterError):
            dates.parse_range(bad, "--reference")
    assert dates.parse_days("2w", "--step") == 14 and dates.parse_days("10", "s") == 10
    assert dates.parse_days(3.5, "smooth") == 3.5
    for bad in ("0", "-3", "1.5w3", "nan", float("inf"), True):
        with pytest.raises(ParameterError):
            dates.parse_days(bad, "s")
    with pytest.raises(ParameterError, match="whole number"):
        dates.parse_days("1.5", "--step", whole=True)


def test_a_required_date_refuses_empty_text(tmp_path) -> None:
    assert dates.required_date("2018-02-26", "--from") == dt.date(2018, 2, 26)
    for empty in ("", None):
        with pytest.raises(ParameterError, match="a date is required"):
            dates.required_date(empty, "--from")
    # `--from ""` used to reach the replay as None and end in a TypeError traceback.
    db = str(tmp_path / "x.duckdb")
    for args in (["whatif", "post-olympic-pause", "--from", "", "--to", "2018-12-31"],
                 ["report", "post-olympic-pause", "--from", "", "-o", str(tmp_path / "r.html")]):
        done = CliRunner().invoke(app, [*args, "--db", db])
        assert done.exit_code == 2 and "a date is required" in done.output, done.output
    assert not (tmp_path / "x.duckdb").exists() and not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("text", ["20180226", "2018-W09-1"])
def test_the_cli_the_spec_and_the_api_refuse_the_same_dates(text, tmp_path) -> None:
    done = CliRunner().invoke(app, ["check", "post-olympic-pause", "--start", text, "--db",
                                    str(tmp_path / "x.duckdb")])
    assert done.exit_code == 2 and "expected a date YYYY-MM-DD" in done.output
    assert not (tmp_path / "x.duckdb").exists()
    with pytest.raises(SpecError, match="expected a date YYYY-MM-DD"):
        spec_lib.parse(f"id: a\ntitle: A\nparties: [PRK]\nstart: '{text}'\ncommitments:\n"
                       "  - id: c\n    party: PRK\n    refrains_from: [{kind: nuclear_test}]\n"
                       "    verification: {means: m, detection: 1}\n")
    from fastapi.testclient import TestClient

    from detente.web.app import Settings, create_app

    with TestClient(create_app(Settings(db=tmp_path / "web.duckdb"))) as client:
        answer = client.get("/api/check/post-olympic-pause", params={"start": text})
        assert answer.status_code == 422
        assert client.get("/api/check/post-olympic-pause",
                          params={"start": "2018-02-26"}).status_code == 200
