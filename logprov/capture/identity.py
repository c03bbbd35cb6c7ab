"""Stable identifiers for Python values, files and file collections.

Identifiers never depend on memory addresses or on Python's salted ``hash()``: the id of a
value is a BLAKE2b-128 digest of a canonical serialisation of its state (buffers enter it by
their XXH3-128 digest), so equal values, deep copies and the same value in another process share
an id while a mutated value gets a new one. Files are identified by a digest of their content
with a configurable cryptographic hash, cached by path, size and modification time; products
with embedded provenance by their content without it (`logprov.products.contentid`).
"""

from __future__ import annotations

import datetime
import _thread
import enum
import functools
import hashlib
import io
import itertools
import marshal
import math
import os
import pathlib
import pickle
import re
import stat
import struct
import types
import uuid
import warnings
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from xxhash import xxh3_128 as _xxh3_128

from ..products.contentid import looks_like_product, product_digests

__all__ = [
    "ValueDigester",
    "hash_buffer",
    "hash_array_data",
    "FileHasher",
    "FileDigest",
    "UnidentifiableValue",
]

_PACK_LEN = struct.Struct("<Q").pack
#: Nominal time to walk one item of a container or one object: the time budget of a digest is
#: a number of such steps, so that whether it runs out depends on the value alone.
_SECONDS_PER_ITEM = 1e-7
#: Smallest read-only array whose digest is remembered, and how many are.
_FROZEN_MIN = 1 << 20
_FROZEN_COUNT = 256
_BLOCK = 1 << 20
_INLINE = 1 << 12
_SAMPLE = 1 << 16
_SAMPLE_COUNT = 64
_MAX_DEPTH = 200
_SCALAR_BASES = (str, int, float, bytes)
_CODE_TYPES = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
)

#: Members that are not part of a value's state: they are identified by their type alone.
_NON_STATE_TYPES = (
    weakref.ReferenceType,
    weakref.ProxyType,
    weakref.CallableProxyType,
    _thread.LockType,
    _thread.RLock,
    io.IOBase,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.FrameType,
    types.TracebackType,
)


class UnidentifiableValue(Exception):
    """A value whose state cannot be serialised canonically."""


class _OverTime(Exception):
    """The time budget of a digest ran out."""


class _Budget:
    """What one digest may still spend: ``left`` bytes of buffers read in full and ``steps``
    items of containers and objects walked (`_OverTime` is raised when they run out).
    ``sampled`` tells that a buffer was sampled; with ``summarise``, containers are represented
    by their length alone; ``json_tried`` is the container already found not to be plain JSON
    data; ``buffers`` holds the array data digests shared with other digests (`ValueDigester.digest`)."""

    __slots__ = ("left", "steps", "sampled", "summarise", "json_tried", "buffers")

    def __init__(self, left: int, steps: float = math.inf) -> None:
        self.left = left
        self.steps = steps
        self.sampled = False
        self.summarise = False
        self.json_tried = None
        self.buffers: dict | None = None


def _qualified_type(obj: Any) -> bytes:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}".encode()


def hash_buffer(data: memoryview) -> bytes:
    """Return the XXH3-128 digest of a contiguous buffer of bytes."""
    return _xxh3_128(data).digest()


def _sampled_digest(flat: memoryview) -> bytes:
    """Return a digest of the first and last 64 KiB of ``flat`` and 64 slices of 4 KiB in between."""
    size = flat.nbytes
    sub = _xxh3_128(b"sampled")
    step = max((size - 2 * _SAMPLE) // _SAMPLE_COUNT, 1)
    sub.update(flat[:_SAMPLE])
    for start in range(_SAMPLE, size - _SAMPLE, step):
        sub.update(flat[start:start + 4096])
    sub.update(flat[size - _SAMPLE:])
    return sub.digest()


def _feed_buffer(update, data: memoryview, budget: _Budget) -> None:
    size = data.nbytes
    update(_PACK_LEN(size))
    if size <= _INLINE:
        update(bytes(data))
        budget.left -= size
        return
    flat = data.cast("B") if data.format != "B" or data.ndim != 1 else data
    if size <= budget.left:
        update(hash_buffer(flat))
        budget.left -= size
    else:
        update(b"~" + _sampled_digest(flat))
        budget.left = 0
        budget.sampled = True


class _Memo:
    """Positions of the objects met so far in one traversal (``positions``, by address), in the
    order they were met (``objects``).

    Each object is kept alive until the digest ends, so its address cannot be reused by another
    object met later in the same traversal (which would be taken for a reference back to the
    first). A memo with a ``parent`` sees the parent's objects and numbers its own after them.
    """

    __slots__ = ("parent", "positions", "objects", "start")

    def __init__(self, parent: "_Memo | None" = None) -> None:
        self.parent = parent
        self.positions: dict[int, int] = {}
        self.objects: list = []
        self.start = parent.start + len(parent.objects) if parent is not None else 0

    def inherited(self, key: int) -> int | None:
        """Return the position of the object of address ``key`` in the parent memos, if any."""
        memo = self.parent
        while memo is not None:
            found = memo.positions.get(key)
            if found is not None:
                return found
            memo = memo.parent
        return None


class _ObjectKey:
    """Identity-based dictionary key that follows its object through a weak reference."""

    __slots__ = ("ref", "hash")

    def __init__(self, value: Any) -> None:
        self.ref = weakref.ref(value)
        self.hash = id(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ObjectKey) and self.ref() is not None and self.ref() is other.ref()


class _FallbackIds(dict):
    """Fallback ids by object identity; entries go away with their objects."""

    def __setitem__(self, key: _ObjectKey, value: str) -> None:
        key.ref = weakref.ref(key.ref(), lambda _ref, key=key: self.pop(key, None))
        super().__setitem__(key, value)


def _encode_str(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return b"s%d:" % len(data) + data


def _refuse(value: Any) -> None:
    raise TypeError


def _strict_json_options() -> tuple[Any, int]:
    """Return ``(orjson.dumps, options)`` serialising plain JSON data canonically in C, or
    ``(None, 0)`` without orjson.

    With ``default=_refuse``, mappings have their keys sorted and anything that is not a dict,
    list, tuple, str, int, float, bool or None (subclasses included) makes it raise, so such
    values go through the general serialisation.
    """
    try:
        import orjson
    except ImportError:
        return None, 0
    options = (
        orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )
    return orjson.dumps, options


_orjson_dumps, _JSON_OPTIONS = _strict_json_options()


def _json_form(value: Any) -> bytes | None:
    """Return the canonical JSON form of ``value`` when it is plain JSON data (dicts with string
    keys, lists, tuples, strings, integers of 64 bits, floats, booleans, None), else None.

    orjson writes NaN and infinities as ``null``, like None: a form holding ``null`` is used
    only when `_no_nan` finds no such float. A large dict is first written unsorted, which fails
    at once on a value that is not JSON data, where the canonical form would sort all its keys
    first.
    """
    if _orjson_dumps is None:
        return None
    try:
        if type(value) is dict and len(value) > _UNSORTED_FIRST:
            _orjson_dumps(value, default=_refuse)
        data = _orjson_dumps(value, default=_refuse, option=_JSON_OPTIONS)
    except Exception:
        return None
    if b"null" in data and not _no_nan(value):
        return None
    return data


#: A float in a pickle (opcode ``G``, then 8 big-endian bytes) whose exponent bits are all ones:
#: NaN or an infinity (or, rarely, the same bytes inside a string).
_NON_FINITE_FLOAT = re.compile(rb"G[\x7f\xff][\xf0-\xff]")


def _no_nan(value: Any) -> bool:
    """Tell whether plain JSON data ``value`` surely holds no NaN or infinity (which orjson writes
    as ``null``, like None), by a search of its pickle; a string holding the same bytes as such
    a float gives a false alarm, never a miss."""
    return _NON_FINITE_FLOAT.search(pickle.dumps(value, protocol=5)) is None


_STR_DIGEST = hashlib.blake2b(b"s", digest_size=16)
_INT_DIGEST = hashlib.blake2b(b"i", digest_size=16)
_JSON_DIGEST = hashlib.blake2b(b"j", digest_size=16)
_PINNED = 1024
_RECENT_COUNT = 4096
_RECENT_MAX_BYTES = 256
_JSON_NESTED_MIN = 256
_UNSORTED_FIRST = 4096
_FLAT_MIN = 8
_FLAT_TYPES = frozenset({int, float, str, bool, type(None)})
_SCALAR_ENCODERS = {
    type(None): lambda value: b"N",
    bool: lambda value: b"T" if value else b"F",
    int: lambda value: b"i%d;" % value,
    float: lambda value: b"f%r;" % value,
}


class ValueDigester:
    """Compute value-semantic identifiers of Python objects.

    Parameters
    ----------
    max_bytes : int
        Bytes of buffers (arrays, bytes, long strings) digested in full per value; a buffer
        past the bound is sampled.
    time_budget : float
        Seconds one digest may spend walking containers and objects before it switches to the
        pickle of the value (hashing buffers does not count), counted as steps of a nominal
        0.1 µs per item or object; ``math.inf`` for no limit.
    """

    def __init__(self, max_bytes: int = 1 << 30, time_budget: float = 0.005) -> None:
        self.max_bytes = max_bytes
        self.time_budget = time_budget
        self._fallback_ids: _FallbackIds = _FallbackIds()
        self._pinned: "OrderedDict[int, tuple[Any, str]]" = OrderedDict()
        self._fallback_salt = uuid.uuid4().hex.encode()
        self._counter = itertools.count()
        self._recent: dict[bytes, str] = {}
        self._frozen = _FrozenArrays()
        self._warned_sampled = False

    def digest(self, value: Any, buffers: dict | None = None) -> tuple[str, str | None]:
        """Return ``(entity_id, scheme)`` for ``value``.

        ``buffers``, a dictionary the caller passes to several digests of values that share
        arrays (a returned tuple, then each of its items), keeps the digest of each array's data
        hashed in full, so that each array is hashed once; the ids are those given without it.
        It holds the arrays until the caller drops it.

        ``scheme`` is None for a full content digest. Otherwise it is ``"sampled"`` (a buffer
        larger than ``max_bytes`` was sampled; warned about once), ``"pickled"`` (the time
        budget ran out and the id is the digest of the value's pickle), ``"summarised"`` (the
        same, for a value that cannot be pickled: containers are represented by their length)
        or ``"fallback"`` (the value could not be serialised and got an id unique to this
        object in this session: the same id each time the same object is seen; objects
        without weak references are kept alive, up to 1,024 of them, to keep their ids).
        """
        cls = type(value)
        json_tried = None
        if cls is list or cls is dict or cls is tuple:
            data = _json_form(value)
            if data is not None:
                found = self._recent.get(data)
                return (found if found is not None else self._json_digest(data)), None
            json_tried = value
        elif cls is str:
            if len(value) <= _INLINE:
                hasher = _STR_DIGEST.copy()
                hasher.update(value.encode("utf-8", "surrogatepass"))
                return hasher.hexdigest(), None
        elif cls is int:
            hasher = _INT_DIGEST.copy()
            hasher.update(b"%d" % value)
            return hasher.hexdigest(), None
        budget = _Budget(self.max_bytes, self.time_budget / _SECONDS_PER_ITEM)
        budget.json_tried = json_tried
        budget.buffers = buffers
        try:
            return self._canonical(value, budget)
        except _OverTime:
            pass
        except Exception:
            return self._fallback(value), "fallback"
        try:
            return _pickled_id(value), "pickled"
        except Exception:
            pass
        budget = _Budget(self.max_bytes)
        budget.summarise = True
        budget.json_tried = json_tried
        budget.buffers = buffers
        try:
            entity_id = self._canonical(value, budget)[0]
        except Exception:
            return self._fallback(value), "fallback"
        return entity_id, "summarised"

    def _canonical(self, value: Any, budget: _Budget) -> tuple[str, str | None]:
        """Return the id of ``value`` from its canonical serialisation within ``budget``."""
        parts: list = []
        self._feed(parts.append, value, _Memo(), budget, 0)
        entity_id = hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()
        if not budget.sampled:
            return entity_id, None
        if not self._warned_sampled:
            self._warned_sampled = True
            warnings.warn(
                f"logprov: a {type(value).__qualname__} holds a buffer larger than max_hash_bytes "
                f"({self.max_bytes} bytes): its id is computed from samples of it, so a change "
                f"elsewhere in it may keep the id; its entity records say \"digest\": \"sampled\"",
                RuntimeWarning,
                stacklevel=3,
            )
        return entity_id, "sampled"

    def _json_digest(self, data: bytes) -> str:
        """Return the id of a value serialised as JSON ``data``; ids of short serialisations
        are remembered (a bounded number of them, looked up by `digest`), keyed by the
        serialisation itself."""
        if len(data) > _RECENT_MAX_BYTES:
            hasher = _JSON_DIGEST.copy()
            hasher.update(data)
            return hasher.hexdigest()
        hasher = _JSON_DIGEST.copy()
        hasher.update(data)
        found = hasher.hexdigest()
        recent = self._recent
        if len(recent) >= _RECENT_COUNT:
            recent.clear()
        recent[data] = found
        return found

    def _fallback(self, value: Any) -> str:
        try:
            key: _ObjectKey | None = _ObjectKey(value)
        except TypeError:
            key = None
        if key is not None:
            known = self._fallback_ids.get(key)
        else:
            pinned = self._pinned.get(id(value))
            known = pinned[1] if pinned is not None and pinned[0] is value else None
        if known is not None:
            return known
        token = b"%s|%s|%d" % (self._fallback_salt, _qualified_type(value), next(self._counter))
        new_id = hashlib.blake2b(token, digest_size=16).hexdigest()
        if key is not None:
            self._fallback_ids[key] = new_id
        else:
            self._pinned[id(value)] = (value, new_id)
            if len(self._pinned) > _PINNED:
                self._pinned.popitem(last=False)
        return new_id

    def _feed(self, update, obj: Any, memo: dict, budget: _Budget, depth: int) -> None:
        cls = type(obj)
        encode = _SCALAR_ENCODERS.get(cls)
        if encode is not None:
            update(encode(obj))
            return
        if cls is str:
            if len(obj) <= _INLINE:
                update(_encode_str(obj))
            else:
                update(b"S")
                _feed_buffer(update, memoryview(obj.encode("utf-8", "surrogatepass")), budget)
            return
        if cls is bytes or cls is bytearray:
            update(b"b")
            _feed_buffer(update, memoryview(obj), budget)
            return
        if cls is memoryview:
            update(b"v" + obj.format.encode() + repr(obj.shape).encode())
            _feed_buffer(update, obj if obj.c_contiguous else memoryview(obj.tobytes()), budget)
            return
        if depth > _MAX_DEPTH:
            raise UnidentifiableValue("value nested too deeply")
        key = id(obj)
        position = memo.positions.get(key)
        if position is None and memo.parent is not None:
            position = memo.inherited(key)
        if position is not None:
            update(b"R%d;" % position)
            return
        memo.positions[key] = memo.start + len(memo.objects)
        memo.objects.append(obj)
        budget.steps -= 1
        if budget.steps < 0:
            raise _OverTime
        depth += 1
        if (cls is list or cls is tuple or cls is dict) and len(obj) >= _JSON_NESTED_MIN and obj is not budget.json_tried:
            data = _json_form(obj)
            if data is not None:
                update(b"J" + hash_buffer(memoryview(data)))
                return
        if cls is list or cls is tuple:
            update(b"l" if cls is list else b"t")
            self._feed_items(update, obj, memo, budget, depth)
            return
        if cls is dict:
            self._feed_mapping(update, obj, memo, budget, depth)
            return
        if cls is set or cls is frozenset:
            update(b"z")
            if budget.summarise:
                update(_PACK_LEN(len(obj)))
                return
            budget.steps -= len(obj)
            if budget.steps < 0:
                raise _OverTime
            parts = sorted(self._sub_digest(item, memo, budget, depth) for item in obj)
            update(_PACK_LEN(len(parts)) + b"".join(parts))
            return
        self._feed_other(update, obj, cls, memo, budget, depth)

    def _feed_items(self, update, items, memo, budget, depth) -> None:
        update(_PACK_LEN(len(items)))
        if budget.summarise:
            return
        budget.steps -= len(items)
        if budget.steps < 0:
            raise _OverTime
        if len(items) >= _FLAT_MIN and {type(item) for item in items} <= _FLAT_TYPES:
            update(b"m")
            update(marshal.dumps(items if type(items) in (list, tuple) else list(items), 2))
            return
        feed = self._feed
        scalar = _SCALAR_ENCODERS.get
        for item in items:
            cls = type(item)
            encode = scalar(cls)
            if encode is not None:
                update(encode(item))
            elif cls is str and len(item) <= _INLINE:
                update(_encode_str(item))
            else:
                feed(update, item, memo, budget, depth)

    def _feed_mapping(self, update, mapping, memo, budget, depth) -> None:
        update(b"d" + _PACK_LEN(len(mapping)))
        if budget.summarise:
            return
        budget.steps -= len(mapping)
        if budget.steps < 0:
            raise _OverTime
        feed = self._feed
        if all(type(k) is str for k in mapping):
            scalar = _SCALAR_ENCODERS.get
            for k in sorted(mapping):
                update(_encode_str(k))
                value = mapping[k]
                encode = scalar(type(value))
                if encode is not None:
                    update(encode(value))
                else:
                    feed(update, value, memo, budget, depth)
            return
        pairs = sorted(
            ((self._sub_digest(k, memo, budget, depth), v) for k, v in mapping.items()),
            key=lambda pair: pair[0],
        )
        for k_digest, v in pairs:
            update(k_digest)
            feed(update, v, memo, budget, depth)

    def _sub_digest(self, obj, memo, budget, depth) -> bytes:
        """Digest ``obj`` on its own, for sorting among the items of a set or the keys of a
        mapping: objects seen before it are referred to by their position, objects first seen
        inside it are numbered anew, so the result does not depend on the order of its siblings."""
        parts: list = []
        self._feed(parts.append, obj, _Memo(memo), budget, depth)
        return hashlib.blake2b(b"".join(parts), digest_size=16).digest()

    def _feed_other(self, update, obj, cls, memo, budget, depth) -> None:
        found = _KINDS.get(cls)
        kind, name, base = found if found is not None else _kind_of(obj)
        if kind is _OBJECT:
            update(b"O" + name)
            self._feed_state(update, obj, memo, budget, depth, required=True)
        elif kind is _ENUM:
            update(b"E" + name + obj.name.encode())
        elif kind is _SCALAR:
            update(b"X" + name)
            self._feed(update, base(obj), memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
        elif kind is _DATE:
            update(b"D" + name + str(obj).encode())
        elif kind is _PATH:
            update(b"P" + name + os.fsencode(str(obj)))
        elif kind is _CODE:
            text = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}"
            update(b"C" + text.encode())
        elif kind is _ARRAY:
            self._feed_array(update, obj, memo, budget, depth)
        elif kind is _SEQUENCE:
            update(b"L" + name)
            self._feed_items(update, obj, memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
        elif kind is _MAPPING:
            update(b"M" + name)
            self._feed_mapping(update, obj, memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
        elif kind is _SET:
            update(b"Z" + name)
            self._feed(update, frozenset(obj), memo, budget, depth)
        else:
            update(b"W" + name)

    def _feed_state(self, update, obj, memo, budget, depth, required: bool) -> None:
        cls = type(obj)
        how, cached, slots = _class_info(cls)
        if how is _REDUCE:
            reduced = obj.__reduce_ex__(5)
            if isinstance(reduced, str):
                update(b"C" + reduced.encode())
                return
            self._feed_reduced(update, reduced, memo, budget, depth)
            return
        if how is _GETSTATE:
            state = obj.__getstate__()
            update(b"g")
            if cached and type(state) is dict:
                state = _without(state, cached)
            self._feed(update, state, memo, budget, depth)
            return
        found = False
        try:
            instance_dict = object.__getattribute__(obj, "__dict__")
        except AttributeError:
            instance_dict = None
        if instance_dict is not None:
            found = True
            update(b"a")
            state = dict(instance_dict)
            self._feed_mapping(update, _without(state, cached) if cached else state, memo, budget, depth)
        if slots is not None:
            found = True
            update(b"z")
            self._feed_mapping(update, _slot_state(obj, slots), memo, budget, depth)
        if required and not found:
            raise UnidentifiableValue(f"{cls.__qualname__} exposes no state")

    def _feed_reduced(self, update, reduced: tuple, memo, budget, depth) -> None:
        """Feed what ``__reduce_ex__`` returned: the constructor, its arguments, the state and
        the items to append or set (iterators are read into lists)."""
        update(b"r" + _PACK_LEN(len(reduced)))
        for index, part in enumerate(reduced):
            if index >= 3 and part is not None and not isinstance(part, (list, tuple, dict)):
                part = list(part)
            self._feed(update, part, memo, budget, depth)

    def _feed_array(self, update, arr, memo, budget, depth) -> None:
        import numpy

        cls = type(arr)
        if cls is not numpy.ndarray and isinstance(arr, numpy.ndarray) and cls.__reduce__ is not numpy.ndarray.__reduce__:
            update(b"A" + _qualified_type(arr))
            self._feed_reduced(update, arr.__reduce__(), memo, budget, depth)
            return
        dtype = arr.dtype
        packed = _packed_dtype(dtype) if dtype.names is not None else dtype
        text = str(packed.descr) if packed.names is not None else dtype.str
        update(b"A" + _qualified_type(arr) + text.encode() + repr(tuple(arr.shape)).encode())
        if dtype.hasobject:
            self._feed(update, arr.tolist(), memo, budget, depth)
        else:
            data = numpy.asarray(arr).astype(packed) if packed is not dtype and packed != dtype else arr
            self._feed_array_data(update, data, budget, arr)
        extra = getattr(arr, "__dict__", None)
        if extra:
            update(b"a")
            self._feed_mapping(update, dict(extra), memo, budget, depth)

    def _feed_array_data(self, update, arr, budget: _Budget, source) -> None:
        """Feed the data of a numeric array in C order, without copying a contiguous one; the
        digest of a large read-only array is remembered while its buffer provably stays put,
        that of any array (``source``, of which ``arr`` holds the data) in ``budget.buffers``."""
        size = arr.nbytes
        update(_PACK_LEN(size))
        if size <= _INLINE:
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
                found = self._frozen.get(arr) if size >= _FROZEN_MIN else None
            if found is None:
                found = hash_array_data(arr)
                if size >= _FROZEN_MIN:
                    self._frozen.put(arr, found)
            if shared is not None:
                shared[id(source)] = (source, found)
            update(found)
            budget.left -= size


def hash_array_data(arr) -> bytes:
    """Return the XXH3-128 digest of the data of a numeric array in C order (a non-contiguous
    array is copied a block of rows at a time)."""
    import numpy

    if arr.flags.c_contiguous:
        return hash_buffer(_flat_bytes(arr))
    hasher = _xxh3_128()
    row = arr.nbytes // arr.shape[0] if arr.shape[0] else 1
    step = max(_BLOCK * 4 // max(row, 1), 1)
    for start in range(0, arr.shape[0], step):
        hasher.update(_flat_bytes(numpy.ascontiguousarray(arr[start:start + step])))
    return hasher.digest()


def _sampled_array_digest(arr) -> bytes:
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


def _flat_bytes(arr) -> memoryview:
    """Return the data of an array as a flat byte view (a copy when it is not C-contiguous)."""
    import numpy

    contiguous = numpy.ascontiguousarray(arr)
    return memoryview(contiguous.reshape(-1).view(numpy.uint8))


def _packed_dtype(dtype):
    """Return ``dtype`` without the padding bytes of its structured fields (uninitialised memory
    that is no part of the value), or ``dtype`` itself when it has none."""
    import numpy

    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        packed = _packed_dtype(base)
        return dtype if packed is base else numpy.dtype((packed, shape))
    if dtype.names is None:
        return dtype
    fields = [(name, _packed_dtype(dtype.fields[name][0])) for name in dtype.names]
    packed = numpy.dtype(fields)
    return dtype if packed == dtype and packed.itemsize == dtype.itemsize else packed


class _FrozenArrays:
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
    def _signature(arr) -> tuple | None:
        import numpy

        base = arr
        while isinstance(base, numpy.ndarray):
            if base.flags.writeable:
                return None
            base = base.base
        if base is not None and type(base) is not bytes:
            return None
        return (arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str, type(base))

    def get(self, arr) -> bytes | None:
        """Return the digest remembered for ``arr`` when it provably did not change, else None."""
        entry = self._entries.get(id(arr))
        if entry is None or entry[0]() is not arr:
            return None
        signature = self._signature(arr)
        if signature is None or signature != entry[1] or _sampled_digest(_flat_bytes(arr)) != entry[2]:
            return None
        return entry[3]

    def put(self, arr, found: bytes) -> None:
        """Remember the digest ``found`` of ``arr`` when ``arr`` cannot change unnoticed."""
        signature = self._signature(arr)
        if signature is None or not arr.flags.c_contiguous:
            return
        key = id(arr)
        entries = self._entries
        try:
            ref = weakref.ref(arr, lambda _ref, key=key: entries.pop(key, None))
        except TypeError:
            return
        entries[key] = (ref, signature, _sampled_digest(_flat_bytes(arr)), found)
        if len(entries) > _FROZEN_COUNT:
            entries.popitem(last=False)


class _HashWriter:
    """A file-like sink for `pickle.Pickler` that hashes what is written, keeping none of it."""

    __slots__ = ("write",)

    def __init__(self, hasher) -> None:
        self.write = hasher.update


def _pickled_id(value: Any) -> str:
    """Return the id of ``value`` from its pickle (protocol 5, buffers hashed out of band).

    The pickle is written in pickle's fast mode, without its memo (ten times faster on large
    containers; shared sub-objects are written in full); a value with a cycle, which fast mode
    refuses, is pickled with the memo.
    """
    try:
        return _pickle_digest(value, fast=True)
    except (ValueError, RecursionError):
        return _pickle_digest(value, fast=False)


def _pickle_digest(value: Any, fast: bool) -> str:
    hasher = _xxh3_128(b"pickle5" if fast else b"pickle5-memo")
    buffers: list = []
    pickler = pickle.Pickler(_HashWriter(hasher), protocol=5, buffer_callback=buffers.append)
    pickler.fast = fast
    pickler.dump(value)
    for buffer in buffers:
        hasher.update(buffer.raw())
    return hasher.hexdigest()


_OBJECT, _ENUM, _SCALAR, _DATE, _PATH, _CODE, _ARRAY, _SEQUENCE, _MAPPING, _SET, _NON_STATE = (
    "object", "enum", "scalar", "date", "path", "code", "array", "sequence", "mapping", "set", "non-state"
)
_KINDS: dict = {}


def _kind_of(obj: Any) -> tuple:
    """Return ``(kind, qualified type name, scalar base)`` telling how instances of the type of
    ``obj`` are serialised (remembered per type, as it depends on the type alone: the real type,
    not the ``__class__`` a proxy claims)."""
    cls = type(obj)
    base = None
    if issubclass(cls, enum.Enum):
        kind = _ENUM
    elif issubclass(cls, _SCALAR_BASES):
        kind = _SCALAR
        base = next(scalar for scalar in _SCALAR_BASES if issubclass(cls, scalar))
    elif issubclass(cls, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        kind = _DATE
    elif issubclass(cls, pathlib.PurePath):
        kind = _PATH
    elif issubclass(cls, _CODE_TYPES):
        kind = _CODE
    elif _is_array(obj):
        kind = _ARRAY
    elif issubclass(cls, (list, tuple)):
        kind = _SEQUENCE
    elif issubclass(cls, dict):
        kind = _MAPPING
    elif issubclass(cls, (set, frozenset)):
        kind = _SET
    elif issubclass(cls, _NON_STATE_TYPES):
        kind = _NON_STATE
    else:
        kind = _OBJECT
    found = (kind, _qualified_type(obj), base)
    if len(_KINDS) >= 4096:
        _KINDS.clear()
    _KINDS[cls] = found
    return found


def _is_array(obj) -> bool:
    cls = type(obj)
    return hasattr(cls, "dtype") and hasattr(cls, "shape") and hasattr(cls, "__array_interface__") or (
        cls.__module__ == "numpy" and hasattr(obj, "dtype") and hasattr(obj, "tobytes")
    )


_REDUCE = "reduce"
_GETSTATE = "getstate"
_ATTRIBUTES = "attributes"
_CLASS_INFO: dict = {}
#: ``object.__getstate__`` (Python 3.11 and later), which reads ``__dict__`` and ``__slots__``.
_OBJECT_GETSTATE = getattr(object, "__getstate__", None)


def _class_info(cls: type) -> tuple:
    """Return ``(how, cached, slots)`` for instances of ``cls``: how their state is read
    (`_REDUCE` when the class defines ``__reduce__`` or ``__reduce_ex__``, `_GETSTATE` when it
    defines ``__getstate__``, else `_ATTRIBUTES`), the names of its read-only properties
    (``functools.cached_property``, and ``property`` subclasses without a setter such as
    astropy's ``lazyproperty``: an instance's ``__dict__`` or state entry of such a name is a
    value computed on demand and cached, not state), and the names of its slots that hold state
    (None when it declares none)."""
    found = _CLASS_INFO.get(cls)
    if found is not None:
        return found
    if cls.__reduce_ex__ is not object.__reduce_ex__ or cls.__reduce__ is not object.__reduce__:
        how = _REDUCE
    elif getattr(cls, "__getstate__", _OBJECT_GETSTATE) is not _OBJECT_GETSTATE:
        how = _GETSTATE
    else:
        how = _ATTRIBUTES
    cached = frozenset(
        name
        for klass in cls.__mro__
        for name, member in vars(klass).items()
        if isinstance(member, functools.cached_property)
        or (isinstance(member, property) and member.fset is None)
    )
    slots: list = []
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        for name in (declared,) if isinstance(declared, str) else declared:
            if name not in ("__dict__", "__weakref__") and name not in slots:
                slots.append(name)
    found = (how, cached, tuple(slots) if slots else None)
    if len(_CLASS_INFO) >= 4096:
        _CLASS_INFO.clear()
    _CLASS_INFO[cls] = found
    return found


def _without(state: dict, names: frozenset) -> dict:
    """Return ``state`` without the entries named in ``names`` (a copy when there are any)."""
    if names.isdisjoint(state):
        return state
    return {name: value for name, value in state.items() if name not in names}


def _slot_state(obj, slots: tuple) -> dict:
    """Return the values of the slots named ``slots`` that are set on ``obj``."""
    values = {}
    for name in slots:
        try:
            values[name] = object.__getattribute__(obj, name)
        except AttributeError:
            continue
    return values


_ABSOLUTE_PATHS: dict[str, str] = {}
_MAX_ABSOLUTE_PATHS = 4096


def _full_path(path: str | os.PathLike) -> str:
    """Return ``path`` with environment variables and ``~`` expanded, absolute and normalised.

    Results for absolute paths without variables (which depend neither on the environment nor
    on the working directory) are remembered.
    """
    text = os.fspath(path)
    full = _ABSOLUTE_PATHS.get(text)
    if full is not None:
        return full
    full = os.path.abspath(os.path.expanduser(os.path.expandvars(text)))
    if type(text) is str and "$" not in text and "%" not in text and os.path.isabs(text):
        if len(_ABSOLUTE_PATHS) >= _MAX_ABSOLUTE_PATHS:
            _ABSOLUTE_PATHS.clear()
        _ABSOLUTE_PATHS[text] = full
    return full


@dataclass(frozen=True)
class FileDigest:
    """Digest of a file or file collection.

    Attributes
    ----------
    entity_id : str
        ``file:<hex digest>``.
    digest : str
        The hexadecimal digest.
    hash_type : str
        The algorithm.
    size : int or None
        Size in bytes of the file (None for a directory listing).
    path : str
        The absolute path that was hashed.
    """

    entity_id: str
    digest: str
    hash_type: str
    size: int | None
    path: str


class FileHasher:
    """Hash files by content, caching digests by path, size, modification time and inode.

    Parameters
    ----------
    hash_type : str
        A ``hashlib`` algorithm name.
    cache_size : int
        Number of paths whose digest is remembered.
    """

    def __init__(self, hash_type: str = "sha256", cache_size: int = 4096) -> None:
        hashlib.new(hash_type)
        self.hash_type = hash_type
        self.cache_size = cache_size
        self._cache: "OrderedDict[str, tuple[tuple, FileDigest]]" = OrderedDict()

    def file(self, path: str | os.PathLike) -> FileDigest:
        """Return the digest of the file at ``path``.

        Raises
        ------
        OSError
            When the file cannot be read.
        """
        full = _full_path(path)
        st = os.stat(full)
        if stat.S_ISDIR(st.st_mode):
            return self.collection(full)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{full} is not a regular file")
        signature = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
        cached = self._cache.get(full)
        if cached is not None and cached[0] == signature:
            self._cache.move_to_end(full)
            return cached[1]
        digest = self._hash_file(full)
        result = FileDigest(f"file:{digest}", digest, self.hash_type, st.st_size, full)
        self._remember(full, signature, result)
        return result

    def collection(self, path: str | os.PathLike, index: str | None = None) -> FileDigest:
        """Return the digest of a directory: its index file when given, else its listing."""
        full = _full_path(path)
        if index:
            index_path = os.path.join(full, os.path.expandvars(index))
            if os.path.isfile(index_path):
                found = self.file(index_path)
                return FileDigest(found.entity_id, found.digest, found.hash_type, found.size, full)
        h = hashlib.new(self.hash_type)
        for root, dirs, files in os.walk(full):
            dirs.sort()
            relative = os.path.relpath(root, full)
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                line = f"{relative}/{name}\t{st.st_size}\t{st.st_mtime_ns}\n"
                h.update(line.encode("utf-8", "surrogateescape"))
        digest = h.hexdigest()
        return FileDigest(f"file:{digest}", digest, self.hash_type, None, full)

    def _hash_file(self, full: str) -> str:
        h = hashlib.new(self.hash_type)
        view = memoryview(bytearray(_BLOCK))
        with open(full, "rb", buffering=0) as stream:
            count = stream.readinto(view)
            if count and looks_like_product(bytes(view[:16])):
                product = product_digests(full, (self.hash_type,))
                if product:
                    return product[self.hash_type]
            while count:
                h.update(view[:count])
                count = stream.readinto(view)
        return h.hexdigest()

    def _remember(self, full: str, signature: tuple, result: FileDigest) -> None:
        self._cache[full] = (signature, result)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
