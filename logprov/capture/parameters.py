"""Which values of a traced call are parameters: small immutable values, and the configuration
an instance exposes in a standard way (``get_params()``, dataclass fields, ``__init__`` arguments)."""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import weakref
from typing import Any, Iterable, Sequence

__all__ = ["is_parameter_value", "parameter_value", "instance_configuration", "ConfigurationMemo",
           "CONFIGURATION_ITEMS"]

#: Most items of a tuple or frozenset taken as one parameter value.
SMALL_ITEMS = 16
#: Most configuration values of an instance recorded per call.
CONFIGURATION_ITEMS = 64
_SCALARS = frozenset({str, int, float, bool, complex, type(None)})
_NESTING = 2


def is_parameter_value(value: Any, depth: int = 0) -> bool:
    """Return True for a value logged as a parameter rather than as an entity.

    Scalars (strings, numbers, booleans, None), enum members, and tuples or frozensets of at
    most `SMALL_ITEMS` such values (nested at most twice, as in ``((0, 1), (2, 3))``): immutable,
    small, and meaningful as written.
    """
    cls = type(value)
    if cls in _SCALARS or issubclass(cls, enum.Enum):
        return True
    if (cls is tuple or cls is frozenset) and depth < _NESTING and len(value) <= SMALL_ITEMS:
        return all(is_parameter_value(item, depth + 1) for item in value)
    return False


def parameter_value(value: Any) -> Any:
    """Return a parameter value as written in the record: an enum member as ``Class.NAME``,
    tuples and frozensets as lists (a frozenset sorted by the items' text), other values unchanged."""
    if issubclass(type(value), enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if type(value) is tuple:
        return [parameter_value(item) for item in value]
    if type(value) is frozenset:
        return sorted((parameter_value(item) for item in value), key=repr)
    return value


def instance_configuration(instance: Any) -> list[tuple[str, Any]]:
    """Return the configuration of ``instance`` as ``("self.<name>", value)`` parameters.

    The configuration is what the object exposes in a standard way: ``get_params()`` of
    scikit-learn style estimators (nested ones included, ``clf__max_depth``), the fields of a
    dataclass, or else the arguments of its class's ``__init__`` stored as attributes of the
    same names. Only values that are parameters (`is_parameter_value`) are kept, at most
    `CONFIGURATION_ITEMS` of them; an object exposing nothing gives an empty list.
    """
    found: list[tuple[str, Any]] = []
    for name, value in _configuration_items(instance):
        if len(found) >= CONFIGURATION_ITEMS:
            break
        if type(name) is str and is_parameter_value(value):
            found.append((f"self.{name}", parameter_value(value)))
    return found


class ConfigurationMemo:
    """The configuration of instances (`instance_configuration`), remembered with the id of the
    state it was read from.

    An instance is remembered by identity, through a weak reference (one that takes none is
    read every time). Its configuration is read again whenever the id given for its state
    differs from the one it was read with, or when no id is given: an id that does not follow
    the content (``"fallback"`` or ``"summarised"`` digests) must not be given.

    Parameters
    ----------
    size : int
        Instances remembered (the oldest forgotten first).
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: dict[int, tuple] = {}

    def configuration(self, instance: Any, state_id: str | None) -> Sequence[tuple[str, Any]]:
        """Return `instance_configuration` of ``instance``, whose state has the id ``state_id``."""
        if state_id is None:
            return instance_configuration(instance)
        key = id(instance)
        entries = self._entries
        entry = entries.get(key)
        if entry is not None and entry[0]() is instance:
            if entry[1] == state_id:
                return entry[2]
            ref = entry[0]
        else:

            def forget(_ref: Any, key: int = key) -> None:
                self._drop(key, _ref)

            try:
                ref = weakref.ref(instance, forget)
            except TypeError:
                return instance_configuration(instance)
        found = tuple(instance_configuration(instance))
        entries[key] = (ref, state_id, found)
        if len(entries) > self.size:
            try:
                del entries[next(iter(entries))]
            except (StopIteration, KeyError, RuntimeError):
                pass
        return found

    def _drop(self, key: int, ref: Any) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] is ref:
            del self._entries[key]


def _configuration_items(instance: Any) -> Iterable[tuple[str, Any]]:
    cls = type(instance)
    if callable(getattr(cls, "get_params", None)):
        try:
            params = instance.get_params(deep=True)
        except TypeError:
            params = instance.get_params()
        return params.items() if isinstance(params, dict) else ()
    if dataclasses.is_dataclass(cls):
        return [(field.name, getattr(instance, field.name)) for field in dataclasses.fields(cls)
                if hasattr(instance, field.name)]
    state = getattr(instance, "__dict__", None)
    if not isinstance(state, dict):
        return ()
    klass: type = cls
    return [(name, state[name]) for name in _init_arguments(klass) if name in state]


@functools.lru_cache(maxsize=1024)
def _init_arguments(cls: type) -> tuple[str, ...]:
    """Names of the named parameters of ``cls.__init__`` (``self`` left out)."""
    init = getattr(cls, "__init__")
    if init is object.__init__:
        return ()
    try:
        parameters = list(inspect.signature(init).parameters.values())[1:]
    except (TypeError, ValueError):
        return ()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in named)
