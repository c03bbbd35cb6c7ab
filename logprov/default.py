"""A process-wide default `ProvCapture` for the common case of one capture per program."""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

from .capture import ProvCapture
from .manual import ActivityContext

__all__ = ["configure", "get_capture", "trace", "trace_methods", "activity"]

_default: ProvCapture | None = None
_lock = threading.Lock()


def configure(definitions: Any = None, config: Any = None, **options: Any) -> ProvCapture:
    """Create the default capture (replacing any earlier one) and return it.

    Call it before functions are decorated with `trace`/`trace_methods`: a decorated function
    keeps the capture that was the default when it was decorated.
    """
    global _default
    with _lock:
        _default = ProvCapture(definitions, config, **options)
        return _default


def get_capture() -> ProvCapture:
    """Return the default capture, creating one with the default configuration if needed."""
    global _default
    with _lock:
        if _default is None:
            _default = ProvCapture()
        return _default


def trace(func: Callable | None = None, **options: Any) -> Callable:
    """Trace a function with the default capture (see `ProvCapture.trace`)."""
    return get_capture().trace(func, **options)


def trace_methods(cls: type | None = None, **options: Any) -> Any:
    """Trace the methods of a class with the default capture (see `ProvCapture.trace_methods`)."""
    return get_capture().trace_methods(cls, **options)


def activity(name: str, parameters: Mapping[str, Any] | None = None) -> ActivityContext:
    """Log a block of code as an activity with the default capture (see `ProvCapture.activity`)."""
    return get_capture().activity(name, parameters)
