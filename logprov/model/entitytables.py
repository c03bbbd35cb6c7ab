"""Entities and derivations met in one pass: entities merged in memory while recent and kept
on disk after, derivations kept with their type.

An entity is often described several times (a file read by every session, a value described
again once the capture forgot it) and gains attributes from later records (``prov:Collection``
from a membership, ``logprov:generatedAtTime`` from a derivation). `EntityTable` keeps the
entities met last in memory and merges their attributes there; older ones go to a temporary
file, each with a fingerprint of its attributes, so that a later description that adds nothing
costs nothing and one that adds attributes is kept in memory until the end, when it is merged
into the entity read back from the file.

Attributes are kept as tuples of pairs. Entities described alike share one tuple (the same
object, as the record stream hands it over, and the same merge of two tuples), so that a
writer can encode the attributes of a shape once.
"""

from __future__ import annotations

import os
import pickle
from array import array
from collections import OrderedDict
from typing import IO, Dict, Iterator, List, Optional, Sequence, Tuple

from .mapping import Pair

__all__ = ["EntityTable", "DerivationTable"]

Attributes = Tuple[Pair, ...]

_BATCH = 2048
_CACHE_LIMIT = 4096
_NONE: Attributes = ()


class _Merges:
    """Unions of two attribute tuples, in order of first appearance, remembered by identity."""

    __slots__ = ("_found", "_prints")

    def __init__(self) -> None:
        self._found: Dict[Tuple[int, int], Tuple[Attributes, Attributes, Attributes]] = {}
        self._prints: Dict[int, Tuple[Attributes, int]] = {}

    def union(self, old: Attributes, new: Attributes) -> Attributes:
        """Return ``old`` followed by the pairs of ``new`` it lacks (``old`` itself if none)."""
        if not old:
            return new
        key = (id(old), id(new))
        found = self._found.get(key)
        if found is not None and found[0] is old and found[1] is new:
            return found[2]
        merged = tuple(dict.fromkeys(old + new))
        if len(merged) == len(old):
            merged = old
        if len(self._found) > _CACHE_LIMIT:
            self._found.clear()
        self._found[key] = (old, new, merged)
        return merged

    def fingerprint(self, pairs: Attributes) -> int:
        """Return a hash of the set of ``pairs``."""
        found = self._prints.get(id(pairs))
        if found is not None and found[0] is pairs:
            return found[1]
        value = hash(frozenset(pairs))
        if len(self._prints) > _CACHE_LIMIT:
            self._prints.clear()
        self._prints[id(pairs)] = (pairs, value)
        return value


class EntityTable:
    """Entities by identifier text, with their merged attributes.

    Parameters
    ----------
    directory : str
        Where the temporary file of older entities is written.
    window : int
        How many entities are kept in memory before the oldest go to disk.
    """

    def __init__(self, directory: str, window: int = 8192) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, not {window}")
        self.window = window
        self._numbers: Dict[str, int] = {}
        self._recent: "OrderedDict[str, Attributes]" = OrderedDict()
        self._prints = array("q")
        self._amended: Dict[str, Attributes] = {}
        self._merges = _Merges()
        self._path = os.path.join(directory, "entities.pickle")
        self._file: Optional[IO[bytes]] = None
        self._batch: List[Tuple[str, Attributes]] = []

    def __len__(self) -> int:
        return len(self._numbers)

    def number(self, name: str) -> int:
        """Return the number of entity ``name``, registering it (without attributes) if new."""
        number = self._numbers.get(name)
        if number is None:
            number = self._numbers[name] = len(self._numbers)
            self._prints.append(0)
            recent = self._recent
            recent[name] = _NONE
            if len(recent) > self.window:
                self._evict()
        return number

    def add(self, name: str, pairs: Sequence[Pair]) -> None:
        """Merge ``pairs`` into the attributes of entity ``name``.

        Parameters
        ----------
        name : str
            The identifier text of the entity.
        pairs : sequence of (QualifiedName, value)
            Its attributes in one record. A tuple (without repeated pairs) is kept as it is,
            shared with the other entities given the same tuple.
        """
        if type(pairs) is not tuple:
            pairs = tuple(dict.fromkeys(pairs))
        recent = self._recent
        old = recent.get(name)
        if old is not None:
            if not old:
                recent[name] = pairs
            elif old is not pairs:
                recent[name] = self._merges.union(old, pairs)
            return
        number = self._numbers.get(name)
        if number is None:
            self.number(name)
            recent[name] = pairs
            return
        if not pairs or self._merges.fingerprint(pairs) == self._prints[number]:
            return
        self._amended[name] = self._merges.union(self._amended.get(name, _NONE), pairs)

    def _evict(self) -> None:
        name, pairs = self._recent.popitem(last=False)
        self._prints[self._numbers[name]] = self._merges.fingerprint(pairs)
        self._batch.append((name, pairs))
        if len(self._batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._file is None:
            self._file = open(self._path, "wb")
        pickle.dump(self._batch, self._file, pickle.HIGHEST_PROTOCOL)
        self._batch = []

    def items(self) -> Iterator[Tuple[str, Attributes]]:
        """Yield every entity with its merged attributes, once, and forget them."""
        if self._file is not None:
            self._file.close()
            with open(self._path, "rb") as stream:
                while True:
                    try:
                        batch = pickle.load(stream)
                    except EOFError:
                        break
                    for name, pairs in batch:
                        yield self._merged(name, pairs)
            os.unlink(self._path)
            self._file = None
        for name, pairs in self._batch:
            yield self._merged(name, pairs)
        self._batch = []
        recent, self._recent = self._recent, OrderedDict()
        yield from recent.items()

    def _merged(self, name: str, pairs: Attributes) -> Tuple[str, Attributes]:
        amended = self._amended.pop(name, None)
        if amended is not None:
            pairs = self._merges.union(pairs, amended)
        return name, pairs

    def close(self) -> None:
        """Remove the temporary file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if os.path.exists(self._path):
            os.unlink(self._path)


class DerivationTable:
    """Derivations in order of appearance, each once.

    A derivation is the entity, its progenitor and the activity it happened in (if any); one
    found again as an untraced change keeps that type, as in `DocumentBuilder`. The identifier
    texts are those the `EntityTable` holds, so a derivation costs only its entry here: the name
    of the derived entity is made again from them when the derivation is written.
    """

    def __init__(self) -> None:
        self._found: Dict[int, Tuple[str, str, Optional[str], bool]] = {}

    def __len__(self) -> int:
        return len(self._found)

    def add(self, key: int, entity: str, progenitor: str, activity: Optional[str], untraced: bool) -> None:
        """Record that ``entity`` (number-triple ``key``) was derived from ``progenitor`` in
        ``activity`` (an activity id, or None)."""
        known = self._found.get(key)
        if known is None:
            self._found[key] = (entity, progenitor, activity, untraced)
        elif untraced and not known[3]:
            self._found[key] = (entity, progenitor, activity, True)

    def items(self) -> Iterator[Tuple[str, str, Optional[str], bool]]:
        """Yield ``(entity, progenitor, activity, untraced)`` for every derivation, once, and
        forget them."""
        found, self._found = self._found, {}
        yield from found.values()
