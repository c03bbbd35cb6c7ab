"""Stable identifiers for Python values, files and file collections.

Identifiers never depend on memory addresses or on Python's salted ``hash()``: the id of a
value is a BLAKE2b-128 digest of a canonical serialisation, so equal values, deep copies and the
same value in another process share an id while a mutated value gets a new one. Files are
identified by a digest of their content, cached by path, size and modification time.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import itertools
import marshal
import os
import pathlib
import stat
import struct
import types
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ValueDigester",
    "FileHasher",
    "FileDigest",
    "UnidentifiableValue",
]

_PACK_LEN = struct.Struct("<Q").pack
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


class UnidentifiableValue(Exception):
    """A value whose state cannot be serialised canonically."""


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


def _qualified_type(obj: Any) -> bytes:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}".encode()


def _feed_buffer(update, data: memoryview, budget: _Budget) -> None:
    size = data.nbytes
    update(_PACK_LEN(size))
    if size <= _INLINE:
        update(bytes(data))
        budget.left -= size
        return
    flat = data.cast("B") if data.format != "B" or data.ndim != 1 else data
    sub = hashlib.blake2b(digest_size=16)
    if size <= budget.left:
        sub.update(flat)
        budget.left -= size
    else:
        step = max((size - 2 * _SAMPLE) // _SAMPLE_COUNT, 1)
        sub.update(flat[:_SAMPLE])
        for start in range(_SAMPLE, size - _SAMPLE, step):
            sub.update(flat[start:start + 4096])
        sub.update(flat[size - _SAMPLE:])
        budget.left = 0
    update(sub.digest())


class _Memo:
    """Positions of the objects met so far in one traversal, in the order they were met.

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

    def position(self, obj: Any) -> int | None:
        """Return the position of ``obj`` when it was met before, else remember it and return None."""
        key = id(obj)
        memo: _Memo | None = self
        while memo is not None:
            found = memo.positions.get(key)
            if found is not None:
                return found
            memo = memo.parent
        self.positions[key] = self.start + len(self.objects)
        self.objects.append(obj)
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
_STR_DIGEST = hashlib.blake2b(b"s", digest_size=16)
_INT_DIGEST = hashlib.blake2b(b"i", digest_size=16)
_JSON_DIGEST = hashlib.blake2b(b"j", digest_size=16)
_PINNED = 1024
_RECENT_COUNT = 4096
_RECENT_MAX_BYTES = 256
_JSON_MAX_ITEMS = 4096
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
        Bytes of content fed to the digest before large buffers are sampled and the remaining
        items of large containers are summarised by their count.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._fallback_ids: _FallbackIds = _FallbackIds()
        self._pinned: "OrderedDict[int, tuple[Any, str]]" = OrderedDict()
        self._fallback_salt = uuid.uuid4().hex.encode()
        self._counter = itertools.count()
        self._recent: dict[bytes, str] = {}

    def digest(self, value: Any) -> tuple[str, str | None]:
        """Return ``(entity_id, id_scheme)`` for ``value``.

        ``id_scheme`` is None for a content digest and ``"fallback"`` when the value could not
        be serialised and got an id unique to this object in this session (the same id each
        time the same object is seen; objects without weak references are kept alive, up to
        1,024 of them, to keep their ids).
        """
        cls = type(value)
        if cls is list or cls is dict or cls is tuple:
            if len(value) <= _JSON_MAX_ITEMS and _orjson_dumps is not None:
                try:
                    data = _orjson_dumps(value, default=_refuse, option=_JSON_OPTIONS)
                except Exception:
                    data = None
                if data is not None:
                    found = self._recent.get(data)
                    return (found if found is not None else self._json_digest(data)), None
        elif cls is str:
            if len(value) <= _INLINE:
                hasher = _STR_DIGEST.copy()
                hasher.update(value.encode("utf-8", "surrogatepass"))
                return hasher.hexdigest(), None
        elif cls is int:
            hasher = _INT_DIGEST.copy()
            hasher.update(b"%d" % value)
            return hasher.hexdigest(), None
        parts: list = []
        try:
            self._feed(parts.append, value, _Memo(), _Budget(self.max_bytes), 0)
        except Exception:
            return self._fallback(value), "fallback"
        return hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest(), None

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
        if depth > _MAX_DEPTH:
            raise UnidentifiableValue("value nested too deeply")
        position = memo.position(obj)
        if position is not None:
            update(b"R%d;" % position)
            return
        depth += 1
        if cls is list or cls is tuple:
            update(b"l" if cls is list else b"t")
            self._feed_items(update, obj, memo, budget, depth)
            return
        if cls is dict:
            self._feed_mapping(update, obj, memo, budget, depth)
            return
        if cls is set or cls is frozenset:
            update(b"z")
            parts = sorted(self._sub_digest(item, memo, budget, depth) for item in obj)
            update(_PACK_LEN(len(parts)) + b"".join(parts))
            return
        self._feed_other(update, obj, cls, memo, budget, depth)

    def _feed_items(self, update, items, memo, budget, depth) -> None:
        update(_PACK_LEN(len(items)))
        if len(items) >= _FLAT_MIN and {type(item) for item in items} <= _FLAT_TYPES:
            data = marshal.dumps(items, 2)
            if len(data) <= budget.left:
                budget.left -= len(data)
                update(b"m")
                update(data)
                return
        feed = self._feed
        scalar = _SCALAR_ENCODERS.get
        for index, item in enumerate(items):
            cls = type(item)
            encode = scalar(cls)
            if encode is not None:
                update(encode(item))
            elif cls is str and len(item) <= _INLINE:
                update(_encode_str(item))
            elif budget.left <= 0:
                update(b"...%d" % (len(items) - index))
                return
            else:
                feed(update, item, memo, budget, depth)

    def _feed_mapping(self, update, mapping, memo, budget, depth) -> None:
        update(b"d" + _PACK_LEN(len(mapping)))
        feed = self._feed
        if all(type(k) is str for k in mapping):
            scalar = _SCALAR_ENCODERS.get
            for index, k in enumerate(sorted(mapping)):
                if budget.left <= 0:
                    update(b"...%d" % (len(mapping) - index))
                    return
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
        for index, (k_digest, v) in enumerate(pairs):
            if budget.left <= 0:
                update(b"...%d" % (len(pairs) - index))
                return
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
        if isinstance(obj, enum.Enum):
            update(b"E" + _qualified_type(obj) + obj.name.encode())
            return
        for base in _SCALAR_BASES:
            if isinstance(obj, base):
                update(b"X" + _qualified_type(obj))
                self._feed(update, base(obj), memo, budget, depth)
                self._feed_state(update, obj, memo, budget, depth, required=False)
                return
        if isinstance(obj, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
            update(b"D" + _qualified_type(obj) + str(obj).encode())
            return
        if isinstance(obj, pathlib.PurePath):
            update(b"P" + _qualified_type(obj) + os.fsencode(str(obj)))
            return
        if isinstance(obj, _CODE_TYPES):
            name = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}"
            update(b"C" + name.encode())
            return
        if _is_array(obj):
            self._feed_array(update, obj, memo, budget, depth)
            return
        if isinstance(obj, (list, tuple)):
            update(b"L" + _qualified_type(obj))
            self._feed_items(update, obj, memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
            return
        if isinstance(obj, dict):
            update(b"M" + _qualified_type(obj))
            self._feed_mapping(update, obj, memo, budget, depth)
            self._feed_state(update, obj, memo, budget, depth, required=False)
            return
        if isinstance(obj, (set, frozenset)):
            update(b"Z" + _qualified_type(obj))
            self._feed(update, frozenset(obj), memo, budget, depth)
            return
        update(b"O" + _qualified_type(obj))
        self._feed_state(update, obj, memo, budget, depth, required=True)

    def _feed_state(self, update, obj, memo, budget, depth, required: bool) -> None:
        cls = type(obj)
        getstate = getattr(cls, "__getstate__", None)
        if getstate is not None and getstate is not object.__getstate__:
            state = obj.__getstate__()
            update(b"g")
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
            self._feed_mapping(update, dict(instance_dict), memo, budget, depth)
        slot_values = _slot_state(obj, cls)
        if slot_values:
            found = True
            update(b"z")
            self._feed_mapping(update, slot_values, memo, budget, depth)
        if required and not found:
            raise UnidentifiableValue(f"{cls.__qualname__} exposes no state")

    def _feed_array(self, update, arr, memo, budget, depth) -> None:
        dtype = arr.dtype
        update(b"A" + _qualified_type(arr) + str(dtype.str).encode() + repr(tuple(arr.shape)).encode())
        if dtype.hasobject:
            self._feed(update, arr.tolist(), memo, budget, depth)
        else:
            import numpy

            contiguous = numpy.ascontiguousarray(arr)
            _feed_buffer(update, memoryview(contiguous).cast("B"), budget)
        extra = getattr(arr, "__dict__", None)
        if extra:
            update(b"a")
            self._feed_mapping(update, dict(extra), memo, budget, depth)


def _is_array(obj) -> bool:
    cls = type(obj)
    return hasattr(cls, "dtype") and hasattr(cls, "shape") and hasattr(cls, "__array_interface__") or (
        cls.__module__ == "numpy" and hasattr(obj, "dtype") and hasattr(obj, "tobytes")
    )


def _slot_state(obj, cls) -> dict:
    values = {}
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__") or name in values:
                continue
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
            while True:
                count = stream.readinto(view)
                if not count:
                    break
                h.update(view[:count])
        return h.hexdigest()

    def _remember(self, full: str, signature: tuple, result: FileDigest) -> None:
        self._cache[full] = (signature, result)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
