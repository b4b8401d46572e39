"""Output files (reports, simulation and sweep tables, exports): whole or not at all.

A file is written to ``.NAME.PID.tmp`` beside it and renamed into place, so a reader, or a run
that stops half-way (a full disk, a file-size limit, Ctrl-C, ``kill -9``), never finds half a
file under NAME and an earlier NAME is kept until the new one is complete. The temporary file
is removed on any error; one left by a process killed outright (no code of its runs then) is
removed by the next write to the same NAME. Errors name the file and the cause
(``OutputError``), never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from detente.errors import OutputError, ParameterError
from detente.sql import literal


def check_target(path: str | Path, option: str = "path") -> Path:
    """``path`` if a file can be written there (checked before a long run, not after it)."""
    path = Path(path)
    if path.is_dir():
        raise ParameterError.single("is a folder; give a file name", field=option,
                                    value=str(path))
    if not path.parent.is_dir():
        raise ParameterError.single("no such folder", field=option, value=str(path.parent))
    return path


def write_atomically(path: str | Path, write: Callable[[Path], object], option: str = "path",
                     *, parents: bool = False) -> Path:
    """Call ``write(temporary path)``, then move the file to ``path`` (see the module
    docstring); ``parents``: create missing folders first. ``OSError`` becomes
    ``OutputError`` naming ``path``."""
    path = Path(path)
    if parents and not path.parent.is_dir():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise failure(path, exc) from None
    check_target(path, option)
    _remove_orphans(path)
    tmp = _temporary(path, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise failure(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_folder_atomically(path: str | Path, write: Callable[[Path], object],
                            option: str = "path") -> Path:
    """Call ``write(temporary folder)``, then move the folder to ``path``, which must not
    exist yet (a folder is not replaced in one step); removed on any error."""
    import shutil

    path = Path(path)
    if path.exists():
        raise ParameterError.single("already exists; remove it or give a new folder",
                                    field=option, value=str(path))
    if not path.parent.is_dir():
        raise ParameterError.single("no such folder", field=option, value=str(path.parent))
    tmp = _temporary(path, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write(tmp)
        os.rename(tmp, path)
    except OSError as exc:
        raise failure(path, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def copy_partitioned(con, relation, folder: Path, partition_by) -> None:
    """Write ``relation`` (events with ``date``) as Parquet hive partitions of ``folder`` by
    ``year`` and/or ``month`` of ``date``, each file in the relation's (date) order."""
    allowed = {"year": "year(date)", "month": "month(date)"}
    unknown = [p for p in partition_by if p not in allowed]
    if unknown:
        raise ParameterError.single("partition by year and/or month", field="partition_by",
                                    value=",".join(unknown))
    keys = ", ".join(f"{allowed[p]} AS {p}" for p in partition_by)
    con.execute(f"COPY (SELECT *, {keys} FROM ({relation.sql_query()})) TO {literal(folder)} "
                f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({', '.join(partition_by)}))")


def failure(path: str | Path, exc: Exception) -> OutputError:
    """``OutputError`` naming ``path`` and the cause: the system's words for an ``OSError``
    (a full disk, a file-size limit, a refused folder), else the first line of a writer's
    own error (DuckDB's)."""
    errno = getattr(exc, "errno", None)
    if not errno:  # DuckDB puts the system's error number in its message, if at all
        found = re.search(r'"errno":\s*"?(\d+)', str(exc))
        errno = int(found[1]) if found else None
    cause = os.strerror(errno) if errno else str(exc).split("\n", 1)[0]
    kept = f"; the earlier {Path(path).name} is unchanged" if Path(path).is_file() else ""
    return OutputError(f"cannot write {path}: {cause}; nothing was written{kept}")


def _temporary(path: Path, pid: int) -> Path:
    return path.with_name(f".{path.name}.{pid}.tmp")


def _remove_orphans(path: Path) -> None:
    """Remove ``.NAME.PID.tmp`` files of ``path`` whose process is gone."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.tmp")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _alive(int(match[1])):
            (path.parent / name).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
