"""Where provenance indexes are kept, and keeping them in step with their logs.

One index (an SQLite file) serves one set of log files. It lives in ``$LOGPROV_CACHE`` or
``~/.cache/logprov/``, named by a digest of the files' absolute paths, and remembers the size,
modification time and first bytes of each file. A file that grew is read from where the index
stopped; any other change rebuilds the index.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from pathlib import Path
from typing import Optional, Sequence

from ..reader import iter_records
from .facts import FactReader
from .progress import Progress, track
from .sources import LogFile, last_line_end
from .store import SCHEMA_VERSION, IndexWriter, create_indexes, create_tables

__all__ = ["cache_dir", "index_path", "open_index"]

_HEAD = 4096
#: Bytes of a page of the index: large pages make writing it cheaper.
_PAGE_SIZE = 32768


def cache_dir() -> Path:
    """Return the folder of the indexes: ``$LOGPROV_CACHE``, else ``~/.cache/logprov``."""
    configured = os.environ.get("LOGPROV_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "logprov"


def index_path(files: Sequence[LogFile], directory: Optional[Path] = None) -> Path:
    """Return the path of the index of ``files``."""
    digest = hashlib.blake2b("\n".join(sorted(f.path for f in files)).encode("utf-8", "surrogatepass"),
                             digest_size=12).hexdigest()
    return (directory or cache_dir()) / f"{digest}.sqlite"


def _head(path: str, length: int) -> str:
    with open(path, "rb") as stream:
        return hashlib.blake2b(stream.read(min(length, _HEAD)), digest_size=16).hexdigest()


class _Slice(io.RawIOBase):
    """The bytes ``[start, end)`` of a file, as a readable raw stream named like the file."""

    def __init__(self, path: str, start: int, end: int) -> None:
        super().__init__()
        self._file = open(path, "rb")
        self._file.seek(start)
        self._left = end - start
        self.name = path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: self._left]
        count = self._file.readinto(view)
        self._left -= count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _state(log: LogFile) -> tuple:
    offset = log.size if log.compressed else last_line_end(log.path, log.size)
    return (log.path, log.size, log.mtime, offset, _head(log.path, offset))


def _build(files: Sequence[LogFile], path: Path, progress: Optional[Progress], sources: Sequence) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    states = [_state(log) for log in files]
    connection = sqlite3.connect(temporary)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        create_tables(connection)
        writer = IndexWriter(connection)
        counts: dict = {}
        records = iter_records(sources)
        FactReader(writer).add_all(track(records, progress, "indexing", counts))
        writer.finish()
        create_indexes(connection)
        connection.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            [(*state, int(counts["legacy"])) for state in states],
        )
        connection.executemany("INSERT INTO meta VALUES (?, ?)",
                               [("schema", SCHEMA_VERSION), ("records", str(counts["records"]))])
        connection.commit()
    except BaseException:
        connection.close()
        temporary.unlink(missing_ok=True)
        raise
    connection.close()
    os.replace(temporary, path)


def _plan(connection: sqlite3.Connection, files: Sequence[LogFile]) -> Optional[list]:
    """Return the files to read on from their stored offset (empty when the index is up to
    date), or None when the index must be rebuilt."""
    try:
        schema = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        stored = {row[0]: row[1:] for row in connection.execute(
            "SELECT path, size, mtime, offset, head, legacy FROM sources")}
    except sqlite3.DatabaseError:
        return None
    if schema is None or schema[0] != SCHEMA_VERSION or set(stored) != {f.path for f in files}:
        return None
    grown = []
    for log in files:
        size, mtime, offset, head, legacy = stored[log.path]
        if log.size == size and log.mtime == mtime:
            continue
        if log.compressed or legacy or log.size < offset or _head(log.path, offset) != head:
            return None
        grown.append((log, offset))
    return grown


def _append(connection: sqlite3.Connection, grown: list, progress: Optional[Progress]) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        grown = [(log, offset) for log, offset in grown
                 if connection.execute("SELECT size, mtime FROM sources WHERE path = ?",
                                       (log.path,)).fetchone() != (log.size, log.mtime)]
        writer = IndexWriter(connection, appending=True)
        counts: dict = {}
        for log, offset in grown:
            end = last_line_end(log.path, log.size)
            stream = io.BufferedReader(_Slice(log.path, offset, end), 1 << 20)
            with stream:
                FactReader(writer).add_all(track(iter_records(stream), progress, "indexing", counts))
            connection.execute(
                "UPDATE sources SET size = ?, mtime = ?, offset = ?, legacy = legacy OR ? WHERE path = ?",
                (log.size, log.mtime, end, int(counts.get("legacy", False)), log.path),
            )
        writer.finish()
        connection.execute("UPDATE meta SET value = value + ? WHERE key = 'records'",
                           (counts.get("records", 0),))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


def open_index(files: Sequence[LogFile], directory: Optional[Path] = None,
               progress: Optional[Progress] = None, sources: Optional[Sequence] = None) -> sqlite3.Connection:
    """Return a connection to the up-to-date index of ``files``, building or extending it.

    Parameters
    ----------
    files : sequence of LogFile
        The log files.
    directory : Path, optional
        Folder of the indexes (default: `cache_dir`).
    progress : Progress, optional
        Shows progress while logs are read.
    sources : sequence, optional
        The paths and glob patterns ``files`` were found from, read by `iter_records` in its own
        order (rotated copies of a log before it) when the index is built; default: ``files``.

    Raises
    ------
    OSError, sqlite3.Error
        If the index cannot be written.
    """
    path = index_path(files, directory)
    for _ in range(2):
        if path.exists():
            connection = sqlite3.connect(path, timeout=60, isolation_level=None)
            grown = _plan(connection, files)
            if grown is not None:
                if grown:
                    _append(connection, grown, progress)
                return connection
            connection.close()
        _build(files, path, progress, sources if sources is not None else [log.path for log in files])
    raise sqlite3.DatabaseError(f"cannot open the index {path}")
