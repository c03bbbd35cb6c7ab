"""Calibration: how fast this machine runs the two operations the targets were set against."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass

from .rows import INFO, Row
from .stats import Summary, loop_time, summarize

__all__ = ["REFERENCE_LOG_CALL_US", "REFERENCE_DUMPS_US", "Calibration", "calibrate", "calibration_rows"]

REFERENCE_LOG_CALL_US = 5.6
REFERENCE_DUMPS_US = 1.7
SMALL_RECORD = {
    "activity_id": "3cd223ac-bd9c-4c79-9aee-8f1379f7cd17",
    "used_id": "b7a60da02fc8e7fa5414e46655259923",
    "used_role": "observations",
}


class _DoNothing(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        pass


@dataclass(frozen=True)
class Calibration:
    """Timings of the calibration operations and the resulting speed ratio.

    Attributes
    ----------
    log_call, dumps : Summary
        Per-call microseconds of a logging call into a do-nothing handler and of
        ``json.dumps`` of a small record.
    """

    log_call: Summary
    dumps: Summary

    @property
    def ratio(self) -> float:
        """How many times slower than the reference machine (geometric mean of both)."""
        return math.sqrt(self.log_call.median / REFERENCE_LOG_CALL_US * self.dumps.median / REFERENCE_DUMPS_US)

    def to_dict(self) -> dict:
        """Return the calibration as plain data."""
        return {"log_call_us": self.log_call.to_dict(), "dumps_us": self.dumps.to_dict(), "ratio": self.ratio}


def calibrate(calls: int = 20_000, repeats: int = 9) -> Calibration:
    """Measure both calibration operations in this process."""
    logger = logging.getLogger("logprov-bench-calibration")
    logger.handlers[:] = [_DoNothing()]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    log = lambda i: logger.info("calibration message %d", i)  # noqa: E731
    dumps = lambda i: json.dumps(SMALL_RECORD)  # noqa: E731
    loop_time(log, calls // 4)
    loop_time(dumps, calls // 4)
    log_times, dumps_times = [], []
    for _ in range(repeats):
        log_times.append(loop_time(log, calls) * 1e6)
        dumps_times.append(loop_time(dumps, calls) * 1e6)
    return Calibration(summarize(log_times), summarize(dumps_times))


def calibration_rows(calibration: Calibration, group: str = "calibration") -> list[Row]:
    """Return the calibration rows of the table."""
    ratio = calibration.ratio
    return [
        Row(group, "log_call", f"logging call into a do-nothing handler (reference {REFERENCE_LOG_CALL_US} µs)",
            calibration.log_call, "µs", status=INFO),
        Row(group, "json_dumps", f"json.dumps of a small record (reference {REFERENCE_DUMPS_US} µs)",
            calibration.dumps, "µs", status=INFO),
        Row(group, "ratio", "this machine vs reference (>1: slower)", summarize([ratio]), "x", status=INFO,
            note="time rows also show their median divided by the ratio measured just before their group"),
    ]
