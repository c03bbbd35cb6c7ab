"""Many writers, one log: processes, threads and rotated log files."""

from __future__ import annotations

import collections
import gzip
import logging
import logging.handlers
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from prov.model import ProvActivity

import logprov
from logprov.model import build_document
from logprov.reading.reader import iter_records
from logprov.records.kinds import kind_of

from readback import read_whole_log

WORKERS = 4
CALLS = 5000
HEAD_LINE = 'INFO logprov _PROV_2026-11-22T10:00:00+00:00_PROV_{{"entity_id": "{name}"}}\n'

WORKER_SCRIPT = textwrap.dedent(
    """
    import multiprocessing, sys
    import logprov

    LOG, PARENT_FIRST, WORKERS, CALLS = sys.argv[1], sys.argv[2] == "True", int(sys.argv[3]), int(sys.argv[4])
    capture = logprov.ProvCapture(config={"log_filename": LOG, "record_git": False, "record_packages": False})


    @capture.trace
    def step(worker, i):
        return None


    def work(worker):
        for i in range(CALLS):
            step(worker, i)


    if __name__ == "__main__":
        if PARENT_FIRST:
            step(-1, 0)
        context = multiprocessing.get_context("fork")
        processes = [context.Process(target=work, args=(w,)) for w in range(WORKERS)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        if not PARENT_FIRST:
            step(-1, 0)
        sys.exit(max(abs(p.exitcode) for p in processes))
    """
)


def activities_by_session(records) -> dict:
    """Return ``{session: {activity_id: [records]}}`` after checking attribution and completeness."""
    sessions = {r.data["session_id"] for r in records if kind_of(r.data) == "session"}
    found: dict = collections.defaultdict(lambda: collections.defaultdict(list))
    for record in records:
        if "activity_id" in record.data:
            assert record.session in sessions
            found[record.session][record.data["activity_id"]].append(record.data)
    for activities in found.values():
        for activity_records in activities.values():
            kinds = [kind_of(data) for data in activity_records]
            assert kinds.count("start") == 1 and kinds.count("end") == 1
            end = activity_records[kinds.index("end")]
            assert end["status"] == "success"
    return found


def parameters_of(activity_records) -> dict:
    """Return the parameters of an activity from its records."""
    return next(data["parameters"] for data in activity_records if "parameters" in data)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("parent_first", [True, False], ids=["parent_session_first", "each_opens_the_log"])
def test_processes_appending_to_one_log(tmp_path, parent_first):
    log = tmp_path / "prov.log"
    script = tmp_path / "workers.py"
    script.write_text(WORKER_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(log), str(parent_first), str(WORKERS), str(CALLS)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    records, _ = read_whole_log(log)
    session_records = [r.data for r in records if kind_of(r.data) == "session"]
    assert len(session_records) == WORKERS + 1
    assert len({s["system"]["pid"] for s in session_records}) == WORKERS + 1
    found = activities_by_session(records)
    assert sorted(len(activities) for activities in found.values()) == [1] + [CALLS] * WORKERS
    workers_seen = set()
    for activities in found.values():
        calls = [parameters_of(a) for a in activities.values()]
        workers = {call["worker"] for call in calls}
        assert len(workers) == 1
        workers_seen |= workers
        if workers != {-1}:
            assert sorted(call["i"] for call in calls) == list(range(CALLS))
    assert workers_seen == {-1, *range(WORKERS)}


def test_threads_appending_to_one_log(make_capture):
    capture = make_capture()

    @capture.trace
    def inner(thread, i):
        return [thread, i]

    @capture.trace
    def step(thread, i):
        if i % 50 == 0:
            inner(thread, i)

    def work(thread):
        for i in range(CALLS):
            step(thread, i)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records, _ = read_whole_log(capture.config.log_filename)
    found = activities_by_session(records)
    assert len(found) == 1
    (activities,) = found.values()
    assert len(activities) == WORKERS * CALLS + WORKERS * CALLS // 50
    starts = {aid: next(d for d in recs if kind_of(d) == "start") for aid, recs in activities.items()}
    by_thread = collections.defaultdict(list)
    for activity_id, activity_records in activities.items():
        call = parameters_of(activity_records)
        start = starts[activity_id]
        if start["name"] == "step":
            by_thread[call["thread"]].append(call["i"])
            assert "parent_activity_id" not in start
        else:
            parent = activities[start["parent_activity_id"]]
            assert parameters_of(parent) == call
    assert {t: sorted(calls) for t, calls in by_thread.items()} == {t: list(range(CALLS)) for t in range(WORKERS)}


def run_spanning_calls(capture, move=None) -> int:
    """Run short calls and one long call whose records span files; return the number of calls."""

    @capture.trace
    def step(i, payload):
        return payload[:1]

    @capture.trace
    def long_fit(n):
        for i in range(n):
            step(i, ["inside", i, "y" * 80])
            if move is not None and i == n // 2:
                move()
        return n

    for i in range(60):
        step(i, ["before", i, "x" * 80])
    long_fit(60)
    for i in range(60):
        step(i, ["after", i, "z" * 80])
    capture.end_session()
    return 60 + 1 + 60 + 60


def assert_one_complete_history(pattern: str, calls: int) -> list:
    """Read every file matching ``pattern`` and check they make one complete session."""
    records, stats = read_whole_log(pattern)
    sessions = {r.data["session_id"] for r in records if kind_of(r.data) == "session"}
    assert len(sessions) == 1
    (session,) = sessions
    assert {r.session for r in records} == {session}
    assert len(list(iter_records(pattern, sessions=[session]))) == len(records)
    found = activities_by_session(records)
    assert len(found[session]) == calls
    document = build_document(records)
    statuses = collections.Counter(
        str(next(iter(a.get_attribute("logprov:status")))) for a in document.get_records(ProvActivity)
    )
    assert statuses == {"success": calls}
    return stats.files


def close_handlers(logger: logging.Logger) -> None:
    """Close and remove the handlers of ``logger``."""
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)


def test_rotating_file_handler_from_dict_config(tmp_path):
    log = tmp_path / "prov.log"
    name = "logprov.reliability.rotating"
    capture = logprov.ProvCapture(config={
        "logger_name": name,
        "record_git": False,
        "record_packages": False,
        "logging": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"prov": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
            "handlers": {"rotating": {
                "class": "logging.handlers.RotatingFileHandler", "filename": str(log),
                "maxBytes": 12_000, "backupCount": 99, "formatter": "prov",
            }},
            "loggers": {name: {"level": "INFO", "handlers": ["rotating"], "propagate": False}},
        },
    })
    try:
        calls = run_spanning_calls(capture)
    finally:
        close_handlers(capture.logger)
    backups = sorted(int(p.suffix[1:]) for p in tmp_path.glob("prov.log.*"))
    assert len(backups) >= 5 and backups == list(range(1, len(backups) + 1)) and backups[-1] < 99
    files = assert_one_complete_history(str(tmp_path / "prov.log*"), calls)
    assert files == [str(tmp_path / f"prov.log.{n}") for n in reversed(backups)] + [str(log)]


def test_watched_file_handler_with_log_moved_away(tmp_path):
    log = tmp_path / "prov.log"
    name = "logprov.reliability.watched"
    logger = logging.getLogger(name)
    handler = logging.handlers.WatchedFileHandler(log)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    capture = logprov.ProvCapture(config={"logger_name": name, "record_git": False, "record_packages": False})
    try:
        calls = run_spanning_calls(capture, move=lambda: os.rename(log, tmp_path / "prov.log.1"))
    finally:
        close_handlers(logger)
    assert log.exists() and (tmp_path / "prov.log.1").exists()
    files = assert_one_complete_history(str(tmp_path / "prov.log*"), calls)
    assert files == [str(tmp_path / "prov.log.1"), str(log)]


def test_default_handler_keeps_writing_to_a_moved_log(make_capture, tmp_path):
    capture = make_capture()
    log = Path(capture.config.log_filename)
    moved = log.with_name(log.name + ".1")
    calls = run_spanning_calls(capture, move=lambda: os.rename(log, moved))
    assert not log.exists()
    assert_one_complete_history(str(log) + "*", calls)


def test_rotated_copies_are_read_oldest_first(tmp_path):
    numbered = ["prov.log", "prov.log.1", "prov.log.2.gz", "prov.log.10", "prov.log.3"]
    dated = ["app.log", "app.log.2026-11-21", "app.log-20261120", "app.log.2026-11-21_10-00-00", "app.log.20261122"]
    for name in numbered + dated:
        path = tmp_path / name
        line = HEAD_LINE.format(name=name).encode()
        path.write_bytes(gzip.compress(line) if name.endswith(".gz") else line)
    names = [r.data["entity_id"] for r in iter_records(str(tmp_path / "*.log*"))]
    assert names == [
        "app.log-20261120", "app.log.2026-11-21", "app.log.2026-11-21_10-00-00", "app.log.20261122", "app.log",
        "prov.log.10", "prov.log.3", "prov.log.2.gz", "prov.log.1", "prov.log",
    ]
