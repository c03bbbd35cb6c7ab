"""Folders of the benchmark cache shared by every checkout on the machine (under the temporary
folder): held while a process uses them, removed only when stale and unused.

A process using a folder holds a shared `fcntl.flock` on its ``.lock`` file until it exits
(`use`); it fills the folder under the exclusive lock (`exclusively`). A folder records the
checkout that made it (``origin.json``); `remove_stale` removes only folders of this checkout
(or of a checkout that no longer exists) that no process holds.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["CHECKOUT", "use", "exclusively", "origin", "remove_stale"]

#: The checkout whose benchmarks run: the folder holding the ``benchmarks`` package.
CHECKOUT = str(Path(__file__).resolve().parents[1])

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


def _remove_unused(folder: Path) -> bool:
    lock = folder / _LOCK
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if not _same_file(fd, lock):
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def remove_stale(folders: Iterable[Path], keep: Path, checkout: str = CHECKOUT) -> list[Path]:
    """Remove the ``folders`` (but ``keep``) that ``checkout`` made, or that a checkout that no
    longer exists made, and that no process uses; return those removed.

    Folders that do not name their maker are left alone: they may be in use by code that
    takes no lock.
    """
    removed = []
    for folder in folders:
        folder = Path(folder)
        if folder == Path(keep) or folder in _held:
            continue
        maker = origin(folder)
        if maker is None or (maker != checkout and Path(maker).exists()):
            continue
        if _remove_unused(folder):
            removed.append(folder)
    return removed
