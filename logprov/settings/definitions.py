"""Activity, entity and agent descriptions (the IVOA ProvDM description part).

Definitions are read from YAML or a mapping in either of two dialects and normalised to one
model:

* ``activities:`` / ``entities:``, items naming their entity with ``entityType`` (the dialect of
  the gammapy provenance talk);
* ``activity_descriptions:`` / ``entity_descriptions:``, items naming their entity with
  ``entity_description`` (logprov 0.0.2).

Both are validated with ``logprov/settings/schema/definitions.schema.json``; errors name the file, the
line and the key path.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterable


from ..errors import DefinitionError, ValuePathError

if TYPE_CHECKING:
    import jsonschema
from .valuepath import ValuePath, compile_path
from .yamldoc import DEFAULT_MAX_DOCUMENT_BYTES, KeyPath, first_error, load_document, suggest

__all__ = [
    "ActivityDescription",
    "Definitions",
    "EntityDescription",
    "ItemDescription",
    "MemberDescription",
    "ParameterDescription",
    "UnmatchedDefinitionWarning",
    "load_definitions",
    "unmatched_activities",
]


_ACTIVITY_SECTIONS = ("activities", "activity_descriptions")
_ENTITY_SECTIONS = ("entities", "entity_descriptions")
_ENTITY_REFERENCE_KEYS = ("entityType", "entity_description", "entitytype")
_ITEM_EXTRA_KEYS = ("multiplicity", "contentType", "type", "embed")
_JSON_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}
_LIST_ITEM_WORDS = {
    "usage": "usage item",
    "generation": "generation item",
    "parameters": "parameter",
}


@dataclass(frozen=True, slots=True)
class ParameterDescription:
    """A parameter of an activity.

    Attributes
    ----------
    name : str
        The parameter name (the value path text when the definitions give none).
    value : ValuePath or None
        Where the parameter value is read at call time.
    description : str or None
        What the parameter is.
    extra : Mapping
        Further ProvDM attributes (``unit``, ``ucd``, ``datatype``, ``default``, ...).
    """

    name: str
    value: ValuePath | None = None
    description: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemberDescription:
    """Members (``has_members``) or progenitors (``has_progenitors``) of an entity.

    ``list`` is resolved like the item's own paths; ``id``, ``value`` and ``location`` are
    resolved on each element of that list.
    """

    entity_description: str | None = None
    list: ValuePath | None = None
    id: ValuePath | None = None
    value: ValuePath | None = None
    location: ValuePath | None = None
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class ItemDescription:
    """A usage or generation of an activity.

    Attributes
    ----------
    role : str
        The role of the entity in the activity.
    description : str or None
        What the entity is for the activity.
    entity_description : str or None
        Name of the entity description (``entityType`` or ``entity_description``).
    value, location, id : ValuePath or None
        Where the entity's value, location (a path for files) and id are read.
    namespace : str or None
        Prefix of the entity id.
    members, progenitors : MemberDescription or None
        ``has_members`` and ``has_progenitors``.
    extra : Mapping
        ``multiplicity``, ``contentType``, ``type``, ``embed`` when given.
    """

    role: str
    description: str | None = None
    entity_description: str | None = None
    value: ValuePath | None = None
    location: ValuePath | None = None
    id: ValuePath | None = None
    namespace: str | None = None
    members: MemberDescription | None = None
    progenitors: MemberDescription | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActivityDescription:
    """The description of an activity (a traced function or method).

    Attributes
    ----------
    name : str
        The activity name as given in the definitions.
    description : str or None
        What the activity does.
    parameters, usage, generation : tuple
        Its parameters, used entities and generated entities.
    extra : Mapping
        ``type``, ``subtype``, ``version``, ``code``, ``doculink``, ``contact`` when given.
    """

    name: str
    description: str | None = None
    parameters: tuple[ParameterDescription, ...] = ()
    usage: tuple[ItemDescription, ...] = ()
    generation: tuple[ItemDescription, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntityDescription:
    """The description of a kind of entity.

    Attributes
    ----------
    name : str
        The entity description name.
    type : str
        ``PythonObject``, ``File``, ``FileCollection`` or free text; empty when not given (the
        capture then decides from how the entity is found).
    description : str or None
        What the entity is.
    content_type : str or None
        Its MIME type (``contentType``).
    index : str or None
        For a ``FileCollection``, the index file whose digest identifies the collection.
    extra : Mapping
        ``doculink`` when given.
    id : ValuePath or None
        Where the id of such an entity is read, when not from its content.
    """

    name: str
    type: str = ""
    description: str | None = None
    content_type: str | None = None
    index: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    id: ValuePath | None = None


@dataclass(frozen=True, slots=True)
class Definitions:
    """Normalised definitions.

    Attributes
    ----------
    activities : Mapping[str, ActivityDescription]
        Activity descriptions by name.
    entities : Mapping[str, EntityDescription]
        Entity descriptions by name.
    agents : Mapping[str, Mapping]
        Agents by name with their attributes.
    namespaces : Mapping[str, str]
        Namespace prefixes and their URIs.
    source : str or None
        The file the definitions were read from.
    raw : Mapping
        The definitions as given (plain, JSON-serialisable dicts and lists).
    """

    activities: Mapping[str, ActivityDescription] = field(default_factory=dict)
    entities: Mapping[str, EntityDescription] = field(default_factory=dict)
    agents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    namespaces: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def get_activity(self, name: str, qualname: str | None = None) -> ActivityDescription | None:
        """Return the description of an activity, by qualified name first, else by name."""
        if qualname is not None:
            found = self.activities.get(qualname)
            if found is not None:
                return found
        return self.activities.get(name)


class UnmatchedDefinitionWarning(UserWarning):
    """Activity descriptions name no method of the class traced with ``described_only``."""


def unmatched_activities(definitions: Definitions, class_name: str, methods: Iterable[str],
                         traced: int) -> str | None:
    """Return a warning about the activity descriptions of ``definitions`` that name no method
    of class ``class_name``, traced with ``described_only``, or None when there is none.

    A description named ``Class.method`` names a method of that class only; a plain name may
    be meant for another class or a function, so it is reported only when nothing was traced.
    """
    names = set(methods)
    where = f"definitions {definitions.source}" if definitions.source else "the definitions"
    if traced == 0:
        missing = sorted(name for name in definitions.activities if name.rsplit(".", 1)[-1] not in names)
        listed = ", ".join(repr(name) for name in missing) or "none"
        return (f"{where}: no method of {class_name} is described, so described_only traces none of them "
                f"(activity descriptions naming no method: {listed})")
    prefix = f"{class_name}."
    missing = sorted(name for name in definitions.activities
                     if name.startswith(prefix) and name[len(prefix):] not in names)
    if not missing:
        return None
    listed = ", ".join(repr(name) for name in missing)
    return f"{where}: activity descriptions naming no method of {class_name}, so not traced: {listed}"


def load_definitions(source: str | os.PathLike | Mapping | Definitions | None,
                     max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES) -> Definitions:
    """Read, validate and normalise definitions.

    Parameters
    ----------
    source : str, path-like, Mapping, Definitions or None
        A YAML file, a mapping in either dialect, already loaded definitions (returned as they
        are) or None (empty definitions).
    max_bytes : int
        Largest file read (1 MB by default); a larger one is refused before it is parsed.

    Returns
    -------
    Definitions

    Raises
    ------
    DefinitionError
        For a missing, unreadable or too large file, bad YAML, or definitions that do not
        validate (value paths that would reach modules or private names included). When
        validation finds several problems, the first in file order is raised and all of them
        are in its ``errors`` attribute.
    """
    if isinstance(source, Definitions):
        return source
    if source is None:
        return Definitions()
    document = load_document(source, DefinitionError, "definitions", max_bytes)
    problems = _schema_problems(document.data)
    if not problems:
        builder = _Builder(document.data)
        definitions = builder.build(document.source)
        problems = builder.problems
        if not problems:
            return definitions
    raise first_error(document, problems, DefinitionError)


@functools.lru_cache(maxsize=1)
def _validator() -> "jsonschema.Draft202012Validator":
    import jsonschema

    text = resources.files(__package__).joinpath("schema/definitions.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _what(path: KeyPath) -> str:
    if not path:
        return "the definitions"
    last = path[-1]
    parent = path[-2] if len(path) > 1 else None
    if isinstance(last, int):
        return _LIST_ITEM_WORDS.get(str(parent), f"item of {parent!r}")
    if len(path) == 2 and parent in _ACTIVITY_SECTIONS:
        return f"activity {last!r}"
    if len(path) == 2 and parent in _ENTITY_SECTIONS:
        return f"entity description {last!r}"
    if len(path) == 2 and parent in ("agents", "namespaces"):
        return f"{parent[:-1]} {last!r}"
    return repr(last)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "empty"


def _schema_problems(data: Any) -> list[tuple[KeyPath, str]]:
    problems = []
    for error in _validator().iter_errors(data):
        problems.extend(_translate(error))
    return problems


def _translate(error: "jsonschema.ValidationError") -> list[tuple[KeyPath, str]]:
    path: KeyPath = tuple(error.absolute_path)
    what = _what(path)
    kind = error.validator
    # The attributes of a jsonschema error are typed as possibly unset; they are set on every
    # error that `iter_errors` yields.
    schema: Any = error.schema
    instance: Any = error.instance
    expected_value: Any = error.validator_value
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        problems = []
        for key in instance:
            if key not in allowed:
                hint = suggest(key, allowed) or f"; allowed keys: {', '.join(allowed)}"
                problems.append((path + (key,), f"unknown key {key!r} in {what}{hint}"))
        return problems
    if kind == "required":
        missing = [key for key in expected_value if key not in instance]
        return [(path, f"{what} has no {key!r}") for key in missing]
    if kind == "type":
        expected = [expected_value] if isinstance(expected_value, str) else expected_value
        words = " or ".join(_JSON_TYPE_WORDS[t] for t in expected)
        return [(path, f"{what} must be {words}, not {_json_type(instance)}")]
    if kind == "minLength":
        return [(path, f"{what} must not be empty")]
    if kind == "minimum":
        return [(path, f"{what} must be at least {expected_value}")]
    if kind == "pattern" and "propertyNames" in error.absolute_schema_path:
        message = (
            f"invalid name {instance!r} in {what}: it must start with a letter or '_' "
            "and contain only letters, digits, '_', '-' and '.'"
        )
        return [(path + (instance,), message)]
    return [(path, f"{what}: {error.message}")]


class _Builder:
    """Turn validated plain data into the normalised model, collecting semantic problems."""

    def __init__(self, data: Any) -> None:
        self.data = data or {}
        self.problems: list[tuple[KeyPath, str]] = []
        self.entity_names: set[str] = set()

    def build(self, source: str | None) -> Definitions:
        activities_key = self._section(_ACTIVITY_SECTIONS)
        entities_key = self._section(_ENTITY_SECTIONS)
        entities = {}
        if entities_key:
            for name, body in (self.data.get(entities_key) or {}).items():
                entities[name] = self._entity(name, body or {}, (entities_key, name))
        self.entity_names = set(entities)
        activities = {}
        if activities_key:
            for name, body in (self.data.get(activities_key) or {}).items():
                activities[name] = self._activity(name, body or {}, (activities_key, name))
        agents = {name: dict(body or {}) for name, body in (self.data.get("agents") or {}).items()}
        return Definitions(
            activities=activities,
            entities=entities,
            agents=agents,
            namespaces=dict(self.data.get("namespaces") or {}),
            source=source,
            raw=self.data,
        )

    def _section(self, keys: tuple[str, str]) -> str | None:
        present = [key for key in keys if key in self.data]
        if len(present) == 2:
            message = f"both {present[0]!r} and {present[1]!r} are given; use only one of them"
            self.problems.append(((present[1],), message))
        return present[0] if present else None

    def _path(self, body: Mapping, path: KeyPath, key: str) -> ValuePath | None:
        text = body.get(key)
        if text is None:
            return None
        try:
            return compile_path(text)
        except ValuePathError as exc:
            self.problems.append((path + (key,), str(exc)))
            return None

    def _entity_ref(self, body: Mapping, path: KeyPath) -> str | None:
        given = [key for key in _ENTITY_REFERENCE_KEYS if key in body]
        if not given:
            return None
        if len(given) > 1:
            message = f"{given[0]!r} and {given[1]!r} both name the entity; give only one"
            self.problems.append((path + (given[1],), message))
        name = body[given[0]]
        if self.entity_names and name not in self.entity_names:
            message = f"unknown entity description {name!r}{suggest(name, self.entity_names)}"
            self.problems.append((path + (given[0],), message))
        return name

    def _entity(self, name: str, body: Mapping, path: KeyPath) -> EntityDescription:
        return EntityDescription(
            name=name,
            type=body.get("type", ""),
            description=body.get("description"),
            content_type=body.get("contentType"),
            index=body.get("index"),
            extra={key: body[key] for key in ("doculink",) if key in body},
            id=self._path(body, path, "id"),
        )

    def _activity(self, name: str, body: Mapping, path: KeyPath) -> ActivityDescription:
        parameters = []
        seen: set[str] = set()
        for index, item in enumerate(body.get("parameters") or ()):
            parameter = self._parameter(item, path + ("parameters", index))
            if parameter is None:
                continue
            if parameter.name in seen:
                key = "name" if "name" in item else "value"
                message = f"duplicate parameter name {parameter.name!r}"
                self.problems.append((path + ("parameters", index, key), message))
            seen.add(parameter.name)
            parameters.append(parameter)
        usage, generation = (
            tuple(self._item(item, path + (key, i)) for i, item in enumerate(body.get(key) or ()))
            for key in ("usage", "generation")
        )
        main = ("description", "parameters", "usage", "generation")
        return ActivityDescription(
            name=name,
            description=body.get("description"),
            parameters=tuple(parameters),
            usage=usage,
            generation=generation,
            extra={key: value for key, value in body.items() if key not in main},
        )

    def _parameter(self, body: Mapping, path: KeyPath) -> ParameterDescription | None:
        value = self._path(body, path, "value")
        name = body.get("name") or body.get("value")
        if name is None:
            self.problems.append((path, "parameter has neither 'name' nor 'value'"))
            return None
        return ParameterDescription(
            name=name,
            value=value,
            description=body.get("description"),
            extra={k: v for k, v in body.items() if k not in ("name", "value", "description")},
        )

    def _item(self, body: Mapping, path: KeyPath) -> ItemDescription:
        return ItemDescription(
            role=body["role"],
            description=body.get("description"),
            entity_description=self._entity_ref(body, path),
            value=self._path(body, path, "value"),
            location=self._path(body, path, "location"),
            id=self._path(body, path, "id"),
            namespace=body.get("namespace"),
            members=self._members(body, path, "has_members"),
            progenitors=self._members(body, path, "has_progenitors"),
            extra={key: body[key] for key in _ITEM_EXTRA_KEYS if key in body},
        )

    def _members(self, parent: Mapping, path: KeyPath, key: str) -> MemberDescription | None:
        body = parent.get(key)
        if body is None:
            return None
        path = path + (key,)
        return MemberDescription(
            entity_description=self._entity_ref(body, path),
            list=self._path(body, path, "list"),
            id=self._path(body, path, "id"),
            value=self._path(body, path, "value"),
            location=self._path(body, path, "location"),
            namespace=body.get("namespace"),
        )
