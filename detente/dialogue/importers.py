"""Scenarios from the CSV formats of two published bargaining tools.

- The Bueno de Mesquita / Scholz actor table: a header ``Actor,Capability,Position,Salience``
  then one row per actor, one issue (jmckib/dmasad ``bdm-scholz-expected-utility-model``).
  Salience is in [0, 1]; a file whose saliences go above 1 is read as 0-100 and divided by 100.
- KTAB's SMP CSV: a first line ``scenario name, description, number of actors, number of
  dimensions``, a second line of column names (``Actor, Description, Power`` then a position and
  a salience column per dimension), then one row per actor. Positions and saliences are 0-100;
  an actor's saliences may add up to at most 100 (KTAB's rule).

Neither format has a status quo: the importers put each issue's status quo at the
capability x salience weighted median of the positions (the outcome a weighted vote would give
today) and say so in the scenario. Files with CR, CRLF, LF or mixed line endings all read the same;
line numbers in errors count lines as an editor shows them.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np

from detente.dialogue.scenario import Scenario, from_data
from detente.errors import Problem, ScenarioError

BDM_COLUMNS = ("Actor", "Capability", "Position", "Salience")
_SQ_NOTE = ("The file has no status quo; detente put it at the capability x salience weighted "
            "median of the positions (what a weighted vote would give today). Edit the exported "
            "YAML (detente dialogue export) to change it.")


def read_lines(path: str | Path) -> list[str]:
    """The lines of a text file, whatever its line endings (CR, LF, CRLF, or a mix)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single("file not found", file=str(path)) from None
    except OSError as exc:
        raise ScenarioError.single(f"cannot read file: {exc.strerror}", file=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    # Not str.splitlines: it also splits on form feeds and Unicode separators inside fields.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _rows(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(line number, fields stripped) of every non-blank line."""
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = next(csv.reader([line], skipinitialspace=True))
        out.append((number, [f.strip() for f in fields]))
    return out


def sniff(path: str | Path) -> str:
    """``"bdm"`` or ``"ktab"``: which of the two CSV formats a file is in."""
    rows = _rows(read_lines(path))
    if rows and _is_bdm_header(rows[0][1]):
        return "bdm"
    if len(rows) >= 2 and rows[1][1] and rows[1][1][0].lower() == "actor":
        return "ktab"
    raise ScenarioError.single(
        "not a recognised bargaining CSV: expected a header Actor,Capability,Position,Salience "
        "(Bueno de Mesquita/Scholz) or a KTAB header line (name, description, actors, dimensions) "
        "followed by Actor,Description,Power,... columns", file=str(path), line=1)


def read_csv(path: str | Path) -> Scenario:
    """A scenario from a CSV in either format (detected from its header)."""
    return read_bdm(path) if sniff(path) == "bdm" else read_ktab(path)


def _is_bdm_header(fields: list[str]) -> bool:
    lowered = {f.lower() for f in fields}
    return all(c.lower() in lowered for c in BDM_COLUMNS)


def _number(text: str, problems: list[Problem], **where: Any) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem("not a number", value=text, **where))
        return None
    if not np.isfinite(value):
        problems.append(Problem("not a finite number", value=text, **where))
        return None
    return value


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip()).strip("_.-")
    return slug or "x"


def _unique_ids(names: list[str]) -> list[str]:
    ids, seen = [], set()
    for name in names:
        base = _slug(name)
        candidate, k = base, 2
        while candidate in seen:
            candidate, k = f"{base}_{k}", k + 1
        seen.add(candidate)
        ids.append(candidate)
    return ids


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    from detente.dialogue.solvers.median import weighted_median

    return float(weighted_median(values[None, :], weights[None, :])[0])


def _duplicates(names: list[tuple[int, int, str]], file: str, problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for line, row, name in names:
        if name in first:
            problems.append(Problem(f"duplicate actor (first on line {first[name]})", file=file,
                                    line=line, row=row, field="Actor", value=name))
        else:
            first[name] = line


def read_bdm(path: str | Path) -> Scenario:
    """A one-issue scenario from a Bueno de Mesquita/Scholz ``Actor,Capability,Position,Salience``
    table."""
    file = str(path)
    rows = _rows(read_lines(path))
    if not rows:
        raise ScenarioError.single("empty file", file=file)
    header_line, header = rows[0]
    if not _is_bdm_header(header):
        raise ScenarioError.single(f"header must name the columns {','.join(BDM_COLUMNS)}",
                                   file=file, line=header_line, value=",".join(header))
    index = {f.lower(): k for k, f in enumerate(header)}
    problems: list[Problem] = []
    actors: list[tuple[int, int, str, float | None, float | None, float | None]] = []
    for row, (line, fields) in enumerate(rows[1:], start=1):
        if len(fields) < len(header):
            problems.append(Problem(f"expected {len(header)} fields, found {len(fields)}",
                                    file=file, line=line, row=row))
            continue
        where: dict[str, Any] = {"file": file, "line": line, "row": row}
        name = fields[index["actor"]]
        if not name:
            problems.append(Problem("empty actor name", field="Actor", **where))
        values = [_number(fields[index[c.lower()]], problems, field=c, **where)
                  for c in BDM_COLUMNS[1:]]
        capability, position, salience = values
        if capability is not None and capability < 0:
            problems.append(Problem("capability must be >= 0", field="Capability",
                                    value=capability, **where))
        if salience is not None and salience < 0:
            problems.append(Problem("salience must be >= 0", field="Salience", value=salience,
                                    **where))
        actors.append((line, row, name, capability, position, salience))
    _duplicates([(line, row, name) for line, row, name, *_ in actors], file, problems)
    if len(actors) < 2 and not problems:
        problems.append(Problem("need at least two actors", file=file))
    saliences = [a[5] for a in actors if a[5] is not None]
    percent = bool(saliences) and max(saliences) > 1
    if percent:
        for line, row, _, _, _, salience in actors:
            if salience is not None and salience > 100:
                problems.append(Problem("salience must be in [0, 1] (or 0-100 for the whole "
                                        "file)", file=file, line=line, row=row, field="Salience",
                                        value=salience))
    ScenarioError.collect(f"{file}: {len(problems)} problem(s)", problems)

    names = [a[2] for a in actors]
    cap = np.array([a[3] for a in actors], dtype=float)
    pos = np.array([a[4] for a in actors], dtype=float)
    sal = np.array([a[5] for a in actors], dtype=float) / (100.0 if percent else 1.0)
    low, high = (0.0, 100.0) if pos.min() >= 0 and pos.max() <= 100 else (pos.min(), pos.max())
    issue_id = _slug(Path(path).stem).lower()
    sq = _weighted_median(pos, cap * sal)
    data = {
        "id": issue_id, "title": f"{Path(path).name} (Bueno de Mesquita/Scholz actor table)",
        "description": f"Imported from {file}." + (" Saliences were 0-100 and were divided by "
                                                   "100." if percent else ""),
        "issues": [{"id": issue_id, "name": issue_id, "scale": [low, high], "status_quo": sq,
                    "status_quo_rationale": _SQ_NOTE}],
        "actors": [{"id": aid, "name": name, "capability": float(c),
                    "positions": {issue_id: {"position": float(p), "salience": float(s)}}}
                   for aid, name, c, p, s in zip(_unique_ids(names), names, cap, pos, sal,
                                                 strict=True)],
    }
    return from_data(data, file)


def read_ktab(path: str | Path) -> Scenario:
    """A scenario (one issue per dimension) from a KTAB SMP CSV."""
    file = str(path)
    rows = _rows(read_lines(path))
    if len(rows) < 2:
        raise ScenarioError.single("a KTAB CSV needs a scenario line and a column line",
                                   file=file, line=1)
    (line1, head), (line2, columns) = rows[0], rows[1]
    problems: list[Problem] = []
    head = head + [""] * (4 - len(head))
    scen_name, scen_desc = head[0], head[1]
    counts = []
    for k, label in ((2, "number of actors"), (3, "number of dimensions")):
        try:
            counts.append(int(head[k]))
        except ValueError:
            problems.append(Problem(f"field {k + 1} of the scenario line must be the {label}",
                                    file=file, line=line1, value=head[k]))
    ScenarioError.collect(f"{file}: invalid KTAB scenario line", problems)
    n_actors, n_dims = counts
    if n_dims < 1:
        problems.append(Problem("number of dimensions must be at least 1", file=file,
                                line=line1, value=n_dims))
    if n_actors < 2:
        problems.append(Problem("number of actors must be at least 2", file=file, line=line1,
                                value=n_actors))
    while columns and not columns[-1]:
        columns = columns[:-1]
    found_dims, odd = divmod(len(columns) - 3, 2)
    if len(columns) < 5 or odd or found_dims != n_dims:
        problems.append(Problem(
            f"the scenario line says {n_dims} dimension(s), so the column line needs "
            f"Actor, Description, Power and {n_dims} position/salience pair(s) "
            f"({3 + 2 * n_dims} columns); it has {len(columns)}", file=file, line=line2,
            value=",".join(columns)))
    data_rows = rows[2:]
    if len(data_rows) != n_actors:
        problems.append(Problem(f"the scenario line says {n_actors} actors but {len(data_rows)} "
                                "actor rows follow", file=file, line=line1, value=n_actors))
    ScenarioError.collect(f"{file}: {len(problems)} problem(s)", problems)

    dim_names = [columns[3 + 2 * d] for d in range(n_dims)]
    issue_ids = _unique_ids([re.sub(r"\s*position\s*$", "", n, flags=re.I) or n
                             for n in dim_names])
    issue_ids = [i.lower() for i in issue_ids]
    names, descs = [], []
    cap = np.zeros(n_actors)
    pos = np.zeros((n_actors, n_dims))
    sal = np.zeros((n_actors, n_dims))
    for row, (line, fields) in enumerate(data_rows, start=1):
        where: dict[str, Any] = {"file": file, "line": line, "row": row}
        need = 3 + 2 * n_dims
        if len(fields) < need or any(not f for f in fields[2:need]):
            problems.append(Problem(f"expected {need} fields (actor, description, power, then a "
                                    f"position and a salience per dimension), found "
                                    f"{len([f for f in fields if f])}", **where))
            names.append(fields[0] if fields else "")
            descs.append("")
            continue
        names.append(fields[0])
        descs.append(fields[1])
        if not fields[0]:
            problems.append(Problem("empty actor name", field=columns[0], **where))
        value = _number(fields[2], problems, field=columns[2], **where)
        if value is not None:
            if value < 0:
                problems.append(Problem("power must be >= 0", field=columns[2], value=value,
                                        **where))
            cap[row - 1] = value
        for d in range(n_dims):
            for offset, target, what in ((0, pos, "position"), (1, sal, "salience")):
                column = columns[3 + 2 * d + offset]
                value = _number(fields[3 + 2 * d + offset], problems, field=column, **where)
                if value is None:
                    continue
                if not 0 <= value <= 100:
                    problems.append(Problem(f"{what} must be in [0, 100]", field=column,
                                            value=value, **where))
                target[row - 1, d] = value
        if sal[row - 1].sum() > 100 + 1e-9:
            problems.append(Problem("saliences of one actor add up to more than 100 (KTAB rule)",
                                    value=float(sal[row - 1].sum()), **where))
    _duplicates([(line, row, names[row - 1]) for row, (line, _) in enumerate(data_rows, start=1)
                 if names[row - 1]], file, problems)
    ScenarioError.collect(f"{file}: {len(problems)} problem(s)", problems)

    sal = sal / 100.0  # KTAB's internal scale, and ours
    issues = []
    for d, (issue_id, dim_name) in enumerate(zip(issue_ids, dim_names, strict=True)):
        issues.append({"id": issue_id, "name": dim_name, "status_quo":
                       _weighted_median(pos[:, d], cap * sal[:, d]),
                       "status_quo_rationale": _SQ_NOTE})
    data = {
        "id": _slug(scen_name or Path(path).stem),
        "title": scen_name, "description": f"{scen_desc} (imported from {file}, KTAB SMP CSV)",
        "issues": issues,
        "actors": [{"id": aid, "name": desc or name, "capability": float(cap[k]),
                    "positions": {issue_ids[d]: {"position": float(pos[k, d]),
                                                 "salience": float(sal[k, d])}
                                  for d in range(n_dims)}}
                   for k, (aid, name, desc) in enumerate(zip(_unique_ids(names), names, descs,
                                                             strict=True))],
    }
    return from_data(data, file)
