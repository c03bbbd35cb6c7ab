"""Memoised text of the datetimes of a stream (the same objects recur in many records)."""

from __future__ import annotations

import datetime
from typing import Callable, Dict, Tuple

__all__ = ["TimeTexts"]


class TimeTexts:
    """Format datetimes with ``format``, remembering the text of recently seen objects.

    Parameters
    ----------
    format : callable
        Turns a datetime into its text in the output format.
    limit : int
        Objects remembered before the memory is cleared.
    """

    __slots__ = ("format", "limit", "_seen")

    def __init__(self, format: Callable[[datetime.datetime], str], limit: int = 4096) -> None:
        self.format = format
        self.limit = limit
        self._seen: Dict[int, Tuple[datetime.datetime, str]] = {}

    def __call__(self, moment: datetime.datetime) -> str:
        """Return the text of ``moment``."""
        found = self._seen.get(id(moment))
        if found is not None and found[0] is moment:
            return found[1]
        text = self.format(moment)
        if len(self._seen) > self.limit:
            self._seen.clear()
        self._seen[id(moment)] = (moment, text)
        return text
