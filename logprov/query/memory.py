"""A compact in-memory provenance graph built from records in one streaming pass."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator, Optional, Sequence

from .filters import ActivityQuery, EntityQuery, exit_code_of, glob_regex, status_of
from .model import RELATIONS, Activity, Edge, Entity, Link, Session
from .window import Window
from ..records.keys import (
    AGENT_NAME, CONTENT_TYPE, DESCRIPTION, DIGEST, DURATION, END_TIME, ENTITY_DESCRIPTION, EXCEPTION_MESSAGE,
    EXCEPTION_TYPE, EXIT_CODE, FUNCTION, GENERATED_TIME, HASH, HASH_TYPE, ID_SCHEME, IDENTIFIED_BY, LOCATION, NAME,
    PARAMETERS, PARENT_ACTIVITY_ID, PRODUCT_ID, REFERENCE_META, SIZE, START_TIME, STATUS, TYPE, VALUE,
)

__all__ = ["MemoryGraph"]

_SESSION = "\0session"
_MOMENT = "\0moment"
_OWNER = "\0owner"
_LOCATIONS = "\0locations"


class MemoryGraph:
    """Activities, entities and the relations between them, held in dictionaries.

    It is a `logprov.query.facts.Sink` while it is built, and a `logprov.query.graph.Graph`
    answering the queries of `logprov.query.Provenance` afterwards. An activity or an entity is kept as the dict of the
    first record describing it (the records are not shared), updated by the later ones: newer
    values win for activities, first values for entities (as in the index).
    """

    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}
        self.activities: dict[str, dict] = {}
        self.entities: dict[str, dict] = {}
        self.uses: defaultdict[str, list] = defaultdict(list)
        self.users: defaultdict[str, list] = defaultdict(list)
        self.makes: defaultdict[str, list] = defaultdict(list)
        self.makers: defaultdict[str, list] = defaultdict(list)
        self.members: defaultdict[str, list] = defaultdict(list)
        self.collections: defaultdict[str, list] = defaultdict(list)
        self.progenitors: defaultdict[str, list] = defaultdict(list)
        self.derivatives: defaultdict[str, list] = defaultdict(list)
        self.children: defaultdict[str, list] = defaultdict(list)

    # -- building ---------------------------------------------------------------------------

    def known(self, activity: str, look_up: bool = True) -> tuple[bool, Optional[str]]:
        """Return whether ``activity`` was met already, and its session."""
        found = self.activities.get(activity)
        return (False, None) if found is None else (True, found[_SESSION])

    def session(self, session: str, moment: Optional[str], fields: dict) -> None:
        """Take a session record."""
        known = self.sessions.get(session)
        if known is None:
            known = self.sessions[session] = {}
        for key, value in fields.items():
            known.setdefault(key, value)
        if moment is not None:
            known.setdefault(_MOMENT, moment)

    def activity(self, activity: str, session: Optional[str], moment: Optional[str], data: dict) -> None:
        """Take an activity record other than a usage or generation."""
        found = self.activities.get(activity)
        if found is None and data and PARAMETERS not in data and None not in data.values():
            data[_SESSION] = session
            data[_MOMENT] = moment
            self.activities[activity] = data
            self._parent(activity, data)
            return
        if found is None:
            found = self.activities[activity] = {_SESSION: session, _MOMENT: None}
        elif found[_SESSION] is None:
            found[_SESSION] = session
        if not data:
            return
        if moment is not None and found[_MOMENT] is None:
            found[_MOMENT] = moment
        parameters = found.get(PARAMETERS)
        if None in data.values():
            found.update((key, value) for key, value in data.items() if value is not None)
        else:
            found.update(data)
        if parameters is not None and PARAMETERS in data:
            found[PARAMETERS] = {**parameters, **data[PARAMETERS]} if isinstance(data[PARAMETERS], dict) else parameters
        self._parent(activity, data)

    def _parent(self, activity: str, data: dict) -> None:
        parent = data.get(PARENT_ACTIVITY_ID)
        if parent is not None:
            self.children[parent].append(activity)

    def used(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
             role: Optional[str]) -> None:
        """Take a usage."""
        if entity not in self.entities:
            self.entities[entity] = {_OWNER: owner}
        self.uses[activity].append((entity, role))
        self.users[entity].append((activity, role))

    def generated(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
                  role: Optional[str]) -> None:
        """Take a generation."""
        if entity not in self.entities:
            self.entities[entity] = {_OWNER: owner}
        self.makes[activity].append((entity, role))
        self.makers[entity].append((activity, role))

    def entity(self, entity: str, owner: Optional[str], session: Optional[str], moment: Optional[str],
               data: dict) -> None:
        """Take an entity description."""
        found = self.entities.get(entity)
        if found is None and None not in data.values():
            data[_OWNER] = owner
            self.entities[entity] = data
            return
        if found is None:
            found = self.entities[entity] = {_OWNER: owner}
        location = found.get(LOCATION)
        for key, value in data.items():
            if value is not None and key not in found:
                found[key] = value
        other = data.get(LOCATION)
        if location is not None and other is not None and other != location:
            extra = found.setdefault(_LOCATIONS, [])
            if other not in extra:
                extra.append(other)

    def member(self, collection: str, member: str, owners: tuple, session: Optional[str],
               moment: Optional[str]) -> None:
        """Take a membership."""
        entities = self.entities
        if collection not in entities:
            entities[collection] = {_OWNER: owners[0]}
        if member not in entities:
            entities[member] = {_OWNER: owners[1]}
        self.members[collection].append(member)
        self.collections[member].append(collection)

    def derivation(self, entity: str, progenitor: str, owners: tuple, untraced: bool,
                   activity: Optional[str], session: Optional[str], moment: Optional[str]) -> None:
        """Take a derivation."""
        entities = self.entities
        if entity not in entities:
            entities[entity] = {_OWNER: owners[0]}
        if progenitor not in entities:
            entities[progenitor] = {_OWNER: owners[1]}
        self.progenitors[entity].append((progenitor, untraced, activity))
        self.derivatives[progenitor].append((entity, untraced, activity))

    # -- answering --------------------------------------------------------------------------

    def counts(self) -> dict:
        """Return the numbers of activities and entities held."""
        return {"activities": len(self.activities), "entities": len(self.entities)}

    def hash_types(self) -> set[str]:
        """Return the digest algorithms named by the sessions and entities."""
        found = {str(s[HASH_TYPE]) for s in self.sessions.values() if s.get(HASH_TYPE)}
        found.update(str(e[HASH_TYPE]) for e in self.entities.values() if e.get(HASH_TYPE) is not None)
        return found

    def session_list(self, window: Window) -> list[Session]:
        """Return the sessions with selected activities or whose start record ``window`` keeps."""
        counts: dict[str, list] = {}
        for activity in self.activities.values():
            session = activity[_SESSION]
            if session is None:
                continue
            count = counts.setdefault(session, [0, 0, 0])
            count[0] += 1
            status = _status(activity)
            count[1] += status == "failed"
            count[2] += status == "incomplete"
        found = []
        for session in dict.fromkeys([*self.sessions, *counts]):
            fields = self.sessions.get(session, {})
            if session not in counts and not window.keeps_time(fields.get(_MOMENT)):
                continue
            activities, failed, incomplete = counts.get(session, (0, 0, 0))
            shown = {key: value for key, value in fields.items() if key != _MOMENT}
            found.append(Session(session, **shown, activities=activities, failed=failed,
                                 incomplete=incomplete))
        return found

    def activity_ids(self, query: ActivityQuery) -> Iterator[str]:
        """Yield the ids of the activities passing ``query``."""
        accepts = query.accepts
        for key, activity in self.activities.items():
            if not accepts(key, _name(activity), _status(activity), activity.get(START_TIME), activity[_SESSION]):
                continue
            if query.where and not query.accepts_parameters(activity.get(PARAMETERS) or {}):
                continue
            yield key

    def entity_ids(self, query: EntityQuery) -> Iterator[str]:
        """Yield the ids of the entities passing ``query``."""
        if query.ids is not None:
            candidates: Iterable[str] = [key for key in query.ids if key in self.entities]
        else:
            candidates = self.entities
        prefix = query.id_prefix
        location = glob_regex(query.location) if query.location is not None else None
        role = glob_regex(query.role) if query.role is not None else None
        for key in candidates:
            entity = self.entities[key]
            if prefix is not None and not key.startswith(prefix) and not _logged(key, entity).startswith(prefix):
                continue
            if query.type is not None and entity.get(TYPE) != query.type:
                continue
            if location is not None and not any(location.match(str(p)) for p in _locations(entity)):
                continue
            if role is not None and not any(
                r is not None and role.match(r) for _, r in (*self.users.get(key, ()), *self.makers.get(key, ()))
            ):
                continue
            yield key

    def get_activity(self, key: str, links: bool = True) -> Optional[Activity]:
        """Return activity ``key`` (without its usages and generations unless ``links``), or None."""
        found = self.activities.get(key)
        if found is None:
            return None
        get = found.get
        parent = get(PARENT_ACTIVITY_ID)
        return Activity(
            key, _name(found), found[_SESSION], get(START_TIME), get(END_TIME), _status(found),
            get(DURATION), get(EXCEPTION_TYPE), get(EXCEPTION_MESSAGE), get(FUNCTION),
            get(AGENT_NAME), parent if parent in self.activities else None,
            dict(get(PARAMETERS) or {}),
            _links("used", key, self.uses.get(key, ()), entity_first=True) if links else (),
            _links("generated", key, self.makes.get(key, ()), entity_first=True) if links else (),
            exit_code_of(get(EXIT_CODE)),
        )

    def get_entity(self, key: str, links: bool = True) -> Optional[Entity]:
        """Return entity ``key`` (without its relations unless ``links``), or None."""
        found = self.entities.get(key)
        if found is None:
            return None
        get = found.get
        return Entity(
            key, _logged(key, found), found[_OWNER], get(TYPE), tuple(_locations(found)), get(VALUE),
            get(HASH), get(HASH_TYPE), get(ENTITY_DESCRIPTION), get(CONTENT_TYPE), get(SIZE),
            get(DESCRIPTION),
            _links("generated", key, self.makers.get(key, ()), entity_first=False) if links else (),
            _links("used", key, self.users.get(key, ()), entity_first=False) if links else (),
            tuple(dict.fromkeys(self.members.get(key, ()))) if links else (),
            tuple(dict.fromkeys(p for p, _, _ in self.progenitors.get(key, ()))) if links else (),
            id_scheme=get(ID_SCHEME), digest=get(DIGEST), identified_by=get(IDENTIFIED_BY),
            product_id=get(PRODUCT_ID), reference_meta=get(REFERENCE_META), generated_time=get(GENERATED_TIME),
        )

    def get_activities(self, keys: Iterable[str], links: bool = True) -> dict:
        """Return the activities among ``keys``, by id; without their usages and generations
        when ``links`` is false."""
        return {key: self.get_activity(key, links) for key in keys if key in self.activities}

    def get_entities(self, keys: Iterable[str], links: bool = True) -> dict:
        """Return the entities among ``keys``, by id; without their relations when ``links`` is
        false."""
        return {key: self.get_entity(key, links) for key in keys if key in self.entities}

    def causes(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations from elements ``keys`` of ``kind`` to what they depend on."""
        edges: list[Edge] = []
        if kind == "entity":
            for key in keys:
                edges.extend(Edge("wasGeneratedBy", key, a, r) for a, r in self.makers.get(key, ()))
                edges.extend(Edge("wasDerivedFrom", key, p, None, u, a) for p, u, a in self.progenitors.get(key, ()))
                edges.extend(Edge("hadMember", key, m) for m in self.members.get(key, ()))
        else:
            for key in keys:
                edges.extend(Edge("used", key, e, r) for e, r in self.uses.get(key, ()))
                parent = self.activities[key].get(PARENT_ACTIVITY_ID) if key in self.activities else None
                if parent is not None and parent in self.activities:
                    edges.append(Edge("wasInformedBy", key, parent))
        return edges

    def effects(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations to elements ``keys`` of ``kind`` from what depends on them."""
        edges: list[Edge] = []
        if kind == "entity":
            for key in keys:
                edges.extend(Edge("used", a, key, r) for a, r in self.users.get(key, ()))
                edges.extend(Edge("wasDerivedFrom", e, key, None, u, a) for e, u, a in self.derivatives.get(key, ()))
                edges.extend(Edge("hadMember", c, key) for c in self.collections.get(key, ()))
        else:
            for key in keys:
                edges.extend(Edge("wasGeneratedBy", e, key, r) for e, r in self.makes.get(key, ()))
                edges.extend(Edge("wasInformedBy", c, key) for c in self.children.get(key, ())
                             if c in self.activities)
        return edges

    def entities_at(self, location: str) -> list[str]:
        """Return the ids of the entities logged at ``location``."""
        return [key for key, entity in self.entities.items() if location in _locations(entity)]

    def reachable(self, roots: Sequence[tuple[str, str]], ancestors: bool,
                  depth: Optional[int] = None) -> dict:
        """Return ``(kind, id)`` of the elements within ``depth`` relations of ``roots`` (any
        number for None), mapped to their distance (None when ``depth`` is None)."""
        follow = self.causes if ancestors else self.effects
        distance = {node: 0 for node in roots}
        frontier = list(distance)
        level = 0
        while frontier and (depth is None or level < depth):
            level += 1
            found = []
            for kind in ("entity", "activity"):
                keys = [key for node_kind, key in frontier if node_kind == kind]
                if keys:
                    found.extend(follow(kind, keys))
            frontier = []
            for edge in found:
                effect_kind, cause_kind = RELATIONS[edge.relation]
                node = (cause_kind, edge.cause) if ancestors else (effect_kind, edge.effect)
                if node not in distance:
                    distance[node] = level
                    frontier.append(node)
        return {node: value if depth is not None else None for node, value in distance.items()}

    def close(self) -> None:
        """Nothing to release: the graph is in memory."""


def _name(activity: dict) -> Optional[str]:
    name = activity.get(NAME)
    return None if name is None else str(name)


def _status(activity: dict) -> Optional[str]:
    return status_of(activity.get(STATUS), START_TIME in activity, END_TIME in activity)


def _logged(key: str, entity: dict) -> str:
    owner = entity[_OWNER]
    return key[len(owner) + 1:] if owner else key


def _locations(entity: dict) -> list:
    location = entity.get(LOCATION)
    if location is None:
        return []
    return [location, *entity.get(_LOCATIONS, ())]


def _links(relation: str, key: str, pairs: Iterable[tuple], entity_first: bool) -> tuple:
    if entity_first:
        made = (Link(relation, key, other, role) for other, role in pairs)
    else:
        made = (Link(relation, other, key, role) for other, role in pairs)
    return tuple(dict.fromkeys(made))
