"""Helpers to assert on the provenance records a piece of code produces."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

from .capture.default import get_capture
from .capture.facade import ProvCapture
from .records.keys import NAME
from .records.kinds import START, kind_of
from .records.lines import parse_line

__all__ = ["RecordCollector", "collect_records", "parse_line"]


class RecordCollector(logging.Handler):
    """A logging handler keeping every provenance record it receives, decoded.

    Attributes
    ----------
    records : list of dict
        The records, in order.
    warnings : list of str
        Messages logged at WARNING or above (problems reported by the capture).
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[dict] = []
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Decode the ``_PROV_`` lines of ``record``."""
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            self.warnings.append(message)
        for line in message.split("\n"):
            parsed = parse_line(line)
            if parsed is not None:
                self.records.append(parsed)

    def of_kind(self, kind: str) -> list[dict]:
        """Return the records of one kind (see `logprov.records.kinds.kind_of`)."""
        return [r for r in self.records if kind_of(r) == kind]

    def find(self, **keys: Any) -> list[dict]:
        """Return the records holding all the given key/value pairs."""
        return [r for r in self.records if all(k in r and r[k] == v for k, v in keys.items())]

    def activities(self, name: str | None = None) -> list[dict]:
        """Return the start records of activities, optionally only those called ``name``."""
        return [r for r in self.of_kind(START) if name is None or r.get(NAME) == name]


@contextmanager
def collect_records(capture: ProvCapture | None = None) -> Iterator[RecordCollector]:
    """Collect the records a capture writes inside a ``with`` block.

    Parameters
    ----------
    capture : ProvCapture, optional
        The capture whose records are collected; by default the process-wide default capture
        (`logprov.get_capture`, the one `logprov.trace` and `logprov.activity` write with), as
        it is when the block starts.

    Examples
    --------
    >>> with collect_records() as log:
    ...     analysis.run_fit()
    >>> [a["name"] for a in log.activities()]
    ['run_fit']
    """
    if capture is None:
        capture = get_capture()
    collector = RecordCollector()
    capture.logger.addHandler(collector)
    try:
        yield collector
    finally:
        capture.logger.removeHandler(collector)
