"""How single records become PROV attributes: the pure part of the mapping.

Shared by `DocumentBuilder` (which builds a `prov.model.ProvDocument` in memory) and
`RecordStream` (which streams the same statements to a writer).
"""

from __future__ import annotations

import datetime
from typing import Any, List, Optional, Tuple

from prov.constants import PROV, PROV_LABEL, PROV_LOCATION, PROV_ROLE, PROV_TYPE, PROV_VALUE

from ..records import keys as K
from .descriptions import DescriptionIndex
from .identifiers import LOGPROV, VOPROV
from .sessions import SESSION_TYPE
from .literals import TEXT_LIMIT, AttributeValue, Pair, Record, attribute_value, to_time

__all__ = [
    "Pair",
    "Record",
    "usage_of",
    "generation_of",
    "logged_parameters",
    "note_about",
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
    K.LOCATION: (PROV_LOCATION, _TEXT),
    K.HASH: (LOGPROV["hash"], _TEXT),
    K.HASH_TYPE: (LOGPROV["hashType"], _TEXT),
    K.CONTENT_TYPE: (LOGPROV["contentType"], _TEXT),
    K.DESCRIPTION: (LOGPROV["description"], _TEXT),
    K.SIZE: (LOGPROV["size"], _TEXT),
    K.ID_SCHEME: (LOGPROV["idScheme"], _TEXT),
    K.DIGEST: (LOGPROV["digest"], _TEXT),
    K.ENTITY_DESCRIPTION: (LOGPROV["entityDescription"], _TEXT),
    K.IDENTIFIED_BY: (LOGPROV["identifiedBy"], _TEXT),
    K.PRODUCT_ID: (LOGPROV["productId"], _TEXT),
    K.REFERENCE_META: (LOGPROV["referenceMeta"], _TEXT),
    K.VALUE: (PROV_VALUE, _VALUE),
    K.TYPE: (PROV_TYPE, _TYPE),
    K.MEMBER_ID: (PROV_TYPE, _MEMBER),
    K.GENERATED_TIME: (GENERATED_AT, _GENERATED),
}
_ACTIVITY_FIELDS = frozenset(
    {K.STATUS, K.DURATION, K.EXCEPTION_TYPE, K.EXCEPTION_MESSAGE, K.FUNCTION, K.EXIT_CODE}
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

    def update(self, data: Record, session: Optional[str]) -> None:
        """Take the activity fields of one record into account (later values win)."""
        if self.session is None:
            self.session = session
        get = data.get
        if get(K.NAME) is not None:
            self.name = str(data[K.NAME])
        if K.START_TIME in data:
            self.start = to_time(data[K.START_TIME]) or self.start
        if K.END_TIME in data:
            self.ended = True
            self.end = to_time(data[K.END_TIME]) or self.end
        for field in _ACTIVITY_FIELDS.intersection(data):
            value = data[field]
            if value is not None:
                setattr(self, field, value)
        if get(K.AGENT_NAME) is not None:
            self.agent = str(data[K.AGENT_NAME])
        if get(K.PARENT_ACTIVITY_ID) is not None:
            self.parent = data[K.PARENT_ACTIVITY_ID]

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


def entity_attributes(data: Record, value_limit: int) -> List[Pair]:
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
        timed derivation (or an entity record with its time, as a store gives it back).
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
        else:
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


def note_name(data: Record) -> str:
    """Return the entity id (as logged, local to its session) of the note record ``data``."""
    return f"note-{data[K.NOTE_ID]}"


def note_attributes(data: Record, value_limit: int) -> List[Pair]:
    """Return the attributes of the entity of a note: its type, text (``prov:value``), time
    (``logprov:time``) and further attributes (``logprov:attributes``, as JSON)."""
    pairs: List[Pair] = [(PROV_TYPE, NOTE_TYPE), (PROV_VALUE, attribute_value(str(data.get(K.NOTE, "")), value_limit))]
    moment = to_time(data.get(K.TIME))
    if moment is not None:
        pairs.append((LOGPROV["time"], moment))
    attributes = data.get(K.ATTRIBUTES)
    if attributes:
        pairs.append((LOGPROV["attributes"], attribute_value(attributes, value_limit)))
    return pairs


def usage_of(data: Record) -> Optional[Tuple[Any, Any]]:
    """Return the entity id and the logged role of the usage a record tells, or None."""
    entity = data.get(K.USED_ID)
    return None if entity is None else (entity, data.get(K.USED_ROLE))


def generation_of(data: Record) -> Optional[Tuple[Any, Any]]:
    """Return the entity id and the logged role of the generation a record tells, or None."""
    entity = data.get(K.GENERATED_ID)
    return None if entity is None else (entity, data.get(K.GENERATED_ROLE))


def logged_parameters(data: Record, with_parameters: bool, value_limit: int) -> List[Tuple[str, AttributeValue]]:
    """Return the parameters a record gives its activity, as names and attribute values
    (none when ``with_parameters`` is false or the record's parameters are not a mapping)."""
    parameters = data.get(K.PARAMETERS)
    if not with_parameters or not isinstance(parameters, dict):
        return []
    return [(str(name), attribute_value(value, value_limit)) for name, value in parameters.items()]


def note_about(data: Record) -> Optional[str]:
    """Return the activity a note record is about, or None (a note on its session)."""
    about = data.get(K.ABOUT_ACTIVITY)
    return None if about is None else str(about)
