"""What a read of provenance sources gives: the records, their times, and the counts and
problems met on the way."""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass, field
from typing import Any, List, Tuple

from ..errors import LogReadError

__all__ = ["DEFAULT_MAX_WARNINGS", "LogReadWarning", "ProvRecord", "ReadStats", "Reporter", "parse_time"]

#: Warnings issued per read before a single summary warning.
DEFAULT_MAX_WARNINGS = 10


class LogReadWarning(UserWarning):
    """A line of a provenance log could not be decoded, or held a damaged record, and was skipped."""


def parse_time(value: str | datetime.datetime) -> datetime.datetime:
    """Return ``value`` as an aware datetime; naive times are taken as local time.

    Parameters
    ----------
    value : str or datetime.datetime
        An ISO 8601 time (``Z`` accepted for UTC) or a datetime.

    Returns
    -------
    datetime.datetime
        A timezone-aware datetime.

    Raises
    ------
    ValueError
        If ``value`` is not an ISO 8601 time.
    """
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.datetime.fromisoformat(text)
    else:
        raise ValueError(f"not a time: {value!r}")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        moment = moment.astimezone()
    return moment


@dataclass(slots=True, eq=False, repr=False)
class ProvRecord:
    """One provenance record read from a log.

    Attributes
    ----------
    timestamp : str
        The time written between the two ``_PROV_`` markers, as it stands in the log.
    data : dict
        The decoded payload, in the current record shape.
    source : str
        Name of the log it was read from.
    line : int
        Its 1-based line number in ``source``.
    session : str or None
        The session the record belongs to, when it is known.
    legacy : bool
        True when the payload was a Python literal (logprov 0.0.2).
    """

    timestamp: str
    data: dict
    source: str
    line: int
    session: str | None = None
    legacy: bool = False
    _time: datetime.datetime | None = field(default=None, init=False)

    @property
    def time(self) -> datetime.datetime | None:
        """The timestamp as an aware datetime (naive legacy times are local), None if invalid."""
        if self._time is None:
            try:
                self._time = parse_time(self.timestamp)
            except ValueError:
                return None
        return self._time

    def __repr__(self) -> str:
        return f"ProvRecord({self.source}:{self.line}, {self.timestamp}, {self.data!r})"


@dataclass
class ReadStats:
    """What a read found.

    Attributes
    ----------
    records : int
        Records yielded.
    skipped : int
        ``_PROV_`` lines that could not be decoded, or whose record has a known key holding
        what it may not (see `logprov.records.fields`).
    recovered : int
        Records found after an unreadable one on the same line (a line cut short by a crash,
        to which the next process appended its records).
    filtered : int
        Records left out by the time window or the session filter.
    lines : int
        Lines read.
    files : list of str
        Sources read, in order.
    problems : list of (str, int, str)
        ``(source, line, reason)`` of the first ``max_problems`` skipped lines.
    max_problems : int
        How many problems are kept.
    stream : file-like or None
        The text stream of the source being read (for progress bars).
    """

    records: int = 0
    skipped: int = 0
    recovered: int = 0
    filtered: int = 0
    lines: int = 0
    files: List[str] = field(default_factory=list)
    problems: List[Tuple[str, int, str]] = field(default_factory=list)
    max_problems: int = 100
    stream: Any = field(default=None, repr=False, compare=False)

    def add_problem(self, source: str, line: int, reason: str) -> None:
        """Count a skipped line and keep its description while there is room."""
        self.skipped += 1
        if len(self.problems) < self.max_problems:
            self.problems.append((source, line, reason))


class Reporter:
    """Count, warn about or raise for unreadable lines."""

    __slots__ = ("stats", "strict", "max_warnings", "warned")

    def __init__(self, stats: ReadStats, strict: bool, max_warnings: int) -> None:
        self.stats = stats
        self.strict = strict
        self.max_warnings = max_warnings
        self.warned = 0

    def problem(self, source: str, line: int, reason: str) -> None:
        """Raise for an unreadable line in strict mode; else count it, and warn while allowed."""
        if self.strict:
            raise LogReadError(reason, source, line)
        self.stats.add_problem(source, line, reason)
        if self.warned < self.max_warnings:
            self.warned += 1
            warnings.warn(f"{source}:{line}: skipped: {reason}", LogReadWarning, stacklevel=4)

    def summary(self) -> None:
        """Warn once about the unreadable lines that were counted but not warned about."""
        hidden = self.stats.skipped - self.warned
        if hidden > 0:
            warnings.warn(
                f"{hidden} more unreadable provenance lines skipped "
                f"({self.stats.skipped} in all); see ReadStats.problems",
                LogReadWarning,
                stacklevel=3,
            )
