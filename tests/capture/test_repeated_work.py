"""Work a traced call does not repeat: the configuration of an unchanged instance is read once,
and the data of an array in a returned tuple is hashed once for the tuple and its item."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.preprocessing import StandardScaler

import logprov.capture.identity.buffers as buffers
from logprov.capture.identity import ValueDigester
from logprov.capture.parameters import ConfigurationMemo, instance_configuration


class CountingScaler(StandardScaler):
    """A scaler that counts the calls of its ``get_params(deep=True)``."""

    calls = 0

    def get_params(self, deep=True):
        CountingScaler.calls += bool(deep)
        return super().get_params(deep=deep)

    def scaled(self, X):
        return self.transform(X)


class Opaque:
    """Configured through ``__init__``; its state cannot be digested (a fallback id)."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def __getstate__(self):
        raise RuntimeError("no state")

    def run(self):
        return None


def _self_parameters(log, name):
    ids = [a["activity_id"] for a in log.activities(name)]
    found = {r["activity_id"]: r["parameters"] for r in log.of_kind("parameters")}
    return [found.get(activity_id, {}) for activity_id in ids]


def test_an_unchanged_estimator_has_its_configuration_read_once(make_capture, records):
    capture = make_capture()
    capture.trace_methods(CountingScaler, include=["scaled"])
    X = np.arange(12.0).reshape(4, 3)
    scaler = CountingScaler().fit(X)
    with records(capture) as log:
        scaler.scaled(X)
        CountingScaler.calls = 0
        for _ in range(4):
            scaler.scaled(X)
        unchanged_calls = CountingScaler.calls
        scaler.set_params(with_mean=False)
        CountingScaler.calls = 0
        scaler.scaled(X)
        changed_calls = CountingScaler.calls
    assert unchanged_calls == 0
    assert changed_calls >= 1
    parameters = _self_parameters(log, "scaled")
    assert len(parameters) == 6
    assert all(p["self.with_mean"] is True for p in parameters[:5])
    assert parameters[5]["self.with_mean"] is False
    expected = dict(instance_configuration(scaler))
    assert {k: v for k, v in parameters[5].items() if k.startswith("self.")} == expected


def test_an_instance_with_a_fallback_id_has_its_configuration_read_at_each_call(make_capture, records):
    capture = make_capture()
    capture.trace_methods(Opaque, include=["run"])
    opaque = Opaque(2.0)
    with records(capture) as log:
        opaque.run()
        opaque.factor = 5.0
        opaque.run()
    assert [p["self.factor"] for p in _self_parameters(log, "run")] == [2.0, 5.0]


class Settings:
    def __init__(self, alpha=0.5, mode="fast", steps=(1, 2)):
        self.alpha = alpha
        self.mode = mode
        self.steps = steps


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alpha", "mode", "steps"]),
                          st.one_of(st.integers(), st.text(max_size=5), st.tuples(st.integers())),
                          st.booleans()), max_size=12))
def test_the_remembered_configuration_equals_the_one_read_anew(changes):
    memo, digester = ConfigurationMemo(), ValueDigester()
    instances = [Settings(), Settings(alpha=2.0)]
    for name, value, first in changes:
        instance = instances[0 if first else 1]
        setattr(instance, name, value)
        for each in instances:
            state_id, scheme = digester.digest(each)
            assert scheme is None
            assert list(memo.configuration(each, state_id)) == instance_configuration(each)


def test_a_changed_instance_at_a_reused_state_id_is_read_anew_when_the_id_differs():
    memo = ConfigurationMemo()
    instance = Settings()
    assert dict(memo.configuration(instance, "a"))["self.alpha"] == 0.5
    instance.alpha = 1.5
    assert dict(memo.configuration(instance, "b"))["self.alpha"] == 1.5
    assert dict(memo.configuration(instance, None))["self.alpha"] == 1.5


def test_the_memo_forgets_an_instance_that_is_gone():
    memo = ConfigurationMemo()
    instance = Settings()
    memo.configuration(instance, "a")
    del instance
    assert memo._entries == {}


@pytest.fixture
def hashed(monkeypatch):
    """Count the arrays whose data is hashed in full."""
    sizes = []
    plain = buffers.hash_array_data

    def counting(arr):
        sizes.append(arr.nbytes)
        return plain(arr)

    monkeypatch.setattr(buffers, "hash_array_data", counting)
    return sizes


def test_an_array_returned_in_a_tuple_is_hashed_once(make_capture, records, hashed):
    capture = make_capture()
    images = np.random.default_rng(3).random((300, 400))
    mask = images > 0.5
    make = capture.trace(lambda: (images, mask, 3.5), name="make")
    with records(capture) as log:
        result = make()
    assert sorted(hashed) == sorted([images.nbytes, mask.nbytes])
    (activity,) = log.activities("make")
    made = {r["generated_role"]: r["generated_id"] for r in log.find(activity_id=activity["activity_id"])
            if "generated_role" in r}
    digester = ValueDigester()
    assert made["result"] == digester.digest(result)[0]
    assert made["result[0]"] == digester.digest(images)[0]
    assert made["result[1]"] == digester.digest(mask)[0]


padded = np.dtype({"names": ["a", "b"], "formats": ["u1", "<f8"], "offsets": [0, 8], "itemsize": 16})


@pytest.mark.filterwarnings("ignore:logprov:RuntimeWarning")
@pytest.mark.parametrize("max_bytes", [1 << 30, 100_000])
def test_shared_buffers_give_the_ids_of_the_plain_digest(max_bytes):
    rng = np.random.default_rng(5)
    big = rng.random((200, 100))
    structured = np.zeros(3000, dtype=padded)
    structured["b"] = rng.random(3000)
    values = [
        (big, big.T, big[::2], 1),
        [big, big, {"x": big}],
        (structured, structured, "text"),
        (rng.random(10), None),
        (big,),
    ]
    for value in values:
        plain = ValueDigester(max_bytes)
        shared = ValueDigester(max_bytes)
        buffers: dict = {}
        assert shared.digest(value, buffers) == plain.digest(value)
        for item in value:
            assert shared.digest(item, buffers) == plain.digest(item)
