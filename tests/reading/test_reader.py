"""Tests of logprov.reading.reader: decoding, legacy normalisation, sources, filters and problems."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import sys
from pathlib import Path

import pytest

from logprov.compiled import compiled_modules
from logprov.errors import LogReadError
from logprov.reading.reader import (
    LogReadWarning,
    ProvRecord,
    ReadStats,
    RecordNormalizer,
    decode_payload,
    iter_records,
    parse_time,
)

from logs import SyntheticLog, file_entity, make_id, two_session_log, value_entity

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
LEGACY_SESSION = "8735086556965"
LEGACY_RECORDS = 57
#: SHA-256 of the log written by logprov 0.0.2 running its own test script (the shared fixture
#: legacy/prov_test.log), which tests/data/legacy/prov_test.log is a copy of.
LEGACY_SHA256 = "ed85110e2f25dbf040f253d273a8111b99ea0c9a8935401595dca9d8cdfccf8e"


def legacy_records() -> list:
    return list(iter_records(LEGACY))


def simple_log(tmp_path: Path, name: str = "prov.log") -> Path:
    log = SyntheticLog()
    session = log.session(1)
    log.message("starting")
    log.call(session, "step", generated=[(value_entity(session, "x", 1), "x")])
    return log.write(tmp_path / name)


def test_legacy_fixture_is_the_unedited_log_of_logprov_0_0_2():
    assert hashlib.sha256(LEGACY.read_bytes()).hexdigest() == LEGACY_SHA256


def test_legacy_records_are_all_read():
    stats = ReadStats()
    records = list(iter_records(LEGACY, stats=stats))
    assert len(records) == LEGACY_RECORDS == stats.records
    assert stats.skipped == 0 and stats.problems == []
    assert stats.lines == 123
    assert stats.files == [str(LEGACY)]
    assert all(isinstance(record, ProvRecord) and record.legacy for record in records)
    first = records[0]
    assert first.line == 4 and first.source == str(LEGACY)
    assert first.timestamp == "2026-11-21T23:08:00.982053"
    assert first.time.tzinfo is not None
    assert first.time == parse_time("2026-11-21T23:08:00.982053")


def test_legacy_ids_become_strings_and_activities_are_qualified():
    records = legacy_records()
    session = records[0].data
    assert session["session_id"] == LEGACY_SESSION
    start = records[1].data
    assert start["activity_id"] == f"{LEGACY_SESSION}.210a53"
    assert start["in_session"] == LEGACY_SESSION
    entity = records[2].data
    assert entity["entity_id"] == "41961478625988398780"
    assert all(record.session == LEGACY_SESSION for record in records)


def test_legacy_quirk_becomes_entity_id_and_keeps_its_attributes():
    records = legacy_records()
    quirky = [r.data for r in records if r.line == 56]
    assert quirky == [
        {
            "entity_description": "MyObject",
            "location": "var1",
            "value": "0",
            "type": "PythonObject",
            "entity_id": "77626089782541922980",
        }
    ]
    file_quirk = [r.data for r in records if r.line == 95][0]
    assert file_quirk["entity_id"] == "file:88dd4d188aeb132bb03008a855a93bc045d5c7ca"
    assert file_quirk["location"] == "prov_test2.txt"
    assert "file:88dd4d188aeb132bb03008a855a93bc045d5c7ca" not in file_quirk


def test_normalising_twice_changes_nothing():
    payloads = [record.data for record in legacy_records()]
    again = [dict(payload) for payload in payloads]
    normalizer = RecordNormalizer()
    for payload in again:
        normalizer.normalize(payload)
    assert again == payloads


def test_legacy_sessions_with_the_same_activity_id_do_not_collide(tmp_path):
    lines = []
    for session in (111, 222):
        lines += [
            f"INFO _PROV_2026-01-01T00:00:0{session % 10}_PROV_{{'session_id': {session}, 'startTime': '2026-01-01T00:00:00'}}",
            f"INFO _PROV_2026-01-01T00:00:0{session % 10}_PROV_{{'activity_id': 'abc123', 'name': 'f', "
            f"'startTime': '2026-01-01T00:00:00', 'in_session': {session}}}",
            f"INFO _PROV_2026-01-01T00:00:0{session % 10}_PROV_{{'entity_id': 5, 'location': 'v'}}",
            f"INFO _PROV_2026-01-01T00:00:0{session % 10}_PROV_{{'activity_id': 'abc123', 'generated_id': 5}}",
            f"INFO _PROV_2026-01-01T00:00:0{session % 10}_PROV_{{'activity_id': 'abc123', 'endTime': '2026-01-01T00:00:01'}}",
        ]
    path = tmp_path / "two.log"
    path.write_text("\n".join(lines) + "\n")
    records = list(iter_records(path))
    activities = {r.data["activity_id"] for r in records if "activity_id" in r.data}
    assert activities == {"111.abc123", "222.abc123"}
    assert [r.session for r in records] == ["111"] * 5 + ["222"] * 5


def test_decode_payload_json_and_python_literals():
    assert decode_payload('{"a": true, "b": null}') == ({"a": True, "b": None}, False)
    assert decode_payload("{'a': 1, 2: (3, 4)}") == ({"a": 1, 2: (3, 4)}, True)
    assert decode_payload('{"it\'s": 1}') == ({"it's": 1}, False)
    assert decode_payload("{\"it's\": 'x'}") == ({"it's": "x"}, True)
    for bad in ("[1, 2]", "{'a': 1", "{'a': __import__('os')}", "{" * 5000, '{"a": 1} trailing'):
        with pytest.raises(ValueError):
            decode_payload(bad)
    with pytest.raises(ValueError, match="longer than"):
        decode_payload('{"a": "' + "x" * 100 + '"}', max_size=50)


def test_parse_time_accepts_naive_z_and_aware_times():
    naive = parse_time("2026-11-21T23:08:00.982053")
    assert naive.tzinfo is not None
    assert naive.replace(tzinfo=None) == datetime.datetime(2026, 11, 21, 23, 8, 0, 982053)
    assert parse_time("2026-11-22T10:00:00Z") == parse_time("2026-11-22T10:00:00+00:00")
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_unreadable_lines_are_counted_reported_and_skipped(tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    log.raw('INFO _PROV_2026-11-22T10:00:05+00:00_PROV_{"activity_id": "x", "name": "tru')
    log.call(session, "step")
    text = log.text().encode()
    binary = b"INFO _PROV_2026-11-22T10:00:06+00:00_PROV_{\x00\xff\xfe\x80garbage\x01}\n"
    path = tmp_path / "broken.log"
    path.write_bytes(text + binary)
    stats = ReadStats()
    with pytest.warns(LogReadWarning) as caught:
        records = list(iter_records(path, stats=stats))
    assert len(records) == 3 == stats.records
    assert stats.skipped == 2
    assert [(source, line) for source, line, _ in stats.problems] == [(str(path), 2), (str(path), 5)]
    messages = [str(w.message) for w in caught]
    assert any(f"{path}:2:" in message for message in messages)
    assert any(f"{path}:5:" in message for message in messages)


def test_strict_mode_raises_with_file_and_line(tmp_path):
    path = tmp_path / "broken.log"
    path.write_text('ok\nINFO _PROV_2026-11-22T10:00:05+00:00_PROV_{"a": \n')
    with pytest.raises(LogReadError) as raised:
        list(iter_records(path, strict=True))
    assert raised.value.source == str(path)
    assert raised.value.line == 2
    assert f"{path}:2:" in str(raised.value)


def test_other_problems_single_marker_non_mapping_and_size(tmp_path):
    path = tmp_path / "odd.log"
    path.write_text(
        "INFO _PROV_ only one marker\n"
        "INFO _PROV_2026-11-22T10:00:05+00:00_PROV_[1, 2]\n"
        'INFO _PROV_2026-11-22T10:00:05+00:00_PROV_{"big": "' + "x" * 300 + '"}\n'
        "INFO a message without any marker\n"
    )
    stats = ReadStats()
    with pytest.warns(LogReadWarning):
        assert list(iter_records(path, stats=stats, max_payload=200)) == []
    reasons = [reason for _, _, reason in stats.problems]
    assert "timestamp" in reasons[0]
    assert "not a mapping" in reasons[1]
    assert "longer than 200" in reasons[2]


def test_warnings_are_capped_with_one_summary(tmp_path):
    path = tmp_path / "bad.log"
    path.write_text("".join(f"INFO _PROV_2026-11-22T10:00:05+00:00_PROV_{{bad {n}\n" for n in range(30)))
    stats = ReadStats(max_problems=20)
    with pytest.warns(LogReadWarning) as caught:
        list(iter_records(path, stats=stats, max_warnings=3))
    assert len(caught) == 4
    assert "27 more" in str(caught[-1].message)
    assert stats.skipped == 30 and len(stats.problems) == 20


def test_missing_file_and_unmatched_pattern_raise(tmp_path):
    with pytest.raises(LogReadError, match="no such log file") as raised:
        list(iter_records(tmp_path / "absent.log"))
    assert raised.value.source == str(tmp_path / "absent.log")
    with pytest.raises(LogReadError, match="no log file matches"):
        list(iter_records(str(tmp_path / "*.log")))


def test_gzip_glob_list_and_stream_sources(tmp_path):
    plain = simple_log(tmp_path, "a.log")
    packed = simple_log(tmp_path, "b.log.gz")
    assert gzip.open(packed, "rt").read().count("_PROV_") == plain.read_text().count("_PROV_")
    one = list(iter_records(plain))
    assert len(one) == 5
    assert [r.data for r in iter_records(packed)] == [r.data for r in one]
    stats = ReadStats()
    both = list(iter_records(str(tmp_path / "*.log*"), stats=stats))
    assert stats.files == [str(plain), str(packed)] and len(both) == 10
    assert len(list(iter_records([plain, packed]))) == 10
    with open(plain) as stream:
        assert [r.data for r in iter_records(stream)] == [r.data for r in one]
    with open(plain, "rb") as stream:
        assert [r.data for r in iter_records(stream)] == [r.data for r in one]
    assert [r.data for r in iter_records(io.StringIO(plain.read_text()))] == [r.data for r in one]


def test_truncated_gzip_is_reported(tmp_path):
    packed = simple_log(tmp_path, "c.log.gz")
    data = packed.read_bytes()
    packed.write_bytes(data[: len(data) // 2])
    stats = ReadStats()
    with pytest.warns(LogReadWarning):
        list(iter_records(packed, stats=stats))
    assert stats.skipped >= 1
    assert "cannot read further" in stats.problems[-1][2]


def test_standard_input(tmp_path, monkeypatch):
    text = simple_log(tmp_path).read_text()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    records = list(iter_records("-"))
    assert len(records) == 5 and records[0].source == "<stdin>"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert len(list(iter_records("-"))) == 5


def test_time_window_on_line_timestamps(tmp_path):
    path = simple_log(tmp_path)
    everything = list(iter_records(path))
    stats = ReadStats()
    window = list(iter_records(path, start="2026-11-22T10:00:01+00:00", end="2026-11-22T10:00:01.500000+00:00", stats=stats))
    assert [r.timestamp for r in window] == ["2026-11-22T10:00:01+00:00"]
    assert stats.filtered == len(everything) - 1
    later = list(iter_records(path, start=datetime.datetime(2026, 11, 22, 10, 0, 2, tzinfo=datetime.timezone.utc)))
    assert len(later) == 3


def test_time_window_on_naive_legacy_times():
    records = list(iter_records(LEGACY, start="2026-11-21T23:08:00.984446", end="2026-11-21T23:08:00.984660"))
    assert records[0].line == 93 and records[-1].line == 105
    assert len(records) == 9
    with pytest.raises(ValueError, match="start"):
        list(iter_records(LEGACY, start="not a time"))


def test_session_filter_follows_activities(tmp_path):
    log = SyntheticLog()
    first = log.session(1)
    second = log.session(2)
    log.call(first, "a", parameters={"p": 1}, generated=[(value_entity(first, "x", 1), "x")])
    log.call(second, "b", used=[(file_entity(second, "/f", "f" * 64), "in")])
    log.call(first, "c")
    path = log.write(tmp_path / "mixed.log")
    only_first = list(iter_records(path, sessions={first}))
    assert {r.session for r in only_first} == {first}
    names = [r.data.get("name") for r in only_first if "startTime" in r.data]
    assert names == ["analysis", "a", "c"]
    assert any("parameters" in r.data for r in only_first)
    assert any("generated_id" in r.data for r in only_first)
    assert sum("endTime" in r.data for r in only_first) == 2
    only_second = list(iter_records(path, sessions=[second]))
    assert {r.session for r in only_second} == {second}
    assert any("used_id" in r.data for r in only_second)
    assert list(iter_records(path, sessions={make_id(99)})) == []


def test_legacy_entity_records_belong_to_the_last_session_of_their_file():
    records = list(iter_records(LEGACY, sessions={LEGACY_SESSION}))
    assert len(records) == LEGACY_RECORDS
    derivation = [r for r in records if "progenitor_id" in r.data][0]
    assert derivation.session == LEGACY_SESSION


def test_two_session_log_is_attributed(tmp_path):
    ids = two_session_log(tmp_path / "two.log")
    first, second = ids["sessions"]
    records = list(iter_records(tmp_path / "two.log"))
    file_records = [r for r in records if r.data.get("entity_id") == ids["file"]]
    assert [r.session for r in file_records] == [first, second]


@pytest.mark.parametrize(
    "payload",
    [
        '{"entity_id": "e", "value": "caf\u00e9 \u2603"}',
        '{"entity_id": "e", "value": NaN}',
        '{"entity_id": "e", "value": 123456789012345678901234567890}',
        '{"entity_id": "e", "nested": {"a": [1, 2, {"b": null}]}}   ',
        '{"entity_id": "e"}\r',
        '{"activity_id": 12, "in_session": "s", "entity_id": null}',
        '{"entity_id": "e", "deep": ' + "[" * 150 + "]" * 150 + "}",
        '{"entity_id": "e"} trailing',
        '["entity_id"]',
    ],
)
@pytest.mark.filterwarnings("ignore::logprov.reading.reader.LogReadWarning")
def test_json_payloads_read_as_decode_payload_decodes_them(payload):
    line = f"INFO logprov _PROV_2026-11-22T00:00:00+00:00_PROV_{payload}\n"
    stats = ReadStats()
    records = list(iter_records(io.StringIO(line), stats=stats))
    try:
        expected, _ = decode_payload(payload.rstrip())
    except ValueError:
        assert records == [] and stats.skipped == 1
        return
    RecordNormalizer().normalize(expected, False)
    assert [record.data for record in records] == [expected]
    assert records[0].timestamp == "2026-11-22T00:00:00+00:00"


@pytest.mark.filterwarnings("ignore::logprov.reading.reader.LogReadWarning")
def test_payload_over_the_size_limit_is_skipped_whatever_its_form(tmp_path):
    line = '_PROV_2026-11-22T00:00:00+00:00_PROV_{"entity_id": "e", "value": "' + "x" * 200 + '"}\n'
    stats = ReadStats()
    assert list(iter_records(io.StringIO(line), stats=stats, max_payload=100)) == []
    assert stats.skipped == 1 and "longer than 100" in stats.problems[0][2]


@pytest.mark.filterwarnings("ignore::logprov.reading.reader.LogReadWarning")
@pytest.mark.skipif("logprov.reading.reader" in compiled_modules(),
                    reason="the functions a compiled module calls cannot be replaced")
def test_payload_too_big_for_memory_is_skipped_and_reading_goes_on(monkeypatch):
    import logprov.records.lines as record_lines

    def exhausted(text):
        if "huge" in text:
            raise MemoryError
        return json.loads(text)

    monkeypatch.setattr(record_lines, "_orjson_loads", exhausted)
    monkeypatch.setattr(record_lines, "json_loads", exhausted)
    head = "_PROV_2026-11-22T00:00:00+00:00_PROV_"
    lines = f'{head}{{"entity_id": "huge"}}\n{head}{{"entity_id": "next"}}\n'
    stats = ReadStats()
    assert [r.data["entity_id"] for r in iter_records(io.StringIO(lines), stats=stats)] == ["next"]
    assert stats.skipped == 1


@pytest.mark.filterwarnings("ignore::logprov.reading.reader.LogReadWarning")
def test_an_unreadable_payload_is_reported_with_the_error_of_its_own_form():
    head = "_PROV_2026-11-22T00:00:00+00:00_PROV_"
    lines = f'{head}{{"entity_id": "e", "value": "cut\n' f"{head}{{'entity_id': 'e2', 'v': [1, 2\n"
    stats = ReadStats()
    assert list(iter_records(io.StringIO(lines), stats=stats)) == []
    reasons = [problem[2] for problem in stats.problems]
    assert reasons == ["cannot decode payload (not JSON: Unterminated string starting at: line 1 column 29 (char 28))",
                       "cannot decode payload (not a Python literal: '[' was never closed, at character 26)"]
