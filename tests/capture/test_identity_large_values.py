"""Large values: buffers digested in full up to the bound, sampling beyond it, the time budget
of containers, and read-only arrays hashed once."""

from __future__ import annotations

import copy
import threading
import time
import warnings

import numpy as np
import pytest

import logprov.capture.identity.buffers as buffers
from logprov.settings.config import Config
from logprov.capture.identity import ValueDigester, hash_array_data, hash_buffer


def count_array_hashes(monkeypatch) -> list:
    calls: list = []
    plain = buffers.hash_array_data

    def counting(arr):
        calls.append(arr.nbytes)
        return plain(arr)

    monkeypatch.setattr(buffers, "hash_array_data", counting)
    return calls


def test_the_default_bound_is_at_least_one_gib():
    assert ValueDigester().max_bytes >= 1 << 30
    assert Config().max_hash_bytes >= 1 << 30


def test_an_80_mb_array_changed_in_one_element_gets_a_new_id_in_under_30_ms():
    array = np.random.default_rng(0).random(10_000_000)
    assert array.nbytes == 80_000_000
    digester = ValueDigester()
    first, scheme = digester.digest(array)
    assert scheme is None
    timings = []
    for index in (0, 4_999_999, 7_654_321, 9_999_999):
        kept = array[index]
        array[index] = 2.0
        started = time.perf_counter()
        changed = digester.digest(array)[0]
        timings.append(time.perf_counter() - started)
        assert changed != first
        array[index] = kept
        assert digester.digest(array)[0] == first
    assert min(timings) <= 0.030


def test_bytes_and_memoryviews_are_digested_in_full():
    data = bytearray(50_000_000)
    first = ValueDigester().digest(bytes(data))[0]
    data[31_415_926] = 1
    assert ValueDigester().digest(bytes(data))[0] != first
    assert ValueDigester().digest(memoryview(bytes(data)))[1] is None


def test_non_contiguous_data_is_hashed_as_its_c_order_copy():
    array = np.arange(3_000_000, dtype="f8").reshape(1000, 3000)
    for case in (array.T, array[::3, ::2], np.asfortranarray(array)):
        expected = hash_buffer(memoryview(np.ascontiguousarray(case).reshape(-1).view(np.uint8)))
        assert hash_array_data(case) == expected


def test_buffers_beyond_the_bound_are_sampled_recorded_and_warned_about_once(make_capture, records):
    digester = ValueDigester(max_bytes=1_000_000)
    big = np.zeros(2_000_000)
    with pytest.warns(RuntimeWarning, match="max_hash_bytes") as caught:
        first, scheme = digester.digest(big)
        digester.digest(np.ones(2_000_000))
    assert scheme == "sampled" and len(caught) == 1
    big[5] = 1.0
    assert digester.digest(big)[0] != first

    capture = make_capture(max_hash_bytes=1_000_000)
    traced = capture.trace(lambda data: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with records(capture) as log:
            traced(big)
            traced(np.arange(10.0))
    entities = log.of_kind("entity")
    assert len(entities) == 2
    assert [record.get("digest") for record in entities] == ["sampled", None]
    assert "id_scheme" not in entities[0]


def test_plain_json_data_is_digested_in_c_whatever_its_size():
    rows = [{"obs_id": index, "ra": index * 0.1, "name": f"src{index}", "flag": None} for index in range(100_000)]
    digester = ValueDigester(time_budget=0.001)
    first, scheme = digester.digest(rows)
    assert scheme is None
    assert digester.digest(copy.deepcopy(rows))[0] == first
    rows[76_543]["ra"] = 0.0
    assert digester.digest(rows)[0] != first
    assert ValueDigester().digest([float("nan")] * 300)[0] != ValueDigester().digest([None] * 300)[0]


def test_containers_past_the_time_budget_are_identified_by_their_pickle(make_capture, records):
    catalogue = {f"source-{index}": (index, b"flags") for index in range(200_000)}
    digester = ValueDigester(time_budget=0.005)
    first, scheme = digester.digest(catalogue)
    assert scheme == "pickled"
    assert digester.digest(dict(catalogue)) == (first, "pickled")
    catalogue["source-17"] = (-1, b"flags")
    assert digester.digest(catalogue)[0] != first
    assert ValueDigester(time_budget=float("inf")).digest(catalogue)[1] is None
    assert ValueDigester(time_budget=0.5).digest(catalogue)[1] is None

    capture = make_capture(digest_time_budget=0.001)
    traced = capture.trace(lambda table: None)
    with records(capture) as log:
        traced(catalogue)
    assert log.of_kind("entity")[0]["digest"] == "pickled"


def test_the_budget_decision_depends_on_the_value_alone():
    value = [{"a": index, "b": [b"raw"]} for index in range(20_000)]
    schemes = {ValueDigester(time_budget=0.005).digest(value)[1] for _ in range(5)}
    assert schemes == {"pickled"}
    assert ValueDigester(time_budget=0.05).digest(value)[1] is None


def test_unpicklable_values_past_the_budget_are_summarised():
    holder = {"lock": threading.Lock(), "items": [{index} for index in range(100_000)]}
    entity_id, scheme = ValueDigester(time_budget=0.001).digest(holder)
    assert scheme == "summarised" and len(entity_id) == 32


def test_an_unchanged_read_only_array_used_by_five_traced_calls_is_hashed_once(make_capture, records, monkeypatch):
    calls = count_array_hashes(monkeypatch)
    capture = make_capture()
    steps = [capture.trace(lambda features: None) for _ in range(5)]
    features = np.random.default_rng(1).random((1000, 1000))
    features.flags.writeable = False
    with records(capture) as log:
        for step in steps:
            step(features)
    used = {record["used_id"] for record in log.records if "used_id" in record}
    assert len(used) == 1
    assert len(calls) == 1


def test_writeable_arrays_and_read_only_views_of_writeable_ones_are_hashed_each_time(monkeypatch):
    calls = count_array_hashes(monkeypatch)
    digester = ValueDigester()
    base = np.zeros((1000, 1000))
    frozen_view = base[:]
    frozen_view.flags.writeable = False
    first = digester.digest(frozen_view)[0]
    base[500, 500] = 1.0
    assert digester.digest(frozen_view)[0] != first
    assert digester.digest(base)[0] == digester.digest(base)[0]
    assert len(calls) == 4


def test_a_remembered_digest_equals_the_plain_one(monkeypatch):
    features = np.random.default_rng(2).random((512, 1024))
    features.flags.writeable = False
    digester = ValueDigester()
    ids = [digester.digest(features)[0] for _ in range(3)]
    assert ids == [ValueDigester().digest(features.copy())[0]] * 3
    owned = features.copy()
    owned.flags.writeable = False
    digester.digest(owned)
    owned.flags.writeable = True
    owned[0, 0] += 1.0
    owned.flags.writeable = False
    assert digester.digest(owned)[0] == ValueDigester().digest(owned.copy())[0]


@pytest.mark.filterwarnings("ignore:logprov:RuntimeWarning")
def test_non_contiguous_arrays_beyond_the_bound_are_sampled_without_a_copy():
    array = np.random.default_rng(4).random((3000, 400))
    transposed = array.T
    digester = ValueDigester(max_bytes=1_000_000)
    first, scheme = digester.digest(transposed)
    assert scheme == "sampled"
    assert digester.digest(np.ascontiguousarray(transposed))[0] == first
    transposed[0, 0] = -1.0
    assert digester.digest(transposed)[0] != first


def test_cyclic_values_past_the_budget_are_pickled_with_the_memo():
    rows = [[index, b"raw"] for index in range(30_000)]
    rows.append(rows)
    digester = ValueDigester(time_budget=0.001)
    first, scheme = digester.digest(rows)
    assert scheme == "pickled"
    assert digester.digest(rows)[0] == first
    rows[5][0] = -5
    assert digester.digest(rows)[0] != first


def test_how_exact_an_id_is_reaches_every_prov_export(make_capture, records, tmp_path):
    """The ``digest`` of a sampled value's entity record is written as ``logprov:digest`` by
    the document builder and by the one-pass export, as ``id_scheme`` is."""
    import io

    import prov

    from logprov.export import export, export_records
    from logprov.model import LOGPROV, build_document
    from logprov.reading.reader import iter_records

    capture = make_capture(max_hash_bytes=1_000_000)
    traced = capture.trace(lambda data: None, name="look")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with records(capture) as log:
            traced(np.zeros(2_000_000))
    (entity_id,) = [record["entity_id"] for record in log.of_kind("entity")]
    log_file = capture.config.log_filename
    built = prov.read(io.StringIO(export(build_document(iter_records(log_file)), "json")), format="json")
    streamed = prov.read(io.StringIO(export_records(iter_records(log_file), "json")), format="json")
    for document in (built, streamed):
        (entity,) = [record for record in document.get_records(prov.model.ProvEntity)
                     if entity_id in str(record.identifier)]
        assert set(entity.get_attribute(LOGPROV["digest"])) == {"sampled"}
