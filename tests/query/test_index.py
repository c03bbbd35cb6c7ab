"""An index that cannot lie or jam: checked against its logs by content, rebuilt when it does not match."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import logprov.query
from logprov.query import IndexWarning
from logprov.reading.reader import LogReadWarning
from logprov.query import cache as index_cache
from logprov.store import loader as store_loader
from logs import SyntheticLog, value_entity

COMMAND = [sys.executable, "-c", "import sys; from logprov.cli import main; sys.exit(main())"]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LOGPROV_CACHE", str(folder))
    return folder


@pytest.fixture(params=["recent", "settled"])
def settled(request, monkeypatch):
    """Index files whose change time is recent (hashed again on every use) or trusted."""
    if request.param == "settled":
        monkeypatch.setattr(store_loader, "SETTLE_SECONDS", -1.0)
    return request.param


def write_log(path: Path, names: list[str], statuses: list[str] | None = None) -> Path:
    log = SyntheticLog()
    session = log.session(1)
    for number, name in enumerate(names):
        status = statuses[number] if statuses else "success"
        log.call(session, name, generated=[(value_entity(session, f"v{number}", number), "out")],
                 parameters={"index": number}, status=status)
    log.write(path)
    return path


def activity_names(log: Path, **options) -> list[str]:
    with logprov.query.open(log, **options) as provenance:
        return sorted(a.name for a in provenance.find_activities())


def statuses(log: Path) -> dict:
    with logprov.query.open(log) as provenance:
        return {a.name: a.status for a in provenance.find_activities()}


def index_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, IndexWarning)]


def test_a_log_copied_over_with_the_same_size_and_mtime_is_not_answered_from_the_old_index(tmp_path, settled):
    log = write_log(tmp_path / "prov.log", ["alpha_1", "alpha_2"])
    other = write_log(tmp_path / "other.log", ["gamma_1", "gamma_2"])
    assert log.stat().st_size == other.stat().st_size
    assert activity_names(log) == ["alpha_1", "alpha_2"]
    before = log.stat()
    shutil.copyfile(other, log)
    os.utime(log, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (log.stat().st_size, log.stat().st_mtime_ns, log.stat().st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert activity_names(log) == ["gamma_1", "gamma_2"]
    assert len(index_warnings(caught)) == 1 and "changed since it was loaded" in index_warnings(caught)[0]
    assert activity_names(log) == activity_names(log, index=False)


def test_a_log_replaced_by_rename_with_the_same_size_and_mtime(tmp_path, settled):
    log = write_log(tmp_path / "prov.log", ["alpha_1"])
    other = write_log(tmp_path / "other.log", ["gamma_1"])
    assert activity_names(log) == ["alpha_1"]
    stamp = log.stat().st_mtime_ns
    os.utime(other, ns=(stamp, stamp))
    os.replace(other, log)
    with pytest.warns(IndexWarning):
        assert activity_names(log) == ["gamma_1"]


def test_a_log_edited_past_its_first_blocks_then_grown(tmp_path, settled):
    names = [f"step_{n:03d}" for n in range(60)]
    log = write_log(tmp_path / "prov.log", names)
    assert log.stat().st_size > 4 * 4096
    assert statuses(log)["step_050"] == "success"
    text = log.read_text()
    position = text.index('"name":"step_050"')
    log.write_text(text[:position] + text[position:].replace('"status":"success"', '"status":"failed"', 1))
    grown = SyntheticLog()
    grown.clock = 10_000
    grown.counter = 10_000
    session = grown.session(2)
    grown.call(session, "later", generated=[(value_entity(session, "w", 1), "out")])
    with open(log, "a") as stream:
        stream.write(grown.text())
    with pytest.warns(IndexWarning, match="changed since it was loaded"):
        found = statuses(log)
    assert found["step_050"] == "failed" and found["later"] == "success"
    with logprov.query.open(log, index=False) as provenance:
        assert found == {a.name: a.status for a in provenance.find_activities()}


def test_a_log_that_only_grew_is_extended_without_a_warning(tmp_path, settled):
    log = write_log(tmp_path / "prov.log", ["first"])
    with logprov.query.open(log) as provenance:
        inode = provenance.index.stat().st_ino
    grown = SyntheticLog()
    grown.clock = 10_000
    grown.counter = 10_000
    session = grown.session(2)
    grown.call(session, "second", generated=[(value_entity(session, "w", 1), "out")])
    with open(log, "a") as stream:
        stream.write(grown.text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with logprov.query.open(log) as provenance:
            assert sorted(a.name for a in provenance.find_activities()) == ["first", "second"]
            assert provenance.index.stat().st_ino == inode


@pytest.mark.parametrize("damage", ["random", "start", "middle", "truncated", "empty"])
def test_a_damaged_index_is_rebuilt_with_one_warning(tmp_path, capsys, damage):
    log = write_log(tmp_path / "prov.log", ["alpha_1", "alpha_2"])
    with logprov.query.open(log) as provenance:
        index = provenance.index
    data = index.read_bytes()
    noise = os.urandom(len(data))
    damaged = {"random": noise, "start": noise[:4096] + data[4096:],
               "middle": data[: len(data) // 4] + noise[len(data) // 4:], "truncated": data[: len(data) // 3],
               "empty": b""}[damage]
    index.write_bytes(damaged)
    from logprov.cli import main

    status = main(["search", str(log), "--activity", "alpha_*", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert sorted(json.loads(line)["activity"]["name"] for line in out.splitlines()) == ["alpha_1", "alpha_2"]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("logprov: warning: the index"), err
    assert main(["search", str(log), "--activity", "alpha_*", "--json"]) == 0
    assert capsys.readouterr().err == ""


def test_concurrent_builders_and_extenders_stay_consistent(tmp_path, cache):
    names = [f"step_{n:03d}" for n in range(300)]
    log = write_log(tmp_path / "prov.log", names)
    env = {**os.environ, "LOGPROV_CACHE": str(cache)}

    def together(argv: list[str]) -> None:
        processes = [subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                     for _ in range(2)]
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err.decode()
            assert b"Traceback" not in err

    together(["index", str(log), "--json"])
    grown = SyntheticLog()
    grown.clock = 100_000
    grown.counter = 10_000
    session = grown.session(2)
    for number in range(100):
        grown.call(session, f"more_{number:03d}", generated=[(value_entity(session, f"m{number}", number), "out")])
    with open(log, "a") as stream:
        stream.write(grown.text())
    together(["search", str(log), "--activity", "more_*", "--json"])
    with logprov.query.open(log) as indexed, logprov.query.open(log, index=False) as memory:
        assert indexed.index is not None
        assert indexed.records == memory.records
        assert indexed.counts() == memory.counts()
        assert sorted(a.name for a in indexed.find_activities()) == sorted(a.name for a in memory.find_activities())


def test_a_log_growing_while_its_index_is_built_is_indexed_once(tmp_path, monkeypatch):
    log = write_log(tmp_path / "prov.log", ["first"])
    grown = SyntheticLog()
    grown.clock = 10_000
    grown.counter = 10_000
    session = grown.session(2)
    grown.call(session, "second", generated=[(value_entity(session, "w", 1), "out")])
    end_of_lines = store_loader.last_line_end

    def end_then_grow(path, size):
        end = end_of_lines(path, size)
        with open(log, "a") as stream:
            stream.write(grown.text())
        monkeypatch.setattr(store_loader, "last_line_end", end_of_lines)
        return end

    monkeypatch.setattr(store_loader, "last_line_end", end_then_grow)
    with logprov.query.open(log) as indexed:
        with logprov.query.open(log, index=False) as memory:
            assert indexed.records == memory.records
            assert indexed.counts() == memory.counts()
        assert sorted(a.name for a in indexed.find_activities()) == ["first", "second"]


def index_rows(path: Path) -> dict:
    """The rows of every table of the index at ``path`` but the load times, and its indexes."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {table: connection.execute(f"SELECT * FROM {table}").fetchall() for table in tables
                 if table != "source"}
        found["source"] = connection.execute("SELECT src_key, src_path, src_offset, src_digest, src_legacy, "
                                             "src_records, src_skipped, src_lines FROM source").fetchall()
        found["schema"] = sorted(connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall(),
                                 key=repr)
        return found
    finally:
        connection.close()


def test_an_index_built_in_two_processes_is_the_index_built_in_one(tmp_path, cache, monkeypatch):
    names = [f"step_{n:03d}" for n in range(200)]
    log = write_log(tmp_path / "prov.log", names, ["failed" if n % 7 == 0 else "success" for n in range(200)])
    built = {}
    for beside, folder in ((False, cache / "one"), (True, cache / "two")):
        monkeypatch.setattr(store_loader, "BESIDE_BYTES", 0 if beside else 1 << 62)
        monkeypatch.setattr(store_loader, "BATCH_BYTES", 4000)
        with logprov.query.open(log, cache=folder) as indexed:
            assert indexed.index is not None
            built[beside] = index_rows(indexed.index)
            answers = (indexed.counts(), [m.to_dict() for m in indexed.search(activity="step_0*", status="failed")])
        with logprov.query.open(log, index=False) as memory:
            assert answers == (memory.counts(),
                               [m.to_dict() for m in memory.search(activity="step_0*", status="failed")])
    assert built[True] == built[False]
    assert len(built[True]["activity"]) == 200


KILLED_BUILD = """
import os, signal, sys
import logprov.query
from logprov.store import decoding, engines, loader

started = decoding.DecodingWorker.__init__
def noted(self, *args):
    started(self, *args)
    print(self.process.pid, flush=True)
decoding.DecodingWorker.__init__ = noted
loader.BESIDE_BYTES = 0
loader.BATCH_BYTES = 3000
appended = 0
def dying(self, table, columns, rows, original=engines.SQLiteEngine.append):
    global appended
    original(self, table, columns, rows)
    appended += 1
    if appended == 12:
        os.kill(os.getpid(), signal.SIGKILL)
engines.SQLiteEngine.append = dying
logprov.query.open(sys.argv[1])
"""


def ended(pid: int, seconds: float = 60.0) -> bool:
    """Return True once process ``pid`` is gone or a zombie, False if it still runs after ``seconds``."""
    import time

    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_a_build_killed_midway_leaves_no_index_and_the_next_build_is_whole(tmp_path, cache):
    log = write_log(tmp_path / "prov.log", [f"step_{n:03d}" for n in range(200)])
    done = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(log)], capture_output=True, text=True,
                          env={**os.environ, "LOGPROV_CACHE": str(cache)}, timeout=300)
    assert done.returncode == -9, done.stderr
    worker = int(done.stdout.split()[0])
    assert ended(worker) or not Path("/proc/self").exists()
    left = sorted(p.name for p in cache.iterdir())
    assert left and all(name.endswith(".tmp") for name in left), left
    with warnings.catch_warnings():
        warnings.simplefilter("error", IndexWarning)
        with logprov.query.open(log) as indexed, logprov.query.open(log, index=False) as memory:
            assert indexed.index is not None and indexed.index.exists()
            assert indexed.records == memory.records
            assert indexed.counts() == memory.counts()
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("beside", [False, True])
def test_a_value_holding_a_unicode_line_separator_is_indexed_as_the_reader_reads_it(tmp_path, monkeypatch, beside):
    monkeypatch.setattr(store_loader, "BESIDE_BYTES", 0 if beside else 1 << 62)
    log = SyntheticLog()
    session = log.session(1)
    log.call(session, "split", parameters={"text": "one\u2028two\u2029three\x85four"})
    log.message("a message with a carriage return\rin its middle")
    log.call(session, "after")
    path = tmp_path / "prov.log"
    text = log.text().replace("\\u2028", "\u2028").replace("\\u2029", "\u2029").replace("\\u0085", "\x85")
    path.write_bytes(text.encode("utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with logprov.query.open(path) as indexed, logprov.query.open(path, index=False) as memory:
            assert [a.to_dict() for a in indexed.find_activities()] == [a.to_dict() for a in memory.find_activities()]
            assert indexed.records == memory.records
            [split] = indexed.find_activities(name="split")
            assert split.parameters == {"text": "one\u2028two\u2029three\x85four"}


#: Lines a log can hold that the reader skips: a record cut short, a record whose timestamp
#: is missing, a record cut short with the next one appended to it.
DAMAGED = (
    'INFO x _PROV_2026-11-22T10:00:00+00:00_PROV_{"activity_id": "cut',
    "INFO x _PROV_ garbled",
    'INFO x _PROV_2026-11-22T10:00:00+00:00_PROV_{"activity_id": "c'
    '_PROV_2026-11-22T10:00:01+00:00_PROV_{"session_id": "s"}',
)


def damaged_log(path: Path, names: list[str], every: int, session: int = 1) -> Path:
    """A log of a session ``session`` running ``names``, with a damaged line after every
    ``every`` of its lines."""
    log = SyntheticLog()
    started = log.session(session)
    for name in names:
        log.call(started, name, generated=[(value_entity(started, name, 1), "out")])
    out = []
    for number, line in enumerate(log.lines, 1):
        out.append(line + "\n")
        if number % every == 0:
            out.append(DAMAGED[(number // every) % len(DAMAGED)] + "\n")
    path.write_text("".join(out))
    return path


def read_warnings(sources, **options) -> list[str]:
    """The `LogReadWarning` messages of a query of ``sources``, in order."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with logprov.query.open(sources, **options) as provenance:
            provenance.counts()
    return [str(w.message) for w in caught if issubclass(w.category, LogReadWarning)]


@pytest.mark.parametrize("beside", [False, True])
@pytest.mark.parametrize("order", [1, -1])
def test_every_use_of_an_index_warns_about_the_skipped_lines_as_a_read_of_the_logs_does(
        tmp_path, monkeypatch, settled, beside, order):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(store_loader, "BESIDE_BYTES", 0 if beside else 1 << 62)
    monkeypatch.setattr(store_loader, "BATCH_BYTES", 2000)
    many = damaged_log(Path("many.log"), [f"step_{n:02d}" for n in range(12)], 2)
    few = damaged_log(Path("few.log"), ["alpha", "beta"], 3, session=2)
    logs = [str(many), str(few)][::order]
    damaged = [sum(line in DAMAGED for line in Path(log).read_text().splitlines()) for log in logs]
    expected = read_warnings(logs, index=False)
    assert len(expected) == 11 and expected[-1].startswith(
        f"{sum(damaged) - 10} more unreadable provenance lines skipped ({sum(damaged)} in all)")
    first = min(10, damaged[0])
    assert [text.split(":")[0] for text in expected[:-1]] == [logs[0]] * first + [logs[1]] * (10 - first)
    assert read_warnings(logs) == expected
    assert read_warnings(logs) == expected
    assert read_warnings(few) == read_warnings(few, index=False)


def test_a_damaged_line_appended_to_an_indexed_log_adds_its_warning(tmp_path, monkeypatch, settled):
    monkeypatch.chdir(tmp_path)
    log = damaged_log(Path("prov.log"), ["first", "second"], 4)
    first = read_warnings(log)
    assert first and len(first) < 10
    grown = SyntheticLog()
    grown.clock = 10_000
    grown.counter = 10_000
    session = grown.session(2)
    grown.call(session, "third", generated=[(value_entity(session, "w", 1), "out")])
    grown.raw(DAMAGED[1])
    grown.call(session, "fourth")
    lines = len(log.read_text().splitlines())
    with open(log, "a") as stream:
        stream.write(grown.text())
    found = read_warnings(log)
    assert found == read_warnings(log, index=False) == read_warnings(log)
    assert found[:-1] == first
    assert found[-1].startswith(f"prov.log:{lines + grown.lines.index(DAMAGED[1]) + 1}: skipped: no timestamp")


def test_a_rebuilt_index_warns_about_the_damaged_lines_of_the_log_only(tmp_path):
    log = damaged_log(tmp_path / "prov.log", ["first", "second", "third"], 4)
    before = read_warnings(log)
    assert len(before) >= 2 and read_warnings(log) == before

    def repair(count: int) -> None:
        lines = log.read_text().splitlines(keepends=True)
        for position in [n for n, line in enumerate(lines) if line.rstrip("\n") in DAMAGED][:count]:
            lines[position] = "INFO x a message\n"
        log.write_text("".join(lines))

    repair(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with logprov.query.open(log) as provenance:
            provenance.counts()
    assert any("rebuilding it" in text for text in index_warnings(caught))
    left = [str(w.message) for w in caught if issubclass(w.category, LogReadWarning)]
    assert left == before[1:] == read_warnings(log, index=False) == read_warnings(log)
    repair(len(before))
    assert read_warnings(log) == read_warnings(log, index=False) == []


def test_a_last_line_cut_short_is_warned_about_by_every_use_of_the_index(tmp_path, monkeypatch, settled):
    monkeypatch.chdir(tmp_path)
    log = write_log(Path("prov.log"), ["first", "second"])
    with open(log, "a") as stream:
        stream.write(DAMAGED[0])
    cut = read_warnings(log, index=False)
    assert len(cut) == 1 and "skipped: last line cut short (no end of line)" in cut[0]
    assert read_warnings(log) == cut == read_warnings(log)
    only = Path("only.log")
    only.write_text(DAMAGED[0])
    reason = cut[0].split(": skipped: ", 1)[1]
    assert read_warnings([log, only]) == read_warnings([log, only], index=False) == [
        cut[0], f"only.log:1: skipped: {reason}"]
    grown = SyntheticLog()
    grown.clock = 10_000
    grown.counter = 10_000
    grown.call(grown.session(2), "third")
    with open(log, "a") as stream:
        stream.write("\n" + grown.text())
    [ended] = read_warnings(log)
    assert ended.startswith(cut[0].split(" skipped")[0]) and "cut short" not in ended
    assert read_warnings(log) == read_warnings(log, index=False) == [ended]
