"""One marker pair per line: ``_PROV_`` inside a record's text never breaks the grep contract."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logprov.reading.reader import iter_records
from logprov.records.lines import PROV_PREFIX, dumps, escape_markers, has_marker

M = PROV_PREFIX
SED_LIKE = re.compile(r".*_PROV_")


class Hostile_PROV_Error(RuntimeError):
    """An exception whose type name holds the marker."""


def _hostile_log(make_capture, tmp_path: Path) -> Path:
    folder = tmp_path / f"data{M}dir"
    folder.mkdir()
    source = folder / f"in{M}.txt"
    source.write_text(f"content {M}\n")
    target = folder / f"out{M}.txt"
    definitions = {
        "activities": {
            f"step{M}described": {
                "description": f"a description {M} with the marker",
                "parameters": [{"name": f"gain{M}", "value": "args.gain", "description": f"gain {M}"}],
                "usage": [{"role": f"input{M}", "value": "args.data", "entityType": f"Data{M}"}],
                "generation": [{"role": f"output{M}", "value": "result", "entityType": f"Data{M}"}],
            }
        },
        "entities": {f"Data{M}": {"description": f"data {M}", "contentType": f"text/x{M}"}},
    }
    capture = make_capture(
        definitions,
        agent_name=f"user{M}name",
        system_dict={f"site{M}": f"La Palma {M}"},
        env_vars=["LOGPROV_TEST_MARKER"],
    )

    tool = capture.trace_methods(type(f"Tool{M}", (), {"__module__": f"pkg{M}mod", "run": lambda self, x: [x]}))
    tool().run(f"first{M}")

    def described(data, gain):
        return [f"{M}{item}" for item in data] + [gain]

    step = capture.trace(described, name=f"step{M}described")
    step([f"a{M}", f"{M}{M}"], f"gain {M}")

    def plain(label, options):
        return {f"key{M}": f"{label}{M}"}

    capture.trace(plain, name=f"plain{M}")(f"label{M}", {f"option{M}": [f"{M}", 1]})

    def failing(message):
        raise Hostile_PROV_Error(message)

    with pytest.raises(Hostile_PROV_Error):
        capture.trace(failing, name=f"fail{M}")(f"exception {M} message {M}PROV_")
    with capture.activity(f"manual{M}", parameters={f"path{M}": str(source)}) as act:
        act.add_input_file(str(source), role=f"raw{M}")
        target.write_text(source.read_text() + f"written {M}\n")
        act.add_output_file(str(target), role=f"written{M}")
        act.use({f"{M}": f"{M}"}, role=f"used{M}")
        act.generate(f"value {M}", role=f"generated{M}")
    for handler in capture.logger.handlers:
        handler.flush()
    return Path(capture.config.log_filename)


@pytest.fixture
def hostile_log(make_capture, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGPROV_TEST_MARKER", f"env {M} value")
    return _hostile_log(make_capture, tmp_path)


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_every_line_holds_exactly_two_markers(hostile_log):
    lines = [line for line in hostile_log.read_text().splitlines() if M in line]
    assert len(lines) > 20
    for line in lines:
        assert line.count(M) == 2, line


def test_sed_cut_yields_the_json_of_every_record(hostile_log):
    lines = [line for line in hostile_log.read_text().splitlines() if M in line]
    decoded = [json.loads(SED_LIKE.sub("", line)) for line in lines]
    assert all(isinstance(record, dict) for record in decoded)
    read = [record.data for record in iter_records(str(hostile_log))]
    assert len(read) == len(decoded)
    texts = [text for record in decoded for text in _strings(record)]
    planted = [text for text in texts if M in text]
    for expected in (
        f"step{M}described", f"gain{M}", f"gain {M}", f"input{M}", f"output{M}", f"Data{M}",
        f"a description {M} with the marker", f"plain{M}", f"label{M}", f"option{M}", f"fail{M}",
        f"exception {M} message {M}PROV_", "Hostile_PROV_Error", f"manual{M}", f"raw{M}",
        f"written{M}", f"used{M}", f"generated{M}", f"user{M}name", f"site{M}", f"La Palma {M}",
        f"env {M} value", f"Tool{M}", f"pkg{M}mod", f"first{M}",
    ):
        assert any(expected in text for text in planted), expected
    assert any(f"data{M}dir" in text and text.endswith(f"in{M}.txt") for text in planted)
    assert any(text.endswith(f"out{M}.txt") for text in planted)


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("sed") is None, reason="needs grep, sed and jq")
def test_readme_one_liner_decodes_every_record(hostile_log):
    command = f"grep _PROV_ '{hostile_log}' | sed 's/.*_PROV_//' | jq -c ."
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    decoded = [json.loads(line) for line in done.stdout.splitlines()]
    assert decoded == [record.data for record in iter_records(str(hostile_log))]


def test_old_logs_with_markers_in_payloads_still_read(tmp_path):
    record = {"activity_id": "0b7e4a52-1f43-4b2c-9a0e-2c1d84b8b0a1", "name": f"old{M}name",
              "startTime": "2026-11-22T10:15:02+00:00"}
    log = tmp_path / "old.log"
    log.write_text(f"INFO logprov {M}2026-11-22T10:15:02+00:00{M}{json.dumps(record)}\n")
    assert [r.data["name"] for r in iter_records(str(log))] == [f"old{M}name"]


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text(alphabet="_PROV\\\"u05f{}x\n"), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(alphabet="_PROV_x"), inner, max_size=3), max_leaves=8))
def test_escaping_keeps_the_json_value_and_removes_every_marker(value):
    record = {"value": value}
    text = escape_markers(dumps(record))
    assert M not in text
    assert json.loads(text) == record


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="_PROVvx{}\"", max_size=20), max_size=4))
def test_marker_search_equals_the_plain_search(texts):
    assert has_marker(texts) == any(M in text for text in texts)
