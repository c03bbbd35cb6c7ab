"""What ``logprov load`` prints: one line for one log, a line per log and the total for several."""

from __future__ import annotations

import json
import warnings

from logprov import LogReadWarning, iter_records

from commands import run
from storelogs import synthetic_log


def records_in(log) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogReadWarning)
        return sum(1 for _ in iter_records(str(log)))


def test_one_log_is_summed_up_in_one_line(tmp_path, capsys):
    log = synthetic_log(tmp_path / "job1.log", 1)
    store = str(tmp_path / "prov.db")
    status, out, err = run(capsys, "load", str(log), "--store", store, "-q")
    assert status == 0, err
    assert out.splitlines() == [f"{records_in(log):,} records from {log} into {store}"]
    status, out, _ = run(capsys, "load", str(log), "--store", store, "-q")
    assert out.splitlines() == [f"0 records from {log} into {store} (nothing new)"]


def test_several_logs_have_a_line_each_then_the_total(tmp_path, capsys):
    logs = [synthetic_log(tmp_path / f"job{number}.log", number, calls=number + 2) for number in (1, 2)]
    empty = tmp_path / "empty.log"
    empty.write_text("")
    store = str(tmp_path / "prov.db")
    status, out, err = run(capsys, "load", *map(str, logs), str(empty), "--store", store, "-q")
    assert status == 0, err
    counts = [records_in(log) for log in logs]
    assert counts[0] != counts[1]
    assert out.splitlines() == [
        f"{logs[0]}: {counts[0]:,} records loaded",
        f"{logs[1]}: {counts[1]:,} records loaded",
        f"{empty}: no complete line yet",
        f"{sum(counts):,} records from 3 files into {store}",
    ]


def with_unreadable_lines(path, number: int, after: tuple[int, ...]):
    """A synthetic log with a cut record after each of its lines ``after``."""
    lines = synthetic_log(path, number).read_text().splitlines(keepends=True)
    for line in sorted(after, reverse=True):
        lines.insert(line, f'INFO x _PROV_2026-11-22T10:00:00+00:00_PROV_{{"activity_id": "cut {line}\n')
    path.write_text("".join(lines))
    return path


def test_the_lines_a_load_skips_are_counted_per_log_in_text_and_json(tmp_path, capsys):
    damaged = with_unreadable_lines(tmp_path / "damaged.log", 1, (3,))
    sound = synthetic_log(tmp_path / "sound.log", 2)
    store = str(tmp_path / "prov.db")
    status, out, err = run(capsys, "load", str(damaged), "--store", store, "-q")
    assert status == 0
    assert out.splitlines() == [f"{records_in(damaged):,} records from {damaged} into {store}, "
                                "1 unreadable line skipped (see warnings)"]
    assert [line for line in err.splitlines() if line.startswith(f"logprov: warning: {damaged}:4: skipped")]
    worse = with_unreadable_lines(tmp_path / "worse.log", 3, (2, 5))
    status, out, err = run(capsys, "load", str(worse), str(sound), "--store", store, "-q")
    assert out.splitlines()[:2] == [
        f"{worse}: {records_in(worse):,} records loaded, 2 unreadable lines skipped (see warnings)",
        f"{sound}: {records_in(sound):,} records loaded",
    ]
    with open(damaged, "a") as stream:
        stream.write(with_unreadable_lines(tmp_path / "more.log", 4, (1, 2, 3)).read_text())
    status, out, err = run(capsys, "load", str(damaged), str(sound), "--store", store, "-q", "--json")
    assert status == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"file": str(damaged), "state": "loaded", "records": records_in(tmp_path / "more.log"), "skipped": 3},
        {"file": str(sound), "state": "unchanged", "records": 0, "skipped": 0},
    ]
    assert sum(f"{damaged}:" in line for line in err.splitlines()) == 3
