"""The current process: its id, kept up to date across forks without a system call, and the
activity of the parent process it works for."""

from __future__ import annotations

import contextvars
import os

__all__ = ["current_pid", "INHERITED"]

_pid = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))

#: ``(session id, activity id or None)`` of the parent process's activity that the code running
#: in this (child) context works for; None outside a child process started by a followed capture.
INHERITED: contextvars.ContextVar[tuple[str, str | None] | None] = contextvars.ContextVar(
    "logprov_inherited", default=None
)


def current_pid() -> int:
    """Return the id of the current process."""
    return _pid[0]
