"""The writing half of a record stream: each statement handed to the sink once, in its final form.

`StatementEmitter` holds what a `logprov.model.recordstream.RecordStream` has learnt (the
activities, the entities and their numbers, the relations written, the sessions'
descriptions) and writes from it: an activity with its relations once it is complete, a
usage or generation when its activity's times are known, a parameter, a membership, a
derivation, the link of an entity to its description. Which records lead to which of these is
the business of `logprov.model.streammapping`.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Dict, Optional, Set, Tuple

from prov.constants import PROV_TYPE

from .descriptions import DESCRIBED_BY
from .entitytables import DerivationTable, EntityTable
from .identifiers import IdMaker, local_part, qualified_text
from .literals import AttributeValue, to_time
from .mapping import COLLECTION, IN_SESSION, UNTRACED, parameter_usage_attributes, role, role_attributes
from .sessiontable import SessionTable
from .shapes import EntityShapes, ParameterShapes
from .statementsink import Attributes, Plan, StatementSink, Time
from .streamstate import (
    DERIVED_ENTITY,
    DESCRIPTION_LINK,
    GENERATED_ENTITY,
    MEMBERSHIP,
    PARAMETER,
    Reference,
    StreamCaches,
    StreamedActivity,
    relation_key,
)

__all__ = ["StatementEmitter", "IN_SESSION_ATTRIBUTES", "DESCRIBED_ATTRIBUTES", "UNTRACED_ATTRIBUTES", "NO_ATTRIBUTES"]

IN_SESSION_ATTRIBUTES: Attributes = ((PROV_TYPE, IN_SESSION),)
DESCRIBED_ATTRIBUTES: Attributes = ((PROV_TYPE, DESCRIBED_BY),)
UNTRACED_ATTRIBUTES: Attributes = ((PROV_TYPE, UNTRACED),)
NO_ATTRIBUTES: Attributes = ()

_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?(?!-00:00)[+-]\d\d:\d\d")
_COLLECTION_PAIRS: Attributes = ((PROV_TYPE, COLLECTION),)
_RARE_SHARED_FIELDS = ("session", "agent", "exception_type")


class StatementEmitter:
    """What a record stream knows, and the writing of statements from it to a sink.

    Parameters
    ----------
    sink, directory, value_limit, window
        As for `logprov.model.streammapping.StreamMapping`.
    ids : IdMaker
        Makes the identifiers.
    sessions : SessionTable
        The sessions, kept by the mapping.
    """

    def __init__(self, sink: StatementSink, directory: str, ids: IdMaker, sessions: SessionTable, value_limit: int,
                 window: int) -> None:
        self.sink = sink
        self.value_limit = value_limit
        self.ids = ids
        self.sessions = sessions
        self._activity_prefix = self.ids.activity_ns.prefix + ":"
        self._parameter_prefix = self.ids.parameter_ns.prefix + ":"
        self.entities = EntityTable(directory, window)
        self.entity_shapes = EntityShapes(value_limit)
        self.parameter_shapes = ParameterShapes()
        self.derivations = DerivationTable()
        self.activities: Dict[str, StreamedActivity] = {}
        self.open: Dict[str, StreamedActivity] = {}
        self.caches = StreamCaches()
        self._written: Set[int] = set()
        self._collections: Set[int] = set()
        self._numbers: Dict[str, Dict[object, int]] = {"role": {}, "parameter": {}, "description": {}, "activity": {}}
        self._fixed: Dict[str, Plan] = {}

    def _prepare(self) -> None:
        """Get the lists and ``fill`` functions of the relations without roles from the sink."""
        plan = self._plan
        self._fixed = {
            "member": plan("hadMember", NO_ATTRIBUTES),
            "associated": plan("wasAssociatedWith", NO_ATTRIBUTES),
            "informed": plan("wasInformedBy", NO_ATTRIBUTES),
            "session_link": plan("wasInfluencedBy", IN_SESSION_ATTRIBUTES),
            "described": plan("wasInfluencedBy", DESCRIBED_ATTRIBUTES),
            "specialization": plan("specializationOf", NO_ATTRIBUTES),
        }

    def _plan(self, kind: str, attributes: Attributes, timed: bool = False) -> Plan:
        """Return the sink's list and ``fill`` for relations of ``kind`` with ``attributes``."""
        key = (kind, timed, id(attributes))
        found = self.caches.plans.get(key)
        if found is None or found[0] is not attributes:
            found = self.caches.store(self.caches.plans, key, (attributes, self.sink.template(kind, timed, attributes)))
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
            found = self.caches.role_names.get(key)
        except TypeError:
            name = role(value)
            return name, self._number("role", name)
        if found is None:
            name = role(value)
            found = self.caches.store(self.caches.role_names, key, (name, self._number("role", name)))
        return found

    def _first(self, key: int) -> bool:
        if key in self._written:
            return False
        self._written.add(key)
        return True

    def _text(self, kind: str, value: str) -> str:
        key = (kind, value)
        found = self.caches.texts.get(key)
        if found is None:
            found = self.caches.store(self.caches.texts, key, qualified_text(getattr(self.ids, f"{kind}_parts")(value)))
        return found

    def _term(self, kind: str, value: str) -> str:
        """Return the sink's term of the activity, agent or session ``value``."""
        key = (kind, value)
        found = self.caches.terms.get(key)
        if found is None:
            found = self.caches.store(self.caches.terms, key, self.sink.term(self._text(kind, value)))
        return found

    def _reference(self, entity: str, session: Optional[str]) -> Reference:
        """Return the identifier text, the number and the term of entity ``entity`` of ``session``.

        An id with a prefix names one entity whatever the session and is remembered alone; any
        other id is remembered with a dict of its sessions.
        """
        found = self.caches.references.get(entity)
        if type(found) is dict:
            found = found.get(session)
        if found is None:
            return self._register(entity, session)
        return found  # type: ignore[return-value]

    def _register(self, entity: str, session: Optional[str]) -> Reference:
        name, local = self.ids.entity_text(entity, session)
        found = (name, self.entities.number(name), self.sink.term(name))
        self.caches.store_reference(entity, session, found, local)
        return found

    def _share(self, activity: StreamedActivity) -> None:
        """Make the texts of ``activity`` the same objects as those of the activities before."""
        strings = self.caches.strings
        if len(strings) > 1 << 14:
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

    def _times(self, activity: StreamedActivity) -> None:
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

    def _activity_term(self, activity: StreamedActivity) -> str:
        term = activity.term
        if term is None:
            term = activity.term = self.sink.term(self._activity_prefix + local_part(activity.key))
        return term

    def _described_name(self, activity: StreamedActivity) -> Optional[str]:
        """Return the name under which ``activity`` is described in its session's definitions."""
        index = self.sessions.index(activity.session)
        return index.activity_name(activity.name, activity.function) if index is not None else activity.name

    def _role_plan(self, activity: StreamedActivity, name: Optional[str], kind: str, timed: bool) -> Plan:
        key = (activity.session, activity.name, activity.function, name, kind, timed)
        found = self.caches.role_plans.get(key)
        if found is None:
            usage = "usage" if kind == "used" else "generation"
            index = self.sessions.index(activity.session)
            attributes = tuple(role_attributes(index, self._described_name(activity), name, usage))
            found = self.caches.store(self.caches.role_plans, key, self.sink.template(kind, timed, attributes))
        return found

    def _usage(self, activity: StreamedActivity, entity: str, name: Optional[str]) -> None:
        time = activity.start_term
        key = (activity.session, activity.name, activity.function, name, "used", time is not None)
        lines, fill = self.caches.role_plans.get(key) or self._role_plan(activity, name, "used", time is not None)
        node = activity.term or self._activity_term(activity)
        lines.append(fill(node, entity, time, next(self.sink.blank)))

    def _generation(self, activity: StreamedActivity, found: Reference, name: Optional[str]) -> None:
        time = activity.end_term
        key = (activity.session, activity.name, activity.function, name, "wasGeneratedBy", time is not None)
        plan = self.caches.role_plans.get(key) or self._role_plan(activity, name, "wasGeneratedBy", time is not None)
        lines, fill = plan
        node = activity.term or self._activity_term(activity)
        entity = self._specialization(
            self.ids.generated_text(found[0], activity.key), found,
            relation_key(GENERATED_ENTITY, activity.number, found[1]),
        )
        lines.append(fill(entity, node, time, next(self.sink.blank)))

    def _specialization(self, name: str, found: Reference, key: int) -> str:
        """Return the term of entity ``name``, a specialization of ``found`` written once (``key``)."""
        sink = self.sink
        term = sink.term(name)
        if self._first(key):
            sink.element("entity", name, [])
            lines, fill = self._fixed["specialization"]
            lines.append(fill(term, found[2], None, next(sink.blank)))
        return term

    def _flush_usages(self, activity: StreamedActivity) -> None:
        usages = activity.usages
        if usages:
            for entity, name in usages:
                self._usage(activity, entity, name)
            usages.clear()

    def _parameter(self, activity: StreamedActivity, name: str, value: AttributeValue) -> None:
        code = self._numbers["parameter"].get(name) or self._number("parameter", name)
        if not self._first(relation_key(PARAMETER, activity.number, code)):
            return
        sink = self.sink
        node = self._parameter_prefix + local_part(f"{activity.key}.{name}")
        sink.element("entity", node, self.parameter_shapes.attributes(name, value))
        time = activity.start_term
        links = self.caches.parameter_links.get((activity.session, activity.name, activity.function, name,
                                                 time is not None))
        (lines, fill), described = links or self._parameter_links(activity, name)
        term = sink.term(node)
        subject = activity.term or self._activity_term(activity)
        lines.append(fill(subject, term, time, next(sink.blank)))
        if described is not None:
            lines, fill = self._fixed["described"]
            lines.append(fill(term, described, None, next(sink.blank)))

    def _parameter_links(self, activity: StreamedActivity, name: str) -> Tuple[Plan, Optional[str]]:
        key = (activity.session, activity.name, activity.function, name, activity.start_term is not None)
        found = self.caches.parameter_links.get(key)
        if found is None:
            index = self.sessions.index(activity.session)
            described = index.parameter.get((self._described_name(activity) or "", name)) if index else None
            plan = self.sink.template("used", key[4], tuple(parameter_usage_attributes(name)))
            found = (plan, None if described is None else self.sink.term(str(described)))
            self.caches.store(self.caches.parameter_links, key, found)
        return found

    def _close(self, activity: StreamedActivity) -> None:
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

    def _write_activity(self, activity: StreamedActivity) -> None:
        sink = self.sink
        blank = sink.blank
        fixed = self._fixed
        node = activity.term or self._activity_term(activity)
        name = self._activity_prefix + local_part(activity.key)
        sink.element("activity", name, activity.attributes(), activity.start_term, activity.end_term)
        session = activity.session
        agent = activity.agent or self.sessions.agents.get(session or "")
        if agent is not None:
            lines, fill = fixed["associated"]
            lines.append(fill(node, self._term("agent", agent), None, next(blank)))
        if session is not None:
            key = (session, activity.name, activity.function)
            in_session, described = self.caches.activity_links.get(key) or self._activity_link(session, activity)
            lines, fill = fixed["session_link"]
            lines.append(fill(node, in_session, None, next(blank)))
            if described is not None:
                lines, fill = fixed["described"]
                lines.append(fill(node, described, None, next(blank)))
        if activity.parent is not None:
            lines, fill = fixed["informed"]
            lines.append(fill(node, self._term("activity", activity.parent), None, next(blank)))

    def _activity_link(self, session: str, activity: StreamedActivity) -> Tuple[str, Optional[str]]:
        """Return the terms of the session and of the description of the activities named and
        run as ``activity``."""
        index = self.sessions.indexes.get(session)
        described = None
        if index is not None:
            name = index.activity_name(activity.name, activity.function)
            if name in index.activities:
                described = self.sink.term(str(index.activities[name]))
        found = (self._term("session", session), described)
        return self.caches.store(self.caches.activity_links, (session, activity.name, activity.function), found)

    def _derived(self, found: Reference, other: Reference, untraced: bool, activity: Optional[str] = None) -> None:
        """Take the derivation of ``found`` from ``other``, in ``activity`` (an activity id) if
        it happened in one."""
        code = 0 if activity is None else self._numbers["activity"].get(activity) or self._number("activity", activity)
        key = relation_key(DERIVED_ENTITY, found[1], other[1], code)
        name = self.ids.derived_text(found[0], other[0], activity)
        self._specialization(name, found, key)
        self.derivations.add(key, found[0], other[0], activity, untraced)

    def _member(self, entity: Reference, member: Reference) -> None:
        number = entity[1]
        if number not in self._collections:
            self._collections.add(number)
            self.entities.add(entity[0], _COLLECTION_PAIRS)
        if self._first(relation_key(MEMBERSHIP, number, member[1])):
            lines, fill = self._fixed["member"]
            lines.append(fill(entity[2], member[2], None, next(self.sink.blank)))

    def _link(self, term: str, number: int, session: str, description: Any) -> None:
        """Link entity ``term`` (``number``) to the description ``description`` of ``session``."""
        links = self.caches.description_links
        if (session, description) in links:
            found = links[(session, description)]
        else:
            index = self.sessions.indexes.get(session)
            described = index.entities.get(description) if index is not None else None
            if described is not None:
                found = (self.sink.term(str(described)), self._number("description", described))
            else:
                found = None
            links[(session, description)] = found
        if found is not None:
            text, code = found
            if self._first(relation_key(DESCRIPTION_LINK, number, code)):
                lines, fill = self._fixed["described"]
                lines.append(fill(term, text, None, next(self.sink.blank)))

