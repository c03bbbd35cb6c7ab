"""A record as one line: encoding, marker escaping and decoding read back what was written."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from logprov.reading.reader import iter_records
from logprov.records import keys as K
from logprov.records.fields import HOLDS
from logprov.records.lines import PROV_PREFIX, decode_payload, dumps, encode_line, escape_markers, line_head, parse_line

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
times = st.datetimes().map(lambda moment: moment.isoformat() + "+00:00")
_KINDS = {
    str: texts, int: st.integers(-(2**63), 2**63 - 1), bool: st.booleans(),
    float: st.floats(allow_nan=False, allow_infinity=False), dict: st.dictionaries(texts, texts, max_size=3),
}
#: Records whose keys hold what they may (`logprov.records.fields.HOLDS`).
records = st.fixed_dictionaries(
    {}, optional={key: st.one_of(*map(_KINDS.get, HOLDS.get(key, (str, int, bool)))) for key in sorted(K.KNOWN_KEYS)}
).filter(bool)


@settings(max_examples=200, deadline=None)
@given(records, times)
def test_a_line_reads_back_as_its_record(record, timestamp):
    line = encode_line(timestamp, record)
    assert line.count(PROV_PREFIX) == 2
    assert line.startswith(line_head(timestamp))
    assert parse_line("INFO logprov " + line) == record
    assert decode_payload(line[len(line_head(timestamp)):]) == (record, False)
    read = list(iter_records(io.StringIO(line + "\n")))
    assert [r.timestamp for r in read] == [timestamp]


def test_a_marker_inside_a_value_is_escaped_and_reads_back():
    record = {K.ENTITY_ID: f"x{PROV_PREFIX}y", K.VALUE: PROV_PREFIX * 3}
    line = encode_line("2026-11-22T10:00:00+00:00", record)
    assert line.count(PROV_PREFIX) == 2
    assert escape_markers(dumps(record)).count(PROV_PREFIX) == 0
    assert parse_line(line) == record


def test_parse_line_ignores_other_lines():
    assert parse_line("INFO logprov nothing here") is None
    assert parse_line(f"INFO {PROV_PREFIX}2026-11-22 no second marker") is None
