"""Outputs never destroy inputs: refused when they are an input, written whole, devices in place."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prov.model import ProvDocument

from logprov.cli import main
from logs import SyntheticLog, two_session_log, value_entity

COMMAND = [sys.executable, "-c", "import sys; from logprov.cli import main; sys.exit(main())"]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def log(tmp_path) -> Path:
    path = tmp_path / "prov.log"
    two_session_log(path)
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_error_line(err: str, *words: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("logprov: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], err
    return lines[0]


def big_log(path: Path, calls: int = 400) -> Path:
    log = SyntheticLog()
    session = log.session(1)
    for number in range(calls):
        log.call(session, f"step_{number}", generated=[(value_entity(session, f"v{number}", number), "out")],
                 parameters={"index": number, "text": "x" * 200})
    log.write(path)
    return path


def spellings(log: Path, tmp_path: Path) -> list[Path]:
    link = tmp_path / "link.log"
    link.symlink_to(log)
    hard = tmp_path / "hard.log"
    os.link(log, hard)
    return [log, Path(os.path.relpath(log)), log.parent / "." / log.name, link, hard]


@pytest.mark.parametrize("command", [
    ["export", "{log}", "-o", "{out}"],
    ["export", "{pattern}", "-f", "ttl", "-o", "{out}"],
    ["graph", "{log}", "-o", "{out}"],
    ["lineage", "{log}", "x", "--format", "json", "-o", "{out}"],
])
def test_an_output_that_is_an_input_is_refused(capsys, log, tmp_path, command):
    before = log.read_bytes()
    for output in spellings(log, tmp_path):
        argv = [part.format(log=log, pattern=log.parent / "*.log", out=output) for part in command]
        status, _, err = run(capsys, *argv)
        assert status == 2, (argv, err)
        one_error_line(err, "is the input", "another output")
        assert log.read_bytes() == before
        assert not list(tmp_path.glob(".logprov-*"))
    os.unlink(tmp_path / "link.log")
    os.unlink(tmp_path / "hard.log")


def test_standard_input_redirected_from_the_output_is_refused(log, tmp_path):
    before = log.read_bytes()
    with open(log, "rb") as stdin:
        result = subprocess.run([*COMMAND, "export", "-", "-o", str(log)], stdin=stdin, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    one_error_line(result.stderr, "standard input")
    assert log.read_bytes() == before


def test_an_existing_output_keeps_its_mode_and_is_replaced_whole(capsys, log, tmp_path):
    output = tmp_path / "prov.json"
    output.write_text("old")
    output.chmod(0o600)
    status, _, err = run(capsys, "export", log, "-o", output)
    assert status == 0, err
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert ProvDocument.deserialize(content=output.read_text(), format="json").records
    new = tmp_path / "new.json"
    assert run(capsys, "export", log, "-o", new)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask


def test_a_symbolic_link_output_has_its_target_written(capsys, log, tmp_path):
    target = tmp_path / "real.ttl"
    target.write_text("old")
    link = tmp_path / "out.ttl"
    link.symlink_to(target)
    status, _, err = run(capsys, "export", log, "-o", link)
    assert status == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "prov:Activity" in target.read_text()


def make_device(path: Path, minor: int) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return path


def test_a_character_device_is_written_in_place(capsys, log, tmp_path):
    null = make_device(tmp_path / "null", 3)
    status, _, err = run(capsys, "export", log, "-o", null, "-f", "json")
    assert status == 0, err
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert not list(tmp_path.glob(".logprov-*"))


def test_a_full_device_gives_one_line_and_exit_2(capsys, log, tmp_path):
    full = make_device(tmp_path / "full", 7)
    status, _, err = run(capsys, "export", big_log(tmp_path / "big.log"), "-o", full, "-f", "json")
    assert status == 2
    one_error_line(err, str(full), "No space left on device")
    assert stat.S_ISCHR(full.lstat().st_mode)


def test_a_fifo_is_written_in_place(capsys, log, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    status, _, err = run(capsys, "export", log, "-o", fifo, "-f", "json")
    reader.join(30)
    assert status == 0, err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["activity"]


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_file_that_cannot_grow_leaves_the_old_output(tmp_path):
    log = big_log(tmp_path / "big.log")
    output = tmp_path / "out.json"
    output.write_text("previous export")
    result = subprocess.run([*COMMAND, "export", str(log), "-o", str(output)], capture_output=True, text=True,
                            preexec_fn=_limit_file_size, timeout=120)
    assert result.returncode == 2, result.stderr
    one_error_line(result.stderr, str(output), "too large")
    assert output.read_text() == "previous export"
    assert not list(tmp_path.glob(".logprov-*"))


def test_a_full_standard_output_gives_one_line_and_exit_2(tmp_path):
    log = big_log(tmp_path / "big.log")
    for argv in (["export", str(log)], ["search", str(log), "--activity", "step_*", "--no-index"]):
        with open("/dev/full", "wb") as full:
            result = subprocess.run([*COMMAND, *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        one_error_line(result.stderr, "standard output", "No space left on device")


def test_a_closed_pipe_ends_quietly_with_the_status_of_sigpipe(tmp_path):
    log = big_log(tmp_path / "big.log")
    for argv in (["export", str(log)], ["export", str(log), "-o", "/dev/stdout"]):
        process = subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.read(10)
        process.stdout.close()
        error = process.stderr.read().decode()
        assert process.wait(120) == 128 + signal.SIGPIPE, error
        assert error == ""


def test_dev_stdout_appended_to_a_file_is_written_in_place(tmp_path):
    log = tmp_path / "prov.log"
    two_session_log(log)
    output = tmp_path / "out.txt"
    output.write_text("kept\n")
    with open(output, "a") as stream:
        result = subprocess.run([*COMMAND, "export", str(log), "-f", "provn", "-o", "/dev/stdout"],
                                stdout=stream, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = output.read_text()
    assert text.startswith("kept\n") and "document" in text
