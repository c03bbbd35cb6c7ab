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

Each common kind of record (see `logprov.records.kinds.shape_of`) has its own handler, which does only
what that kind needs; relations are written with functions the sink makes once per kind and
attributes, and times from their text when it is already as `prov` writes it.

The statements are those of `DocumentBuilder` (the same identifiers, attributes and
relations), whatever the order of the records. Records that contradict an activity already
written (a second start or end record with other values) are the exception: the activity keeps
what was first written, and a `StreamConflictWarning` says so.
"""

from __future__ import annotations

import datetime
import re
import warnings
from itertools import islice
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Protocol, Sequence, Set, Tuple, Union

from prov.constants import PROV_TYPE

from ..reading.reader import ProvRecord, RecordNormalizer
from ..records.kinds import OTHER, shape_of
from .descriptions import DESCRIBED_BY, DescriptionIndex, describe
from .dispatch import RecordDispatcher
from .ids import IdMaker, local_part, qualified_text
from .mapping import (
    COLLECTION,
    IN_SESSION,
    NOTE_ON,
    SESSION_TYPE_PAIR,
    UNTRACED,
    ActivityState,
    Pair,
    agent_attributes,
    note_attributes,
    note_name,
    parameter_usage_attributes,
    role,
    role_attributes,
)
from .sessions import IN_CONTAINER, IN_JOB, session_attributes, session_context
from .shapes import EntityShapes, ParameterShapes
from .spool import DerivationTable, EntityTable
from .values import VALUE_LIMIT, AttributeValue, attribute_value, to_time

__all__ = ["Sink", "RecordStream", "StreamConflictWarning"]

Time = Optional[datetime.datetime]
Attributes = Tuple[Pair, ...]
Reference = Tuple[str, int, str]

IN_SESSION_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_SESSION),)
IN_JOB_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_JOB),)
IN_CONTAINER_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_CONTAINER),)
NOTE_ATTRIBUTES: Attributes = ((PROV_TYPE, NOTE_ON),)
DESCRIBED_ATTRIBUTES: Attributes = ((PROV_TYPE, DESCRIBED_BY),)
UNTRACED_ATTRIBUTES: Attributes = ((PROV_TYPE, UNTRACED),)
NO_ATTRIBUTES: Attributes = ()

_SHIFT = 40
_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_CACHE_LIMIT = 1 << 14
_CHUNK = 4096
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?(?!-00:00)[+-]\d\d:\d\d")
_ELEMENT_KEYS = frozenset(
    {
        "name", "startTime", "endTime", "status", "duration", "exception_type",
        "exception_message", "function", "agent_name", "parent_activity_id",
    }
)
#: Keys of the session records that come after the one opening a session: its end, and the
#: code facts looked up after it was written (a record of them may reach the log first).
_LATER_ONLY = frozenset({"session_id", "endTime", "packages", "git"})
_RELATION_KEYS = frozenset({"entity_id", "member_id", "progenitor_id", "in_session"})
_COLLECTION_PAIRS = ((PROV_TYPE, COLLECTION),)
_RARE_SHARED_FIELDS = ("session", "agent", "exception_type")


class StreamConflictWarning(UserWarning):
    """A record contradicts an activity that was already written; the first values are kept."""


class Sink(Protocol):
    """What receives the statements of a `RecordStream`.

    Identifiers are given as ``prefix:local`` text, made of ``[A-Za-z0-9_.-]`` characters and
    the colon only; the prefixes are those of ``RecordStream.ids.namespaces``. Attributes are
    given as a list, or as a tuple that the stream may give again for other statements and that
    never changes, so that a sink can remember its encoding by identity.

    Elements are written by the sink. Relations are written by the stream, with what `template`
    gives for their kind and attributes: a list and a function ``fill``; the stream appends
    ``fill(subject, target, time, blank)`` to the list, where ``subject`` and ``target`` are
    given by `term`, ``time`` by `moment` (None for a relation without time) and ``blank`` by
    ``next(sink.blank)``. The sink writes out what its lists hold when `flush` is called.
    """

    blank: Iterator[int]
    """Numbers of blank nodes, one taken for each relation."""

    time_text: str
    """What `moment` gives for a time whose ISO 8601 text ``text`` is as `datetime.isoformat`
    writes it, with an offset: ``time_text % text``."""

    def element(
        self,
        kind: str,
        name: str,
        attributes: Sequence[Pair],
        start: Union[Time, str] = None,
        end: Union[Time, str] = None,
    ) -> None:
        """Write an ``entity``, ``activity`` (with its times, as datetimes or as `moment` gives
        them) or ``agent``."""

    def term(self, name: str) -> str:
        """Return an identifier as ``fill`` takes it."""

    def moment(self, time: datetime.datetime) -> str:
        """Return a time as ``fill`` takes it."""

    def template(
        self, kind: str, timed: bool, attributes: Sequence[Pair]
    ) -> Tuple[List[str], Callable[[str, str, Optional[str], int], str]]:
        """Return the list relations of ``kind`` with ``attributes`` go to and their ``fill``.

        ``kind`` is a PROV-N keyword (``used``, ``wasGeneratedBy``, …); ``timed`` tells whether
        the relations have a time.
        """

    def flush(self) -> None:
        """Write out the lines appended to the lists given by `template`."""


class _Activity(ActivityState):
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

    def snapshot(self) -> tuple:
        return (self.start, self.end, self.attributes(), self.agent, self.parent, self.session)


Plan = Tuple[List[str], Callable[[str, str, Optional[str], int], str]]


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

    Notes
    -----
    Records are taken by kind (see `logprov.records.kinds.shape_of`): each common kind has a handler
    doing only what that kind needs, and falls back on the handler of every record when the
    activity it names is not simply open with a known session.
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
        self._activity_prefix = self.ids.activity_ns.prefix + ":"
        self._parameter_prefix = self.ids.parameter_ns.prefix + ":"
        self.normalizer = RecordNormalizer()
        self.entities = EntityTable(directory, window)
        self.entity_shapes = EntityShapes(value_limit)
        self.parameter_shapes = ParameterShapes()
        self.derivations = DerivationTable()
        self.sessions: Dict[str, Dict[Pair, None]] = {}
        self.session_order: Dict[str, None] = {}
        self.session_agents: Dict[str, str] = {}
        self.jobs: Dict[str, Dict[Pair, None]] = {}
        self.images: Dict[str, Dict[Pair, None]] = {}
        self.session_context: Dict[str, Dict[Tuple[str, str], None]] = {}
        self.ready: Set[str] = set()
        self.indexes: Dict[str, DescriptionIndex] = {}
        self.descriptions: Dict = {}
        self.agents: Dict[str, None] = {}
        self.activities: Dict[str, _Activity] = {}
        self.open: Dict[str, _Activity] = {}
        self.missing_parents: Dict[str, None] = {}
        self.pending_links: Dict[str, List[Tuple[str, int, str]]] = {}
        self._written: Set[int] = set()
        self._notes: Set[Tuple[str, str]] = set()
        self._collections: Set[int] = set()
        self._numbers: Dict[str, Dict[object, int]] = {"role": {}, "parameter": {}, "description": {}}
        self._role_names: Dict[object, Tuple[Optional[str], int]] = {}
        self._links: Dict[Tuple[str, str], Optional[Tuple[str, int]]] = {}
        self._references: Dict[str, Union[Reference, Dict[Optional[str], Reference]]] = {}
        self._cached = 0
        self._texts: Dict[Tuple[str, str], str] = {}
        self._strings: Dict[str, str] = {}
        self._role_plans: Dict[tuple, Plan] = {}
        self._parameter_cache: Dict[tuple, Tuple[Plan, Optional[str]]] = {}
        self._plans: Dict[tuple, Tuple[Attributes, Plan]] = {}
        self._routes: Dict[tuple, Callable[[dict, Optional[str]], None]] = {}
        self._fixed: Dict[str, Plan] = {}
        self._terms: Dict[Tuple[str, str], str] = {}
        self._activity_links: Dict[Tuple[str, Optional[str]], Tuple[str, Optional[str]]] = {}
        self._handlers = {
            "used": self._used,
            "generated": self._generated,
            "parameters": self._parameters,
            "member": self._membership,
            "derivation": self._derivation,
            "description": self._description,
            "start": self._start,
            "end": self._end,
            OTHER: self._record,
        }

    def add_all(self, records: Iterable[Union[ProvRecord, dict]]) -> "RecordStream":
        """Take every record of ``records`` into account and return ``self``."""
        self._prepare()
        routes = self._routes
        route = self._route
        normalize = self.normalizer.normalize
        flush = self.sink.flush
        iterator = iter(records)
        chunk = list(islice(iterator, _CHUNK))
        while chunk:
            for record in chunk:
                if type(record) is ProvRecord or isinstance(record, ProvRecord):
                    data, session = record.data, record.session
                else:
                    data = dict(record)
                    session = normalize(data)
                keys = tuple(data)
                handler = routes.get(keys) or route(keys)
                handler(data, session)
            flush()
            chunk = list(islice(iterator, _CHUNK))
        return self

    def _prepare(self) -> None:
        """Get the lists and ``fill`` functions of the relations without roles from the sink."""
        plan = self._plan
        self._fixed = {
            "member": plan("hadMember", NO_ATTRIBUTES),
            "associated": plan("wasAssociatedWith", NO_ATTRIBUTES),
            "informed": plan("wasInformedBy", NO_ATTRIBUTES),
            "in_session": plan("wasInfluencedBy", IN_SESSION_ATTRIBUTES),
            "described": plan("wasInfluencedBy", DESCRIBED_ATTRIBUTES),
            "specialization": plan("specializationOf", NO_ATTRIBUTES),
        }

    def _route(self, keys: tuple) -> Callable[[dict, Optional[str]], None]:
        handler = self._handlers[shape_of(keys)]
        if len(self._routes) < _CACHE_LIMIT:
            self._routes[keys] = handler
        return handler

    def _record(self, data: dict, session: Optional[str]) -> None:
        if "session_id" in data:
            self._session(data)
        if "activity_id" in data:
            self._activity(data, session)
        if "entity_id" in data:
            self._entity(data, session)
        if "note_id" in data:
            self._note(data, session)

    def _note(self, data: dict, session: Optional[str]) -> None:
        name, _, term = self._reference(note_name(data), session)
        self.entities.add(name, note_attributes(data, self.value_limit))
        about = data.get("about_activity")
        if about is not None:
            target = self._term("activity", str(about))
        elif session is not None:
            target = self._term("session", session)
        else:
            return
        if (term, target) in self._notes:
            return
        self._notes.add((term, target))
        lines, fill = self._plan("wasInfluencedBy", NOTE_ATTRIBUTES)
        lines.append(fill(term, target, None, next(self.sink.blank)))

    def finish(self) -> None:
        """Write everything still held: open activities, sessions, agents, entities."""
        self._prepare()
        sink = self.sink
        blank = sink.blank
        for activity in list(self.open.values()):
            self._close(activity)
        for parent in self.missing_parents:
            sink.element("activity", self._text("activity", parent), [])
        lines, fill = self._plan("wasAttributedTo", NO_ATTRIBUTES)
        for session in self.session_order:
            attributes = self.sessions.get(session) or {SESSION_TYPE_PAIR: None}
            name = self._text("session", session)
            sink.element("entity", name, list(attributes))
            if session in self.session_agents:
                agent = self._text("agent", self.session_agents[session])
                lines.append(fill(sink.term(name), sink.term(agent), None, next(blank)))
        self._write_context()
        for agent in self.agents:
            sink.element("agent", self._text("agent", agent), agent_attributes(agent))
        for key, attributes in self.descriptions.items():
            sink.element("entity", str(key), attributes)
        for session, links in self.pending_links.items():
            for term, number, description in links:
                self._link(term, number, session, description)
        self.pending_links = {}
        sink.flush()
        for name, attributes in self.entities.items():
            sink.element("entity", name, attributes)
        plans = (
            self._plan("wasDerivedFrom", NO_ATTRIBUTES),
            self._plan("wasDerivedFrom", UNTRACED_ATTRIBUTES),
        )
        term = sink.term
        for count, (entity, progenitor, untraced) in enumerate(self.derivations.items(), 1):
            lines, fill = plans[untraced]
            lines.append(fill(term(entity), term(progenitor), None, next(blank)))
            if not count % _CHUNK:
                sink.flush()
        sink.flush()

    def _write_context(self) -> None:
        """Write the jobs and container images, and their influences on the sessions."""
        sink, ids = self.sink, self.ids
        for key, attributes in self.jobs.items():
            sink.element("activity", qualified_text(ids.job_parts(key)), list(attributes))
        for key, attributes in self.images.items():
            sink.element("entity", qualified_text(ids.image_parts(key)), list(attributes))
        plans = {"job": self._plan("wasInfluencedBy", IN_JOB_ATTRIBUTES),
                 "image": self._plan("wasInfluencedBy", IN_CONTAINER_ATTRIBUTES)}
        for session, context in self.session_context.items():
            subject = self._term("session", session)
            for kind, key in context:
                lines, fill = plans[kind]
                target = sink.term(qualified_text(getattr(ids, f"{kind}_parts")(key)))
                lines.append(fill(subject, target, None, next(sink.blank)))

    def close(self) -> None:
        """Remove the temporary files."""
        self.entities.close()

    def _plan(self, kind: str, attributes: Attributes, timed: bool = False) -> Plan:
        """Return the sink's list and ``fill`` for relations of ``kind`` with ``attributes``."""
        key = (kind, timed, id(attributes))
        found = self._plans.get(key)
        if found is None or found[0] is not attributes:
            found = (attributes, self.sink.template(kind, timed, attributes))
            if len(self._plans) > _CACHE_LIMIT:
                self._plans.clear()
            self._plans[key] = found
        return found[1]

    def _number(self, kind: str, value: object) -> int:
        numbers = self._numbers[kind]
        number = numbers.get(value)
        if number is None:
            number = numbers[value] = len(numbers) + 1
        return number

    def _role(self, value: object) -> Tuple[Optional[str], int]:
        key = value if type(value) is str else (type(value), value)
        try:
            found = self._role_names.get(key)
        except TypeError:
            name = role(value)
            return name, self._number("role", name)
        if found is None:
            name = role(value)
            found = (name, self._number("role", name))
            if len(self._role_names) > _CACHE_LIMIT:
                self._role_names.clear()
            self._role_names[key] = found
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
            found = qualified_text(getattr(self.ids, f"{kind}_parts")(value))
            if len(self._texts) > _CACHE_LIMIT:
                self._texts.clear()
            self._texts[key] = found
        return found

    def _term(self, kind: str, value: str) -> str:
        """Return the sink's term of the activity, agent or session ``value``."""
        key = (kind, value)
        found = self._terms.get(key)
        if found is None:
            found = self.sink.term(self._text(kind, value))
            if len(self._terms) > _CACHE_LIMIT:
                self._terms.clear()
            self._terms[key] = found
        return found

    def _reference(self, entity: str, session: Optional[str]) -> Reference:
        """Return the identifier text, the number and the term of entity ``entity`` of ``session``.

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
        found = (name, self.entities.number(name), self.sink.term(name))
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
        for kind, found, table in zip(("job", "image"), session_context(data), (self.jobs, self.images)):
            if found is not None:
                key, pairs = found
                table.setdefault(key, {}).update(dict.fromkeys(pairs))
                self.session_context.setdefault(session, {})[(kind, key)] = None
        self.session_order[session] = None
        agent = data.get("agent_name")
        if agent is not None:
            self.session_agents[session] = str(agent)
            self.agents[str(agent)] = None
        definitions = data.get("definitions")
        if isinstance(definitions, dict) and "namespaces" in definitions:
            self.ids.declare(definitions["namespaces"])
        if self.with_descriptions and "definitions" in data and session not in self.indexes:
            self.indexes[session] = describe(data["definitions"], self.ids, self.descriptions)
            self._links.clear()
            self._role_plans.clear()
            self._parameter_cache.clear()
            self._activity_links.clear()
        if session not in self.ready and not data.keys() <= _LATER_ONLY:
            self.ready.add(session)
            for term, number, description in self.pending_links.pop(session, ()):
                self._link(term, number, session, description)
            for activity in [a for a in self.open.values() if a.session == session]:
                if self._ready(activity):
                    self._flush_usages(activity)
                    if activity.ended:
                        self._close(activity)

    def _share(self, activity: _Activity) -> None:
        strings = self._strings
        if len(strings) > _CACHE_LIMIT:
            strings.clear()
        share = strings.setdefault
        if type(activity.name) is str:
            activity.name = share(activity.name, activity.name)
        if type(activity.status) is str:
            activity.status = share(activity.status, activity.status)
        if type(activity.function) is str:
            activity.function = share(activity.function, activity.function)
        for field in _RARE_SHARED_FIELDS:
            value = getattr(activity, field)
            if type(value) is str:
                setattr(activity, field, share(value, value))

    def _ready(self, activity: _Activity) -> bool:
        return activity.started and (activity.session is None or activity.session in self.ready)

    def _times(self, activity: _Activity) -> None:
        moment = self.sink.moment
        activity.start_term = None if activity.start is None else moment(activity.start)
        activity.end_term = None if activity.end is None else moment(activity.end)

    def _time_of(self, value: object) -> Tuple[Time, Optional[str]]:
        """Return the time ``value`` of a record as a datetime and as the sink's `moment` text."""
        if type(value) is str and _CANONICAL_TIME.fullmatch(value):
            try:
                return datetime.datetime.fromisoformat(value), self.sink.time_text % value
            except ValueError:
                pass
        moment = to_time(value)
        return moment, None if moment is None else self.sink.moment(moment)

    def _start(self, data: dict, session: Optional[str]) -> None:
        key = data["activity_id"]
        activities = self.activities
        if key in activities:
            self._record(data, session)
            return
        term = self.sink.term(self._activity_prefix + local_part(key))
        activity = activities[key] = self.open[key] = _Activity(key, session, len(activities) + 1, term)
        self.missing_parents.pop(key, None)
        get = data.get
        name = get("name")
        if name is not None:
            activity.name = name if type(name) is str else str(name)
        activity.start, activity.start_term = self._time_of(data["startTime"])
        activity.started = True
        function = get("function")
        if function is not None:
            activity.function = function
        agent = get("agent_name")
        if agent is not None:
            activity.agent = agent = agent if type(agent) is str else str(agent)
            self.agents[agent] = None
        parent = get("parent_activity_id")
        if parent is not None:
            activity.parent = parent
            if parent not in activities:
                self.missing_parents[parent] = None
        if session is not None and session not in self.session_order:
            self.session_order[session] = None

    def _end(self, data: dict, session: Optional[str]) -> None:
        activity = self.open.get(data["activity_id"])
        if activity is None or not activity.started or activity.session not in self.ready:
            self._record(data, session)
            return
        moment, term = self._time_of(data["endTime"])
        activity.ended = True
        if moment is not None:
            activity.end = moment
            activity.end_term = term
        get = data.get
        status = get("status")
        if status is not None:
            activity.status = status
        duration = get("duration")
        if duration is not None:
            activity.duration = duration
        if "exception_type" in data or "exception_message" in data:
            for field in ("exception_type", "exception_message"):
                if get(field) is not None:
                    setattr(activity, field, data[field])
        self._close(activity)

    def _used(self, data: dict, session: Optional[str]) -> None:
        link = self._first_relation(data, session, "used_id", "used_role", 0)
        if link is not None:
            activity, found, name = link
            if activity.started and activity.session in self.ready:
                self._usage(activity, found[2], name)
            else:
                activity.usages.append((found[2], name))

    def _generated(self, data: dict, session: Optional[str]) -> None:
        link = self._first_relation(data, session, "generated_id", "generated_role", 1)
        if link is not None:
            activity, found, name = link
            activity.generations.append((found, name))

    def _first_relation(
        self, data: dict, session: Optional[str], entity_key: str, role_key: str, kind: int
    ) -> Optional[Tuple[_Activity, Reference, Optional[str]]]:
        """Return the activity, entity reference and role name of a usage (``kind`` 0) or
        generation (1) met for the first time; None when it was met before or waits for its
        activity."""
        activity = self.open.get(data["activity_id"])
        if activity is None or activity.session is None:
            self._record(data, session)
            return None
        found = self._reference(data[entity_key], session)
        value = data[role_key]
        named = self._role_names.get(value) if type(value) is str else None
        if named is None:
            named = self._role(value)
        key = ((activity.number << _SHIFT | found[1]) << _SHIFT | named[1]) << 3 | kind
        written = self._written
        if key in written:
            return None
        written.add(key)
        return activity, found, named[0]

    def _parameters(self, data: dict, session: Optional[str]) -> None:
        activity = self.open.get(data["activity_id"])
        if activity is None or activity.session is None:
            self._record(data, session)
            return
        parameters = data["parameters"]
        if self.with_parameters and isinstance(parameters, dict):
            limit = self.value_limit
            kept = activity.parameters
            for name, value in parameters.items():
                kept[str(name)] = attribute_value(value, limit)

    def _activity(self, data: dict, session: Optional[str]) -> None:
        key = data["activity_id"]
        activity = self.activities.get(key)
        if activity is None:
            term = self.sink.term(self._activity_prefix + local_part(key))
            activity = self.activities[key] = _Activity(key, session, len(self.activities) + 1, term)
            self.open[key] = activity
            self.missing_parents.pop(key, None)
        elif activity.closed:
            self._late(activity, data, session)
            return
        get = data.get
        used = get("used_id")
        if used is not None:
            _, number, entity = self._reference(used, session)
            name, code = self._role(get("used_role"))
            key = ((activity.number << _SHIFT | number) << _SHIFT | code) << 3
            if self._first(key):
                activity.usages.append((entity, name))
        generated = get("generated_id")
        if generated is not None:
            found = self._reference(generated, session)
            name, code = self._role(get("generated_role"))
            key = ((activity.number << _SHIFT | found[1]) << _SHIFT | code) << 3 | 1
            if self._first(key):
                activity.generations.append((found, name))
        if "parameters" in data:
            parameters = data["parameters"]
            if self.with_parameters and isinstance(parameters, dict):
                limit = self.value_limit
                for name, value in parameters.items():
                    activity.parameters[str(name)] = attribute_value(value, limit)
        if not _ELEMENT_KEYS.isdisjoint(data):
            activity.update(data, session)
            self._times(activity)
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
        if self._ready(activity):
            self._flush_usages(activity)
            if activity.ended:
                self._close(activity)

    def _late(self, activity: _Activity, data: dict, session: Optional[str]) -> None:
        self._times(activity)
        if not _ELEMENT_KEYS.isdisjoint(data):
            before = activity.snapshot()
            activity.update(data, session)
            self._times(activity)
            if activity.agent is not None:
                self.agents[activity.agent] = None
            if activity.snapshot() != before:
                warnings.warn(
                    f"activity {activity.key}: a record read after the activity was written "
                    "changes it; the first values are kept",
                    StreamConflictWarning,
                    stacklevel=5,
                )
        get = data.get
        parameters = get("parameters")
        if self.with_parameters and isinstance(parameters, dict):
            for name, value in parameters.items():
                self._parameter(activity, str(name), attribute_value(value, self.value_limit))
        if get("used_id") is not None:
            _, number, entity = self._reference(data["used_id"], session)
            name, code = self._role(get("used_role"))
            key = ((activity.number << _SHIFT | number) << _SHIFT | code) << 3
            if self._first(key):
                self._usage(activity, entity, name)
        if get("generated_id") is not None:
            found = self._reference(data["generated_id"], session)
            name, code = self._role(get("generated_role"))
            key = ((activity.number << _SHIFT | found[1]) << _SHIFT | code) << 3 | 1
            if self._first(key):
                self._generation(activity, found, name)

    def _activity_term(self, activity: _Activity) -> str:
        term = activity.term
        if term is None:
            term = activity.term = self.sink.term(self._activity_prefix + local_part(activity.key))
        return term

    def _role_plan(self, activity: _Activity, name: Optional[str], kind: str, timed: bool) -> Plan:
        key = (activity.session, activity.name, name, kind, timed)
        found = self._role_plans.get(key)
        if found is None:
            index = self.indexes.get(activity.session) if activity.session is not None else None
            usage = "usage" if kind == "used" else "generation"
            attributes = tuple(role_attributes(index, activity.name, name, usage))
            found = self.sink.template(kind, timed, attributes)
            if len(self._role_plans) > _CACHE_LIMIT:
                self._role_plans.clear()
            self._role_plans[key] = found
        return found

    def _usage(self, activity: _Activity, entity: str, name: Optional[str]) -> None:
        time = activity.start_term
        key = (activity.session, activity.name, name, "used", time is not None)
        lines, fill = self._role_plans.get(key) or self._role_plan(activity, name, "used", key[4])
        node = activity.term or self._activity_term(activity)
        lines.append(fill(node, entity, time, next(self.sink.blank)))

    def _generation(self, activity: _Activity, found: Reference, name: Optional[str]) -> None:
        time = activity.end_term
        key = (activity.session, activity.name, name, "wasGeneratedBy", time is not None)
        plan = self._role_plans.get(key) or self._role_plan(activity, name, "wasGeneratedBy", key[4])
        lines, fill = plan
        node = activity.term or self._activity_term(activity)
        entity = self._specialization(
            self.ids.generated_text(found[0], activity.key), found, (activity.number << _SHIFT | found[1]) << 3 | 5
        )
        lines.append(fill(entity, node, time, next(self.sink.blank)))

    def _specialization(self, name: str, found: Reference, key: int) -> str:
        """Return the term of entity ``name``, a specialization of ``found`` written once (``key``)."""
        sink = self.sink
        term = sink.term(name)
        written = self._written
        if key not in written:
            written.add(key)
            sink.element("entity", name, [])
            lines, fill = self._fixed["specialization"]
            lines.append(fill(term, found[2], None, next(sink.blank)))
        return term

    def _flush_usages(self, activity: _Activity) -> None:
        usages = activity.usages
        if usages:
            for entity, name in usages:
                self._usage(activity, entity, name)
            usages.clear()

    def _parameter(self, activity: _Activity, name: str, value: AttributeValue) -> None:
        code = self._numbers["parameter"].get(name) or self._number("parameter", name)
        key = (activity.number << _SHIFT | code) << 3 | 2
        written = self._written
        if key in written:
            return
        written.add(key)
        sink = self.sink
        node = self._parameter_prefix + local_part(f"{activity.key}.{name}")
        sink.element("entity", node, self.parameter_shapes.attributes(name, value))
        time = activity.start_term
        links = self._parameter_cache.get((activity.session, activity.name, name, time is not None))
        (lines, fill), described = links or self._parameter_links(activity, name)
        term = sink.term(node)
        subject = activity.term or self._activity_term(activity)
        lines.append(fill(subject, term, time, next(sink.blank)))
        if described is not None:
            lines, fill = self._fixed["described"]
            lines.append(fill(term, described, None, next(sink.blank)))

    def _parameter_links(self, activity: _Activity, name: str) -> Tuple[Plan, Optional[str]]:
        key = (activity.session, activity.name, name, activity.start_term is not None)
        found = self._parameter_cache.get(key)
        if found is None:
            index = self.indexes.get(activity.session) if activity.session is not None else None
            described = index.parameter.get((activity.name or "", name)) if index else None
            plan = self.sink.template("used", key[3], tuple(parameter_usage_attributes(name)))
            found = (plan, None if described is None else self.sink.term(str(described)))
            if len(self._parameter_cache) > _CACHE_LIMIT:
                self._parameter_cache.clear()
            self._parameter_cache[key] = found
        return found

    def _close(self, activity: _Activity) -> None:
        activity.closed = True
        self._share(activity)
        del self.open[activity.key]
        self._flush_usages(activity)
        for found, name in activity.generations or ():
            self._generation(activity, found, name)
        for name, value in (activity.parameters or {}).items():
            self._parameter(activity, name, value)
        self._write_activity(activity)
        activity.usages = activity.generations = activity.parameters = None
        activity.term = activity.start_term = activity.end_term = None

    def _write_activity(self, activity: _Activity) -> None:
        sink = self.sink
        blank = sink.blank
        fixed = self._fixed
        node = activity.term or self._activity_term(activity)
        name = self._activity_prefix + local_part(activity.key)
        sink.element("activity", name, activity.attributes(), activity.start_term, activity.end_term)
        session = activity.session
        agent = activity.agent or self.session_agents.get(session or "")
        if agent is not None:
            lines, fill = fixed["associated"]
            lines.append(fill(node, self._term("agent", agent), None, next(blank)))
        if session is not None:
            key = (session, activity.name)
            in_session, described = self._activity_links.get(key) or self._activity_link(key)
            lines, fill = fixed["in_session"]
            lines.append(fill(node, in_session, None, next(blank)))
            if described is not None:
                lines, fill = fixed["described"]
                lines.append(fill(node, described, None, next(blank)))
        if activity.parent is not None:
            lines, fill = fixed["informed"]
            lines.append(fill(node, self._term("activity", activity.parent), None, next(blank)))

    def _activity_link(self, key: Tuple[str, Optional[str]]) -> Tuple[str, Optional[str]]:
        """Return the terms of the session and of the description of activities named ``key``."""
        session, name = key
        index = self.indexes.get(session)
        described = None
        if index is not None and name in index.activities:
            described = self.sink.term(str(index.activities[name]))
        found = (self._term("session", session), described)
        if len(self._activity_links) > _CACHE_LIMIT:
            self._activity_links.clear()
        self._activity_links[key] = found
        return found

    def _membership(self, data: dict, session: Optional[str]) -> None:
        found = self._reference(data["entity_id"], session)
        self._member(found, self._reference(data["member_id"], session))

    def _derivation(self, data: dict, session: Optional[str]) -> None:
        found = self._reference(data["entity_id"], session)
        self._derived(found, self._reference(data["progenitor_id"], session), False)

    def _derived(self, found: Reference, other: Reference, untraced: bool) -> None:
        key = found[1] << _SHIFT | other[1]
        name = self.ids.derived_text(found[0], other[0])
        self._specialization(name, found, key << 3 | 6)
        self.derivations.add(key, name, other[0], untraced)

    def _description(self, data: dict, session: Optional[str]) -> None:
        self._describe(data, session, self._reference(data["entity_id"], session))

    def _entity(self, data: dict, session: Optional[str]) -> None:
        found = self._reference(data["entity_id"], session)
        get = data.get
        member_id = get("member_id")
        if member_id is not None:
            self._member(found, self._reference(member_id, session))
        progenitor_id = get("progenitor_id")
        if progenitor_id is not None:
            self._derived(found, self._reference(progenitor_id, session), bool(get("untraced")))
        if not data.keys() <= _RELATION_KEYS:
            self._describe(data, session, found)

    def _describe(self, data: dict, session: Optional[str], found: Reference) -> None:
        name, number, term = found
        pairs = self.entity_shapes.attributes(data)
        if pairs:
            self.entities.add(name, pairs)
        description = data.get("entity_description")
        if description is None or not self.with_descriptions or session is None:
            return
        if session not in self.ready:
            self.pending_links.setdefault(session, []).append((term, number, str(description)))
            return
        link = self._links.get((session, description), False)
        if link is False:
            self._link(term, number, session, str(description))
        elif link is not None:
            key = (number << _SHIFT | link[1]) << 3 | 4
            written = self._written
            if key not in written:
                written.add(key)
                lines, fill = self._fixed["described"]
                lines.append(fill(term, link[0], None, next(self.sink.blank)))

    def _member(self, entity: Reference, member: Reference) -> None:
        number = entity[1]
        if number not in self._collections:
            self._collections.add(number)
            self.entities.add(entity[0], _COLLECTION_PAIRS)
        key = (number << _SHIFT | member[1]) << 3 | 3
        written = self._written
        if key not in written:
            written.add(key)
            lines, fill = self._fixed["member"]
            lines.append(fill(entity[2], member[2], None, next(self.sink.blank)))

    def _link(self, term: str, number: int, session: str, description: str) -> None:
        found = self._links.get((session, description), False)
        if found is False:
            index = self.indexes.get(session)
            described = index.entities.get(description) if index is not None else None
            if described is not None:
                found = (self.sink.term(str(described)), self._number("description", described))
            else:
                found = None
            self._links[(session, description)] = found
        if found is not None:
            text, code = found
            key = (number << _SHIFT | code) << 3 | 4
            written = self._written
            if key not in written:
                written.add(key)
                lines, fill = self._fixed["described"]
                lines.append(fill(term, text, None, next(self.sink.blank)))
