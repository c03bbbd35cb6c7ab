"""logprov: provenance of Python analysis code, captured through logging.

The names below are imported on first use, so that ``import logprov`` and the ``logprov``
command stay quick; ``from logprov import trace`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .capture.facade import ProvCapture
    from .settings.config import Config, load_config
    from .capture.default import activity, configure, document, get_capture, note, trace, trace_methods
    from .capture.children import follow_children
    from .settings.definitions import Definitions, load_definitions
    from .errors import ConfigError, DefinitionError, LogprovError, LogReadError, ValuePathError
    from .export import formats, provdoc2svg
    from .capture.manual import ActivityContext
    from .model import build_document, provlist2provdoc
    from .products.embed import Embedding, embed
    from .reading.reader import LogReadWarning, ProvRecord, ReadStats, iter_records, read_prov

_MODULES = {
    "ProvCapture": ".capture.facade",
    "Config": ".settings.config",
    "load_config": ".settings.config",
    "activity": ".capture.default",
    "configure": ".capture.default",
    "get_capture": ".capture.default",
    "trace": ".capture.default",
    "trace_methods": ".capture.default",
    "note": ".capture.default",
    "document": ".capture.default",
    "follow_children": ".capture.children",
    "Definitions": ".settings.definitions",
    "load_definitions": ".settings.definitions",
    "ConfigError": ".errors",
    "DefinitionError": ".errors",
    "LogprovError": ".errors",
    "LogReadError": ".errors",
    "ValuePathError": ".errors",
    "ActivityContext": ".capture.manual",
    "LogReadWarning": ".reading.reader",
    "ProvRecord": ".reading.reader",
    "ReadStats": ".reading.reader",
    "iter_records": ".reading.reader",
    "read_prov": ".reading.reader",
    "build_document": ".model",
    "provlist2provdoc": ".model",
    "formats": ".export",
    "provdoc2svg": ".export",
    "embed": ".products.embed",
    "Embedding": ".products.embed",
}


def __getattr__(name: str) -> Any:
    """Import the module defining ``name`` on first use and keep the name here."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'logprov' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))


__all__ = ["__version__", *_MODULES]
