"""Summaries of repeated measurements and timing loops."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable, Mapping, Sequence

__all__ = ["Summary", "summarize", "loop_time", "block_overheads"]


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


def block_overheads(
    measured: Mapping[str, Callable[[int], object]],
    baseline: Callable[[int], object],
    calls: int,
    repeats: int,
    warmup: int,
) -> dict[str, tuple[Summary, Summary, Summary]]:
    """Time each of ``measured`` and ``baseline`` in blocks of ``calls`` calls, in rotating order.

    Each repetition runs one block of every function, so that slow phases of a busy machine hit
    all of them alike, and keeps for each measured function the difference between its mean
    and the baseline's mean in that repetition.

    Returns
    -------
    dict
        Per name of ``measured``: summaries of the per-call difference (the overhead), of the
        measured and of the baseline times, in seconds.
    """
    functions = {**measured, None: baseline}
    for function in functions.values():
        loop_time(function, warmup)
    order = list(functions)
    times: dict = {name: [] for name in order}
    for repeat in range(repeats):
        shift = repeat % len(order)
        for name in order[shift:] + order[:shift]:
            times[name].append(loop_time(functions[name], calls))
    base = times[None]
    return {
        name: (summarize([value - b for value, b in zip(times[name], base)]), summarize(times[name]), summarize(base))
        for name in measured
    }
