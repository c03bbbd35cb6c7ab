"""The one resolver of log sources: reading and queries take the same files, in the same order."""

from __future__ import annotations

import os

import pytest

import logprov.query
from logprov.reading.reader import iter_records, source_names
from logprov.reading.sources import resolve

from logs import SyntheticLog, make_id

#: Log files, as named in the folder, and the order they are read in: each rotated copy of a
#: log before it, oldest first, the numbered copies before the dated ones.
NAMES = ["prov.log", "prov.log.1", "prov.log.2.gz", "prov.log.10", "app.log", "app.log.2026-11-21",
         "app.log-20261120", "other.log"]
READ = ["app.log-20261120", "app.log.2026-11-21", "app.log", "other.log", "prov.log.10", "prov.log.2.gz",
        "prov.log.1", "prov.log"]


@pytest.fixture
def folder(tmp_path):
    """One session per log file, numbered by the place of the file in `NAMES`."""
    for number, name in enumerate(NAMES):
        log = SyntheticLog()
        log.session(number)
        log.write(tmp_path / name)
    return tmp_path


def sessions_read(records) -> list:
    return [NAMES[[make_id(n) for n in range(len(NAMES))].index(r.session)] for r in records if r.session]


@pytest.mark.parametrize("sources", [
    ["*.log*"],
    ["*.log*", "prov.log", "app.log"],
    ["prov.log", "*.log*"],
], ids=["pattern", "pattern and files again", "file then pattern"])
def test_reading_and_queries_take_the_same_files_in_the_same_order(folder, sources, monkeypatch):
    monkeypatch.chdir(folder)
    expected = READ if sources[0] != "prov.log" else ["prov.log"] + [name for name in READ if name != "prov.log"]
    paths = [str(folder / name) for name in expected]
    assert [os.path.abspath(name) for name in source_names(sources)] == paths
    assert [log.path for log in resolve(sources)] == paths
    assert sessions_read(iter_records(sources)) == expected
    for index in (True, False):
        with logprov.query.open(sources, index=index) as provenance:
            assert [log.path for log in provenance.files] == paths
            assert provenance.records == len(NAMES)
            assert {s.id for s in provenance.sessions()} == {make_id(number) for number in range(len(NAMES))}
