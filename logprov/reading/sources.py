"""The log files that reading and queries take: paths, glob patterns and ``-`` resolved into one
list, in the order they are read, with the identity of each file.

One resolver serves `logprov.reading.reader.iter_records` and `logprov.query` (the index and
the in-memory graph alike), so both read the same files in the same order: the sources in the
order given, each file once (a file named twice, or matched by two patterns, is read at its
first place); the files a glob pattern matches in name order, except that the rotated copies of
a log come before it, oldest first (`rotation_key`).
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, Union

from ..errors import LogReadError
from .kinds import kinds_of

__all__ = ["LogFile", "STDIN", "resolve", "resolve_paths", "rotation_key", "last_line_end"]

STDIN = "-"
_TAIL_CHUNK = 1 << 16
_ROTATION_NUMBER = re.compile(r"^(.*?)\.(\d{1,6})(\.gz)?$")
_ROTATION_DATE = re.compile(r"^(.*?)[._-](\d{4}-?\d\d-?\d\d(?:[_T-]?\d\d(?:-?\d\d){0,2})?)(\.gz)?$")

Paths = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]


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


def rotation_key(path: str) -> tuple:
    """Sort key putting rotated copies of a log before it, oldest first.

    ``prov.log.3``, ``prov.log.2.gz``, ``prov.log.1`` (`logging.handlers.RotatingFileHandler`,
    logrotate) come before ``prov.log``, in that order; dated copies (``prov.log.2026-11-22``,
    ``prov.log-20261122``) come in date order, also before ``prov.log``.
    """
    directory, name = os.path.split(path)
    numbered = _ROTATION_NUMBER.match(name)
    if numbered:
        return (directory, numbered.group(1), 0, -int(numbered.group(2)), name)
    dated = _ROTATION_DATE.match(name)
    if dated:
        return (directory, dated.group(1), 1, 0, re.sub(r"\D", "", dated.group(2)))
    base = name[:-3] if name.endswith(".gz") else name
    return (directory, base, 2, 0, name)


def resolve_paths(sources: Union[Paths, Iterable[Any]]) -> list[Any]:
    """Return the files named by ``sources`` (paths, glob patterns, ``-``) in the order they are
    read, each once, spelled as given or as the pattern matched them; ``-`` stays `STDIN`, and
    open streams (objects with a ``read`` method) are kept in their place.

    Raises
    ------
    LogReadError
        If a file does not exist or a pattern matches no file.
    """
    if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read"):
        sources = [sources]
    found: dict[Any, Any] = {}
    for source in sources:
        if hasattr(source, "read"):
            found[id(source)] = source
            continue
        path = os.fspath(source)
        if path == STDIN:
            found.setdefault(STDIN, STDIN)
        elif os.path.isfile(path):
            found.setdefault(os.path.abspath(path), path)
        elif glob.has_magic(path):
            matches = sorted((p for p in glob.glob(path, recursive=True) if os.path.isfile(p)), key=rotation_key)
            if not matches:
                raise LogReadError("no log file matches this pattern", path)
            for match in matches:
                found.setdefault(os.path.abspath(match), match)
        elif os.path.exists(path):
            raise LogReadError("not a file", path)
        else:
            raise LogReadError("no such log file", path)
    return list(found.values())


def resolve(sources: Paths) -> list[Union[LogFile, str]]:
    """Return the files named by ``sources`` as `resolve_paths` orders them, each as a
    `LogFile`; ``-`` stays `STDIN`.

    Raises
    ------
    LogReadError
        If a file does not exist, a pattern matches no file, or no kind of source recognises
        a file.
    """
    return [STDIN if path == STDIN else LogFile.stat(path) for path in resolve_paths(sources)
            if not hasattr(path, "read")]


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
