"""What a record stream remembers between records: relation keys, activities, caches.

A `logprov.model.recordstream.RecordStream` writes each relation once. It remembers the
relations written by one integer each, `relation_key`, made of the numbers of their ends (an
activity, an entity, a role, a parameter name or a description, each numbered in order of
appearance) and of the kind of relation. The activities still open are `StreamedActivity`
objects. What the stream computes again and again (terms, templates, roles) is memoised in a
`StreamCaches`, whose caches are each bounded and all emptied by one `StreamCaches.clear`.
"""

from __future__ import annotations

from typing import Any, Dict, Hashable, List, Optional, Tuple, TypeVar, Union

from .literals import AttributeValue
from .mapping import ActivityState
from .statementsink import Attributes, Plan

__all__ = [
    "USAGE", "GENERATION", "PARAMETER", "MEMBERSHIP", "DESCRIPTION_LINK", "GENERATED_ENTITY",
    "DERIVED_ENTITY", "NUMBER_BITS", "relation_key", "Reference", "StreamedActivity", "StreamCaches",
]

#: Kinds of relations told apart in `relation_key`.
USAGE, GENERATION, PARAMETER, MEMBERSHIP, DESCRIPTION_LINK, GENERATED_ENTITY, DERIVED_ENTITY = range(7)

NUMBER_BITS = 40
"""Bits of each number in a key: a stream numbers fewer than 2**40 things of each kind."""

CACHE_LIMIT = 1 << 14
"""Entries of each cache of `StreamCaches` before it is emptied."""

Reference = Tuple[str, int, str]
"""An entity as the stream knows it: identifier text, number and the sink's term."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def relation_key(kind: int, first: int, second: int, third: int = 0) -> int:
    """Return the key of the relation ``kind`` between the things numbered ``first``,
    ``second`` (and ``third``, the role of a usage or generation).

    Distinct relations get distinct keys as long as each number is below ``2**NUMBER_BITS``.
    """
    return ((first << NUMBER_BITS | second) << NUMBER_BITS | third) << 3 | kind


class StreamedActivity(ActivityState):
    """An activity of a stream: its state, its number and what waits for it to be written.

    Parameters
    ----------
    key, session
        As for `ActivityState`.
    number : int
        Its number in the stream (from 1).
    term : str
        The sink's term of its identifier.
    """

    __slots__ = (
        "number", "started", "closed", "term", "start_term", "end_term", "usages", "generations",
        "parameters",
    )

    def __init__(self, key: str, session: Optional[str], number: int, term: str) -> None:
        super().__init__(key, session)
        self.number = number
        self.started = False
        self.closed = False
        self.term: Optional[str] = term
        self.start_term: Optional[str] = None
        self.end_term: Optional[str] = None
        self.usages: Optional[List[Tuple[str, Optional[str]]]] = []
        self.generations: Optional[List[Tuple[Reference, Optional[str]]]] = []
        self.parameters: Optional[Dict[str, AttributeValue]] = {}

    def snapshot(self) -> Tuple[Any, ...]:
        """Return what the activity's own statements are written from."""
        return (self.start, self.end, self.attributes(), self.agent, self.parent, self.session)


class StreamCaches:
    """The memos of a record stream, each holding at most `CACHE_LIMIT` entries.

    Every entry can be computed again from the stream's state, so emptying a cache (when it is
    full, or all of them when a session brings descriptions that change what they hold) never
    changes the statements written.
    """

    __slots__ = (
        "routes", "role_names", "texts", "terms", "strings", "plans", "role_plans", "parameter_links",
        "activity_links", "description_links", "references", "_referenced",
    )

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, ...], Any] = {}
        self.role_names: Dict[Any, Tuple[Optional[str], int]] = {}
        self.texts: Dict[Tuple[str, str], str] = {}
        self.terms: Dict[Tuple[str, str], str] = {}
        self.strings: Dict[str, str] = {}
        self.plans: Dict[Tuple[str, bool, int], Tuple[Attributes, Plan]] = {}
        self.role_plans: Dict[Tuple[Any, ...], Plan] = {}
        self.parameter_links: Dict[Tuple[Any, ...], Tuple[Plan, Optional[str]]] = {}
        self.activity_links: Dict[Tuple[str, Optional[str], Any], Tuple[str, Optional[str]]] = {}
        self.description_links: Dict[Tuple[str, Any], Optional[Tuple[str, int]]] = {}
        self.references: Dict[str, Union[Reference, Dict[Optional[str], Reference]]] = {}
        self._referenced = 0

    @staticmethod
    def store(cache: Dict[K, V], key: K, value: V) -> V:
        """Put ``value`` in ``cache`` under ``key`` (emptying the cache first when it is full)
        and return it."""
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        cache[key] = value
        return value

    def store_reference(self, entity: str, session: Optional[str], found: Reference, local: bool) -> None:
        """Remember the reference of entity ``entity``: per session when ``local``."""
        references = self.references
        self._referenced += 1
        if self._referenced > CACHE_LIMIT:
            references.clear()
            self._referenced = 0
        if local:
            sessions = references.get(entity)
            if not isinstance(sessions, dict):
                sessions = references[entity] = {}
            sessions[session] = found
        else:
            references[entity] = found

    def clear(self) -> None:
        """Empty every cache."""
        memos: Tuple[Dict[Any, Any], ...] = (
            self.routes, self.role_names, self.texts, self.terms, self.strings, self.plans,
            self.role_plans, self.parameter_links, self.activity_links, self.description_links,
            self.references,
        )
        for memo in memos:
            memo.clear()
        self._referenced = 0

