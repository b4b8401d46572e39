"""GET /api/events answered before FastAPI (fastpath.py) is indistinguishable from the route:
for any query string, valid or not, the same status, content type and body as an app with the
fast path turned off."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.events.store import Store
from detente.web.app import create_app
from detente.web.fastpath import read_query
from detente.web.settings import Settings


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    db = tmp_path_factory.mktemp("fastpath") / "events.duckdb"
    Store(db).close()
    with TestClient(create_app(Settings(db=db, max_page=200))) as fast, \
            TestClient(create_app(Settings(db=db, max_page=200,
                                           events_fast_path=False))) as plain:
        yield fast, plain


VALUES = {
    "actor": st.sampled_from(["PRK", "USA", "KOR", "XXX", "", "prk"]),
    "target": st.sampled_from(["PRK", "USA", ""]),
    "involving": st.sampled_from(["USA", "KOR", "JPN"]),
    "kind": st.sampled_from(["missile_test", "nuclear_test", "talks", "summit", "banana", ""]),
    "source": st.sampled_from(["cns-missile-tests", "nope", ""]),
    "from": st.sampled_from(["2016-01-01", "2017-06-30", "2018-13-01", "2016-1-1", "20160101",
                             "", "1950-01-01", "2019-02-29", "2020-02-29"]),
    "to": st.sampled_from(["2017-12-31", "2015-01-01", "2030-01-01", "x"]),
    "limit": st.sampled_from(["0", "1", "7", "50", "200", "201", "007", "-1", "+5", "5.0", ""]),
    "offset": st.sampled_from(["0", "3", "40", "10000001", "01", "-2", "x"]),
    "where": st.sampled_from(["class=ICBM", "class"]),
    "text": st.sampled_from(["Hwasong", ""]),
    "unknown": st.sampled_from(["1"]),
}
pairs = st.lists(st.sampled_from(sorted(VALUES)).flatmap(
    lambda name: st.tuples(st.just(name), VALUES[name])), max_size=6)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=pairs)
def test_the_fast_path_answers_exactly_as_the_route(clients, params):
    fast, plain = clients
    url = "/api/events?" + urlencode(params)
    a, b = fast.get(url), plain.get(url)
    assert a.status_code == b.status_code, (url, a.text[:300], b.text[:300])
    assert a.headers["content-type"] == b.headers["content-type"]
    assert a.content == b.content, url


def test_plain_queries_take_the_fast_path_and_others_do_not():
    assert read_query(b"actor=PRK&actor=USA&kind=missile_test&from=2016-01-01&limit=5") == {
        "actor": ("PRK", "USA"), "target": (), "involving": (), "kind": ("missile_test",),
        "source": (), "start": __import__("datetime").date(2016, 1, 1), "end": None,
        "limit": 5, "offset": 0}
    for query in (b"where=class%3DICBM", b"text=x", b"limit=05", b"limit=5&limit=6",
                  b"from=2016-02-30", b"kind=banana", b"actor=", b"other=1", b"offset=-1"):
        assert read_query(query) is None, query
