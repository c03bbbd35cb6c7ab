"""Memoised text of the datetimes of a stream (the same objects recur in many records)."""

from __future__ import annotations

import datetime
from typing import Callable

from .memos import IdentityMemo

__all__ = ["TimeTexts"]


class TimeTexts(IdentityMemo[str]):
    """Format datetimes with ``format``, remembering the text of recently seen objects.

    Parameters
    ----------
    format : callable
        Turns a datetime into its text in the output format.
    limit : int
        Objects remembered before the memory is cleared.
    """

    __slots__ = ()

    def __init__(self, format: Callable[[datetime.datetime], str], limit: int = 4096) -> None:
        super().__init__(format, limit)
