"""Progress bars while logs are read: percentage of bytes and time left, on a terminal only."""

from __future__ import annotations

import io
import os
import pty
import fcntl
import re
import struct
import subprocess
import sys
import termios

import pytest

import logprov.query
from logprov.query.progress import Progress

from logs import SyntheticLog, file_entity

pytest.importorskip("tqdm")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    log = SyntheticLog()
    session = log.session(1)
    for number in range(6000):
        raw = file_entity(session, f"/data/raw/run_{number:05d}.fits", f"{number:064x}")
        log.call(session, "calibrate", used=[(raw, "raw")], parameters={"run": number})
    return log.write(tmp_path_factory.mktemp("big") / "big.log")


def percents(text: str) -> list[int]:
    return [int(value) for value in re.findall(r"(\d+)%\|", text)]


def test_reading_shows_the_share_of_bytes_read_and_the_time_left(big_log):
    terminal = Terminal()
    with logprov.query.open(str(big_log), index=False, progress=Progress(terminal, interval=0)) as provenance:
        assert provenance.counts()["activities"] == 6000
    text = terminal.getvalue()
    shown = percents(text)
    assert len(shown) >= 3 and shown == sorted(shown) and 0 < shown[-1] <= 100
    assert "reading" in text and "big.log" in text and "records" in text
    assert re.search(r"\d\d:\d\d<\d\d:\d\d", text)  # elapsed<remaining


def test_building_an_index_shows_progress(big_log, tmp_path):
    terminal = Terminal()
    with logprov.query.open(str(big_log), cache=tmp_path, progress=Progress(terminal, interval=0)):
        pass
    assert "indexing" in terminal.getvalue() and percents(terminal.getvalue())


def test_nothing_is_shown_off_a_terminal(big_log):
    stream = io.StringIO()
    with logprov.query.open(str(big_log), index=False, progress=Progress(stream, interval=0)):
        pass
    assert stream.getvalue() == ""


def on_terminal(*args: str) -> tuple[int, bytes]:
    """Run ``logprov ARGS`` with standard error on a pseudo-terminal; return its status and
    what it wrote there."""
    main, other = pty.openpty()
    fcntl.ioctl(other, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    done = subprocess.Popen([sys.executable, "-c", "import sys, logprov.cli; sys.exit(logprov.cli.main())", *args],
                            stderr=other,
                            stdout=subprocess.DEVNULL)
    os.close(other)
    written = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        written += chunk
    os.close(main)
    return done.wait(), written


def test_command_draws_on_a_terminal_unless_quiet(big_log, tmp_path):
    status, written = on_terminal("export", str(big_log), "-f", "provn", "-o", str(tmp_path / "a.provn"))
    assert status == 0
    assert percents(written.decode()) and b"reading" in written
    status, written = on_terminal("export", str(big_log), "-f", "provn", "-o", str(tmp_path / "b.provn"), "--quiet")
    assert status == 0 and written == b""


def test_compressed_logs_show_the_share_of_compressed_bytes(big_log, tmp_path):
    import gzip

    packed = tmp_path / "big.log.gz"
    packed.write_bytes(gzip.compress(big_log.read_bytes()))
    terminal = Terminal()
    with logprov.query.open(str(packed), index=False, progress=Progress(terminal, interval=0)):
        pass
    shown = percents(terminal.getvalue())
    assert shown and shown == sorted(shown) and shown[-1] <= 100
    sizes = re.findall(r"\| *[\d.]+\w?/([\d.]+)(\w?) ", terminal.getvalue())
    assert sizes and float(sizes[0][0]) * {"": 1, "k": 1024, "M": 1024 ** 2}[sizes[0][1]] < big_log.stat().st_size / 2
