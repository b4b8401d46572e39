"""A raw text export ingested in one statement: the store's INSERT parses, checks, sorts and
writes the file, and sets the rejected lines aside as it goes.

The ordinary read (``tabular.read_text``) writes every checked row to a temporary table and
the store then writes that table: two passes over ten million rows, where DuckDB's own copy
of the same fields (the floor of ``benchmarks/bench_interop.py``) makes one. Here the
INSERT reads the file itself, and the layout's verdict of each row (good, rejected, or
skipped for a reason) and its key go, as numbers, through a Python function (a DuckDB UDF,
``Verdicts``, called once per chunk of rows) that lets the good rows through and keeps, on
the side, the counts, the rejected rows' keys and a proof that no key repeats.

After the INSERT, inside the store's transaction, the read is finished as the ordinary one
would: the file must be unchanged; no key may repeat; the rejected lines are found by key
(``lines.by_key``), their problems read again from their text, and written to the rejects
file; the summary counts every line. When a step needs what only the ordinary read keeps (a repeated
key, lines the reader itself rejected, a NUL byte, a rejected row whose line its key does not
find, a store rule broken), the transaction is rolled back and the caller reads the file the
ordinary way, which names every problem: the same outcome, only slower.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from duckdb.func import FunctionNullHandling, PythonUDFType

from detente.events.ingest import lines, tabular
from detente.events.ingest.coded import (
    EVENT_FIELDS,
    FileState,
    Layout,
    Summary,
    check_unchanged,
    log,
    store_columns_sql,
)
from detente.events.store import IngestResult, Progress, Store
from detente.sql import identifier, literal

KEY_COLUMN = "GLOBALEVENTID"  # the input holding a row's key (an integer)


class _Fallback(Exception):
    """The read needs the ordinary path (see the module docstring)."""


GOOD, REJECTED, NUL, SKIPPED = 0, 1, 2, 3  # a row's verdict code; skip reason k: SKIPPED + k


class Verdicts:
    """The INSERT's side channel (a DuckDB UDF over Arrow chunks): for each chunk of rows,
    their verdict codes (``GOOD``, ``REJECTED``, ``NUL``, ``SKIPPED`` + the skip reason's
    index) and keys; returns which rows are good. Counts the rows by code, keeps the rejected
    rows' keys, and proves the keys unique as they pass: each chunk's keys ascending, and no
    two chunks' key ranges overlapping (a file in key order, as GDELT's raw exports are); when
    that proof fails, the kept keys are compared after all. ``on_reject`` is called at a chunk
    with rejected rows. ``close`` stops the keeping (a later read of the same SQL, e.g. the
    store comparing rows it already holds, only filters). Called once per chunk of up to 2,048
    rows with two columns of numbers, it does a few vector operations per call and nothing per
    row: a column of text per row cost the INSERT a tenth more."""

    def __init__(self, reasons: int, on_reject: Callable[[], None] | None = None) -> None:
        self.counts = np.zeros(SKIPPED + reasons, dtype=np.int64)
        self.on_reject = on_reject
        self.rejected: list[pa.Array] = []
        self.keys: list[pa.Array] = []
        self.ranges: list[tuple[int, int]] = []
        self.ascending = True  # every chunk's keys strictly ascending, none missing
        self.open = True
        self._lock = threading.Lock()  # NumPy and Arrow release the GIL between the updates

    def __call__(self, code: pa.Array, key: pa.Array) -> pa.Array:
        codes = code.to_numpy()
        good = codes == GOOD
        if not self.open:
            return pa.array(good)
        counts = np.bincount(codes, minlength=len(self.counts))
        rejected = pc.filter(key, pa.array(codes == REJECTED)) if counts[REJECTED] else None
        if rejected is not None and self.on_reject is not None:
            self.on_reject()
        ascending, bounds = False, None
        if key.null_count == 0 and len(key):
            values = key.to_numpy()
            ascending = bool((values[1:] > values[:-1]).all())
            bounds = (int(values[0]), int(values[-1])) if ascending else None
        with self._lock:
            self.counts += counts
            if rejected is not None:
                self.rejected.append(rejected)
            self.keys.append(key)
            self.ascending = self.ascending and (ascending or not len(key))
            if bounds is not None:
                self.ranges.append(bounds)
        return pa.array(good)

    def close(self) -> None:
        self.open = False

    def accepted(self) -> int:
        return int(self.counts[GOOD])

    def rejected_keys(self) -> list[int | None]:
        """The keys of the rejected rows (None for a missing one)."""
        return pa.chunked_array(self.rejected, pa.int64()).to_pylist()

    def unique_keys(self) -> bool:
        """Whether no two rows read (good, skipped or rejected) share a key."""
        if self.ascending:
            ranges = sorted(self.ranges)
            if all(a[1] < b[0] for a, b in itertools.pairwise(ranges)):
                return True
        keys = np.sort(pa.chunked_array(self.keys, pa.int64()).to_numpy())
        return not (keys[1:] == keys[:-1]).any()


def ingest_text(path: Path, store: Store, layout: Layout, *, plain: Path, before: FileState,
                text: tabular.Text, names: Sequence[str], rejects: str | Path | bool | None,
                progress: Progress | None = None) -> tuple[IngestResult, Summary] | None:
    """Ingest a text file in one statement (see the module docstring): the store's result and
    the read's summary, or None when the file must be read the ordinary way (nothing was
    ingested, no rejects file written). Errors of the store itself (``StoreError``) and of the
    rejects file (``IngestError``) are raised as they are."""
    if KEY_COLUMN not in names or KEY_COLUMN not in layout.inputs:
        return None
    con, file = store.con, str(path)
    udf = f"_str_verdict_{uuid.uuid4().hex[:12]}"
    breaks = lines.LineBreaks(plain)  # counted beside the INSERT once a row is rejected
    verdicts = Verdicts(len(layout.skip), breaks.start)
    # Special NULL handling: a row whose key is missing must reach the function too.
    con.create_function(udf, verdicts, ["UTINYINT", "BIGINT"], "BOOLEAN",
                        type=PythonUDFType.ARROW, null_handling=FunctionNullHandling.SPECIAL,
                        side_effects=True)
    outcome: dict[str, Summary] = {}

    def finish() -> None:
        verdicts.close()
        check_unchanged(path, before, file)
        outcome["summary"] = _finish(path, con, layout, verdicts, breaks, plain=plain,
                                     text=text, names=names, rejects=rejects)

    try:
        # No rejects tables: a line the reader cannot read stops the INSERT, and the
        # ordinary read numbers it (keeping them cost the reader a third more time).
        relation = con.sql(_with_variables(con, _insert_source(layout, tabular.text_source(
            plain, names, layout, text, None), udf), layout.params))
        result = store.ingest_stream(relation, file=file, fmt=layout.format, loc="line",
                                     rows=verdicts.accepted, finish=finish, progress=progress)
    except _Fallback:
        return None
    except duckdb.InterruptException:
        raise
    except duckdb.Error:  # a line the reader cannot read (rolled back): the ordinary read
        return None
    finally:
        breaks.stop()
        with contextlib.suppress(duckdb.Error):
            con.remove_function(udf)
            for name in layout.params:
                con.execute(f"RESET VARIABLE {identifier(name)}")
    if result is None:
        return None
    summary = outcome["summary"]
    log.info("%s", summary.describe())  # the CLI prints the notes; logs stay quiet
    return dataclasses.replace(result, notes=(summary.describe(), *result.notes)), summary


def _insert_source(layout: Layout, source: str, udf: str) -> str:
    """The good rows of ``source`` in the store's columns, each row's verdict code (see
    ``Verdicts``) and key passed to ``udf``."""
    sel = layout.select
    columns = ", ".join(f"{sel[c]} AS {c}" for c in EVENT_FIELDS)
    skips = " ".join(f"WHEN e = {literal('skip:' + reason)} THEN {SKIPPED + k}"
                     for k, (reason, _) in enumerate(layout.skip))
    code = f"CASE WHEN e IS NULL THEN {GOOD} {skips} WHEN e = 'nul' THEN {NUL} ELSE {REJECTED} END"
    return f"""SELECT {store_columns_sql(layout, 'CAST(NULL AS BIGINT)')}
        FROM (SELECT {columns}, CAST({layout.key} AS VARCHAR) AS key
              FROM (SELECT *, {tabular.verdict_sql(layout, False)} AS e
                    FROM {tabular.fields_sql(layout, source)})
              WHERE {identifier(udf)}(CAST({code} AS UTINYINT), {identifier(KEY_COLUMN)}))
        """


def _with_variables(con: duckdb.DuckDBPyConnection, sql: str,
                    params: dict[str, list[str | None]]) -> str:
    """``sql`` with its named parameters (the layout's lookup lists) as DuckDB variables, for a
    relation, which takes no parameters: bound once, where lists written into the SQL as
    literals (120 kB of it for GDELT) were parsed again at each of the statement's four binds
    (0.5 s)."""
    for name in sorted(params, key=len, reverse=True):  # no name is cut by a shorter one
        con.execute(f"SET VARIABLE {identifier(name)} = ?", [params[name]])
        sql = sql.replace(f"${name}", f"getvariable({literal(name)})")
    return sql


def _finish(path: Path, con: duckdb.DuckDBPyConnection, layout: Layout, verdicts: Verdicts,
            breaks: lines.LineBreaks, *, plain: Path, text: tabular.Text, names: Sequence[str],
            rejects: str | Path | bool | None) -> Summary:
    """Check what the INSERT set aside, write the rejects file and return the summary, or
    raise ``_Fallback``. A rejected line's problems are read again from its text, found by its
    key (few lines), as the ordinary read does for the lines its reader rejected."""
    file = str(path)
    if verdicts.counts[NUL]:
        raise _Fallback  # the ordinary read refuses the file, naming the line
    keys = verdicts.rejected_keys()
    found = [k for k in keys if k is not None]
    if len(found) < len(keys) or not verdicts.unique_keys():
        raise _Fallback  # a key missing or repeated: the ordinary read names the lines
    first = 2 if text.header else 1
    counted = lines.by_key(plain, text, first, names.index(KEY_COLUMN), found, breaks) \
        if found else ({}, None)
    if counted is None:
        raise _Fallback  # not in key order: the ordinary read finds them by position
    located, total = counted
    texts = dict(located.values())
    problems = tabular.text_problems(con, layout, names, text, texts)
    records: list[dict[str, Any]] = [
        {"file": file, "line": line, "problems": problems[line], "text": texts[line]}
        for line in sorted(texts)]
    target = tabular.rejects_target(file, rejects, path.parent)
    written = tabular.finish_rejects(records, target, rejects in (None, True))
    counts = Counter({"": verdicts.accepted(), **Counter(r["problems"][0]["field"]
                                                         for r in records)})
    for k, (reason, _) in enumerate(layout.skip):
        counts[f"skip:{reason}"] = int(verdicts.counts[SKIPPED + k])
    read = tabular.Read(file, con, layout, "", "", "line")
    if total is not None:  # the lines were counted: the blank ones the reader skipped
        read.blank = total - (first - 1) - sum(counts.values())
    return tabular.summary_of(read, +counts, target if written else None, written)
