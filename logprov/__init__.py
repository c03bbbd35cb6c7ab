"""logprov: provenance of Python analysis code, captured through logging."""

from ._version import __version__
from .capture import ProvCapture
from .config import Config, load_config
from .default import activity, configure, get_capture, trace, trace_methods
from .definitions import Definitions, load_definitions
from .errors import ConfigError, DefinitionError, LogprovError, LogReadError, ValuePathError
from .manual import ActivityContext

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
    "ConfigError",
    "DefinitionError",
    "LogprovError",
    "LogReadError",
    "ValuePathError",
]
