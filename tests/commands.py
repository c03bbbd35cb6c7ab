"""The ``logprov`` command run in tests, through `logprov.cli.main`."""

from __future__ import annotations

from logprov.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    """Run ``logprov ARGV``; return its exit status, standard output and standard error."""
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def assert_one_line_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("logprov: error: ")
    for word in words:
        assert word in lines[0]
