"""Attribute tuples shared by the records that describe alike.

A log describes many entities alike: the values of one kind, the files of one type, the same
parameter value given to many activities. `EntityShapes` and `ParameterShapes` compute the
attributes of each such shape once and hand out the same tuple object for every record of that
shape, which saves the mapping for each record and lets a writer encode the attributes once.

Only records whose values are strings, integers, booleans or null are recognised by their
shape (for entity records, strings, integers and null only): two floats or two datetimes can be
equal and still be written differently (``0.0`` and ``-0.0``, one instant in two time zones),
and so can an integer and a boolean (``1`` and ``true``).
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Dict, Tuple

from ..records import keys as K
from .literals import AttributeValue, Record
from .mapping import Pair, entity_attributes, parameter_attributes

__all__ = ["Attributes", "EntityShapes", "ParameterShapes"]

Attributes = Tuple[Pair, ...]

_CACHE_LIMIT = 2048
_KEYED_TYPES = frozenset({str, int, bool, type(None)})
_SHAPED_TYPES = frozenset({str, int, type(None)})
_VOLATILE = (K.ENTITY_ID, K.IN_SESSION)


def _nothing(data: Record) -> Tuple[Any, ...]:
    return ()


class EntityShapes:
    """The attributes entity records give their entities, one tuple per shape.

    Parameters
    ----------
    value_limit : int
        Longest ``prov:value`` kept, in characters.
    """

    __slots__ = ("value_limit", "_found", "_getters")

    def __init__(self, value_limit: int) -> None:
        self.value_limit = value_limit
        self._found: Dict[Tuple[Any, ...], Attributes] = {}
        self._getters: Dict[Tuple[str, ...], Callable[[Record], Tuple[Any, ...]]] = {}

    def attributes(self, data: Record) -> Attributes:
        """Return the attributes of `logprov.model.mapping.entity_attributes` as a tuple.

        Parameters
        ----------
        data : dict
            An entity record; records that differ only in ``entity_id`` and ``in_session`` get
            the same tuple.
        """
        keys = tuple(data)
        getter = self._getters.get(keys)
        if getter is None:
            getter = self._getter(keys)
        values = getter(data)
        if not _SHAPED_TYPES.issuperset(map(type, values)):
            return self._make(data)
        key = (keys, values)
        found = self._found.get(key)
        if found is None:
            found = self._make(data)
            if len(self._found) > _CACHE_LIMIT:
                self._found.clear()
            self._found[key] = found
        return found

    def _getter(self, keys: Tuple[str, ...]) -> Callable[[Record], Tuple[Any, ...]]:
        """Return what picks the values that make the shape out of a record with ``keys``."""
        kept = [key for key in keys if key not in _VOLATILE]
        if len(kept) == 1:
            kept *= 2
        getter = operator.itemgetter(*kept) if kept else _nothing
        if len(self._getters) > _CACHE_LIMIT:
            self._getters.clear()
        self._getters[keys] = getter
        return getter

    def _make(self, data: Record) -> Attributes:
        return tuple(entity_attributes(data, self.value_limit))


class ParameterShapes:
    """The attributes of parameter entities, one tuple per name and value."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: Dict[Tuple[Any, ...], Attributes] = {}

    def attributes(self, name: str, value: AttributeValue) -> Attributes:
        """Return the attributes of `logprov.model.mapping.parameter_attributes` as a tuple."""
        kind = type(value)
        if kind not in _KEYED_TYPES:
            return tuple(parameter_attributes(name, value))
        key = (name, kind, value)
        found = self._found.get(key)
        if found is None:
            found = tuple(parameter_attributes(name, value))
            if len(self._found) > _CACHE_LIMIT:
                self._found.clear()
            self._found[key] = found
        return found
