"""Event store throughput: ingest 1M synthetic events from CSV and Parquet, then filter them.

Baseline, run in the same process on the same files: plain pandas (``read_csv`` or
``read_parquet``, then boolean filtering). Goals (issue 2): ingest >= 1M rows/s from Parquet;
filtered queries >= 10x faster than pandas on 1M rows. For scale, the run also times DuckDB
alone copying the Parquet file into a table (as it is, and with ids in date order).

    .venv/bin/python benchmarks/bench_store.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from detente.events import ingest
from detente.events.query import EventFilter
from detente.events.store import Store

ACTORS = ["PRK", "USA", "KOR", "CHN", "JPN", "RUS"]
KINDS = ["missile_test", "military_exercise", "sanctions_designation", "talks", "provocation"]


def make_sources(folder: Path, rows: int) -> tuple[Path, Path]:
    """The same synthetic events as CSV and as Parquet (written by DuckDB, seeded by row id)."""
    actors = "[" + ", ".join(f"'{a}'" for a in ACTORS) + "]"
    kinds = "[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    query = f"""
        SELECT DATE '1990-01-01' + CAST(hash(i, 1) % 13000 AS INTEGER) AS date,
               {actors}[1 + CAST(hash(i, 2) % {len(ACTORS)} AS INTEGER)] AS actor,
               {kinds}[1 + CAST(hash(i, 3) % {len(KINDS)} AS INTEGER)] AS kind,
               'bench' AS source, 'row-' || i AS source_ref, 'high' AS confidence,
               'synthetic event ' || i AS summary
        FROM range({rows}) t(i)"""
    csv_path, parquet_path = folder / "events.csv", folder / "events.parquet"
    duckdb.sql(f"COPY ({query}) TO '{csv_path}' (HEADER, DELIMITER ',')")
    duckdb.sql(f"COPY ({query}) TO '{parquet_path}' (FORMAT parquet)")
    return csv_path, parquet_path


def engine_floors(folder: Path, parquet_path: Path) -> dict[str, tuple[float, float]]:
    """Seconds (wall clock, CPU) DuckDB alone takes to copy the Parquet file into a table of a
    new database file: as it is; with what the store adds to every row (the id hash, date
    order); the same in the store's twelve-column event layout (four of them the same in every
    row of this file); and to count the distinct source keys, the least a duplicate check can
    do. No design that checks and writes through DuckDB ingests faster than the last two
    together."""
    ident = "substr(sha256(source || chr(31) || source_ref), 1, 16) AS id"
    layout = (f"{ident}, date, NULL::DATE AS \"end\", actor, NULL::VARCHAR AS target, kind, "
              "'{}' AS attrs, source, source_ref, confidence, summary, "
              "NULL::VARCHAR AS match_key")
    source = f"read_parquet('{parquet_path}')"
    statements = {
        "as it is": f"CREATE TABLE t AS SELECT * FROM {source}",
        "with ids, in date order": f"CREATE TABLE t AS SELECT {ident}, * FROM {source} "
                                   "ORDER BY date",
        "in the store's layout, with ids, in date order":
            f"CREATE TABLE t AS SELECT {layout} FROM {source} ORDER BY date",
        "counting distinct source keys":
            f"SELECT count(DISTINCT hash(source, source_ref)) FROM {source}",
    }
    out = {}
    for label, sql in statements.items():
        with duckdb.connect(str(folder / f"floor-{len(out)}.duckdb")) as con:
            start, cpu = time.perf_counter(), time.process_time()
            con.execute(sql).fetchall()
            out[label] = (time.perf_counter() - start, time.process_time() - cpu)
    return out


def timed(fn, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cpu_timed(fn):
    """Wall-clock and CPU seconds (all of the process's threads) of one call, and its result."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - start, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = args.rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, parquet_path = make_sources(folder, rows)

        # CPU seconds show the work apart from the cores: wall clock >= CPU / cores.
        print(f"cores: {os.cpu_count()}")
        results = {}
        for label, path in (("csv", csv_path), ("parquet", parquet_path)):
            with Store(folder / f"{label}.duckdb", empty=True) as store:
                seconds, cpu, result = cpu_timed(lambda s=store, p=path: ingest.ingest_file(s, p))
                assert result.added == rows, result
                results[label] = seconds
            print(f"ingest {label}: {rows:,} rows in {seconds:.2f} s (CPU {cpu:.2f} s) = "
                  f"{rows / seconds:,.0f} rows/s")
        floors = engine_floors(folder, parquet_path)
        for label, (seconds, cpu) in floors.items():
            what = (f"{label} of the Parquet file" if label.startswith("counting")
                    else f"copying the Parquet file to a table {label}")
            print(f"DuckDB alone, {what} (no checks): "
                  f"{seconds:.2f} s (CPU {cpu:.2f} s) = {rows / seconds:,.0f} rows/s")
        pandas_csv, frame = timed(lambda: pd.read_csv(csv_path, parse_dates=["date"]))
        print(f"pandas read_csv (no validation, no store): {pandas_csv:.2f} s = "
              f"{rows / pandas_csv:,.0f} rows/s")
        pandas_parquet, _ = timed(lambda: pd.read_parquet(parquet_path))
        print(f"pandas read_parquet (no validation, no store): {pandas_parquet:.2f} s = "
              f"{rows / pandas_parquet:,.0f} rows/s")

        flt = EventFilter(actor="PRK", kind="missile_test", start="2016-01-01",
                          end="2017-12-31")
        with Store(folder / "parquet.duckdb", read_only=True) as store:
            query_s, found = timed(lambda: store.query(flt), repeat=5)

        def pandas_filter(df: pd.DataFrame) -> pd.DataFrame:
            mask = ((df["actor"] == "PRK") & (df["kind"] == "missile_test")
                    & (df["date"] >= "2016-01-01") & (df["date"] <= "2017-12-31"))
            return df[mask]

        def pandas_full() -> pd.DataFrame:
            return pandas_filter(pd.read_csv(csv_path, parse_dates=["date"]))

        pandas_s, expected = timed(pandas_full, repeat=3)
        in_memory_s, _ = timed(lambda: pandas_filter(frame), repeat=5)
        assert len(found) == len(expected), (len(found), len(expected))
        print(f"filtered query (actor + kind + date range, {len(found):,} matches): "
              f"detente {query_s * 1000:.1f} ms; pandas read_csv + filter "
              f"{pandas_s * 1000:.1f} ms; pandas filter on an already loaded frame "
              f"{in_memory_s * 1000:.1f} ms")
        print(f"ingest_parquet_rows_per_s: {rows / results['parquet']:,.0f}")
        print(f"floor_parquet_rows_per_s: {rows / floors['with ids, in date order'][0]:,.0f}")
        layout_and_keys = (floors["in the store's layout, with ids, in date order"][0]
                           + floors["counting distinct source keys"][0])
        print(f"floor_store_layout_and_key_count_rows_per_s: {rows / layout_and_keys:,.0f}")
        # The same run's floor cancels out how fast the machine happens to be.
        print(f"ingest_parquet_share_of_floor: {layout_and_keys / results['parquet']:.2f}")
        print(f"ingest_csv_rows_per_s: {rows / results['csv']:,.0f}")
        # Below 1: pandas only parses; detente also checks, deduplicates and stores.
        print(f"ingest_parquet_ratio_vs_pandas: {pandas_parquet / results['parquet']:.2f}")
        print(f"ingest_csv_ratio_vs_pandas: {pandas_csv / results['csv']:.2f}")
        print(f"query_ratio_vs_pandas_in_memory: {in_memory_s / query_s:.1f}")
        print(f"query_ratio_vs_pandas: {pandas_s / query_s:.1f}")


if __name__ == "__main__":
    main()
