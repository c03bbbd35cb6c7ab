"""Bounded memories of a capture: entities already described, ids last seen at each location
and on each object."""

from __future__ import annotations

import sys
import weakref
from collections import OrderedDict
from typing import Any, Hashable

__all__ = ["BoundedSet", "LocationTracker", "ObjectTracker"]


class BoundedSet(OrderedDict):
    """A set that forgets its least recently added members beyond ``size``.

    Membership is tested with ``in`` (a plain dictionary lookup).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def add(self, item: Hashable) -> None:
        """Add ``item``, forgetting the oldest member when full."""
        self[item] = None
        if len(self) > self.size:
            self.popitem(last=False)


class LocationTracker:
    """Remember the entity id last logged at each location, to detect untraced changes.

    A location is a value path read on an owner: an instance (remembered through a weak
    reference, so a new object at a reused address never inherits the old one's history), a
    module (by name) or, for files, the absolute path (owner None). Every lookup is a dict lookup.

    Parameters
    ----------
    size : int
        Locations remembered for module names and files (least recently used forgotten).
    """

    def __init__(self, size: int = 65536) -> None:
        self.size = size
        self._fixed: "OrderedDict[tuple, str]" = OrderedDict()
        self._instances: dict[int, tuple[Any, dict]] = {}

    def _instance_table(self, owner: Any, create: bool) -> dict | None:
        key = id(owner)
        entry = self._instances.get(key)
        if entry is not None and entry[0]() is owner:
            return entry[1]
        if not create:
            return None

        def forget(_ref: Any, key: int = key) -> None:
            self._drop(key, _ref)

        try:
            ref = weakref.ref(owner, forget)
        except TypeError:
            return None
        table: dict = {}
        self._instances[key] = (ref, table)
        return table

    def _drop(self, key: int, ref: Any) -> None:
        entry = self._instances.get(key)
        if entry is not None and entry[0] is ref:
            del self._instances[key]

    def get(self, owner: Any, path: str) -> str | None:
        """Return the id last recorded for ``path`` on ``owner``, or None."""
        if owner is None or type(owner) is str:
            return self._fixed.get((owner, path))
        table = self._instance_table(owner, create=False)
        return table.get(path) if table is not None else None

    def swap(self, owner: Any, path: str, entity_id: str) -> str | None:
        """Record that ``entity_id`` is now at ``path`` on ``owner``; return the id recorded
        there before, or None."""
        entry = self._instances.get(id(owner))
        if entry is not None and entry[0]() is owner:
            table = entry[1]
        elif owner is None or type(owner) is str:
            last = self._fixed.get((owner, path))
            self.set(owner, path, entity_id)
            return last
        else:
            found = self._instance_table(owner, create=True)
            if found is None:
                return None
            table = found
        last = table.get(path)
        table[path] = entity_id
        return last

    def set(self, owner: Any, path: str, entity_id: str) -> None:
        """Record that ``entity_id`` is now at ``path`` on ``owner``."""
        entry = self._instances.get(id(owner))
        if entry is not None and entry[0]() is owner:
            entry[1][path] = entity_id
        elif owner is None or type(owner) is str:
            fixed = self._fixed
            fixed[(owner, path)] = entity_id
            fixed.move_to_end((owner, path))
            if len(fixed) > self.size:
                fixed.popitem(last=False)
        else:
            table = self._instance_table(owner, create=True)
            if table is not None:
                table[path] = entity_id


_UNCHANGEABLE = frozenset({str, bytes, int, float, complex, bool, type(None), frozenset, range})
#: ``sys.getrefcount`` of an object referenced only by one list slot (the slot and the argument).
_ONLY_REFERENCE = 2
#: Held objects still referred to elsewhere from which sweeps wait for the table to double.
_SWEEP_MIN = 16


def held_only_here(entry: list) -> bool:
    """Return True when ``entry[0]`` is referenced by the list ``entry`` alone (never on an
    interpreter without reference counts)."""
    count = getattr(sys, "getrefcount", None)
    return count is not None and count(entry[0]) <= _ONLY_REFERENCE


class ObjectTracker:
    """Remember the entity id last logged for each object a traced call used or generated, and
    the activity it was logged inside (its context).

    An object is remembered by identity: through a weak reference when it takes one (instances,
    NumPy arrays), so an object created later at the same address never inherits its history;
    otherwise (dictionaries, lists, tuples) by holding it. Those that nothing else refers to any
    more are let go when the next one is held, or, once 16 or more are still referred to
    elsewhere, whenever the held table has doubled; so the capture never keeps alive what the
    caller dropped (arrays inside a returned tuple) beyond its next traced call. Values
    that cannot change (strings, numbers, None, frozensets) are not remembered. Every
    operation is O(1) on average.

    Parameters
    ----------
    size : int
        Weakly referenced objects remembered (the oldest forgotten first).
    held : int
        Objects held at most (the oldest forgotten first).
    """

    def __init__(self, size: int = 65536, held: int = 256) -> None:
        self.size = size
        self.held = held
        self._weak: dict[int, tuple] = {}
        self._held: dict[int, list] = {}
        self._sweep_at = 0

    def swap(self, obj: Any, entity_id: str, context: str | None = None) -> tuple | None:
        """Record that ``obj`` is now entity ``entity_id``, logged inside activity ``context``;
        return ``(id, context)`` recorded before, or None."""
        cls = type(obj)
        if cls in _UNCHANGEABLE:
            return None
        key = id(obj)
        if cls.__weakrefoffset__:
            entry = self._weak.get(key)
            if entry is not None and entry[0]() is obj:
                self._weak[key] = (entry[0], entity_id, context)
                return entry[1], entry[2]
            self._add(obj, key, entity_id, context)
            return None
        held = self._held.get(key)
        if held is not None and held[0] is obj:
            last = held[1], held[2]
            held[1] = entity_id
            held[2] = context
            return last
        self._weak.pop(key, None)
        self._hold(obj, key, entity_id, context)
        return None

    def set(self, obj: Any, entity_id: str, context: str | None = None) -> None:
        """Record that ``obj`` is now entity ``entity_id``, logged inside activity ``context``."""
        self.swap(obj, entity_id, context)

    def _add(self, obj: Any, key: int, entity_id: str, context: str | None) -> None:
        try:
            ref = weakref.ref(obj)
        except TypeError:
            self._hold(obj, key, entity_id, context)
            return
        weak = self._weak
        weak[key] = (ref, entity_id, context)
        if len(weak) > self.size:
            try:
                del weak[next(iter(weak))]
            except (StopIteration, KeyError, RuntimeError):
                pass

    def _hold(self, obj: Any, key: int, entity_id: str, context: str | None) -> None:
        held = self._held
        held[key] = [obj, entity_id, context]
        if len(held) > self._sweep_at:
            self._sweep()

    def _sweep(self) -> None:
        """Let go of the held objects nothing else refers to, then of the oldest beyond `held`;
        the next sweep comes with the next held object while fewer than `_SWEEP_MIN` remain,
        else when the table has doubled, so each held object costs O(1) on average."""
        held = self._held
        try:
            for key in [key for key, entry in held.items() if held_only_here(entry)]:
                del held[key]
            while len(held) > self.held:
                del held[next(iter(held))]
        except (StopIteration, KeyError, RuntimeError):
            pass
        self._sweep_at = 2 * len(held) if len(held) >= _SWEEP_MIN else 0
