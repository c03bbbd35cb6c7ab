"""Exceptions raised by logprov."""

from __future__ import annotations

__all__ = [
    "LogprovError",
    "DefinitionError",
    "ConfigError",
    "ValuePathError",
    "LogReadError",
]


class LogprovError(Exception):
    """Base class of every error raised by logprov."""


class DefinitionError(LogprovError, ValueError):
    """A definition file or mapping is malformed.

    Parameters
    ----------
    message : str
        What is wrong.
    source : str, optional
        The file the definitions were read from.
    path : str, optional
        The key path inside the definitions (``activities.run_fit.usage[0].role``).
    line : int, optional
        The 1-based line in ``source`` where the faulty key or value starts.
    """

    #: Every problem found, on the first of them when several were (`logprov.settings.yamldoc.first_error`).
    errors: "list[DefinitionError]"

    def __init__(
        self,
        message: str,
        source: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.path = path
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.source:
            where = str(self.source)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class ConfigError(DefinitionError):
    """A configuration file or mapping is malformed (same fields as `DefinitionError`)."""


class ValuePathError(LogprovError, ValueError):
    """A value path such as ``settings.observations[0].obs_id`` cannot be parsed."""


class LogReadError(LogprovError, ValueError):
    """A provenance log cannot be read (raised in strict mode, or for a missing file).

    Parameters
    ----------
    message : str
        What is wrong.
    source : str, optional
        The log file name.
    line : int, optional
        The 1-based line number in ``source``.
    """

    def __init__(self, message: str, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        where = ""
        if source:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(f"{where}{message}")
