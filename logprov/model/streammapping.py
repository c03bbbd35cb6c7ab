"""The PROV mapping in its streaming form: records read in log order, statements written when final.

`StreamMapping` takes every record by its parts, as `logprov.model.builder.DocumentBuilder`
does (a session part, an activity part, an entity part, a note part), with the same pure
mapping (`logprov.model.mapping`, `logprov.model.sessiontable`), and writes the statements
through `logprov.model.statementemitter.StatementEmitter`:

* an activity's own statements are written once its start and end records and its session's
  record have been read; until then its usages and generations wait with it (a usage is timed
  at the activity's start, a generation at its end);
* entities go through an `EntityTable` (the recent ones merged in memory, older ones on disk)
  and derivations through a `DerivationTable`; both are written at the end, as are sessions,
  agents and descriptions, which are few.

It is the reference of the fast handlers of `logprov.model.recordstream.RecordStream`, which
give the same output for the common kinds of records.
"""

from __future__ import annotations

import re
import warnings
from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple, Union

from prov.constants import PROV_TYPE

from ..reading.reader import ProvRecord, RecordNormalizer
from ..records import keys as K
from .identifiers import IdMaker, local_part, qualified_text
from .literals import VALUE_LIMIT
from .mapping import (
    NOTE_ON,
    SESSION_TYPE_PAIR,
    Record,
    agent_attributes,
    generation_of,
    logged_parameters,
    note_about,
    note_attributes,
    note_name,
    usage_of,
)
from .sessions import IN_CONTAINER, IN_JOB
from .sessiontable import SessionTable
from .statementemitter import NO_ATTRIBUTES, UNTRACED_ATTRIBUTES, StatementEmitter
from .statementsink import Attributes, StatementSink
from .streamstate import GENERATION, USAGE, Reference, StreamedActivity, relation_key

__all__ = ["StreamMapping", "StreamConflictWarning", "Handler"]

Handler = Callable[[Record, Optional[str]], None]

NOTE_ATTRIBUTES: Attributes = ((PROV_TYPE, NOTE_ON),)
IN_JOB_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_JOB),)
IN_CONTAINER_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_CONTAINER),)

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_CHUNK = 4096
_ELEMENT_KEYS = frozenset(
    {
        K.NAME, K.START_TIME, K.END_TIME, K.STATUS, K.DURATION, K.EXCEPTION_TYPE,
        K.EXCEPTION_MESSAGE, K.FUNCTION, K.AGENT_NAME, K.PARENT_ACTIVITY_ID,
    }
)
#: Keys of the session records that come after the one opening a session: its end, and the
#: code facts looked up after it was written (a record of them may reach the log first).
_LATER_ONLY = frozenset({K.SESSION_ID, K.END_TIME, K.PACKAGES, K.GIT})
_RELATION_KEYS = frozenset({K.ENTITY_ID, K.MEMBER_ID, K.PROGENITOR_ID, K.IN_SESSION})


class StreamConflictWarning(UserWarning):
    """A record contradicts an activity that was already written; the first values are kept."""


class StreamMapping(StatementEmitter):
    """Turn records into PROV statements, in one pass, for a `StatementSink`.

    Parameters
    ----------
    sink : StatementSink
        Receives the statements.
    directory : str
        Where temporary files are written.
    with_descriptions, with_parameters, session_prefix, value_limit
        As for `logprov.model.builder.DocumentBuilder`.
    window : int
        Entities kept in memory to merge their descriptions before they go to disk.
    """

    def __init__(
        self,
        sink: StatementSink,
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
        ids = IdMaker(session_prefix)
        StatementEmitter.__init__(self, sink, directory, ids, SessionTable(ids, with_descriptions), value_limit, window)
        self.with_descriptions = with_descriptions
        self.with_parameters = with_parameters
        self.normalizer = RecordNormalizer()
        self.session_order: Dict[str, None] = {}
        self.ready: Set[str] = set()
        self.agents: Dict[str, None] = {}
        #: Activities named (as a parent, or as the activity of a derivation) and not met.
        self.missing_activities: Dict[str, None] = {}
        self.pending_links: Dict[str, List[Tuple[str, int, str]]] = {}
        self._notes: Set[Tuple[str, str]] = set()

    def add(self, record: Union[ProvRecord, Record]) -> None:
        """Take one record into account (see `add_all`)."""
        self.add_all((record,))

    def add_all(self, records: Iterable[Union[ProvRecord, Record]]) -> "StreamMapping":
        """Take every record of ``records`` into account and return ``self``."""
        self._prepare()
        routes = self.caches.routes
        handler_of = self._handler_of
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
                handler = routes.get(keys) or handler_of(keys)
                handler(data, session)
            flush()
            chunk = list(islice(iterator, _CHUNK))
        return self

    def _handler_of(self, keys: Tuple[str, ...]) -> Handler:
        """Return what takes the records with ``keys``: here, `_record` for every record."""
        return self._record

    def _record(self, data: Record, session: Optional[str]) -> None:
        """Take a record by its parts: session, activity, entity, note."""
        if K.SESSION_ID in data:
            self._session(data)
        if K.ACTIVITY_ID in data:
            self._activity(data, session)
        if K.ENTITY_ID in data:
            self._entity(data, session)
        if K.NOTE_ID in data:
            self._note(data, session)

    def _note(self, data: Record, session: Optional[str]) -> None:
        name, _, term = self._reference(note_name(data), session)
        self.entities.add(name, note_attributes(data, self.value_limit))
        about = note_about(data)
        if about is not None:
            target = self._term("activity", about)
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
        for missing in self.missing_activities:
            sink.element("activity", self._text("activity", missing), [])
        lines, fill = self._plan("wasAttributedTo", NO_ATTRIBUTES)
        for session in self.session_order:
            attributes = self.sessions.attributes.get(session) or {SESSION_TYPE_PAIR: None}
            name = self._text("session", session)
            sink.element("entity", name, list(attributes))
            if session in self.sessions.agents:
                agent = self._text("agent", self.sessions.agents[session])
                lines.append(fill(sink.term(name), sink.term(agent), None, next(blank)))
        self._write_context()
        for agent in self.agents:
            sink.element("agent", self._text("agent", agent), agent_attributes(agent))
        for key, pairs in self.sessions.descriptions.items():
            sink.element("entity", str(key), pairs)
        for session, links in self.pending_links.items():
            for term, number, description in links:
                self._link(term, number, session, description)
        self.pending_links = {}
        sink.flush()
        for name, merged in self.entities.items():
            sink.element("entity", name, merged)
        plans = {
            (untraced, within): self._plan("wasDerivedFrom", UNTRACED_ATTRIBUTES if untraced else NO_ATTRIBUTES, within)
            for untraced in (False, True) for within in (False, True)
        }
        term_of = sink.term
        derived_text = self.ids.derived_text
        for count, (entity, progenitor, happened_in, untraced) in enumerate(self.derivations.items(), 1):
            lines, fill = plans[(untraced, happened_in is not None)]
            within = None if happened_in is None else self._term("activity", happened_in)
            subject = term_of(derived_text(entity, progenitor, happened_in))
            lines.append(fill(subject, term_of(progenitor), within, next(blank)))
            if not count % _CHUNK:
                sink.flush()
        sink.flush()

    def _write_context(self) -> None:
        """Write the jobs and container images, and their influences on the sessions."""
        sink, ids, sessions = self.sink, self.ids, self.sessions
        for key, attributes in sessions.jobs.items():
            sink.element("activity", qualified_text(ids.job_parts(key)), list(attributes))
        for key, pairs in sessions.images.items():
            sink.element("entity", qualified_text(ids.image_parts(key)), list(pairs))
        plans = {"job": self._plan("wasInfluencedBy", IN_JOB_ATTRIBUTES),
                 "image": self._plan("wasInfluencedBy", IN_CONTAINER_ATTRIBUTES)}
        for session, context in sessions.context.items():
            subject = self._term("session", session)
            for kind, key in context:
                lines, fill = plans[kind]
                target = sink.term(qualified_text(getattr(ids, f"{kind}_parts")(key)))
                lines.append(fill(subject, target, None, next(sink.blank)))

    def close(self) -> None:
        """Remove the temporary files."""
        self.entities.close()

    def _session(self, data: Record) -> None:
        session = data[K.SESSION_ID]
        if self.sessions.add(data, self.agents):
            self.caches.clear()
        self.session_order[session] = None
        if session not in self.ready and not data.keys() <= _LATER_ONLY:
            self.ready.add(session)
            for term, number, description in self.pending_links.pop(session, ()):
                self._link(term, number, session, description)
            for activity in [a for a in self.open.values() if a.session == session]:
                if self._ready(activity):
                    self._flush_usages(activity)
                    if activity.ended:
                        self._close(activity)

    def _ready(self, activity: StreamedActivity) -> bool:
        return activity.started and (activity.session is None or activity.session in self.ready)

    def _new_activity(self, key: str, session: Optional[str]) -> StreamedActivity:
        """Return the new activity ``key``, open."""
        term = self.sink.term(self._activity_prefix + local_part(key))
        activity = self.activities[key] = self.open[key] = StreamedActivity(key, session, len(self.activities) + 1, term)
        self.missing_activities.pop(key, None)
        return activity

    def _activity(self, data: Record, session: Optional[str]) -> None:
        key = data[K.ACTIVITY_ID]
        activity = self.activities.get(key)
        if activity is None:
            activity = self._new_activity(key, session)
        elif activity.closed:
            self._late(activity, data, session)
            return
        used = usage_of(data)
        if used is not None:
            _, number, entity = self._reference(used[0], session)
            name, code = self._role(used[1])
            if self._first(relation_key(USAGE, activity.number, number, code)):
                activity.usages.append((entity, name))  # type: ignore[union-attr]
        generated = generation_of(data)
        if generated is not None:
            found = self._reference(generated[0], session)
            name, code = self._role(generated[1])
            if self._first(relation_key(GENERATION, activity.number, found[1], code)):
                activity.generations.append((found, name))  # type: ignore[union-attr]
        for name, value in logged_parameters(data, self.with_parameters, self.value_limit):
            activity.parameters[name] = value  # type: ignore[index]
        if not _ELEMENT_KEYS.isdisjoint(data):
            activity.update(data, session)
            self._times(activity)
            if K.START_TIME in data:
                activity.started = True
            if activity.agent is not None:
                self.agents[activity.agent] = None
            parent = activity.parent
            if parent is not None and parent not in self.activities:
                self.missing_activities[parent] = None
        elif activity.session is None:
            activity.session = session
        if activity.session is not None and activity.session not in self.session_order:
            self.session_order[activity.session] = None
        if self._ready(activity):
            self._flush_usages(activity)
            if activity.ended:
                self._close(activity)

    def _late(self, activity: StreamedActivity, data: Record, session: Optional[str]) -> None:
        """Take a record of an activity already written: only its new relations are written."""
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
        for parameter, value in logged_parameters(data, self.with_parameters, self.value_limit):
            self._parameter(activity, parameter, value)
        used = usage_of(data)
        if used is not None:
            _, number, entity = self._reference(used[0], session)
            name, code = self._role(used[1])
            if self._first(relation_key(USAGE, activity.number, number, code)):
                self._usage(activity, entity, name)
        generated = generation_of(data)
        if generated is not None:
            found = self._reference(generated[0], session)
            role_name, code = self._role(generated[1])
            if self._first(relation_key(GENERATION, activity.number, found[1], code)):
                self._generation(activity, found, role_name)

    def _entity(self, data: Record, session: Optional[str]) -> None:
        found = self._reference(data[K.ENTITY_ID], session)
        get = data.get
        member_id = get(K.MEMBER_ID)
        if member_id is not None:
            self._member(found, self._reference(member_id, session))
        progenitor_id = get(K.PROGENITOR_ID)
        if progenitor_id is not None:
            within = get(K.IN_ACTIVITY)
            if within is not None:
                within = str(within)
                if within not in self.activities:
                    self.missing_activities[within] = None
            self._derived(found, self._reference(progenitor_id, session), bool(get(K.UNTRACED)), within)
        if not data.keys() <= _RELATION_KEYS:
            self._describe(data, session, found)

    def _describe(self, data: Record, session: Optional[str], found: Reference) -> None:
        name, number, term = found
        pairs = self.entity_shapes.attributes(data)
        if pairs:
            self.entities.add(name, pairs)
        description = data.get(K.ENTITY_DESCRIPTION)
        if description is None or not self.with_descriptions or session is None:
            return
        if session not in self.ready:
            self.pending_links.setdefault(session, []).append((term, number, str(description)))
            return
        self._link(term, number, session, str(description))

