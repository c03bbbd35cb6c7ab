"""Paths: odd file names, several spellings of one file, symlinks and files that vanish."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from logprov.capture.identity import FileHasher
from logprov.reading.reader import ReadStats, iter_records

DEFINITIONS = {
    "activities": {"load": {"usage": [{"role": "input", "entityType": "File", "location": "path"}]}},
    "entities": {"File": {"type": "File"}},
}

ODD_NAMES = [
    "with space.txt",
    "new\nline.txt",
    "tab\tquote\"back\\slash.txt",
    os.fsdecode(b"latin1-\xe9t\xe9-\xff.txt"),
    "_PROV_2026-01-01T00:00:00_PROV_{}.txt",
    "\u00fcn\u00efc\u00f6d\u00e9-\u6587\u4ef6.txt",
    "n" * 240 + ".txt",
]


def loader(capture):
    """Return a traced function reading the file its definitions describe as input."""

    @capture.trace
    def load(path):
        with open(path, "rb") as stream:
            return len(stream.read())

    return load


def file_id(path) -> str:
    """Return the entity id of the file at ``path`` (its SHA-256 digest)."""
    return "file:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_log(capture) -> list[dict]:
    """Check that each record line of the capture's log is one JSON record and return the records."""
    log = Path(capture.config.log_filename)
    text = log.read_bytes().decode("utf-8")
    lines = text.splitlines()
    assert all(line.startswith(("INFO ", "_PROV_", "WARNING ")) for line in lines)
    payloads = [json.loads(line.split("_PROV_", 2)[2]) for line in lines if not line.startswith("WARNING ")]
    stats = ReadStats()
    records = list(iter_records(log, stats=stats))
    assert stats.skipped == 0 and not any(r.legacy for r in records)
    assert [r.data for r in records] == payloads
    return payloads


def test_odd_file_names_are_recorded(make_capture, records, tmp_path):
    capture = make_capture(DEFINITIONS)
    load = loader(capture)
    paths = []
    for number, name in enumerate(ODD_NAMES):
        path = tmp_path / name
        path.write_bytes(f"content {number}".encode())
        paths.append(str(path))
    with records(capture) as log:
        sizes = [load(path) for path in paths]
        with capture.activity("gather") as activity:
            manual = [activity.add_input_file(path, role="input") for path in paths]
    assert sizes == [len(f"content {n}") for n in range(len(paths))]
    assert log.warnings == []
    assert [r["used_id"] for r in log.of_kind("used")] == [file_id(p) for p in paths] * 2 == manual * 2
    logged = read_log(capture)
    entities = {r["entity_id"]: r["location"] for r in logged if r.get("type") == "File"}
    assert entities == {file_id(path): path for path in paths}


def test_one_file_under_several_spellings_is_one_entity(make_capture, records, tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    data = tmp_path / "data.txt"
    data.write_text("the data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    capture = make_capture(DEFINITIONS)
    load = capture.trace(lambda path: None, name="load")
    spellings = ["data.txt", "./data.txt", "sub/../data.txt", str(data), Path("data.txt"), "~/data.txt",
                 "$DATA_DIR/data.txt", str(tmp_path) + "//sub/..//data.txt"]
    with records(capture) as log:
        for path in spellings:
            load(path)
        with capture.activity("gather") as activity:
            manual = {activity.add_input_file(path) for path in spellings}
    assert manual == {r["used_id"] for r in log.of_kind("used")} == {file_id(data)}
    (entity,) = log.find(type="File")
    assert entity["location"] == str(data)
    read_log(capture)


def test_symlinks_are_their_target_located_at_the_link(make_capture, records, tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("shared content")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "missing.txt")
    capture = make_capture(DEFINITIONS)
    load = loader(capture)
    with records(capture) as log:
        load(link)
        load(target)
        with capture.activity("gather") as activity:
            assert activity.add_input_file(dangling) is None
    assert [r["used_id"] for r in log.of_kind("used")] == [file_id(target)] * 2
    (entity,) = log.find(type="File")
    assert entity["location"] == str(link)
    assert len(log.warnings) == 1 and "dangling.txt" in log.warnings[0]
    read_log(capture)


def test_a_file_vanishing_before_it_is_hashed(make_capture, records, tmp_path, monkeypatch):
    original = FileHasher._hash_file

    def delete_then_hash(self, full):
        os.unlink(full)
        return original(self, full)

    monkeypatch.setattr(FileHasher, "_hash_file", delete_then_hash)
    capture = make_capture(DEFINITIONS)

    @capture.trace
    def load(path):
        return "loaded"

    paths = [tmp_path / f"gone{n}.txt" for n in range(3)]
    for path in paths:
        path.write_text("soon gone")
    with records(capture) as log:
        assert load(paths[0]) == "loaded"
        assert load(paths[0]) == "loaded"
        with capture.activity("gather") as activity:
            assert activity.add_input_file(paths[1]) is None
    assert len(log.activities()) == 3 and [e["status"] for e in log.of_kind("end")] == ["success"] * 3
    assert log.of_kind("used") == [] and log.find(type="File") == []
    assert len(log.warnings) == 2
    assert "gone0.txt" in log.warnings[0] and "gone1.txt" in log.warnings[1]
    read_log(capture)


def test_files_deleted_by_a_racing_thread(make_capture, records, tmp_path):
    capture = make_capture(DEFINITIONS)
    load = capture.trace(lambda path: path, name="load")
    paths = [tmp_path / f"race{n}.txt" for n in range(4)]
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            for number, path in enumerate(paths):
                path.write_text(f"version {number}")
                path.unlink()

    racer = threading.Thread(target=churn)
    racer.start()
    try:
        with records(capture) as log:
            for round_number in range(300):
                path = paths[round_number % len(paths)]
                assert load(path) == path
                with capture.activity("gather") as activity:
                    activity.add_input_file(path)
    finally:
        stop.set()
        racer.join()
    assert len(log.activities()) == 600 and all(e["status"] == "success" for e in log.of_kind("end"))
    described = {r["entity_id"] for r in log.of_kind("entity")}
    assert {r["used_id"] for r in log.of_kind("used")} <= described
    read_log(capture)


def test_a_session_in_a_directory_whose_name_is_not_utf8(tmp_path):
    directory = os.path.join(os.fsencode(tmp_path), b"run-\xff\xfe")
    os.mkdir(directory)
    script = (
        "import logprov\n"
        "capture = logprov.ProvCapture(config={\n"
        "    'log_filename': 'prov.log', 'record_git': False, 'record_packages': False})\n"
        "capture.trace(lambda: 1, name='step')()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=directory, check=True, timeout=60)
    log = os.fsdecode(os.path.join(directory, b"prov.log"))
    stats = ReadStats()
    records = list(iter_records(log, stats=stats))
    assert stats.skipped == 0 and not any(r.legacy for r in records)
    assert records[0].data["system"]["cwd"] == os.fsdecode(directory)
    assert records[0].data["config"]["record_git"] is False


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_does_not_block_the_call(make_capture, records, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    capture = make_capture(DEFINITIONS)
    load = capture.trace(lambda path: "done", name="load")
    with records(capture) as log:
        call = threading.Thread(target=load, args=(pipe,), daemon=True)
        call.start()
        call.join(1)
        try:
            assert not call.is_alive()
        finally:
            if call.is_alive():
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                call.join(5)
    assert [e["status"] for e in log.of_kind("end")] == ["success"]
    assert log.of_kind("used") == [] and len(log.warnings) == 1 and "pipe" in log.warnings[0]


def test_bytes_paths_are_recorded(make_capture, records, tmp_path):
    path = tmp_path / "bytes.txt"
    path.write_text("bytes path")
    capture = make_capture()
    with records(capture) as log, capture.activity("gather") as activity:
        assert activity.add_input_file(os.fsencode(path)) == file_id(path)
    assert log.of_kind("entity")[0]["location"] == str(path)
