"""Value identity checked against an independent oracle over random object graphs.

A graph is built from a drawn specification: plain objects, objects with ``__getstate__``,
``__reduce__`` or ``__slots__``, dataclasses, lists, dictionaries, sets and tuples, with
references to nodes built earlier (shared sub-objects and cycles). The oracle is the pickle
(protocol 5) of a deep copy: two graphs have equal state exactly when those bytes are equal.
Graphs are built so that the pickle is canonical (keys and attributes inserted in sorted order,
sets of small integers, strings and bytes from a fixed set of constants); the root is always an
object, so the plain-JSON path of the digester (which gives lists and tuples one form) is not
taken, and sets are all of one type (a set and a frozenset of the same items share an id by
design).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import json
import pickle
import random
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logprov.capture.identity import ValueDigester

EXAMPLES = 520

STRINGS = ("", "a", "bc", "value", "été")
BYTES = (b"", b"x", b"\x00\x01")
KEYS = ("a", "b", "c", "d")
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.sampled_from((0.0, -0.0, 1.5, float("nan"), float("inf"))),
    st.sampled_from(STRINGS),
    st.sampled_from(BYTES),
)


class Plain:
    pass


class WithState:
    def __getstate__(self):
        return dict(self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)


class Slotted:
    __slots__ = ("a", "b", "c", "d")


@dataclasses.dataclass
class Record:
    a: object = None
    b: object = None


class Reduced:
    """Rebuilt from its constructor arguments (scalars only, so that pickle can rebuild it)."""

    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __reduce__(self):
        return Reduced, (self.x, self.y)


OBJECTS = {"plain": Plain, "state": WithState, "slots": Slotted}


def specs(depth: int = 3):
    """Strategy for graph specifications (nested tuples)."""
    leaf = st.tuples(st.just("leaf"), LEAVES)
    ref = st.tuples(st.just("ref"), st.integers(0, 50))
    small = st.one_of(
        leaf,
        ref,
        st.tuples(st.just("set"), st.frozensets(st.integers(0, 7), max_size=4)),
        st.tuples(st.just("tuple"), st.lists(LEAVES, max_size=3)),
        st.tuples(st.just("reduced"), LEAVES, LEAVES),
    )
    if depth == 0:
        return small
    child = specs(depth - 1)
    return st.one_of(
        small,
        st.tuples(st.just("list"), st.lists(child, max_size=4)),
        st.tuples(st.just("dict"), st.dictionaries(st.sampled_from(KEYS), child, max_size=3)),
        st.tuples(st.sampled_from(sorted(OBJECTS)), st.dictionaries(st.sampled_from(KEYS), child, max_size=3)),
        st.tuples(st.just("record"), child, child),
    )


def roots():
    return st.tuples(st.sampled_from(sorted(OBJECTS)), st.dictionaries(st.sampled_from(KEYS), specs(), max_size=4))


def build(spec):
    """Build the graph of ``spec``; ``ref`` nodes point to nodes built before (ancestors too)."""
    nodes: list = []

    def make(node):
        kind = node[0]
        if kind == "leaf":
            return node[1]
        if kind == "ref":
            return nodes[node[1] % len(nodes)]
        if kind == "set":
            value = set(node[1])
        elif kind == "tuple":
            value = tuple(node[1])
        elif kind == "reduced":
            value = Reduced(node[1], node[2])
        elif kind == "list":
            value = []
            nodes.append(value)
            value.extend(make(item) for item in node[1])
            return value
        elif kind == "dict":
            value = {}
            nodes.append(value)
            for key in sorted(node[1]):
                value[key] = make(node[1][key])
            return value
        elif kind == "record":
            value = Record()
            nodes.append(value)
            value.a = make(node[1])
            value.b = make(node[2])
            return value
        else:
            value = OBJECTS[kind]()
            nodes.append(value)
            for key in sorted(node[1]):
                setattr(value, key, make(node[1][key]))
            return value
        nodes.append(value)
        return value

    return make(spec)


def oracle(value) -> bytes:
    return pickle.dumps(copy.deepcopy(value), protocol=5)


def digest(value) -> str:
    entity_id, scheme = ValueDigester().digest(value)
    assert scheme is None
    return entity_id


def mutate(spec, data):
    """Return ``spec`` with one leaf replaced by a drawn one (possibly an equal one)."""
    leaves = []

    def walk(node, path):
        if node[0] == "leaf":
            leaves.append(path)
        elif node[0] in ("list",):
            for index, item in enumerate(node[1]):
                walk(item, path + (1, index))
        elif node[0] == "record":
            walk(node[1], path + (1,))
            walk(node[2], path + (2,))
        elif node[0] in ("dict",) or node[0] in OBJECTS:
            for key, item in node[1].items():
                walk(item, path + (1, key))

    walk(spec, ())
    if not leaves:
        return spec
    target = data.draw(st.sampled_from(leaves))
    new_leaf = ("leaf", data.draw(LEAVES))

    def replace(node, path):
        if not path:
            return new_leaf
        head, rest = path[0], path[1:]
        if head == 1 and node[0] in ("list",):
            items = list(node[1])
            items[rest[0]] = replace(items[rest[0]], rest[1:])
            return (node[0], items)
        if head == 1 and (node[0] == "dict" or node[0] in OBJECTS):
            items = dict(node[1])
            items[rest[0]] = replace(items[rest[0]], rest[1:])
            return (node[0], items)
        parts = list(node)
        parts[head] = replace(node[head], rest)
        return tuple(parts)

    return replace(spec, target)


FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(roots())
def test_equal_state_gives_equal_ids(spec):
    first, second = build(spec), build(spec)
    assert oracle(first) == oracle(second)
    assert digest(first) == digest(second) == digest(copy.deepcopy(first))


@FAST
@given(roots(), st.data())
def test_ids_are_equal_exactly_when_states_are(spec, data):
    other = mutate(spec, data)
    first, second = build(spec), build(other)
    assert (digest(first) == digest(second)) == (oracle(first) == oracle(second))


@FAST
@given(roots(), roots())
def test_unrelated_graphs_agree_with_the_oracle(spec, other):
    first, second = build(spec), build(other)
    assert (digest(first) == digest(second)) == (oracle(first) == oracle(second))


@FAST
@given(roots())
def test_one_digester_gives_each_graph_the_id_a_fresh_one_gives(spec):
    digester = ValueDigester()
    graphs = [build(spec) for _ in range(3)]
    assert len({digester.digest(graph)[0] for graph in graphs} | {digest(graphs[0])}) == 1


def test_ids_of_random_graphs_agree_across_processes_and_hash_seeds():
    # The module is loaded under the name it has here: the ids of its classes include it.
    script = (
        "import importlib.util, json, sys\n"
        f"found = importlib.util.spec_from_file_location({__name__!r}, {__file__!r})\n"
        "module = sys.modules[found.name] = importlib.util.module_from_spec(found)\n"
        "found.loader.exec_module(module)\n"
        "print(json.dumps([module.digest(module.build(spec)) for spec in module._fixed_specs()]))\n"
    )
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == [digest(build(spec)) for spec in _fixed_specs()]


def _fixed_specs():
    """Graph specifications drawn once with a fixed seed (the same list in every process)."""
    rng = random.Random(11)

    def node(depth):
        choice = rng.randrange(7 if depth else 3)
        if choice == 0:
            return ("leaf", rng.choice([None, True, 3, -0.0, "été", b"x", 2**65]))
        if choice == 1:
            return ("ref", rng.randrange(50))
        if choice == 2:
            return ("set", frozenset(rng.sample(range(8), 3)))
        if choice == 3:
            return ("list", [node(depth - 1) for _ in range(rng.randrange(4))])
        if choice == 4:
            return ("dict", {key: node(depth - 1) for key in rng.sample(KEYS, 2)})
        if choice == 5:
            return ("record", node(depth - 1), node(depth - 1))
        return (rng.choice(sorted(OBJECTS)), {key: node(depth - 1) for key in rng.sample(KEYS, 3)})

    return [(rng.choice(sorted(OBJECTS)), {key: node(3) for key in rng.sample(KEYS, 3)}) for _ in range(40)]


JSON_DATA = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=5)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=3), children, max_size=4)),
    max_leaves=12,
)


def _strictly_finite(value) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(JSON_DATA)
def test_the_search_for_nan_in_json_data_agrees_with_the_strict_encoder(value):
    from logprov.capture.identity.forms import no_nan as _no_nan

    if _strictly_finite(value):
        assert _no_nan(value) or "\x7f" in json.dumps(value, ensure_ascii=False)
    else:
        assert not _no_nan(value)


def test_the_bytes_of_a_non_finite_float_inside_an_integer_are_no_false_alarm():
    from logprov.capture.identity.forms import finite_floats, no_nan

    # -47105 is pickled as ``J\xff\x47\xff\xff``: the bytes ``G\xff\xff`` of an infinity's head.
    assert b"G\xff\xff" in pickle.dumps(-47105, protocol=5)
    assert no_nan(-47105) and no_nan([None, -47105])
    assert not no_nan([None, -47105, float("nan")]) and not no_nan({"a": [float("-inf")]})
    assert finite_floats(pickle.dumps([1.5, -47105], protocol=5))
    assert not finite_floats(pickle.dumps([1.5, float("inf")], protocol=5))
