"""Where provenance indexes are kept, and keeping them in step with their logs.

One index (an SQLite file) serves one set of log files. It lives in ``$LOGPROV_CACHE`` or
``~/.cache/logprov/``, named by a digest of the files' absolute paths, and remembers of each
file its device, inode, size, modification and change times, the end of its last complete line
and a BLAKE2b digest of the bytes up to there (the indexed range).

An index is used as it is only when every file has the device, inode, size and times it had
when it was indexed; the change time (ctime) moves on every write and no program can set it
back, so a file copied over with its old size and modification time (``cp -p``, ``rsync -t``)
does not pass. A file changed in any other way is hashed again up to the indexed end: when its
digest still matches, the index is extended with what was appended; else the index is rebuilt,
with one `IndexWarning`. So is an index that cannot be read (a damaged file). A file whose
change time is less than `SETTLE_SECONDS` old when it is indexed is hashed again the next time
in any case: a write in the same clock tick does not move the change time.

The index file itself is checked the same way: beside it, ``<index>.checked`` holds its device,
inode, size and times as logprov last wrote or checked it. An index changed since then by
anything else is checked by SQLite (``PRAGMA quick_check``) before it is used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import time
import warnings
from pathlib import Path
from typing import IO, Any, Optional, Sequence

from ..reading.reader import ReadStats, iter_records
from .facts import FactReader
from .progress import Progress, track
from ..reading.sources import LogFile, last_line_end
from .store import SCHEMA_VERSION, IndexWriter, create_indexes, create_tables

__all__ = ["IndexWarning", "cache_dir", "index_path", "open_index"]

_BLOCK = 1 << 20
#: Seconds after which the change time of an indexed file is trusted (see the module notes).
SETTLE_SECONDS = 2.0
#: Plans made again at most when other processes keep extending the same index.
_REPLANS = 5
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


class IndexWarning(UserWarning):
    """An index could not be used as it was: it is rebuilt, or the logs are read instead."""


class IndexMismatch(Exception):
    """An index does not describe its logs any more, or cannot be read: it must be rebuilt."""


def _digest(path: str, end: int, start: int = 0, hasher: Optional[Any] = None) -> Any:
    """Return a BLAKE2b hasher fed with the bytes ``[start, end)`` of ``path``, after ``hasher``'s."""
    hasher = hasher if hasher is not None else hashlib.blake2b(digest_size=20)
    with open(path, "rb") as stream:
        stream.seek(start)
        left = end - start
        while left > 0:
            block = stream.read(min(_BLOCK, left))
            if not block:
                break
            hasher.update(block)
            left -= len(block)
    return hasher


def _identity(info: os.stat_result) -> tuple:
    """The fields of ``info`` an unchanged file keeps: device, inode, size, mtime, ctime."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _trusted_ctime(info: os.stat_result) -> int:
    """Return the change time to store, or 0 when it is too recent to be relied on."""
    return info.st_ctime_ns if time.time_ns() - info.st_ctime_ns > SETTLE_SECONDS * 1e9 else 0


class _Slice(io.RawIOBase):
    """The bytes ``[start, end)`` of a file, as a readable raw stream named like the file."""

    def __init__(self, path: str, start: int, end: int) -> None:
        super().__init__()
        self._file: Optional[IO[bytes]] = None
        self._start = start
        self._size = self._left = end - start
        self.name = path

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """Return the number of bytes of the slice read so far."""
        return self._size - self._left

    def readinto(self, buffer: memoryview) -> int:
        if self._left <= 0:
            return 0
        if self._file is None:
            self._file = open(self.name, "rb")
            self._file.seek(self._start)
        view = memoryview(buffer)[: self._left]
        count = self._file.readinto(view)
        self._left -= count
        return count

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def _checked_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.checked")


def _index_identity(path: Path) -> list:
    return list(_identity(os.stat(path)))


def _mark_checked(path: Path) -> None:
    """Remember the index file ``path`` as it is now: written or checked by logprov."""
    checked = _checked_path(path)
    temporary = checked.with_name(f"{checked.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(_index_identity(path)))
        os.replace(temporary, checked)
    except OSError:
        temporary.unlink(missing_ok=True)


def _check_file(connection: sqlite3.Connection, path: Path) -> None:
    """Raise `IndexMismatch` when the index file changed since logprov last left it and
    SQLite finds it damaged."""
    try:
        known = json.loads(_checked_path(path).read_text())
    except (OSError, ValueError):
        known = None
    if known == _index_identity(path):
        return
    try:
        found = connection.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as exc:
        raise IndexMismatch(f"it cannot be read ({exc})") from None
    if found is None or found[0] != "ok":
        raise IndexMismatch(f"it is damaged ({found[0] if found else 'no answer'})")
    _mark_checked(path)


def _state(log: LogFile) -> tuple:
    """Return the row of ``log`` in the sources table, as it is now."""
    info = os.stat(log.path)
    offset = info.st_size if log.compressed else last_line_end(log.path, info.st_size)
    digest = _digest(log.path, offset).hexdigest()
    return (log.path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, _trusted_ctime(info), offset,
            digest)


def _build(files: Sequence[LogFile], path: Path, progress: Optional[Progress]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    states = [_state(log) for log in files]
    ends = {state[0]: state[-2] for state in states}
    streams = [log.path if log.compressed else io.BufferedReader(_Slice(log.path, 0, ends[log.path]), 1 << 20)
               for log in files]
    connection = sqlite3.connect(temporary)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        create_tables(connection)
        writer = IndexWriter(connection)
        counts: dict = {}
        stats = ReadStats()
        records = iter_records(streams, stats=stats)
        sizes = [log.size if log.compressed else ends[log.path] for log in files]
        FactReader(writer).add_all(track(records, progress, "indexing", counts, stats, sizes))
        writer.finish()
        create_indexes(connection)
        connection.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*state, int(counts["legacy"])) for state in states],
        )
        connection.executemany("INSERT INTO meta VALUES (?, ?)",
                               [("schema", SCHEMA_VERSION), ("records", str(counts["records"]))])
        connection.commit()
    except BaseException:
        connection.close()
        temporary.unlink(missing_ok=True)
        raise
    finally:
        for stream in streams:
            if not isinstance(stream, str):
                stream.close()
    connection.close()
    os.replace(temporary, path)
    _mark_checked(path)


def _plan(connection: sqlite3.Connection, files: Sequence[LogFile]) -> list:
    """Return ``(log, stat, offset, hasher)`` of the files that changed since they were indexed
    but only grew (empty when the index is up to date), ``hasher`` holding the digest of the
    indexed range.

    Raises
    ------
    IndexMismatch
        If the index cannot be read, is of another schema or other files, or a file changed
        otherwise than by growing.
    """
    try:
        schema = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if schema is None or schema[0] != SCHEMA_VERSION:
            raise IndexMismatch("it was made by another version")
        stored = {row[0]: row[1:] for row in connection.execute(
            "SELECT path, dev, ino, size, mtime, ctime, offset, digest, legacy FROM sources")}
    except sqlite3.DatabaseError as exc:
        raise IndexMismatch(f"it cannot be read ({exc})") from None
    if set(stored) != {f.path for f in files}:
        raise IndexMismatch("it was made for other files")
    grown = []
    for log in files:
        dev, ino, size, mtime, ctime, offset, digest, legacy = stored[log.path]
        info = os.stat(log.path)
        if ctime and _identity(info) == (dev, ino, size, mtime, ctime):
            continue
        if info.st_size < offset or (log.compressed and info.st_size != offset):
            raise IndexMismatch(f"{log.path} is shorter than when it was indexed")
        hasher = _digest(log.path, offset)
        if hasher.hexdigest() != digest:
            raise IndexMismatch(f"the content of {log.path} changed since it was indexed")
        if legacy and info.st_size != size:
            raise IndexMismatch(f"{log.path} grew and holds logprov 0.0.2 records")
        grown.append((log, info, offset, hasher))
    return grown


def _append(connection: sqlite3.Connection, grown: list, progress: Optional[Progress]) -> bool:
    """Index what the files of ``grown`` gained; return False, having written nothing, when
    another process extended the index since ``grown`` was planned."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        writer = IndexWriter(connection, appending=True)
        counts: dict = {}
        for log, info, offset, hasher in grown:
            row = connection.execute("SELECT offset, digest FROM sources WHERE path = ?", (log.path,)).fetchone()
            if row != (offset, hasher.hexdigest()):
                connection.rollback()
                return False
            end = last_line_end(log.path, info.st_size)
            if end > offset:
                stream = io.BufferedReader(_Slice(log.path, offset, end), 1 << 20)
                with stream:
                    stats = ReadStats()
                    FactReader(writer).add_all(track(iter_records(stream, stats=stats), progress, "indexing",
                                                     counts, stats, [end - offset]))
                _digest(log.path, end, offset, hasher)
            connection.execute(
                "UPDATE sources SET dev = ?, ino = ?, size = ?, mtime = ?, ctime = ?, offset = ?, digest = ?, "
                "legacy = legacy OR ? WHERE path = ?",
                (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, _trusted_ctime(info), end,
                 hasher.hexdigest(), int(counts.get("legacy", False)), log.path),
            )
        writer.finish()
        connection.execute("UPDATE meta SET value = value + ? WHERE key = 'records'",
                           (counts.get("records", 0),))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return True


def open_index(files: Sequence[LogFile], directory: Optional[Path] = None,
               progress: Optional[Progress] = None) -> sqlite3.Connection:
    """Return a connection to the up-to-date index of ``files``, building or extending it.

    Parameters
    ----------
    files : sequence of LogFile
        The log files, in the order they are read (that of `logprov.reading.sources.resolve`).
    directory : Path, optional
        Folder of the indexes (default: `cache_dir`).
    progress : Progress, optional
        Shows progress while logs are read.

    Raises
    ------
    OSError, sqlite3.Error
        If the index cannot be written.
    """
    path = index_path(files, directory)
    for attempt in range(3):
        if path.exists():
            connection = sqlite3.connect(path, timeout=60, isolation_level=None)
            try:
                _check_file(connection, path)
                for _ in range(_REPLANS):
                    grown = _plan(connection, files)
                    if not grown:
                        return connection
                    if _append(connection, grown, progress):
                        _mark_checked(path)
                        return connection
                connection.close()
                continue
            except IndexMismatch as exc:
                connection.close()
                if attempt == 0:
                    warnings.warn(f"the index {path} does not match the logs: {exc}; rebuilding it",
                                  IndexWarning, stacklevel=3)
            except sqlite3.DatabaseError as exc:
                connection.close()
                if attempt == 0:
                    warnings.warn(f"the index {path} cannot be read ({exc}); rebuilding it",
                                  IndexWarning, stacklevel=3)
        _build(files, path, progress)
    raise sqlite3.DatabaseError(f"cannot open the index {path}")
