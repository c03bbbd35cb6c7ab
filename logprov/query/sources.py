"""The log files a query reads: resolved from paths and glob patterns, with their identity."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import Iterable, Union

from ..errors import LogReadError
from ..reading.kinds import kinds_of

__all__ = ["LogFile", "STDIN", "resolve", "last_line_end"]

STDIN = "-"
_TAIL_CHUNK = 1 << 16


@dataclass(frozen=True)
class LogFile:
    """A log file as found on disk.

    Attributes
    ----------
    path : str
        Absolute path.
    size : int
        Size in bytes.
    mtime : float
        Modification time.
    """

    path: str
    size: int
    mtime: float
    appendable: bool = True

    @property
    def compressed(self) -> bool:
        """True for a file that can only be read whole: a ``.gz`` file, or a source other
        than a logprov log (a product with embedded provenance, say)."""
        return self.path.endswith(".gz") or not self.appendable

    @classmethod
    def stat(cls, path: str) -> "LogFile":
        """Return the source at ``path`` with its current size and modification time.

        Raises
        ------
        LogReadError
            If no kind of source recognises the file (see `logprov.reading.kinds`).
        """
        appendable = all(kind.appendable for kind in kinds_of(path))
        info = os.stat(path)
        return cls(os.path.abspath(path), info.st_size, info.st_mtime, appendable)


def resolve(sources: Union[str, "os.PathLike[str]", Iterable]) -> list[Union[LogFile, str]]:
    """Return the files named by ``sources`` (paths, glob patterns, ``-``), as `iter_records`
    reads them, each once; ``-`` stays `STDIN`.

    Raises
    ------
    LogReadError
        If a file does not exist or a pattern matches no file.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    found: list[Union[LogFile, str]] = []
    for source in sources:
        path = os.fspath(source)
        if path == STDIN:
            found.append(STDIN)
        elif os.path.isfile(path):
            found.append(LogFile.stat(path))
        elif glob.has_magic(path):
            matches = sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
            if not matches:
                raise LogReadError("no log file matches this pattern", path)
            found.extend(LogFile.stat(match) for match in matches)
        elif os.path.exists(path):
            raise LogReadError("not a file", path)
        else:
            raise LogReadError("no such log file", path)
    return list(dict.fromkeys(found))


def last_line_end(path: str, size: int) -> int:
    """Return the offset just after the last end of line in the first ``size`` bytes of
    ``path`` (0 when there is none): where the complete lines end."""
    with open(path, "rb") as stream:
        end = size
        while end > 0:
            start = max(0, end - _TAIL_CHUNK)
            stream.seek(start)
            chunk = stream.read(end - start)
            found = chunk.rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0
