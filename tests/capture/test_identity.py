"""Entity identity: value semantics, stability across processes, files."""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import pytest

from logprov.capture.identity import FileHasher, ValueDigester



class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


class Opaque:
    __slots__ = ()


class BadState:
    def __getstate__(self):
        raise RuntimeError("no state")


def digest(value, **kw):
    return ValueDigester(**kw).digest(value)


@pytest.mark.parametrize(
    "value",
    [
        1, -7, 2**100, 1.5, float("nan"), "text", "", b"bytes", None, True, [1, "a", None],
        (1, 2), {"b": 1, "a": [1, 2]}, {1, 2, 3}, frozenset({"x"}), Point(1, [2, 3]),
        Slotted(1, {"k": "v"}), {"nested": {"deep": [Point(1, 2)]}},
    ],
)
def test_equal_values_and_deep_copies_share_an_id(value):
    first, scheme = digest(value)
    assert scheme is None
    assert len(first) == 32 and int(first, 16) >= 0
    assert digest(copy.deepcopy(value))[0] == first


def test_dict_order_does_not_matter_but_content_does():
    assert digest({"a": 1, "b": 2})[0] == digest({"b": 2, "a": 1})[0]
    assert digest({"a": 1, "b": 2})[0] != digest({"a": 1, "b": 3})[0]


def test_types_are_distinguished():
    ids = {digest(v)[0] for v in (1, 1.0, True, "1", b"1", [1], {1}, {"1": 1})}
    assert len(ids) == 8
    assert digest({1})[0] == digest(frozenset({1}))[0]
    assert digest([1, 1.0, True])[0] != digest([1, 1, 1])[0]


def test_plain_data_serialised_alike_shares_an_id():
    assert digest([1, [2, 3]])[0] == digest((1, (2, 3)))[0]
    assert digest({"a": (1, 2)})[0] == digest({"a": [1, 2]})[0]


def test_mutation_changes_the_id():
    point = Point(1, [2, 3])
    before = digest(point)[0]
    point.y.append(4)
    assert digest(point)[0] != before


def test_recursive_values_are_identified():
    cyclic = [1, 2]
    cyclic.append(cyclic)
    other = [1, 2]
    other.append(other)
    assert digest(cyclic)[0] == digest(other)[0]
    assert digest(cyclic)[1] is None


def test_ids_never_contain_memory_addresses():
    value = Point(object.__new__(Point), 3)
    entity_id, _ = digest(value)
    assert hex(id(value))[2:] not in entity_id


def test_unserialisable_values_get_a_stable_fallback_id_per_object():
    digester = ValueDigester()
    opaque, other = Opaque(), Opaque()
    first, scheme = digester.digest(opaque)
    assert scheme == "fallback"
    assert digester.digest(opaque)[0] == first
    assert digester.digest(other)[0] != first
    bad_id, bad_scheme = digester.digest(BadState())
    assert bad_scheme == "fallback" and len(bad_id) == 32


@pytest.mark.filterwarnings("ignore:logprov:RuntimeWarning")
def test_large_buffers_are_sampled_within_the_size_bound():
    big = bytes(10_000_000)
    changed_far = bytearray(big)
    changed_far[5_000_001] = 1
    small_bound = ValueDigester(max_bytes=1_000_000)
    assert small_bound.digest(big)[0] == small_bound.digest(bytes(10_000_000))[0]
    head_changed = bytearray(big)
    head_changed[10] = 1
    assert small_bound.digest(bytes(head_changed))[0] != small_bound.digest(big)[0]
    assert ValueDigester().digest(bytes(changed_far))[0] != ValueDigester().digest(big)[0]


def test_numpy_arrays_when_available():
    numpy = pytest.importorskip("numpy")
    array = numpy.arange(12, dtype="f8").reshape(3, 4)
    assert digest(array)[0] == digest(array.copy())[0]
    assert digest(array)[0] != digest(array.astype("f4"))[0]
    assert digest(array)[0] != digest(array.T)[0]


SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests!r})
    from logprov.capture.identity import ValueDigester, FileHasher
    from test_identity import Point
    d = ValueDigester()
    values = ["text", 42, {{"b": [1, 2], "a": {{"x", "y", "z"}}}}, Point("p", {{"k": (1, 2)}}), frozenset({{"a", "b", "c"}})]
    print(json.dumps([d.digest(v)[0] for v in values] + [FileHasher().file({path!r}).entity_id]))
    """
)


def test_ids_are_identical_across_processes_with_different_hash_seeds(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("same content\n")
    script = SCRIPT.format(tests=str(Path(__file__).parent), path=str(data))
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_file_digest_matches_hashlib_and_is_cached(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(3_000_000))
    hasher = FileHasher("sha1")
    found = hasher.file(path)
    assert found.entity_id == "file:" + hashlib.sha1(path.read_bytes()).hexdigest()
    assert found.size == 3_000_000 and found.hash_type == "sha1"
    calls = []
    monkeypatch.setattr(hasher, "_hash_file", lambda full: calls.append(full) or "x")
    assert hasher.file(path) == found
    assert calls == []
    path.write_bytes(b"changed")
    assert hasher.file(path).entity_id == "file:x"
    assert calls == [str(path)]


def test_file_collections_use_index_or_listing(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "a.txt").write_text("a")
    hasher = FileHasher()
    listing = hasher.collection(store)
    assert listing.size is None
    (store / "b.txt").write_text("b")
    assert hasher.collection(store).entity_id != listing.entity_id
    (store / "index.txt").write_text("index")
    indexed = hasher.collection(store, index="index.txt")
    assert indexed.entity_id == "file:" + hashlib.sha256(b"index").hexdigest()
    assert indexed.path == str(store)


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        FileHasher().file(tmp_path / "missing")


class WithState:
    def __init__(self, value):
        self.value = value

    def __getstate__(self):
        return {"value": self.value}


def test_temporary_states_are_never_taken_for_references_to_each_other():
    digester = ValueDigester()
    ids = {digester.digest([WithState(1), WithState(v)])[0] for v in (2, 3, 999)}
    assert len(ids) == 3


def test_temporaries_of_set_subclasses_and_object_arrays_are_kept_apart():
    numpy = pytest.importorskip("numpy")

    class Tags(frozenset):
        pass

    def objects(*values):
        array = numpy.empty(len(values), dtype=object)
        array[:] = values
        return array

    digester = ValueDigester()
    assert digester.digest([Tags({1}), Tags({2})])[0] != digester.digest([Tags({1}), Tags({3})])[0]
    first = digester.digest([objects([1]), objects([2])])[0]
    assert first != digester.digest([objects([1]), objects([3])])[0]


def test_references_from_set_items_to_enclosing_objects_are_positional():
    def graph(label):
        holder = WithState(None)
        holder.value = [label, frozenset({(label, 1)}), {WithStateKey(holder)}]
        return holder

    assert digest(graph("a"))[1] is None
    assert digest(graph("a"))[0] == digest(graph("a"))[0]
    assert digest(graph("a"))[0] != digest(graph("b"))[0]


class WithStateKey:
    def __init__(self, target):
        self.target = target

    def __hash__(self):
        return 1


@pytest.mark.parametrize("size", [1, 300])
def test_nan_and_infinities_are_never_taken_for_none(size):
    ids = {digest(v)[0] for v in ([float("nan")] * size, [None] * size, [float("inf")] * size,
                                   [(1, None)] * size, [(1, float("nan"))] * size)}
    assert len(ids) == 5


def test_weak_proxies_are_skipped_whatever_they_point_to():
    import weakref

    class Holder:
        def __init__(self, target):
            self.target = weakref.proxy(target)
            self.value = 1

    class Target(list):
        pass

    class Other(dict):
        pass

    first, second = Target([1]), Other(a=1)
    assert digest(Holder(first)) == digest(Holder(second))
    assert digest(Holder(first))[1] is None


def test_long_lists_of_scalars_of_a_list_subclass_are_identified_by_content():
    class Row(list):
        pass

    first, scheme = digest(Row(range(10)))
    assert scheme is None
    assert digest(Row(range(10)))[0] == first
    assert digest(Row(range(1, 11)))[0] != first
