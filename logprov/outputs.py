"""Writing outputs without destroying inputs: whole files or nothing, devices in place.

Every file the ``logprov`` command writes goes through `write_path`, and every output path is
checked by `refuse_inputs` first. A regular file is written to a temporary file beside it and
renamed over it once complete, keeping the mode (and, where allowed, the owner) of the file it
replaces; a symbolic link is followed and its target written; a device, a FIFO or the file
standard output already goes to (``/dev/stdout``) is written in place.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
import sys
import tempfile
from typing import IO, Callable, Iterable, Optional, Union

from .errors import LogprovError

__all__ = ["OutputError", "refuse_inputs", "write_path", "stdout_failure", "release_stdout"]

PathLike = Union[str, "os.PathLike[str]"]

#: Error numbers of a write that could not be completed: full disk, quota, closed pipe, I/O.
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EPIPE, errno.EIO, errno.EFBIG, errno.EROFS})


class OutputError(LogprovError):
    """An output cannot be written, or would replace an input."""


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _stat(path: str) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _fd_stat(fd: int) -> Optional[os.stat_result]:
    try:
        return os.fstat(fd)
    except (OSError, ValueError):
        return None


def _input_files(inputs: Iterable[PathLike]) -> Iterable[tuple[str, os.stat_result]]:
    for source in inputs:
        name = os.fspath(source)
        if name == "-":
            info = _fd_stat(0)
            if info is not None and stat.S_ISREG(info.st_mode):
                yield "standard input", info
            continue
        for path in glob.glob(name, recursive=True) if glob.has_magic(name) else [name]:
            info = _stat(path)
            if info is not None:
                yield path, info


def refuse_inputs(output: Optional[PathLike], inputs: Iterable[PathLike]) -> None:
    """Raise `OutputError` when ``output`` is the same file as one of ``inputs``.

    Files are compared by device and inode (as `os.path.samefile` does), so a hard link, a
    symbolic link or another spelling of an input is refused too; glob patterns among
    ``inputs`` are expanded, and ``-`` stands for the file standard input reads, if any.

    Parameters
    ----------
    output : str or path, optional
        The output; None or ``-`` (standard output) are never refused.
    inputs : iterable of str or path
        Input files and glob patterns.
    """
    if output is None or os.fspath(output) == "-":
        return
    target = _stat(os.fspath(output))
    if target is None:
        return
    for name, info in _input_files(inputs):
        if _identity(info) == _identity(target):
            raise OutputError(f"output {os.fspath(output)} is the input {name}: "
                              "writing it would destroy the input; choose another output")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_stdout(info: os.stat_result) -> bool:
    out = _fd_stat(1)
    return out is not None and _identity(out) == _identity(info)


def _failure(path: str, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {path}: {reason}")


def _write_closing(path: str, stream: IO[bytes], write: Callable[[IO[bytes]], None]) -> None:
    """Run ``write(stream)`` and close ``stream``; a write that could not be completed (full
    disk, closed pipe, ...) becomes an `OutputError` naming ``path``."""
    try:
        with stream:
            write(stream)
    except OSError as exc:
        if exc.errno in _WRITE_ERRORS:
            raise _failure(path, exc) from None
        raise


def _replace(path: str, target: str, info: Optional[os.stat_result],
             write: Callable[[IO[bytes]], None], suffix: str) -> None:
    """Write ``target`` through a temporary file in its folder, renamed over it when whole."""
    folder = os.path.dirname(os.path.abspath(target))
    try:
        handle = tempfile.NamedTemporaryFile("wb", dir=folder, prefix=".logprov-", suffix=suffix, delete=False)
    except OSError as exc:
        raise _failure(path, exc) from None
    try:
        _write_closing(path, handle, write)
        try:
            os.chmod(handle.name, stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
            if info is not None and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.chown(handle.name, info.st_uid, info.st_gid)
                except PermissionError:
                    pass
            os.replace(handle.name, target)
        except OSError as exc:
            raise _failure(path, exc) from None
    except BaseException:
        try:
            os.unlink(handle.name)
        except FileNotFoundError:
            pass
        raise


def _in_place(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a device or a FIFO as it is: it cannot be replaced, and must not be."""
    try:
        stream = open(path, "wb")
    except OSError as exc:
        raise _failure(path, exc) from None
    _write_closing(path, stream, write)


def write_path(path: PathLike, write: Callable[[IO[bytes]], None], suffix: str = "") -> None:
    """Write the file ``path`` with ``write(stream)``, given a binary stream.

    A regular file (new or existing) appears whole or not at all: ``write`` fills a temporary
    file in the same folder, which replaces ``path`` once complete, with the mode of the file it
    replaces (a new file gets ``0666`` less the umask); when ``write`` fails, ``path`` is left
    as it was. A symbolic link is followed: its target is written, the link stays. A device, a
    FIFO or the file standard output goes to is written in place.

    Parameters
    ----------
    path : str or path
        The output file.
    write : callable
        ``write(stream)`` writes the whole output to a binary stream.
    suffix : str
        Ending of the temporary file's name.

    Raises
    ------
    OutputError
        If the output cannot be written (full disk, closed pipe, no permission, ...).
    BrokenPipeError
        If ``path`` is the file standard output goes to and the pipe it feeds was closed.
    """
    name = os.fspath(path)
    info = _stat(name)
    if info is not None and _is_stdout(info):
        sys.stdout.flush()
        try:
            write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            release_stdout()
            raise
        except OSError as exc:
            if exc.errno in _WRITE_ERRORS:
                release_stdout()
                raise _failure(name, exc) from None
            raise
    elif info is not None and not stat.S_ISREG(info.st_mode):
        _in_place(name, write)
    else:
        _replace(name, os.path.realpath(name), info, write, suffix)


def stdout_failure(exc: OSError) -> Optional[str]:
    """Return a message when ``exc`` is a failed write to standard output, else None.

    A write to a stream has no file name: an error of that kind not already turned into an
    `OutputError` comes from standard output (a full disk; a closed pipe, which the ``logprov``
    command ends on quietly before asking).
    """
    if isinstance(exc, BrokenPipeError) or (exc.errno in _WRITE_ERRORS and exc.filename is None):
        return f"cannot write standard output: {exc.strerror or exc}"
    return None


def release_stdout() -> None:
    """Point standard output at ``/dev/null``, so that nothing is written to a failed output
    again when the interpreter exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
