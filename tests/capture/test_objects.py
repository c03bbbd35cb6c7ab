"""What traced calls record about the Python objects they touch: the capture's own inspection,
the instance of a method, returned collections, small immutable values, untraced changes."""

from __future__ import annotations

import dataclasses
import enum

import pytest
from hypothesis import given, settings, strategies as st

from logprov.capture.tracking import ObjectTracker, held_only_here


class Shape(enum.Enum):
    SQUARE = "square"
    ROUND = "round"


def test_inspecting_an_argument_runs_no_traced_code(make_capture, records):
    """The capture's repr and digest of a value call its methods: none of them is an activity."""
    capture = make_capture()

    class Model:
        def __init__(self):
            self.weights = [1.0, 2.0]

        def describe(self):
            return {"weights": list(self.weights)}

        def __repr__(self):
            return f"Model({self.describe()})"

        def __getstate__(self):
            return self.describe()

    capture.trace_methods(Model)
    save = capture.trace(lambda model, path: None, name="save")
    model = Model()
    with records(capture) as log:
        save(model, "model.json")
        model.describe()
    assert [a["name"] for a in log.activities()] == ["save", "describe"]
    assert all("parent_activity_id" not in a for a in log.activities())


def test_inspection_inside_a_manual_activity_runs_no_traced_code(make_capture, records):
    capture = make_capture()

    class Table:
        def columns(self):
            return ["a", "b"]

        def __repr__(self):
            return f"Table({self.columns()})"

    capture.trace_methods(Table)
    with records(capture) as log:
        with capture.activity("inspect") as step:
            step.use(Table(), role="table")
            Table().columns()
    assert [a["name"] for a in log.activities()] == ["inspect", "columns"]
    assert log.activities("columns")[0]["parent_activity_id"] == log.activities("inspect")[0]["activity_id"]


class Scaler:
    """A scikit-learn style estimator: ``__init__`` arguments stored under the same names."""

    def __init__(self, factor=2.0, mode="mean", shape=(3, 3), label=Shape.SQUARE, data=None):
        self.factor = factor
        self.mode = mode
        self.shape = shape
        self.label = label
        self.data = data if data is not None else [1, 2]

    def fit(self, values):
        self.scale_ = self.factor * sum(values)
        return self

    def transform(self, values):
        return [value * self.scale_ for value in values]


def test_a_method_changing_its_instance_generates_its_new_state(make_capture, records):
    capture = make_capture()
    capture.trace_methods(Scaler)
    scaler = Scaler()
    with records(capture) as log:
        scaler.fit([1, 2, 3])
        scaler.transform([4])
    fit, transform = log.activities()
    used_before = log.find(activity_id=fit["activity_id"], used_role="self")[0]["used_id"]
    generated = log.find(activity_id=fit["activity_id"], generated_role="self")[0]["generated_id"]
    assert generated != used_before
    assert log.find(entity_id=generated, progenitor_id=used_before, in_activity=fit["activity_id"])
    assert log.find(activity_id=transform["activity_id"], used_role="self")[0]["used_id"] == generated
    assert not log.find(activity_id=transform["activity_id"], generated_role="self")
    assert not [r for r in log.of_kind("derivation") if r.get("untraced")]


def test_a_method_records_the_configuration_of_its_instance(make_capture, records):
    capture = make_capture()
    capture.trace_methods(Scaler)

    @dataclasses.dataclass
    class Settings:
        threshold: float = 0.5
        api_password: str = "hunter2"
        names: list = dataclasses.field(default_factory=list)

        def apply(self):
            return self.threshold

    capture.trace_methods(Settings)

    class Estimator:
        def __init__(self, depth):
            self.depth = depth

        def get_params(self, deep=True):
            return {"depth": self.depth, "inner__alpha": 0.1, "inner": object()}

        def fit(self):
            return self

    capture.trace_methods(Estimator)
    with records(capture) as log:
        Scaler(factor=3.0).fit([1])
        Settings().apply()
        Estimator(4).fit()
    scaler, settings, estimator, *nested = log.of_kind("parameters")
    assert scaler["parameters"] == {"self.factor": 3.0, "self.mode": "mean", "self.shape": [3, 3],
                                    "self.label": "Shape.SQUARE"}
    assert settings["parameters"] == {"self.threshold": 0.5, "self.api_password": "***"}
    assert estimator["parameters"] == {"self.depth": 4, "self.inner__alpha": 0.1}
    assert [a["name"] for a in log.activities()] == ["fit", "apply", "fit"]


def test_the_configuration_recorded_is_bounded():
    from logprov.capture.parameters import CONFIGURATION_ITEMS, instance_configuration

    class Wide:
        def get_params(self, deep=True):
            return {f"p{i}": i for i in range(1000)}

    found = instance_configuration(Wide())
    assert found == [(f"self.p{i}", i) for i in range(CONFIGURATION_ITEMS)]


def test_small_immutable_arguments_are_parameters(make_capture, records):
    capture = make_capture()

    @capture.trace
    def render(image, shape=(64, 64), style=Shape.ROUND, grid=((0, 1), (2, 3)), steps=tuple(range(40))):
        return None

    with records(capture) as log:
        render([0.0, 1.0])
    (parameters,) = log.of_kind("parameters")
    assert parameters["parameters"] == {"shape": [64, 64], "style": "Shape.ROUND", "grid": [[0, 1], [2, 3]]}
    assert sorted(r["used_role"] for r in log.of_kind("used")) == ["image", "steps"]


def test_items_of_a_returned_tuple_are_entities_with_a_generator(make_capture, records):
    capture = make_capture()

    @capture.trace
    def make_data(n=3):
        return [float(i) for i in range(n)], [i % 2 for i in range(n)]

    @capture.trace
    def fit(X, y):
        return None

    @capture.trace
    def bounds():
        return (0.0, 1.0)

    with records(capture) as log:
        X, y = make_data()
        fit(X, y)
        bounds()
    make, fit_start, bounds_start = log.activities()
    result = log.find(activity_id=make["activity_id"], generated_role="result")[0]["generated_id"]
    items = [log.find(activity_id=make["activity_id"], generated_role=f"result[{i}]")[0]["generated_id"] for i in (0, 1)]
    assert [r["member_id"] for r in log.find(entity_id=result) if "member_id" in r] == items
    assert [log.find(activity_id=fit_start["activity_id"], used_role=role)[0]["used_id"] for role in ("X", "y")] == items
    assert [r["generated_role"] for r in log.find(activity_id=bounds_start["activity_id"]) if "generated_role" in r] == ["result"]
    assert not log.of_kind("derivation")


def test_an_untraced_change_between_traced_calls_is_a_derivation(make_capture, records):
    capture = make_capture()
    make = capture.trace(lambda: {"arr": [1, 2, 3]}, name="make")
    fit = capture.trace(lambda c: None, name="fit")
    report = capture.trace(lambda c: None, name="report")
    with records(capture) as log:
        c = make()
        fit(c)
        c["arr"][1] = 5
        report(c)
        report(c)
    made = log.of_kind("generated")[0]["generated_id"]
    fit_used, report_used, again = (r["used_id"] for r in log.of_kind("used"))
    assert fit_used == made and report_used != made and again == report_used
    (derivation,) = log.of_kind("derivation")
    assert derivation["entity_id"] == report_used and derivation["progenitor_id"] == made
    assert derivation["untraced"] is True


def test_an_untraced_change_of_an_array_is_a_derivation(make_capture, records):
    np = pytest.importorskip("numpy")
    capture = make_capture()
    fit = capture.trace(lambda data: None, name="fit")
    data = np.arange(10.0)
    with records(capture) as log:
        fit(data)
        data[3] = -1.0
        fit(data)
    first, second = (r["used_id"] for r in log.of_kind("used"))
    assert [(r["entity_id"], r["progenitor_id"]) for r in log.of_kind("derivation")] == [(second, first)]


def test_new_objects_at_a_reused_address_are_not_derived_from_old_ones(make_capture, records):
    capture = make_capture()
    use = capture.trace(lambda value: None, name="use")

    class Box:
        def __init__(self, content):
            self.content = content

    with records(capture) as log:
        for i in range(50):
            use({"i": i})
            use([i])
            use(Box(i))
    assert len(log.of_kind("used")) == 150
    assert not log.of_kind("derivation")


def test_object_tracker_lets_go_of_objects_nothing_else_refers_to():
    released = []

    class Record(dict):
        __slots__ = ()

        def __del__(self):
            released.append(self.get("n"))

    tracker = ObjectTracker(size=8, held=64)
    kept = [Record(n=n) for n in range(3)]
    for n, record in enumerate(kept):
        assert tracker.swap(record, f"id{n}") is None
    for n in range(100):
        tracker.set(Record(n=100 + n), "temporary")
    assert len(released) >= 100 - 2 * 16 and not set(released) & {0, 1, 2}
    assert len(tracker._held) <= 2 * 16 + len(kept)
    assert [tracker.swap(record, "new", "activity") for record in kept] == [(f"id{n}", None) for n in range(3)]
    assert tracker.swap(kept[1], "newer") == ("new", "activity")
    assert held_only_here([Record()]) and not held_only_here([kept[0]])
    bounded = ObjectTracker(size=8, held=4)
    alive = [[n] for n in range(40)]
    for item in alive:
        bounded.set(item, "x")
    assert len(bounded._held) <= 2 * 16
    assert bounded.swap(alive[-1], "y") == ("x", None) and bounded.swap(alive[0], "y") is None
    for n in range(20):
        tracker.set(Shape, f"class{n}")
        tracker.set(Plain(), f"plain{n}")
    assert len(tracker._weak) <= 8
    assert tracker.swap("text", "x") is None and tracker.swap("text", "y") is None


def test_a_change_between_two_calls_inside_one_activity_belongs_to_that_activity(make_capture, records):
    capture = make_capture()
    look = capture.trace(lambda data: None, name="look")

    @capture.trace
    def outer(data):
        look(data)
        data.append(4)
        look(data)

    data = [1, 2, 3]
    with records(capture) as log:
        outer(data)
        data.append(5)
        look(data)
    outer_id = log.activities("outer")[0]["activity_id"]
    first, second, last = (r["used_id"] for r in log.of_kind("used") if r["activity_id"] != outer_id)
    derivations = [(r["entity_id"], r["progenitor_id"], r.get("in_activity"), r.get("untraced"))
                   for r in log.of_kind("derivation")]
    assert derivations == [(second, first, outer_id, None), (last, second, None, True)]


class Plain:
    pass


MAKERS = [dict, list, Plain, lambda: (Plain(),), bytearray]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 4), st.booleans()), max_size=60))
def test_object_tracker_agrees_with_an_identity_map_of_live_objects(steps):
    """While every object stays alive, `swap` returns what a map keyed by identity remembers."""
    tracker = ObjectTracker(size=1000, held=1000)
    objects = [MAKERS[index % len(MAKERS)]() for index in range(12)]
    oracle: dict = {}
    for which, label, inside in steps:
        obj = objects[which]
        context = "outer" if inside else None
        assert tracker.swap(obj, f"id{label}", context) == oracle.get(id(obj))
        oracle[id(obj)] = (f"id{label}", context)


def test_values_held_by_the_capture_are_let_go_once_the_caller_drops_them(make_capture, records):
    """A returned tuple and a list argument are held to remember their identity; once the caller
    drops them (and the arrays inside), the next traced call lets them go, so that the arrays of
    earlier calls are freed rather than kept alive by the capture."""
    import gc
    import weakref

    import numpy as np

    capture = make_capture()

    @capture.trace
    def load(n):
        return np.full(1000, float(n)), np.arange(n + 1)

    @capture.trace
    def use(data):
        return len(data)

    arrays = []
    with records(capture):
        for n in range(6):
            x, y = load(n)
            data = [np.full(1000, -float(n))]
            use(data)
            arrays += [weakref.ref(x), weakref.ref(y), weakref.ref(data[0])]
            del x, y, data
    gc.collect()
    alive = [n for n, ref in enumerate(arrays) if ref() is not None]
    assert all(n >= len(arrays) - 3 for n in alive), alive
