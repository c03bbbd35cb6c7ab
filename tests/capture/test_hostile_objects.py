"""Hostile objects: arguments, attributes and results that fight back never break the user's call."""

from __future__ import annotations

import threading
import traceback

import pytest


class Unhashable(list):
    """A list with state of its own."""

    def __init__(self, *args):
        super().__init__(*args)
        self.lock = threading.Lock()


class Unpicklable:
    def __init__(self):
        self.lock = threading.Lock()
        self.callback = lambda: None


class RaisingDunders:
    def __init__(self):
        self.payload = [1, 2, 3]

    def __repr__(self):
        raise RuntimeError("repr exploded")

    def __eq__(self, other):
        raise RuntimeError("eq exploded")

    __hash__ = None

    def __getstate__(self):
        raise RuntimeError("getstate exploded")


class RaisingHash:
    def __init__(self):
        self.payload = [1, 2, 3]

    def __hash__(self):
        raise RuntimeError("hash exploded")

    def __eq__(self, other):
        raise RuntimeError("eq exploded")


class EndlessGetattr:
    def __getattr__(self, name):
        return self


class RaisingGetattr:
    def __getattr__(self, name):
        raise RuntimeError(f"getattr {name} exploded")


class RaisingGetattribute:
    def __getattribute__(self, name):
        raise RuntimeError(f"getattribute {name} exploded")


class LyingLength(list):
    def __len__(self):
        return 10**30


class NegativeLength(list):
    def __len__(self):
        return -1


class SelfState:
    def __getstate__(self):
        return self


class RaisingProperty:
    @property
    def value(self):
        raise RuntimeError("property exploded")


def recursive_list():
    items = [1]
    items.append(items)
    return items


def recursive_dict():
    mapping = {"name": "loop"}
    mapping["self"] = mapping
    return mapping


def numbers():
    yield from range(3)


HOSTILE = {
    "unhashable": lambda: Unhashable([1, 2]),
    "unpicklable": Unpicklable,
    "raising_dunders": RaisingDunders,
    "raising_hash": RaisingHash,
    "endless_getattr": EndlessGetattr,
    "raising_getattr": RaisingGetattr,
    "raising_getattribute": RaisingGetattribute,
    "lying_length": lambda: LyingLength([1, 2]),
    "negative_length": lambda: NegativeLength([1, 2]),
    "self_state": SelfState,
    "raising_property": RaisingProperty,
    "recursive_list": recursive_list,
    "recursive_dict": recursive_dict,
    "generator": numbers,
}


def assert_complete(log, calls: int, name: str) -> dict:
    """Check that each call is one complete activity and return the entity records by id."""
    starts = log.activities(name)
    assert len(starts) == calls
    ends = {r["activity_id"]: r for r in log.of_kind("end")}
    assert all(ends[s["activity_id"]]["status"] == "success" for s in starts)
    described = {r["entity_id"]: r for r in log.of_kind("entity")}
    for record in log.of_kind("used") + log.of_kind("generated"):
        entity = record.get("used_id") or record.get("generated_id")
        assert entity in described
    return described


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_arguments_and_results(make_capture, records, name):
    capture = make_capture()

    @capture.trace
    def handle(thing):
        return thing

    things = [HOSTILE[name]() for _ in range(3)]
    with records(capture) as log:
        results = [handle(thing) for thing in things]
    assert all(result is thing for result, thing in zip(results, things))
    described = assert_complete(log, 3, "handle")
    used = [r for r in log.of_kind("used") if r["used_role"] == "thing"]
    generated = log.of_kind("generated")
    assert len(used) == len(generated) == 3
    assert [r["used_id"] for r in used] == [r["generated_id"] for r in generated]
    assert all(isinstance(described[r["used_id"]].get("value"), str) for r in used)
    assert log.warnings == []
    if name == "generator":
        assert [list(thing) for thing in things] == [[0, 1, 2]] * 3


DESCRIBED = {
    "activities": {
        "process": {
            "parameters": [{"name": "label", "value": "label"}],
            "usage": [
                {"role": "thing", "value": "thing"},
                {"role": "broken", "value": "broken.value"},
                {"role": "endless", "value": "endless.a.b.c"},
            ],
            "generation": [{"role": "output", "value": "output"}],
        }
    }
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_attributes_of_a_traced_instance(make_capture, records, name):
    capture = make_capture(DESCRIBED)

    @capture.trace_methods
    class Holder:
        def __init__(self):
            self.thing = HOSTILE[name]()
            self.broken = RaisingProperty()
            self.endless = EndlessGetattr()
            self.label = "holder"

        def process(self):
            self.output = HOSTILE[name]()
            return 42

    holder = Holder()
    with records(capture) as log:
        assert [holder.process() for _ in range(3)] == [42] * 3
    assert_complete(log, 3, "process")
    roles = sorted(r["used_role"] for r in log.of_kind("used"))
    assert roles == ["endless"] * 3 + ["thing"] * 3
    assert sorted(r["generated_role"] for r in log.of_kind("generated")) == ["output"] * 3 + ["result"] * 3
    assert len(log.warnings) == 1
    assert "'broken'" in log.warnings[0] and "property exploded" in log.warnings[0]


class UserError(Exception):
    def __str__(self):
        raise RuntimeError("str exploded")


def frames(error: BaseException) -> list:
    """Return ``(function, source line)`` of each frame of the traceback of ``error``."""
    return [(frame.name, frame.line) for frame in traceback.extract_tb(error.__traceback__)]


@pytest.mark.parametrize("error", [UserError, KeyboardInterrupt, SystemExit])
def test_user_exceptions_propagate_unchanged(make_capture, records, error):
    capture = make_capture()

    def fail(thing):
        raised = error("boom")
        thing.raised = raised
        raise raised

    traced = capture.trace(fail)
    plain_thing, traced_thing = RaisingDunders(), RaisingDunders()
    with pytest.raises(error) as plain:
        fail(plain_thing)
    with records(capture) as log, pytest.raises(error) as caught:
        traced(traced_thing)
    assert caught.value is traced_thing.raised
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    traced_frames = frames(caught.value)
    assert traced_frames[-1] == frames(plain.value)[-1]
    assert [name for name, _ in traced_frames] == [name for name, _ in frames(plain.value)][:1] + ["wrapper", "fail"]
    (end,) = log.of_kind("end")
    assert end["status"] == "failed" and end["exception_type"] == error.__qualname__
    if error is UserError:
        assert end["exception_message"] == "<UserError: str failed>"
    assert log.warnings == []


def numpy_array():
    numpy = pytest.importorskip("numpy")
    return numpy.ones(25 * 1024 * 1024)


@pytest.mark.parametrize("make", [numpy_array, lambda: bytearray(200 * 1024 * 1024)], ids=["numpy", "bytearray"])
def test_enormous_values_are_sampled_quickly(make_capture, records, make):
    capture = make_capture(max_hash_bytes=64 * 1024 * 1024)
    traced = capture.trace(lambda data: data[:2])
    data = make()
    assert len(memoryview(data).cast("B")) == 200 * 1024 * 1024
    with records(capture) as log, pytest.warns(RuntimeWarning, match="max_hash_bytes") as warned:
        traced(data)
        data[len(data) // 2 + len(data) // 128] = 7
        traced(data)
        data[0] = 5
        traced(data)
    assert len(warned) == 1
    described = assert_complete(log, 3, "<lambda>")
    first, changed_between_samples, changed_in_first_sample = (r["used_id"] for r in log.of_kind("used"))
    assert changed_between_samples == first, "a byte between the samples was read: the value was hashed in full"
    assert changed_in_first_sample != first
    assert {described[entity].get("digest") for entity in (first, changed_in_first_sample)} == {"sampled"}
    assert log.warnings == []


class HashRaisesNoState:
    __slots__ = ("__weakref__",)

    def __hash__(self):
        raise RuntimeError("hash exploded")


@pytest.mark.parametrize(
    "make", [lambda: memoryview(bytearray(b"abc")), HashRaisesNoState], ids=["memoryview", "hash_raises"],
)
def test_values_whose_hash_raises_are_still_recorded(make_capture, records, make):
    capture = make_capture()
    traced = capture.trace(lambda thing: 1)
    with records(capture) as log:
        assert traced(make()) == 1
    assert_complete(log, 1, "<lambda>")
    assert len(log.of_kind("used")) == 1


class Opaque:
    """Unhashable and without state of its own: identified by a fallback id."""

    __slots__ = ("__weakref__",)
    __hash__ = None

    def __eq__(self, other):
        return self is other


def test_distinct_unidentifiable_objects_get_distinct_ids(make_capture, records):
    capture = make_capture()
    traced = capture.trace(lambda thing: None)
    with records(capture) as log:
        for _ in range(10):
            traced(Opaque())
    assert len({r["used_id"] for r in log.of_kind("used")}) == 10


@pytest.mark.parametrize("make", [RaisingGetattr, RaisingGetattribute])
@pytest.mark.parametrize("where", ["parameter", "mapping", "list"])
def test_values_converted_to_text_whose_attributes_raise(make_capture, records, make, where):
    capture = make_capture(log_args_as_entities=where != "parameter")
    traced = capture.trace(lambda thing: 7)
    argument = {"parameter": lambda: make(), "mapping": lambda: {"thing": make()}, "list": lambda: [make()]}[where]
    with records(capture) as log:
        assert traced(argument()) == 7
    assert_complete(log, 1, "<lambda>")
    assert log.warnings == []
