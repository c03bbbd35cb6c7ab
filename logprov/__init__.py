"""logprov: provenance of Python analysis code, captured through logging.

The names below are imported on first use, so that ``import logprov`` and the ``logprov``
command stay quick; ``from logprov import trace`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .capture import ProvCapture
    from .config import Config, load_config
    from .default import activity, configure, document, get_capture, note, trace, trace_methods
    from .children import follow_children
    from .definitions import Definitions, load_definitions
    from .errors import ConfigError, DefinitionError, LogprovError, LogReadError, ValuePathError
    from .export import formats, provdoc2svg
    from .manual import ActivityContext
    from .model import build_document, provlist2provdoc
    from .products.embed import Embedding, embed
    from .reader import LogReadWarning, ProvRecord, ReadStats, iter_records, read_prov

_MODULES = {
    "ProvCapture": ".capture",
    "Config": ".config",
    "load_config": ".config",
    "activity": ".default",
    "configure": ".default",
    "get_capture": ".default",
    "trace": ".default",
    "trace_methods": ".default",
    "note": ".default",
    "document": ".default",
    "follow_children": ".children",
    "Definitions": ".definitions",
    "load_definitions": ".definitions",
    "ConfigError": ".errors",
    "DefinitionError": ".errors",
    "LogprovError": ".errors",
    "LogReadError": ".errors",
    "ValuePathError": ".errors",
    "ActivityContext": ".manual",
    "LogReadWarning": ".reader",
    "ProvRecord": ".reader",
    "ReadStats": ".reader",
    "iter_records": ".reader",
    "read_prov": ".reader",
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


__all__ = [
    "__version__",
    "ProvCapture",
    "ActivityContext",
    "Config",
    "Definitions",
    "load_config",
    "load_definitions",
    "configure",
    "get_capture",
    "trace",
    "trace_methods",
    "activity",
    "note",
    "document",
    "follow_children",
    "iter_records",
    "read_prov",
    "ProvRecord",
    "ReadStats",
    "LogReadWarning",
    "build_document",
    "provlist2provdoc",
    "formats",
    "provdoc2svg",
    "embed",
    "Embedding",
    "ConfigError",
    "DefinitionError",
    "LogprovError",
    "LogReadError",
    "ValuePathError",
]
