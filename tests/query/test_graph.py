"""The `Graph` protocol of the queries, and its two backends: in memory and a store (the index
of a few logs is one)."""

from __future__ import annotations

import inspect

import pytest

import logprov.query
from logprov.query.filters import ActivityQuery, EntityQuery
from logprov.query.graph import Graph
from logprov.query.memory import MemoryGraph
from logprov.store.queries import StoreGraph

pytestmark = pytest.mark.usefixtures("cache")


def parameters(function) -> list:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def protocol_methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items() if not name.startswith("_") and callable(value)]


@pytest.mark.parametrize("backend", [MemoryGraph, StoreGraph])
def test_each_backend_has_every_method_of_the_protocol_with_its_parameters(backend):
    assert len(protocol_methods(Graph)) == 14
    for name in protocol_methods(Graph):
        assert parameters(getattr(backend, name)) == parameters(getattr(Graph, name)), name


def test_both_backends_answer_the_calls_of_the_queries_alike(two_sessions):
    with logprov.query.open(two_sessions.log, index=False) as memory, \
            logprov.query.open(two_sessions.log, index=True) as indexed:
        assert isinstance(memory.graph, MemoryGraph) and isinstance(indexed.graph, StoreGraph)
        activities = sorted(memory.graph.activity_ids(ActivityQuery()))
        assert len(activities) == 3
        entities = sorted(memory.graph.entity_ids(EntityQuery()))
        for graph in (memory.graph, indexed.graph):
            for key in activities:
                bare = graph.get_activity(key, links=False)
                assert bare is not None and bare.used == bare.generated == ()
                assert graph.get_activity(key) == memory.graph.get_activity(key)
            for key in entities:
                bare = graph.get_entity(key, links=False)
                assert bare is not None and bare.used_by == bare.generated_by == ()
                assert graph.get_entity(key) == memory.graph.get_entity(key)
