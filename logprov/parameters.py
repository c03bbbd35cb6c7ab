"""Which values of a traced call are parameters: small immutable values, and the configuration
an instance exposes in a standard way (``get_params()``, dataclass fields, ``__init__`` arguments)."""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
from typing import Any, Iterable

__all__ = ["is_parameter_value", "parameter_value", "instance_configuration", "CONFIGURATION_ITEMS"]

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
    return [(name, state[name]) for name in _init_arguments(cls) if name in state]


@functools.lru_cache(maxsize=1024)
def _init_arguments(cls: type) -> tuple[str, ...]:
    """Names of the named parameters of ``cls.__init__`` (``self`` left out)."""
    init = cls.__init__
    if init is object.__init__:
        return ()
    try:
        parameters = list(inspect.signature(init).parameters.values())[1:]
    except (TypeError, ValueError):
        return ()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in named)
