"""Where provenance indexes are kept, and keeping them in step with their logs.

One index serves one set of log files: an SQLite store (see `logprov.store`) in
``$LOGPROV_CACHE`` or ``~/.cache/logprov/``, named by a digest of the files' absolute paths,
loaded and extended by the same loader as any store (`logprov.store.loader`): a file that
only grew is read from where it was left, one whose content changed is detected by its
digest. An index that holds other logs than its files, of which a file changed otherwise than
by growing, or that cannot be read (a damaged file) is rebuilt, with one `IndexWarning`.

The index file itself is checked too: beside it, ``<index>.checked`` holds its device,
inode, size and times as logprov last wrote or checked it. An index changed since then by
anything else is checked by SQLite (``PRAGMA quick_check``) before it is used.

The index keeps the lines of each file that could not be read (their number, and the first
ones with their reasons, see `logprov.store.loader`): every use of it warns about them
(`LogReadWarning`) as a read of the logs does, whether it read them now or long ago.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import socket
import sqlite3
import warnings
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..reading.results import DEFAULT_MAX_WARNINGS, LogReadWarning, ReadStats, Reporter
from ..store.engines import SQLiteEngine, StoreError
from ..store.loader import Loaded, SourceChanged, load_files, skipped_lines
from ..store.location import StoreLocation
from ..store.schema import SCHEMA_VERSION, prepare, stored_version
from .progress import Progress
from ..reading.sources import LogFile

__all__ = ["IndexWarning", "cache_dir", "index_path", "open_index"]


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


def _identity(info: os.stat_result) -> tuple:
    """The fields of ``info`` an unchanged file keeps: device, inode, size, mtime, ctime."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


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


def _matching(engine: SQLiteEngine, files: Sequence[LogFile], progress: Optional[Progress],
              fresh: bool = False) -> list[Loaded]:
    """Bring the index up to date with ``files`` and return what was done with each.

    Raises
    ------
    IndexMismatch
        If the index is of another schema, holds other logs, or a file changed otherwise than
        by growing.
    """
    try:
        version = stored_version(engine)
        if version != SCHEMA_VERSION and not (fresh and version == 0):
            raise IndexMismatch("it was made by another version")
        new = fresh and version == 0
        prepare(engine, indexes=not new)
        loaded = load_files(engine, files, progress, what="indexing", indexes_later=new)
    except SourceChanged as exc:
        raise IndexMismatch(str(exc)) from None
    except (sqlite3.DatabaseError, StoreError) as exc:
        raise IndexMismatch(f"it cannot be read ({exc})") from None
    keys = {found.key for found in loaded if found.key is not None}
    stored = {row[0] for row in engine.rows("SELECT src_key FROM source")}
    if stored != keys:
        raise IndexMismatch("it was made for other files")
    return loaded


def _running(pid: int) -> bool:
    """Return True when process ``pid`` may still run (it exists, or cannot be asked)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _build_path(path: Path) -> Path:
    """Return the file the index ``path`` is built in by this process (named by its host and
    process id)."""
    return path.with_name(f"{path.name}.{socket.gethostname()}-{os.getpid()}.tmp")


def _remove_abandoned(path: Path) -> None:
    """Remove the unfinished builds of the index ``path`` by processes of this host that are
    gone (killed); those of other hosts sharing the folder are left alone."""
    host = socket.gethostname()
    for found in path.parent.glob(f"{path.name}.{glob.escape(host)}-*.tmp"):
        pid = found.name[len(f"{path.name}.{host}-"):-len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            found.unlink(missing_ok=True)


def _build(files: Sequence[LogFile], path: Path, progress: Optional[Progress]) -> None:
    """Load ``files`` into a new index at ``path``, replacing any index there at once.

    The index is built in a file of its own, renamed to ``path`` only when complete: a build
    that is killed leaves no index, only that file, removed by the next build.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(path)
    temporary = _build_path(path)
    temporary.unlink(missing_ok=True)
    engine = SQLiteEngine(StoreLocation("sqlite", str(temporary)), shared=False, private=True)
    try:
        _matching(engine, files, progress, fresh=True)
    except BaseException:
        engine.close()
        temporary.unlink(missing_ok=True)
        raise
    engine.close()
    os.replace(temporary, path)
    _mark_checked(path)


def open_index(files: Sequence[LogFile], directory: Optional[Path] = None,
               progress: Optional[Progress] = None, names: Optional[Sequence[str]] = None) -> SQLiteEngine:
    """Return the up-to-date index of ``files``, building or extending it as needed, and warn
    about the lines of the files that could not be read as `logprov.reading.reader.iter_records`
    reading them in one pass warns (`LogReadWarning`).

    Parameters
    ----------
    files : sequence of LogFile
        The log files, in the order they are read (that of `logprov.reading.sources.resolve`).
    directory : Path, optional
        Folder of the indexes (default: `cache_dir`).
    progress : Progress, optional
        Shows progress while logs are read.
    names : sequence of str, optional
        The names of the files in the warnings, as the reader names them (the paths as given);
        default their absolute paths.

    Raises
    ------
    OSError, sqlite3.Error, StoreError
        If the index cannot be written.
    """
    path = index_path(files, directory)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=LogReadWarning)
        engine, skipped = _open_index(files, path, progress)
    _warn_skipped(zip(names if names is not None else [f.path for f in files], skipped))
    return engine


def _warn_skipped(sources: Iterable[tuple[str, tuple[int, list[tuple[int, str]]]]]) -> None:
    """Warn about the unreadable lines of ``sources`` as one read of them warns: ``(name,
    (skipped, problems))`` pairs in reading order, with the number of lines skipped in each and
    ``(line, reason)`` of the first ones (see `logprov.store.loader.skipped_lines`)."""
    reporter = Reporter(ReadStats(), False, DEFAULT_MAX_WARNINGS)
    for name, (count, problems) in sources:
        for line, reason in problems:
            reporter.problem(name, line, reason)
        reporter.stats.skipped += count - len(problems)
    reporter.summary()


def _open_index(files: Sequence[LogFile], path: Path,
                progress: Optional[Progress]) -> tuple[SQLiteEngine, list[tuple[int, list[tuple[int, str]]]]]:
    """Return the up-to-date index ``path`` of ``files``, and the lines of each file it could
    not read (see `logprov.store.loader.skipped_lines`)."""
    for attempt in range(3):
        if path.exists():
            engine = SQLiteEngine(StoreLocation("sqlite", str(path)), shared=False)
            try:
                _check_file(engine.connection, path)
                before = _index_identity(path)
                loaded = _matching(engine, files, progress)
                skipped = [skipped_lines(engine, found.key, log) for found, log in zip(loaded, files)]
                if _index_identity(path) != before:
                    _mark_checked(path)
                return engine, skipped
            except IndexMismatch as exc:
                engine.close()
                if attempt == 0:
                    warnings.warn(f"the index {path} does not match the logs: {exc}; rebuilding it",
                                  IndexWarning, stacklevel=4)
            except sqlite3.DatabaseError as exc:
                engine.close()
                if attempt == 0:
                    warnings.warn(f"the index {path} cannot be read ({exc}); rebuilding it",
                                  IndexWarning, stacklevel=4)
        _build(files, path, progress)
    raise sqlite3.DatabaseError(f"cannot open the index {path}")
