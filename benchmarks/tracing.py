"""Overhead of a traced call: per call, along a session, and with capture switched off."""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from .isolation import run_worker
from .rows import FAILED, Row
from .settings import Settings
from .stats import Summary, block_overheads, summarize
from .workload import call_process, make_capture, work_class

__all__ = ["overhead_worker", "growth_worker", "first_call_worker", "rows"]

GROUP = "tracing"
EARLY = (1, 200)
LATE = (9_901, 10_100)
CHECKPOINTS = (EARLY, (991, 1_010), (4_991, 5_010), LATE)
GROWTH = "overhead at call 10,000 vs call 100 of one session"
#: Fresh processes making a first traced call each.
FIRST_CALL_RUNS = 11


def overhead_worker(variants: dict, calls: int, repeats: int, warmup: int) -> dict:
    """Measure ``process`` traced by one capture per configuration of ``variants`` (each on a
    logger and log of its own) against the untraced copy, in rotating blocks (in µs)."""
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        traced = {}
        for index, (name, config) in enumerate(variants.items()):
            log_folder = os.path.join(folder, name)
            os.mkdir(log_folder)
            capture = make_capture(log_folder, logger_name=f"logprov-bench-{index}", **config)
            traced[name] = call_process(capture.trace_methods(work_class())())
        found = block_overheads(traced, call_process(work_class()()), calls, repeats, warmup)
    return {
        name: {
            "overhead_us": overhead.scaled(1e6).to_dict(),
            "traced_us": traced_time.scaled(1e6).to_dict(),
            "untraced_us": plain_time.scaled(1e6).to_dict(),
        }
        for name, (overhead, traced_time, plain_time) in found.items()
    }


def growth_worker(calls: int, checkpoints: list) -> dict:
    """Make ``calls`` traced calls in one session, timing each call of the checkpoint blocks
    together with an untraced call (alternating which goes first); return the times in µs."""
    clock = time.perf_counter
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        capture = make_capture(folder)
        traced = call_process(capture.trace_methods(work_class())())
        plain = call_process(work_class()())
        blocks = {f"{first}-{last}": [] for first, last in checkpoints}
        ranges = [(first, last, blocks[f"{first}-{last}"]) for first, last in checkpoints]
        for number in range(1, calls + 1):
            block = next((times for first, last, times in ranges if first <= number <= last), None)
            if block is None:
                traced(number)
                continue
            if number % 2:
                start = clock()
                traced(number)
                middle = clock()
                plain(number)
                end = clock()
                traced_time, plain_time = middle - start, end - middle
            else:
                start = clock()
                plain(number)
                middle = clock()
                traced(number)
                end = clock()
                plain_time, traced_time = middle - start, end - middle
            block.append((traced_time - plain_time) * 1e6)
    return {"blocks": blocks}


def first_call_worker(calls: int) -> dict:
    """Make the first traced call of a session in this (fresh) process; return its overhead in
    ms: its time minus the median of ``calls`` untraced calls made before it (an untraced call
    made just after it would also count a wait for the interpreter caused by the call)."""
    clock = time.perf_counter
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        capture = make_capture(folder)
        traced = call_process(capture.trace_methods(work_class())())
        plain = call_process(work_class()())
        times = []
        for number in range(calls):
            start = clock()
            plain(number)
            times.append(clock() - start)
        start = clock()
        traced(1)
        first = clock() - start
    return {"first_call_ms": (first - statistics.median(times)) * 1e3}


def _first_call_row(settings: Settings) -> Row:
    what = "first traced call of a session (session record), overhead"
    runs = 3 if settings.quick else FIRST_CALL_RUNS
    found = []
    for _ in range(runs):
        outcome = run_worker("benchmarks.tracing:first_call_worker", {"calls": 50}, timeout=settings.worker_timeout)
        if not outcome.ok:
            return Row(GROUP, "first_call", what, None, "ms", 3.0, status=FAILED, note=outcome.error[-300:])
        found.append(outcome.value["first_call_ms"])
    return Row(GROUP, "first_call", what, summarize(found), "ms", 3.0,
               note=(f"one traced call in each of {runs} fresh processes, its time minus the "
                     f"median of 50 untraced calls made before it"),
               details={"first_call_ms": found})


def _overhead_rows(settings: Settings) -> list[Row]:
    variants = {
        "overhead_default": ("defaults", {}),
        "overhead_no_check": ("check_modified_inputs: false", {"check_modified_inputs": False}),
        "overhead_flush0": ("flush_interval: 0", {"flush_interval": 0}),
    }
    params = {"variants": {key: config for key, (_, config) in variants.items()}, **settings.overhead}
    outcome = run_worker("benchmarks.tracing:overhead_worker", params, timeout=settings.worker_timeout)
    found = []
    for key, (label, config) in variants.items():
        what = f"traced call overhead, 2 params + 2 used + 2 generated, {label}"
        if not outcome.ok:
            found.append(Row(GROUP, key, what, None, "µs", 30.0, status=FAILED, note=outcome.error[-300:]))
            continue
        value = outcome.value[key]
        traced, plain = Summary(**value["traced_us"]), Summary(**value["untraced_us"])
        found.append(Row(
            GROUP, key, what, Summary(**value["overhead_us"]), "µs", 30.0,
            note=(f"traced {traced.median:.1f} µs vs untraced {plain.median:.2f} µs per call; the three "
                  f"configurations and the untraced copy in one process, {settings.overhead['repeats']} "
                  f"rounds of one block of {settings.overhead['calls']:,} calls each, in rotating order"),
            details={"traced_us": value["traced_us"], "untraced_us": value["untraced_us"], "config": config},
        ))
    return found


def _growth_rows(settings: Settings) -> list[Row]:
    checkpoints = [list(block) for block in CHECKPOINTS]
    ratios, means, per_block = [], [], []
    for _ in range(settings.growth_runs):
        outcome = run_worker("benchmarks.tracing:growth_worker",
                             {"calls": LATE[1], "checkpoints": checkpoints}, timeout=settings.worker_timeout)
        if not outcome.ok:
            return [Row(GROUP, "growth", GROWTH, None, "x", 1.3,
                        status=FAILED, note=outcome.error[-300:])]
        blocks = outcome.value["blocks"]
        medians = {name: statistics.median(times) for name, times in blocks.items()}
        early, late = medians[f"{EARLY[0]}-{EARLY[1]}"], medians[f"{LATE[0]}-{LATE[1]}"]
        ratios.append(late / early)
        early_mean = statistics.mean(blocks[f"{EARLY[0]}-{EARLY[1]}"][1:])
        means.append(statistics.mean(blocks[f"{LATE[0]}-{LATE[1]}"]) / early_mean)
        per_block.append(medians)
    runs = settings.growth_runs
    note = (f"one session of {LATE[1]:,} calls in each of {runs} process{'es' if runs > 1 else ''}; "
            f"overhead of each call of a block = traced minus an adjacent untraced call; ratio of block "
            f"medians, calls {LATE[0]:,}–{LATE[1]:,} over calls {EARLY[0]}–{EARLY[1]}; ratio of means "
            f"(call 1 left out): "
            + ", ".join(f"{value:.2f}" for value in means))
    return [
        Row(GROUP, "growth", GROWTH, summarize(ratios), "x", 1.3,
            note=note, details={"block_medians_us": per_block, "mean_ratios": means}),
    ]


def _disabled_row(settings: Settings) -> Row:
    what = "traced call with capture: false, overhead"
    params = {"variants": {"disabled": {"capture": False}}, **settings.disabled}
    outcome = run_worker("benchmarks.tracing:overhead_worker", params, timeout=settings.worker_timeout)
    if not outcome.ok:
        return Row(GROUP, "disabled", what, None, "µs", 1.0, status=FAILED, note=outcome.error[-300:])
    value = outcome.value["disabled"]
    return Row(GROUP, "disabled", what, Summary(**value["overhead_us"]), "µs", 1.0,
               note=f"{settings.disabled['repeats']} alternating blocks of {settings.disabled['calls']:,} calls",
               details={"traced_us": value["traced_us"], "untraced_us": value["untraced_us"]})


def rows(settings: Settings) -> list[Row]:
    """Run the tracing benchmarks and return their rows."""
    return _overhead_rows(settings) + _growth_rows(settings) + [_first_call_row(settings), _disabled_row(settings)]
