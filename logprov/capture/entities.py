"""Identify the entities of a traced call and describe them as entity records."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Callable

from ..records.lines import dumps
from ..settings.valuepath import compile_path
from . import recordmaker
from .identity import FileDigest, FileHasher, ValueDigester
from .plans import COLLECTION, FILE, OBJECT, PATH, EntityPlan
from .scope import CallScope
from .secrecy import REDACTED
from .values import ValueWriter

__all__ = ["Entity", "EntityFactory"]


class Entity:
    """An identified entity, described lazily (its record is built only when first logged).

    Attributes
    ----------
    id : str
        The entity id.
    track : tuple or None
        ``(owner, key)`` of the location it was read from, for modification checks.
    """

    __slots__ = ("id", "track", "_static", "_location", "_value", "_digest", "_scheme", "_values")

    def __init__(self, entity_id: str, static: Mapping, location: str | None, value: Any = None,
                 digest: FileDigest | None = None, scheme: str | None = None, track: tuple | None = None,
                 values: ValueWriter | None = None) -> None:
        self.id = entity_id
        self.track = track
        self._static = static
        self._location = location
        self._value = value
        self._digest = digest
        self._scheme = scheme
        self._values = values

    @property
    def value(self) -> Any:
        """The Python value identified (None for files)."""
        return self._value

    def record(self, session_id: str) -> dict[str, Any]:
        """Return the entity record of this entity in session ``session_id``."""
        digest = self._digest
        if digest is not None:
            return recordmaker.file_entity(self.id, session_id, self._static, digest, self._scheme)
        text = None
        values = self._values
        if values is not None:
            hidden = self._location is not None and _secret_location(self._location, values)
            text = REDACTED if hidden else _value_text(self._value, values)
        return recordmaker.value_entity(self.id, session_id, self._static, self._location, text, self._scheme)


def _secret_location(location: str, values: ValueWriter) -> bool:
    """Whether a name along the value path ``location`` looks secret (`SecrecyPolicy.hides_path`)."""
    try:
        return values.secret.hides_path(compile_path(location))
    except Exception:
        return False


def _value_text(value: Any, values: ValueWriter) -> str:
    cls = type(value)
    try:
        structured = cls is list or cls is dict or cls is tuple or isinstance(value, Mapping)
    except Exception:
        structured = False
    if structured:
        text = dumps(values.convert(value))
        return text if len(text) <= values.limit else text[: values.limit - 3] + "..."
    return values.text(value)


def _as_path(target: Any) -> str:
    if isinstance(target, (str, bytes, os.PathLike)):
        path = os.fspath(target)
        return os.fsdecode(path) if isinstance(path, bytes) else path
    raise TypeError(f"expected a file path, got {type(target).__name__}")


class EntityFactory:
    """Build `Entity` objects for values, files and described items.

    Parameters
    ----------
    hash_type : str
        Algorithm for file contents.
    max_hash_bytes : int
        Bytes of buffers digested in full per Python value.
    digest_time_budget : float
        Seconds the canonical digest of a Python value may take (see `ValueDigester`).
    values : ValueWriter
        Converter for short values.
    id_functions : mapping, optional
        Per entity description name, a function giving the id of a value or path.
    file_id_function : callable, optional
        A function giving the id of every file from its path.
    """

    def __init__(self, hash_type: str, max_hash_bytes: int, values: ValueWriter,
                 id_functions: Mapping[str, Callable[[Any], Any]] | None = None,
                 file_id_function: Callable[[Any], Any] | None = None,
                 digest_time_budget: float = 0.005) -> None:
        self.files = FileHasher(hash_type)
        self.digester = ValueDigester(max_hash_bytes, digest_time_budget)
        self.values = values
        self.id_functions = dict(id_functions or {})
        self.file_id_function = file_id_function

    def value(self, value: Any, static: Mapping, location: str | None, *, track: tuple | None = None,
              custom: Callable[[Any], Any] | None = None, buffers: dict | None = None) -> Entity:
        """Identify a Python value by its content (or by ``custom``); ``buffers`` is passed to
        `ValueDigester.digest` (array data digests shared by several values)."""
        if custom is not None:
            return Entity(str(custom(value)), static, location, value=value, scheme="custom",
                          track=track, values=self.values)
        entity_id, scheme = self.digester.digest(value, buffers)
        return Entity(entity_id, static, location, value=value, scheme=scheme, track=track, values=self.values)

    def file(self, target: Any, kind: str | None, static: Mapping, index: str | None = None,
             custom: Callable[[Any], Any] | None = None) -> Entity:
        """Identify a file or directory by its content.

        Raises
        ------
        OSError
            When it cannot be read.
        TypeError
            When ``target`` is not a path.
        """
        path = _as_path(target)
        if kind == COLLECTION and os.path.isdir(os.path.expandvars(os.path.expanduser(path))):
            digest = self.files.collection(path, index)
        else:
            digest = self.files.file(path)
        custom = custom or self.file_id_function
        entity_id = str(custom(path)) if custom is not None else digest.entity_id
        entity = Entity(entity_id, static, None, digest=digest, track=(None, digest.path),
                        scheme="custom" if custom is not None else None)
        return entity

    def resolve(self, plan: EntityPlan, scope: CallScope) -> Entity | None:
        """Find and identify the entity described by ``plan`` in a call.

        Returns None when the value is None (nothing to log).

        Raises
        ------
        LookupError
            When a value path does not resolve.
        OSError, TypeError
            When a file cannot be read or a location is not a path.
        """
        if plan.by_value and plan.value is not None:
            value, owner = scope.resolve(plan.value)
            return self.by_value(plan, value, owner) if value is not None else None
        if plan.kind != OBJECT:
            return self._resolve_file(plan, scope)
        path = plan.value
        value, owner = scope.resolve(path) if path is not None else (None, None)
        location = scope.resolve(plan.location)[0] if plan.location is not None else None
        if value is None and location is None:
            return None
        track = (owner, plan.key) if owner is not None else None
        shown = path.text if path is not None else None
        if plan.id is not None:
            entity_id = _namespaced(plan.namespace, scope.resolve(plan.id)[0])
            return Entity(entity_id, plan.static, shown, value=value, scheme="path", track=track, values=self.values)
        custom = self.id_functions.get(plan.description_name) if plan.description_name else None
        if custom is not None:
            entity = self.value(value if value is not None else location, plan.static, shown, track=track,
                                custom=custom)
        else:
            if value is None:
                value = location
            entity_id, scheme = self.digester.digest(value)
            entity = Entity(entity_id, plan.static, shown, value, None, scheme, track, self.values)
        if plan.namespace:
            entity.id = _namespaced(plan.namespace, entity.id)
        return entity

    def by_value(self, plan: EntityPlan, value: Any, owner: Any) -> Entity:
        """Identify ``value``, found at the value path of a ``plan.by_value`` plan on ``owner``."""
        entity_id, scheme = self.digester.digest(value)
        return self.known(plan, value, owner, entity_id, scheme)

    def known(self, plan: EntityPlan, value: Any, owner: Any, entity_id: str, scheme: str | None) -> Entity:
        """Return the entity of ``value``, found at the value path of a ``plan.by_value`` plan on
        ``owner`` and already identified as ``entity_id`` by `ValueDigester.digest`."""
        path = plan.value
        return Entity(entity_id, plan.static, path.text if path is not None else None, value, None, scheme,
                      (owner, plan.key) if owner is not None else None, self.values)

    def _resolve_file(self, plan: EntityPlan, scope: CallScope) -> Entity | None:
        custom = self.id_functions.get(plan.description_name) if plan.description_name else None
        path = plan.location or plan.value
        target = scope.resolve(path)[0] if path is not None else None
        if target is None:
            return None
        return self.file(target, COLLECTION if plan.kind in (COLLECTION, PATH) else FILE, plan.static,
                         plan.index, custom)

    def member(self, plan: EntityPlan, element: Any) -> Entity:
        """Identify one element of a member (or progenitor) list."""
        if plan.kind in (FILE, COLLECTION, PATH):
            target = plan.location.resolve(element) if plan.location is not None else element
            return self.file(target, COLLECTION if plan.kind in (COLLECTION, PATH) else FILE, plan.static, plan.index)
        value = plan.element.resolve(element) if plan.element is not None else element
        if plan.id is not None:
            entity_id = _namespaced(plan.namespace, plan.id.resolve(element))
            return Entity(entity_id, plan.static, None, value=value, scheme="path", values=self.values)
        custom = self.id_functions.get(plan.description_name) if plan.description_name else None
        entity = self.value(value, plan.static, None, custom=custom)
        if plan.namespace:
            entity.id = _namespaced(plan.namespace, entity.id)
        return entity


def _namespaced(namespace: str | None, value: Any) -> str:
    text = str(value)
    if namespace and ":" not in text:
        return f"{namespace}:{text}"
    return text
