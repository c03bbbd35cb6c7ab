"""Value-semantic ids of Python objects: the digest of a canonical serialisation of their state.

Ids never depend on memory addresses or on Python's salted ``hash()``: the id of a value is a
BLAKE2b-128 digest of a canonical serialisation of its state (buffers enter it by their
XXH3-128 digest, `logprov.capture.identity.buffers`), so equal values, deep copies and the same
value in another process share an id while a mutated value gets a new one. Plain JSON data and
values past the time budget take the shortcuts of `logprov.capture.identity.forms`; how the
state of an object is read is decided per type (`logprov.capture.identity.objects`).
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import os
import uuid
import warnings
import weakref
from collections import OrderedDict
from typing import Any, Callable

from .budget import SECONDS_PER_ITEM, Budget, OverTime, UnidentifiableValue
from .buffers import INLINE, PACK_LEN, FrozenArrays, Update, feed_array_data, feed_buffer, hash_buffer, packed_dtype
from .forms import json_form, pickled_id
from .objects import (
    ARRAY, CODE, DATE, ENUM, GETSTATE, KINDS, MAPPING, OBJECT, PATH, REDUCE, SCALAR, SEQUENCE, SET, class_info,
    kind_of, qualified_type, slot_state, without,
)

__all__ = ["ValueDigester", "UnidentifiableValue"]

_MAX_DEPTH = 200


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
        self.objects: list[Any] = []
        self.start: int = parent.start + len(parent.objects) if parent is not None else 0

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


class _FallbackIds(dict[_ObjectKey, str]):
    """Fallback ids by object identity; entries go away with their objects."""

    def __setitem__(self, key: _ObjectKey, value: str) -> None:
        def forget(_ref: Any, key: _ObjectKey = key) -> None:
            self.pop(key, None)

        key.ref = weakref.ref(key.ref(), forget)
        super().__setitem__(key, value)


def _encode_str(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return b"s%d:" % len(data) + data


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
_SCALAR_ENCODERS: dict[type, Callable[[Any], bytes]] = {
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
        self._frozen = FrozenArrays()
        self._warned_sampled = False

    def digest(self, value: Any, buffers: dict[int, tuple[Any, bytes]] | None = None) -> tuple[str, str | None]:
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
            data = json_form(value)
            if data is not None:
                found = self._recent.get(data)
                return (found if found is not None else self._json_digest(data)), None
            json_tried = value
        elif cls is str:
            if len(value) <= INLINE:
                hasher = _STR_DIGEST.copy()
                hasher.update(value.encode("utf-8", "surrogatepass"))
                return hasher.hexdigest(), None
        elif cls is int:
            hasher = _INT_DIGEST.copy()
            hasher.update(b"%d" % value)
            return hasher.hexdigest(), None
        budget = Budget(self.max_bytes, self.time_budget / SECONDS_PER_ITEM)
        budget.json_tried = json_tried
        budget.buffers = buffers
        try:
            return self._canonical(value, budget)
        except OverTime:
            pass
        except Exception:
            return self._fallback(value), "fallback"
        try:
            return pickled_id(value), "pickled"
        except Exception:
            pass
        budget = Budget(self.max_bytes)
        budget.summarise = True
        budget.json_tried = json_tried
        budget.buffers = buffers
        try:
            entity_id = self._canonical(value, budget)[0]
        except Exception:
            return self._fallback(value), "fallback"
        return entity_id, "summarised"

    def _canonical(self, value: Any, budget: Budget) -> tuple[str, str | None]:
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
        token = b"%s|%s|%d" % (self._fallback_salt, qualified_type(value), next(self._counter))
        new_id = hashlib.blake2b(token, digest_size=16).hexdigest()
        if key is not None:
            self._fallback_ids[key] = new_id
        else:
            self._pinned[id(value)] = (value, new_id)
            if len(self._pinned) > _PINNED:
                self._pinned.popitem(last=False)
        return new_id

    def _feed(self, update: Update, obj: Any, memo: _Memo, budget: Budget, depth: int) -> None:
        cls = type(obj)
        encode = _SCALAR_ENCODERS.get(cls)
        if encode is not None:
            update(encode(obj))
            return
        if cls is str:
            if len(obj) <= INLINE:
                update(_encode_str(obj))
            else:
                update(b"S")
                feed_buffer(update, memoryview(obj.encode("utf-8", "surrogatepass")), budget)
            return
        if cls is bytes or cls is bytearray:
            update(b"b")
            feed_buffer(update, memoryview(obj), budget)
            return
        if cls is memoryview:
            update(b"v" + obj.format.encode() + repr(obj.shape).encode())
            feed_buffer(update, obj if obj.c_contiguous else memoryview(obj.tobytes()), budget)
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
            raise OverTime
        depth += 1
        if (cls is list or cls is tuple or cls is dict) and len(obj) >= _JSON_NESTED_MIN and obj is not budget.json_tried:
            data = json_form(obj)
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
                update(PACK_LEN(len(obj)))
                return
            budget.steps -= len(obj)
            if budget.steps < 0:
                raise OverTime
            parts = sorted(self._sub_digest(item, memo, budget, depth) for item in obj)
            update(PACK_LEN(len(parts)) + b"".join(parts))
            return
        self._feed_other(update, obj, cls, memo, budget, depth)

    def _feed_items(self, update: Update, items: Any, memo: _Memo, budget: Budget, depth: int) -> None:
        update(PACK_LEN(len(items)))
        if budget.summarise:
            return
        budget.steps -= len(items)
        if budget.steps < 0:
            raise OverTime
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
            elif cls is str and len(item) <= INLINE:
                update(_encode_str(item))
            else:
                feed(update, item, memo, budget, depth)

    def _feed_mapping(self, update: Update, mapping: Any, memo: _Memo, budget: Budget, depth: int) -> None:
        update(b"d" + PACK_LEN(len(mapping)))
        if budget.summarise:
            return
        budget.steps -= len(mapping)
        if budget.steps < 0:
            raise OverTime
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

    def _sub_digest(self, obj: Any, memo: _Memo, budget: Budget, depth: int) -> bytes:
        """Digest ``obj`` on its own, for sorting among the items of a set or the keys of a
        mapping: objects seen before it are referred to by their position, objects first seen
        inside it are numbered anew, so the result does not depend on the order of its siblings."""
        parts: list = []
        self._feed(parts.append, obj, _Memo(memo), budget, depth)
        return hashlib.blake2b(b"".join(parts), digest_size=16).digest()

    def _feed_other(self, update: Update, obj: Any, cls: type, memo: _Memo, budget: Budget, depth: int) -> None:
        found = KINDS.get(cls)
        kind, name, base = found if found is not None else kind_of(obj)
        if kind is OBJECT:
            update(b"O" + name)
            self._feed_state(update, obj, memo, budget, depth, required=True)
        elif kind is ENUM:
            update(b"E" + name + obj.name.encode())
        elif kind is SCALAR:
            update(b"X" + name)
            self._feed(update, base(obj), memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
        elif kind is DATE:
            update(b"D" + name + str(obj).encode())
        elif kind is PATH:
            update(b"P" + name + os.fsencode(str(obj)))
        elif kind is CODE:
            text = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}"
            update(b"C" + text.encode())
        elif kind is ARRAY:
            self._feed_array(update, obj, memo, budget, depth)
        elif kind is SEQUENCE:
            update(b"L" + name)
            self._feed_items(update, obj, memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
        elif kind is MAPPING:
            update(b"M" + name)
            self._feed_mapping(update, obj, memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
        elif kind is SET:
            update(b"Z" + name)
            self._feed(update, frozenset(obj), memo, budget, depth)
        else:
            update(b"W" + name)

    def _feed_state(self, update: Update, obj: Any, memo: _Memo, budget: Budget, depth: int, required: bool) -> None:
        cls = type(obj)
        how, cached, slots = class_info(cls)
        if how is REDUCE:
            reduced = obj.__reduce_ex__(5)
            if isinstance(reduced, str):
                update(b"C" + reduced.encode())
                return
            self._feed_reduced(update, reduced, memo, budget, depth)
            return
        if how is GETSTATE:
            state = obj.__getstate__()
            update(b"g")
            if cached and type(state) is dict:
                state = without(state, cached)
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
            self._feed_mapping(update, without(state, cached) if cached else state, memo, budget, depth)
        if slots is not None:
            found = True
            update(b"z")
            self._feed_mapping(update, slot_state(obj, slots), memo, budget, depth)
        if required and not found:
            raise UnidentifiableValue(f"{cls.__qualname__} exposes no state")

    def _feed_reduced(self, update: Update, reduced: Any, memo: _Memo, budget: Budget, depth: int) -> None:
        """Feed what ``__reduce_ex__`` returned: the constructor, its arguments, the state and
        the items to append or set (iterators are read into lists)."""
        update(b"r" + PACK_LEN(len(reduced)))
        for index, part in enumerate(reduced):
            if index >= 3 and part is not None and not isinstance(part, (list, tuple, dict)):
                part = list(part)
            self._feed(update, part, memo, budget, depth)

    def _feed_array(self, update: Update, arr: Any, memo: _Memo, budget: Budget, depth: int) -> None:
        import numpy

        cls = type(arr)
        if cls is not numpy.ndarray and isinstance(arr, numpy.ndarray) and cls.__reduce__ is not numpy.ndarray.__reduce__:
            update(b"A" + qualified_type(arr))
            self._feed_reduced(update, arr.__reduce__(), memo, budget, depth)
            return
        dtype = arr.dtype
        packed = packed_dtype(dtype) if dtype.names is not None else dtype
        text = str(packed.descr) if packed.names is not None else dtype.str
        update(b"A" + qualified_type(arr) + text.encode() + repr(tuple(arr.shape)).encode())
        if dtype.hasobject:
            self._feed(update, arr.tolist(), memo, budget, depth)
        else:
            data = numpy.asarray(arr).astype(packed) if packed is not dtype and packed != dtype else arr
            feed_array_data(update, data, budget, arr, self._frozen)
        extra = getattr(arr, "__dict__", None)
        if extra:
            update(b"a")
            self._feed_mapping(update, dict(extra), memo, budget, depth)
