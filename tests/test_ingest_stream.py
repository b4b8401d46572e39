"""The one-statement GDELT ingest (``detente.events.ingest.stream``): whichever way a file
goes (in one statement, or back to the ordinary read), the store, the summary and the rejects
file are those of the ordinary read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from detente.errors import IngestError
from detente.events.ingest import coded, gdelt, ingest_batch, lines, stream, tabular
from detente.events.store import Store
from tests.conftest import FIXTURES
from tests.strategies import gdelt_exports

BASE = (FIXTURES / "interop" / "20170720000000.export.CSV").read_text().splitlines()[0].split(
    "\t")


def row(key: int, **changes: str) -> str:
    """A good GDELT 2.0 row with ``key``, some fields changed (by codebook name)."""
    fields = [str(key), *BASE[1:]]
    for name, value in changes.items():
        fields[gdelt.V2_COLUMNS.index(name)] = value
    return "\t".join(fields)


class Ways:
    """Ingest a file both ways, each into a store of its own, and say which way the
    one-statement ingest went."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch):
        self.folder = folder
        self.taken: list[str] = []
        original = stream.ingest_text

        def spy(*args, **kwargs):
            done = original(*args, **kwargs)
            self.taken.append("stream" if done is not None else "ordinary")
            return done

        monkeypatch.setattr(stream, "ingest_text", spy)

    def both(self, text: str, name: str = "20170722000000.export.CSV",
             stores: tuple[Path, Path] | None = None) -> tuple[dict, dict]:
        outcomes = []
        for way in ("stream", "ordinary"):
            folder = self.folder / way
            folder.mkdir(exist_ok=True)
            path = folder / name
            path.write_bytes(text.encode())
            store_path = stores[way == "ordinary"] if stores else folder / "events.duckdb"
            with Store(store_path) as store:
                try:
                    if way == "stream":
                        done = coded.ingest(store, path)
                        result, summary = done.result, done.summary
                    else:
                        batch, summary = gdelt.read_with_summary(path, store.con)
                        result = ingest_batch(store, batch)
                except IngestError as exc:
                    outcomes.append({"error": [{k: v for k, v in p.__dict__.items()
                                                if k != "file"} for p in exc.problems]})
                    continue
                events = store.query().sort_values("id").drop(columns=["also"], errors="ignore")
                rejects = path.with_name(path.name + coded.REJECTS_SUFFIX)
                outcomes.append({
                    "result": (result.rows, result.added, result.unchanged),
                    "summary": {k: v for k, v in summary.to_json_dict().items()
                                if k not in ("file", "rejects_file")},
                    "rejects": [{k: v for k, v in r.items() if k != "file"} for r in
                                map(json.loads, rejects.read_text().splitlines())]
                    if rejects.exists() else None,
                    "events": events.to_dict("records"),
                    "notes": [n.replace(str(path), "FILE") for n in result.notes],
                })
        return outcomes[0], outcomes[1]


@pytest.fixture
def ways(tmp_path, monkeypatch) -> Ways:
    return Ways(tmp_path, monkeypatch)


def test_a_clean_export_goes_in_one_statement(ways):
    text = "".join(row(680_000_000 + i) + "\n" for i in range(5))
    streamed, ordinary = ways.both(text)
    assert ways.taken == ["stream"]
    assert streamed == ordinary
    assert streamed["result"] == (5, 5, 0) and streamed["rejects"] is None


def test_rejected_lines_are_named_by_line_in_one_statement(ways):
    lines_ = [row(680_000_001), "", row(680_000_002, EventCode="XX"),
              row(680_000_003, Actor1CountryCode="", Actor1KnownGroupCode=""),
              row(680_000_004, SQLDATE="20171345"), "", row(680_000_005),
              row(680_000_006, Actor1CountryCode="ZZZ")]
    streamed, ordinary = ways.both("\r\n".join(lines_) + "\r\n")
    assert ways.taken == ["stream"]
    assert streamed == ordinary
    assert [r["line"] for r in streamed["rejects"]] == [3, 5, 8]
    assert streamed["rejects"][0]["text"] == lines_[2]
    assert streamed["summary"]["blank"] == 2 and streamed["summary"]["skipped"] == 1


@pytest.mark.parametrize("case", ["repeated key", "reject shares a key", "short line",
                                  "missing key"])
def test_what_only_the_ordinary_read_names_goes_back_to_it(ways, case):
    rows = {
        "repeated key": [row(680_000_001), row(680_000_002), row(680_000_001)],
        "reject shares a key": [row(680_000_001, Actor1CountryCode="", Actor1KnownGroupCode=""),
                                row(680_000_001, EventCode="XX"), row(680_000_002)],
        "short line": [row(680_000_001), "\t".join(row(680_000_002).split("\t")[:40]),
                       row(680_000_003)],
        "missing key": [row(680_000_001), "\t" + row(680_000_002).split("\t", 1)[1]],
    }[case]
    streamed, ordinary = ways.both("".join(r + "\n" for r in rows))
    assert ways.taken == ["ordinary"]
    assert streamed == ordinary
    assert streamed["rejects"]


def test_a_nul_byte_refuses_the_file_either_way(ways):
    text = row(680_000_001) + "\n" + row(680_000_002, Actor1Name="NORTH\x00KOREA") + "\n"
    streamed, ordinary = ways.both(text)
    assert ways.taken == ["ordinary"]
    assert streamed == ordinary and "error" in streamed


def test_rows_out_of_key_order_still_give_the_ordinary_outcome(ways):
    keys = [680_000_009, 680_000_002, 680_000_007, 680_000_001, 680_000_005]
    text = "".join(row(k, EventCode="XX" if k == 680_000_007 else "150") + "\n"
                   for k in keys)
    streamed, ordinary = ways.both(text)
    assert streamed == ordinary
    assert [r["line"] for r in streamed["rejects"]] == [3]


def test_reingesting_adds_nothing_in_one_statement(ways, tmp_path):
    text = "".join(row(680_000_000 + i) + "\n" for i in range(4)) + row(680_000_009,
                                                                        EventCode="XX") + "\n"
    stores = (tmp_path / "a.duckdb", tmp_path / "b.duckdb")
    ways.both(text, stores=stores)
    streamed, ordinary = ways.both(text, stores=stores)
    assert ways.taken == ["stream", "stream"]
    assert streamed == ordinary
    assert streamed["result"] == (4, 0, 4)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export=gdelt_exports(BASE))
def test_any_export_gives_the_ordinary_outcome(tmp_path_factory, monkeypatch, export):
    text, held = export
    ways = Ways(tmp_path_factory.mktemp("ways"), monkeypatch)
    streamed, ordinary = ways.both(text)
    assert streamed == ordinary
    keys = held["keys"]
    if "error" not in streamed and "short" not in held["kinds"] \
            and len(set(keys)) == len(keys) and keys == sorted(keys):
        assert ways.taken == ["stream"]  # nothing the one statement cannot name


# --- the pieces ------------------------------------------------------------------------------

def test_by_key_finds_lines_in_a_file_in_key_order(tmp_path):
    path = tmp_path / "f.tsv"
    path.write_bytes(b"id\tx\n10\ta\n\n20\tb\r\n30\tc\n\n")
    text = tabular.Text("\t", "", True)
    found, total = lines.by_key(path, text, 2, 0, [30, 10, 20])
    assert found == {10: (2, "10\ta"), 20: (4, "20\tb"), 30: (5, "30\tc")}
    assert total == 6
    assert lines.by_key(path, text, 2, 0, [15]) is None  # no such key: None, not a guess
    path.write_bytes(b"20\tb\n10\ta\n30\tc\n")
    found_any = lines.by_key(path, tabular.Text("\t", "", False), 1, 0, [10, 20, 30])
    assert found_any is None or found_any[0] == {20: (1, "20\tb"), 10: (2, "10\ta"),
                                                 30: (3, "30\tc")}


def test_verdicts_prove_unique_keys_from_ascending_chunks():
    import pyarrow as pa

    def chunk(keys, codes=None):
        return (pa.array(codes or [stream.GOOD] * len(keys), pa.uint8()),
                pa.array(keys, pa.int64()))

    started = []
    verdicts = stream.Verdicts(1, lambda: started.append(1))
    assert verdicts(*chunk([5, 6, 7])).to_pylist() == [True, True, True]
    good = verdicts(*chunk([1, 2, 3], [stream.GOOD, stream.SKIPPED, stream.REJECTED]))
    assert good.to_pylist() == [True, False, False] and started == [1]
    assert verdicts.ascending and verdicts.unique_keys()
    assert verdicts.counts.tolist() == [4, 1, 0, 1] and verdicts.rejected_keys() == [3]
    verdicts(*chunk([3, 9]))  # overlaps the range 1-3: compared key by key
    assert not verdicts.unique_keys()
    unordered = stream.Verdicts(1)
    unordered(*chunk([9, 2]))
    unordered(*chunk([4]))
    assert not unordered.ascending and unordered.unique_keys()
    unordered.close()
    unordered(*chunk([9], [stream.REJECTED]))  # closed: filters, keeps nothing
    assert unordered.rejected_keys() == [] and unordered.unique_keys()


def test_by_key_numbers_lines_alike_with_breaks_counted_beside(tmp_path):
    """Across 1 MB chunks, with a blank line now and then: line breaks counted on demand and
    counted by a thread started beforehand give the same numbers, the lines' true ones."""
    path = tmp_path / "big.tsv"
    rows = [f"{1000 + 7 * i}\t{'x' * (i % 97)}" if i % 501 else "" for i in range(60_000)]
    path.write_text("".join(r + "\n" for r in rows))
    assert path.stat().st_size > 3 << 20
    wanted = {int(r.split("\t")[0]): n for n, r in enumerate(rows, start=1)
              if r and n in (1, 2, 9_999, 30_001, 59_999)}
    text = tabular.Text("\t", "", False)
    one_pass = lines.by_key(path, text, 1, 0, list(wanted))
    breaks = lines.LineBreaks(path)
    breaks.start()
    beside = lines.by_key(path, text, 1, 0, list(wanted), breaks)
    assert one_pass == beside
    assert {k: n for k, (n, _) in one_pass[0].items()} == wanted and one_pass[1] == len(rows)
