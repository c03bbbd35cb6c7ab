"""Texts of objects that recur by identity in a stream: datetimes, attribute tuples, names.

The record stream hands its writers the same objects again and again (the start of an activity
for each of its usages, one tuple for the attributes of every usage with a role, one tuple for
every entity described alike). `IdentityMemo` remembers the text of the objects seen last by
their identity, which costs neither hashing nor comparing them.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Generic, Tuple, TypeVar

__all__ = ["IdentityMemo"]

T = TypeVar("T")


class IdentityMemo(Generic[T]):
    """Encode objects with ``encode``, remembering the result for the objects seen last.

    Parameters
    ----------
    encode : callable
        Turns an object into its encoding.
    limit : int
        Objects remembered before the memory is cleared.

    Attributes
    ----------
    seen : dict
        ``id(obj) -> (obj, encoding)`` of the objects remembered; a caller in a hot loop may
        look an object up there itself (``found[0] is obj`` tells it is the same object) and
        call the memo only when it is not.
    """

    __slots__ = ("encode", "limit", "seen")

    def __init__(self, encode: Callable[[Any], T], limit: int = 4096) -> None:
        self.encode = encode
        self.limit = limit
        self.seen: Dict[int, Tuple[Any, T]] = {}

    def __call__(self, obj: Any) -> T:
        """Return the encoding of ``obj``."""
        found = self.seen.get(id(obj))
        if found is not None and found[0] is obj:
            return found[1]
        encoded = self.encode(obj)
        if len(self.seen) > self.limit:
            self.seen.clear()
        self.seen[id(obj)] = (obj, encoded)
        return encoded
