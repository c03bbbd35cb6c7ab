"""Collect provenance records and build one `prov.model.ProvDocument` from them.

Records are consumed one at a time; what the document needs is kept in compact tables and the
document is written at the end, when every activity's start and end times are known (usages
are timed at the start of their activity, generations at its end).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from prov.constants import PROV_TYPE
from prov.identifier import QualifiedName
from prov.model import ProvDocument

from ..reading.reader import RecordNormalizer
from ..records import keys as K
from .descriptions import DESCRIBED_BY, DescriptionIndex
from .dispatch import RecordDispatcher
from .identifiers import IdMaker
from .mapping import (
    CONFIGURED_BY,
    ENTITY_TYPES,
    IN_SESSION,
    NOTE_ON,
    PARAMETER_TYPE,
    SESSION_TYPE_PAIR,
    UNTRACED,
    ActivityState,
    Pair,
    Record,
    agent_attributes,
    entity_attributes,
    generation_of,
    logged_parameters,
    note_about,
    note_attributes,
    note_name,
    parameter_attributes,
    parameter_usage_attributes,
    role,
    role_attributes,
    usage_of,
)
from .sessions import IN_CONTAINER, IN_JOB
from .sessiontable import SessionTable
from .literals import VALUE_LIMIT, AttributeValue

__all__ = [
    "DocumentBuilder",
    "IN_SESSION",
    "PARAMETER_TYPE",
    "CONFIGURED_BY",
    "UNTRACED",
    "ENTITY_TYPES",
]


class DocumentBuilder(RecordDispatcher):
    """Accumulate records (from `iter_records` or plain payload dicts) into one PROV document.

    Parameters
    ----------
    with_descriptions : bool
        Add the IVOA descriptions found in the sessions' definitions.
    with_parameters : bool
        Add parameters as ``voprov:Parameter`` entities.
    session_prefix : str
        Prefix of the session namespace.
    value_limit : int
        Longest ``prov:value`` kept, in characters.
    """

    def __init__(
        self,
        *,
        with_descriptions: bool = True,
        with_parameters: bool = True,
        session_prefix: str = "session",
        value_limit: int = VALUE_LIMIT,
    ) -> None:
        self.with_descriptions = with_descriptions
        self.with_parameters = with_parameters
        self.value_limit = value_limit
        self.ids = IdMaker(session_prefix)
        self.normalizer = RecordNormalizer()
        self.sessions = SessionTable(self.ids, with_descriptions)
        self.agents: Dict[str, None] = {}
        self.activities: Dict[str, ActivityState] = {}
        self.parameters: Dict[Tuple[str, str], AttributeValue] = {}
        self.entities: Dict[QualifiedName, Dict[Pair, None]] = {}
        self.entity_descriptions: Dict[QualifiedName, Dict[Tuple[Optional[str], str], None]] = {}
        self.usages: Dict[Tuple[str, QualifiedName, Optional[str]], None] = {}
        self.generations: Dict[Tuple[QualifiedName, str, Optional[str]], None] = {}
        self.members: Dict[Tuple[QualifiedName, QualifiedName], None] = {}
        self.derivations: Dict[Tuple[QualifiedName, QualifiedName, Optional[str]], bool] = {}
        self.notes: Dict[Tuple[QualifiedName, Optional[str], Optional[str]], None] = {}

    def _session(self, data: Record) -> None:
        self.sessions.add(data, self.agents)

    def _activity(self, data: Record, session: str | None) -> None:
        key = data[K.ACTIVITY_ID]
        activity = self.activities.get(key)
        if activity is None:
            activity = self.activities[key] = ActivityState(key, session)
        activity.update(data, session)
        if activity.agent is not None:
            self.agents[activity.agent] = None
        for name, value in logged_parameters(data, self.with_parameters, self.value_limit):
            self.parameters[(key, name)] = value
        used = usage_of(data)
        if used is not None:
            self.usages[(key, self._reference(used[0], session), role(used[1]))] = None
        generated = generation_of(data)
        if generated is not None:
            self.generations[(self._reference(generated[0], session), key, role(generated[1]))] = None

    def _reference(self, entity_id: Any, session: str | None) -> QualifiedName:
        entity = self.ids.entity(str(entity_id), session)
        if entity not in self.entities:
            self.entities[entity] = {}
        return entity

    def _entity(self, data: Record, session: str | None) -> None:
        entity = self._reference(data[K.ENTITY_ID], session)
        get = data.get
        if get(K.MEMBER_ID) is not None:
            self.members[(entity, self._reference(data[K.MEMBER_ID], session))] = None
        if get(K.PROGENITOR_ID) is not None:
            progenitor = self._reference(data[K.PROGENITOR_ID], session)
            within = get(K.IN_ACTIVITY)
            key = (entity, progenitor, None if within is None else str(within))
            self.derivations[key] = bool(get(K.UNTRACED)) or self.derivations.get(key, False)
        self.entities[entity].update(dict.fromkeys(entity_attributes(data, self.value_limit)))
        if get(K.ENTITY_DESCRIPTION) is not None:
            links = self.entity_descriptions.setdefault(entity, {})
            links[(session, str(data[K.ENTITY_DESCRIPTION]))] = None

    def _note(self, data: Record, session: str | None) -> None:
        entity = self._reference(note_name(data), session)
        self.entities[entity].update(dict.fromkeys(note_attributes(data, self.value_limit)))
        self.notes[(entity, note_about(data), session)] = None

    def document(self, document_class: type[ProvDocument] = ProvDocument) -> ProvDocument:
        """Return a new PROV document (of ``document_class``) holding everything added so far."""
        ids = self.ids
        document = document_class()
        for namespace in ids.namespaces.values():
            document.add_namespace(namespace)
        named = {a.parent for a in self.activities.values() if a.parent is not None}
        named.update(within for _, _, within in self.derivations if within is not None)
        for missing in sorted(named - self.activities.keys()):
            self.activities[missing] = ActivityState(missing, None)
        sessions = dict.fromkeys(self.sessions.attributes)
        sessions.update(dict.fromkeys(a.session for a in self.activities.values() if a.session))
        for session in sessions:
            attributes = self.sessions.attributes.get(session) or {SESSION_TYPE_PAIR: None}
            node = document.entity(ids.session(session), list(attributes))
            if session in self.sessions.agents:
                document.attribution(node, ids.agent(self.sessions.agents[session]))
        self._write_context(document)
        for agent in self.agents:
            document.agent(ids.agent(agent), agent_attributes(agent))
        for key, pairs in self.sessions.descriptions.items():
            document.entity(key, pairs)
        self._write_activities(document)
        self._write_entities(document)
        self._write_parameters(document)
        self._write_relations(document)
        return document

    def _write_context(self, document: ProvDocument) -> None:
        """Write the jobs and container images, and their influences on the sessions."""
        ids, sessions = self.ids, self.sessions
        for key, attributes in sessions.jobs.items():
            document.activity(ids.job(key), other_attributes=list(attributes))
        for key, pairs in sessions.images.items():
            document.entity(ids.image(key), list(pairs))
        for session, context in sessions.context.items():
            for kind, key in context:
                target, influence = (ids.job(key), IN_JOB) if kind == "job" else (ids.image(key), IN_CONTAINER)
                document.influence(ids.session(session), target, other_attributes=[(PROV_TYPE, influence)])

    def _index(self, session: str | None) -> DescriptionIndex | None:
        return self.sessions.index(session)

    def _role_attributes(self, activity: ActivityState, role: str | None, kind: str) -> List[Pair]:
        """Return the attributes of a usage or generation of ``activity`` with ``role``."""
        index = self._index(activity.session)
        name = index.activity_name(activity.name, activity.function) if index else activity.name
        return role_attributes(index, name, role, kind)

    def _write_activities(self, document: ProvDocument) -> None:
        ids = self.ids
        for activity in self.activities.values():
            node = ids.activity(activity.key)
            document.activity(node, activity.start, activity.end, activity.attributes())
            agent = activity.agent or self.sessions.agents.get(activity.session or "")
            if agent is not None:
                document.association(node, ids.agent(agent))
            if activity.session is not None:
                session = ids.session(activity.session)
                document.influence(node, session, other_attributes=[(PROV_TYPE, IN_SESSION)])
            index = self._index(activity.session)
            described = index.activities.get(index.activity_name(activity.name, activity.function)) if index else None
            if described is not None:
                document.influence(node, described, other_attributes=[(PROV_TYPE, DESCRIBED_BY)])
            if activity.parent is not None:
                document.communication(node, ids.activity(activity.parent))

    def _write_entities(self, document: ProvDocument) -> None:
        for entity, attributes in self.entities.items():
            document.entity(entity, list(attributes))
        for entity, links in self.entity_descriptions.items():
            described_by: Dict[QualifiedName, None] = {}
            for session, name in links:
                index = self._index(session)
                if index is not None and name in index.entities:
                    described_by[index.entities[name]] = None
            for described in described_by:
                document.influence(entity, described, other_attributes=[(PROV_TYPE, DESCRIBED_BY)])

    def _write_parameters(self, document: ProvDocument) -> None:
        ids = self.ids
        for (key, name), value in self.parameters.items():
            activity = self.activities[key]
            node = ids.parameter(key, name)
            document.entity(node, parameter_attributes(name, value))
            attributes = parameter_usage_attributes(name)
            document.usage(ids.activity(key), node, activity.start, other_attributes=attributes)
            index = self._index(activity.session)
            described = index.parameter.get((index.activity_name(activity.name, activity.function), name)) if index else None
            if described is not None:
                document.influence(node, described, other_attributes=[(PROV_TYPE, DESCRIBED_BY)])

    @staticmethod
    def _specialization(
        document: ProvDocument, name: QualifiedName, entity: QualifiedName, written: Dict[QualifiedName, None]
    ) -> QualifiedName:
        """Declare, once, the entity ``name`` that is a specialization of ``entity``."""
        if name not in written:
            written[name] = None
            document.entity(name)
            document.specialization(name, entity)
        return name

    def _write_relations(self, document: ProvDocument) -> None:
        ids = self.ids
        for key, entity, name in self.usages:
            activity = self.activities[key]
            attributes = self._role_attributes(activity, name, "usage")
            document.usage(ids.activity(key), entity, activity.start, other_attributes=attributes)
        specialized: Dict[QualifiedName, None] = {}
        for entity, key, name in self.generations:
            activity = self.activities[key]
            attributes = self._role_attributes(activity, name, "generation")
            generated = self._specialization(document, ids.generated(entity, key), entity, specialized)
            document.generation(generated, ids.activity(key), activity.end, other_attributes=attributes)
        for (entity, progenitor, within), untraced in self.derivations.items():
            typed: Optional[List[Pair]] = [(PROV_TYPE, UNTRACED)] if untraced else None
            derived = self._specialization(document, ids.derived(entity, progenitor, within), entity, specialized)
            document.derivation(derived, progenitor, None if within is None else ids.activity(within),
                                other_attributes=typed)
        for collection, member in self.members:
            document.membership(collection, member)
        for note, about, session in self.notes:
            if about is not None:
                document.influence(note, ids.activity(about), other_attributes=[(PROV_TYPE, NOTE_ON)])
            elif session is not None:
                document.influence(note, ids.session(session), other_attributes=[(PROV_TYPE, NOTE_ON)])
