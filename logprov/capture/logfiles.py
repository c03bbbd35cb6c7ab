"""Names of log files with placeholders: ``{host}``, ``{pid}``, ``{job}`` and ``{date}``, so that
every process of a job array writes a file of its own."""

from __future__ import annotations

import datetime
import os
import re
import socket
import string
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .jobs import file_label
from ..settings.yamldoc import suggest

__all__ = ["PLACEHOLDERS", "check_log_filename", "escape_braces", "resolve_log_filename", "uses_placeholder"]

#: The placeholders a log file name may hold.
PLACEHOLDERS = ("host", "pid", "job", "date")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _fields(template: str) -> list[str]:
    """The placeholders of ``template``; ValueError for a stray brace or a bad placeholder."""
    names = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(f"a brace opens or closes no placeholder in {template!r} "
                         "(write a brace of the name itself as {{ or }})") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}"
            raise ValueError(f"unknown placeholder {shown}{suggest(name, PLACEHOLDERS)}; use "
                             + ", ".join("{" + known + "}" for known in PLACEHOLDERS)
                             + " (write a brace of the name itself as {{ or }})")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format or conversion")
        names.append(name)
    return names


def check_log_filename(name: str, value: Any) -> str | None:
    """Check a log file name (None, or a non-empty string or path with placeholders).

    Raises
    ------
    ConfigError
        For a value of another type, an unknown placeholder, or a brace that opens or closes
        nothing (a literal brace is written ``{{`` or ``}}``); the message names the key.
    """
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"expected a non-empty string, got {type(value).__name__} {value!r}", path=name)
    try:
        _fields(value)
    except ValueError as exc:
        raise ConfigError(str(exc), path=name) from None
    return value


def uses_placeholder(template: str | None, placeholder: str) -> bool:
    """Return True when the (checked) ``template`` holds ``{placeholder}``."""
    return template is not None and placeholder in _fields(template)


def _utc_date() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def resolve_log_filename(template: str, job: Mapping | None = None) -> str:
    """Return the file name a (checked) ``template`` gives in this process.

    ``{host}`` is the host name, ``{pid}`` the process id, ``{job}`` the job (`file_label`
    of ``job``: ``123456_7`` for task 7 of array job 123456, empty without a job) and
    ``{date}`` today's UTC date (``YYYY-MM-DD``); characters other than letters, digits, ``.``,
    ``_`` and ``-`` in their values are written ``_``. ``{{`` and ``}}`` are single braces.
    """
    names = _fields(template)
    if not names:
        return template.replace("{{", "{").replace("}}", "}")
    values = {
        "host": _UNSAFE.sub("_", socket.gethostname()) if "host" in names else "",
        "pid": str(os.getpid()),
        "job": file_label(job),
        "date": _utc_date() if "date" in names else "",
    }
    return template.format_map(values)


def escape_braces(path: str) -> str:
    """Return ``path`` as a template naming that very file (its braces doubled)."""
    return path.replace("{", "{{").replace("}", "}}")
