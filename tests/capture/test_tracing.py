"""Decorators: functions, methods, classes, nesting, failures, threads."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading

import pytest

DEFINITIONS = {
    "activities": {
        "process": {
            "description": "Process the data held by the instance",
            "parameters": [{"name": "scale", "value": "kwargs.scale"}, {"name": "mode", "value": "settings.mode"}],
            "usage": [{"role": "input", "value": "data"}],
            "generation": [{"role": "output", "value": "result_data"}],
        },
    },
}


class Pipeline:
    """A class with every kind of attribute trace_methods meets."""

    constant = 3

    def __init__(self):
        self.settings = {"mode": "fast"}
        self.data = [1, 2, 3]
        self.result_data = None

    @property
    def broken(self):
        raise RuntimeError("touched a property")

    def process(self, scale=2):
        """Scale the data."""
        self.result_data = [x * scale for x in self.data]
        return len(self.result_data)

    def helper(self, x):
        return x + 1

    def _private(self):
        return "private"

    @staticmethod
    def static_tool(a, b=1):
        return a + b

    @classmethod
    def build(cls, n):
        obj = cls()
        obj.data = list(range(n))
        return obj

    def fail(self, message):
        raise ValueError(message)


def fresh_class():
    return type("Pipeline", (Pipeline,), {"__module__": __name__, "__doc__": Pipeline.__doc__})


def test_function_metadata_and_signature_are_preserved(make_capture):
    capture = make_capture()

    def compute(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    traced = capture.trace(compute)
    assert traced.__name__ == "compute" and traced.__doc__ == "Add two numbers."
    assert inspect.signature(traced) == inspect.signature(compute)
    assert traced.__wrapped__ is compute
    assert traced(1) == 3
    assert capture.trace(traced) is traced


def test_trace_methods_keeps_kinds_and_skips_properties_and_private(make_capture, records):
    capture = make_capture(DEFINITIONS)
    cls = capture.trace_methods(fresh_class())
    assert isinstance(inspect.getattr_static(cls, "static_tool"), staticmethod)
    assert isinstance(inspect.getattr_static(cls, "build"), classmethod)
    assert isinstance(inspect.getattr_static(cls, "broken"), property)
    assert "_private" not in vars(cls)
    assert Pipeline.process.__name__ == "process" and not hasattr(Pipeline.process, "__logprov_capture__")
    with records(capture) as log:
        obj = cls.build(4)
        assert cls.static_tool(1, b=2) == 3
        assert obj.static_tool(5) == 6
        assert obj.process(scale=3) == 4
        assert obj.helper(1) == 2
        assert obj._private() == "private"
    assert [a["name"] for a in log.activities()] == ["build", "static_tool", "static_tool", "process", "helper"]
    build = log.activities("build")[0]
    assert build["function"].endswith("Pipeline.build")
    assert log.find(activity_id=build["activity_id"], parameters={"n": 4})
    static = log.activities("static_tool")[0]
    assert log.find(activity_id=static["activity_id"], parameters={"a": 1, "b": 2})


def test_include_exclude_and_described_only(make_capture, records):
    capture = make_capture(DEFINITIONS)
    only = capture.trace_methods(fresh_class(), include=["helper", "_private"])
    assert set(k for k in vars(only) if hasattr(vars(only)[k], "__logprov_capture__")) == {"helper", "_private"}
    excluded = capture.trace_methods(fresh_class(), exclude=["helper", "fail"])
    assert "helper" not in vars(excluded) and "process" in vars(excluded)
    described = capture.trace_methods(fresh_class(), described_only=True)
    traced = {k for k, v in vars(described).items() if hasattr(v, "__logprov_capture__")}
    assert traced == {"process"}
    not_inherited = capture.trace_methods(fresh_class(), inherited=False)
    assert "process" not in vars(not_inherited)


def test_described_method_logs_parameters_usage_and_generation(make_capture, records):
    capture = make_capture(DEFINITIONS)
    cls = capture.trace_methods(fresh_class())
    obj = cls()
    with records(capture) as log:
        obj.process(scale=10)
    start = log.activities("process")[0]
    aid = start["activity_id"]
    assert log.find(activity_id=aid, parameters={"scale": 10, "mode": "fast"})
    used = log.find(activity_id=aid, used_role="input")
    generated = log.find(activity_id=aid, generated_role="output")
    assert len(used) == len(generated) == 1
    entities = {r["entity_id"]: r for r in log.of_kind("entity")}
    assert entities[used[0]["used_id"]]["value"] == "[1,2,3]"
    assert entities[generated[0]["generated_id"]]["value"] == "[10,20,30]"
    result = log.find(activity_id=aid, generated_role="result")
    assert len(result) == 1 and entities[result[0]["generated_id"]]["value"] == "3"


def test_failing_call_is_logged_and_exception_propagates_unchanged(make_capture, records):
    capture = make_capture(DEFINITIONS)
    cls = capture.trace_methods(fresh_class())
    with records(capture) as log:
        with pytest.raises(ValueError, match="bad input") as info:
            cls().fail("bad input")
    assert info.traceback[-1].name == "fail"
    end = log.of_kind("end")[0]
    assert end["status"] == "failed"
    assert end["exception_type"] == "ValueError" and end["exception_message"] == "bad input"
    assert end["activity_id"] == log.activities("fail")[0]["activity_id"]
    assert end["duration"] >= 0


def test_nested_calls_link_inner_to_outer(make_capture, records):
    capture = make_capture()

    @capture.trace
    def inner(x):
        return x * 2

    @capture.trace
    def outer(x):
        return inner(x) + inner(x + 1)

    with records(capture) as log:
        assert outer(1) == 6
    starts = log.activities()
    assert [s["name"] for s in starts] == ["outer", "inner", "inner"]
    assert "parent_activity_id" not in starts[0]
    assert starts[1]["parent_activity_id"] == starts[0]["activity_id"]
    assert starts[2]["parent_activity_id"] == starts[0]["activity_id"]
    ends = log.of_kind("end")
    assert [e["activity_id"] for e in ends] == [starts[1]["activity_id"], starts[2]["activity_id"], starts[0]["activity_id"]]


def test_threads_produce_whole_correctly_attributed_records(make_capture, records):
    capture = make_capture()

    @capture.trace
    def leaf(thread, i):
        return thread * 1000 + i

    @capture.trace
    def work(thread, i):
        return leaf(thread, i)

    with records(capture) as log:
        threads = [threading.Thread(target=lambda t=t: [work(t, i) for i in range(500)]) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    starts = log.activities()
    assert len(log.of_kind("session")) == 1
    assert len(starts) == 8 * 500 * 2
    by_id = {s["activity_id"]: s for s in starts}
    assert len(by_id) == len(starts)
    params = {r["activity_id"]: r["parameters"] for r in log.of_kind("parameters")}
    for start in starts:
        if start["name"] == "leaf":
            parent = by_id[start["parent_activity_id"]]
            assert parent["name"] == "work"
            assert params[parent["activity_id"]] == params[start["activity_id"]]
        else:
            assert "parent_activity_id" not in start
    ends = log.of_kind("end")
    assert len(ends) == len(starts) and all(e["status"] == "success" for e in ends)


def test_capture_switched_off_logs_nothing(make_capture, records):
    capture = make_capture(capture=False)
    traced = capture.trace(lambda x: x + 1)
    with records(capture) as log:
        assert traced(1) == 2
    assert log.records == []
    capture.enabled = True
    with records(capture) as log:
        assert traced(1) == 2
    assert len(log.activities()) == 1


def test_async_functions_are_traced_until_they_finish(make_capture, records):
    capture = make_capture()

    @capture.trace
    async def fetch(n):
        await asyncio.sleep(0)
        return n * 2

    with records(capture) as log:
        assert asyncio.run(fetch(4)) == 8
    assert inspect.iscoroutinefunction(fetch)
    assert [r["status"] for r in log.of_kind("end")] == ["success"]


def test_independent_captures_do_not_mix(make_capture, records):
    first, second = make_capture(), make_capture()
    f = first.trace(lambda: 1)
    g = second.trace(lambda: 2)
    with records(first) as log1, records(second) as log2:
        f()
        g()
        g()
    assert len(log1.activities()) == 1 and len(log2.activities()) == 2
    assert log1.of_kind("session")[0]["session_id"] != log2.of_kind("session")[0]["session_id"]


def test_partial_decorator_forms(make_capture, records):
    capture = make_capture()

    @capture.trace(name="renamed")
    def original():
        return "ok"

    class Holder:
        @capture.trace
        @staticmethod
        def tool():
            return 1

        @staticmethod
        @capture.trace
        def other():
            return 2

    with records(capture) as log:
        assert original() == "ok"
        assert Holder.tool() == 1 and Holder().other() == 2
    assert [a["name"] for a in log.activities()] == ["renamed", "tool", "other"]
    assert isinstance(functools.partial(capture.trace), functools.partial)


def test_new_session_starts_a_second_session(make_capture, records):
    capture = make_capture()
    traced = capture.trace(lambda: None)
    with records(capture) as log:
        traced()
        first = capture.session_id
        second = capture.new_session()
        traced()
        capture.end_session()
    assert first != second and capture.session_id is None
    sessions = [r["session_id"] for r in log.of_kind("session")]
    assert sessions == [first, second]
    assert [r["session_id"] for r in log.of_kind("session_end")] == [first, second]
    assert [s["in_session"] for s in log.activities()] == [first, second]
