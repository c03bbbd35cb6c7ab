"""What every driver script shares; imports nothing outside the standard library."""

from __future__ import annotations

import json
import resource
import sys
import time
from importlib import metadata

__all__ = ["MARKER", "clock", "params", "emit", "versions", "peak_rss", "work_class", "time_calls"]

MARKER = "@@logprov-bench-result@@"
clock = time.perf_counter


def params() -> dict:
    """Return the JSON parameters given as the first argument."""
    return json.loads(sys.argv[1])


def emit(value: dict) -> None:
    """Print the result of the driver."""
    print(MARKER + json.dumps(value), flush=True)


def versions(*names: str) -> dict:
    """Return the installed versions of the distributions ``names``."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def peak_rss() -> int:
    """Return the peak resident set size of this process, in bytes (Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def work_class() -> type:
    """Return a new class whose ``process`` reads ``a``, ``b`` and sets ``c``, ``d`` (as in
    ``benchmarks.workload``)."""

    class Work:
        def __init__(self) -> None:
            self.a = [1, 2, 3]
            self.b = {"x": 1.5, "y": "text"}
            self.c = None
            self.d = None

        def process(self, alpha: int = 1, beta: int = 2) -> None:
            self.c = [value * alpha for value in self.a]
            self.d = {"sum": beta + len(self.b)}

    return Work


def time_calls(traced, plain, calls: int) -> dict:
    """Call ``traced(i)`` and ``plain(i)`` for ``i`` in ``range(calls)``, in alternating order,
    and return the seconds of each call."""
    traced_times, plain_times = [], []
    for index in range(calls):
        if index % 2:
            start = clock()
            plain(index)
            middle = clock()
            traced(index)
            end = clock()
            plain_times.append(middle - start)
            traced_times.append(end - middle)
        else:
            start = clock()
            traced(index)
            middle = clock()
            plain(index)
            end = clock()
            traced_times.append(middle - start)
            plain_times.append(end - middle)
    return {"traced_s": traced_times, "untraced_s": plain_times}
