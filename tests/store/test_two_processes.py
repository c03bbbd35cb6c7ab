"""A log read by a second process while the loader writes gives the rows of a load in one
process; a second process that dies leaves whole batches, and the load goes on without it."""

from __future__ import annotations

import io
import os
import signal
import warnings

import pytest

import logprov.query
import logprov.store
from logprov.reading.reader import iter_records
from logprov.store import decoding, loader
from logprov.store.engines import connect
from logprov.store.loader import load_files, ordered_files
from logprov.store.schema import prepare
from analyses import LEGACY
from storelogs import entity_answers, expected_rows, stored_rows, synthetic_log

#: Bytes per batch: small, so that activities start in one batch and end in another.
BATCH = 1500
#: Columns that hold when a row was written, not what was read.
_WHEN = {"source": ("src_loaded",)}


def mixed_log(tmp_path):
    """A log of two sessions with one unreadable line between them."""
    first = synthetic_log(tmp_path / "a.log", 1, calls=15).read_text()
    second = synthetic_log(tmp_path / "b.log", 2, calls=15).read_text()
    path = tmp_path / "mixed.log"
    path.write_text(first + "INFO x _PROV_2026-11-22T10:00:00+00:00_PROV_{\"activity_id\": broken\n" + second)
    return path


def table_rows(address: str) -> dict:
    """Every row of every table of the store at ``address``, in the order they were stored."""
    engine = connect(address)
    try:
        found = {}
        for table in ("source", "session", "activity", "entity", "entity_record", "used", "wasGeneratedBy",
                      "hadMember", "wasDerivedFrom", "note", "source_problem"):
            names = _columns(engine, table)
            keep = [number for number, name in enumerate(names) if name not in _WHEN.get(table, ())]
            found[table] = sorted((tuple(row[n] for n in keep) for row in engine.rows(f"SELECT * FROM {table}")),
                                  key=repr)
        return found
    finally:
        engine.close()


def _columns(engine, table: str) -> list[str]:
    if engine.dialect == "sqlite":
        return [row[1] for row in engine.rows(f"PRAGMA table_info({table})")]
    return [row[0] for row in engine.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        (table.lower(),))]


def load(address: str, logs, beside: bool, monkeypatch) -> tuple[list, list]:
    """Load ``logs``; return the warnings, and the records and lines skipped of each log."""
    monkeypatch.setattr(loader, "BESIDE_BYTES", 0 if beside else 1 << 62)
    # A log's change time is stored once it is SETTLE_SECONDS old: with none to wait, every
    # load stores it, however long the loads before it took.
    monkeypatch.setattr(loader, "SETTLE_SECONDS", 0)
    engine = connect(address)
    try:
        prepare(engine)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            done = load_files(engine, ordered_files([str(log) for log in logs]), batch_bytes=BATCH)
        return sorted(str(w.message) for w in caught), [(found.records, found.skipped) for found in done]
    finally:
        engine.close()


@pytest.mark.parametrize("legacy_first", [False, True])
def test_a_store_loaded_in_two_processes_holds_the_rows_of_one(store, tmp_path, monkeypatch, legacy_first):
    logs = [mixed_log(tmp_path), LEGACY][::-1 if legacy_first else 1]
    single = str(tmp_path / "single.db")
    warned_once, counted_once = load(single, logs, False, monkeypatch)
    warned_beside, counted_beside = load(store, logs, True, monkeypatch)
    assert warned_beside == warned_once and any("broken" in text or "skipped" in text for text in warned_once)
    assert counted_beside == counted_once and any(skipped for _, skipped in counted_once)
    assert table_rows(store) == table_rows(single)
    assert stored_rows(store) == expected_rows(logs)
    with logprov.query.open([str(log) for log in logs], index=False) as memory, \
            logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)
        assert stored.records == sum(1 for _ in iter_records([str(log) for log in logs]))


def test_only_a_large_new_first_log_is_read_beside(tmp_path, monkeypatch):
    started = []
    original = decoding.DecodingWorker.__init__

    def counting(self, path, end, batch_bytes):
        started.append(path)
        original(self, path, end, batch_bytes)

    monkeypatch.setattr(decoding.DecodingWorker, "__init__", counting)
    logs = [synthetic_log(tmp_path / f"job{n}.log", n, calls=10) for n in (1, 2)]
    monkeypatch.setattr(loader, "BESIDE_BYTES", os.path.getsize(logs[0]))
    address = str(tmp_path / "prov.db")
    logprov.store.load(logs, address)
    assert started == [str(logs[0])]
    with logs[0].open("a") as stream:
        stream.write(logs[1].read_text())
    logprov.store.load(logs, address)
    assert started == [str(logs[0])]
    monkeypatch.setattr(loader, "BESIDE_BYTES", os.path.getsize(logs[0]) + 1)
    logprov.store.load(logs, str(tmp_path / "other.db"))
    assert started == [str(logs[0])]


def test_a_second_process_killed_mid_load_leaves_whole_batches_and_the_load_ends_in_one(store, tmp_path,
                                                                                       monkeypatch):
    log = synthetic_log(tmp_path / "prov.log", 4, calls=30)
    original = decoding.DecodingWorker.batches
    seen = []

    def killed_after_two(self):
        for batch in original(self):
            seen.append(batch.position)
            if len(seen) == 2:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
            yield batch

    monkeypatch.setattr(decoding.DecodingWorker, "batches", killed_after_two)
    load(store, [log], True, monkeypatch)
    assert len(seen) >= 2 and seen[-1] < os.path.getsize(log)
    single = str(tmp_path / "single.db")
    load(single, [log], False, monkeypatch)
    assert stored_rows(store) == expected_rows([log])
    assert table_rows(store)["activity"] == table_rows(single)["activity"]
    with logprov.query.open(log, index=False) as memory, logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)


def batch_count(log, batch_bytes: int, folder) -> int:
    """The batches the second process hands over for ``log``, counted by running it here."""
    out = io.BytesIO()
    decoding.decode_batches(str(log), os.path.getsize(log), batch_bytes, str(folder), out, io.BytesIO(b"." * 100))
    return len(out.getvalue()) // 8


def test_a_second_process_that_ended_before_its_last_batches_were_taken_hands_them_over(tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 8, calls=6)
    size = os.path.getsize(log)
    batch_bytes = size // 3
    (tmp_path / "frames").mkdir()
    assert batch_count(log, batch_bytes, tmp_path / "frames") == 3
    taken = []
    with decoding.DecodingWorker(str(log), size, batch_bytes) as worker:
        for batch in worker.batches():
            taken.append(batch)
            if len(taken) == 1:
                # With the first batch taken, the process writes the two others and ends
                # before this one takes the second.
                assert worker.process.wait(timeout=60) == 0
    assert [batch.final for batch in taken] == [False, False, True] and taken[-1].position == size


def test_a_second_process_that_cannot_start_leaves_the_load_to_this_one(tmp_path, monkeypatch):
    log = synthetic_log(tmp_path / "prov.log", 5, calls=8)
    monkeypatch.setattr(decoding.sys, "executable", "")
    address = str(tmp_path / "prov.db")
    load(address, [log], True, monkeypatch)
    assert stored_rows(address) == expected_rows([log])


def test_the_rows_taken_from_a_writer_are_its_rows(tmp_path):
    from logprov.query.facts import FactReader
    from logprov.store.writer import StoreWriter

    log = synthetic_log(tmp_path / "prov.log", 6, calls=4)
    writer = StoreWriter(None, appending=False)
    FactReader(writer).add_all(iter_records(str(log)))
    activities = dict(writer.activities)
    pending = writer.take_pending()
    assert pending["activities"] == activities and not writer.activities
    assert set(writer.seen) == set(activities)
    with pytest.raises(ValueError, match="no store"):
        writer.flush()
    other = StoreWriter(None)
    other.put_pending(pending)
    with pytest.raises(ValueError, match="rows of its own"):
        other.put_pending(pending)


def test_the_second_process_is_started_without_the_capture_of_its_parent(tmp_path, monkeypatch):
    from logprov.capture import children

    assert decoding.CHILD_STATE == children.ENV_VAR
    monkeypatch.setenv(children.ENV_VAR, str(tmp_path / "missing-state.json"))
    log = synthetic_log(tmp_path / "prov.log", 7, calls=6)
    worker = decoding.DecodingWorker(str(log), os.path.getsize(log), BATCH)
    with worker:
        batches = list(worker.batches())
        _, err = worker.process.communicate()
    assert batches[-1].final and batches[-1].position == os.path.getsize(log)
    assert b"not captured" not in err and err == b""


def test_a_log_rewritten_while_a_second_process_reads_it_is_found_changed_by_the_next_load(store, tmp_path,
                                                                                          monkeypatch):
    log = synthetic_log(tmp_path / "prov.log", 4, calls=30)
    original = log.read_bytes()
    kept = tmp_path / "original.log"
    kept.write_bytes(original)
    name = b'"name":"seed"'
    at = original.index(name)
    assert original.index(b"\n") < at < BATCH
    edited = []
    batches = decoding.DecodingWorker.batches

    def rewritten_after_the_first(self):
        for batch in batches(self):
            if not edited:
                # The second process read these bytes: they change before this one stores them.
                assert batch.position > at
                with log.open("r+b") as stream:
                    stream.seek(at)
                    stream.write(b'"name":"sEed"')
                edited.append(batch.position)
            yield batch

    monkeypatch.setattr(decoding.DecodingWorker, "batches", rewritten_after_the_first)
    load(store, [log], True, monkeypatch)
    assert edited and os.path.getsize(log) == len(original)
    assert stored_rows(store) == expected_rows([kept])
    engine = connect(store)
    try:
        assert engine.rows("SELECT act_name FROM activity WHERE act_name IN ('seed', 'sEed')") == [("seed",)]
    finally:
        engine.close()
    with pytest.raises(logprov.store.SourceChanged, match="changed since it was loaded"):
        logprov.store.load(log, store)
    log.write_bytes(original)
    assert [done.state for done in logprov.store.load(log, store)] == ["unchanged"]
