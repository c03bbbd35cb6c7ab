"""Logs read back in tests, checking that each of their lines is one whole record."""

from __future__ import annotations

import glob
import warnings
from pathlib import Path

from logprov.reading.reader import LogReadWarning, ReadStats, iter_records


def read_whole_log(source) -> tuple[list, ReadStats]:
    """Read logs back and check that each of their lines is one whole record.

    ``source`` is a log file or a glob pattern. Empty lines are allowed: a process opening the
    log while another one writes may start on a new line.
    """
    filled = 0
    for path in glob.glob(str(source)):
        data = Path(path).read_bytes()
        assert data.endswith(b"\n")
        filled += sum(1 for line in data.split(b"\n") if line)
    stats = ReadStats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LogReadWarning)
        records = list(iter_records(source, stats=stats))
    assert stats.skipped == 0 and stats.problems == []
    assert stats.records == filled == len(records)
    return records, stats
