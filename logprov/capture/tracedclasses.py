"""The classes each capture traced with ``trace_methods``, kept for child processes to trace
them again (`logprov.capture.children`)."""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable

__all__ = ["LOCK", "remember_traced_class", "traced_classes", "when_traced"]

#: Held while the traced classes change and while what depends on them is written.
LOCK = threading.RLock()
_traced: "weakref.WeakKeyDictionary[Any, list[dict[str, Any]]]" = weakref.WeakKeyDictionary()
_listeners: list[Callable[[Any], None]] = []


def remember_traced_class(capture: Any, cls: type, include: set[str] | None, exclude: set[str],
                          described_only: bool, inherited: bool) -> None:
    """Note that ``capture.trace_methods`` traced ``cls`` with these options, so that a child
    process can trace it again (classes defined inside functions cannot be found there)."""
    qualname = cls.__qualname__
    if "<locals>" in qualname:
        return
    entry = {
        "module": cls.__module__, "qualname": qualname,
        "include": sorted(include) if include is not None else None, "exclude": sorted(exclude),
        "described_only": described_only, "inherited": inherited,
    }
    with LOCK:
        entries = _traced.setdefault(capture, [])
        if entry in entries:
            return
        entries.append(entry)
        for listener in _listeners:
            listener(capture)


def traced_classes(capture: Any) -> list[dict[str, Any]]:
    """Return the classes ``capture`` traced, each as the options of its ``trace_methods`` call."""
    with LOCK:
        return list(_traced.get(capture, ()))


def when_traced(listener: Callable[[Any], None]) -> None:
    """Call ``listener(capture)`` each time ``capture`` traces a class not traced before."""
    with LOCK:
        _listeners.append(listener)
