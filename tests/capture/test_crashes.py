"""Processes killed with SIGKILL in the middle of a session, and logs cut in the middle of a line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
from prov.model import ProvActivity

from logprov.model import build_document, local_part
from logprov.reading.reader import LogReadWarning, ReadStats, iter_records
from logprov.records.kinds import kind_of

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import logprov

    log, interval, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    capture = logprov.ProvCapture(config={
        "log_filename": log, "record_git": False, "record_packages": False, "flush_interval": interval,
    })


    @capture.trace
    def step(i):
        return [i, i * 2]


    @capture.trace
    def fit(settings, nested):
        for i in range(nested):
            step(100 + i)
        print("inside", flush=True)
        time.sleep(60)


    for i in range(5):
        step(i)
    fit({"model": "pl", "range": [1, 10]}, nested=3 if mode == "nested" else 0)
    """
)


def run_and_kill(tmp_path: Path, log: Path, interval: float, mode: str, wait_for: str | None = None) -> float:
    """Run the script until it is inside its long call, optionally wait for ``wait_for`` in the
    log, then kill it with SIGKILL; return the seconds waited for ``wait_for``."""
    script = tmp_path / "crash.py"
    script.write_text(SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(log), str(interval), mode],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout.readline() == "inside\n", process.stderr.read()
        waited = time.perf_counter()
        if wait_for is not None:
            while wait_for not in log.read_text():
                assert time.perf_counter() - waited < 10, "the start record never reached the log"
                time.sleep(0.01)
        waited = time.perf_counter() - waited
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return waited


def read(log: Path) -> tuple[list, ReadStats, list]:
    stats = ReadStats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LogReadWarning)
        records = list(iter_records(log, stats=stats))
    return records, stats, [str(w.message) for w in caught if issubclass(w.category, LogReadWarning)]


def statuses(records) -> dict:
    """Return ``{(name, argument i): status}`` of the activities of the PROV document."""
    names, arguments = {}, {}
    for record in records:
        data = record.data
        if kind_of(data) == "start":
            names[local_part(data["activity_id"])] = data["name"]
        elif kind_of(data) == "parameters":
            arguments[local_part(data["activity_id"])] = data["parameters"].get("i")
    found = {}
    for activity in build_document(records).get_records(ProvActivity):
        key = activity.identifier.localpart
        found[(names[key], arguments.get(key))] = str(next(iter(activity.get_attribute("logprov:status"))))
    return found


def test_killed_during_a_long_call_leaves_it_incomplete(tmp_path):
    log = tmp_path / "prov.log"
    waited = run_and_kill(tmp_path, log, 0.2, "long", wait_for='"name":"fit"')
    assert waited < 1.5
    records, stats, caught = read(log)
    assert stats.skipped == 0 and caught == []
    assert [kind_of(r.data) for r in records].count("session_end") == 0
    assert statuses(records) == {**{("step", i): "success" for i in range(5)}, ("fit", None): "incomplete"}


def test_held_back_start_batches_are_lost_with_a_long_flush_interval(tmp_path):
    log = tmp_path / "prov.log"
    run_and_kill(tmp_path, log, 60.0, "long")
    records, stats, _ = read(log)
    assert stats.skipped == 0
    assert statuses(records) == {("step", i): "success" for i in range(5)}


def test_flush_interval_zero_writes_the_start_before_the_call(tmp_path):
    log = tmp_path / "prov.log"
    run_and_kill(tmp_path, log, 0.0, "long")
    records, _, _ = read(log)
    assert statuses(records)[("fit", None)] == "incomplete"


def cut_last_line(log: Path) -> int:
    """Truncate ``log`` in the middle of its last line; return that line's number."""
    data = log.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    log.write_bytes(data[: start + (len(data) - start) // 2])
    return data.count(b"\n")


def test_killed_with_nested_activities_and_a_cut_last_line(tmp_path):
    log = tmp_path / "prov.log"
    run_and_kill(tmp_path, log, 0.2, "nested")
    records, stats, _ = read(log)
    assert stats.skipped == 0
    complete = {**{("step", i): "success" for i in range(5)}, **{("step", 100 + i): "success" for i in range(3)}}
    assert statuses(records) == {**complete, ("fit", None): "incomplete"}

    line = cut_last_line(log)
    records, stats, caught = read(log)
    assert stats.skipped == 1 and stats.records == line - 1
    assert stats.problems[0][:2] == (str(log), line)
    assert "cut short" in stats.problems[0][2]
    assert len(caught) == 1 and caught[0].startswith(f"{log}:{line}: skipped: last line cut short")
    assert statuses(records) == {**complete, ("step", 102): "incomplete", ("fit", None): "incomplete"}


APPEND_SCRIPT = textwrap.dedent(
    """
    import sys
    import logprov

    config = {"log_filename": sys.argv[1], "record_git": False, "record_packages": False}
    if sys.argv[2] == "FileHandler":
        config["logging"] = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "filename": sys.argv[1], "formatter": "plain"}},
            "loggers": {"logprov": {"level": "INFO", "handlers": ["file"], "propagate": False}},
        }
    capture = logprov.ProvCapture(config=config)
    for i in range(3):
        capture.trace(lambda x: x, name="again")(i)
    """
)


def rerun_after_crash(tmp_path: Path, handler: str) -> tuple[Path, int, list, ReadStats]:
    """Kill a run, cut its last line, append a new run through ``handler`` and read the log."""
    log = tmp_path / "prov.log"
    run_and_kill(tmp_path, log, 0.2, "nested")
    line = cut_last_line(log)
    script = tmp_path / "again.py"
    script.write_text(APPEND_SCRIPT)
    subprocess.run([sys.executable, str(script), str(log), handler], cwd=tmp_path, check=True, timeout=60)
    records, stats, _ = read(log)
    assert stats.skipped == 1 and stats.problems[0][:2] == (str(log), line)
    sessions = [r for r in records if kind_of(r.data) == "session"]
    assert len(sessions) == 2
    again = [r for r in records if r.data.get("name") == "again"]
    assert len(again) == 3 and {r.session for r in again} == {sessions[1].data["session_id"]}
    assert statuses(records)[("fit", None)] == "incomplete"
    return log, line, sessions, stats


def test_a_run_appending_after_a_crash_starts_on_a_new_line(tmp_path):
    log, line, sessions, stats = rerun_after_crash(tmp_path, "ProvFileHandler")
    lines = log.read_text().splitlines()
    assert lines[line - 1].count("_PROV_") == 2
    assert lines[line].startswith("INFO logprov _PROV_") and sessions[1].line == line + 1
    assert stats.recovered == 0


def test_records_glued_to_a_cut_line_are_recovered(tmp_path):
    log, line, sessions, stats = rerun_after_crash(tmp_path, "FileHandler")
    assert stats.recovered == 1 and sessions[1].line == line
    assert "another record follows" in stats.problems[0][2]


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    import logprov

    capture = logprov.ProvCapture(config={
        "log_filename": sys.argv[1], "record_git": False, "record_packages": False, "value_length": 100_000,
    })


    @capture.trace
    def write(i, text):
        return None


    print("writing", flush=True)
    i = 0
    while True:
        write(i, "x" * 64_000)
        time.sleep(0.002)
        i += 1
    """
)


def test_killed_while_writing_large_batches(tmp_path):
    log = tmp_path / "prov.log"
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    process = subprocess.Popen([sys.executable, str(script), str(log)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "writing\n"
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    records, stats, _ = read(log)
    lines = log.read_bytes().count(b"\n")
    assert stats.records >= 4
    if log.read_bytes().endswith(b"\n"):
        assert stats.skipped == 0 and stats.records == lines
    else:
        assert stats.skipped == 1 and stats.problems[0][1] == lines + 1 and stats.records == lines
    ended = {r.data["activity_id"] for r in records if kind_of(r.data) == "end"}
    started = {r.data["activity_id"] for r in records if kind_of(r.data) == "start"}
    assert len(started - ended) <= 1
