"""Work a traced call does not repeat: the data of an array in a returned tuple is hashed once
for the tuple and its item."""

import numpy as np
import pytest

import logprov.identity as identity
from logprov.identity import ValueDigester


@pytest.fixture
def hashed(monkeypatch):
    """Count the arrays whose data is hashed in full."""
    sizes = []
    plain = identity.hash_array_data

    def counting(arr):
        sizes.append(arr.nbytes)
        return plain(arr)

    monkeypatch.setattr(identity, "hash_array_data", counting)
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
