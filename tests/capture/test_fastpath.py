"""The shortcuts of the traced call give the same records as the general paths."""

from __future__ import annotations

import json
import logging
import os
import uuid

import pytest

from logprov.capture.uuids import new_uuid
from logprov.capture.identity import ValueDigester
from logprov.records.kinds import kind_of
from logprov.records.lines import quote

DEFINITIONS = {
    "activities": {
        "step": {
            "parameters": [{"name": "n", "value": "kwargs.n"}],
            "usage": [{"role": "input", "value": "data"}],
            "generation": [{"role": "output", "value": "out"}],
        },
    },
}


class Holder:
    def __init__(self):
        self.data = [1, 2, 3]
        self.out = None

    def step(self, n=1):
        self.out = {"n": n, "total": sum(self.data)}


def _prov_lines(path):
    return [line for line in path.read_text().splitlines() if "_PROV_" in line]


def test_direct_write_matches_the_logging_path(make_capture, tmp_path):
    capture = make_capture(DEFINITIONS)
    holder = capture.trace_methods(type("Holder", (Holder,), {}))()
    holder.step(n=1)
    capture.logger.addFilter(lambda record: True)
    holder.step(n=2)
    lines = _prov_lines(tmp_path / f"{capture.logger.name}.log")
    heads = {line.split("_PROV_", 1)[0] for line in lines}
    assert heads == {f"INFO {capture.logger.name} ", ""}
    kinds = [kind_of(json.loads(line.split("_PROV_", 2)[2])) for line in lines]
    kinds = [kind for kind in kinds if kind not in ("session", "entity")]
    assert kinds == ["start", "parameters", "used", "generated", "end"] * 2


def test_modified_input_found_through_the_value_shortcut(make_capture, records):
    capture = make_capture(DEFINITIONS)

    class Mutating(Holder):
        def step(self, n=1):
            self.data.append(n)
            self.out = None

    holder = capture.trace_methods(Mutating)()
    with records(capture) as log:
        holder.step(n=4)
    derivation = log.of_kind("derivation")
    assert len(derivation) == 1 and derivation[0]["in_activity"] == log.activities()[0]["activity_id"]
    assert log.find(generated_role="input")[0]["generated_id"] == derivation[0]["entity_id"]


def test_remembered_digests_are_the_content_digests():
    digester = ValueDigester()
    value = {"x": [1, 2.5, "text"], "y": None}
    first = digester.digest(value)
    assert digester.digest(dict(value)) == first == ValueDigester().digest(value)
    value["y"] = 1
    assert digester.digest(value)[0] != first[0]


def test_quote_handles_any_string():
    for text in ("plain", 'with "quotes" and \\', "line\nbreak", "é ü", "\ud800"):
        assert json.loads(quote(text)) == text or "\ud800" in text


def test_logger_level_and_disabled_are_honoured(make_capture, tmp_path):
    capture = make_capture(DEFINITIONS)
    holder = capture.trace_methods(type("Holder", (Holder,), {}))()
    capture.logger.disabled = True
    try:
        holder.step(n=1)
    finally:
        capture.logger.disabled = False
    capture.logger.setLevel(logging.WARNING)
    holder.step(n=2)
    assert not (tmp_path / f"{capture.logger.name}.log").exists() or not _prov_lines(
        tmp_path / f"{capture.logger.name}.log")


def test_activity_ids_are_distinct_version_4_uuids():
    ids = [new_uuid() for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_repeats_the_ids_of_its_parent():
    new_uuid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, " ".join(new_uuid() for _ in range(200)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        child = set(stream.read().decode().split())
    os.waitpid(pid, 0)
    parent = {new_uuid() for _ in range(200)}
    assert len(child) == 200 and not child & parent


def test_an_unresolved_value_is_warned_about_and_the_call_goes_on(make_capture, records, tmp_path):
    capture = make_capture(DEFINITIONS)

    class Missing:
        def step(self, n=1):
            self.out = None

    holder = capture.trace_methods(Missing)()
    with records(capture) as log:
        holder.step(n=3)
    assert [end["status"] for end in log.of_kind("end")] == ["success"]
    assert not log.of_kind("used") and not log.of_kind("generated")
    text = (tmp_path / f"{capture.logger.name}.log").read_text(encoding="utf-8")
    assert "usage 'input'" in text and "not logged" in text
