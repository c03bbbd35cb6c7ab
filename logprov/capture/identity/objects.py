"""How the state of an object is read for its digest, decided once per type: the kind of the
type (a plain object, an enum, a scalar subclass, an array, a container, code…), whether its
state comes from ``__reduce_ex__``, ``__getstate__`` or its attributes, and which of its
members are cached values rather than state."""

from __future__ import annotations

import _thread
import datetime
import enum
import functools
import io
import pathlib
import types
import weakref
from typing import Any

__all__ = [
    "OBJECT", "ENUM", "SCALAR", "DATE", "PATH", "CODE", "ARRAY", "SEQUENCE", "MAPPING", "SET", "NON_STATE",
    "KINDS", "REDUCE", "GETSTATE", "ATTRIBUTES", "qualified_type", "kind_of", "class_info", "without",
    "slot_state",
]

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


def qualified_type(obj: Any) -> bytes:
    """Return the module and qualified name of the type of ``obj``."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}".encode()


OBJECT, ENUM, SCALAR, DATE, PATH, CODE, ARRAY, SEQUENCE, MAPPING, SET, NON_STATE = (
    "object", "enum", "scalar", "date", "path", "code", "array", "sequence", "mapping", "set", "non-state"
)
KINDS: dict = {}


def kind_of(obj: Any) -> tuple:
    """Return ``(kind, qualified type name, scalar base)`` telling how instances of the type of
    ``obj`` are serialised (remembered per type, as it depends on the type alone: the real type,
    not the ``__class__`` a proxy claims)."""
    cls = type(obj)
    base = None
    if issubclass(cls, enum.Enum):
        kind = ENUM
    elif issubclass(cls, _SCALAR_BASES):
        kind = SCALAR
        base = next(scalar for scalar in _SCALAR_BASES if issubclass(cls, scalar))
    elif issubclass(cls, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        kind = DATE
    elif issubclass(cls, pathlib.PurePath):
        kind = PATH
    elif issubclass(cls, _CODE_TYPES):
        kind = CODE
    elif _is_array(obj):
        kind = ARRAY
    elif issubclass(cls, (list, tuple)):
        kind = SEQUENCE
    elif issubclass(cls, dict):
        kind = MAPPING
    elif issubclass(cls, (set, frozenset)):
        kind = SET
    elif issubclass(cls, _NON_STATE_TYPES):
        kind = NON_STATE
    else:
        kind = OBJECT
    found = (kind, qualified_type(obj), base)
    if len(KINDS) >= 4096:
        KINDS.clear()
    KINDS[cls] = found
    return found


def _is_array(obj) -> bool:
    cls = type(obj)
    return hasattr(cls, "dtype") and hasattr(cls, "shape") and hasattr(cls, "__array_interface__") or (
        cls.__module__ == "numpy" and hasattr(obj, "dtype") and hasattr(obj, "tobytes")
    )


REDUCE = "reduce"
GETSTATE = "getstate"
ATTRIBUTES = "attributes"
_CLASS_INFO: dict = {}
#: ``object.__getstate__`` (Python 3.11 and later), which reads ``__dict__`` and ``__slots__``.
_OBJECT_GETSTATE = getattr(object, "__getstate__", None)


def class_info(cls: type) -> tuple:
    """Return ``(how, cached, slots)`` for instances of ``cls``: how their state is read
    (`REDUCE` when the class defines ``__reduce__`` or ``__reduce_ex__``, `GETSTATE` when it
    defines ``__getstate__``, else `ATTRIBUTES`), the names of its read-only properties
    (``functools.cached_property``, and ``property`` subclasses without a setter such as
    astropy's ``lazyproperty``: an instance's ``__dict__`` or state entry of such a name is a
    value computed on demand and cached, not state), and the names of its slots that hold state
    (None when it declares none)."""
    found = _CLASS_INFO.get(cls)
    if found is not None:
        return found
    if cls.__reduce_ex__ is not object.__reduce_ex__ or cls.__reduce__ is not object.__reduce__:
        how = REDUCE
    elif getattr(cls, "__getstate__", _OBJECT_GETSTATE) is not _OBJECT_GETSTATE:
        how = GETSTATE
    else:
        how = ATTRIBUTES
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


def without(state: dict, names: frozenset) -> dict:
    """Return ``state`` without the entries named in ``names`` (a copy when there are any)."""
    if names.isdisjoint(state):
        return state
    return {name: value for name, value in state.items() if name not in names}


def slot_state(obj, slots: tuple) -> dict:
    """Return the values of the slots named ``slots`` that are set on ``obj``."""
    values = {}
    for name in slots:
        try:
            values[name] = object.__getattribute__(obj, name)
        except AttributeError:
            continue
    return values

