"""Records to PROV statements in one pass, for writers that stream them to a file.

`RecordStream` reads records in log order and hands each statement to a `Sink` as soon as it is
final:

* an activity's own statements are written once its start and end records and its session's
  record have been read; until then its usages and generations wait with it (a usage is timed
  at the activity's start, a generation at its end);
* entities go through an `EntityTable` (the recent ones merged in memory, older ones on disk)
  and derivations through a `DerivationTable`; both are written at the end, as are sessions,
  agents and descriptions, which are few.

What stays in memory is what later records are checked against: each entity's identifier,
number and attribute fingerprint, each activity's state (a late record may still add a usage),
each derivation, and an integer key per relation written (so that each is written once) -- about
half a kilobyte per activity and a hundred bytes per entity or relation, not the records.

The statements are those of `DocumentBuilder` (the same identifiers, attributes and
relations), whatever the order of the records. Records that contradict an activity already
written (a second start or end record with other values) are the exception: the activity keeps
what was first written, and a `StreamConflictWarning` says so.
"""

from __future__ import annotations

import datetime
import re
import warnings
from typing import Dict, List, Optional, Protocol, Sequence, Set, Tuple, Union

from prov.constants import PROV_TYPE

from ..reader import RecordNormalizer
from .descriptions import DESCRIBED_BY, DescriptionIndex, describe
from .dispatch import RecordDispatcher
from .ids import IdMaker, qualified_text
from .mapping import (
    COLLECTION,
    IN_SESSION,
    SESSION_TYPE_PAIR,
    UNTRACED,
    ActivityState,
    Pair,
    agent_attributes,
    parameter_usage_attributes,
    role,
    role_attributes,
)
from .sessions import session_attributes
from .shapes import EntityShapes, ParameterShapes
from .spool import DerivationTable, EntityTable
from .values import VALUE_LIMIT, AttributeValue, attribute_value

__all__ = ["Sink", "RecordStream", "StreamConflictWarning"]

Time = Optional[datetime.datetime]
Attributes = Tuple[Pair, ...]
Reference = Tuple[str, int]

IN_SESSION_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_SESSION),)
DESCRIBED_ATTRIBUTES: Attributes = ((PROV_TYPE, DESCRIBED_BY),)
UNTRACED_ATTRIBUTES: Attributes = ((PROV_TYPE, UNTRACED),)
NO_ATTRIBUTES: Attributes = ()

_SHIFT = 40
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_CACHE_LIMIT = 1 << 14
_ELEMENT_KEYS = frozenset(
    {
        "name", "startTime", "endTime", "status", "duration", "exception_type",
        "exception_message", "function", "agent_name", "parent_activity_id",
    }
)
_END_ONLY = frozenset({"session_id", "endTime"})
_RELATION_KEYS = frozenset({"entity_id", "member_id", "progenitor_id", "in_session"})
_COLLECTION_PAIRS = ((PROV_TYPE, COLLECTION),)
_SHARED_FIELDS = ("session", "name", "status", "function", "agent", "exception_type")


class StreamConflictWarning(UserWarning):
    """A record contradicts an activity that was already written; the first values are kept."""


class Sink(Protocol):
    """What receives the statements of a `RecordStream`.

    Identifiers are given as ``prefix:local`` text, made of ``[A-Za-z0-9_.-]`` characters and
    the colon only; the prefixes are those of ``RecordStream.ids.namespaces``. Attributes are
    given as a list, or as a tuple that the stream may give again for other statements and that
    never changes, so that a sink can remember its encoding by identity; the times of an
    activity are given as the same datetime objects to each of its statements.
    """

    def element(
        self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None
    ) -> None:
        """Write an ``entity``, ``activity`` (with its times) or ``agent``."""

    def relation(self, kind: str, subject: str, target: str, time: Time, attributes: Sequence[Pair]) -> None:
        """Write a relation named by its PROV-N keyword (``used``, ``wasGeneratedBy``, …)."""


class _Activity(ActivityState):
    __slots__ = ("number", "started", "closed", "text", "usages", "generations", "parameters")

    def __init__(self, key: str, session: Optional[str], number: int) -> None:
        super().__init__(key, session)
        self.number = number
        self.started = False
        self.closed = False
        self.text: Optional[str] = None
        self.usages: Optional[List[Tuple[str, Optional[str]]]] = []
        self.generations: Optional[List[Tuple[str, Optional[str]]]] = []
        self.parameters: Optional[Dict[str, AttributeValue]] = {}

    def snapshot(self) -> tuple:
        return (self.start, self.end, self.attributes(), self.agent, self.parent, self.session)


class RecordStream(RecordDispatcher):
    """Turn records into PROV statements, in one pass, for a `Sink`.

    Parameters
    ----------
    sink : Sink
        Receives the statements.
    directory : str
        Where temporary files are written.
    with_descriptions, with_parameters, session_prefix, value_limit
        As for `DocumentBuilder`.
    window : int
        Entities kept in memory to merge their descriptions before they go to disk.
    """

    def __init__(
        self,
        sink: Sink,
        directory: str,
        *,
        with_descriptions: bool = True,
        with_parameters: bool = True,
        session_prefix: str = "session",
        value_limit: int = VALUE_LIMIT,
        window: int = 8192,
    ) -> None:
        if not _PREFIX.fullmatch(session_prefix):
            raise ValueError(f"session_prefix must be an XML name without ':', not {session_prefix!r}")
        self.sink = sink
        self.with_descriptions = with_descriptions
        self.with_parameters = with_parameters
        self.value_limit = value_limit
        self.ids = IdMaker(session_prefix)
        self.normalizer = RecordNormalizer()
        self.entities = EntityTable(directory, window)
        self.entity_shapes = EntityShapes(value_limit)
        self.parameter_shapes = ParameterShapes()
        self.derivations = DerivationTable()
        self.sessions: Dict[str, Dict[Pair, None]] = {}
        self.session_order: Dict[str, None] = {}
        self.session_agents: Dict[str, str] = {}
        self.ready: Set[str] = set()
        self.indexes: Dict[str, DescriptionIndex] = {}
        self.descriptions: Dict = {}
        self.agents: Dict[str, None] = {}
        self.activities: Dict[str, _Activity] = {}
        self.open: Dict[str, _Activity] = {}
        self.missing_parents: Dict[str, None] = {}
        self.pending_links: Dict[str, List[Tuple[str, int, str]]] = {}
        self._written: Set[int] = set()
        self._collections: Set[int] = set()
        self._numbers: Dict[str, Dict[object, int]] = {"role": {}, "parameter": {}, "description": {}}
        self._role_names: Dict[object, Tuple[Optional[str], int]] = {}
        self._links: Dict[Tuple[str, str], Optional[Tuple[str, int]]] = {}
        self._references: Dict[str, Union[Reference, Dict[Optional[str], Reference]]] = {}
        self._cached = 0
        self._texts: Dict[Tuple[str, str], str] = {}
        self._strings: Dict[str, str] = {}
        self._role_cache: Dict[tuple, Attributes] = {}
        self._parameter_cache: Dict[tuple, Tuple[Attributes, Optional[str]]] = {}

    def finish(self) -> None:
        """Write everything still held: open activities, sessions, agents, entities."""
        sink = self.sink
        for activity in list(self.open.values()):
            self._close(activity)
        for parent in self.missing_parents:
            sink.element("activity", self._text("activity", parent), [])
        for session in self.session_order:
            attributes = self.sessions.get(session) or {SESSION_TYPE_PAIR: None}
            name = self._text("session", session)
            sink.element("entity", name, list(attributes))
            if session in self.session_agents:
                agent = self._text("agent", self.session_agents[session])
                sink.relation("wasAttributedTo", name, agent, None, NO_ATTRIBUTES)
        for agent in self.agents:
            sink.element("agent", self._text("agent", agent), agent_attributes(agent))
        for key, attributes in self.descriptions.items():
            sink.element("entity", str(key), attributes)
        for session, links in self.pending_links.items():
            for name, number, description in links:
                self._link(name, number, session, description)
        self.pending_links = {}
        for name, attributes in self.entities.items():
            sink.element("entity", name, attributes)
        for entity, progenitor, untraced in self.derivations.items():
            attributes = UNTRACED_ATTRIBUTES if untraced else NO_ATTRIBUTES
            sink.relation("wasDerivedFrom", entity, progenitor, None, attributes)

    def close(self) -> None:
        """Remove the temporary files."""
        self.entities.close()

    def _number(self, kind: str, value: object) -> int:
        numbers = self._numbers[kind]
        number = numbers.get(value)
        if number is None:
            number = numbers[value] = len(numbers) + 1
        return number

    def _role(self, value: object) -> Tuple[Optional[str], int]:
        try:
            found = self._role_names.get(value)
        except TypeError:
            name = role(value)
            return name, self._number("role", name)
        if found is None:
            name = role(value)
            found = (name, self._number("role", name))
            if len(self._role_names) > _CACHE_LIMIT:
                self._role_names.clear()
            self._role_names[value] = found
        return found

    def _first(self, key: int) -> bool:
        if key in self._written:
            return False
        self._written.add(key)
        return True

    def _text(self, kind: str, value: str) -> str:
        key = (kind, value)
        found = self._texts.get(key)
        if found is None:
            ids = self.ids
            parts = {"activity": ids.activity_parts, "agent": ids.agent_parts, "session": ids.session_parts}
            found = qualified_text(parts[kind](value))
            if len(self._texts) > _CACHE_LIMIT:
                self._texts.clear()
            self._texts[key] = found
        return found

    def _reference(self, entity: str, session: Optional[str]) -> Reference:
        """Return the identifier text and the number of the entity ``entity`` of ``session``.

        An id with a prefix names one entity whatever the session and is remembered alone; any
        other id is remembered with a dict of its sessions.
        """
        found = self._references.get(entity)
        if type(found) is dict:
            found = found.get(session)
        if found is None:
            found = self._register(entity, session)
        return found

    def _register(self, entity: str, session: Optional[str]) -> Reference:
        name, local = self.ids.entity_text(entity, session)
        found = (name, self.entities.number(name))
        references = self._references
        self._cached += 1
        if self._cached > _CACHE_LIMIT:
            references.clear()
            self._cached = 0
        if local:
            sessions = references.get(entity)
            if sessions is None:
                sessions = references[entity] = {}
            sessions[session] = found
        else:
            references[entity] = found
        return found

    def _session(self, data: dict) -> None:
        session = data["session_id"]
        attributes = self.sessions.setdefault(session, {})
        attributes.update(dict.fromkeys(session_attributes(data)))
        self.session_order[session] = None
        agent = data.get("agent_name")
        if agent is not None:
            self.session_agents[session] = str(agent)
            self.agents[str(agent)] = None
        if self.with_descriptions and "definitions" in data and session not in self.indexes:
            self.indexes[session] = describe(data["definitions"], self.ids, self.descriptions)
            self._links.clear()
            self._role_cache.clear()
            self._parameter_cache.clear()
        if session not in self.ready and not data.keys() <= _END_ONLY:
            self.ready.add(session)
            for name, number, description in self.pending_links.pop(session, ()):
                self._link(name, number, session, description)
            for activity in [a for a in self.open.values() if a.session == session]:
                if self._ready(activity):
                    self._flush_usages(activity)
                    if activity.ended:
                        self._close(activity)

    def _share(self, activity: _Activity) -> None:
        strings = self._strings
        if len(strings) > _CACHE_LIMIT:
            strings.clear()
        for field in _SHARED_FIELDS:
            value = getattr(activity, field)
            if type(value) is str:
                setattr(activity, field, strings.setdefault(value, value))

    def _ready(self, activity: _Activity) -> bool:
        return activity.started and (activity.session is None or activity.session in self.ready)

    def _activity(self, data: dict, session: Optional[str]) -> None:
        key = data["activity_id"]
        activity = self.activities.get(key)
        if activity is None:
            activity = self.activities[key] = _Activity(key, session, len(self.activities) + 1)
            self.open[key] = activity
            self.missing_parents.pop(key, None)
        elif activity.closed:
            self._late(activity, data, session)
            return
        get = data.get
        used = get("used_id")
        if used is not None:
            entity, number = self._reference(used, session)
            name, code = self._role(get("used_role"))
            key = ((activity.number << _SHIFT | number) << _SHIFT | code) << 3
            written = self._written
            if key not in written:
                written.add(key)
                if activity.started and (activity.session is None or activity.session in self.ready):
                    self._usage(activity, entity, name)
                else:
                    activity.usages.append((entity, name))
        generated = get("generated_id")
        if generated is not None:
            entity, number = self._reference(generated, session)
            name, code = self._role(get("generated_role"))
            key = ((activity.number << _SHIFT | number) << _SHIFT | code) << 3 | 1
            written = self._written
            if key not in written:
                written.add(key)
                activity.generations.append((entity, name))
        if "parameters" in data:
            parameters = data["parameters"]
            if self.with_parameters and isinstance(parameters, dict):
                limit = self.value_limit
                for name, value in parameters.items():
                    activity.parameters[str(name)] = attribute_value(value, limit)
        if not _ELEMENT_KEYS.isdisjoint(data):
            activity.update(data, session)
            if "startTime" in data:
                activity.started = True
            if activity.agent is not None:
                self.agents[activity.agent] = None
            parent = activity.parent
            if parent is not None and parent not in self.activities:
                self.missing_parents[parent] = None
        elif activity.session is None:
            activity.session = session
        if activity.session is not None and activity.session not in self.session_order:
            self.session_order[activity.session] = None
        if activity.ended and self._ready(activity):
            self._close(activity)

    def _late(self, activity: _Activity, data: dict, session: Optional[str]) -> None:
        if not _ELEMENT_KEYS.isdisjoint(data):
            before = activity.snapshot()
            activity.update(data, session)
            if activity.agent is not None:
                self.agents[activity.agent] = None
            if activity.snapshot() != before:
                warnings.warn(
                    f"activity {activity.key}: a record read after the activity was written "
                    "changes it; the first values are kept",
                    StreamConflictWarning,
                    stacklevel=4,
                )
        get = data.get
        parameters = get("parameters")
        if self.with_parameters and isinstance(parameters, dict):
            for name, value in parameters.items():
                self._parameter(activity, str(name), attribute_value(value, self.value_limit))
        if get("used_id") is not None:
            entity, number = self._reference(data["used_id"], session)
            name, code = self._role(get("used_role"))
            key = ((activity.number << _SHIFT | number) << _SHIFT | code) << 3
            if self._first(key):
                self._usage(activity, entity, name)
        if get("generated_id") is not None:
            entity, number = self._reference(data["generated_id"], session)
            name, code = self._role(get("generated_role"))
            key = ((activity.number << _SHIFT | number) << _SHIFT | code) << 3 | 1
            if self._first(key):
                self._generation(activity, entity, name)

    def _activity_text(self, activity: _Activity) -> str:
        text = activity.text
        if text is None:
            text = activity.text = qualified_text(self.ids.activity_parts(activity.key))
        return text

    def _roles(self, activity: _Activity, name: Optional[str], kind: str) -> Attributes:
        key = (activity.session, activity.name, name, kind)
        found = self._role_cache.get(key)
        if found is None:
            index = self.indexes.get(activity.session) if activity.session is not None else None
            found = tuple(role_attributes(index, activity.name, name, kind))
            if len(self._role_cache) > _CACHE_LIMIT:
                self._role_cache.clear()
            self._role_cache[key] = found
        return found

    def _usage(self, activity: _Activity, entity: str, name: Optional[str]) -> None:
        attributes = self._roles(activity, name, "usage")
        node = activity.text or self._activity_text(activity)
        self.sink.relation("used", node, entity, activity.start, attributes)

    def _generation(self, activity: _Activity, entity: str, name: Optional[str]) -> None:
        attributes = self._roles(activity, name, "generation")
        node = activity.text or self._activity_text(activity)
        self.sink.relation("wasGeneratedBy", entity, node, activity.end, attributes)

    def _flush_usages(self, activity: _Activity) -> None:
        usages = activity.usages
        if usages:
            for entity, name in usages:
                self._usage(activity, entity, name)
            usages.clear()

    def _parameter(self, activity: _Activity, name: str, value: AttributeValue) -> None:
        key = (activity.number << _SHIFT | self._number("parameter", name)) << 3 | 2
        if not self._first(key):
            return
        sink = self.sink
        node = qualified_text(self.ids.parameter_parts(activity.key, name))
        sink.element("entity", node, self.parameter_shapes.attributes(name, value))
        attributes, described = self._parameter_links(activity, name)
        sink.relation("used", self._activity_text(activity), node, activity.start, attributes)
        if described is not None:
            sink.relation("wasInfluencedBy", node, described, None, DESCRIBED_ATTRIBUTES)

    def _parameter_links(self, activity: _Activity, name: str) -> Tuple[Attributes, Optional[str]]:
        key = (activity.session, activity.name, name)
        found = self._parameter_cache.get(key)
        if found is None:
            index = self.indexes.get(activity.session) if activity.session is not None else None
            described = index.parameter.get((activity.name or "", name)) if index else None
            found = (tuple(parameter_usage_attributes(name)), None if described is None else str(described))
            if len(self._parameter_cache) > _CACHE_LIMIT:
                self._parameter_cache.clear()
            self._parameter_cache[key] = found
        return found

    def _close(self, activity: _Activity) -> None:
        activity.closed = True
        self._share(activity)
        del self.open[activity.key]
        self._flush_usages(activity)
        for entity, name in activity.generations or ():
            self._generation(activity, entity, name)
        for name, value in (activity.parameters or {}).items():
            self._parameter(activity, name, value)
        self._write_activity(activity)
        activity.usages = activity.generations = activity.parameters = None
        activity.text = None

    def _write_activity(self, activity: _Activity) -> None:
        sink = self.sink
        node = self._activity_text(activity)
        sink.element("activity", node, activity.attributes(), activity.start, activity.end)
        session = activity.session
        agent = activity.agent or self.session_agents.get(session or "")
        if agent is not None:
            sink.relation("wasAssociatedWith", node, self._text("agent", agent), None, NO_ATTRIBUTES)
        if session is not None:
            in_session = self._text("session", session)
            sink.relation("wasInfluencedBy", node, in_session, None, IN_SESSION_ATTRIBUTES)
            index = self.indexes.get(session)
            if index is not None and activity.name in index.activities:
                described = str(index.activities[activity.name])
                sink.relation("wasInfluencedBy", node, described, None, DESCRIBED_ATTRIBUTES)
        if activity.parent is not None:
            sink.relation("wasInformedBy", node, self._text("activity", activity.parent), None, NO_ATTRIBUTES)

    def _entity(self, data: dict, session: Optional[str]) -> None:
        references = self._references
        entity_id = data["entity_id"]
        found = references.get(entity_id)
        if type(found) is not tuple:
            found = self._reference(entity_id, session)
        entity, number = found
        get = data.get
        member_id = get("member_id")
        if member_id is not None:
            found = references.get(member_id)
            if type(found) is not tuple:
                found = self._reference(member_id, session)
            self._member(entity, number, found)
        progenitor_id = get("progenitor_id")
        if progenitor_id is not None:
            found = references.get(progenitor_id)
            if type(found) is not tuple:
                found = self._reference(progenitor_id, session)
            progenitor, other = found
            self.derivations.add(number << _SHIFT | other, entity, progenitor, bool(get("untraced")))
        if data.keys() <= _RELATION_KEYS:
            return
        pairs = self.entity_shapes.attributes(data)
        if pairs:
            self.entities.add(entity, pairs)
        description = get("entity_description")
        if description is not None and self.with_descriptions and session is not None:
            if session in self.ready:
                self._link(entity, number, session, str(description))
            else:
                self.pending_links.setdefault(session, []).append((entity, number, str(description)))

    def _member(self, entity: str, number: int, member: Reference) -> None:
        if number not in self._collections:
            self._collections.add(number)
            self.entities.add(entity, _COLLECTION_PAIRS)
        key = (number << _SHIFT | member[1]) << 3 | 3
        written = self._written
        if key not in written:
            written.add(key)
            self.sink.relation("hadMember", entity, member[0], None, NO_ATTRIBUTES)

    def _link(self, entity: str, number: int, session: str, description: str) -> None:
        found = self._links.get((session, description), False)
        if found is False:
            index = self.indexes.get(session)
            described = index.entities.get(description) if index is not None else None
            found = None if described is None else (str(described), self._number("description", described))
            self._links[(session, description)] = found
        if found is not None:
            text, code = found
            key = (number << _SHIFT | code) << 3 | 4
            written = self._written
            if key not in written:
                written.add(key)
                self.sink.relation("wasInfluencedBy", entity, text, None, DESCRIBED_ATTRIBUTES)
