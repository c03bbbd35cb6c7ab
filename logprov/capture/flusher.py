"""Background threads of the capture: the one writing the start records of long-running
activities, and how they are started."""

from __future__ import annotations

import _thread
import os
import threading
import weakref
from typing import Any, Callable

from .process import current_pid

__all__ = ["Flusher", "start_thread", "prepare_threads"]

#: Idle threads a process keeps for `start_thread` (the flusher and the look-up of the code facts).
_STOCK = 2


class _IdleThread:
    """A daemon thread started ahead of its work, blocked until `hand` gives it a function."""

    __slots__ = ("pid", "ident", "_gate", "_work")

    def __init__(self) -> None:
        self.pid = current_pid()
        self._work: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
        self._gate = _thread.allocate_lock()
        self._gate.acquire()
        self.ident = _thread.start_new_thread(self._serve, ())

    def hand(self, target: Callable[..., Any], args: tuple[Any, ...]) -> int:
        """Run ``target(*args)`` on this thread; return its id."""
        self._work = (target, args)
        self._gate.release()
        return self.ident

    def _serve(self) -> None:
        self._gate.acquire()
        work, self._work = self._work, None
        if work is not None:
            work[0](*work[1])


_idle: list[_IdleThread] = []
_idle_lock = threading.Lock()


def prepare_threads() -> None:
    """Start idle threads for `start_thread` to use, up to two in the process.

    Starting a thread costs its caller the creation of the thread and, on a busy machine, a
    wait for the interpreter while the new thread begins to run: a capture prepares the threads
    of its first traced call when it is made, and that call only hands them their work.
    """
    with _idle_lock:
        pid = current_pid()
        _idle[:] = [thread for thread in _idle if thread.pid == pid]
        while len(_idle) < _STOCK:
            _idle.append(_IdleThread())


def start_thread(target: Callable[..., Any], *args: Any) -> int:
    """Run ``target(*args)`` on a daemon thread (one of `prepare_threads` when one is left, else
    a new one); return its id at once.

    `threading.Thread.start` waits until the new thread has begun to run, which on a loaded
    machine takes milliseconds of the caller's time (the new thread must be scheduled, then hand
    the interpreter back); this returns without waiting. The thread is not joined at exit (as a
    daemon thread) and ``target`` must catch its own exceptions.
    """
    idle = None
    if _idle:
        with _idle_lock:
            if _idle and _idle[-1].pid == current_pid():
                idle = _idle.pop()
    if idle is None:
        return _thread.start_new_thread(target, args)
    return idle.hand(target, args)


def _forget_idle_threads() -> None:
    """In a forked child: the idle threads of the parent are not there."""
    global _idle_lock
    _idle_lock = threading.Lock()
    _idle.clear()


os.register_at_fork(after_in_child=_forget_idle_threads)


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
