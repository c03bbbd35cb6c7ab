"""One measurement of a large log with whatever logprov the interpreter imports.

Run by this version's interpreter and by that of a venv holding an earlier commit (see
`benchmarks.baseline`), with this folder as the working directory, so that ``logprov`` comes
from the venv and not from the checkout. Tasks (``"task"`` of the parameters):

``read``
    every record with `logprov.iter_records`;
``export``
    `logprov.export.export_records` of the log to ``fmt`` in ``folder`` (or, without it,
    `build_document` and `export`);
``cold``
    `logprov.query.open` with a new index folder, then search and lineage of ``probe``; the
    time of opening is split into reading (producing the records, timed around the
    `iter_records` the index builder calls: that of `logprov.store.loader`, or of
    `logprov.query.cache` in versions before the store; when a second process reads the log,
    `logprov.store.decoding`, the time spent waiting for its batches) and indexing (the rest);
``indexed``
    ``repeats`` times: open the existing index in ``cache``, search ``probe``, and again
    for its lineage.
"""

from __future__ import annotations

import os
import time

from common import clock, emit, params, peak_rss, versions


class _TimedRecords:
    """Wrap `iter_records` so that the time spent producing records is added up."""

    def __init__(self, iter_records) -> None:
        self.iter_records = iter_records
        self.seconds = 0.0
        self.records = 0

    def __call__(self, *args, **kwargs):
        records = iter(self.iter_records(*args, **kwargs))
        while True:
            start = clock()
            try:
                record = next(records)
            except StopIteration:
                self.seconds += clock() - start
                return
            self.seconds += clock() - start
            self.records += 1
            yield record


def read(options: dict) -> dict:
    """Read every record of the log."""
    from logprov import iter_records

    start = clock()
    count = sum(1 for _ in iter_records(options["log"]))
    return {"seconds": clock() - start, "records": count}


def export(options: dict) -> dict:
    """Export the log to ``fmt``."""
    from logprov import export as exporting
    from logprov import iter_records

    target = os.path.join(options["folder"], f"export.{options['fmt']}")
    start = clock()
    if hasattr(exporting, "export_records"):
        how = "export_records"
        exporting.export_records(iter_records(options["log"]), options["fmt"], target)
    else:
        from logprov.model import build_document

        how = "build_document + export"
        exporting.export(build_document(iter_records(options["log"])), options["fmt"], target)
    return {"seconds": clock() - start, "bytes": os.path.getsize(target), "how": how}


def cold(options: dict) -> dict:
    """Open the log with a new index, then search and trace the lineage of ``probe``."""
    import importlib

    import logprov.query

    timed = None
    for name in ("logprov.store.loader", "logprov.query.cache"):
        try:
            builder = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(builder, "iter_records"):
            timed = _TimedRecords(builder.iter_records)
            builder.iter_records = timed
            break
    try:
        from logprov.store.decoding import DecodingWorker
    except ImportError:
        DecodingWorker = None
    if DecodingWorker is not None and timed is not None:
        waited = _TimedRecords(DecodingWorker.batches)
        DecodingWorker.batches = waited
    start = clock()
    with logprov.query.open(options["log"], cache=options["cache"]) as provenance:
        opened = clock()
        matches = provenance.search(entity=options["probe"])
        searched = clock()
        lineage = provenance.lineage(options["probe"])
        traced = clock()
    if DecodingWorker is not None and timed is not None:
        timed.seconds += waited.seconds
    return {"open_s": opened - start, "reading_s": None if timed is None else timed.seconds,
            "records": None if timed is None else timed.records, "search_s": searched - opened,
            "lineage_s": traced - searched, "matches": len(matches), "activities": len(lineage.activities),
            "entities": len(lineage.entities)}


def indexed(options: dict) -> dict:
    """Open the index made by `cold` and query it, ``repeats`` times."""
    import logprov.query

    search_times, lineage_times = [], []
    for _ in range(options["repeats"]):
        start = clock()
        with logprov.query.open(options["log"], cache=options["cache"]) as provenance:
            provenance.search(entity=options["probe"])
        search_times.append(clock() - start)
        start = clock()
        with logprov.query.open(options["log"], cache=options["cache"]) as provenance:
            provenance.lineage(options["probe"])
        lineage_times.append(clock() - start)
    return {"search_s": search_times, "lineage_s": lineage_times}


TASKS = {"read": read, "export": export, "cold": cold, "indexed": indexed}


def main() -> None:
    """Run the task of the parameters and print its result."""
    options = params()
    started = time.perf_counter()
    result = TASKS[options["task"]](options)
    result["process_s"] = time.perf_counter() - started
    result["versions"] = versions("logprov", "prov", "rdflib", "lxml", "orjson")
    result["peak_rss"] = peak_rss()
    emit(result)


if __name__ == "__main__":
    main()
