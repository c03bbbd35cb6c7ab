"""The JSON of record lines reads back as written, with or without orjson: integers beyond 64
bits, NaN, infinities, unicode and nesting, the plain :mod:`json` path being the reference."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from logprov.reading.reader import iter_records
from logprov.records import keys as K
from logprov.records import lines
from logprov.records.lines import (
    DEFAULT_MAX_DEPTH, decode_payload, dumps, encode_line, finite_data, json_loads, may_hold_long_integer, quick_record,
)

EDGE_INTEGERS = [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, -(2**64), 10**18, -(10**19), 2**200]
NON_FINITE = [math.inf, -math.inf, math.nan]

integers = st.one_of(st.integers(), st.integers(-(2**300), 2**300), st.sampled_from(EDGE_INTEGERS))
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NON_FINITE + [-0.0, 5e-324]))
texts = st.text(max_size=20)
scalars = st.one_of(st.none(), st.booleans(), integers, floats, texts)
keys = st.one_of(texts, st.booleans(), st.none(), integers, floats)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)), max_leaves=20)


def same(left, right) -> bool:
    """Equal JSON data, NaN equal to NaN, an integer never equal to a float (``repr`` of both)."""
    return repr(left) == repr(right)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_writer_writes_what_json_writes(value):
    reference = json.loads(lines._stdlib_dumps(value))
    assert same(json.loads(dumps(value)), reference)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_reader_reads_what_json_reads(value):
    for text in (dumps(value), lines._stdlib_dumps(value), json.dumps(value, indent=1)):
        assert same(json_loads(text), json.loads(text))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(texts, values, max_size=4))
def test_a_record_line_reads_back_as_json_reads_it(parameters):
    record = {K.ACTIVITY_ID: "a", K.PARAMETERS: parameters}
    line = encode_line("2026-11-22T10:00:00+00:00", record)
    [read] = iter_records(io.StringIO(line + "\n"))
    assert same(read.data, json.loads(line.split(lines.PROV_PREFIX, 2)[2]))
    assert same(read.data[K.PARAMETERS], json.loads(lines._stdlib_dumps(parameters)))


def _nested(depth: int) -> dict:
    value: object = 1
    for level in range(depth - 1):
        value = [value] if level % 2 else {"k": value}
    return {"entity_id": "e", "v": value}


@settings(max_examples=300, deadline=None)
@given(st.one_of(values, st.integers(95, 105).map(_nested)), st.sampled_from([DEFAULT_MAX_DEPTH, 3, 0]))
def test_the_quick_path_of_reading_is_the_careful_path_or_declines(value, max_depth):
    for text in (dumps(value), lines._stdlib_dumps(value)):
        quick = quick_record(text, max_depth)
        try:
            careful, _ = decode_payload(text, max_depth=max_depth)
        except ValueError:
            assert quick is None
            continue
        assert quick is None or same(quick, careful)
        if isinstance(value, dict) and finite_data(value) and not may_hold_long_integer(text) and len(text) <= 2 * max_depth:
            assert same(quick, careful), "declined a record it should have read"


def test_the_quick_path_reads_long_integers_exactly_and_leaves_deep_records_to_the_careful_path():
    assert quick_record(dumps(_nested(DEFAULT_MAX_DEPTH)), DEFAULT_MAX_DEPTH) is not None
    assert quick_record(dumps(_nested(DEFAULT_MAX_DEPTH + 1)), DEFAULT_MAX_DEPTH) is None
    [big] = quick_record('{"a": ' + str(2**64) + "}", DEFAULT_MAX_DEPTH).values()
    assert big == 2**64 and type(big) is int
    assert quick_record('{"a": 18446744073709551615, "b": "\u00e9"}', DEFAULT_MAX_DEPTH) == {"a": 2**64 - 1, "b": "\u00e9"}
    assert quick_record("[1]", DEFAULT_MAX_DEPTH) is None


def _read_back(*records: dict) -> list[dict]:
    text = "".join(encode_line("2026-11-22T10:00:00+00:00", record) + "\n" for record in records)
    return [read.data for read in iter_records(io.StringIO(text))]


def test_integers_beyond_64_bits_read_back_as_integers():
    record = {K.ACTIVITY_ID: "a", K.PARAMETERS: {"integers": EDGE_INTEGERS}}
    assert str(2**200) in dumps(record)
    [read] = _read_back(record)
    assert read[K.PARAMETERS]["integers"] == EDGE_INTEGERS
    assert all(type(number) is int for number in read[K.PARAMETERS]["integers"])


def test_nan_and_infinities_are_written_as_json_writes_them_and_read_back():
    record = {K.ACTIVITY_ID: "a", K.PARAMETERS: {"floats": NON_FINITE, "none": None}}
    text = dumps(record)
    assert text.count("null") == 1 and "Infinity" in text and "NaN" in text
    [read] = _read_back(record)
    assert same(read[K.PARAMETERS], {"floats": NON_FINITE, "none": None})


RECORDS = [
    {"activity_id": "a", "parameters": {"big": [2**64, -(2**63) - 1, 2**200]}},
    {"activity_id": "b", "parameters": {"floats": [math.inf, -math.inf, math.nan, 0.1, -0.0]}},
    {"activity_id": "c", "parameters": {"text": "\u00e9\u4e2d\U0001f600_PROV_x\u005f", "nested": {"a": [[{"b": None}]]}}},
]

_PROBE = """
import io, json, sys
sys.modules["orjson"] = None
from logprov.reading.reader import iter_records
from logprov.records import lines
assert lines._orjson_loads is None and lines.dumps is lines._stdlib_dumps
records = json.loads(sys.stdin.read())
for record in records:
    print(lines.encode_line("2026-11-22T10:00:00+00:00", record))
"""


def test_lines_written_without_orjson_are_those_written_with_it():
    done = subprocess.run([sys.executable, "-c", _PROBE], input=json.dumps(RECORDS), capture_output=True, text=True,
                          check=True)
    plain_lines = done.stdout.splitlines()
    fast_lines = [encode_line("2026-11-22T10:00:00+00:00", record) for record in RECORDS]
    for plain, fast in zip(plain_lines, fast_lines, strict=True):
        assert same(json.loads(fast.split(lines.PROV_PREFIX, 2)[2]), json.loads(plain.split(lines.PROV_PREFIX, 2)[2]))
    read = [record.data for record in iter_records(io.StringIO(done.stdout))]
    assert same(read, RECORDS)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("0123456789-:,[ a\u0660")))
def test_may_hold_long_integer_is_a_search_for_nineteen_digits(text):
    assert may_hold_long_integer(text) == (re.search("[0-9]{19}", text) is not None)


def test_finite_data_finds_non_finite_floats_in_keys_and_values():
    assert finite_data({"a": [1, 2.5, None, True, "x", (0.0,)]})
    assert not finite_data({"a": [1, {"b": math.nan}]})
    assert not finite_data({math.inf: 1})
    assert not finite_data({"a": object()})
