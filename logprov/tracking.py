"""Bounded memories of a capture: entities already described, ids last seen at each location."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any, Hashable

__all__ = ["BoundedSet", "LocationTracker"]


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
        try:
            ref = weakref.ref(owner, lambda _ref, key=key: self._drop(key, _ref))
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
            table = self._instance_table(owner, create=True)
            if table is None:
                return None
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
