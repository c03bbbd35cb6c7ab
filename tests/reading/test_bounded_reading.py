"""Bounded reading: long lines, gzip bombs and costly Python literals never exhaust memory."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import time
import warnings

import pytest

from logprov.reading.reader import LINE_SLACK, LogReadWarning, ReadStats, iter_records
from logprov.records.lines import check_literal_cost, decode_payload
from logs import SyntheticLog, value_entity

MB = 1 << 20

#: Run in a fresh process: read a log made on the fly, print what was read and the peak memory.
#: The stream holds ``head``, then a line of ``size`` bytes of ``fill`` holding a record marker
#: at its start, then ``tail``; with a ``gz`` path, that file is read instead.
WORKER = r"""
import io, json, resource, sys, warnings
from logprov.reading.reader import ReadStats, iter_records

spec = json.loads(sys.argv[1])
head, fill, tail = spec["head"].encode(), spec["fill"].encode(), spec["tail"].encode()

class Filler(io.RawIOBase):
    def __init__(self):
        self.before = [part for part in (head, b'_PROV_2026-11-22T10:00:00_PROV_{"x": "') if part]
        self.left = spec["size"]
        self.after = [b'"}\n' + tail]
    def readable(self):
        return True
    def readinto(self, buffer):
        if self.before:
            part = self.before.pop(0)
        elif self.left > 0:
            part = fill * max(1, min(len(buffer), self.left) // len(fill))
            self.left -= len(part)
        elif self.after:
            part = self.after.pop(0)
        else:
            return 0
        buffer[: len(part)] = part
        return len(part)

source = spec["gz"] or io.BufferedReader(Filler(), 1 << 16)
stats = ReadStats()
warnings.simplefilter("ignore")
records = [r.data for r in iter_records(source, stats=stats, max_payload=spec["limit"])]
print(json.dumps({"records": len(records), "skipped": stats.skipped, "problems": stats.problems,
                  "lines": stats.lines, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def small_log() -> str:
    log = SyntheticLog()
    session = log.session(1)
    log.call(session, "after", generated=[(value_entity(session, "v", 1), "out")])
    return log.text()


def read_in_process(size: int, limit: int, fill: str = "x", gz: str = "", head: str = "") -> dict:
    spec = {"size": size, "limit": limit, "fill": fill, "gz": gz, "head": head, "tail": small_log()}
    result = subprocess.run([sys.executable, "-c", WORKER, json.dumps(spec)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_a_long_line_is_skipped_with_its_line_and_the_rest_is_read():
    log = SyntheticLog()
    session = log.session(1)
    log.raw("INFO logprov.capture.facade _PROV_2026-11-22T10:00:00_PROV_{\"a\": \"" + "y" * 300_000 + "\"}")
    log.message("z" * 300_000)
    log.call(session, "after", generated=[(value_entity(session, "v", 1), "out")])
    stats = ReadStats()
    with pytest.warns(LogReadWarning, match=r"prov.log:2: skipped: line longer than"):
        records = list(iter_records(_named(log.text()), stats=stats, max_payload=1000))
    assert [r.line for r in records] == [1, 4, 5, 6, 7]
    assert stats.skipped == 1 and stats.problems[0][:2] == ("prov.log", 2)
    assert stats.lines == 7


def _named(text: str) -> io.StringIO:
    stream = io.StringIO(text)
    stream.name = "prov.log"
    return stream


def test_a_marker_in_a_later_piece_of_a_long_line_is_still_reported():
    text = "x" * (1000 + LINE_SLACK + 5) + "_PROV_2026-11-22T10:00:00_PROV_{}\n"
    stats = ReadStats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert list(iter_records(_named(text), stats=stats, max_payload=1000)) == []
    assert stats.skipped == 1 and stats.lines == 1


@pytest.mark.parametrize("fill", ["x", "\U0001f600"])
def test_memory_stays_bounded_on_a_long_line(fill):
    limit = 1 * MB
    base = read_in_process(0, limit, fill)
    long = read_in_process(96 * MB, limit, fill)
    assert long["records"] == base["records"] - 1 and long["skipped"] == 1, long
    assert long["problems"][0][1] == 1
    assert long["peak"] - base["peak"] < 2 * 4 * (limit + LINE_SLACK) + 16 * MB, (base["peak"], long["peak"])


def test_memory_stays_bounded_on_a_gzip_bomb(tmp_path):
    bomb = tmp_path / "bomb.log.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as stream:
        stream.write(b"_PROV_2026-11-22T10:00:00_PROV_{\"x\": \"")
        block = b"x" * MB
        for _ in range(128):
            stream.write(block)
        stream.write(b"\"}\n" + small_log().encode())
    assert bomb.stat().st_size < 2 * MB
    limit = 1 * MB
    base = read_in_process(0, limit)
    read = read_in_process(0, limit, gz=str(bomb))
    assert read["records"] == base["records"] - 1 and read["skipped"] == 1, read
    assert read["peak"] - base["peak"] < 2 * (limit + LINE_SLACK) + 16 * MB, (base["peak"], read["peak"])


def test_a_costly_python_literal_is_refused_before_it_is_evaluated():
    payload = "{'a': " + "+1j" * 1_000_000 + "}"
    start = time.perf_counter()
    with pytest.raises(ValueError, match="additions or complex numbers"):
        decode_payload(payload)
    assert time.perf_counter() - start < 1.0
    with pytest.raises(ValueError, match="tokens"):
        decode_payload("{'a': [" + "1," * 200_000 + "]}")
    with pytest.raises(ValueError, match="tokens"):
        decode_payload("{'a': [" + "-1.5," * 200_000 + "]}")


def test_literal_cost_counts_only_outside_strings():
    check_literal_cost("{'a': '" + "+j,:" * 100_000 + "', \"b\": \"1+1j\\\"+\"}")
    data, legacy = decode_payload("{'a': (1+2j), 'b': [1, -2, 3.5], 'c': 'x+y,z'}")
    assert legacy and data == {"a": 1 + 2j, "b": [1, -2, 3.5], "c": "x+y,z"}
    assert decode_payload('{"a": [' + ",".join(["1"] * 200_000) + "]}")[1] is False


def test_a_costly_literal_payload_costs_little_memory(tmp_path):
    script = ("import json, resource, sys, warnings; warnings.simplefilter('ignore');"
              "from logprov.reading.reader import ReadStats, iter_records; s = ReadStats();"
              "n = len(list(iter_records(sys.argv[1], stats=s)));"
              "print(json.dumps([n, s.skipped, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]))")
    peaks = []
    for repeats in (0, 700_000):
        log = tmp_path / f"legacy-{repeats}.log"
        log.write_text("_PROV_2026-11-22 10:00:00_PROV_{'a': 1" + "+1j" * repeats + "}\n" + small_log())
        result = subprocess.run([sys.executable, "-c", script, str(log)], capture_output=True, text=True,
                                timeout=300)
        records, skipped, peak = json.loads(result.stdout)
        assert skipped == (1 if repeats else 0) and records > 0
        peaks.append(peak)
    assert peaks[1] - peaks[0] < 64 * MB, peaks


def test_memory_errors_are_reported_not_raised():
    class Exhausting(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise MemoryError

    stats = ReadStats()
    with pytest.warns(LogReadWarning, match="cannot read further: MemoryError"):
        assert list(iter_records(io.BufferedReader(Exhausting()), stats=stats)) == []
    assert stats.skipped == 1
