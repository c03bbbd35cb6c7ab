"""Digests of buffers and of the data of arrays: in full (XXH3-128), sampled past a bound of
bytes, and remembered for large read-only arrays whose data cannot have changed."""

from __future__ import annotations

import struct
import weakref
from collections import OrderedDict
from typing import Any, Callable

from xxhash import xxh3_128 as _xxh3_128

from .budget import Budget

__all__ = [
    "Update", "PACK_LEN", "INLINE", "hash_buffer", "sampled_digest", "feed_buffer", "hash_array_data",
    "feed_array_data", "packed_dtype", "FrozenArrays",
]

#: What a serialisation is written to, a part at a time (``list.append`` or a hasher's ``update``).
Update = Callable[[bytes], Any]
#: The length of a part, as 8 bytes written before it.
PACK_LEN = struct.Struct("<Q").pack
#: Smallest read-only array whose digest is remembered, and how many are.
_FROZEN_MIN = 1 << 20
_FROZEN_COUNT = 256
_BLOCK = 1 << 20
#: Longest buffer (and string) written as it is rather than by its digest.
INLINE = 1 << 12
_SAMPLE = 1 << 16
_SAMPLE_COUNT = 64


def hash_buffer(data: memoryview) -> bytes:
    """Return the XXH3-128 digest of a contiguous buffer of bytes."""
    return _xxh3_128(data).digest()


def sampled_digest(flat: memoryview) -> bytes:
    """Return a digest of the first and last 64 KiB of ``flat`` and 64 slices of 4 KiB in between."""
    size = flat.nbytes
    sub = _xxh3_128(b"sampled")
    step = max((size - 2 * _SAMPLE) // _SAMPLE_COUNT, 1)
    sub.update(flat[:_SAMPLE])
    for start in range(_SAMPLE, size - _SAMPLE, step):
        sub.update(flat[start:start + 4096])
    sub.update(flat[size - _SAMPLE:])
    return sub.digest()


def feed_buffer(update: Update, data: memoryview, budget: Budget) -> None:
    size = data.nbytes
    update(PACK_LEN(size))
    if size <= INLINE:
        update(bytes(data))
        budget.left -= size
        return
    flat = data.cast("B") if data.format != "B" or data.ndim != 1 else data
    if size <= budget.left:
        update(hash_buffer(flat))
        budget.left -= size
    else:
        update(b"~" + sampled_digest(flat))
        budget.left = 0
        budget.sampled = True



def hash_array_data(arr: Any) -> bytes:
    """Return the XXH3-128 digest of the data of a numeric array in C order (a non-contiguous
    array is copied a block of rows at a time)."""
    import numpy

    if arr.flags.c_contiguous:
        return hash_buffer(flat_bytes(arr))
    hasher = _xxh3_128()
    row = arr.nbytes // arr.shape[0] if arr.shape[0] else 1
    step = max(_BLOCK * 4 // max(row, 1), 1)
    for start in range(0, arr.shape[0], step):
        hasher.update(flat_bytes(numpy.ascontiguousarray(arr[start:start + step])))
    return hasher.digest()


def _sampled_array_digest(arr: Any) -> bytes:
    """Return a digest of samples of the data of ``arr`` in C order, taken by element whatever
    its layout (so equal arrays in any order share it) and copying only the samples: the first
    and last 64 KiB and 64 slices of 4 KiB in between."""
    itemsize = arr.dtype.itemsize
    count = arr.size
    flat = arr.flat
    sub = _xxh3_128(b"sampled")
    head = -(-_SAMPLE // itemsize)
    step = max((count - 2 * head) // _SAMPLE_COUNT, 1)
    sub.update(flat[:head].tobytes())
    for start in range(head, count - head, step):
        sub.update(flat[start:start + -(-4096 // itemsize)].tobytes())
    sub.update(flat[count - head:].tobytes())
    return sub.digest()


def flat_bytes(arr: Any) -> memoryview:
    """Return the data of an array as a flat byte view (a copy when it is not C-contiguous)."""
    import numpy

    contiguous = numpy.ascontiguousarray(arr)
    data: memoryview = contiguous.reshape(-1).view(numpy.uint8).data
    return data


def packed_dtype(dtype: Any) -> Any:
    """Return ``dtype`` without the padding bytes of its structured fields (uninitialised memory
    that is no part of the value), or ``dtype`` itself when it has none."""
    import numpy

    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        packed = packed_dtype(base)
        return dtype if packed is base else numpy.dtype((packed, shape))
    if dtype.names is None:
        return dtype
    fields = [(name, packed_dtype(dtype.fields[name][0])) for name in dtype.names]
    packed = numpy.dtype(fields)
    return dtype if packed == dtype and packed.itemsize == dtype.itemsize else packed


class FrozenArrays:
    """Digests of large arrays whose data cannot have changed since they were hashed.

    An entry is kept for an array that is read-only, as is every array its data is borrowed
    from, down to an owner that is a NumPy array or an immutable ``bytes``. It is used again
    only for the same object with the same data address, shape, strides, dtype and flags and
    with unchanged samples of its data (which catch most changes made after making the array
    writeable again). Entries go away with their arrays; at most 256 are kept.
    """

    def __init__(self) -> None:
        self._entries: "OrderedDict[int, tuple]" = OrderedDict()

    @staticmethod
    def _signature(arr: Any) -> tuple[Any, ...] | None:
        import numpy

        base = arr
        while isinstance(base, numpy.ndarray):
            if base.flags.writeable:
                return None
            base = base.base
        if base is not None and type(base) is not bytes:
            return None
        return (arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str, type(base))

    def get(self, arr: Any) -> bytes | None:
        """Return the digest remembered for ``arr`` when it provably did not change, else None."""
        entry = self._entries.get(id(arr))
        if entry is None or entry[0]() is not arr:
            return None
        signature = self._signature(arr)
        if signature is None or signature != entry[1] or sampled_digest(flat_bytes(arr)) != entry[2]:
            return None
        return entry[3]

    def put(self, arr: Any, found: bytes) -> None:
        """Remember the digest ``found`` of ``arr`` when ``arr`` cannot change unnoticed."""
        signature = self._signature(arr)
        if signature is None or not arr.flags.c_contiguous:
            return
        key = id(arr)
        entries = self._entries

        def forget(_ref: Any, key: int = key) -> None:
            entries.pop(key, None)

        try:
            ref = weakref.ref(arr, forget)
        except TypeError:
            return
        entries[key] = (ref, signature, sampled_digest(flat_bytes(arr)), found)
        if len(entries) > _FROZEN_COUNT:
            entries.popitem(last=False)


def feed_array_data(update: Update, arr: Any, budget: Budget, source: Any, frozen: FrozenArrays) -> None:
    """Feed the data of a numeric array in C order, without copying a contiguous one; the
    digest of a large read-only array is remembered while its buffer provably stays put,
    that of any array (``source``, of which ``arr`` holds the data) in ``budget.buffers``;
    ``frozen`` holds the remembered digests."""
    size = arr.nbytes
    update(PACK_LEN(size))
    if size <= INLINE:
        update(arr.tobytes())
        budget.left -= size
        return
    if size > budget.left:
        update(b"~" + _sampled_array_digest(arr))
        budget.left = 0
        budget.sampled = True
    else:
        shared = budget.buffers
        entry = shared.get(id(source)) if shared is not None else None
        found = entry[1] if entry is not None and entry[0] is source else None
        if found is None:
            found = frozen.get(arr) if size >= _FROZEN_MIN else None
        if found is None:
            found = hash_array_data(arr)
            if size >= _FROZEN_MIN:
                frozen.put(arr, found)
        if shared is not None:
            shared[id(source)] = (source, found)
        update(found)
        budget.left -= size
