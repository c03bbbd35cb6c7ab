"""`logprov.handlers.StoreHandler`: records shipped to a store from a background thread, the
traced code never waiting for it, and a log file when the store cannot be reached."""

from __future__ import annotations

import sqlite3
import warnings

import pytest

import logprov.query
from logprov.handlers import StoreFallbackWarning, StoreHandler
from analyses import FILES, fit_spectrum, reduce_events
from storelogs import entity_answers


def traced_run(make_capture, tmp_path, handler):
    """Trace two calls and a failing one, through ``handler`` and a log file; return the file."""
    log = tmp_path / "same.log"
    capture = make_capture(FILES, log_filename=str(log), log_returned_result=False)
    capture.logger.addHandler(handler)
    reduce, fit = capture.trace(reduce_events), capture.trace(fit_spectrum)
    events = tmp_path / "events.json"
    events.write_text("[0.4, 0.7, 1.1, 2.5, 3.0]")
    spectrum = tmp_path / "spectrum.json"
    reduce(str(events), [0.3, 1.0, 3.0], str(spectrum))
    fit(str(spectrum), str(tmp_path / "fit.json"), method="lsq", options={})
    with pytest.raises(ValueError):
        fit(str(spectrum), str(tmp_path / "failed.json"), method="simplex")
    capture.end_session()
    return log


def test_records_shipped_to_the_store_answer_like_the_log(make_capture, tmp_path, store):
    handler = StoreHandler(store, fallback=tmp_path / "fallback.log", interval=0.05)
    log = traced_run(make_capture, tmp_path, handler)
    handler.flush()
    with logprov.query.open(log, index=False) as memory, logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)
        assert stored.records == memory.records
    handler.close()
    assert not (tmp_path / "fallback.log").exists()


def test_an_unreachable_store_falls_back_to_the_log_file_and_says_so_once(make_capture, tmp_path):
    fallback = tmp_path / "fallback.log"
    handler = StoreHandler("postgresql://nobody:secret-word@/prov?host=/nonexistent-socket-folder&port=1",
                           fallback=fallback, interval=0.05, batch=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = traced_run(make_capture, tmp_path, handler)
        handler.close()
    said = [str(w.message) for w in caught if issubclass(w.category, StoreFallbackWarning)]
    assert len(said) == 1 and str(fallback) in said[0] and "secret-word" not in said[0]
    with logprov.query.open(log, index=False) as logged, logprov.query.open(fallback, index=False) as kept:
        assert entity_answers(kept) == entity_answers(logged)


def test_logging_does_not_wait_for_a_store_that_is_busy(make_capture, tmp_path):
    address = str(tmp_path / "prov.db")
    seed = StoreHandler(address, fallback=tmp_path / "unused.log", interval=0.01)
    seed.write_message("INFO x nothing")
    seed.close()
    blocker = sqlite3.connect(address, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    handler = StoreHandler(address, fallback=tmp_path / "fallback.log", interval=0.01)
    try:
        log = traced_run(make_capture, tmp_path, handler)
        assert blocker.execute("SELECT count(*) FROM activity").fetchone()[0] == 0
    finally:
        blocker.rollback()
        blocker.close()
    handler.flush()
    with logprov.query.open(log, index=False) as memory, logprov.query.open(store=address) as stored:
        assert stored.counts() == memory.counts()
    handler.close()
    assert not (tmp_path / "fallback.log").exists()
