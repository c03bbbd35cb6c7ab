"""What a search asks for, and how values are matched: globs, parameter values, statuses."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Optional

from .window import utc_text

__all__ = [
    "ActivityQuery", "EntityQuery", "exit_code_of", "glob_regex", "has_magic", "parameter_matches", "sql_glob",
    "status_of", "value_text",
]

STATUSES = ("success", "failed", "incomplete")


@dataclass(frozen=True)
class ActivityQuery:
    """Which activities to find.

    Attributes
    ----------
    name : str, optional
        Glob pattern on the activity name (``run_*``).
    status : str, optional
        ``success``, ``failed`` or ``incomplete``.
    since, until : str, optional
        UTC ISO texts bounding the start time.
    sessions : tuple of str, optional
        Session ids or prefixes.
    where : mapping
        Parameter name (or dotted path into a mapping value) to glob pattern of its value.
    id_prefix : str, optional
        Start of the activity id.
    """

    name: Optional[str] = None
    status: Optional[str] = None
    since: Optional[str] = None
    until: Optional[str] = None
    sessions: Optional[tuple] = None
    where: Mapping[str, str] = field(default_factory=dict)
    id_prefix: Optional[str] = None

    def accepts(self, key: str, name: Optional[str], status: Optional[str], start: Optional[str],
                session: Optional[str]) -> bool:
        """Return True when an activity with these fields passes every test except `where`."""
        if self.id_prefix is not None and not key.startswith(self.id_prefix):
            return False
        if self.name is not None and (name is None or not glob_regex(self.name).match(name)):
            return False
        if self.status is not None and status != self.status:
            return False
        if self.since is not None or self.until is not None:
            moment = utc_text(start)
            if moment is None or (self.since is not None and moment < self.since) or (
                self.until is not None and moment > self.until
            ):
                return False
        if self.sessions is not None and (session is None or not session.startswith(self.sessions)):
            return False
        return True

    def accepts_parameters(self, parameters: Mapping[str, Any]) -> bool:
        """Return True when ``parameters`` match every test of `where`."""
        return all(parameter_matches(parameters, key, pattern) for key, pattern in self.where.items())


@dataclass(frozen=True)
class EntityQuery:
    """Which entities to find (all tests must pass).

    Attributes
    ----------
    id_prefix : str, optional
        Start of the entity id, as logged or qualified.
    location : str, optional
        Glob pattern one of its locations matches.
    role : str, optional
        Glob pattern on the role of one of its usages or generations.
    type : str, optional
        Its type (``File``, ``PythonObject``, …).
    ids : tuple of str, optional
        Exact entity ids (for instance ``file:<digest>`` of a file's content).
    """

    id_prefix: Optional[str] = None
    location: Optional[str] = None
    role: Optional[str] = None
    type: Optional[str] = None
    ids: Optional[tuple] = None


def has_magic(pattern: str) -> bool:
    """Return True when ``pattern`` holds glob wildcards."""
    return any(char in pattern for char in "*?[")


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern:
    """Return the compiled, case-sensitive regular expression of a glob pattern."""
    return re.compile(fnmatch.translate(pattern), re.S)


def sql_glob(pattern: str) -> str:
    """Return ``pattern`` for SQLite's ``GLOB`` (which writes ``[!…]`` as ``[^…]``)."""
    return pattern.replace("[!", "[^")


def value_text(value: Any) -> str:
    """Return the text a parameter value is matched as: a string itself, else compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _lookup(parameters: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    if key in parameters:
        return True, parameters[key]
    head, dot, rest = key.partition(".")
    if dot and isinstance(parameters.get(head), Mapping):
        return _lookup(parameters[head], rest)
    return False, None


def parameter_matches(parameters: Mapping[str, Any], key: str, pattern: str) -> bool:
    """Return True when parameter ``key`` has a value matching ``pattern``.

    ``key`` may be a dotted path into mapping values (``filters.target``). The value matches
    when its text (a string itself, anything else as compact JSON) matches the glob
    ``pattern``, or when both are numbers and equal (``5`` matches ``5.0``).
    """
    found, value = _lookup(parameters, key)
    if not found:
        return False
    if glob_regex(pattern).match(value_text(value)):
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(pattern) == float(value)
        except ValueError:
            return False
    return False


def status_of(status: Optional[str], started: bool, ended: bool) -> Optional[str]:
    """Return the status shown for an activity: as logged, else ``incomplete`` when it started
    and never ended (logprov 0.0.2 activities that ended have none)."""
    if status is not None:
        return str(status)
    return "incomplete" if started and not ended else None


def exit_code_of(value: object) -> Optional[int]:
    """Return the exit code an end record gives its activity: an integer that a store's 64-bit
    column holds, else None."""
    return value if type(value) is int and -2**63 <= value < 2**63 else None
