"""The curated top-level API: every name resolves, and the package docstring's tour runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import detente


@pytest.mark.parametrize("name", detente.__all__)
def test_every_public_name_resolves(name):
    assert getattr(detente, name) is not None
    assert name in dir(detente)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        detente.nope  # noqa: B018


def test_import_is_cheap():
    """`import detente` loads none of the heavy layers (they load on first use)."""
    code = ("import sys, detente; heavy = [m for m in ('duckdb', 'pandas', 'plotly', 'fastapi',"
            " 'scipy') if m in sys.modules]; print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""


def test_the_docstring_tour_answers_the_four_questions():
    with detente.Store() as store:
        pause = detente.load_agreement("post-olympic-pause")
        report = detente.check(pause, store)
        assert report.first_breach is not None
        view = detente.verification_view(pause)
        assert {p.party for p in view.parties} == {"PRK", "USA"}
        result = detente.simulate_agreement(pause, store=store, runs=2_000, seed=1)
        assert result.runs == 2_000
    analysis = detente.dialogue.analyse(detente.dialogue.load("korea-2018"))
    assert analysis.zones and set(analysis.forecasts) >= {"compromise", "median", "nash"}


def test_lazy_exports_resolve_module_and_attribute_forms():
    from detente.exports import lazy

    getattr_, names = lazy("pkg", {"dumps": "json", "loads_": "json:loads", "json": "json:*"})
    import json

    assert names == ["dumps", "json", "loads_"]
    assert getattr_("dumps") is json.dumps and getattr_("loads_") is json.loads
    assert getattr_("json") is json
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'x'"):
        getattr_("x")


def test_bundles_name_their_ids_and_tell_ids_from_paths(tmp_path):
    from detente.bundle import Bundle
    from detente.errors import NotFoundError

    (tmp_path / "b.yaml").write_text("x: 1\n")
    (tmp_path / "a.yaml").write_text("x: 1\n")
    bundle = Bundle(tmp_path, "thing", "or a path")
    assert bundle.ids() == ["a", "b"]
    assert bundle.path_of("a") == tmp_path / "a.yaml"
    with pytest.raises(NotFoundError, match=r"no thing 'c'; bundled: a, b \(or a path\)"):
        bundle.path_of("c")
    with pytest.raises(NotFoundError) as info:
        bundle.path_of("../a", paths_allowed=False)
    assert "or a path" not in str(info.value)
    assert Bundle.is_path("spec.yml") and Bundle.is_path("dir/x") and not Bundle.is_path("a")
