"""logprov: provenance of Python analysis code, captured through logging."""

from ._version import __version__
from .capture import ProvCapture
from .config import Config, load_config
from .default import activity, configure, get_capture, trace, trace_methods
from .definitions import Definitions, load_definitions
from .errors import ConfigError, DefinitionError, LogprovError, LogReadError, ValuePathError
from .manual import ActivityContext
from .reader import LogReadWarning, ProvRecord, ReadStats, iter_records, read_prov

_NEEDS_EXPORT_EXTRA = {
    "build_document": "logprov.model",
    "provlist2provdoc": "logprov.model",
    "formats": "logprov.export",
    "provdoc2svg": "logprov.export",
}


def __getattr__(name: str):
    """Import the PROV model and exporters on first use (they need the ``export`` extra)."""
    module = _NEEDS_EXPORT_EXTRA.get(name)
    if module is None:
        raise AttributeError(f"module 'logprov' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


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
    "iter_records",
    "read_prov",
    "ProvRecord",
    "ReadStats",
    "LogReadWarning",
    "build_document",
    "provlist2provdoc",
    "formats",
    "provdoc2svg",
    "ConfigError",
    "DefinitionError",
    "LogprovError",
    "LogReadError",
    "ValuePathError",
]
