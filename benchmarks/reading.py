"""Reading, exporting and querying a large log through the public reader and export API."""

from __future__ import annotations

import os
import tempfile
import time

from .biglog import ensure_log
from .isolation import Outcome, progress, run_worker
from .rows import FAILED, INFO, NOT_MEASURED, STOPPED, SUBSET, UNAVAILABLE, Row
from .settings import Settings
from .stats import summarize

__all__ = ["read_worker", "export_worker", "query_worker", "rows"]

GROUP = "logs"
MB = 1 << 20
MEMORY_TARGET_MB = 300.0
EXPORTS = (("json", "PROV-JSON", 8.0), ("provn", "PROV-N", 5.0), ("nt", "PROV-O N-Triples", 5.0))
FALLBACK_RECORDS = 100_000


def _missing_api() -> dict:
    """Return, per capability, why the public API for it cannot be used (absent when usable)."""
    missing = {}
    checks = {
        "read": ("logprov.reader", ("iter_records",)),
        "build": ("logprov.model", ("build_document",)),
        "export": ("logprov.export", ("export",)),
        "query": ("logprov.export.lineage", ("lineage", "resolve")),
    }
    for name, (module_name, attributes) in checks.items():
        try:
            module = __import__(module_name, fromlist=list(attributes))
        except ImportError as exc:
            missing[name] = f"{module_name} cannot be imported: {exc}"
            continue
        absent = [attribute for attribute in attributes if not hasattr(module, attribute)]
        if absent:
            missing[name] = f"{module_name} has no {', '.join(absent)}"
    return missing


def read_worker(path: str) -> dict:
    """Read every record of ``path`` with `logprov.reader.iter_records`."""
    from logprov.reader import ReadStats, iter_records

    stats = ReadStats()
    count = 0
    start = time.perf_counter()
    for _ in iter_records(path, stats=stats):
        count += 1
        if count % 100_000 == 0:
            progress(phase="read", records=count)
    return {"seconds": time.perf_counter() - start, "records": count, "skipped": stats.skipped}


def _document(path: str):
    from logprov.model import build_document
    from logprov.reader import iter_records

    def counted():
        for count, record in enumerate(iter_records(path), 1):
            if count % 20_000 == 0:
                progress(phase="build document", records=count)
            yield record

    return build_document(counted())


def export_worker(path: str, fmt: str) -> dict:
    """Build the PROV document of ``path`` and export it in format ``fmt`` to a file."""
    from logprov.export import export

    start = time.perf_counter()
    document = _document(path)
    built = time.perf_counter()
    progress(phase="serialize", build_s=built - start)
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        target = os.path.join(folder, f"export.{fmt}")
        export(document, fmt, target)
        size = os.path.getsize(target)
    end = time.perf_counter()
    return {"seconds": end - start, "build_s": built - start, "serialize_s": end - built, "bytes": size}


def query_worker(path: str, probe: str, repeats: int) -> dict:
    """Search (`resolve`) and trace the lineage of entity ``probe``: cold from the log, then
    ``repeats`` times on the document in memory."""
    from logprov.export.lineage import lineage, resolve

    clock = time.perf_counter
    start = clock()
    document = _document(path)
    built = clock()
    progress(phase="query", build_s=built - start)
    focus = resolve(document, probe)
    resolved = clock()
    found = lineage(document, focus)
    traced = clock()
    search_times, lineage_times = [], []
    for _ in range(repeats):
        begin = clock()
        focus = resolve(document, probe)
        middle = clock()
        lineage(document, focus)
        search_times.append(middle - begin)
        lineage_times.append(clock() - middle)
    return {
        "build_s": built - start,
        "search_cold_s": resolved - start,
        "lineage_cold_s": traced - start,
        "search_indexed_s": search_times,
        "lineage_indexed_s": lineage_times,
        "focus": len(focus),
        "found": len(found),
    }


def _caps(settings: Settings, target: float) -> dict:
    if settings.quick:
        return {"timeout": max(3 * target, 8.0), "memory_cap": 1024 * MB}
    return {"timeout": max(3 * target, 20.0), "memory_cap": 2048 * MB}


def _stopped_note(outcome: Outcome) -> str:
    reason = "time limit" if outcome.status == "timeout" else "memory limit"
    report = outcome.progress or {}
    reached = ", ".join(f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
                        for key, value in report.items() if key not in ("time",))
    return f"stopped at the {reason} after {outcome.elapsed:.1f} s" + (f" ({reached})" if reached else "")


def _time_and_memory(key: str, what: str, outcome: Outcome, target: float, records: int) -> list[Row]:
    memory_what = f"{what}, peak memory"
    if outcome.status == "error":
        return [Row(GROUP, key, what, None, "s", target, status=FAILED, note=outcome.error[-300:])]
    if outcome.ok:
        value = outcome.value
        note = ", ".join(f"{name} {value[name]:.1f} s" for name in ("build_s", "serialize_s") if name in value)
        return [
            Row(GROUP, key, what, summarize([value["seconds"]]), "s", target, note=note, details=value),
            Row(GROUP, f"{key}_memory", memory_what, summarize([outcome.peak_rss / MB]), "MB", MEMORY_TARGET_MB),
        ]
    note = _stopped_note(outcome)
    return [
        Row(GROUP, key, what, summarize([outcome.elapsed]), "s", target, status=STOPPED, note=note,
            details={"progress": outcome.progress, "records": records}),
        Row(GROUP, f"{key}_memory", memory_what, summarize([outcome.peak_rss / MB]), "MB", MEMORY_TARGET_MB,
            status=STOPPED if outcome.status == "memory" else SUBSET,
            note="peak resident memory seen before the run was stopped"),
    ]


def _read_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    target = 4.0 * settings.log_time_scale
    what = f"read + parse a {size}-record log (iter_records)"
    times, peaks = [], []
    for _ in range(settings.read_repeats):
        outcome = run_worker("benchmarks.reading:read_worker", {"path": log["path"]}, **_caps(settings, target))
        if not outcome.ok:
            return _time_and_memory("read", what, outcome, target, log["records"])[:1]
        times.append(outcome.value["seconds"])
        peaks.append(outcome.peak_rss / MB)
    rate = log["records"] / min(times)
    return [
        Row(GROUP, "read", what, summarize(times), "s", target,
            note=f"{rate:,.0f} records/s at best; one fresh process per repetition",
            details={"records_read": outcome.value["records"], "skipped": outcome.value["skipped"]}),
        Row(GROUP, "read_memory", f"{what}, peak memory", summarize(peaks), "MB", status=INFO),
    ]


def _query_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    scale = settings.log_time_scale
    cold, indexed = 5.0 * scale, 0.2 * scale
    params = {"path": log["path"], "probe": log["probe"], "repeats": 3}
    outcome = run_worker("benchmarks.reading:query_worker", params, **_caps(settings, cold))
    search_what = f"search one entity over {size} records (export.lineage.resolve)"
    lineage_what = f"lineage of one entity over {size} records (export.lineage.lineage, depth 3)"
    if outcome.status == "error":
        return [Row(GROUP, "query", lineage_what, None, "s", cold, status=FAILED, note=outcome.error[-300:])]
    if outcome.ok:
        value = outcome.value
        note = (f"cold = read + build document ({value['build_s']:.1f} s) + query; "
                f"{value['focus']} element(s) found, lineage of {value['found']} elements")
        return [
            Row(GROUP, "search_cold", f"{search_what}, cold", summarize([value["search_cold_s"]]), "s", cold,
                note=note),
            Row(GROUP, "lineage_cold", f"{lineage_what}, cold", summarize([value["lineage_cold_s"]]), "s", cold),
            Row(GROUP, "search_indexed", f"{search_what}, document in memory",
                summarize(value["search_indexed_s"]), "s", indexed,
                note="no index or search API: the in-memory PROV document stands in for the index"),
            Row(GROUP, "lineage_indexed", f"{lineage_what}, document in memory",
                summarize(value["lineage_indexed_s"]), "s", indexed),
        ]
    note = _stopped_note(outcome)
    found = [
        Row(GROUP, "search_cold", f"{search_what}, cold", summarize([outcome.elapsed]), "s", cold,
            status=STOPPED, note=note),
        Row(GROUP, "lineage_cold", f"{lineage_what}, cold", summarize([outcome.elapsed]), "s", cold,
            status=STOPPED),
    ]
    return found + _indexed_on_subset(settings, search_what, lineage_what, indexed)


def _indexed_on_subset(settings: Settings, search_what: str, lineage_what: str, indexed: float) -> list[Row]:
    if settings.log_records <= FALLBACK_RECORDS:
        return [Row(GROUP, "search_indexed", f"{search_what}, document in memory", None, "s", indexed,
                    status=NOT_MEASURED, note="the document could not be built within the quick-run limits")]
    small = ensure_log(FALLBACK_RECORDS)
    params = {"path": small["path"], "probe": small["probe"], "repeats": 3}
    outcome = run_worker("benchmarks.reading:query_worker", params, timeout=120.0, memory_cap=4096 * MB)
    label = f"{small['records']:,}-record document in memory"
    if not outcome.ok:
        return [Row(GROUP, "search_indexed", f"{search_what}, {label}", None, "s", indexed, status=FAILED,
                    note=outcome.error[-300:] or _stopped_note(outcome))]
    value = outcome.value
    note = (f"the {settings.log_records:,}-record document could not be built within the limits; measured on "
            f"a {small['records']:,}-record log instead (queries scan the whole document, so this is a lower "
            f"bound); no index or search API")
    return [
        Row(GROUP, "search_indexed", search_what.rsplit(" over", 1)[0] + f", {label}",
            summarize(value["search_indexed_s"]), "s", indexed, status=SUBSET, note=note),
        Row(GROUP, "lineage_indexed", lineage_what.rsplit(" over", 1)[0] + f", {label}",
            summarize(value["lineage_indexed_s"]), "s", indexed, status=SUBSET,
            details={"build_s": value["build_s"]}),
    ]


def rows(settings: Settings) -> list[Row]:
    """Generate (or reuse) the large log, then read, export and query it."""
    missing = _missing_api()
    size = f"{settings.log_records // 1000:,}k" if settings.log_records < 1_000_000 else (
        f"{settings.log_records // 1_000_000}M")
    try:
        log = ensure_log(settings.log_records)
    except RuntimeError as exc:
        return [Row(GROUP, "log", f"generate a {size}-record log", None, "s", status=FAILED, note=str(exc)[-300:])]
    origin = "cached" if log["cached"] else "generated now"
    found = [Row(GROUP, "log", f"log: {log['records']:,} records, {log['bytes'] / MB:,.0f} MB ({origin})",
                 summarize([log["seconds"]]), "s", status=INFO,
                 note="time = generation by two traced processes" + (
                     "; targets of this group scaled to the log size" if settings.log_time_scale != 1 else ""),
                 details={"path": log["path"], "probe": log["probe"]})]
    if "read" in missing:
        return found + [Row(GROUP, "read", f"read + parse a {size}-record log", None, "s",
                            status=UNAVAILABLE, note=missing["read"])]
    found += _read_rows(settings, log, size)
    for fmt, label, target in EXPORTS:
        what = f"export a {size}-record log to {label}"
        reason = missing.get("build") or missing.get("export")
        if reason:
            found.append(Row(GROUP, f"export_{fmt}", what, None, "s", status=UNAVAILABLE, note=reason))
            continue
        target *= settings.log_time_scale
        outcome = run_worker("benchmarks.reading:export_worker", {"path": log["path"], "fmt": fmt},
                             **_caps(settings, target))
        found += _time_and_memory(f"export_{fmt}", what, outcome, target, log["records"])
    reason = missing.get("build") or missing.get("query")
    if reason:
        return found + [Row(GROUP, "query", "search / lineage of one entity", None, "s", status=UNAVAILABLE,
                            note=reason)]
    return found + _query_rows(settings, log, size)
