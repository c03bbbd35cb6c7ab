"""Lineage of PROV elements: which elements an element comes from, and which come from it."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Dict, Iterable, List, Optional, Set, Tuple

from prov.constants import PROV_TYPE
from prov.identifier import QualifiedName
from prov.model import (
    ProvAssociation,
    ProvAttribution,
    ProvCommunication,
    ProvDerivation,
    ProvDocument,
    ProvGeneration,
    ProvMembership,
    ProvRelation,
    ProvSpecialization,
    ProvUsage,
)

from ..model.ids import GENERATION, local_part

__all__ = ["LINEAGE_RELATIONS", "relation_ends", "lineage", "resolve", "is_typed"]

LINEAGE_RELATIONS = (
    ProvUsage, ProvGeneration, ProvDerivation, ProvMembership, ProvCommunication, ProvSpecialization
)
_AGENT_RELATIONS = (ProvAssociation, ProvAttribution)
DIRECTIONS = ("ancestors", "descendants", "both")

Edge = Tuple[QualifiedName, QualifiedName]


def relation_ends(relation: ProvRelation) -> Optional[Edge]:
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


def _walk(start: Iterable[QualifiedName], links: Dict, depth: Optional[int], found: Set) -> None:
    queue = deque((node, 0) for node in start)
    seen = set(found)
    while queue:
        node, distance = queue.popleft()
        if depth is not None and distance >= depth:
            continue
        for neighbour in links.get(node, ()):
            if neighbour not in seen:
                seen.add(neighbour)
                found.add(neighbour)
                queue.append((neighbour, distance + 1))


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
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    causes, effects, agents = _graph(document)
    focus = list(focus)
    found: Set[QualifiedName] = set(focus)
    if direction in ("ancestors", "both"):
        _walk(focus, causes, depth, found)
    if direction in ("descendants", "both"):
        upstream = set(found)
        down: Set[QualifiedName] = set(focus)
        _walk(focus, effects, depth, down)
        found = upstream | down
    for node in list(found):
        found.update(agents.get(node, ()))
    return found


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
        if record.is_element() and not record.identifier.uri.startswith(GENERATION.uri)
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
