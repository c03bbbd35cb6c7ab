"""The shared store, SQLite and PostgreSQL side by side: loading the large log, the lineage of
one entity, ``search --activity X --status failed``, and the size of the store.

PostgreSQL is the server at ``$LOGPROV_BENCH_POSTGRES`` (a URL) when set, else a throwaway
cluster started for the group (`logprov.store.cluster`), on a Unix socket, with ``fsync`` and
synchronous commits off (a server that syncs every commit loads more slowly).
"""

from __future__ import annotations

import os
import tempfile
import time

from .biglog import ensure_log, size_label
from .isolation import progress, run_worker
from .rows import FAILED, INFO, UNAVAILABLE, Row
from .settings import Settings
from .stats import summarize

__all__ = ["load_worker", "query_worker", "rows"]

GROUP = "store"
REPEATS = 5
#: Targets: records loaded per second, and seconds of a query.
LOAD_RATES = {"sqlite": 150_000, "postgresql": 100_000}
QUERY_SECONDS = 0.2


def load_worker(path: str, store: str) -> dict:
    """Load ``path`` into ``store`` with `logprov.store.load`; return the seconds, the records
    loaded and the size of the store in bytes."""
    import logprov.store
    from logprov.store import connect

    progress(phase="load")
    start = time.perf_counter()
    [loaded] = logprov.store.load(path, store)
    seconds = time.perf_counter() - start
    engine = connect(store)
    try:
        if engine.dialect == "postgresql":
            size = engine.rows("SELECT pg_database_size(current_database())")[0][0]
        else:
            size = os.path.getsize(engine.location.target)
        failed = engine.rows("SELECT act_name FROM activity WHERE act_status = 'failed' "
                             "GROUP BY act_name ORDER BY count(*) DESC LIMIT 1")
    finally:
        engine.close()
    return {"seconds": seconds, "records": loaded.records, "bytes": size, "failed": failed[0][0] if failed else None}


def query_worker(store: str, probe: str, activity: str, repeats: int) -> dict:
    """Open ``store`` once, then time the lineage of ``probe`` and the search of the failed
    ``activity`` runs, ``repeats`` times each."""
    import logprov.query

    clock = time.perf_counter
    lineage_s, search_s = [], []
    with logprov.query.open(store=store) as provenance:
        for _ in range(repeats):
            start = clock()
            lineage = provenance.lineage(probe)
            lineage_s.append(clock() - start)
            start = clock()
            matches = provenance.search(activity=activity, status="failed")
            search_s.append(clock() - start)
    return {"lineage_s": lineage_s, "search_s": search_s, "activities": len(lineage.activities),
            "entities": len(lineage.entities), "matches": len(matches)}


def _engine_rows(settings: Settings, log: dict, engine: str, store: str, size: str) -> list[Row]:
    target = log["records"] / LOAD_RATES[engine]
    what = f"load {size} records into {engine}"
    loaded = run_worker("benchmarks.storing:load_worker", {"path": log["path"], "store": store},
                        timeout=settings.worker_timeout)
    if not loaded.ok:
        return [Row(GROUP, f"load_{engine}", what, summarize([loaded.elapsed]) if loaded.status != "error" else None,
                    "s", target, status=FAILED, note=(loaded.error or loaded.stop_note())[-300:])]
    value = loaded.value
    rate = value["records"] / value["seconds"]
    found = [
        Row(GROUP, f"load_{engine}", what, summarize([value["seconds"]]), "s", target,
            note=f"{rate:,.0f} records/s (target {LOAD_RATES[engine]:,}/s, at ref. speed: divide the time by "
                 "the machine ratio)", details={"records_per_s": rate}),
        Row(GROUP, f"size_{engine}", f"{engine} store size per million records",
            summarize([value["bytes"] / 1e6 / (value["records"] / 1e6)]), "MB", status=INFO,
            note=f"{value['bytes'] / 1e6:,.0f} MB for {value['records']:,} records"),
    ]
    activity = value["failed"] or "fit"
    queried = run_worker("benchmarks.storing:query_worker",
                         {"store": store, "probe": log["probe"], "activity": activity, "repeats": REPEATS},
                         timeout=settings.worker_timeout)
    if not queried.ok:
        return found + [Row(GROUP, f"lineage_{engine}", f"lineage of one entity, {engine}", None, "s",
                            QUERY_SECONDS, status=FAILED, note=(queried.error or queried.stop_note())[-300:])]
    result = queried.value
    found += [
        Row(GROUP, f"lineage_{engine}", f"lineage of one entity over {size} records, {engine}",
            summarize(result["lineage_s"]), "s", QUERY_SECONDS,
            note=f"{result['activities']} activities, {result['entities']} entities (ancestors, no depth limit); "
                 "the target is for a 10M-record store"),
        Row(GROUP, f"search_failed_{engine}", f"search --activity {activity} --status failed, {engine}",
            summarize(result["search_s"]), "s", QUERY_SECONDS, note=f"{result['matches']} matches"),
    ]
    return found


def rows(settings: Settings) -> list[Row]:
    """Load the large log into an SQLite and a PostgreSQL store, then query both."""
    records = settings.log_records
    size = size_label(records)
    try:
        log = ensure_log(records)
    except RuntimeError as exc:
        return [Row(GROUP, "log", f"generate a {size}-record log", None, "s", status=FAILED, note=str(exc)[-300:])]
    found: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="logprov-bench-store-") as folder:
        found += _engine_rows(settings, log, "sqlite", os.path.join(folder, "prov.db"), size)
    found += _postgres_rows(settings, log, size)
    return found


def _postgres_rows(settings: Settings, log: dict, size: str) -> list[Row]:
    given = os.environ.get("LOGPROV_BENCH_POSTGRES")
    if given:
        return _engine_rows(settings, log, "postgresql", given, size)
    try:
        import psycopg

        from logprov.store.cluster import Cluster
    except ImportError as exc:
        return [Row(GROUP, "load_postgresql", f"load {size} records into postgresql", None, "s",
                    status=UNAVAILABLE, note=f"psycopg 3 is not installed ({exc})")]
    cluster = Cluster()
    try:
        cluster.start()
        with psycopg.connect(cluster.url(), autocommit=True) as connection:
            connection.execute("CREATE DATABASE bench")
        return _engine_rows(settings, log, "postgresql", cluster.url("bench"), size)
    except (RuntimeError, OSError) as exc:
        return [Row(GROUP, "load_postgresql", f"load {size} records into postgresql", None, "s",
                    status=UNAVAILABLE, note=f"no PostgreSQL server could be started: {exc}")]
    finally:
        cluster.stop()
