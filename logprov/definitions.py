"""Activity, entity and agent descriptions (the IVOA ProvDM description part).

Definitions are read from YAML or a mapping in either of two dialects and normalised to one
model:

* ``activities:`` / ``entities:``, items naming their entity with ``entityType`` (the dialect of
  the gammapy provenance talk);
* ``activity_descriptions:`` / ``entity_descriptions:``, items naming their entity with
  ``entity_description`` (logprov 0.0.2).

Both are validated with ``logprov/schema/definitions.schema.json``; errors name the file, the
line and the key path.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Union

import jsonschema
import yaml

from .errors import DefinitionError, ValuePathError
from .valuepath import ValuePath, compile_path

__all__ = [
    "ActivityDescription",
    "Definitions",
    "EntityDescription",
    "ItemDescription",
    "MemberDescription",
    "ParameterDescription",
    "load_definitions",
]

KeyPath = tuple[Union[str, int], ...]

_ACTIVITY_SECTIONS = ("activities", "activity_descriptions")
_ENTITY_SECTIONS = ("entities", "entity_descriptions")
_ENTITY_REFERENCE_KEYS = ("entityType", "entity_description", "entitytype")
_ITEM_EXTRA_KEYS = ("multiplicity", "contentType", "type")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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
        ``multiplicity``, ``contentType``, ``type`` when given.
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


def load_definitions(source: str | os.PathLike | Mapping | Definitions | None) -> Definitions:
    """Read, validate and normalise definitions.

    Parameters
    ----------
    source : str, path-like, Mapping, Definitions or None
        A YAML file, a mapping in either dialect, already loaded definitions (returned as they
        are) or None (empty definitions).

    Returns
    -------
    Definitions

    Raises
    ------
    DefinitionError
        For a missing or unreadable file, bad YAML, or definitions that do not validate. When
        validation finds several problems, the first in file order is raised and all of them
        are in its ``errors`` attribute.
    """
    if isinstance(source, Definitions):
        return source
    if source is None:
        return Definitions()
    document = _load_document(source, DefinitionError, "definitions")
    problems = _schema_problems(document.data)
    if not problems:
        builder = _Builder(document.data)
        definitions = builder.build(document.source)
        problems = builder.problems
        if not problems:
            return definitions
    raise _first_error(document, problems, DefinitionError)


@dataclass
class _Document:
    """Plain data read from YAML or a mapping, with the line of every key path."""

    data: Any
    source: str | None
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """Return the line of ``path`` or of its nearest ancestor with a known line."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, cls: type[DefinitionError], message: str, path: KeyPath) -> DefinitionError:
        """Build an error of class ``cls`` located at ``path``."""
        return cls(message, self.source, _format_key_path(path) or None, self.line(path))


def _format_key_path(path: KeyPath) -> str:
    """Format a key path as ``activities.get_observations.usage[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _load_document(source: Any, cls: type[DefinitionError], what: str) -> _Document:
    if isinstance(source, Mapping):
        return _Document(_plain(source, (), None, cls), None)
    if not isinstance(source, (str, os.PathLike)):
        raise cls(f"{what} must be a file name, a mapping or None, not {type(source).__name__}")
    name = os.fspath(source)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise cls(f"{what} file not found", name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise cls(f"cannot read {what} file: {exc}", name) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is None:
            return _Document(None, name, lines)
        _index_node(node, (), lines, set(), name, cls)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line = _yaml_line(exc.problem_mark, text)
        raise cls(_yaml_problem(exc, text), name, None, line) from None
    except yaml.YAMLError as exc:
        raise cls(f"invalid YAML: {exc}", name) from None
    finally:
        loader.dispose()
    document = _Document(None, name, lines)
    document.data = _plain(data, (), document, cls)
    return document


def _yaml_line(mark: yaml.Mark | None, text: str) -> int | None:
    if mark is None:
        return None
    return min(mark.line + 1, max(1, len(text.splitlines())))


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> str:
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        message += f" ({exc.context}"
        context_line = _yaml_line(exc.context_mark, text)
        message += f" started on line {context_line})" if context_line else ")"
    if "block" in message:
        message += "; check the indentation"
    return message


def _index_node(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    active: set[int],
    source: str,
    cls: type[DefinitionError],
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in active:
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                shown = _format_key_path(path) or None
                raise cls(
                    f"key {_node_text(key_node)!r} is not a string; quote it", source, shown, line
                )
            key = key_node.value
            if key in seen:
                raise cls(
                    f"duplicate key {key!r} (first given on line {seen[key]}); "
                    "YAML would silently keep only the last one",
                    source,
                    _format_key_path(path + (key,)),
                    line,
                )
            seen[key] = line
            child = path + (key,)
            lines[child] = line
            _index_node(value_node, child, lines, active, source, cls)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_node(item, path + (index,), lines, active, source, cls)
    active.discard(id(node))


def _node_text(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return "[...]" if isinstance(node, yaml.SequenceNode) else "{...}"


def _plain(
    value: Any, path: KeyPath, document: _Document | None, cls: type[DefinitionError]
) -> Any:
    """Copy ``value`` into JSON-compatible dicts, lists and scalars."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _located(document, cls, f"key {key!r} is not a string", path)
            plain[key] = _plain(item, path + (key,), document, cls)
        return plain
    if isinstance(value, (list, tuple)):
        return [_plain(item, path + (i,), document, cls) for i, item in enumerate(value)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    message = (
        f"values of type {type(value).__name__} are not allowed "
        "(use strings, numbers, lists, mappings)"
    )
    raise _located(document, cls, message, path)


def _located(
    document: _Document | None, cls: type[DefinitionError], message: str, path: KeyPath
) -> DefinitionError:
    if document is not None:
        return document.error(cls, message, path)
    return cls(message, None, _format_key_path(path) or None)


def _first_error(
    document: _Document, problems: list[tuple[KeyPath, str]], cls: type[DefinitionError]
) -> DefinitionError:
    errors = [document.error(cls, message, path) for path, message in problems]
    errors.sort(key=lambda e: (e.line if e.line is not None else float("inf")))
    first = errors[0]
    if len(errors) > 1:
        more = len(errors) - 1
        first = cls(
            f"{first.message} (and {more} more problem{'s' if more > 1 else ''})",
            first.source,
            first.path,
            first.line,
        )
    first.errors = errors
    return first


def _suggest(word: str, choices: Any) -> str:
    """Return `` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    lowered = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("logprov").joinpath("schema/definitions.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _what(path: KeyPath) -> str:
    if not path:
        return "the definitions"
    last = path[-1]
    parent = path[-2] if len(path) > 1 else None
    if isinstance(last, int):
        return _LIST_ITEM_WORDS.get(parent, f"item of {parent!r}")
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


def _translate(error: jsonschema.ValidationError) -> list[tuple[KeyPath, str]]:
    path: KeyPath = tuple(error.absolute_path)
    what = _what(path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        problems = []
        for key in error.instance:
            if key not in allowed:
                hint = _suggest(key, allowed) or f"; allowed keys: {', '.join(allowed)}"
                problems.append((path + (key,), f"unknown key {key!r} in {what}{hint}"))
        return problems
    if kind == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return [(path, f"{what} has no {key!r}") for key in missing]
    if kind == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        words = " or ".join(_JSON_TYPE_WORDS[t] for t in expected)
        return [(path, f"{what} must be {words}, not {_json_type(error.instance)}")]
    if kind == "minLength":
        return [(path, f"{what} must not be empty")]
    if kind == "minimum":
        return [(path, f"{what} must be at least {error.validator_value}")]
    if kind == "pattern" and "propertyNames" in error.absolute_schema_path:
        message = (
            f"invalid name {error.instance!r} in {what}: it must start with a letter or '_' "
            "and contain only letters, digits, '_', '-' and '.'"
        )
        return [(path + (error.instance,), message)]
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
            message = f"unknown entity description {name!r}{_suggest(name, self.entity_names)}"
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
