"""What a columnar engine costs for the work of a streamed export, as a floor for that design.

``python -m benchmarks.enginefloor [LOG]`` (DuckDB installed with ``pip install duckdb``; the
1M-record log of the benchmarks by default) runs one DuckDB statement that does the parts of
a PROV-N export that cost the most, on every record of the log: it reads the lines, decodes
every payload, joins the usages to the start of their activity, merges the activities and the
entities over the whole log, formats one statement per activity, usage, membership,
derivation and entity, puts them in log order and writes them to a file. It prints the
processor time of the process (all threads), its peak memory and the statements written.

It is a floor, not an exporter: the mapping of docs/prov-mapping.md has more statements
(generations, specialisations, parameters, descriptions, sessions) and its exact literals and
names, all of which cost more. docs/performance.md says what it was used for.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["STATEMENTS", "floor"]

_FIELDS = ("activity_id", "entity_id", "used_id", "used_role", "in_session", "member_id", "progenitor_id",
           "startTime", "endTime", "name", "status", "location", "type")

#: The statement: ``{log}`` is the log's path, ``{out}`` the file written.
STATEMENTS = """
COPY (
WITH r AS (
  SELECT n, f[1] AS activity, f[2] AS entity, f[3] AS used, f[4] AS role, f[5] AS session, f[6] AS member,
         f[7] AS progenitor, f[8] AS started, f[9] AS ended, f[10] AS name, f[11] AS status, f[12] AS location,
         f[13] AS type
  FROM (SELECT n, json_extract_string(payload, [{paths}]) AS f
        FROM (SELECT row_number() OVER () AS n, split_part(line, '_PROV_', 3) AS payload
              FROM read_csv('{log}', columns = {{'line': 'VARCHAR'}}, delim = '\x01', quote = '', escape = '',
                            header = false, auto_detect = false, strict_mode = false)))),
activities AS (
  SELECT activity, min(n) AS n, max(started) AS started, max(ended) AS ended, max(name) AS name,
         max(status) AS status, max(session) AS session
  FROM r WHERE activity IS NOT NULL GROUP BY activity),
entities AS (
  SELECT entity, min(n) AS n, max(location) AS location, max(type) AS type, max(session) AS session
  FROM r WHERE entity IS NOT NULL AND member IS NULL AND progenitor IS NULL GROUP BY entity),
statements AS (
  SELECT n, 'activity(activity:' || activity || ', ' || coalesce(started, '-') || ', ' || coalesce(ended, '-')
            || ', [prov:label="' || coalesce(name, '') || '", logprov:status="' || coalesce(status, '') || '"])' AS s
  FROM activities
  UNION ALL
  SELECT r.n, 'used(activity:' || r.activity || ', ' || r.used || ', ' || coalesce(a.started, '-')
              || ', [prov:role="' || coalesce(r.role, '') || '"])'
  FROM r JOIN activities a USING (activity) WHERE r.used IS NOT NULL
  UNION ALL
  SELECT n, 'hadMember(' || entity || ', ' || member || ')' FROM r WHERE member IS NOT NULL
  UNION ALL
  SELECT n, 'wasDerivedFrom(' || entity || ', ' || progenitor || ', -, -, -)' FROM r WHERE progenitor IS NOT NULL
  UNION ALL
  SELECT n, 'entity(' || entity || ', [prov:type="' || coalesce(type, '') || '", prov:location="'
            || coalesce(location, '') || '"])'
  FROM entities)
SELECT s FROM statements ORDER BY n
) TO '{out}' (FORMAT csv, HEADER false, QUOTE '', DELIMITER '\x01')
"""


def floor(log: Path, out: Path, threads: int = 2, memory_limit: str = "200MB") -> dict:
    """Run `STATEMENTS` on ``log`` into ``out`` and return its costs.

    Returns
    -------
    dict
        ``seconds`` (wall clock), ``cpu_seconds`` (user and system, every thread),
        ``peak_mb`` (the process's peak resident memory so far) and ``statements``.
    """
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET enable_progress_bar = false")
    paths = ", ".join(f"'$.{field}'" for field in _FIELDS)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    connection.execute(STATEMENTS.format(log=str(log).replace("'", "''"), out=str(out).replace("'", "''"), paths=paths))
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    with out.open("rb") as written:
        statements = sum(1 for _ in written)
    return {
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_mb": after.ru_maxrss / 1024,
        "statements": statements,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the costs of `floor` on a log (the 1M-record log of the benchmarks by default)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.enginefloor", description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", help="a log (default: the 1M-record log, generated when missing)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="200MB")
    options = parser.parse_args(argv)
    if options.log is None:
        from .biglog import ensure_log

        log = Path(ensure_log(1_000_000)["path"])
    else:
        log = Path(options.log)
    with tempfile.TemporaryDirectory() as folder:
        found = floor(log, Path(folder) / "floor.provn", options.threads, options.memory_limit)
    print(f"{log}: {found['statements']:,} statements in {found['seconds']:.2f} s, "
          f"{found['cpu_seconds']:.2f} s of processor time, peak {found['peak_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
