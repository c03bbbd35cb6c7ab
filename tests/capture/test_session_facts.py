"""The session facts that take long to look up (git, a scan of the installed distributions):
written in a record of their own, off the first traced call, and kept however the process ends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from importlib import metadata
from pathlib import Path

import psutil
import pytest

import logprov.query
from logprov.capture import environment as session
from logprov.capture.flusher import start_thread
from logprov.model import build_document
from logprov.model.recordstream import StreamConflictWarning
from logprov.reading.reader import iter_records
from logprov.testing import parse_line

from logs import DEFINITIONS, SyntheticLog, make_id, stamp, value_entity
from onepass import assert_same

SCRIPT = textwrap.dedent("""
    import os, sys, time
    import logprov

    log, mode = sys.argv[1], sys.argv[2]
    capture = logprov.ProvCapture(config={"log_filename": log})

    @capture.trace
    def step(x):
        return x + 1

    step(1)
    if mode == "os._exit":
        os._exit(0)
    if mode == "kill":
        print("called", flush=True)
        time.sleep(60)
    if mode == "fork":
        child = os.fork()
        if child == 0:
            step(2)
            os._exit(0)
        os.waitpid(child, 0)
""")

#: A ``git`` that answers only after a while, so that the facts are looked up for longer than
#: the process takes to make its first call and end.
SLOW_GIT = textwrap.dedent("""\
    #!/bin/sh
    sleep {delay}
    exec {git} "$@"
""")


def records_of(log: Path) -> list:
    return [r for r in (parse_line(line) for line in log.read_text().splitlines()) if r is not None]


def sessions_of(records: list) -> dict:
    """``{session id: [its session records]}``, in log order."""
    found: dict = {}
    for record in records:
        if "session_id" in record:
            found.setdefault(record["session_id"], []).append(record)
    return found


@pytest.fixture
def project(tmp_path):
    """A git work tree holding the script, with one commit."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "run.py").write_text(SCRIPT)
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "run.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    return folder, commit


def run(project, tmp_path: Path, mode: str, *, git_delay: float = 0.0, cache: str = "cache",
        wait_for: str | None = None) -> list:
    """Run the script in ``mode`` (killed once ``wait_for`` is in the log); return its records."""
    folder, _ = project
    log = tmp_path / f"{mode}-{len(list(tmp_path.glob('*.log')))}.log"
    env = {**os.environ, "LOGPROV_CACHE": str(tmp_path / cache)}
    if git_delay:
        bin_folder = tmp_path / "bin"
        bin_folder.mkdir(exist_ok=True)
        fake = bin_folder / "git"
        fake.write_text(SLOW_GIT.format(delay=git_delay, git=shutil.which("git")))
        fake.chmod(0o755)
        env["PATH"] = f"{bin_folder}{os.pathsep}{env['PATH']}"
    command = [sys.executable, str(folder / "run.py"), str(log), mode]
    if mode != "kill":
        subprocess.run(command, check=True, env=env, cwd=folder, timeout=60)
        return records_of(log)
    process = subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "called\n"
        waited = time.perf_counter()
        while wait_for is not None and wait_for not in log.read_text():
            assert time.perf_counter() - waited < 30, f"{wait_for!r} never reached the log"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    return records_of(log)


def assert_cheap_facts(first: dict) -> None:
    """The facts the first record always holds."""
    system = first["system"]
    assert system["pid"] > 0 and system["cwd"] and system["argv"]
    assert system["platform"]["num_cpus"] == psutil.cpu_count()
    assert system["platform"]["memory_total"] == psutil.virtual_memory().total
    assert system["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert first["definitions"] == {} or isinstance(first["definitions"], dict)
    assert first["config"]["record_git"] is True


def assert_activity_complete(records: list, session_id: str) -> None:
    (start,) = [r for r in records if r.get("in_session") == session_id and "startTime" in r and "activity_id" in r]
    (end,) = [r for r in records if r.get("activity_id") == start["activity_id"] and "endTime" in r]
    assert end["status"] == "success"


def test_physical_memory_is_what_psutil_reads():
    assert session.physical_memory() == psutil.virtual_memory().total
    assert os.cpu_count() == psutil.cpu_count()


def test_a_started_thread_runs_without_the_caller_waiting_for_it():
    began, release, ran = threading.Event(), threading.Event(), []

    def target(value):
        began.set()
        release.wait(10)
        ran.append(value)

    start_thread(target, 7)
    assert began.wait(10)
    release.set()
    for _ in range(1000):
        if ran:
            break
        time.sleep(0.01)
    assert ran == [7]


def test_a_short_process_keeps_every_fact_in_a_second_record(project, tmp_path):
    _, commit = project
    records = run(project, tmp_path, "exit", git_delay=0.5)
    ((session_id, (first, facts, end)),) = sessions_of(records).items()
    assert "git" not in first and "packages" not in first, "a cold cache: both are looked up off the call"
    assert_cheap_facts(first)
    assert set(facts) == {"session_id", "packages", "git"}
    assert facts["git"] == {"path": str(project[0]), "commit": commit, "dirty": False}
    assert facts["packages"]["logprov"] == metadata.version("logprov")
    assert facts["packages"]["PyYAML"] == metadata.version("PyYAML")
    assert set(end) == {"session_id", "endTime"}
    order = [index for index, record in enumerate(records) if "session_id" in record]
    assert order[0] == 0 and order[-1] == len(records) - 1, "session first, end last, facts before the end"
    assert_activity_complete(records, session_id)


def test_packages_are_in_the_first_record_once_their_map_is_cached(project, tmp_path):
    run(project, tmp_path, "exit")
    records = run(project, tmp_path, "exit", git_delay=0.3)
    ((_, (first, facts, _)),) = sessions_of(records).items()
    assert first["packages"]["logprov"] == metadata.version("logprov")
    assert set(facts) == {"session_id", "git"} and facts["git"]["commit"] == project[1]


@pytest.mark.parametrize("mode", ["os._exit", "kill"])
def test_a_process_ending_abruptly_after_the_first_call_loses_only_the_facts_looked_up(project, tmp_path, mode):
    run(project, tmp_path, "exit")
    records = run(project, tmp_path, mode, git_delay=5)
    ((session_id, session_records),) = sessions_of(records).items()
    (first,) = session_records
    assert_cheap_facts(first)
    assert first["packages"]["logprov"] == metadata.version("logprov"), "the cached map is read on the call"
    assert "git" not in first
    assert_activity_complete(records, session_id)


def test_an_abrupt_end_after_the_facts_were_found_keeps_them(project, tmp_path):
    records = run(project, tmp_path, "kill", wait_for='"git":')
    ((_, session_records),) = sessions_of(records).items()
    merged = {key: value for record in session_records for key, value in record.items()}
    assert merged["git"]["commit"] == project[1] and "logprov" in merged["packages"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_knows_the_facts_of_its_parent(project, tmp_path):
    records = run(project, tmp_path, "fork", git_delay=0.5)
    parent, child = sessions_of(records).values()
    assert [set(r) >= {"git", "packages"} for r in parent] == [False, True, False]
    (child_record,) = child
    assert child_record["git"]["commit"] == project[1]
    assert child_record["system"]["pid"] != parent[0]["system"]["pid"]


def session_without_facts(log: SyntheticLog, number: int) -> str:
    """Write a session record without packages and git; return the session id."""
    session_id = log.session(number, definitions=DEFINITIONS)
    head, payload = log.lines[-1].rsplit("_PROV_", 1)
    record = json.loads(payload)
    del record["packages"], record["git"]
    log.lines[-1] = head + "_PROV_" + json.dumps(record)
    return session_id


FACTS = {"packages": {"numpy": "1.26.4", "astropy": "6.1"}, "git": {"commit": "b" * 40, "dirty": True}}


def split_log() -> SyntheticLog:
    """Two sessions whose git and packages come in records of their own: one after the session
    record, the other before it (as when the session record is held back with the first start
    batch), with a packages record of a module traced later."""
    log = SyntheticLog()
    first = session_without_facts(log, 1)
    log.batch([{"session_id": first, **FACTS}])
    log.call(first, "get_observations", generated=[(value_entity(first, "observations", [1, 2]), "observations")])
    log.end_session(first)
    log.batch([{"session_id": make_id(2), **FACTS}])
    second = session_without_facts(log, 2)
    log.call(second, "get_observations", used=[(value_entity(second, "settings", {"a": 1}), "settings")])
    log.batch([{"session_id": second, "packages": {"scipy": "1.14.1"}}])
    return log


def whole_log() -> SyntheticLog:
    """`split_log` with every fact in the session records."""
    log = SyntheticLog()
    first = log.session(1, definitions=DEFINITIONS, **FACTS)
    log.clock += 1.0
    log.call(first, "get_observations", generated=[(value_entity(first, "observations", [1, 2]), "observations")])
    log.end_session(first)
    log.clock += 1.0
    second = log.session(2, definitions=DEFINITIONS, **FACTS)
    log.call(second, "get_observations", used=[(value_entity(second, "settings", {"a": 1}), "settings")])
    log.batch([{"session_id": second, "packages": {"scipy": "1.14.1"}}])
    return log


@pytest.fixture
def split(tmp_path) -> list:
    return list(iter_records(split_log().write(tmp_path / "split.log")))


def test_streamed_exports_of_split_session_records_equal_the_model(split):
    with warnings.catch_warnings():
        warnings.simplefilter("error", StreamConflictWarning)
        assert_same(split, window=2, formats=("json", "provn", "xml", "nt"))
        assert_same(split[::-1], window=2, formats=("json", "nt"))


def test_split_session_records_make_the_session_of_whole_ones(split, tmp_path):
    whole = list(iter_records(whole_log().write(tmp_path / "whole.log")))
    assert build_document(split) == build_document(whole)
    text = build_document(split).get_provn()
    assert "numpy=1.26.4, astropy=6.1" in text and "scipy=1.14.1" in text and "b" * 40 in text


@pytest.mark.parametrize("index", [False, True])
def test_queries_see_the_facts_of_a_second_record(tmp_path, index):
    log = split_log().write(tmp_path / "split.log")
    with logprov.query.open(log, index=index) as provenance:
        sessions = provenance.sessions()
    assert [s.git_commit for s in sessions] == ["b" * 40, "b" * 40]
    assert [s.host for s in sessions] == ["laptop", "laptop"]
    assert sessions[0].start == stamp(0)


def test_imported_modules_are_the_top_levels_of_the_module_names():
    names = [*sys.modules, "", "_private.part", "__main__", "os.path", "pkg.sub.mod", "pkg", "json.decoder"]
    plain = {name.split(".", 1)[0] for name in names}
    expected = sorted(top for top in plain
                      if top and not top.startswith("_") and top not in sys.stdlib_module_names)
    assert session.imported_modules(names) == expected
    assert "pkg" in expected and "os" not in expected


def test_a_module_traced_during_the_look_up_is_named_once(tmp_path, monkeypatch):
    assert "pip" not in sys.modules
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path))
    session.distribution_map.cache_clear()
    delivered = []
    traced: set = set()
    facts = session.CodeFacts(packages=True, git=False, traced=traced)
    try:
        assert facts.begin(delivered.append) == {}, "no cached map: nothing known on the call"
        traced.add("pip")
        later = facts.new_packages("pip")
        facts.wait(60)
    finally:
        session.distribution_map.cache_clear()
    (found,) = delivered
    named = [name for versions in (found["packages"], later) for name in versions if name == "pip"]
    assert named == ["pip"]
    assert {**found["packages"], **later}["pip"] == metadata.version("pip")
    assert facts.begin(delivered.append) == {"packages": found["packages"]} and len(delivered) == 1


def test_records_of_later_facts_have_a_kind_of_their_own():
    from logprov.records.kinds import kind_of

    assert kind_of({"session_id": "s", "git": {"commit": "c"}, "packages": {"a": "1"}}) == "session_facts"
    assert kind_of({"session_id": "s", "packages": {"a": "1"}}) == "session_facts"
    assert kind_of({"session_id": "s", "startTime": "t", "git": {}}) == "session"
    assert kind_of({"session_id": "s", "endTime": "t"}) == "session_end"


@pytest.mark.parametrize("flush_interval", [0.2, 0])
def test_the_look_up_begins_once_the_session_record_is_written(make_capture, flush_interval):
    capture = make_capture(record_git=True, flush_interval=flush_interval)
    facts = capture.calls.sessions.code_facts
    seen = []

    @capture.trace
    def step(x):
        seen.append(facts.prepared is not None)
        return x + 1

    assert step(1) == 2
    assert seen == [flush_interval > 0], "held back with the start batch, the session record is written at the end"
    assert facts.prepared is None
    facts.wait(30)
    assert not facts.running() and "git" in facts.found
    assert step(2) == 3 and seen[1:] == [False]


def test_a_prepared_look_up_is_started_by_waiting_for_it(tmp_path):
    delivered: list = []
    facts = session.CodeFacts(packages=False, git=True, traced=set())
    assert facts.begin(delivered.append) == {}
    assert facts.prepared is not None and not facts.running() and delivered == []
    assert facts.begin(delivered.append) == {} and delivered == [], "prepared once"
    facts.wait(30)
    assert facts.prepared is None and not facts.running() and "git" in facts.found


def test_a_thread_prepared_ahead_runs_what_it_is_handed():
    from logprov.capture import flusher

    flusher.prepare_threads()
    prepared = {thread.ident for thread in flusher._idle}
    assert len(prepared) == 2
    flusher.prepare_threads()
    assert {thread.ident for thread in flusher._idle} == prepared, "at most two idle threads"
    ran, done = [], threading.Event()

    def target(value):
        ran.append((value, threading.get_ident()))
        done.set()

    ident = start_thread(target, 5)
    assert ident in prepared and len(flusher._idle) == 1
    assert done.wait(10) and ran == [(5, ident)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_threads_of_its_own():
    from logprov.capture import flusher

    flusher.prepare_threads()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            done = threading.Event()
            idle = len(flusher._idle)
            start_thread(done.set)
            os.write(write, b"%d %d" % (idle, done.wait(10)))
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 100)
    os.waitpid(child, 0)
    assert answer == b"0 1", "no idle thread of the parent in the child; a new thread runs the work"
