"""`Graph`: the questions `logprov.query.Provenance` asks, answered in memory
(`logprov.query.memory.MemoryGraph`) or by a store (`logprov.store.queries.StoreGraph`)."""

from __future__ import annotations

from typing import Iterable, Iterator, Optional, Protocol, Sequence

from .filters import ActivityQuery, EntityQuery
from .model import Activity, Edge, Entity, Session
from .window import Window

__all__ = ["Graph"]


class Graph(Protocol):
    """Activities, entities and their relations, seen through a window."""

    def counts(self) -> dict:
        """Return the numbers of ``activities`` and ``entities`` selected."""

    def hash_types(self) -> set[str]:
        """Return the digest algorithms named by the sessions and entities."""

    def session_list(self, window: Window) -> list[Session]:
        """Return the sessions with selected activities or whose start record ``window`` keeps."""

    def activity_ids(self, query: ActivityQuery) -> Iterator[str]:
        """Yield the ids of the activities passing ``query``."""

    def entity_ids(self, query: EntityQuery) -> Iterator[str]:
        """Yield the ids of the entities passing ``query``."""

    def get_activity(self, key: str, links: bool = True) -> Optional[Activity]:
        """Return activity ``key`` (without its usages and generations unless ``links``), or None."""

    def get_entity(self, key: str, links: bool = True) -> Optional[Entity]:
        """Return entity ``key`` (without its relations unless ``links``), or None."""

    def get_activities(self, keys: Iterable[str], links: bool = True) -> dict:
        """Return the activities among ``keys``, by id."""

    def get_entities(self, keys: Iterable[str], links: bool = True) -> dict:
        """Return the entities among ``keys``, by id."""

    def causes(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations from elements ``keys`` of ``kind`` to what they depend on."""

    def effects(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations to elements ``keys`` of ``kind`` from what depends on them."""

    def reachable(self, roots: Sequence[tuple[str, str]], ancestors: bool,
                  depth: Optional[int] = None) -> dict:
        """Return ``(kind, id)`` of the elements within ``depth`` relations of ``roots`` (any
        number for None), mapped to their distance (None when ``depth`` is None)."""

    def entities_at(self, location: str) -> list[str]:
        """Return the ids of the entities logged at ``location``."""

    def close(self) -> None:
        """Release what the graph holds open."""
