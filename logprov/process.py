"""The id of the current process, kept up to date across forks without a system call."""

from __future__ import annotations

import os

__all__ = ["current_pid"]

_pid = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))


def current_pid() -> int:
    """Return the id of the current process."""
    return _pid[0]
