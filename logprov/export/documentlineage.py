"""Lineage of PROV elements: which elements an element comes from, and which come from it; and
the document of a lineage that `logprov.query` computed, to draw it without walking it again."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Set, Tuple

from prov.constants import PROV_LOCATION, PROV_ROLE, PROV_TYPE, PROV_VALUE
from prov.identifier import QualifiedName
from prov.model import (
    ProvAssociation,
    ProvAttribution,
    ProvCommunication,
    ProvDerivation,
    ProvDocument,
    ProvGeneration,
    ProvMembership,
    ProvRecord,
    ProvRelation,
    ProvSpecialization,
    ProvUsage,
)

from ..model.identifiers import GENERATION, LOGPROV, IdMaker, local_part
from ..model.mapping import (
    COLLECTION,
    ENTITY_TYPES,
    GENERATED_AT,
    IN_SESSION,
    UNTRACED,
    ActivityState,
    agent_attributes,
    parameter_attributes,
    parameter_usage_attributes,
)
from ..model.sessions import SESSION_TYPE
from ..model.literals import VALUE_LIMIT, attribute_value, to_time

if TYPE_CHECKING:
    from ..query.model import Activity, Entity, Lineage, Session
    from ..query.model import Edge as LineageEdge

__all__ = [
    "LINEAGE_RELATIONS", "relation_ends", "lineage", "lineage_distance", "resolve", "is_typed", "lineage_document",
    "lineage_document_distance",
]

LINEAGE_RELATIONS = (
    ProvUsage, ProvGeneration, ProvDerivation, ProvMembership, ProvCommunication, ProvSpecialization
)
_AGENT_RELATIONS = (ProvAssociation, ProvAttribution)
DIRECTIONS = ("ancestors", "descendants", "both")

Edge = Tuple[QualifiedName, QualifiedName]


def relation_ends(relation: ProvRecord) -> Optional[Edge]:
    """Return ``(effect, cause)`` of a relation: the element that depends on, and the one it
    depends on (for membership, the collection and its member; for specialization, the specific
    entity and the general one), or None if one is missing."""
    formal = relation.formal_attributes
    if len(formal) < 2 or formal[0][1] is None or formal[1][1] is None:
        return None
    return formal[0][1], formal[1][1]


def _graph(document: ProvDocument) -> Tuple[Dict[QualifiedName, List[QualifiedName]], ...]:
    """Return the causes, the effects and the agents of each element.

    A general entity comes from its specializations (a content entity from the entities that
    are its generations and derivations), so a specialization is followed from the general
    entity to the specific one."""
    causes: Dict[QualifiedName, List[QualifiedName]] = defaultdict(list)
    effects: Dict[QualifiedName, List[QualifiedName]] = defaultdict(list)
    agents: Dict[QualifiedName, List[QualifiedName]] = defaultdict(list)
    for record in document.get_records(ProvRelation):
        ends = relation_ends(record)
        if ends is None:
            continue
        if isinstance(record, ProvSpecialization):
            ends = ends[1], ends[0]
        if isinstance(record, LINEAGE_RELATIONS):
            causes[ends[0]].append(ends[1])
            effects[ends[1]].append(ends[0])
        elif isinstance(record, _AGENT_RELATIONS):
            agents[ends[0]].append(ends[1])
    return causes, effects, agents


def _walk(start: List[QualifiedName], links: Dict, depth: Optional[int]) -> Dict[QualifiedName, int]:
    """Return the number of ``links`` followed, breadth first, from ``start`` to each element reached."""
    distance = dict.fromkeys(start, 0)
    queue = deque(start)
    while queue:
        node = queue.popleft()
        steps = distance[node]
        if depth is not None and steps >= depth:
            continue
        for neighbour in links.get(node, ()):
            if neighbour not in distance:
                distance[neighbour] = steps + 1
                queue.append(neighbour)
    return distance


def lineage_distance(
    document: ProvDocument,
    focus: Iterable[QualifiedName],
    depth: Optional[int] = 3,
    direction: str = "both",
) -> Dict[QualifiedName, int]:
    """Return the number of relations between ``focus`` and each element of its lineage.

    The elements are those of `lineage`; an agent is one relation further than the nearest of
    its activities.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    focus : iterable of QualifiedName
        The elements to start from (at distance 0).
    depth : int or None
        Largest number of relations followed; None for no limit.
    direction : {"ancestors", "descendants", "both"}
        Follow what the focus comes from, what comes from it, or both.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    causes, effects, agents = _graph(document)
    focus = list(focus)
    found: Dict[QualifiedName, int] = dict.fromkeys(focus, 0)
    if direction in ("ancestors", "both"):
        found.update(_walk(focus, causes, depth))
    if direction in ("descendants", "both"):
        for node, steps in _walk(focus, effects, depth).items():
            found[node] = min(steps, found.get(node, steps))
    for node, steps in list(found.items()):
        for agent in agents.get(node, ()):
            found[agent] = min(steps + 1, found.get(agent, steps + 1))
    return found


def lineage(
    document: ProvDocument,
    focus: Iterable[QualifiedName],
    depth: Optional[int] = 3,
    direction: str = "both",
) -> Set[QualifiedName]:
    """Return the elements within ``depth`` relations of ``focus``, with their agents.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    focus : iterable of QualifiedName
        The elements to start from (kept in the result).
    depth : int or None
        Largest number of relations followed; None for no limit.
    direction : {"ancestors", "descendants", "both"}
        Follow what the focus comes from, what comes from it, or both.
    """
    return set(lineage_distance(document, focus, depth, direction))


def resolve(document: ProvDocument, identifier: str | QualifiedName) -> List[QualifiedName]:
    """Return the elements of ``document`` that ``identifier`` designates.

    ``identifier`` may be a qualified name as written in the document (``file:_88dd…``), a full
    URI, or an id as logged (``file:88dd…``, or a session-local ``4c5e…``, which matches that
    entity in every session). It designates content entities, not their specializations
    (``gen:…``).
    """
    elements = [
        record.identifier
        for record in document.get_records()
        if record.is_element() and record.identifier is not None
        and not record.identifier.uri.startswith(GENERATION.uri)
    ]
    if isinstance(identifier, QualifiedName):
        return [element for element in elements if element == identifier]
    text = str(identifier)
    exact = [element for element in elements if text in (str(element), element.uri)]
    if exact:
        return exact
    prefix, sep, rest = text.partition(":")
    if sep:
        wanted = {f"{prefix}:{local_part(rest)}", f"id_{prefix}:{local_part(rest)}"}
        return [element for element in elements if str(element) in wanted]
    suffix = "." + text
    return [
        element
        for element in elements
        if element.localpart.endswith(suffix) or element.localpart == local_part(text)
    ]


def is_typed(record: object, kind: QualifiedName) -> bool:
    """Return True when ``record`` has ``prov:type`` ``kind``."""
    return kind in record.get_attribute(PROV_TYPE)  # type: ignore[attr-defined]


def _text_value(value: object) -> object:
    return value if type(value) is str and value.isprintable() else attribute_value(value)


def _activity_attributes(activity: "Activity") -> list:
    """Return the attributes of an activity of the query model, as the PROV mapping gives them."""
    state = ActivityState(activity.id, activity.session)
    state.name = activity.name
    state.status = activity.status
    state.duration = activity.duration
    state.exception_type = activity.exception_type
    state.exception_message = activity.exception_message
    state.function = activity.function
    state.exit_code = activity.exit_code
    state.ended = activity.end is not None
    return state.attributes()


def _entity_attributes(entity: "Entity", collection: bool) -> list:
    """Return the attributes of an entity of the query model, named as in the PROV mapping
    (``prov:type prov:Collection`` too for a ``collection``, as its membership records say)."""
    pairs: list = [(PROV_LOCATION, _text_value(location)) for location in entity.locations]
    found = ((LOGPROV["hash"], entity.hash), (LOGPROV["hashType"], entity.hash_type),
             (LOGPROV["contentType"], entity.content_type), (LOGPROV["description"], entity.description),
             (LOGPROV["size"], entity.size), (LOGPROV["idScheme"], entity.id_scheme),
             (LOGPROV["digest"], entity.digest), (LOGPROV["entityDescription"], entity.entity_description),
             (LOGPROV["identifiedBy"], entity.identified_by), (LOGPROV["productId"], entity.product_id),
             (LOGPROV["referenceMeta"], entity.reference_meta))
    pairs.extend((key, _text_value(value)) for key, value in found if value is not None)
    generated = to_time(entity.generated_time)
    if generated is not None:
        pairs.append((GENERATED_AT, generated))
    if entity.value is not None:
        pairs.append((PROV_VALUE, attribute_value(entity.value, VALUE_LIMIT)))
    if entity.type is not None:
        pairs.append((PROV_TYPE, ENTITY_TYPES.get(entity.type) or attribute_value(entity.type)))
    if collection:
        pairs.append((PROV_TYPE, COLLECTION))
    return pairs


def _session_attributes(session: Optional["Session"]) -> list:
    pairs: list = [(PROV_TYPE, SESSION_TYPE)]
    if session is None:
        return pairs
    start, end = to_time(session.start), to_time(session.end)
    found = ((LOGPROV["startTime"], start), (LOGPROV["endTime"], end), (LOGPROV["name"], session.name),
             (LOGPROV["host"], session.host), (LOGPROV["user"], session.user))
    pairs.extend((key, value if key in (LOGPROV["startTime"], LOGPROV["endTime"]) else _text_value(value))
                 for key, value in found if value is not None)
    return pairs


_RELATION_ORDER = {"used": 0, "wasGeneratedBy": 1, "wasDerivedFrom": 2, "hadMember": 3, "wasInformedBy": 4}


def _in_log_order(lineage: "Lineage") -> Tuple[list, list, list]:
    """Return the activities of ``lineage`` by start time, its edges by relation then activity,
    and its entities by the first activity that used or generated them: the order of a log."""
    activities = sorted(lineage.activities.values(), key=lambda a: (str(to_time(a.start) or ""), a.id))
    rank = {activity.id: number for number, activity in enumerate(activities)}
    end = len(activities)

    def moment(edge: "LineageEdge") -> int:
        return min(rank.get(edge.effect, end), rank.get(edge.cause, end))

    edges = sorted(lineage.edges, key=lambda edge: (_RELATION_ORDER.get(edge.relation, 5), moment(edge)))
    first: Dict[str, tuple] = {}
    for number, edge in enumerate(lineage.edges):
        key = (moment(edge), _RELATION_ORDER.get(edge.relation, 5), number)
        for entity in (edge.effect, edge.cause):
            if entity in lineage.entities and key < first.get(entity, (end + 1,)):
                first[entity] = key
    entities = sorted(lineage.entities.values(), key=lambda e: first.get(e.id, (end + 1,)))
    return activities, entities, edges


def _named(lineage: "Lineage") -> Tuple[IdMaker, list, list, list, Dict[Tuple[str, str], QualifiedName]]:
    """Return the id maker of the document of ``lineage``, its activities, entities and edges in
    log order, and the qualified name of each ``(kind, id)`` of its elements."""
    ids = IdMaker()
    activities, entities, edges = _in_log_order(lineage)
    names: Dict[Tuple[str, str], QualifiedName] = {}
    for entity in entities:
        names[("entity", entity.id)] = ids.entity(entity.logged_id, entity.session)
    for activity in activities:
        names[("activity", activity.id)] = ids.activity(activity.id)
    return ids, activities, entities, edges, names


def lineage_document_distance(lineage: "Lineage") -> Dict[QualifiedName, int]:
    """Return the ``distance`` of a `logprov.query.model.Lineage` by the names its elements have
    in `lineage_document`: the ``distance`` option of a drawing of that document (see
    `logprov.export.GraphOptions`)."""
    names = _named(lineage)[4]
    return {names[node]: steps for node, steps in lineage.distance.items() if node in names}


def lineage_document(lineage: "Lineage", sessions: Iterable["Session"] = (),
                     document_class: type = ProvDocument) -> ProvDocument:
    """Return the PROV document of a lineage that `logprov.query` computed, to be drawn.

    The document holds the elements and relations of the lineage and nothing else, so a
    drawing of it needs no second walk (and no reading of the logs). Elements are named as in
    `logprov.model.build_document`; activities carry their name, times, status, exception,
    function and parameters, and are linked to their session and their agent; entities carry
    the attributes of the mapping (locations, digest, size, content type, description, id
    scheme, product identification, value, type, time of an untraced change), and a derivation
    the activity it happened in.

    Parameters
    ----------
    lineage : logprov.query.model.Lineage
        The lineage.
    sessions : iterable of logprov.query.model.Session
        Sessions of its activities, for their start, host, name and user (a session not
        given is drawn with its id alone).
    document_class : type
        The class of the document (a `prov.model.ProvDocument`).
    """
    from ..query.model import RELATIONS

    document = document_class()
    known = {session.id: session for session in sessions}
    ids, activities, entities, edges, names = _named(lineage)
    for namespace in ids.namespaces.values():
        document.add_namespace(namespace)
    drawn_sessions = dict.fromkeys(a.session for a in activities if a.session is not None)
    agents: Dict[str, None] = {}
    for session in drawn_sessions:
        node = document.entity(ids.session(session), _session_attributes(known.get(session)))
        user = known[session].user if session in known else None
        if user is not None:
            agents[user] = None
            document.attribution(node, ids.agent(user))
    for activity in activities:
        key = activity.id
        node = document.activity(names[("activity", key)], to_time(activity.start), to_time(activity.end),
                                 _activity_attributes(activity))
        agent = activity.agent or (known[activity.session].user if activity.session in known else None)
        if agent is not None:
            agents[agent] = None
            document.association(node, ids.agent(agent))
        if activity.session is not None:
            document.influence(node, ids.session(activity.session), other_attributes=[(PROV_TYPE, IN_SESSION)])
        for name, value in activity.parameters.items():
            parameter = document.entity(ids.parameter(key, str(name)),
                                        parameter_attributes(str(name), attribute_value(value, VALUE_LIMIT)))
            document.usage(node, parameter, other_attributes=parameter_usage_attributes(str(name)))
    for agent in agents:
        document.agent(ids.agent(agent), agent_attributes(agent))
    collections = {edge.effect for edge in edges if edge.relation == "hadMember"}
    for entity in entities:
        document.entity(names[("entity", entity.id)], _entity_attributes(entity, entity.id in collections))
    for edge in edges:
        effect_kind, cause_kind = RELATIONS[edge.relation]
        effect, cause = names.get((effect_kind, edge.effect)), names.get((cause_kind, edge.cause))
        if effect is None or cause is None:
            continue
        role = [(PROV_ROLE, edge.role)] if edge.role else None
        if edge.relation == "used":
            document.usage(effect, cause, other_attributes=role)
        elif edge.relation == "wasGeneratedBy":
            document.generation(effect, cause, other_attributes=role)
        elif edge.relation == "wasDerivedFrom":
            document.derivation(effect, cause, None if edge.activity is None else ids.activity(edge.activity),
                                other_attributes=[(PROV_TYPE, UNTRACED)] if edge.untraced else None)
        elif edge.relation == "hadMember":
            document.membership(effect, cause)
        elif edge.relation == "wasInformedBy":
            document.communication(effect, cause)
    return document
