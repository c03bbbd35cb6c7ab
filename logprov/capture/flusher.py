"""Background threads of the capture: the one writing the start records of long-running
activities, and how they are started."""

from __future__ import annotations

import _thread
import threading
import weakref
from typing import Any, Callable

from .process import current_pid

__all__ = ["Flusher", "start_thread"]


def start_thread(target: Callable[..., Any], *args: Any) -> int:
    """Run ``target(*args)`` on a new daemon thread; return its id at once.

    `threading.Thread.start` waits until the new thread has begun to run, which on a loaded
    machine takes milliseconds of the caller's time (the new thread must be scheduled, then hand
    the interpreter back); this returns without waiting. The thread is not joined at exit (as a
    daemon thread) and ``target`` must catch its own exceptions.
    """
    return _thread.start_new_thread(target, args)


class Flusher:
    """Call a function every ``interval`` seconds from a daemon thread, started on demand.

    The traced call of a short activity writes its start and end records in one logging call
    when it returns; this thread makes sure an activity running for longer than ``interval``
    has its start records in the log meanwhile (so it stays visible if the process dies).

    Parameters
    ----------
    interval : float
        Seconds between calls; 0 or less never starts the thread.
    target : weakref.WeakMethod
        The function to call; the thread ends once it is garbage collected.
    """

    def __init__(self, interval: float, target: "weakref.WeakMethod[Callable[[], None]]") -> None:
        self.interval = interval
        self._target = target
        self._pid = -1
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def ensure_running(self) -> None:
        """Start the thread in this process if it is not running yet."""
        if self._pid == current_pid() or self.interval <= 0:
            return
        with self._lock:
            if self._pid == current_pid():
                return
            self._pid = current_pid()
            self._wake = threading.Event()
            start_thread(self._loop, self._wake)

    def stop(self) -> None:
        """Stop the thread (it calls the function one last time)."""
        with self._lock:
            self._wake.set()
            self._pid = -1

    def _loop(self, wake: threading.Event) -> None:
        while True:
            stopped = wake.wait(self.interval)
            target = self._target()
            if target is None:
                return
            try:
                target()
            except Exception:
                pass
            del target
            if stopped:
                return
