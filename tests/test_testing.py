"""logprov.testing: collecting the records of a capture, the default one without an argument."""

from __future__ import annotations

import pytest

import logprov
import logprov.capture.default
from logprov.reading.reader import iter_records
from logprov.testing import collect_records


@pytest.fixture
def default_capture(tmp_path, monkeypatch):
    """Make a fresh default capture writing to a log of its own, and forget it afterwards."""
    monkeypatch.setattr(logprov.capture.default, "_default", None)
    log = tmp_path / "default.log"
    capture = logprov.configure(config={"log_filename": str(log), "logger_name": "logprov.test-default",
                                        "record_git": False, "record_packages": False})
    yield capture
    for handler in list(capture.logger.handlers):
        handler.close()
        capture.logger.removeHandler(handler)


def test_collect_records_without_argument_collects_the_default_capture(default_capture):
    @logprov.trace
    def reduce_counts(counts):
        return sum(counts)

    with collect_records() as log:
        assert reduce_counts([1, 2, 3]) == 6
        logprov.note("looked fine")
    assert [a["name"] for a in log.activities()] == ["reduce_counts"]
    assert len(log.of_kind("note")) == 1 and len(log.of_kind("end")) == 1
    assert log.warnings == []
    written = [record.data for record in iter_records(default_capture.config.log_filename)]
    assert log.records == written


def test_collect_records_without_argument_takes_only_the_default_capture_and_lets_go(default_capture, make_capture):
    other = make_capture()

    @other.trace
    def elsewhere():
        return 1

    @logprov.trace
    def here():
        return 2

    with collect_records() as default_log, collect_records(other) as other_log:
        elsewhere()
        here()
    assert [a["name"] for a in default_log.activities()] == ["here"]
    assert [a["name"] for a in other_log.activities()] == ["elsewhere"]
    assert default_capture.logger.handlers and all(
        type(handler).__name__ != "RecordCollector" for handler in default_capture.logger.handlers
    )
