"""`Graph`: what `logprov.query.Provenance` and the lineage walk ask of the facts of the logs.

Two backends implement it: `logprov.query.memory.MemoryGraph` (the logs read into memory) and
`logprov.query.indexed.IndexGraph` (an SQLite index of the logs). Ids are those of the query
model: activity ids as logged, entity ids qualified as ``<session>.<id>`` when they are local
to a session.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, Protocol, Sequence

from .filters import ActivityQuery, EntityQuery
from .model import Activity, Edge, Entity, Session
from .window import Window

__all__ = ["Graph", "Reachable"]


class Graph(Protocol):
    """The facts of a set of logs, as the queries read them.

    A graph may also be `Reachable`: the lineage walk then fetches the relations among every
    element reachable from its roots at once, instead of one step at a time.
    """

    def counts(self) -> dict:
        """Return the numbers of selected ``activities`` and ``entities``."""
        ...

    def hash_types(self) -> set[str]:
        """Return the digest algorithms the sessions name (``sha256``, ...)."""
        ...

    def session_list(self, window: Window) -> list[Session]:
        """Return the sessions with activities in ``window``, or that started in it."""
        ...

    def activity_ids(self, query: ActivityQuery) -> Iterator[str]:
        """Yield the ids of the selected activities that ``query`` accepts."""
        ...

    def entity_ids(self, query: EntityQuery) -> Iterator[str]:
        """Yield the ids of the entities that ``query`` accepts."""
        ...

    def get_activity(self, key: str, links: bool = True) -> Optional[Activity]:
        """Return activity ``key`` (without its usages and generations unless ``links``), or None."""
        ...

    def get_entity(self, key: str, links: bool = True) -> Optional[Entity]:
        """Return entity ``key`` (without its relations unless ``links``), or None."""
        ...

    def get_activities(self, keys: Iterable[str], links: bool = True) -> dict[str, Activity]:
        """Return the activities among ``keys``, by id (without their usages and generations
        unless ``links``)."""
        ...

    def get_entities(self, keys: Iterable[str], links: bool = True) -> dict[str, Entity]:
        """Return the entities among ``keys``, by id (without their relations unless ``links``)."""
        ...

    def causes(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations from the elements ``keys`` of ``kind`` (``activity`` or
        ``entity``) to what they depend on."""
        ...

    def effects(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations to the elements ``keys`` of ``kind`` from what depends on them."""
        ...

    def entities_at(self, location: str) -> list[str]:
        """Return the ids of the entities logged at the absolute path ``location``."""
        ...

    def close(self) -> None:
        """Release what the graph holds open (an index connection)."""
        ...


class Reachable(Protocol):
    """A graph that lists at once every element reachable from some roots (an index answers
    it in one recursive query)."""

    def reachable(self, roots: Sequence[tuple[str, str]], ancestors: bool) -> set[tuple[str, str]]:
        """Return the ``(kind, id)`` of every element reachable from ``roots``, following what
        they come from (``ancestors``) or what comes from them."""
        ...
