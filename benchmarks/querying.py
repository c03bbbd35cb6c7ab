"""Search and lineage of one entity of a large log.

With the query API (`logprov.query.open`): cold, where opening the log builds its index; indexed,
where a fresh process opens the existing index; and in memory (``index=False``). Without it, the
PROV document of the log (`logprov.model.build_document`) is searched with
`logprov.export.documentlineage.resolve` and `lineage`.
"""

from __future__ import annotations

import importlib
import tempfile
import time

from .biglog import ensure_log, size_label
from .isolation import Outcome, progress, run_worker
from .rows import FAILED, INFO, MEASURED, NOT_MEASURED, STOPPED, SUBSET, UNAVAILABLE, Row
from .settings import Settings
from .stats import summarize

__all__ = ["open_worker", "reopen_worker", "document_worker", "rows", "group_rows"]

GROUP = "logs"
SUBSET_RECORDS = 100_000
SUBSET_TIMEOUT = 180.0
REPEATS = 3


def missing_api(module_name: str, *attributes: str) -> str | None:
    """Return why ``module_name`` with ``attributes`` cannot be used, or None when it can."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return f"{module_name} cannot be imported: {exc}"
    absent = [name for name in attributes if not hasattr(module, name)]
    return f"{module_name} has no {', '.join(absent)}" if absent else None


class ReadingClock:
    """Add up the seconds an index build waits for records: producing them with the
    `iter_records` of `logprov.store.loader`, or, when a second process reads the log
    (`logprov.store.decoding`), waiting for its batches; the rest of opening is indexing."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.beside = False
        self.inside = False

    def install(self) -> None:
        """Wrap the functions of the installed logprov that hand records to the index."""
        try:
            from logprov.store import loader
        except ImportError:
            return
        loader.iter_records = self._timed(loader.iter_records)
        commit = loader._SourceLoad.commit

        def writing(load, *args):
            # A batch stored while the reader reads on (at a block boundary) is indexing.
            start = time.perf_counter()
            try:
                return commit(load, *args)
            finally:
                if self.inside:
                    self.seconds -= time.perf_counter() - start

        loader._SourceLoad.commit = writing
        try:
            from logprov.store import decoding
        except ImportError:
            return
        batches = decoding.DecodingWorker.batches

        def waited(worker):
            self.beside = True
            return self._timed(batches)(worker)

        decoding.DecodingWorker.batches = waited

    def _timed(self, produce):
        def timed(*args, **kwargs):
            found = iter(produce(*args, **kwargs))
            while True:
                start = time.perf_counter()
                self.inside = True
                try:
                    item = next(found)
                except StopIteration:
                    return
                finally:
                    self.inside = False
                    self.seconds += time.perf_counter() - start
                yield item
        return timed


def _child_seconds() -> float:
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def open_worker(path: str, probe: str, cache: str, index: bool) -> dict:
    """Open ``path`` with `logprov.query.open`, then search for and trace the lineage of
    ``probe``; return the seconds of each step, those opening waited for records, and the
    processor seconds of a second process reading the log, if there was one."""
    import logprov.query

    reading = ReadingClock()
    if index:
        reading.install()
    clock = time.perf_counter
    start = clock()
    progress(phase="open", index=index)
    with logprov.query.open(path, index=index, cache=cache) as provenance:
        opened = clock()
        progress(phase="query", open_s=opened - start)
        matches = provenance.search(entity=probe)
        searched = clock()
        lineage = provenance.lineage(probe)
        traced = clock()
    return {"open_s": opened - start, "search_s": searched - opened, "lineage_s": traced - searched,
            "matches": len(matches), "activities": len(lineage.activities), "entities": len(lineage.entities),
            "reading_s": reading.seconds, "beside": reading.beside, "child_cpu_s": _child_seconds()}


def reopen_worker(path: str, probe: str, cache: str, repeats: int) -> dict:
    """Open the existing index of ``path`` and search, then open it and trace the lineage,
    ``repeats`` times; return the seconds of each (opening included)."""
    import logprov.query

    clock = time.perf_counter
    search_times, lineage_times = [], []
    for _ in range(repeats):
        start = clock()
        with logprov.query.open(path, cache=cache) as provenance:
            provenance.search(entity=probe)
        search_times.append(clock() - start)
        start = clock()
        with logprov.query.open(path, cache=cache) as provenance:
            provenance.lineage(probe)
        lineage_times.append(clock() - start)
    return {"search_s": search_times, "lineage_s": lineage_times}


def document_worker(path: str, probe: str, repeats: int) -> dict:
    """Build the PROV document of ``path``, `resolve` ``probe`` in it and trace its lineage,
    then repeat both ``repeats`` times on the document in memory."""
    from logprov.export.documentlineage import lineage, resolve
    from logprov.model import build_document
    from logprov.reading.reader import iter_records

    def counted():
        for count, record in enumerate(iter_records(path), 1):
            if count % 20_000 == 0:
                progress(phase="build document", records=count)
            yield record

    clock = time.perf_counter
    start = clock()
    document = build_document(counted())
    built = clock()
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
    return {"build_s": built - start, "search_cold_s": resolved - start, "lineage_cold_s": traced - start,
            "search_s": search_times, "lineage_s": lineage_times, "focus": len(focus), "found": len(found)}


class _Rows:
    """Targets and row labels of one set of query measurements."""

    def __init__(self, settings: Settings, size: str, how: str) -> None:
        self.settings = settings
        self.cold = 5.0 * settings.log_time_scale
        self.indexed = 0.2 * settings.log_time_scale
        self.size = size
        self.how = how

    def what(self, query: str, mode: str, size: str | None = None) -> str:
        action = "search for" if query == "search" else "lineage of"
        return f"{action} one entity over {size or self.size} records, {mode} ({self.how})"

    def cold_pair(self, outcome: Outcome, mode: str, search_s: float | None, lineage_s: float, note: str) -> list:
        if outcome.status == "error":
            return [Row(GROUP, "lineage_cold", self.what("lineage", mode), None, "s", self.cold, status=FAILED,
                        note=outcome.error[-300:])]
        if not outcome.ok:
            return [Row(GROUP, key, self.what(query, mode), summarize([outcome.elapsed]), "s", self.cold,
                        status=STOPPED, note=outcome.stop_note() if key.startswith("search") else "")
                    for key, query in (("search_cold", "search"), ("lineage_cold", "lineage"))]
        return [
            Row(GROUP, "search_cold", self.what("search", mode), summarize([search_s]), "s", self.cold, note=note),
            Row(GROUP, "lineage_cold", self.what("lineage", mode), summarize([lineage_s]), "s", self.cold),
        ]

    def indexed_pair(self, outcome: Outcome, mode: str, status: str, note: str, size: str | None = None) -> list:
        limit = None if status == INFO else self.indexed
        if not outcome.ok:
            return [Row(GROUP, "lineage_indexed", self.what("lineage", mode, size), None, "s", limit, status=FAILED,
                        note=outcome.error[-300:] or outcome.stop_note())]
        return [
            Row(GROUP, "search_indexed", self.what("search", mode, size), summarize(outcome.value["search_s"]),
                "s", limit, status=status, note=note),
            Row(GROUP, "lineage_indexed", self.what("lineage", mode, size), summarize(outcome.value["lineage_s"]),
                "s", limit, status=status),
        ]


def _api_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    table = _Rows(settings, size, "logprov.query")
    params = {"path": log["path"], "probe": log["probe"]}
    found = []
    with tempfile.TemporaryDirectory(prefix="logprov-bench-index-") as cache:
        cold = run_worker("benchmarks.querying:open_worker", {**params, "cache": cache, "index": True},
                          **settings.limits(table.cold))
        value = cold.value or {}
        note = (f"opening builds the index in {value.get('open_s', 0):.1f} s ({_split(value)}); "
                f"{value.get('matches')} match(es); "
                f"lineage (ancestors, no depth limit) of {value.get('activities')} activities and "
                f"{value.get('entities')} entities")
        found += table.cold_pair(cold, "cold", value.get("open_s", 0) + value.get("search_s", 0),
                                 value.get("open_s", 0) + value.get("lineage_s", 0), note)
        if cold.ok:
            indexed = run_worker("benchmarks.querying:reopen_worker", {**params, "cache": cache, "repeats": REPEATS},
                                 timeout=settings.worker_timeout)
            found += table.indexed_pair(indexed, "indexed", MEASURED,
                                        "a fresh process opens the index and queries it, repeated")
    if not cold.ok:
        found += _api_subset(settings, table)
    memory = run_worker("benchmarks.querying:open_worker", {**params, "cache": None, "index": False},
                        **settings.limits(table.cold))
    what = table.what("lineage", "in memory")
    if memory.ok:
        value = memory.value
        found.append(Row(GROUP, "lineage_memory", what, summarize([value["open_s"] + value["lineage_s"]]), "s",
                         table.cold, note=f"query.open(index=False) reads the log in {value['open_s']:.1f} s"))
    elif memory.status == "error":
        found.append(Row(GROUP, "lineage_memory", what, None, "s", table.cold, status=FAILED,
                         note=memory.error[-300:]))
    else:
        found.append(Row(GROUP, "lineage_memory", what, summarize([memory.elapsed]), "s", table.cold,
                         status=STOPPED, note=memory.stop_note()))
    return found


def _split(value: dict) -> str:
    """Say how opening split into reading and indexing."""
    reading, opening = value.get("reading_s", 0.0), value.get("open_s", 0.0)
    if value.get("beside"):
        return (f"a second process read and decoded the log in {value.get('child_cpu_s', 0.0):.1f} s of processor "
                f"time while this one indexed; indexing waited {reading:.1f} s for it and took "
                f"{opening - reading:.1f} s")
    return f"reading {reading:.1f} s, indexing {opening - reading:.1f} s"


def _api_subset(settings: Settings, table: _Rows) -> list[Row]:
    if settings.log_records <= SUBSET_RECORDS:
        return [Row(GROUP, "search_indexed", table.what("search", "indexed"), None, "s", table.indexed,
                    status=NOT_MEASURED, note="the index could not be built within the limits")]
    small = ensure_log(SUBSET_RECORDS)
    params = {"path": small["path"], "probe": small["probe"]}
    with tempfile.TemporaryDirectory(prefix="logprov-bench-index-") as cache:
        built = run_worker("benchmarks.querying:open_worker", {**params, "cache": cache, "index": True},
                           timeout=SUBSET_TIMEOUT)
        if not built.ok:
            return table.indexed_pair(built, "indexed", INFO, "", f"{small['records']:,}")
        outcome = run_worker("benchmarks.querying:reopen_worker", {**params, "cache": cache, "repeats": REPEATS},
                             timeout=settings.worker_timeout)
    note = (f"the index of the {settings.log_records:,}-record log could not be built within the limits; "
            f"measured on a {small['records']:,}-record log (its index took {built.value['open_s']:.1f} s), "
            f"which says little about the target: an index lookup need not grow with the log")
    return table.indexed_pair(outcome, "indexed", INFO, note, f"{small['records']:,}")


def _document_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    table = _Rows(settings, size, "build_document + export.documentlineage")
    params = {"path": log["path"], "probe": log["probe"], "repeats": REPEATS}
    outcome = run_worker("benchmarks.querying:document_worker", params, **settings.limits(table.cold))
    value = outcome.value or {}
    note = (f"cold = read + build document ({value.get('build_s', 0):.1f} s) + query; {value.get('focus')} "
            f"element(s) found, lineage of {value.get('found')} elements; no query API")
    found = table.cold_pair(outcome, "cold", value.get("search_cold_s"), value.get("lineage_cold_s"), note)
    if outcome.ok:
        return found + table.indexed_pair(outcome, "document in memory", MEASURED, "")
    if settings.log_records <= SUBSET_RECORDS:
        return found
    small = ensure_log(SUBSET_RECORDS)
    subset = run_worker("benchmarks.querying:document_worker",
                        {"path": small["path"], "probe": small["probe"], "repeats": REPEATS}, timeout=SUBSET_TIMEOUT)
    note = (f"the {settings.log_records:,}-record document could not be built within the limits; measured on a "
            f"{small['records']:,}-record log (both queries scan the whole document: a lower bound)")
    return found + table.indexed_pair(subset, "document in memory", SUBSET, note, f"{small['records']:,}")


def rows(settings: Settings, log: dict, size: str) -> list[Row]:
    """Measure search and lineage of the probe entity of ``log`` with the best API there is."""
    if missing_api("logprov.query", "open") is None:
        return _api_rows(settings, log, size)
    reason = missing_api("logprov.model", "build_document") or missing_api("logprov.export.documentlineage",
                                                                           "lineage", "resolve")
    if reason:
        return [Row(GROUP, "query", f"search / lineage of one entity over {size} records", None, "s",
                    status=UNAVAILABLE, note=reason)]
    return _document_rows(settings, log, size)


def group_rows(settings: Settings) -> list[Row]:
    """The query rows of the ``logs`` group alone (``--only queries``), on the same log."""
    try:
        log = ensure_log(settings.log_records)
    except RuntimeError as exc:
        return [Row(GROUP, "log", f"generate a {size_label(settings.log_records)}-record log", None, "s",
                    status=FAILED, note=str(exc)[-300:])]
    return rows(settings, log, size_label(settings.log_records))
