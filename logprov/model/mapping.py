"""How single records become PROV attributes: the pure part of the mapping.

Shared by `DocumentBuilder` (which builds a `prov.model.ProvDocument` in memory) and
`RecordStream` (which streams the same statements to a writer).
"""

from __future__ import annotations

import datetime
from typing import Any, List, Optional, Tuple

from prov.constants import PROV, PROV_LABEL, PROV_LOCATION, PROV_ROLE, PROV_TYPE, PROV_VALUE
from prov.identifier import QualifiedName

from .descriptions import DescriptionIndex
from .ids import LOGPROV, VOPROV
from .sessions import SESSION_TYPE
from .values import TEXT_LIMIT, AttributeValue, attribute_value, to_time

__all__ = [
    "Pair",
    "NOTE_TYPE",
    "NOTE_ON",
    "note_name",
    "note_attributes",
    "IN_SESSION",
    "PARAMETER_TYPE",
    "CONFIGURED_BY",
    "UNTRACED",
    "COLLECTION",
    "PERSON",
    "ENTITY_TYPES",
    "GENERATED_AT",
    "SESSION_TYPE_PAIR",
    "ActivityState",
    "entity_attributes",
    "agent_attributes",
    "parameter_attributes",
    "parameter_usage_attributes",
    "role_attributes",
    "role",
]

Pair = Tuple[QualifiedName, AttributeValue]

IN_SESSION = LOGPROV["inSession"]
PARAMETER_TYPE = VOPROV["Parameter"]
CONFIGURED_BY = VOPROV["wasConfiguredBy"]
UNTRACED = LOGPROV["UntracedTransformation"]
COLLECTION = PROV["Collection"]
PERSON = PROV["Person"]
GENERATED_AT = LOGPROV["generatedAtTime"]
SESSION_TYPE_PAIR: Pair = (PROV_TYPE, SESSION_TYPE)
NOTE_TYPE = LOGPROV["Note"]
NOTE_ON = LOGPROV["noteOn"]
ENTITY_TYPES = {name: LOGPROV[name] for name in ("PythonObject", "File", "FileCollection")}

_TEXT, _VALUE, _TYPE, _MEMBER, _GENERATED = "text", "value", "type", "member", "generated"
_ENTITY_FIELDS = {
    "location": (PROV_LOCATION, _TEXT),
    "hash": (LOGPROV["hash"], _TEXT),
    "hash_type": (LOGPROV["hashType"], _TEXT),
    "contentType": (LOGPROV["contentType"], _TEXT),
    "description": (LOGPROV["description"], _TEXT),
    "size": (LOGPROV["size"], _TEXT),
    "id_scheme": (LOGPROV["idScheme"], _TEXT),
    "digest": (LOGPROV["digest"], _TEXT),
    "entity_description": (LOGPROV["entityDescription"], _TEXT),
    "identified_by": (LOGPROV["identifiedBy"], _TEXT),
    "product_id": (LOGPROV["productId"], _TEXT),
    "reference_meta": (LOGPROV["referenceMeta"], _TEXT),
    "value": (PROV_VALUE, _VALUE),
    "type": (PROV_TYPE, _TYPE),
    "member_id": (PROV_TYPE, _MEMBER),
    "generated_time": (GENERATED_AT, _GENERATED),
}
_ACTIVITY_FIELDS = frozenset(
    {"status", "duration", "exception_type", "exception_message", "function", "exit_code"}
)
_STATUS = LOGPROV["status"]
_DURATION = LOGPROV["duration"]
_EXCEPTION_TYPE = LOGPROV["exceptionType"]
_EXCEPTION_MESSAGE = LOGPROV["exceptionMessage"]
_FUNCTION = LOGPROV["function"]
_EXIT_CODE = LOGPROV["exitCode"]
_VOPROV_NAME = VOPROV["name"]
_ARTEFACT_TYPE = VOPROV["artefactType"]
_DESCRIPTION_ATTRIBUTES = {"usage": VOPROV["usageDescription"], "generation": VOPROV["generationDescription"]}


class ActivityState:
    """What the records of one activity say about the activity itself.

    Parameters
    ----------
    key : str
        The activity id (session-qualified when it is not a UUID).
    session : str or None
        Its session, when known.
    """

    __slots__ = (
        "key", "session", "name", "start", "end", "status", "duration", "exception_type",
        "exception_message", "function", "exit_code", "agent", "parent", "ended",
    )

    def __init__(self, key: str, session: Optional[str]) -> None:
        self.key = key
        self.session = session
        self.name: Optional[str] = None
        self.start: Optional[datetime.datetime] = None
        self.end: Optional[datetime.datetime] = None
        self.status: Any = None
        self.duration: Any = None
        self.exception_type: Any = None
        self.exception_message: Any = None
        self.function: Any = None
        self.exit_code: Any = None
        self.agent: Optional[str] = None
        self.parent: Optional[str] = None
        self.ended = False

    def update(self, data: dict, session: Optional[str]) -> None:
        """Take the activity fields of one record into account (later values win)."""
        if self.session is None:
            self.session = session
        get = data.get
        if get("name") is not None:
            self.name = str(data["name"])
        if "startTime" in data:
            self.start = to_time(data["startTime"]) or self.start
        if "endTime" in data:
            self.ended = True
            self.end = to_time(data["endTime"]) or self.end
        for field in _ACTIVITY_FIELDS.intersection(data):
            value = data[field]
            if value is not None:
                setattr(self, field, value)
        if get("agent_name") is not None:
            self.agent = str(data["agent_name"])
        if get("parent_activity_id") is not None:
            self.parent = data["parent_activity_id"]

    def attributes(self) -> List[Pair]:
        """Return the attributes of the activity element (times excepted)."""
        status = self.status
        if status is None and self.start is not None and not self.ended:
            status = "incomplete"
        found = (
            (PROV_LABEL, self.name),
            (_STATUS, status),
            (_DURATION, self.duration),
            (_EXCEPTION_TYPE, self.exception_type),
            (_EXCEPTION_MESSAGE, self.exception_message),
            (_FUNCTION, self.function),
            (_EXIT_CODE, self.exit_code),
        )
        pairs: List[Pair] = []
        for key, value in found:
            if value is None:
                continue
            if type(value) is str and len(value) <= TEXT_LIMIT and value.isascii() and value.isprintable():
                pairs.append((key, value))
            else:
                pairs.append((key, attribute_value(value)))
        return pairs


def entity_attributes(data: dict, value_limit: int) -> List[Pair]:
    """Return the attributes an entity record gives its entity.

    Parameters
    ----------
    data : dict
        An entity, membership or derivation record.
    value_limit : int
        Longest ``prov:value`` kept, in characters.

    Returns
    -------
    list of (QualifiedName, value)
        The described attributes, in the order of the record's keys, each pair once;
        ``prov:type prov:Collection`` for a membership and ``logprov:generatedAtTime`` for a
        timed derivation.
    """
    pairs: List[Pair] = []
    for field, value in data.items():
        found = _ENTITY_FIELDS.get(field)
        if found is None or value is None:
            continue
        attribute, kind = found
        if kind is _TEXT or kind is _VALUE:
            limit = TEXT_LIMIT if kind is _TEXT else value_limit
            plain = type(value) is str and len(value) <= limit and value.isascii() and value.isprintable()
            pairs.append((attribute, value if plain else attribute_value(value, limit)))
        elif kind is _TYPE:
            named = ENTITY_TYPES.get(value) if type(value) is str else None
            pairs.append((attribute, named or attribute_value(value)))
        elif kind is _MEMBER:
            pairs.append((attribute, COLLECTION))
        elif "progenitor_id" in data:
            moment = to_time(value)
            if moment is not None:
                pairs.append((attribute, moment))
    return pairs


def agent_attributes(agent: str) -> List[Pair]:
    """Return the attributes of the agent called ``agent``."""
    return [(PROV_TYPE, PERSON), (PROV_LABEL, agent)]


def parameter_attributes(name: str, value: AttributeValue) -> List[Pair]:
    """Return the attributes of the parameter entity ``name`` with ``value``."""
    return [(PROV_TYPE, PARAMETER_TYPE), (_VOPROV_NAME, name), (PROV_VALUE, value)]


def parameter_usage_attributes(name: str) -> List[Pair]:
    """Return the attributes of the usage of parameter ``name`` by its activity."""
    return [(PROV_ROLE, name), (PROV_TYPE, CONFIGURED_BY), (_ARTEFACT_TYPE, "Parameter")]


def role_attributes(
    index: Optional[DescriptionIndex], activity_name: Optional[str], role: Optional[str], kind: str
) -> List[Pair]:
    """Return the attributes of a usage or generation with ``role``.

    Parameters
    ----------
    index : DescriptionIndex or None
        The descriptions of the activity's session.
    activity_name : str or None
        The activity's name.
    role : str or None
        The role, as returned by `role`.
    kind : str
        ``usage`` or ``generation``.
    """
    if role is None:
        return []
    attributes: List[Pair] = [(PROV_ROLE, role)]
    if index is not None:
        described = getattr(index, kind).get((activity_name or "", role))
        if described is not None:
            attributes.append((_DESCRIPTION_ATTRIBUTES[kind], described))
    return attributes


def role(value: Any) -> Optional[str]:
    """Return a logged role as the string used in the document, or None."""
    return None if value is None else str(attribute_value(value))


def note_name(data: dict) -> str:
    """Return the entity id (as logged, local to its session) of the note record ``data``."""
    return f"note-{data['note_id']}"


def note_attributes(data: dict, value_limit: int) -> List[Pair]:
    """Return the attributes of the entity of a note: its type, text (``prov:value``), time
    (``logprov:time``) and further attributes (``logprov:attributes``, as JSON)."""
    pairs: List[Pair] = [(PROV_TYPE, NOTE_TYPE), (PROV_VALUE, attribute_value(str(data.get("note", "")), value_limit))]
    moment = to_time(data.get("time"))
    if moment is not None:
        pairs.append((LOGPROV["time"], moment))
    attributes = data.get("attributes")
    if attributes:
        pairs.append((LOGPROV["attributes"], attribute_value(attributes, value_limit)))
    return pairs
