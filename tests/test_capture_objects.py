"""What traced calls record about the Python objects they touch: the capture's own inspection,
the instance of a method, returned collections, small immutable values, untraced changes."""

from __future__ import annotations

import dataclasses
import enum

import pytest


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
