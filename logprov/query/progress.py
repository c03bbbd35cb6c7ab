"""A progress line on standard error while long logs are read, only on a terminal."""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Iterable, Iterator, Optional

from ..reader import ProvRecord

__all__ = ["Progress", "track"]

_EVERY = 8192


class Progress:
    """Show how many records were read, from which file, at most a few times a second.

    Parameters
    ----------
    stream : file-like, optional
        Where to write (default: standard error).
    enabled : bool, optional
        Show progress; by default only when ``stream`` is a terminal.
    """

    def __init__(self, stream: Optional[IO[str]] = None, enabled: Optional[bool] = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.shown = False
        self.last = 0.0

    def update(self, what: str, source: str, records: int) -> None:
        """Show ``records`` records read so far, the last from ``source``."""
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        name = os.path.basename(source)
        self.stream.write(f"\r\x1b[K{what} {name}: {records:,} records")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        """Clear the progress line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def track(records: Iterable[ProvRecord], progress: Optional[Progress], what: str,
          counts: dict) -> Iterator[ProvRecord]:
    """Yield ``records``, counting them (``counts["records"]``), noting whether any was written
    by logprov 0.0.2 (``counts["legacy"]``) and showing progress."""
    total = 0
    legacy = False
    try:
        for record in records:
            total += 1
            if record.legacy:
                legacy = True
            if progress is not None and not total % _EVERY:
                progress.update(what, record.source, total)
            yield record
    finally:
        counts["records"] = counts.get("records", 0) + total
        counts["legacy"] = counts.get("legacy", False) or legacy
        if progress is not None:
            progress.done()
