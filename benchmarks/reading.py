"""A large log: reading it, exporting it, and querying it (see `benchmarks.querying`)."""

from __future__ import annotations

import os
import tempfile
import time

from . import querying
from .biglog import ensure_log, size_label
from .isolation import Outcome, progress, run_worker
from .querying import missing_api
from .rows import FAILED, INFO, STOPPED, SUBSET, UNAVAILABLE, Row
from .settings import Settings
from .stats import summarize

__all__ = ["read_worker", "export_worker", "rows"]

GROUP = "logs"
MB = 1 << 20
MEMORY_TARGET_MB = 300.0
EXPORTS = (("json", "PROV-JSON", 8.0), ("provn", "PROV-N", 5.0), ("nt", "PROV-O N-Triples", 5.0))


def _records(path: str, every: int):
    from logprov.reading.reader import iter_records

    for count, record in enumerate(iter_records(path), 1):
        if count % every == 0:
            progress(records=count)
        yield record


def read_worker(path: str) -> dict:
    """Read every record of ``path`` with `logprov.reading.reader.iter_records`."""
    from logprov.reading.reader import ReadStats, iter_records

    stats = ReadStats()
    count = 0
    start = time.perf_counter()
    for _ in iter_records(path, stats=stats):
        count += 1
        if count % 100_000 == 0:
            progress(records=count)
    return {"seconds": time.perf_counter() - start, "records": count, "skipped": stats.skipped}


def export_worker(path: str, fmt: str, streaming: bool) -> dict:
    """Export the records of ``path`` in format ``fmt`` to a file: with
    `logprov.export.export_records` when ``streaming``, else through `build_document` and `export`."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        target = os.path.join(folder, f"export.{fmt}")
        if streaming:
            from logprov.export import export_records

            export_records(_records(path, 20_000), fmt, target)
            built = None
        else:
            from logprov.export import export
            from logprov.model import build_document

            document = build_document(_records(path, 20_000))
            built = time.perf_counter() - start
            progress(phase="serialize", build_s=built)
            export(document, fmt, target)
        size = os.path.getsize(target)
    return {"seconds": time.perf_counter() - start, "build_s": built, "bytes": size}


def _time_and_memory(key: str, what: str, outcome: Outcome, target: float) -> list[Row]:
    memory_what = f"{what}, peak memory"
    if outcome.status == "error":
        return [Row(GROUP, key, what, None, "s", target, status=FAILED, note=outcome.error[-300:])]
    if outcome.ok:
        value = outcome.value
        note = f"{value['bytes'] / MB:,.0f} MB written"
        if value.get("build_s") is not None:
            note += f"; building the document took {value['build_s']:.1f} s"
        return [
            Row(GROUP, key, what, summarize([value["seconds"]]), "s", target, note=note, details=value),
            Row(GROUP, f"{key}_memory", memory_what, summarize([outcome.peak_rss / MB]), "MB", MEMORY_TARGET_MB),
        ]
    return [
        Row(GROUP, key, what, summarize([outcome.elapsed]), "s", target, status=STOPPED, note=outcome.stop_note(),
            details={"progress": outcome.progress}),
        Row(GROUP, f"{key}_memory", memory_what, summarize([outcome.peak_rss / MB]), "MB", MEMORY_TARGET_MB,
            status=STOPPED if outcome.status == "memory" else SUBSET,
            note="peak resident memory before the run was stopped"),
    ]


def _read_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    target = 4.0 * settings.log_time_scale
    what = f"read + parse a {size}-record log (iter_records)"
    times, peaks = [], []
    for _ in range(settings.read_repeats):
        outcome = run_worker("benchmarks.reading:read_worker", {"path": log["path"]}, **settings.limits(target))
        if not outcome.ok:
            return _time_and_memory("read", what, outcome, target)[:1]
        times.append(outcome.value["seconds"])
        peaks.append(outcome.peak_rss / MB)
    rate = log["records"] / min(times)
    skipped = outcome.value["skipped"]
    note = f"{rate:,.0f} records/s at best; one fresh process per repetition"
    if outcome.value["records"] != log["records"] or skipped:
        note += f"; {outcome.value['records']:,} records read of {log['records']:,}, {skipped:,} lines skipped"
    return [
        Row(GROUP, "read", what, summarize(times), "s", target, note=note),
        Row(GROUP, "read_memory", f"{what}, peak memory", summarize(peaks), "MB", status=INFO),
    ]


def _export_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    streaming = missing_api("logprov.export", "export_records") is None
    reason = None if streaming else (missing_api("logprov.model", "build_document")
                                     or missing_api("logprov.export", "export"))
    how = "export_records" if streaming else "build_document + export"
    found = []
    for fmt, label, target in EXPORTS:
        what = f"export a {size}-record log to {label} ({how})"
        if reason:
            found.append(Row(GROUP, f"export_{fmt}", what, None, "s", status=UNAVAILABLE, note=reason))
            continue
        target *= settings.log_time_scale
        outcome = run_worker("benchmarks.reading:export_worker",
                             {"path": log["path"], "fmt": fmt, "streaming": streaming}, **settings.limits(target))
        found += _time_and_memory(f"export_{fmt}", what, outcome, target)
    return found


def rows(settings: Settings) -> list[Row]:
    """Generate (or reuse) the large log, then read, export and query it."""
    records = settings.log_records
    size = size_label(records)
    try:
        log = ensure_log(records)
    except RuntimeError as exc:
        return [Row(GROUP, "log", f"generate a {size}-record log", None, "s", status=FAILED, note=str(exc)[-300:])]
    origin = "cached" if log["cached"] else "generated now"
    scaled = "; time targets of this group scaled to the log size" if settings.log_time_scale != 1 else ""
    found = [Row(GROUP, "log", f"log: {log['records']:,} records, {log['bytes'] / MB:,.0f} MB ({origin})",
                 summarize([log["seconds"]]), "s", status=INFO,
                 note=f"time = generation by two traced processes{scaled}",
                 details={"path": log["path"], "probe": log["probe"]})]
    reason = missing_api("logprov.reading.reader", "iter_records")
    if reason:
        return found + [Row(GROUP, "read", f"read + parse a {size}-record log", None, "s", status=UNAVAILABLE,
                            note=reason)]
    return found + _read_rows(settings, log, size) + _export_rows(settings, log, size) + querying.rows(
        settings, log, size)
