"""Exports meet the W3C PROV-CONSTRAINTS: the checker of ``provconstraints`` on logs and sessions."""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prov.model import ProvDerivation, ProvDocument, ProvGeneration, ProvSpecialization

import logprov
from logprov.export import export
from logprov.model import build_document
from logprov.model.identifiers import local_part
from logprov.reading.reader import iter_records

from provconstraints import check_records, graph_of, violations

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
T0 = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone.utc)
_names = itertools.count()


def minute(number: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=number)


def rdf(document: ProvDocument) -> Graph:
    return graph_of(export(document, "nt"))


def small_document() -> tuple:
    document = ProvDocument()
    ex = document.add_namespace("ex", "urn:example:")
    first = document.activity(ex["first"], minute(0), minute(1))
    second = document.activity(ex["second"], minute(2), minute(3))
    return document, ex, first, second


def test_checker_accepts_a_valid_document():
    document, ex, first, second = small_document()
    document.generation(ex["x"], first, minute(1))
    document.usage(second, ex["x"], minute(2))
    document.entity(ex["x-general"])
    document.specialization(ex["x"], ex["x-general"])
    document.derivation(ex["y"], ex["x-general"])
    document.communication(second, first)
    assert violations(rdf(document)) == []


@pytest.mark.parametrize("case, expected", [
    ("two generators", "generation-uniqueness"),
    ("two generation times", "generation-uniqueness"),
    ("ends before it starts", "start-precedes-end"),
    ("used after its end", "usage-within-activity"),
    ("generated before its start", "generation-within-activity"),
    ("used before generated", "generation-precedes-usage"),
    ("entity and activity", "entity-activity-disjoint"),
    ("derivation cycle", "derivation-generation-generation-ordering"),
    ("derived from itself", "derivation-generation-generation-ordering"),
    ("own specialization", "impossible-specialization-reflexive"),
    ("two invalidators", "invalidation-uniqueness"),
    ("informed by a later activity", "wasInformedBy-ordering"),
    ("derived in two activities", "generation-uniqueness"),
])
def test_checker_finds_each_violation(case, expected):
    document, ex, first, second = small_document()
    x = ex["x"]
    if case == "two generators":
        document.generation(x, first, minute(1))
        document.generation(x, second, minute(3))
    elif case == "two generation times":
        document.generation(x, first, minute(0))
        document.generation(x, first, minute(1))
    elif case == "ends before it starts":
        document.activity(ex["backwards"], minute(5), minute(4))
    elif case == "used after its end":
        document.usage(first, x, minute(2))
    elif case == "generated before its start":
        document.generation(x, second, minute(1))
    elif case == "used before generated":
        document.generation(x, second, minute(3))
        document.usage(first, x, minute(0))
    elif case == "entity and activity":
        document.entity(ex["first"])
    elif case == "derivation cycle":
        document.derivation(ex["a"], ex["b"])
        document.derivation(ex["b"], ex["a"])
    elif case == "derived from itself":
        document.derivation(x, x)
    elif case == "own specialization":
        document.specialization(x, x)
    elif case == "two invalidators":
        document.invalidation(x, first, minute(1))
        document.invalidation(x, second, minute(3))
    elif case == "informed by a later activity":
        document.communication(first, second)
    elif case == "derived in two activities":
        document.derivation(x, ex["p"], first)
        document.derivation(x, ex["p"], second)
    found = violations(rdf(document))
    assert any(text.startswith(expected) for text in found), found


def test_legacy_fixture_meets_the_constraints():
    check_records(list(iter_records(LEGACY)))


DEFINITIONS = {
    "activity_descriptions": {
        "set_var": {
            "parameters": [{"value": "kwargs.value"}],
            "generation": [{"role": "var", "entity_description": "Value", "value": "var"}],
        },
        "double": {
            "usage": [{"role": "var", "entity_description": "Value", "value": "var"}],
            "generation": [{"role": "out", "entity_description": "Value", "value": "out"}],
        },
        "outer": {
            "parameters": [{"value": "kwargs.value"}],
            "generation": [{"role": "var", "entity_description": "Value", "value": "var"}],
        },
        "fail": {
            "usage": [{"role": "var", "entity_description": "Value", "value": "var"}],
            "generation": [{"role": "out", "entity_description": "Value", "value": "out"}],
        },
        "write": {
            "parameters": [{"value": "kwargs.filename"}],
            "usage": [{"role": "var", "entity_description": "Value", "value": "var"}],
            "generation": [{"role": "file", "entity_description": "File", "location": "kwargs.filename",
                            "namespace": "file"}],
        },
        "read": {
            "parameters": [{"value": "kwargs.filename"}],
            "usage": [{"role": "file", "entity_description": "File", "location": "kwargs.filename",
                       "namespace": "file"}],
            "generation": [{"role": "var", "entity_description": "Value", "value": "var"}],
        },
    },
    "entity_descriptions": {
        "Value": {"type": "PythonObject"},
        "File": {"type": "File"},
    },
}


class Steps:
    """Methods whose values repeat: the same value generated by several activities, a file
    written again with the same or other content, nested and failing calls."""

    def __init__(self):
        self.var = 0
        self.out = 0

    def set_var(self, value=0):
        self.var = value

    def double(self):
        self.out = 2 * self.var

    def outer(self, value=0):
        self.set_var(value=value)

    def fail(self):
        self.out = self.var
        raise ValueError("planned failure")

    def write(self, filename=""):
        Path(filename).write_text(f"{self.var}\n")

    def read(self, filename=""):
        self.var = int(Path(filename).read_text())


STEP = st.one_of(
    st.tuples(st.sampled_from(["set_var", "outer", "poke"]), st.integers(0, 2)),
    st.tuples(st.sampled_from(["double", "fail", "write", "read"]), st.just(0)),
)


class Runner:
    """One capture of the traced `Steps`, writing each run as a new session into its own log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runs = itertools.count()
        name = f"logprov.constraints{next(_names)}"
        self.capture = logprov.ProvCapture(definitions=DEFINITIONS, config={
            "log_filename": str(folder / f"{name}.log"), "logger_name": name,
            "record_git": False, "record_packages": False,
        })
        self.cls = self.capture.trace_methods(type("Steps", (Steps,), {"__module__": __name__}))

    def run(self, steps: list) -> list:
        """Run ``steps`` in a new session and return the records of its log."""
        number = next(self.runs)
        log = self.folder / f"run{number}.log"
        path = str(self.folder / f"run{number}.txt")
        self.capture.set_log_filename(log)
        self.capture.new_session()
        obj = self.cls()
        for step, value in steps:
            if step == "poke":
                obj.var = value
            elif step in ("set_var", "outer"):
                getattr(obj, step)(value=value)
            elif step == "fail":
                with pytest.raises(ValueError):
                    obj.fail()
            elif step == "write":
                obj.write(filename=path)
            elif step == "read":
                if Path(path).exists():
                    obj.read(filename=path)
            else:
                obj.double()
        self.capture.end_session()
        for handler in self.capture.logger.handlers:
            handler.flush()
        return list(iter_records(str(log)))

    def close(self) -> None:
        for handler in list(self.capture.logger.handlers):
            handler.close()
            self.capture.logger.removeHandler(handler)


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    made = Runner(tmp_path_factory.mktemp("constraints"))
    yield made
    made.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_sessions_meet_the_constraints(runner, steps):
    check_records(runner.run([("set_var", 0)] + steps), formats=False)


def test_repeated_values_rewritten_files_and_untraced_changes_meet_the_constraints(runner):
    steps = [("set_var", 1), ("set_var", 2), ("set_var", 1), ("outer", 1), ("write", 0), ("poke", 2),
             ("write", 0), ("poke", 1), ("write", 0), ("read", 0), ("double", 0), ("fail", 0),
             ("poke", 2), ("double", 0), ("poke", 1), ("double", 0)]
    records = runner.run(steps)
    data = [record.data for record in records]
    generated = [r["generated_id"] for r in data if "generated_id" in r]
    assert len(generated) > len(set(generated))
    assert sum(1 for r in data if r.get("untraced")) >= 3
    assert any(r.get("status") == "failed" for r in data)
    assert any("parent_activity_id" in r for r in data)
    check_records(records)


class Scaler:
    """A model whose ``fit`` changes the instance it is called on."""

    def __init__(self):
        self.factor = 1

    def fit(self, values):
        self.factor = sum(values)
        return self


def test_a_change_made_again_in_a_second_activity_meets_the_constraints(tmp_path):
    capture = logprov.ProvCapture(config={
        "log_filename": str(tmp_path / "scaler.log"), "logger_name": f"logprov.constraints{next(_names)}",
        "record_git": False, "record_packages": False,
    })
    cls = capture.trace_methods(type("Scaler", (Scaler,), {"__module__": __name__}))
    try:
        model = cls()
        model.fit([1, 2])
        model.factor = 1
        model.fit([1, 2])
        capture.end_session()
    finally:
        for handler in list(capture.logger.handlers):
            handler.close()
            capture.logger.removeHandler(handler)
    records = list(iter_records(str(tmp_path / "scaler.log")))
    within = [(r.data["entity_id"], r.data["progenitor_id"], r.data["in_activity"])
              for r in records if "in_activity" in r.data]
    assert len(within) == 2 and within[0][:2] == within[1][:2] and within[0][2] != within[1][2]
    derivations = list(build_document(records).get_records(ProvDerivation))
    assert sorted(d.args[2].localpart for d in derivations if d.args[2] is not None) == sorted(
        local_part(activity) for _, _, activity in within)
    assert len({d.args[0] for d in derivations}) == len(derivations) == 3
    check_records(records)


def test_two_activities_producing_one_value_give_two_generated_entities(runner):
    records = runner.run([("set_var", 1), ("set_var", 2), ("set_var", 1)])
    document = build_document(records)
    generations = list(document.get_records(ProvGeneration))
    assert len(generations) == 3
    assert len({g.args[0] for g in generations}) == 3
    contents = {s.args[0]: s.args[1] for s in document.get_records(ProvSpecialization)}
    assert len({contents[g.args[0]] for g in generations}) == 2
    check_records(records)
