"""The call recorder: a block logged with ``activity()`` and a traced function write records of
the same shapes, built in one place each."""

from __future__ import annotations

import json

import pytest

from logprov.capture import recordmaker
from logprov.records import keys as K

DEFINITIONS = {
    "activities": {
        "calibrate": {
            "parameters": [{"name": "gain", "value": "kwargs.gain"}],
            "usage": [{"role": "raw", "location": "raw"}, {"role": "settings", "value": "settings"}],
            "generation": [{"role": "calibrated", "location": "calibrated"}],
        },
    },
}
KINDS = ("entity", "start", "parameters", "used", "generated", "end", "derivation", "member")


def _shapes(log):
    """Return, per record kind, the sorted key sets of the records of that kind."""
    return {kind: sorted(sorted(record) for record in log.of_kind(kind)) for kind in KINDS}


@pytest.fixture
def files(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("raw")
    return raw, tmp_path / "calibrated.txt"


def test_a_block_and_a_traced_function_write_records_of_the_same_shapes(make_capture, records, files):
    raw, calibrated = files
    traced_capture = make_capture(DEFINITIONS, log_args=False, log_kwargs=False)

    @traced_capture.trace
    def calibrate(raw, calibrated, settings, gain=1.0):
        calibrated.write_text("calibrated " + raw.read_text())

    with records(traced_capture) as traced:
        calibrate(raw, calibrated, {"scale": 2}, gain=1.5)
    block_capture = make_capture()
    with records(block_capture) as block:
        with block_capture.activity("calibrate", parameters={"gain": 1.5}) as step:
            step.add_input_file(raw, role="raw")
            step.use({"scale": 2}, role="settings")
            calibrated.write_text("calibrated " + raw.read_text())
            step.add_output_file(calibrated, role="calibrated")
    traced_shapes, block_shapes = _shapes(traced), _shapes(block)
    assert [sorted(start) for start in traced.of_kind("start")] == [sorted([*block.of_kind("start")[0], K.FUNCTION])]
    del traced_shapes["start"], block_shapes["start"]
    assert traced_shapes == block_shapes
    assert len(block_shapes["entity"]) == 3 and len(block_shapes["used"]) == 2
    assert traced.of_kind("parameters")[0][K.PARAMETERS] == block.of_kind("parameters")[0][K.PARAMETERS]
    ids = [sorted(record[K.USED_ID] for record in log.of_kind("used")) for log in (traced, block)]
    assert ids[0] == ids[1]


def test_a_failing_block_and_a_failing_traced_function_end_alike(make_capture, records):
    traced_capture = make_capture()

    @traced_capture.trace
    def fail():
        raise KeyError("missing")

    with records(traced_capture) as traced:
        with pytest.raises(KeyError):
            fail()
    block_capture = make_capture()
    with records(block_capture) as block:
        with pytest.raises(KeyError):
            with block_capture.activity("fail"):
                raise KeyError("missing")
    traced_end, block_end = traced.of_kind("end")[0], block.of_kind("end")[0]
    assert sorted(traced_end) == sorted(block_end)
    for key in (K.STATUS, K.EXCEPTION_TYPE, K.EXCEPTION_MESSAGE):
        assert traced_end[key] == block_end[key]
    assert traced_end[K.STATUS] == "failed" and traced_end[K.EXCEPTION_TYPE] == "KeyError"


def test_the_manual_api_goes_through_the_public_recorder(make_capture, records):
    capture = make_capture()
    with records(capture) as log:
        run = capture.calls.begin_block("step", {"n": 1})
        assert capture.calls.current() is run
        entity_id = capture.calls.log_entity(run, [1, 2, 3], "data", used=True, file=False, location="data")
        capture.calls.end(run, None, None)
    assert capture.calls.current() is None
    start, = log.activities()
    assert start[K.ACTIVITY_ID] == run.activity_id
    assert log.find(activity_id=run.activity_id, used_id=entity_id, used_role="data")
    assert log.find(entity_id=entity_id, location="data")
    assert log.of_kind("end")[0][K.STATUS] == "success"


def test_a_derivation_record_names_where_the_change_happened():
    inside = recordmaker.derivation("e2", "e1", "s", within="a")
    outside = recordmaker.derivation("e2", "e1", "s", untraced_at="2026-01-01T00:00:00.000000+00:00")
    declared = recordmaker.derivation("e2", "e1", "s")
    assert inside == {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s", K.IN_ACTIVITY: "a"}
    assert outside == {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s",
                       K.GENERATED_TIME: "2026-01-01T00:00:00.000000+00:00", K.UNTRACED: True}
    assert declared == {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s"}
    assert all(json.loads(json.dumps(record)) == record for record in (inside, outside, declared))


def test_an_untraced_change_of_a_used_value_is_one_derivation(make_capture, records):
    capture = make_capture({"activities": {"step": {"usage": [{"role": "data", "value": "data"}]}}})
    step = capture.trace(lambda data: None, name="step")
    data = [1, 2]
    with records(capture) as log:
        step(data)
        data.append(3)
        step(data)
    derivation, = log.of_kind("derivation")
    first, second = (record[K.USED_ID] for record in log.of_kind("used"))
    assert derivation[K.ENTITY_ID] == second and derivation[K.PROGENITOR_ID] == first
    assert derivation[K.UNTRACED] is True and K.IN_ACTIVITY not in derivation
