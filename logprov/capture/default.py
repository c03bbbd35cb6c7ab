"""A process-wide default `ProvCapture` for the common case of one capture per program."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Mapping

from .facade import ProvCapture
from .manual import ActivityContext

__all__ = ["configure", "get_capture", "trace", "trace_methods", "activity", "note", "document"]

_default: ProvCapture | None = None
_lock = threading.Lock()


def configure(
    definitions: Any = None,
    config: Any = None,
    *,
    id_functions: Mapping[str, Callable[[Any], Any]] | None = None,
    get_file_id_func: Callable[[Any], Any] | None = None,
) -> ProvCapture:
    """Create the default capture (replacing any earlier one) and return it.

    The arguments are those of `ProvCapture`. Call it before functions are decorated with
    `trace`/`trace_methods`: a decorated function keeps the capture that was the default when
    it was decorated.
    """
    global _default
    with _lock:
        _default = ProvCapture(definitions, config, id_functions=id_functions, get_file_id_func=get_file_id_func)
        return _default


def get_capture() -> ProvCapture:
    """Return the default capture, creating one with the default configuration if needed."""
    global _default
    with _lock:
        if _default is None:
            _default = ProvCapture()
        return _default


def trace(func: Callable | None = None, *, name: str | None = None, described_only: bool | None = None,
          version: str | None = None) -> Callable:
    """Trace a function with the default capture (arguments as in `ProvCapture.trace`)."""
    return get_capture().trace(func, name=name, described_only=described_only, version=version)


def trace_methods(
    cls: type | None = None,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    described_only: bool | None = None,
    inherited: bool = True,
) -> Any:
    """Trace the methods of a class with the default capture (arguments as in
    `ProvCapture.trace_methods`)."""
    return get_capture().trace_methods(
        cls, include=include, exclude=exclude, described_only=described_only, inherited=inherited
    )


def activity(name: str, parameters: Mapping[str, Any] | None = None) -> ActivityContext:
    """Log a block of code as an activity with the default capture (see `ProvCapture.activity`)."""
    return get_capture().activity(name, parameters)


def note(text: str, **attributes: Any) -> str | None:
    """Attach a note with the default capture (see `ProvCapture.note`)."""
    return get_capture().note(text, **attributes)


def document() -> Any:
    """Return the default capture's current session as a PROV document (see `ProvCapture.document`)."""
    return get_capture().document()
