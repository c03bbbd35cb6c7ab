"""What receives the statements of a record stream: the `StatementSink` protocol.

The writers of `logprov.export` (one per format, on `logprov.export.statementwriter`) are the
sinks; `logprov.model.recordstream.RecordStream` is what feeds them.
"""

from __future__ import annotations

import datetime
from typing import Callable, Iterator, List, Optional, Protocol, Sequence, Tuple, Union

from .mapping import Pair

__all__ = ["StatementSink", "Fill", "Plan", "Attributes", "Time"]

Time = Optional[datetime.datetime]
Attributes = Tuple[Pair, ...]
Fill = Callable[[str, str, Optional[str], int], str]
"""``fill(subject, target, time, blank)``: the text of one relation (``time`` is the activity
of a derivation)."""
Plan = Tuple[List[str], Fill]
"""Where the relations of one kind and attributes go, and their ``fill``."""


class StatementSink(Protocol):
    """What receives the statements of a `logprov.model.recordstream.RecordStream`.

    Identifiers are given as ``prefix:local`` text, made of ``[A-Za-z0-9_.-]`` characters and
    the colon only; the prefixes are those of ``RecordStream.ids.namespaces``. Attributes are
    given as a list, or as a tuple that the stream may give again for other statements and that
    never changes, so that a sink can remember its encoding by identity.

    Elements are written by the sink. Relations are written by the stream, with what `template`
    gives for their kind and attributes: a list and a function ``fill``; the stream appends
    ``fill(subject, target, time, blank)`` to the list, where ``subject`` and ``target`` are
    given by `term`, ``time`` by `moment` (None for a relation without time; for a
    ``wasDerivedFrom``, the `term` of the activity it happened in) and ``blank`` by
    ``next(sink.blank)``. The sink writes out what its lists hold when `flush` is called.
    """

    blank: Iterator[int]
    """Numbers of blank nodes, one taken for each relation."""

    time_text: str
    """What `moment` gives for a time whose ISO 8601 text ``text`` is as `datetime.isoformat`
    writes it, with an offset: ``time_text % text``."""

    def element(
        self,
        kind: str,
        name: str,
        attributes: Sequence[Pair],
        start: Union[Time, str] = None,
        end: Union[Time, str] = None,
    ) -> None:
        """Write an ``entity``, ``activity`` (with its times, as datetimes or as `moment` gives
        them) or ``agent``."""

    def term(self, name: str) -> str:
        """Return an identifier as ``fill`` takes it."""
        ...

    def moment(self, time: datetime.datetime) -> str:
        """Return a time as ``fill`` takes it."""
        ...

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Plan:
        """Return the list relations of ``kind`` with ``attributes`` go to and their ``fill``.

        ``kind`` is a PROV-N keyword (``used``, ``wasGeneratedBy``, …); ``timed`` tells whether
        the relations have a time (for ``wasDerivedFrom``, an activity).
        """
        ...

    def flush(self) -> None:
        """Write out the lines appended to the lists given by `template`."""
