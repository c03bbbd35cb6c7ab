"""Walk the provenance graph from entities or activities, breadth first."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from .graph import Graph
from .model import RELATIONS, Edge, Lineage

__all__ = ["walk", "DIRECTIONS"]

DIRECTIONS = ("ancestors", "descendants")


def _local(graph: Graph, roots: Sequence[tuple[str, str]], ancestors: bool, depth: Optional[int]) -> Callable:
    """Return a ``follow(kind, keys)`` answering from the relations among the elements within
    ``depth`` relations of ``roots``, all fetched at once (a store lists them in one bounded
    recursive query, then their relations in batches)."""
    follow = graph.causes if ancestors else graph.effects
    nodes = graph.reachable(roots, ancestors, depth)
    adjacency: dict = {}
    for kind in ("entity", "activity"):
        keys = [key for node_kind, key in nodes if node_kind == kind]
        for edge in follow(kind, keys) if keys else ():
            effect_kind, cause_kind = RELATIONS[edge.relation]
            near = (effect_kind, edge.effect) if ancestors else (cause_kind, edge.cause)
            adjacency.setdefault(near, []).append(edge)
    return lambda kind, keys: [edge for key in keys for edge in adjacency.get((kind, key), ())]


def walk(graph: Graph, roots: Sequence[tuple[str, str]], direction: str = "ancestors",
         depth: Optional[int] = None) -> Lineage:
    """Return the lineage of ``roots``.

    Parameters
    ----------
    graph : Graph
        Where relations are looked up.
    roots : sequence of (kind, id)
        Elements to start from; kind is ``entity`` or ``activity``.
    direction : {"ancestors", "descendants"}
        Follow what the roots come from, or what comes from them.
    depth : int, optional
        Largest number of relations followed; None for no limit.

    Raises
    ------
    ValueError
        If ``direction`` or ``depth`` is invalid.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be positive, not {depth}")
    ancestors = direction == "ancestors"
    follow = _local(graph, roots, ancestors, depth)
    lineage = Lineage([key for _, key in roots], direction, depth)
    distance = {node: 0 for node in roots}
    seen: set[Edge] = set()
    frontier = list(distance)
    level = 0
    while frontier and (depth is None or level < depth):
        found: list[Edge] = []
        for kind in ("entity", "activity"):
            keys = [key for node_kind, key in frontier if node_kind == kind]
            if keys:
                found.extend(follow(kind, keys))
        level += 1
        frontier = []
        for edge in found:
            if edge in seen:
                continue
            seen.add(edge)
            lineage.edges.append(edge)
            effect_kind, cause_kind = RELATIONS[edge.relation]
            node = (cause_kind, edge.cause) if ancestors else (effect_kind, edge.effect)
            if node not in distance:
                distance[node] = level
                frontier.append(node)
    lineage.distance = distance
    activities = graph.get_activities([key for kind, key in distance if kind == "activity"], links=False)
    entities = graph.get_entities([key for kind, key in distance if kind == "entity"], links=False)
    lineage.activities = {key: activities[key] for kind, key in distance if kind == "activity" and key in activities}
    lineage.entities = {key: entities[key] for kind, key in distance if kind == "entity" and key in entities}
    return lineage
