"""File guards for event exports: refuse files still being written, decompress once with
checksums verified, sniff the first bytes.

A file is refused whole (``IngestError``, nothing read) when its name says a copy is in
progress (``.tmp``, ``.part``, ...), when it is empty, when its compression is broken, or when
its last line has no newline (truncated, or still being written).
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from detente.errors import IngestError

IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".filepart",
                        ".temp", ".inprogress")
REJECTS_SUFFIX = ".rejects.jsonl"
_CHUNK = 1 << 22


def in_progress_reason(path: Path) -> str | None:
    """Why ``path`` looks like a file still being written (by its name), or None."""
    name = path.name.lower()
    for suffix in IN_PROGRESS_SUFFIXES:
        if name.endswith(suffix):
            return f"its name ends in {suffix}: a download or copy still in progress"
    if name.startswith(".") or name.startswith("~$"):
        return "hidden or lock-file name: a copy still in progress"
    return None


def is_side_file(path: Path) -> bool:
    """Files detente itself writes next to inputs (rejects), never inputs themselves."""
    return path.name.endswith(REJECTS_SUFFIX) or path.name.endswith(REJECTS_SUFFIX + ".tmp")


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileState:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns)


def compression_of(path: Path) -> str | None:
    """``gzip``, ``zip`` or None, by the file's magic bytes (names lie)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    return None


def open_text_head(path: Path, max_bytes: int = 1 << 16) -> bytes:
    """The first bytes of ``path`` after decompression (for format sniffing)."""
    try:
        kind = compression_of(path)
        if kind == "gzip":
            with gzip.open(path, "rb") as handle:
                return handle.read(max_bytes)
        if kind == "zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if not members:
                    return b""
                with archive.open(members[0]) as handle:
                    return handle.read(max_bytes)
        with open(path, "rb") as handle:
            return handle.read(max_bytes)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error):
        return b""


def first_line(path: Path) -> str:
    head = open_text_head(path)
    return head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")


def _decompress(path: Path, kind: str, workdir: Path) -> Path:
    """Decompress ``path`` into ``workdir``, verifying its checksum; IngestError if broken."""
    file = str(path)
    out = workdir / (path.stem or "data")
    try:
        if kind == "gzip":
            with gzip.open(path, "rb") as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)  # gzip checks CRC and length at the end
        else:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if len(members) != 1:
                    raise IngestError.single(
                        f"a zip archive must hold exactly one data file, found {len(members)}",
                        file=file)
                with archive.open(members[0]) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)  # ZipExtFile checks the CRC at EOF
    except (EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile, OSError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) \
                and exc.errno is not None:
            raise
        raise IngestError.single(
            f"broken {kind} compression ({exc}); the file is truncated or corrupt, or still "
            "being written; nothing was ingested", file=file) from None
    return out


def _check_terminated(plain: Path, file: str) -> None:
    size = plain.stat().st_size
    if size == 0:
        raise IngestError.single("the file is empty", file=file)
    with open(plain, "rb") as handle:
        handle.seek(size - 1)
        if handle.read(1) != b"\n":
            # Count lines only in this failure case, to name the truncated one.
            with open(plain, "rb") as all_lines:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: all_lines.read(_CHUNK),
                                                                  b""))
            raise IngestError.single(
                "the last line is not terminated by a newline: the file is truncated or still "
                "being written; nothing was ingested (retry when it is complete)",
                file=file, line=lines + 1)


def prepare(path: Path, *, allow_unterminated: bool = False) -> tuple[Path, Path | None,
                                                                       FileState]:
    """Guard ``path`` and return (plain file to read, temp dir to remove later, state before)."""
    file = str(path)
    reason = in_progress_reason(path)
    if reason:
        raise IngestError.single(f"refusing a file still being written: {reason}", file=file)
    before = FileState.of(path)
    if before.size == 0:
        raise IngestError.single("the file is empty", file=file)
    kind = compression_of(path)
    workdir = None
    plain = path
    if kind is not None:
        workdir = Path(tempfile.mkdtemp(prefix="detente-coded-"))
        try:
            plain = _decompress(path, kind, workdir)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
    try:
        if not allow_unterminated:
            _check_terminated(plain, file)
    except BaseException:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    return plain, workdir, before


def discard(workdir: Path | None) -> None:
    """Remove a temporary directory made by :func:`prepare` (after a failure)."""
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
