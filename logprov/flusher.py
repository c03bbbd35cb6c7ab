"""A background thread writing the start records of long-running activities."""

from __future__ import annotations

import threading
import weakref
from typing import Callable

from .process import current_pid

__all__ = ["Flusher"]


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
            thread = threading.Thread(target=self._loop, args=(self._wake,), name="logprov-flusher", daemon=True)
            thread.start()

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
