"""Records to PROV statements in one pass, for writers that stream them to a file.

`RecordStream` reads records in log order and hands each statement to a
`logprov.model.statementsink.StatementSink` as soon as it is final. What it writes, and when,
is the streaming form of the PROV mapping, `logprov.model.streammapping.StreamMapping`; what
stays in memory is what later records are checked against: each entity's identifier, number
and attribute fingerprint, each activity's state (a late record may still add a usage), each
derivation, and an integer key per relation written (so that each is written once) -- about
half a kilobyte per activity and a hundred bytes per entity or relation, not the records.

Speed: each common kind of record (see `logprov.records.kinds.shape_of`) has its own handler here, which
does only what that kind needs and falls back on the handler of every record
(`StreamMapping._record`) when the activity it names is not simply open with a known session;
relations are written with functions the sink makes once per kind and attributes, and times
from their text when it is already as `prov` writes it. The handlers give the statements
`StreamMapping` gives (``tests/test_streaming.py`` compares the two on whole logs).

The statements are those of `DocumentBuilder` (the same identifiers, attributes and
relations), whatever the order of the records. Records that contradict an activity already
written (a second start or end record with other values) are the exception: the activity keeps
what was first written, and a `StreamConflictWarning` says so.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from ..records import keys as K
from ..records import kinds
from .identifiers import local_part
from .literals import attribute_value
from .mapping import Record
from .statementsink import StatementSink
from .streammapping import Handler, StreamConflictWarning, StreamMapping
from .streamstate import GENERATION, USAGE, Reference, StreamedActivity, relation_key

__all__ = ["RecordStream", "StatementSink", "StreamConflictWarning"]


class RecordStream(StreamMapping):
    """Turn records into PROV statements, in one pass, for a `StatementSink`.

    Parameters
    ----------
    sink, directory, with_descriptions, with_parameters, session_prefix, value_limit, window
        As for `StreamMapping`: `sink` receives the statements, `directory` holds the
        temporary files.

    Notes
    -----
    Records are taken by kind (see `logprov.records.kinds.shape_of`): each common kind has a handler
    doing only what that kind needs, and falls back on the handler of every record when the
    activity it names is not simply open with a known session.
    """

    def _handler_of(self, keys: Tuple[str, ...]) -> Handler:
        """Return the handler of the records with ``keys`` (by their kind)."""
        found: Optional[Handler] = self.caches.routes.get(keys)
        if found is None:
            found = self.caches.store(self.caches.routes, keys, self._handlers()[kinds.shape_of(keys)])
        return found

    def _handlers(self) -> Dict[str, Handler]:
        return {
            kinds.USED: self._used,
            kinds.GENERATED: self._generated,
            kinds.PARAMETERS: self._parameters,
            kinds.MEMBER: self._membership,
            kinds.DERIVATION: self._derivation,
            kinds.DESCRIPTION_ONLY: self._description,
            kinds.START: self._start,
            kinds.END: self._end,
            kinds.OTHER: self._record,
        }

    def _start(self, data: Record, session: Optional[str]) -> None:
        key = data[K.ACTIVITY_ID]
        activities = self.activities
        if key in activities:
            self._record(data, session)
            return
        term = self.sink.term(self._activity_prefix + local_part(key))
        activity = activities[key] = self.open[key] = StreamedActivity(key, session, len(activities) + 1, term)
        self.missing_activities.pop(key, None)
        get = data.get
        name = get(K.NAME)
        if name is not None:
            activity.name = name if type(name) is str else str(name)
        activity.start, activity.start_term = self._time_of(data[K.START_TIME])
        activity.started = True
        function = get(K.FUNCTION)
        if function is not None:
            activity.function = function
        agent = get(K.AGENT_NAME)
        if agent is not None:
            activity.agent = agent = agent if type(agent) is str else str(agent)
            self.agents[agent] = None
        parent = get(K.PARENT_ACTIVITY_ID)
        if parent is not None:
            activity.parent = parent
            if parent not in activities:
                self.missing_activities[parent] = None
        if session is not None and session not in self.session_order:
            self.session_order[session] = None

    def _end(self, data: Record, session: Optional[str]) -> None:
        activity = self.open.get(data[K.ACTIVITY_ID])
        if activity is None or not activity.started or activity.session not in self.ready:
            self._record(data, session)
            return
        moment, term = self._time_of(data[K.END_TIME])
        activity.ended = True
        if moment is not None:
            activity.end = moment
            activity.end_term = term
        get = data.get
        status = get(K.STATUS)
        if status is not None:
            activity.status = status
        duration = get(K.DURATION)
        if duration is not None:
            activity.duration = duration
        if K.EXCEPTION_TYPE in data or K.EXCEPTION_MESSAGE in data:
            for field in (K.EXCEPTION_TYPE, K.EXCEPTION_MESSAGE):
                if get(field) is not None:
                    setattr(activity, field, data[field])
        self._close(activity)

    def _used(self, data: Record, session: Optional[str]) -> None:
        link = self._first_relation(data, session, K.USED_ID, K.USED_ROLE, USAGE)
        if link is not None:
            activity, found, name = link
            if activity.started and activity.session in self.ready:
                self._usage(activity, found[2], name)
            else:
                activity.usages.append((found[2], name))  # type: ignore[union-attr]

    def _generated(self, data: Record, session: Optional[str]) -> None:
        link = self._first_relation(data, session, K.GENERATED_ID, K.GENERATED_ROLE, GENERATION)
        if link is not None:
            activity, found, name = link
            activity.generations.append((found, name))  # type: ignore[union-attr]

    def _first_relation(
        self, data: Record, session: Optional[str], entity_key: str, role_key: str, kind: int
    ) -> Optional[Tuple[StreamedActivity, Reference, Optional[str]]]:
        """Return the activity, entity reference and role name of a usage (``kind``
        `USAGE`) or generation (`GENERATION`) met for the first time; None when it was met before or waits for its
        activity."""
        activity = self.open.get(data[K.ACTIVITY_ID])
        if activity is None or activity.session is None:
            self._record(data, session)
            return None
        found = self._reference(data[entity_key], session)
        value = data[role_key]
        named = self.caches.role_names.get(value) if type(value) is str else None
        if named is None:
            named = self._role(value)
        if not self._first(relation_key(kind, activity.number, found[1], named[1])):
            return None
        return activity, found, named[0]

    def _parameters(self, data: Record, session: Optional[str]) -> None:
        activity = self.open.get(data[K.ACTIVITY_ID])
        if activity is None or activity.session is None:
            self._record(data, session)
            return
        parameters = data[K.PARAMETERS]
        if self.with_parameters and isinstance(parameters, dict):
            limit = self.value_limit
            kept = activity.parameters
            for name, value in parameters.items():
                kept[str(name)] = attribute_value(value, limit)  # type: ignore[index]

    def _membership(self, data: Record, session: Optional[str]) -> None:
        found = self._reference(data[K.ENTITY_ID], session)
        self._member(found, self._reference(data[K.MEMBER_ID], session))

    def _derivation(self, data: Record, session: Optional[str]) -> None:
        found = self._reference(data[K.ENTITY_ID], session)
        self._derived(found, self._reference(data[K.PROGENITOR_ID], session), False)

    def _description(self, data: Record, session: Optional[str]) -> None:
        self._describe(data, session, self._reference(data[K.ENTITY_ID], session))
