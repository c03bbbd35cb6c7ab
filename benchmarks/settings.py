"""Sizes and repetitions of a full and of a quick run."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "full", "quick", "CACHE_DIR", "TEMP_CACHE_DIR"]

CACHE_DIR = Path(os.environ.get("LOGPROV_BENCH_CACHE", Path.home() / ".cache" / "logprov-bench"))
TEMP_CACHE_DIR = Path(tempfile.gettempdir()) / "logprov-bench"


@dataclass(frozen=True)
class Settings:
    """What one run measures, and how often.

    Attributes
    ----------
    quick : bool
        A smoke run: fewer repetitions and smaller inputs.
    calibration : dict
        ``calls`` and ``repeats`` of the calibration loops.
    overhead, disabled : dict
        ``calls`` per block, ``repeats`` and ``warmup`` of the traced-call comparisons.
    growth_runs : int
        Processes (sessions of 10,100 calls) for the growth ratio.
    hash_file_mb : int
        Size of the file hashed on first use.
    hash_repeats : int
        Repetitions of each first-use hashing measurement.
    cached_file : dict
        ``calls`` and ``repeats`` of the unchanged-file measurements.
    digest_buffer_mb : int
        Size of the arrays and byte strings whose value digest is timed.
    digest_repeats : int
        Repetitions of each value digest measurement.
    log_records : int
        Records of the generated log that is read and exported.
    log_time_scale : float
        Factor applied to the time targets of reading and export (they are set for 1M records).
    read_repeats : int
        Processes reading the whole log.
    memory_calls : tuple of int
        Calls after which the memory of a capture is measured.
    alternative_calls : int
        Calls made in one session by each alternative tool.
    alternative_runs : int
        Processes (sessions) per alternative tool.
    worker_timeout : float
        Seconds after which any measuring process is stopped.
    baseline : str
        The git revision of logprov compared with this version (group ``versions``).
    version_repeats : int
        Fresh processes per measure and version in the group ``versions``.
    """

    quick: bool
    calibration: dict = field(default_factory=lambda: {"calls": 20_000, "repeats": 9})
    overhead: dict = field(default_factory=lambda: {"calls": 1_000, "repeats": 15, "warmup": 500})
    disabled: dict = field(default_factory=lambda: {"calls": 100_000, "repeats": 15, "warmup": 20_000})
    growth_runs: int = 3
    hash_file_mb: int = 256
    hash_repeats: int = 5
    cached_file: dict = field(default_factory=lambda: {"calls": 2_000, "repeats": 11, "warmup": 200})
    digest_buffer_mb: int = 256
    digest_repeats: int = 7
    log_records: int = 1_000_000
    log_time_scale: float = 1.0
    read_repeats: int = 3
    memory_calls: tuple = (10_000, 50_000, 100_000)
    alternative_calls: int = 1_000
    alternative_runs: int = 2
    worker_timeout: float = 600.0
    baseline: str = "HEAD~1"
    version_repeats: int = 3

    def limits(self, target: float) -> dict:
        """Return the ``timeout`` and ``memory_cap`` of a process whose time target is ``target``
        seconds: six times the target (at least 40 s; three times, at least 6 s, in a quick run),
        and 2 GB (1 GB), so that a run missing its target still gives its time."""
        if self.quick:
            return {"timeout": max(3 * target, 6.0), "memory_cap": 1 << 30}
        return {"timeout": max(6 * target, 40.0), "memory_cap": 2 << 30}


def full() -> Settings:
    """Return the settings of a full run."""
    return Settings(quick=False)


def quick() -> Settings:
    """Return the settings of a quick (smoke) run."""
    return Settings(
        quick=True,
        calibration={"calls": 10_000, "repeats": 5},
        overhead={"calls": 300, "repeats": 5, "warmup": 100},
        disabled={"calls": 50_000, "repeats": 5, "warmup": 5_000},
        growth_runs=1,
        hash_file_mb=64,
        hash_repeats=3,
        cached_file={"calls": 500, "repeats": 5, "warmup": 100},
        digest_buffer_mb=64,
        digest_repeats=3,
        log_records=100_000,
        log_time_scale=0.1,
        read_repeats=1,
        memory_calls=(10_000, 12_000, 14_000),
        alternative_calls=100,
        alternative_runs=1,
        worker_timeout=300.0,
        version_repeats=1,
    )
