"""What a new user of ``logprov`` meets: formats from -f and -o, usage errors with the help of
the subcommand, error prefixes, the day windows of the README and lineage texts."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from logprov.export import formats

from logs import BASE_TIME, SyntheticLog, file_entity, value_entity
from commands import assert_one_line_error, run

pytestmark = pytest.mark.usefixtures("cache")

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def log(tmp_path) -> Path:
    synthetic = SyntheticLog()
    session = synthetic.session(1)
    synthetic.call(session, "make", generated=[(value_entity(session, "x", 1), "x")], parameters={"n": 3})
    return synthetic.write(tmp_path / "prov.log")


def test_export_writes_every_format_that_a_suffix_names(capsys, log, tmp_path):
    for fmt in ("png", "svg"):
        target = tmp_path / f"by-option.{fmt}"
        status, _, err = run(capsys, "export", log, "-f", fmt, "-o", target)
        assert status == 0, err
        assert (target.read_bytes()[:8] == PNG) if fmt == "png" else b"<svg" in target.read_bytes()
    status, _, _ = run(capsys, "export", log, "-o", tmp_path / "by-suffix.png")
    assert status == 0 and (tmp_path / "by-suffix.png").read_bytes()[:8] == PNG
    choices = re.search(r"\{([a-z,]+)\}", run(capsys, "export", "--help")[1])[1].split(",")
    assert choices == formats()


@pytest.mark.parametrize("name", ["table.fits", "prov.jsn", "graph.jpeg"])
def test_an_output_suffix_that_names_no_format_is_refused(capsys, log, tmp_path, name):
    target = tmp_path / name
    status, out, err = run(capsys, "export", log, "-o", target)
    assert (status, out) == (2, "")
    assert_one_line_error(err, repr(str(target)), Path(name).suffix, "-f FORMAT", ".json")
    assert not target.exists()
    status, _, _ = run(capsys, "export", log, "-o", target, "-f", "json")
    assert status == 0 and target.read_text().startswith("{")
    status, _, _ = run(capsys, "export", log, "-o", tmp_path / "no-suffix")
    assert status == 0 and (tmp_path / "no-suffix").read_text().startswith("{")


@pytest.mark.parametrize("argv", [
    ["graph", "{log}", "-o", "g.svg", "--colour", "red"],
    ["export", "{log}", "--bogus"],
    ["search", "{log}", "--activity", "make", "--nope"],
])
def test_a_bad_option_points_to_the_help_of_its_subcommand(capsys, log, argv):
    argv = [str(log) if arg == "{log}" else arg for arg in argv]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert_one_line_error(err, "unrecognized arguments", f"see logprov {argv[0]} --help")


def test_validate_and_sparql_errors_have_the_prefix(capsys, tmp_path, log):
    bad = tmp_path / "bad.yaml"
    bad.write_text("activities:\n  foo: 3\n")
    status, _, err = run(capsys, "validate", bad)
    assert status == 2
    assert_one_line_error(err, f"{bad}:2:", "foo")
    status, _, err = run(capsys, "validate", tmp_path / "missing.yaml")
    assert status == 2
    assert_one_line_error(err, "missing.yaml", "not found")
    status, _, err = run(capsys, "sparql", log, "--file", tmp_path / "missing.rq")
    assert status == 2
    assert_one_line_error(err, "missing.rq", "No such file or directory")
    assert "Errno" not in err


def readme_command(comment: str) -> list[str]:
    """Return the arguments of the README command line that ends with ``# comment``."""
    for line in (ROOT / "README.md").read_text().splitlines():
        command, _, note = line.partition("#")
        if note.strip() == comment:
            return command.split()[1:]
    raise AssertionError(f"no README line with the comment {comment!r}")


def test_what_ran_yesterday_is_what_the_readme_says(capsys, tmp_path, cache):
    now = datetime.datetime.now().astimezone()
    today = datetime.datetime.combine(now.date(), datetime.time()).astimezone()
    log = SyntheticLog()
    starts = {"two days ago": today - datetime.timedelta(hours=30), "yesterday": today - datetime.timedelta(hours=6),
              "today": today + datetime.timedelta(minutes=1)}
    sessions = {}
    for number, (day, start) in enumerate(starts.items(), start=1):
        log.clock = (start - BASE_TIME).total_seconds()
        sessions[day] = session = log.session(number)
        log.call(session, f"run_{number}")
    path = log.write(tmp_path / "prov.log")
    argv = readme_command("what ran yesterday?")
    assert argv[0] == "sessions"
    status, out, _ = run(capsys, "sessions", path, *argv[2:], "--no-index")
    assert status == 0
    assert sessions["yesterday"] in out
    assert sessions["today"] not in out and sessions["two days ago"] not in out


def test_lineage_tells_equal_values_of_two_sessions_apart(capsys, tmp_path, cache):
    log = SyntheticLog()
    first = log.session(0x11111111 << 96)
    x = value_entity(first, "x", 1)
    make = log.call(first, "make", generated=[(x, "x")])
    table = file_entity(first, "/data/table.fits", "abc" + "0" * 61)
    log.call(first, "write", used=[(x, "x")], generated=[(table, "table")])
    second = log.session(0x22222222 << 96)
    log.call(second, "read", used=[(file_entity(second, "/data/table.fits", "abc" + "0" * 61), "table")],
             generated=[(value_entity(second, "x", 1), "x")])
    path = log.write(tmp_path / "prov.log")
    status, out, err = run(capsys, "lineage", path, make, "--descendants")
    assert status == 0, err
    labels = [line.split(": ", 1)[1] for line in out.splitlines() if "generated as 'x'" in line]
    assert len(labels) == 2 and labels[0] != labels[1]
    assert first[:8] in labels[0] and second[:8] in labels[1]
