"""A progress bar on standard error while long logs are read: the share of their bytes read and
the time left, drawn by tqdm, only on a terminal."""

from __future__ import annotations

import os
import sys
from typing import IO, Any, Iterable, Iterator, Optional

from ..reading.reader import ProvRecord, ReadStats

__all__ = ["Progress", "track", "bytes_read", "source_sizes"]

_EVERY = 8192


def _tqdm() -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


class Progress:
    """Show how much of the logs was read, and how long the rest will take.

    Parameters
    ----------
    stream : file-like, optional
        Where to draw (default: standard error).
    enabled : bool, optional
        Show progress; by default only when ``stream`` is a terminal and tqdm is installed
        (the ``progress`` extra).
    interval : float
        Least number of seconds between two drawings.
    """

    def __init__(self, stream: Optional[IO[str]] = None, enabled: Optional[bool] = None,
                 interval: float = 0.2) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled and _tqdm() is not None
        self.bar: Any = None
        self.interval = interval

    def update(self, what: str, source: str, records: int, done: Optional[int] = None,
               total: Optional[int] = None) -> None:
        """Show ``records`` records read so far, the last from ``source``, and ``done`` of
        ``total`` bytes when they are known."""
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = _tqdm()(total=total, desc=what, unit="B", unit_scale=True, unit_divisor=1024,
                               file=self.stream, leave=False, mininterval=self.interval, dynamic_ncols=True)
        self.bar.set_postfix_str(f"{os.path.basename(source)}, {records:,} records", refresh=False)
        if done is not None and done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def done(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def bytes_read(stream: Any) -> Optional[int]:
    """Return how many bytes of its file the text stream ``stream`` has read (of the compressed
    file, for a ``.gz`` log), or None when that cannot be told."""
    raw = getattr(stream, "buffer", stream)
    target = getattr(raw, "fileobj", None) or raw
    try:
        return target.tell()
    except (OSError, ValueError, AttributeError):
        return None


def source_sizes(sources: Iterable[Any]) -> Optional[list]:
    """Return the sizes of the log files ``sources`` names, in reading order, or None when one
    of them is standard input or a stream."""
    from ..reading.sources import LogFile, resolve

    sources = list(sources)
    if any(hasattr(source, "read") for source in sources):
        return None
    files = resolve(sources)
    sizes = [f.size for f in files if isinstance(f, LogFile)]
    return sizes if len(sizes) == len(files) else None


def track(records: Iterable[ProvRecord], progress: Optional[Progress], what: str,
          counts: dict, stats: Optional[ReadStats] = None, sizes: Optional[list] = None) -> Iterator[ProvRecord]:
    """Yield ``records``, counting them (``counts["records"]``), noting whether any was written
    by logprov 0.0.2 (``counts["legacy"]``) and showing progress.

    ``stats`` is the `ReadStats` given to `logprov.reading.reader.iter_records` for ``records``, and
    ``sizes`` the sizes of its sources in order: with both, progress shows bytes read.
    """
    total = 0
    legacy = False
    whole = sum(sizes) if sizes is not None else None
    try:
        for record in records:
            total += 1
            if record.legacy:
                legacy = True
            if progress is not None and not total % _EVERY:
                done = None
                if stats is not None and sizes is not None and stats.files:
                    position = bytes_read(stats.stream)
                    if position is not None:
                        opened = len(stats.files) - 1
                        done = sum(sizes[:opened]) + min(position, sizes[opened] if opened < len(sizes) else position)
                progress.update(what, record.source, total, done, whole)
            yield record
    finally:
        counts["records"] = counts.get("records", 0) + total
        counts["legacy"] = counts.get("legacy", False) or legacy
        if progress is not None:
            progress.done()
