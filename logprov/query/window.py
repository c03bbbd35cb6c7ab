"""Which part of the logs a query looks at: a time window and a choice of sessions.

An activity is selected when its start record lies in the window and its session is chosen;
everything logged about a selected activity (parameters, usages, generations, its end) comes
with it. Entity descriptions, memberships and derivations are selected by their own record.
Times are compared as UTC ISO 8601 texts with microseconds, which order like the moments.
"""

from __future__ import annotations

import datetime
from typing import Iterable, Sequence

from ..reading.reader import parse_time

__all__ = ["Window", "utc_text", "UTC_SUFFIX", "UTC_LENGTH"]

#: The end and the length of a time as `utc_text` returns it.
UTC_SUFFIX = "+00:00"
UTC_LENGTH = len("2026-11-22T10:15:02.123456+00:00")


def utc_text(moment: str | datetime.datetime | None) -> str | None:
    """Return ``moment`` as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``, or None if it is not a time.

    Naive times are local times, as everywhere in logprov.
    """
    if moment is None:
        return None
    if isinstance(moment, str) and len(moment) == UTC_LENGTH and moment.endswith(UTC_SUFFIX):
        return moment
    try:
        aware = parse_time(moment)
    except (ValueError, TypeError):
        return None
    return aware.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


def _bound(value: str | datetime.datetime | None, name: str) -> str | None:
    if value is None:
        return None
    text = utc_text(value)
    if text is None:
        raise ValueError(f"{name} is not an ISO 8601 date or time: {value!r}")
    return text


class Window:
    """A time window and session ids (or unique prefixes of them).

    Parameters
    ----------
    start, end : str or datetime, optional
        Bounds of the window, inclusive; naive times and dates are local.
    sessions : iterable of str, optional
        Session ids, or prefixes of them.

    Raises
    ------
    ValueError
        If a bound is not a time.
    """

    __slots__ = ("start", "end", "sessions")

    def __init__(
        self,
        start: str | datetime.datetime | None = None,
        end: str | datetime.datetime | None = None,
        sessions: Iterable[str] | None = None,
    ) -> None:
        self.start = _bound(start, "start")
        self.end = _bound(end, "end")
        self.sessions: tuple[str, ...] | None = None if sessions is None else tuple(map(str, sessions))

    @property
    def everything(self) -> bool:
        """True when the window selects everything."""
        return self.start is None and self.end is None and self.sessions is None

    @property
    def timed(self) -> bool:
        """True when the window has a time bound."""
        return self.start is not None or self.end is not None

    def keeps_session(self, session: str | None) -> bool:
        """Return True when ``session`` is one of the chosen sessions."""
        if self.sessions is None:
            return True
        return session is not None and session.startswith(self.sessions)

    def keeps_time(self, moment: str | None) -> bool:
        """Return True when the UTC text ``moment`` lies in the window."""
        if self.start is None and self.end is None:
            return True
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (self.end is None or moment <= self.end)

    def keeps(self, moment: str | None, session: str | None) -> bool:
        """Return True when a record of ``session`` logged at ``moment`` is selected."""
        return self.keeps_time(moment) and self.keeps_session(session)

    def sql(self, time_column: str, session_column: str) -> tuple[str, list]:
        """Return an SQL condition selecting the same rows, and its parameters."""
        clauses: list[str] = []
        params: list = []
        if self.start is not None:
            clauses.append(f"{time_column} >= ?")
            params.append(self.start)
        if self.end is not None:
            clauses.append(f"{time_column} <= ?")
            params.append(self.end)
        if self.sessions is not None and not self.sessions:
            clauses.append("1 = 0")
        elif self.sessions is not None:
            ranges = [f"({session_column} >= ? AND {session_column} < ?)" for _ in self.sessions]
            clauses.append("(" + " OR ".join(ranges) + ")")
            for prefix in self.sessions:
                params.extend((prefix, prefix + "\U0010ffff"))
        return (" AND ".join(clauses) or "1 = 1"), params

    def key(self) -> Sequence:
        """Return a value that is equal for equal windows."""
        return (self.start, self.end, self.sessions)
