"""Memory held by a capture along a long session whose values differ on every call."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time

import psutil

from .isolation import progress, run_worker
from .rows import FAILED, INFO, Row
from .settings import Settings
from .stats import summarize
from .workload import make_capture, work_class

__all__ = ["MEMORY_DEFINITIONS", "memory_worker", "rows"]

GROUP = "memory"
FILES = 5_000
MB = 1 << 20
RSS_GROWTH_MB = 5.0
BLOCK_GROWTH_PERCENT = 2.0

MEMORY_DEFINITIONS = {
    "activities": {
        "process": {
            "parameters": [{"name": "alpha", "value": "kwargs.alpha"}, {"name": "beta", "value": "kwargs.beta"}],
            "usage": [
                {"role": "a", "value": "a"},
                {"role": "b", "value": "b"},
                {"role": "input", "entityType": "DataFile", "location": "path"},
            ],
            "generation": [{"role": "c", "value": "c"}, {"role": "d", "value": "d"}],
        },
    },
    "entities": {"DataFile": {"type": "File"}},
}


def memory_worker(checkpoints: list) -> dict:
    """Make ``checkpoints[-1]`` traced calls with new values (and one of 5,000 files) on every
    call; at each checkpoint, collect garbage and record RSS and Python's allocated blocks."""
    process = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        paths = []
        for k in range(FILES):
            path = os.path.join(folder, f"input-{k}.dat")
            with open(path, "wb") as stream:
                stream.write(b"file %d\n" % k * 8)
            paths.append(path)
        capture = make_capture(folder, MEMORY_DEFINITIONS)
        instance = capture.trace_methods(work_class())()
        marks = []
        wanted = set(checkpoints)
        start = time.perf_counter()
        for number in range(1, checkpoints[-1] + 1):
            instance.a = [number, number + 1, number + 2]
            instance.b = {"x": number * 0.5, "y": str(number)}
            instance.path = paths[number % FILES]
            instance.process(alpha=number, beta=number % 97)
            if number in wanted:
                gc.collect()
                marks.append({
                    "calls": number,
                    "rss_mb": process.memory_info().rss / MB,
                    "blocks": sys.getallocatedblocks(),
                    "seconds": time.perf_counter() - start,
                })
                progress(calls=number)
        log_mb = os.path.getsize(os.path.join(folder, "prov.log")) / MB
    return {"marks": marks, "log_mb": log_mb}


def rows(settings: Settings) -> list[Row]:
    """Run the memory benchmark and return its rows."""
    checkpoints = list(settings.memory_calls)
    first, last = checkpoints[0], checkpoints[-1]
    what = f"capture memory growth from call {first:,} to call {last:,} of one session"
    outcome = run_worker("benchmarks.memory:memory_worker", {"checkpoints": checkpoints},
                         timeout=settings.worker_timeout)
    if not outcome.ok:
        return [Row(GROUP, "rss_growth", what, None, "MB", RSS_GROWTH_MB, status=FAILED,
                    note=(outcome.error or outcome.status)[-300:])]
    marks = outcome.value["marks"]
    rss = [mark["rss_mb"] for mark in marks]
    blocks = [mark["blocks"] for mark in marks]
    block_growth = (blocks[-1] - blocks[0]) / blocks[0] * 100
    per_call_us = (marks[-1]["seconds"] - marks[0]["seconds"]) / (last - first) * 1e6
    note = ("RSS MB at " + ", ".join(f"{m['calls']:,}: {m['rss_mb']:.1f}" for m in marks)
            + "; allocated blocks at " + ", ".join(f"{m['calls']:,}: {m['blocks']:,}" for m in marks)
            + f"; new values and one of {FILES:,} files on every call; log {outcome.value['log_mb']:,.0f} MB")
    return [
        Row(GROUP, "rss_growth", f"{what}: RSS", summarize([rss[-1] - rss[0]]), "MB", RSS_GROWTH_MB,
            note=note, details={"marks": marks}),
        Row(GROUP, "blocks_growth", f"{what}: Python allocated blocks", summarize([block_growth]), "%",
            BLOCK_GROWTH_PERCENT),
        Row(GROUP, "call_time", "mean traced call time along that session", summarize([per_call_us]), "µs",
            status=INFO),
    ]
