"""The dialogue examples run from a checkout: every ``$ detente dialogue`` line of
docs/dialogue.md and every ``detente dialogue`` command's help example, on files the repository
ships (examples/data/, with their provenance)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from detente.cli import app, common
from detente.dialogue import catalog
from tests.conftest import shared_data

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "dialogue.md"
DATA = ROOT / "examples" / "data"
BORDER = set("━─┏┓┗┛┡┩╇┳┻└┘┌┐├┤┬┴┼ ")


def sessions() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every ``$ detente dialogue`` line of the doc's code
    blocks."""
    out: list[tuple[str, list[str]]] = []
    inside, current = False, None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside, current = not inside, None
        elif inside and line.startswith("$ "):
            current = (line[2:].split("#")[0].strip(), [])
            out.append(current)
        elif inside and current is not None:
            current[1].append(line.rstrip())
    return [s for s in out if s[0].startswith("detente dialogue")]


def test_the_doc_has_examples_for_every_example_file():
    commands = " ".join(c for c, _ in sessions())
    assert len(sessions()) >= 7
    for name in ("SOE-Policy.csv", "SOE-Competitive.csv", "korea-sanctions.csv"):
        assert f"examples/data/{name}" in commands
    assert "ExampleActors.csv" not in commands  # not shipped: it would not run


@pytest.mark.parametrize(("command", "shown"), sessions(), ids=[c for c, _ in sessions()])
def test_doc_example_runs_from_a_checkout(command, shown, monkeypatch):
    monkeypatch.chdir(ROOT)
    for console in (common.console, common.err_console):  # wide enough that no cell wraps
        monkeypatch.setattr(console, "_width", 200)
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    error = bool(shown) and shown[0].startswith("invalid input")
    assert result.exit_code == (2 if error else 0), f"{command}\n{result.output}"
    assert isinstance(result.exception, SystemExit | None), result.exception
    printed = " ".join(result.output.split())
    # What the doc shows in full (lines not abridged with "...") is printed: each line, or
    # for a table row each cell (the doc's tables are trimmed to fit the page).
    for line in shown:
        if "..." in line:
            continue
        for cell in re.split("[│┃]", line) if line.startswith(("│", "┃")) else [line]:
            text = " ".join(cell.split())
            if text and not set(text) <= BORDER:
                assert text in printed, f"`{command}` no longer prints:\n{text}"


def _help_examples() -> list[tuple[str, str]]:
    root = typer.main.get_command(app)
    group = root.commands["dialogue"]
    out = []
    for name, command in group.commands.items():
        found = re.search(r"Example: \[bold\](.*?)\[/\]", command.help or "")
        assert found, f"`detente dialogue {name}` has no example"
        out.append((name, found.group(1)))
    return out


@pytest.mark.parametrize(("name", "example"), _help_examples(),
                         ids=[n for n, _ in _help_examples()])
def test_help_example_runs_from_a_checkout(name, example, monkeypatch):
    words = shlex.split(example.split(">")[0])  # `export ... > mine.yaml`: drop the redirect
    assert words[:2] == ["detente", "dialogue"], example
    if " ".join(words) in {c for c, _ in sessions()}:
        pytest.skip("the doc's examples run it (test_doc_example_runs_from_a_checkout)")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, words[1:])
    assert result.exit_code == 0, f"{example}\n{result.output}"
    assert result.output.strip()


def test_the_example_bdm_table_is_the_bundled_scenarios_issue():
    bundled = catalog.load("korea-2018")
    rows = (DATA / "korea-sanctions.csv").read_text().splitlines()
    assert rows[0] == "Actor,Capability,Position,Salience"
    expected = [f"{a.id},{a.capability:g},{a.positions['sanctions'].position:g},"
                f"{a.positions['sanctions'].salience:g}" for a in bundled.actors]
    assert rows[1:] == expected
    runner = CliRunner()
    from_csv = runner.invoke(app, ["dialogue", "log", str(DATA / "korea-sanctions.csv")])
    from_bundle = runner.invoke(app, ["dialogue", "log", "korea-2018", "--issue",
                                      "sanctions"])
    assert from_csv.exit_code == 0 and from_csv.output == from_bundle.output


@pytest.mark.parametrize("name", ["SOE-Policy.csv", "SOE-Competitive.csv"])
def test_the_shipped_ktab_files_are_copies_of_the_sources(name):
    source = shared_data() / "raw" / "bargaining" / name
    assert (DATA / name).read_bytes() == source.read_bytes()
    assert "MIT" in (DATA / "PROVENANCE.md").read_text() and name in (
        DATA / "PROVENANCE.md").read_text()
