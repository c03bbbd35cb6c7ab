"""What ``logprov load`` prints: one line for one log, a line per log and the total for several."""

from __future__ import annotations

from logprov import iter_records

from commands import run
from storelogs import synthetic_log


def records_in(log) -> int:
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
