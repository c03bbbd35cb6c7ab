"""Tests of logprov.reading.kinds: sources recognised by their content, wherever logs are read."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

import logprov.query
from logprov.reading import kinds as sourcekinds
from logprov.records.lines import record_lines
from logprov.cli import main
from logprov.errors import LogReadError
from logprov.reading.reader import iter_records

from logs import two_session_log


@pytest.fixture
def two_sessions(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "prov.log"
    return path, two_session_log(path)


def test_a_log_is_recognised_by_content_whatever_its_name(two_sessions, tmp_path):
    path, _ = two_sessions
    renamed = tmp_path / "records.dat"
    renamed.write_bytes(gzip.compress(path.read_bytes()))
    assert sourcekinds.kinds_of(str(path)) == [sourcekinds.LOG]
    assert sourcekinds.kinds_of(str(renamed)) == [sourcekinds.LOG]
    assert [r.data for r in iter_records(renamed)] == [r.data for r in iter_records(path)]


def fits_header(*cards: str) -> bytes:
    text = "".join(card.ljust(80) for card in cards + ("END",))
    return text.ljust(-(-len(text) // 2880) * 2880).encode("ascii")


BARE_FITS = fits_header("SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0")


@pytest.mark.parametrize("content, what", [
    (bytes(range(256)) * 16, "not a provenance source: binary content"),
    (b"\x89HDF\r\n\x1a\n" + b"\0" * 600, "damaged HDF5 file: h5py cannot open it"),
    (BARE_FITS, "not a provenance source: a FITS file without logprov's PROVENANCE extension"),
    (BARE_FITS[:1000], "FITS header of the HDU at byte 0 cut short"),
])
def test_a_file_of_no_kind_is_refused_with_its_name(tmp_path, content, what, capsys):
    path = tmp_path / "image.bin"
    path.write_bytes(content)
    with pytest.raises(LogReadError, match=what) as caught:
        list(iter_records(path))
    assert str(path) in str(caught.value)
    with pytest.raises(LogReadError, match=what):
        logprov.query.open(str(path), index=False)
    for command in (["export", str(path)], ["sessions", str(path)], ["search", str(path), "--activity", "x"],
                    ["graph", str(path), "-o", str(tmp_path / "g.svg")], ["lineage", str(path), "obs:1"]):
        assert main(command) == 2
        error = capsys.readouterr().err
        assert str(path) in error and what in error, command


def test_a_registered_kind_feeds_every_reader(two_sessions, tmp_path, capsys):
    path, ids = two_sessions
    original = list(iter_records(path))
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"format": "test-records",
                                   "records": [[r.timestamp, r.data] for r in original]}))

    def sniff(name: str, head: bytes) -> bool:
        return head.startswith(b'{"format": "test-records"')

    def open_foreign(name: str):
        import contextlib

        pairs = json.loads(Path(name).read_text())["records"]
        return contextlib.nullcontext(record_lines(pairs))

    kind = sourcekinds.SourceKind("test records", sniff, open_foreign, order=10)
    sourcekinds.register(kind)
    try:
        assert sourcekinds.kinds_of(str(foreign)) == [kind]
        assert [r.data for r in iter_records(foreign)] == [r.data for r in original]
        with logprov.query.open(str(foreign), cache=tmp_path / "cache") as provenance:
            assert sorted(a.name for a in provenance.find_activities()) == ["make_input", "read_table", "write_table"]
            assert ids["x"] in {e.logged_id for e in provenance.lineage(ids["y"]).entities.values()}
        assert main(["sessions", str(foreign), "--json"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 2
    finally:
        sourcekinds._KINDS.remove(kind)
    assert sourcekinds.kinds_of(str(foreign)) == [sourcekinds.LOG]


def test_records_written_by_record_lines_read_back_exactly(two_sessions):
    path, _ = two_sessions
    original = list(iter_records(path))
    lines = list(record_lines((r.timestamp, r.data) for r in original))
    again = list(iter_records(io.StringIO("".join(lines))))
    assert [(r.timestamp, r.data, r.session) for r in again] == [(r.timestamp, r.data, r.session) for r in original]


def test_the_capture_and_the_reader_work_without_astropy_and_h5py(tmp_path):
    script = tmp_path / "run.py"
    script.write_text('''
import sys
sys.modules["astropy"] = sys.modules["h5py"] = sys.modules["tables"] = None
import logprov
capture = logprov.ProvCapture(config={"log_filename": "prov.log", "embed_products": True})

@capture.trace
def write(path):
    with open(path, "wb") as stream:
        stream.write(b"SIMPLE  =                    T" + b" " * 2850)
    capture.add_output_file(path, role="image")
    return 3

assert write("image.fits") == 3
records = list(logprov.iter_records("prov.log"))
assert any("generated_id" in r.data for r in records)
print(open("prov.log").read().count("cannot embed the lineage of"))
''')
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
