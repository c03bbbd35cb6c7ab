"""``logprov ... | head``: a command whose standard output is closed early ends quietly, with the
status of a program ended by ``SIGPIPE``."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys

import pytest

from storelogs import synthetic_log

#: What a shell reports for a program ended by SIGPIPE: 128 + 13.
CLOSED = 141
#: The smallest pipe Linux makes (one page): a command's output fills it at once.
PIPE_SIZE = 4096


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    return synthetic_log(tmp_path_factory.mktemp("closed") / "job.log", 1, calls=200)


def head(argv: list, cache) -> tuple[int, bytes, str]:
    """Run the ``logprov`` script with ``argv`` into a pipe whose reader takes one line and
    closes it, as ``head -1`` does; return the exit status, the line and standard error."""
    script = shutil.which("logprov", path=os.path.dirname(sys.executable)) or shutil.which("logprov")
    assert script is not None, "the logprov console script is not installed"
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    process = subprocess.Popen([script, *map(str, argv)], stdout=write_end, stderr=subprocess.PIPE,
                               env={**os.environ, "LOGPROV_CACHE": str(cache)})
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        first = reader.readline()
    _, err = process.communicate(timeout=120)
    return process.returncode, first, err.decode()


@pytest.mark.parametrize("command, first", [
    (["export"], b"{"),
    (["export", "-f", "provn"], b"document"),
    (["export", "-o", "/dev/stdout"], b"{"),
    (["search", "--no-index"], b"START"),
    (["search", "--no-index", "--json"], b'{"'),
])
def test_a_command_piped_into_head_ends_quietly(log, cache, command, first):
    status, line, err = head([*command[:1], log, *command[1:]], cache)
    assert line.startswith(first)
    assert err == ""
    assert status == CLOSED


def test_the_whole_output_is_still_written_to_a_reader_that_reads_it_all(log, cache):
    done = subprocess.run([sys.executable, "-c", "import sys; from logprov.cli import main; sys.exit(main())",
                           "search", str(log), "--no-index", "--json"], capture_output=True, timeout=120,
                          env={**os.environ, "LOGPROV_CACHE": str(cache)})
    assert done.returncode == 0 and done.stderr == b""
    assert len(done.stdout) > 4 * PIPE_SIZE and done.stdout.count(b"\n") > 200
