"""The CAMEO/PLOVER mapping table: Python and the SQL generated from it agree, and it reads
back the codes ``kinds.CODES`` assigns wherever a code implies a kind."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.events import codes
from detente.events.ingest import coded
from detente.events.kinds import CODES, Kind

CAMEO_CODES = st.builds(lambda root, rest: f"{root:02d}{rest}",
                        st.integers(1, 20), st.text("0123456789", min_size=0, max_size=2))


def _sql_values(expr_sql: str, values: list[str]) -> list:
    con = duckdb.connect()
    rows = con.execute(f"SELECT {expr_sql} FROM unnest(?) WITH ORDINALITY AS t(code, i) "
                       "ORDER BY i", [values]).fetchall()
    return [r[0] for r in rows]


@settings(max_examples=50, deadline=None)
@given(st.lists(CAMEO_CODES, min_size=1, max_size=40))
def test_cameo_kind_sql_agrees_with_python(values):
    assert _sql_values(codes.cameo_kind_sql("code"), values) == \
        [codes.cameo_kind(v).value for v in values]
    assert _sql_values(codes.cameo_quad_sql("code"), values) == \
        [codes.cameo_quad(v) for v in values]


def test_plover_kind_sql_agrees_with_python():
    modes = ["", "sever", "convict", "violence", "territory", "restrict", "weapons", "visit"]
    pairs = [(t, m) for t in codes.PLOVER_TYPES for m in modes]
    con = duckdb.connect()
    sql = codes.plover_kind_sql("t", "nullif(m, '')")
    got = con.execute(f"SELECT {sql} FROM unnest(?) AS x(t), unnest(?) AS y(m)",
                      [list(codes.PLOVER_TYPES), modes]).fetchall()
    expected = sorted(codes.plover_kind(t, m).value for t, m in pairs)
    assert sorted(r[0] for r in got) == expected
    quad = con.execute(f"SELECT t, {codes.plover_quad_sql('t')} FROM unnest(?) AS x(t)",
                       [list(codes.PLOVER_TYPES)]).fetchall()
    assert dict(quad) == codes.PLOVER_TYPES


def test_longest_prefix_wins_and_unmapped_codes_are_other():
    assert codes.cameo_kind("1384") is Kind.PROVOCATION      # 138* beats nothing at 13
    assert codes.cameo_kind("131") is Kind.OTHER             # other threats are not 138
    assert codes.cameo_kind("0361") is Kind.PROPOSAL
    assert codes.cameo_kind("030") is Kind.OTHER
    assert codes.cameo_kind("150") is Kind.OTHER             # tests and exercises alike
    assert codes.cameo_kind("1951") is Kind.PROVOCATION
    assert codes.plover_kind("SANCTION", None) is Kind.SANCTIONS_DESIGNATION
    assert codes.plover_kind("SANCTION", "convict") is Kind.OTHER
    assert codes.plover_kind("threaten", "VIOLENCE") is Kind.PROVOCATION
    assert codes.plover_kind("MOBILIZE", "weapons") is Kind.OTHER


def test_reads_back_the_codes_kinds_assign_where_they_imply_the_kind():
    # Round trip kind -> nearest CAMEO code -> kind, except where the code is shared.
    shared = {Kind.NUCLEAR_TEST, Kind.MISSILE_TEST, Kind.MILITARY_EXERCISE,  # all 150
              Kind.SANCTIONS_RESOLUTION,  # 163, read as a designation
              Kind.SUMMIT,  # 043, read as talks: CAMEO cannot tell leaders from envoys
              Kind.OTHER}
    for kind, (cameo, _) in CODES.items():
        if kind in shared or cameo is None:
            continue
        assert codes.cameo_kind(cameo) is kind, (kind, cameo)
    assert codes.cameo_kind(CODES[Kind.SUMMIT][0]) is Kind.TALKS
    assert codes.cameo_kind(CODES[Kind.MISSILE_TEST][0]) is Kind.OTHER


def test_is_cameo_and_quad():
    assert codes.is_cameo("010") and codes.is_cameo("20") and codes.is_cameo("2042")
    assert not codes.is_cameo("21") and not codes.is_cameo("00") and not codes.is_cameo("1a")
    assert not codes.is_cameo("01234")
    assert [codes.cameo_quad(c) for c in ("05", "06", "08", "09", "13", "14", "20")] == \
        [1, 2, 2, 3, 3, 4, 4]


def test_mapping_rows_document_every_rule():
    rows = codes.mapping_rows()
    assert len(rows) == len(codes.CAMEO_RULES) + len(codes.PLOVER_RULES) + 2
    assert {r["kind"] for r in rows} <= {k.value for k in Kind}
    assert any(r["code"] == "SANCTION mode (none) or sever" for r in rows)


def test_country_aliases_name_iso_states_and_non_states_are_not_iso():
    from detente.events import actors

    builtin = actors.builtin_actors()
    assert all(v in builtin and k not in builtin for k, v in codes.CAMEO_COUNTRY_ALIASES.items())
    assert not set(codes.CAMEO_NON_STATES) & set(builtin)
    assert set(codes.CAMEO_ORGANISATIONS.values()) <= set(builtin)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=5),
                       min_size=1, max_size=60),
       st.lists(st.none() | st.text(max_size=8), max_size=20))
def test_lookup_equals_dict_get(mapping, probes):
    con = duckdb.connect()
    keys = list(mapping) + probes
    lookups = coded.Lookups(con)
    sql = lookups.sql("k", mapping)
    got = coded.execute(con, f"SELECT {sql} FROM unnest($probe) WITH ORDINALITY AS t(k, i) "
                             "ORDER BY i", {**lookups.params, "probe": keys}).fetchall()
    assert [r[0] for r in got] == [mapping.get(k) for k in keys]
