"""Folders of the benchmark cache shared by every checkout on the machine (under the temporary
folder): held while a process uses them, removed only when stale and unused.

A process using a folder holds a shared `fcntl.flock` on its ``.lock`` file until it exits
(`use`); it fills the folder under the exclusive lock (`exclusively`). A folder records the
checkout that made it (``origin.json``); `remove_stale` removes only folders of this checkout
(or of a checkout that no longer exists) that no process holds, and folders left by benchmark
versions that recorded no maker and took no lock once nothing read or wrote their files for
`UNNAMED_STALE_SECONDS`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["CHECKOUT", "UNNAMED_STALE_SECONDS", "use", "exclusively", "origin", "remove_stale"]

#: The checkout whose benchmarks run: the folder holding the ``benchmarks`` package.
CHECKOUT = str(Path(__file__).resolve().parents[1])

#: Seconds without a read or a write of its files after which a folder naming no maker is
#: stale: the versions that made such folders took no lock, so their use shows only in the
#: times of the files (a read moves a file's access time at least once a day).
UNNAMED_STALE_SECONDS = 7 * 24 * 3600

_LOCK = ".lock"
_ORIGIN = "origin.json"
#: The lock of each folder this process uses, open until it exits.
_held: dict[Path, int] = {}


def _same_file(fd: int, path: Path) -> bool:
    """Tell whether ``fd`` is still the file at ``path`` (a remover may have deleted it)."""
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def use(folder: Path, checkout: str = CHECKOUT) -> None:
    """Create ``folder`` if needed and hold it shared until this process exits, recording
    ``checkout`` as its maker when it has none."""
    folder = Path(folder)
    if folder in _held:
        return
    lock = folder / _LOCK
    while True:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(fd, fcntl.LOCK_SH)
        if _same_file(fd, lock):
            break
        os.close(fd)
    _held[folder] = fd
    if origin(folder) is None:
        written = folder / f".{_ORIGIN}.{os.getpid()}"
        written.write_text(json.dumps({"checkout": checkout}))
        os.replace(written, folder / _ORIGIN)


@contextmanager
def exclusively(folder: Path) -> Iterator[None]:
    """Hold ``folder`` (already held by `use`) exclusively: no other process uses it meanwhile.

    Turning the shared lock into an exclusive one lets it go for a moment, in which a remover
    may take the folder: it is then made and held again.
    """
    folder = Path(folder)
    while True:
        fd = _held[folder]
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(fd, folder / _LOCK):
            break
        os.close(_held.pop(folder))
        use(folder)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_SH)


def origin(folder: Path) -> str | None:
    """Return the checkout that made ``folder``, or None when it does not say."""
    try:
        return str(json.loads((Path(folder) / _ORIGIN).read_text())["checkout"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _last_used(folder: Path) -> float:
    """Return when a file of ``folder`` was last read or written, or a folder of it changed
    (not when one was listed: listing it, as this does, moves that time)."""
    latest = 0.0
    try:
        for root, folders, files in os.walk(folder):
            latest = max(latest, os.lstat(root).st_mtime)
            for name in files:
                found = os.lstat(os.path.join(root, name))
                latest = max(latest, found.st_mtime, found.st_atime)
    except OSError:
        return time.time()
    return latest


def _remove_unused(folder: Path, maker: str | None) -> bool:
    """Remove ``folder`` unless a process holds it or it no longer names ``maker``; a folder
    naming no maker gets a lock file first, so that a process starting to use it meanwhile
    keeps it."""
    lock = folder / _LOCK
    try:
        fd = os.open(lock, os.O_RDWR | (os.O_CREAT if maker is None else 0), 0o666)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if not _same_file(fd, lock) or origin(folder) != maker:
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def remove_stale(folders: Iterable[Path], keep: Path, checkout: str = CHECKOUT) -> list[Path]:
    """Remove the ``folders`` (but ``keep``) that no process uses and that ``checkout`` made, or
    that a checkout that no longer exists made, or that name no maker and whose files nothing
    read or wrote for `UNNAMED_STALE_SECONDS`; return those removed.

    A folder naming no maker was made by a benchmark version that took no lock and may still
    run in an old checkout: only the times of its files tell that it is no longer used.
    """
    removed = []
    for folder in folders:
        folder = Path(folder)
        if folder == Path(keep) or folder in _held:
            continue
        maker = origin(folder)
        if maker is None:
            if _last_used(folder) > time.time() - UNNAMED_STALE_SECONDS:
                continue
        elif maker != checkout and Path(maker).exists():
            continue
        if _remove_unused(folder, maker):
            removed.append(folder)
    return removed
