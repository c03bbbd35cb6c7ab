"""logprov: provenance of Python analysis code, captured through logging.

The names below are imported on first use, so that ``import logprov`` and the ``logprov``
command stay quick; ``from logprov import trace`` works as usual. The functions of logprov
0.0.2 (``read_prov``, ``provlist2provdoc``, ``provdoc2svg``) are those of `logprov.compat`: they
work and warn, and are not part of ``__all__``.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from ._version import __version__

if os.environ.get("LOGPROV_PURE_PYTHON") == "1":
    from .compiled import use_sources

    use_sources()

if TYPE_CHECKING:
    from .capture.facade import ProvCapture
    from .settings.config import Config, load_config
    from .capture.default import activity, configure, document, get_capture, note, trace, trace_methods
    from .capture.children import follow_children
    from .capture.problems import CaptureWarning
    from .compat import provdoc2svg, provlist2provdoc, read_prov
    from .settings.definitions import Definitions, load_definitions
    from .errors import ConfigError, DefinitionError, LogprovError, LogReadError, ValuePathError
    from .export import formats
    from .capture.manual import ActivityContext
    from .model import build_document
    from .products.embed import EmbedError, Embedding, embed
    from .reading.reader import LogReadWarning, ProvRecord, ReadStats, iter_records

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
    "CaptureWarning": ".capture.problems",
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
    "build_document": ".model",
    "formats": ".export",
    "embed": ".products.embed",
    "Embedding": ".products.embed",
    "EmbedError": ".products.embed",
}

#: The functions of logprov 0.0.2, each warning that it is deprecated when called.
_COMPAT = {name: ".compat" for name in ("read_prov", "provlist2provdoc", "provdoc2svg")}


def __getattr__(name: str) -> Any:
    """Import the module defining ``name`` on first use and keep the name here."""
    if name in _COMPAT:
        return getattr(importlib.import_module(_COMPAT[name], __name__), name)
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'logprov' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))


__all__ = ["__version__", *_MODULES]
