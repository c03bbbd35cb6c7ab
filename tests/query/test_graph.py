"""The `Graph` protocol of the queries, and its two backends: in memory and a store (the index
of a few logs is one)."""

from __future__ import annotations

import inspect

import pytest

import logprov.query
from logprov.query.filters import ActivityQuery, EntityQuery
from logprov.query.graph import Graph
from logprov.query.memory import MemoryGraph
from logprov.query.model import RELATIONS
from logprov.store.queries import StoreGraph
from logs import SyntheticLog, file_entity, value_entity

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


def relations_log(path) -> tuple:
    """Two sessions: the second reads the first one's product in a call nested in another, and
    makes a collection and a derivation of it."""
    log = SyntheticLog()
    first = log.session(1)
    raw = file_entity(first, "/data/raw.fits", "1" * 64)
    log.call(first, "reduce", generated=[(raw, "output")])
    second = log.session(2)
    outer = log.call(second, "pipeline")
    product = file_entity(second, "/data/product.fits", "2" * 64)
    part = value_entity(second, "part", 3)
    derivation = {"entity_id": product["entity_id"], "progenitor_id": raw["entity_id"], "in_session": second}
    log.call(second, "fit", parent=outer, used=[(raw, "input")], generated=[(product, "output")],
             members=[(product["entity_id"], part)],
             derivations=[dict(derivation, in_activity=outer), dict(derivation, untraced=True)])
    log.end_session(second)
    return log.write(path), second


@pytest.mark.parametrize("windowed", [False, True])
def test_the_store_finds_each_relation_from_both_its_ends_and_one_step_further_as_the_memory_does(
        tmp_path, windowed):
    log, second = relations_log(tmp_path / "relations.log")
    window = {"sessions": second} if windowed else {}
    with logprov.query.open(log, index=False, **window) as memory, \
            logprov.query.open(log, index=True, **window) as indexed:
        assert isinstance(memory.graph, MemoryGraph) and isinstance(indexed.graph, StoreGraph)
        elements = [("activity", key) for key in memory.graph.activity_ids(ActivityQuery())]
        elements += [("entity", key) for key in memory.graph.entity_ids(EntityQuery())]
        relations = set()
        for kind, key in elements:
            causes = indexed.graph.causes(kind, [key])
            effects = indexed.graph.effects(kind, [key])
            assert sorted(causes, key=repr) == sorted(memory.graph.causes(kind, [key]), key=repr), key
            assert sorted(effects, key=repr) == sorted(memory.graph.effects(kind, [key]), key=repr), key
            for edge in causes:
                assert edge in indexed.graph.effects(RELATIONS[edge.relation][1], [edge.cause])
            for edge in effects:
                assert edge in indexed.graph.causes(RELATIONS[edge.relation][0], [edge.effect])
            for graph in (memory.graph, indexed.graph):
                assert graph.reachable([(kind, key)], True, 1) == {
                    (kind, key): 0, **{(RELATIONS[edge.relation][1], edge.cause): 1 for edge in causes}}
                assert graph.reachable([(kind, key)], False, 1) == {
                    (kind, key): 0, **{(RELATIONS[edge.relation][0], edge.effect): 1 for edge in effects}}
            relations.update(edge.relation for edge in causes + effects)
        assert relations == set(RELATIONS)
        made_before = [edge for edge in indexed.graph.causes("entity", ["file:" + "1" * 64])
                       if edge.relation == "wasGeneratedBy"]
        assert len(made_before) == (0 if windowed else 1)
