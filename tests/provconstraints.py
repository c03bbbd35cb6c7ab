"""A checker of the W3C PROV-CONSTRAINTS that bear on what logprov writes, over a PROV-O graph.

`violations(graph)` returns one text per violated constraint instance:

* uniqueness: an entity generated (or invalidated) by more than one activity or at more than one
  time (constraints 24, 25); an activity with more than one start or end time (26, 27);
* ordering: the events of the graph (starts and ends of activities, generations, usages and
  invalidations) with the orderings PROV-CONSTRAINTS requires between them -- start before end,
  usages and generations within their activity, generation before usage and before invalidation
  of the same entity, ``wasInformedBy``, derivations (the progenitor generated strictly before),
  specializations -- must admit an order: no cycle through a strict ordering, and every pair
  ordered by a constraint whose two times are known has them in that order;
* a derivation in an activity (``prov:hadActivity``) stands for the generation of the derived
  entity by that activity and the usage of the progenitor by it, the usage first (inference
  derivation-generation-use and constraint derivation-usage-generation-ordering), and these
  count in the uniqueness and ordering checks;
* types: nothing both an entity and an activity (constraint 55), no entity a specialization of
  itself (impossible-specialization-reflexive).

Relations are read in both PROV-O forms, the plain triple and the qualified one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Set, Tuple

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from logprov.export import export, export_records
from logprov.model import build_document

PROV = "http://www.w3.org/ns/prov#"
_HEAD = f"PREFIX prov: <{PROV}>\nPREFIX rdf: <{RDF}>\n"

_GENERATIONS = _HEAD + """
SELECT ?entity ?activity ?time WHERE {
  { ?entity prov:wasGeneratedBy ?activity }
  UNION { ?entity prov:qualifiedGeneration ?g . OPTIONAL { ?g prov:activity ?activity }
          OPTIONAL { ?g prov:atTime ?time } }
  UNION { ?entity prov:generatedAtTime ?time }
}"""
_INVALIDATIONS = _HEAD + """
SELECT ?entity ?activity ?time WHERE {
  { ?entity prov:wasInvalidatedBy ?activity }
  UNION { ?entity prov:qualifiedInvalidation ?i . OPTIONAL { ?i prov:activity ?activity }
          OPTIONAL { ?i prov:atTime ?time } }
  UNION { ?entity prov:invalidatedAtTime ?time }
}"""
_USAGES = _HEAD + """
SELECT ?activity ?entity ?time ?usage WHERE {
  { ?activity prov:used ?entity }
  UNION { ?activity prov:qualifiedUsage ?usage . ?usage prov:entity ?entity .
          OPTIONAL { ?usage prov:atTime ?time } }
}"""
_TIMES = _HEAD + """
SELECT ?activity ?start ?end WHERE {
  { ?activity prov:startedAtTime ?start } UNION { ?activity prov:endedAtTime ?end }
}"""
_INFORMED = _HEAD + """
SELECT ?informed ?informant WHERE {
  { ?informed prov:wasInformedBy ?informant }
  UNION { ?informed prov:qualifiedCommunication ?c . ?c prov:activity ?informant }
}"""
_DERIVATIONS = _HEAD + """
SELECT ?derived ?progenitor WHERE {
  { ?derived prov:wasDerivedFrom ?progenitor }
  UNION { ?derived prov:qualifiedDerivation ?d . ?d prov:entity ?progenitor }
}"""
_DERIVATION_ACTIVITIES = _HEAD + """
SELECT ?derived ?progenitor ?activity WHERE {
  ?derived prov:qualifiedDerivation ?d . ?d prov:entity ?progenitor ; prov:hadActivity ?activity
}"""
_SPECIALIZATIONS = _HEAD + "SELECT ?specific ?general WHERE { ?specific prov:specializationOf ?general }"
_ENTITIES = _HEAD + """
SELECT DISTINCT ?x WHERE {
  { ?x rdf:type prov:Entity } UNION { ?x rdf:type prov:Collection } UNION { ?x rdf:type prov:Plan }
  UNION { ?x rdf:type prov:Bundle } UNION { ?x prov:wasGeneratedBy|prov:qualifiedGeneration|prov:wasInvalidatedBy|prov:qualifiedInvalidation|prov:wasDerivedFrom|prov:qualifiedDerivation|prov:specializationOf|prov:alternateOf|prov:hadMember|prov:wasAttributedTo|prov:qualifiedAttribution|prov:generatedAtTime|prov:invalidatedAtTime [] }
  UNION { [] prov:used|prov:wasDerivedFrom|prov:specializationOf|prov:alternateOf|prov:hadMember ?x }
  UNION { [] prov:entity ?x }
}"""
_ACTIVITIES = _HEAD + """
SELECT DISTINCT ?x WHERE {
  { ?x rdf:type prov:Activity }
  UNION { ?x prov:used|prov:qualifiedUsage|prov:startedAtTime|prov:endedAtTime|prov:wasInformedBy|prov:qualifiedCommunication|prov:wasAssociatedWith|prov:qualifiedAssociation|prov:wasStartedBy|prov:wasEndedBy [] }
  UNION { [] prov:wasGeneratedBy|prov:wasInvalidatedBy|prov:wasInformedBy ?x }
  UNION { [] prov:activity ?x }
}"""

Event = Tuple[str, object]


def _time(value: object) -> Optional[datetime.datetime]:
    if isinstance(value, Literal):
        value = value.toPython()
    return value if isinstance(value, datetime.datetime) else None


class _Events:
    """Events with their known times and the orderings between them."""

    def __init__(self) -> None:
        self.times: Dict[Event, Set[datetime.datetime]] = defaultdict(set)
        self.edges: Dict[Event, List[Tuple[Event, bool, str]]] = defaultdict(list)

    def timed(self, event: Event, time: object) -> None:
        moment = _time(time)
        self.times[event]
        if moment is not None:
            self.times[event].add(moment)

    def order(self, before: Event, after: Event, strict: bool, why: str) -> None:
        self.times[before]
        self.times[after]
        self.edges[before].append((after, strict, why))

    def problems(self) -> List[str]:
        found = []
        for before, edges in self.edges.items():
            for after, strict, why in edges:
                for first in self.times[before]:
                    for second in self.times[after]:
                        if second < first or (strict and second == first):
                            found.append(f"{why}: {before} at {first} is not before {after} at {second}")
        component = _components(self.times, self.edges)
        for before, edges in self.edges.items():
            for after, strict, why in edges:
                if strict and component[before] == component[after]:
                    found.append(f"{why}: {before} must strictly precede {after}, which precedes it")
        return found


def _components(nodes: Iterable[Event], edges: Dict[Event, List[Tuple[Event, bool, str]]]) -> Dict[Event, int]:
    """Return the strongly connected component of each node (Tarjan's algorithm, iterative)."""
    index: Dict[Event, int] = {}
    low: Dict[Event, int] = {}
    component: Dict[Event, int] = {}
    stack: List[Event] = []
    on_stack: Set[Event] = set()
    counter = 0
    for root in list(nodes):
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child, _, _ in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
    return component


def _unique(rows, what: str) -> List[str]:
    activities: Dict[object, Set[object]] = defaultdict(set)
    times: Dict[object, Set[datetime.datetime]] = defaultdict(set)
    for entity, activity, time in rows:
        if activity is not None:
            activities[entity].add(activity)
        if _time(time) is not None:
            times[entity].add(_time(time))
    found = [f"{what}-uniqueness: {e} by {len(a)} activities" for e, a in activities.items() if len(a) > 1]
    found += [f"{what}-uniqueness: {e} at {len(t)} times" for e, t in times.items() if len(t) > 1]
    return found


def violations(graph: Graph) -> List[str]:
    """Return the PROV-CONSTRAINTS violations found in ``graph`` (empty when it is valid)."""
    found: List[str] = []
    within = list(graph.query(_DERIVATION_ACTIVITIES))
    generations = list(graph.query(_GENERATIONS)) + [(derived, activity, None) for derived, _, activity in within]
    invalidations = list(graph.query(_INVALIDATIONS))
    found += _unique(generations, "generation")
    found += _unique(invalidations, "invalidation")
    starts: Dict[URIRef, Set[datetime.datetime]] = defaultdict(set)
    ends: Dict[URIRef, Set[datetime.datetime]] = defaultdict(set)
    events = _Events()
    for activity, start, end in graph.query(_TIMES):
        if start is not None:
            starts[activity].add(_time(start))
            events.timed(("start", activity), start)
        if end is not None:
            ends[activity].add(_time(end))
            events.timed(("end", activity), end)
    found += [f"unique-startTime: {a} has {len(t)} start times" for a, t in starts.items() if len(t) > 1]
    found += [f"unique-endTime: {a} has {len(t)} end times" for a, t in ends.items() if len(t) > 1]
    activities = {row[0] for row in graph.query(_ACTIVITIES)}
    entities = {row[0] for row in graph.query(_ENTITIES)}
    found += [f"entity-activity-disjoint: {x} is both" for x in sorted(entities & activities)]
    for activity in activities:
        events.order(("start", activity), ("end", activity), False, "start-precedes-end")
    for entity, activity, time in generations:
        events.timed(("generation", entity), time)
        if activity is not None:
            events.order(("start", activity), ("generation", entity), False, "generation-within-activity")
            events.order(("generation", entity), ("end", activity), False, "generation-within-activity")
        events.order(("generation", entity), ("invalidation", entity), False, "generation-precedes-invalidation")
    for entity, activity, time in invalidations:
        events.timed(("invalidation", entity), time)
        if activity is not None:
            events.order(("start", activity), ("invalidation", entity), False, "invalidation-within-activity")
            events.order(("invalidation", entity), ("end", activity), False, "invalidation-within-activity")
    for number, (activity, entity, time, usage) in enumerate(graph.query(_USAGES)):
        event = ("usage", usage if usage is not None else (activity, entity, number))
        events.timed(event, time)
        events.order(("start", activity), event, False, "usage-within-activity")
        events.order(event, ("end", activity), False, "usage-within-activity")
        events.order(("generation", entity), event, False, "generation-precedes-usage")
        events.order(event, ("invalidation", entity), False, "usage-precedes-invalidation")
    for number, (derived, progenitor, activity) in enumerate(within):
        event = ("usage", ("derivation", number))
        events.order(("start", activity), event, False, "usage-within-activity")
        events.order(event, ("end", activity), False, "usage-within-activity")
        events.order(("generation", progenitor), event, False, "generation-precedes-usage")
        events.order(event, ("generation", derived), False, "derivation-usage-generation-ordering")
    for informed, informant in graph.query(_INFORMED):
        events.order(("start", informant), ("end", informed), False, "wasInformedBy-ordering")
    for derived, progenitor in graph.query(_DERIVATIONS):
        events.order(("generation", progenitor), ("generation", derived), True,
                     "derivation-generation-generation-ordering")
    for specific, general in graph.query(_SPECIALIZATIONS):
        if specific == general:
            found.append(f"impossible-specialization-reflexive: {specific}")
        events.order(("generation", general), ("generation", specific), False, "specialization-generation-ordering")
        events.order(("invalidation", specific), ("invalidation", general), False,
                     "specialization-invalidation-ordering")
    found += events.problems()
    return found


def graph_of(text: str) -> Graph:
    """Return the graph of the N-Triples ``text``."""
    graph = Graph()
    graph.parse(data=text, format="nt")
    return graph


def check_records(records: list, formats: bool = True) -> None:
    """Assert that the PROV-O exports of ``records`` (reference and one-pass, with and without
    the plain triples, and Turtle when ``formats``) meet the constraints."""
    document = build_document(records)
    for shortcuts in (True, False) if formats else (False,):
        built = graph_of(export(document, "nt", shortcuts=shortcuts))
        assert violations(built) == [], f"reference path, shortcuts={shortcuts}"
        streamed = graph_of(export_records(records, "nt", shortcuts=shortcuts))
        assert violations(streamed) == [], f"one-pass path, shortcuts={shortcuts}"
    if formats:
        turtle = Graph()
        turtle.parse(data=export(document, "ttl"), format="turtle")
        assert violations(turtle) == []
