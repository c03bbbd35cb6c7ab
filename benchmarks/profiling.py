"""cProfile of the traced-call workload, for finding the costs of the hot path."""

from __future__ import annotations

import cProfile
import io
import pstats
import tempfile

from .stats import loop_time
from .workload import call_process, make_capture, work_class

__all__ = ["profile_traced_call"]


def profile_traced_call(calls: int = 5_000, top: int = 30, config: dict | None = None) -> str:
    """Profile ``calls`` traced calls of the workload; return the statistics as text.

    Parameters
    ----------
    calls : int
        Calls profiled (after 200 unprofiled warm-up calls).
    top : int
        Functions listed, by own time and by cumulative time.
    config : dict, optional
        Capture configuration added to the defaults.
    """
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        capture = make_capture(folder, **(config or {}))
        call = call_process(capture.trace_methods(work_class())())
        loop_time(call, 200)
        profiler = cProfile.Profile()
        profiler.enable()
        loop_time(call, calls)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"cProfile of {calls:,} traced calls (times include profiling overhead)\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()
