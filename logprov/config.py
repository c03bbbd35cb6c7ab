"""Capture configuration, read from YAML, a mapping or defaults."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .definitions import _Document, _load_document, _suggest
from .errors import ConfigError

__all__ = ["Config", "DEFAULT_REDACT", "load_config"]

DEFAULT_REDACT = (
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "api_key",
    "apikey",
    "credential",
    "private_key",
    "privatekey",
    "auth",
)

_REDACTED = "***"


@dataclass(frozen=True, slots=True)
class Config:
    """Configuration of a provenance capture.

    Attributes
    ----------
    capture : bool
        Whether traced calls are captured at all.
    hash_type : str
        `hashlib` algorithm for file digests (lower case).
    log_filename : str
        File written by the default logging handler.
    log_args, log_kwargs : bool
        Whether positional and keyword arguments are logged as parameters.
    log_args_as_entities : bool
        Whether arguments are also logged as used entities.
    log_returned_result : bool
        Whether the returned value is logged as a generated entity.
    system_dict : Mapping
        Extra information added to the session record.
    env_vars : tuple of str
        Environment variables recorded in the session record.
    logging : Mapping or None
        A `logging.config.dictConfig` dictionary replacing the default handler.
    logger_name : str
        Name of the logger the records are written to.
    agent_name : str or None
        The user recorded as agent.
    described_only : bool
        Trace only activities that have a description.
    value_length : int
        Maximum length of short value representations.
    max_hash_bytes : int
        Size bound for serialising Python values into ids.
    redact, redact_extra : tuple of str
        Case-insensitive name fragments whose values are hidden (stored lower case).
    record_git, record_packages : bool
        Whether the session record holds git and package information.
    flush_interval : float
        Seconds between flushes of the default handler (0 flushes every batch).
    """

    capture: bool = True
    hash_type: str = "sha256"
    log_filename: str = "prov.log"
    log_args: bool = True
    log_args_as_entities: bool = True
    log_kwargs: bool = True
    log_returned_result: bool = True
    system_dict: Mapping[str, Any] = field(default_factory=dict)
    env_vars: tuple[str, ...] = ()
    logging: Mapping[str, Any] | None = None
    logger_name: str = "logprov"
    agent_name: str | None = None
    described_only: bool = False
    value_length: int = 120
    max_hash_bytes: int = 64 * 1024 * 1024
    redact: tuple[str, ...] = DEFAULT_REDACT
    redact_extra: tuple[str, ...] = ()
    record_git: bool = True
    record_packages: bool = True
    flush_interval: float = 0.5

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            checked = _CHECKS[item.name](item.name, value)
            if checked is not value:
                object.__setattr__(self, item.name, checked)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-serialisable data, with secret-looking values hidden."""
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = self._redacted(value)
            data[item.name] = value
        return data

    def replace(self, **changes: Any) -> Config:
        """Return a copy with some fields changed (validated like a new configuration)."""
        names = [item.name for item in dataclasses.fields(self)]
        for key in changes:
            if key not in names:
                raise ConfigError(f"unknown configuration key {key!r}{_suggest(key, names)}")
        return dataclasses.replace(self, **changes)

    def is_secret(self, name: str) -> bool:
        """Whether values named ``name`` must be hidden (see `redact` and `redact_extra`)."""
        lowered = name.lower()
        return any(fragment in lowered for fragment in self.redact + self.redact_extra)

    def _redacted(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                key: _REDACTED if self.is_secret(str(key)) else self._redacted(item)
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self._redacted(item) for item in value]
        if value is None or isinstance(value, (str, int, float)):
            return value
        return repr(value)


def load_config(source: str | os.PathLike | Mapping | Config | None) -> Config:
    """Read and check a capture configuration.

    Parameters
    ----------
    source : str, path-like, Mapping, Config or None
        A YAML file, a mapping, a `Config` (returned as it is) or None (the defaults).

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        For a missing or unreadable file, bad YAML, an unknown key or a value of the wrong type;
        the message names the file, the line and the key.
    """
    if isinstance(source, Config):
        return source
    if source is None:
        return Config()
    if isinstance(source, Mapping):
        document = _Document(dict(source), None)
    else:
        document = _load_document(source, ConfigError, "configuration")
    data = document.data
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise document.error(ConfigError, f"the configuration must be a mapping, not {type(data).__name__}", ())
    names = [item.name for item in dataclasses.fields(Config)]
    for key in data:
        if key not in names:
            message = f"unknown configuration key {key!r}{_suggest(key, names)}"
            raise document.error(ConfigError, message, (key,))
    try:
        return Config(**data)
    except ConfigError as exc:
        raise document.error(ConfigError, exc.message, (exc.path,)) from None


def _fail(name: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"expected {expected}, got {type(value).__name__} {value!r}", path=name)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, "true or false", value)
    return value


def _text(name: str, value: Any) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value:
        raise _fail(name, "a non-empty string", value)
    return value


def _optional_text(name: str, value: Any) -> str | None:
    return None if value is None else _text(name, value)


@functools.lru_cache(maxsize=1)
def _usable_hashes() -> tuple[str, ...]:
    usable = []
    for algorithm in sorted({a.lower() for a in hashlib.algorithms_available}):
        try:
            if hashlib.new(algorithm).digest_size > 0:
                usable.append(algorithm)
        except (ValueError, TypeError):
            continue
    return tuple(usable)


def _hash_type(name: str, value: Any) -> str:
    value = _text(name, value).lower()
    usable = _usable_hashes()
    if value not in usable:
        raise ConfigError(
            f"unknown or unusable hash algorithm {value!r}{_suggest(value, usable)}; "
            f"use one of {', '.join(usable)}",
            path=name,
        )
    return value


def _names(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, Mapping):
        value = list(value)
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(name, "a list of strings", value)
    for item in value:
        if not isinstance(item, str) or not item:
            raise _fail(name, "a list of non-empty strings", item)
    return tuple(value)


def _fragments(name: str, value: Any) -> tuple[str, ...]:
    return tuple(item.lower() for item in _names(name, value))


def _system_dict(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(name, "a mapping", value)
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"must hold only JSON values (strings, numbers, lists, mappings): {exc}", path=name) from None


def _logging(name: str, value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "a logging.config.dictConfig mapping", value)
    if "version" not in value:
        raise ConfigError("a logging.config.dictConfig mapping needs a 'version' key (version: 1)", path=name)
    return value


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(name, "a positive integer", value)
    return value


def _interval(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise _fail(name, "a number of seconds >= 0", value)
    return float(value)


_CHECKS = {
    "capture": _bool,
    "hash_type": _hash_type,
    "log_filename": _text,
    "log_args": _bool,
    "log_args_as_entities": _bool,
    "log_kwargs": _bool,
    "log_returned_result": _bool,
    "system_dict": _system_dict,
    "env_vars": _names,
    "logging": _logging,
    "logger_name": _text,
    "agent_name": _optional_text,
    "described_only": _bool,
    "value_length": _positive_int,
    "max_hash_bytes": _positive_int,
    "redact": _fragments,
    "redact_extra": _fragments,
    "record_git": _bool,
    "record_packages": _bool,
    "flush_interval": _interval,
}
