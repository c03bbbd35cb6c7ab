"""What a command writes to the terminal: exit statuses, one-line errors and warnings, lines of
text to standard output or to a file."""

from __future__ import annotations

import sys
from typing import IO, Any, Iterable, Optional

from ..outputs import write_path

__all__ = ["FOUND", "NOT_FOUND", "ERROR", "OUTPUT_CLOSED", "error", "show_warning", "output", "print_lines"]

FOUND, NOT_FOUND, ERROR = 0, 1, 2
#: The exit status of a command whose standard output was closed early: 128 + 13 (``SIGPIPE``),
#: what a shell reports for a program ended by that signal.
OUTPUT_CLOSED = 141


def error(message: object) -> None:
    """Write ``message`` on one line of standard error, after ``logprov: error:``."""
    text = " ".join(str(message).split())
    print(f"logprov: error: {text}", file=sys.stderr)


def show_warning(message: Any, category: type, filename: str, lineno: int,
                 file: Optional[IO[str]] = None, line: Optional[str] = None) -> None:
    """Write a warning on one line of standard error (the signature of `warnings.showwarning`)."""
    text = " ".join(str(message).split())
    print(f"logprov: warning: {text}", file=sys.stderr)


def output(path: Optional[str]) -> Any:
    """Return where to write: a file name, or the binary standard output for ``-``."""
    if path is None or path == "-":
        sys.stdout.flush()
        return sys.stdout.buffer
    return path


def print_lines(lines: Iterable[str], path: Optional[str] = None) -> None:
    """Write ``lines`` to standard output, or to the file ``path``."""
    if path is None or path == "-":
        for line in lines:
            print(line)
        return
    write_path(path, lambda stream: stream.writelines(f"{line}\n".encode("utf-8", "backslashreplace")
                                                      for line in lines))
