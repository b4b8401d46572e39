"""YAML in and out with line numbers, and pydantic errors turned into located problems.

Agreement specs and dialogue scenarios are written by hand, so an error must say which file,
which line and which field: ruamel.yaml keeps the line of every mapping key and list item, and
``validate`` maps each pydantic error location back to it.

Timestamps are loaded as their text and parsed by the models (``Date`` below): ruamel would
construct them itself, and a bad date (``2018-02-30``) would then fail the whole file with no
line or field.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.scanner import RoundTripScanner

from detente.errors import InputError, Problem

M = TypeVar("M", bound=BaseModel)


class Located:
    """A parsed YAML document that can say on which line a path (``("a", 0, "b")``) starts."""

    def __init__(self, data: Any, file: str):
        self.data = data
        self.file = file

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """1-based line of the deepest node of ``path`` that exists."""
        node, line = self.data, 1 if self.data is not None else None
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                pos = node.lc.key(part) if hasattr(node.lc, "key") else None
                line = pos[0] + 1 if pos else line
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                pos = node.lc.item(part)
                line = pos[0] + 1 if pos else line
                node = node[part]
            else:
                break
        return line

    def problem(self, message: str, path: Sequence[str | int], value: Any = None) -> Problem:
        """A ``Problem`` located at ``path``: this file, the path's line, the dotted field."""
        return Problem(message, file=self.file, line=self.line_of(path),
                       field=".".join(str(p) for p in path), value=value)


# Bounds on a document's node graph, checked before anything is built from it (an alias bomb,
# "billion laughs", is a few lines whose aliases expand to 10^9 nodes; `&a [*a]` contains
# itself). A hand-written spec or scenario has a few hundred nodes.
MAX_NODES = 100_000  # after aliases are expanded
MAX_DEPTH = 100      # lists and mappings inside each other


class _GraphError(Exception):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else None


_TOO_DEEP = f"lists and mappings nest more than {MAX_DEPTH} levels deep"


class _Scanner(RoundTripScanner):
    """Stops at ``MAX_DEPTH`` levels, before the parser (slow, quadratic in the depth) and the
    composer (recursive) meet a deeper document."""

    def _deeper(self) -> None:
        if len(self.flow_context) + len(self.indents) >= MAX_DEPTH:
            raise _GraphError(_TOO_DEEP, self.reader.get_mark())

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        self._deeper()
        super().fetch_flow_collection_start(TokenClass, to_push)

    def add_indent(self, column: int) -> bool:
        if self.indent < column:
            self._deeper()
        return super().add_indent(column)


def _expanded_size(node: Any, depth: int, sizes: dict[int, int], open_: set[int]) -> int:
    """Nodes under ``node`` with every alias expanded (each shared node counted once per
    use, computed once); recursion stops at ``MAX_DEPTH``."""
    if isinstance(node, ScalarNode):
        return 1
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        raise _GraphError("an alias refers to a list or mapping that contains it",
                          node.start_mark)
    if depth >= MAX_DEPTH:
        raise _GraphError(_TOO_DEEP, node.start_mark)
    open_.add(key)
    children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) \
        else node.value
    total = 1
    for child in children:
        total += _expanded_size(child, depth + 1, sizes, open_)
        if total > MAX_NODES:
            raise _GraphError(f"its aliases expand to more than {MAX_NODES:,} values",
                              node.start_mark)
    open_.discard(key)
    sizes[key] = total
    return total


class _Constructor(RoundTripConstructor):
    """The round-trip constructor, with timestamps kept as plain text, building nothing from
    a document past ``MAX_NODES`` or ``MAX_DEPTH``."""

    def construct_document(self, node: Any) -> Any:
        _expanded_size(node, 0, {}, set())
        return super().construct_document(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp",
                             lambda self, node: str(self.construct_scalar(node)))


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Scanner = _Scanner
    yaml.allow_duplicate_keys = False
    return yaml




def as_date(value: Any) -> dt.date:
    """A calendar date from a ``YYYY-MM-DD`` string or a ``date`` (not a number, which pydantic
    would read as seconds since 1970, and not a datetime)."""
    from detente.dates import date_from_text

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return date_from_text(value)
    raise ValueError("expected a date YYYY-MM-DD")


# A date field of a hand-written file: YYYY-MM-DD, unquoted or quoted.
Date = Annotated[dt.date, BeforeValidator(as_date)]


def parse(text: str, file: str, error: type[InputError] = InputError) -> Located:
    """Parse YAML text; a syntax error becomes ``error`` with the file and line."""
    try:
        data = _yaml().load(text)
    except _GraphError as exc:
        raise error(f"{file}: refused", [Problem(str(exc), file=file, line=exc.line)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise error(f"{file}: invalid YAML", [Problem(message, file=file, line=line)]) from None
    except Exception as exc:  # ruamel raises several unrelated classes for bad input
        raise error(f"{file}: invalid YAML", [Problem(f"YAML error: {exc}", file=file)]) from None
    return Located(data, file)


def read(path: str | Path, error: type[InputError] = InputError) -> Located:
    """Read and parse a YAML file (UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error.single("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise error.single("is a folder, not a YAML file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise error.single(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    except OSError as exc:
        raise error.single(f"cannot read: {exc.strerror}", file=str(path)) from None
    return parse(text, str(path), error)


def to_plain(data: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(data, dict):
        return {str(k): to_plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [to_plain(v) for v in data]
    return data


def problems_from(exc: ValidationError, doc: Located) -> list[Problem]:
    """One located ``Problem`` per pydantic error."""
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        field = ".".join(str(p) for p in loc) or None
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input") if err["type"] not in ("missing",) else None
        if isinstance(value, dict | list) and value:  # an empty one is short and telling
            value = None
        problems.append(Problem(message, file=doc.file, line=doc.line_of(loc), field=field,
                                value=value))
    return problems


def validate(model: type[M], doc: Located, error: type[InputError] = InputError,
             context: dict[str, Any] | None = None) -> M:
    """``model`` validated from ``doc``; every error located by file, line and field."""
    try:
        return model.model_validate(to_plain(doc.data), context=context)
    except ValidationError as exc:
        problems = problems_from(exc, doc)
        raise error(f"{doc.file}: {len(problems)} problem(s)", problems) from None


def dump(data: Any) -> str:
    """Plain data as readable YAML: block mappings, short lists of scalars on one line
    (``parties: [PRK, USA]``), text with line breaks as literal blocks (``rationale: |``)."""
    plain = to_plain(data)
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096  # long lines stay whole: a folded plain scalar reads badly
    buffer = io.StringIO()
    yaml.dump(_readable(plain), buffer)
    text = buffer.getvalue()
    if YAML(typ="safe", pure=True).load(text) == plain:
        return text
    # A character ruamel cannot show plainly (e.g. U+0085 in a quoted scalar): every scalar
    # double-quoted, with escapes, which always reads back exactly.
    buffer = io.StringIO()
    yaml.dump(_quoted(plain), buffer)
    return buffer.getvalue()


def _quoted(value: Any) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        return {_quoted(k): _quoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    return DoubleQuotedScalarString(value) if isinstance(value, str) else value


def _readable(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _readable(v)
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_readable(v) for v in value)
        if all(_flow_safe(v) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value and _literal_safe(value):
        return LiteralScalarString(value)
    return value


# A word, with colons or slashes inside (ids like post-olympic-pause:prk-no-tests@80), never
# at its edges or before a blank, where YAML reads them as indicators.
_FLOW_WORD = re.compile(r"[A-Za-z0-9_.@+-]([A-Za-z0-9_.@+:/-]*[A-Za-z0-9_.@+/-])?")


def _flow_safe(value: Any) -> bool:
    """Scalars a one-line list shows as they are (ruamel leaves some indicator characters
    unquoted inside a flow list, which would not read back)."""
    if isinstance(value, str):
        return bool(_FLOW_WORD.fullmatch(value))
    return not isinstance(value, dict | list)


def _literal_safe(text: str) -> bool:
    """Text a literal block carries unchanged: printable lines without trailing blanks, no
    carriage return (anything else is written quoted; ``dump`` checks the result reads back)."""
    return all(line == line.rstrip(" ") and all(ch.isprintable() for ch in line)
               for line in text.split("\n"))
