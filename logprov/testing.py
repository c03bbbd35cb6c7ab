"""Helpers to assert on the provenance records a piece of code produces."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Any, Iterator

from .capture.facade import ProvCapture
from .capture.writer import PROV_PREFIX, record_kind

__all__ = ["RecordCollector", "collect_records", "parse_line"]


def parse_line(line: str) -> dict | None:
    """Return the JSON record of one ``_PROV_`` line, or None for any other line."""
    start = line.find(PROV_PREFIX)
    if start < 0:
        return None
    second = line.find(PROV_PREFIX, start + len(PROV_PREFIX))
    if second < 0:
        return None
    return json.loads(line[second + len(PROV_PREFIX):])


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
        """Return the records of one kind (see `logprov.capture.writer.record_kind`)."""
        return [r for r in self.records if record_kind(r) == kind]

    def find(self, **keys: Any) -> list[dict]:
        """Return the records holding all the given key/value pairs."""
        return [r for r in self.records if all(k in r and r[k] == v for k, v in keys.items())]

    def activities(self, name: str | None = None) -> list[dict]:
        """Return the start records of activities, optionally only those called ``name``."""
        return [r for r in self.of_kind("start") if name is None or r.get("name") == name]


@contextmanager
def collect_records(capture: ProvCapture) -> Iterator[RecordCollector]:
    """Collect the records a capture writes inside a ``with`` block.

    Examples
    --------
    >>> with collect_records(capture) as log:
    ...     analysis.run_fit()
    >>> [a["name"] for a in log.activities()]
    ['run_fit']
    """
    collector = RecordCollector()
    capture.logger.addHandler(collector)
    try:
        yield collector
    finally:
        capture.logger.removeHandler(collector)
