"""The README is true: its set-up commands exist, and its console sessions reproduce.

Every ```console block is a session: each ``$ detente ...`` line is run (as ``python -m
detente``, on one fresh store shared by the whole README, 110 columns wide), must exit 0, and
must print every output line shown under it, in order. A line ``…`` marks elided output.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
ELIDED = "…"


def sessions() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every ``$`` line of every console block."""
    out: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:].strip(), []))
            elif out:
                out[-1][1].append(line.rstrip())
    return out


def test_readme_starts_with_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    head = text.split("\n## ", 1)[0]
    assert "make demo" in head and "make test" in head
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_readme_has_console_sessions():
    assert len(sessions()) >= 8


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("readme")


@pytest.mark.parametrize(("command", "shown"), sessions(), ids=[c for c, _ in sessions()])
def test_console_session_reproduces(workdir, command, shown):
    words = shlex.split(command)
    assert words[0] == "detente", f"README sessions run detente only: {command}"
    env = {**os.environ, "DETENTE_DB": str(workdir / "events.duckdb"), "COLUMNS": "110",
           "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "detente", *words[1:]], capture_output=True,
                          text=True, timeout=300, cwd=workdir, env=env)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    actual = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
    position = 0
    for expected in shown:
        if expected in ("", ELIDED):
            continue
        try:
            position = actual.index(expected, position) + 1
        except ValueError:
            context = "\n".join(actual)
            pytest.fail(f"`{command}` no longer prints (in order):\n{expected}\n"
                        f"--- actual output ---\n{context}")


PYTHON = re.compile(r"```python\n(.*?)```", re.S)


@pytest.mark.parametrize("number", range(len(PYTHON.findall(README.read_text(encoding="utf-8")))))
def test_python_snippets_run(tmp_path, number):
    code = PYTHON.findall(README.read_text(encoding="utf-8"))[number]
    env = {**os.environ, "DETENTE_DB": str(tmp_path / "events.duckdb")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip()
