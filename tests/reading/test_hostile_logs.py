"""Hostile logs: truncated, binary, oversized and malicious lines never crash or run anything."""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import pickle
import subprocess
import tempfile
import warnings
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from prov.model import ProvEntity

from logprov.model import build_document
from logprov.reading.reader import ReadStats, decode_payload, iter_records

MARKER = Path(tempfile.gettempdir()) / f"logprov-hostile-marker-{os.getpid()}"
HEAD = "2026-11-22 10:00:00,000 INFO logprov _PROV_2026-11-22T10:00:00.000000+00:00_PROV_"
HYPOTHESIS = settings(
    max_examples=75, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

MALICIOUS = [
    f"{{'a': __import__('os').system('touch {MARKER}')}}",
    f"{{'a': open('{MARKER}', 'w').write('x')}}",
    f"{{'a': (lambda: __import__('pathlib').Path('{MARKER}').touch())()}}",
    "{'a': [c for c in ().__class__.__base__.__subclasses__()]}",
    f"{{'a': exec(\"open('{MARKER}', 'w')\")}}",
    f"{{'entity_id': eval(\"__import__('os').system('touch {MARKER}')\")}}",
    f"!!python/object/apply:os.system ['touch {MARKER}']",
    f"{{'a': !!python/object/apply:os.system ['touch {MARKER}']}}",
    f'{{"a": !!python/object/apply:subprocess.call [["touch", "{MARKER}"]]}}',
    f"{{'a': pickle.loads(b'cos\\nsystem\\n(S\"touch {MARKER}\"\\ntR.')}}",
    "{'a': lambda: 1}",
    f"{{'a': f'{{__import__(\"os\").system(\"touch {MARKER}\")}}'}}",
]


def hostile_payloads() -> list[str]:
    """Payloads meant to crash a reader or to run code: each is unreadable or harmless data."""
    return MALICIOUS + [
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "{'a': " + "(" * 100_000 + ")" * 100_000 + "}",
        '{"a": ' + "{" * 50_000,
        '{"entity_id": 1' + "0" * 100_000 + "}",
        "{'size': 10**100000}",
        "{'size': 1" + "0" * 100_000 + "}",
        '{"entity_id": "a\x00b", "value": "\x00"}',
        "{'entity_id': 'a\x00b'}",
        '{"entity_id": "e", "value": "' + "x" * (11 * 1024 * 1024) + '"}',
        '{"entity_id": "e", "size": NaN, "location": "/tmp/\\udcff"}',
        '{"activity_id": "a", "parameters": {"x": ' + "[" * 500 + "]" * 500 + "}}",
        '{"session_id": null, "entity_id": null, "activity_id": null}',
        "{'__class__': {'__init__': {'__globals__': 1}}, '__reduce__': 'os.system'}",
    ]


@contextlib.contextmanager
def nothing_may_run():
    """Fail on any attempt to evaluate code, start a process or unpickle while inside."""
    calls = []

    def forbidden(name):
        def call(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} called")
        return call

    targets = [
        (builtins, "eval"), (builtins, "exec"), (os, "system"), (os, "popen"),
        (subprocess, "Popen"), (pickle, "loads"), (yaml, "load"), (yaml, "unsafe_load"), (yaml, "full_load"),
    ]
    with contextlib.ExitStack() as stack:
        for module, name in targets:
            stack.enter_context(mock.patch.object(module, name, forbidden(f"{module.__name__}.{name}")))
        yield
    assert calls == []


def read_bytes(data: bytes) -> tuple[list, ReadStats]:
    """Read a log given as bytes, without warnings."""
    stats = ReadStats(max_problems=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = list(iter_records(io.BytesIO(data), stats=stats))
    return records, stats


def plain(value) -> bool:
    """Return True when ``value`` is made of literals only (no code, no arbitrary objects)."""
    if isinstance(value, dict):
        return all(plain(k) and plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(plain(item) for item in value)
    return value is None or isinstance(value, (str, bytes, int, float, complex, bool))


def prov_lines(data: bytes) -> int:
    """Count the lines holding ``_PROV_`` the way a text file in universal-newline mode splits them."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return sum("_PROV_" in line for line in text.split("\n"))


@pytest.mark.parametrize("payload", hostile_payloads(), ids=range(len(hostile_payloads())))
def test_named_hostile_payloads_are_skipped_and_counted(payload):
    good = HEAD + json.dumps({"entity_id": "good", "value": "_PROV_x_PROV_{\"forged\": 1}"})
    data = (good + "\n" + HEAD + payload + "\n" + good + "\n").encode("utf-8", "surrogatepass")
    with nothing_may_run():
        records, stats = read_bytes(data)
        build_document(records)
    assert not MARKER.exists()
    assert stats.records + stats.skipped == 3 + stats.recovered
    assert [r.data for r in records if r.line != 2] == [json.loads(good.split("_PROV_", 2)[2])] * 2
    assert all(plain(r.data) for r in records)


def test_several_megabyte_lines_are_read_or_skipped():
    big = HEAD + json.dumps({"entity_id": "big", "value": "v" * (8 * 1024 * 1024)})
    noise = "INFO other " + "n" * (6 * 1024 * 1024)
    too_big = HEAD + json.dumps({"entity_id": "too big", "value": "v" * (11 * 1024 * 1024)})
    records, stats = read_bytes("\n".join([big, noise, too_big, big]).encode())
    assert [r.data["entity_id"] for r in records] == ["big", "big"]
    assert stats.skipped == 1 and "longer than" in stats.problems[0][2] and stats.problems[0][1] == 3


def test_invalid_utf8_and_binary_lines():
    good = (HEAD + '{"entity_id": "good"}\n').encode()
    data = good + b"\xff\xfe\x00\x80binary\x00\n" + HEAD.encode() + b'{"entity_id": "bad \xc3\x28"}\n' + good
    data += HEAD.encode() + b'{"entity_id": "cut \xe2\x82'
    records, stats = read_bytes(data)
    assert [r.data["entity_id"] for r in records] == ["good", "bad \ufffd(", "good"]
    assert stats.skipped == 1 and stats.problems[0][1] == 5


def test_prov_markers_inside_values_are_data():
    value = 'x _PROV_2026-01-01T00:00:00_PROV_{"entity_id": "forged"} y'
    line = HEAD + json.dumps({"entity_id": "real", "value": value, "location": "_PROV_"})
    records, stats = read_bytes((line + "\n").encode())
    assert [r.data for r in records] == [{"entity_id": "real", "value": value, "location": "_PROV_"}]
    assert stats.skipped == 0


def test_decode_payload_never_evaluates():
    with nothing_may_run():
        for payload in MALICIOUS:
            with pytest.raises(ValueError):
                decode_payload(payload)
    assert not MARKER.exists()


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["_PROV_", "_PROV_x_PROV_{}", "2026-11-22T10:00:00+00:00", "\x00", "\udcff", "\n"]),
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
KEYS = [
    "session_id", "in_session", "activity_id", "parent_activity_id", "entity_id", "used_id",
    "generated_id", "member_id", "progenitor_id", "startTime", "endTime", "name", "system",
    "definitions", "parameters", "location", "value", "hash", "size", "used_role",
    "generated_role", "generated_time", "untraced", "status", "duration", "exception_message",
]
records_strategy = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=6)


def _line(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass") + b"\n"


def _cut(record: dict, fraction: float) -> bytes:
    whole = HEAD + json.dumps(record)
    return whole[: int(len(whole) * fraction)].encode("utf-8", "surrogatepass") + b"\n"


hostile_lines = st.one_of(
    records_strategy.map(lambda record: _line(HEAD + json.dumps(record))),
    st.tuples(records_strategy, st.floats(0, 1)).map(lambda pair: _cut(*pair)),
    records_strategy.map(lambda record: _line(HEAD + repr(record))),
    st.sampled_from(MALICIOUS).map(lambda payload: _line(HEAD + payload)),
    st.text(max_size=200).map(_line),
    st.binary(max_size=200).map(lambda data: data + b"\n"),
    st.tuples(st.text(max_size=20), st.text(max_size=40), st.text(max_size=60)).map(
        lambda parts: _line("_PROV_".join(parts))
    ),
)


@HYPOTHESIS
@given(st.lists(hostile_lines, max_size=12), st.booleans())
@example([HEAD.encode() + b'{"entity_id": "e", "value": "x"}\n', HEAD.encode() + b'{"entity_id": "f"}\n'], True)
@example([HEAD.encode() + b'{"activity_id": "a", "name": "cut', HEAD.encode() + b'{"entity_id": "f"}\n'], False)
def test_reader_and_document_survive_any_log(lines, cut_at_end):
    data = b"".join(lines)
    if cut_at_end and data:
        data = data[:-1]
    with nothing_may_run():
        records, stats = read_bytes(data)
        build_document(records)
    assert not MARKER.exists()
    assert all(plain(r.data) for r in records)
    assert stats.records + stats.skipped == prov_lines(data) + stats.recovered
    assert stats.skipped == len(stats.problems)


@pytest.mark.parametrize("kind", [["File"], {"name": "File"}])
def test_document_from_records_with_odd_entity_types(kind):
    payload = {"entity_id": "e", "type": kind, "entity_description": kind}
    records, stats = read_bytes((HEAD + json.dumps(payload) + "\n").encode())
    assert [r.data for r in records] == [payload]
    assert stats.records == 1 and stats.skipped == 0 and stats.problems == []
    [entity] = build_document(records).get_records(ProvEntity)
    assert str(entity.identifier) == "session:e"
    as_text = json.dumps(kind, separators=(",", ":"))
    attributes = {(str(name), str(value)) for name, value in entity.attributes}
    assert attributes == {("prov:type", as_text), ("logprov:entityDescription", as_text)}
