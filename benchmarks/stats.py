"""Summaries of repeated measurements and timing loops."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

__all__ = ["Summary", "summarize", "loop_time", "paired_overhead"]


@dataclass(frozen=True)
class Summary:
    """Median, extremes and quartiles of a sample.

    Attributes
    ----------
    median, minimum, maximum, q1, q3 : float
        The statistics.
    n : int
        Sample size.
    """

    median: float
    minimum: float
    maximum: float
    q1: float
    q3: float
    n: int

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (0 when the median is 0)."""
        return (self.q3 - self.q1) / abs(self.median) if self.median else 0.0

    def scaled(self, factor: float) -> "Summary":
        """Return the summary with every value multiplied by ``factor``."""
        return Summary(self.median * factor, self.minimum * factor, self.maximum * factor,
                       self.q1 * factor, self.q3 * factor, self.n)

    def to_dict(self) -> dict:
        """Return the summary as plain data."""
        return asdict(self)


def summarize(values: Sequence[float]) -> Summary:
    """Return the `Summary` of a non-empty sample."""
    data = sorted(values)
    if len(data) >= 2:
        q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    else:
        q1 = q3 = data[0]
    return Summary(statistics.median(data), data[0], data[-1], q1, q3, len(data))


def loop_time(call: Callable[[int], object], calls: int) -> float:
    """Return the mean time in seconds of ``call(i)`` over ``calls`` calls, ``i`` counting up."""
    clock = time.perf_counter
    start = clock()
    for index in range(calls):
        call(index)
    return (clock() - start) / calls


def paired_overhead(
    measured: Callable[[int], object],
    baseline: Callable[[int], object],
    calls: int,
    repeats: int,
    warmup: int,
) -> tuple[Summary, Summary, Summary]:
    """Time ``measured`` and ``baseline`` in alternating blocks; return the per-call summaries.

    Each repetition runs one block of ``calls`` calls of each (in alternating order, so slow
    phases of a busy machine hit both alike) and keeps the difference of their means.

    Returns
    -------
    tuple of Summary
        The per-call difference (overhead), the measured and the baseline times, in seconds.
    """
    loop_time(measured, warmup)
    loop_time(baseline, warmup)
    differences, measured_times, baseline_times = [], [], []
    for repeat in range(repeats):
        if repeat % 2:
            base = loop_time(baseline, calls)
            value = loop_time(measured, calls)
        else:
            value = loop_time(measured, calls)
            base = loop_time(baseline, calls)
        differences.append(value - base)
        measured_times.append(value)
        baseline_times.append(base)
    return summarize(differences), summarize(measured_times), summarize(baseline_times)
