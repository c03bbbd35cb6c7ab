"""Two whole-value serialisations tried before walking a value: the canonical JSON of plain
data (written in C by orjson) and the digest of a pickle."""

from __future__ import annotations

import math
import pickle
import pickletools
import re
from typing import Any

from xxhash import xxh3_128 as _xxh3_128

__all__ = ["json_form", "no_nan", "finite_floats", "pickled_id"]

#: Size from which a dict is first written unsorted (see `json_form`).
_UNSORTED_FIRST = 4096


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


def json_form(value: Any) -> bytes | None:
    """Return the canonical JSON form of ``value`` when it is plain JSON data (dicts with string
    keys, lists, tuples, strings, integers of 64 bits, floats, booleans, None), else None.

    orjson writes NaN and infinities as ``null``, like None: a form holding ``null`` is used
    only when `no_nan` finds no such float. A large dict is first written unsorted, which fails
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
    if b"null" in data and not no_nan(value):
        return None
    return data


#: A float in a pickle (opcode ``G``, then 8 big-endian bytes) whose exponent bits are all ones:
#: NaN or an infinity (or the same bytes inside an integer or a string).
_NON_FINITE_FLOAT = re.compile(rb"G[\x7f\xff][\xf0-\xff]")


def no_nan(value: Any) -> bool:
    """Tell whether plain JSON data ``value`` holds no NaN or infinity (which orjson writes as
    ``null``, like None).

    Its pickle is searched for the bytes of such a float (`_NON_FINITE_FLOAT`); only when they
    are found are the opcodes of the pickle read (`finite_floats`), since the same bytes may
    stand inside an integer or a string.
    """
    data = pickle.dumps(value, protocol=5)
    return _NON_FINITE_FLOAT.search(data) is None or finite_floats(data)


def finite_floats(data: bytes) -> bool:
    """Return True when every float of the pickle ``data`` is finite (the plain form of the
    search in `no_nan`)."""
    for opcode, argument, _position in pickletools.genops(data):
        if opcode.name == "BINFLOAT" and isinstance(argument, float) and not math.isfinite(argument):
            return False
    return True


class _HashWriter:
    """A file-like sink for `pickle.Pickler` that hashes what is written, keeping none of it."""

    __slots__ = ("write",)

    def __init__(self, hasher) -> None:
        self.write = hasher.update


def pickled_id(value: Any) -> str:
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
