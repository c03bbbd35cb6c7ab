"""Activity plans: what a traced function logs, worked out once when it is decorated."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable

from ..records import keys as K
from ..settings.definitions import ActivityDescription, Definitions, EntityDescription, ItemDescription, MemberDescription
from ..records.lines import fragment, quote
from ..settings.valuepath import ValuePath, compile_path

__all__ = ["ActivityPlan", "EntityPlan", "ArgumentLayout", "FILE", "COLLECTION", "PATH", "OBJECT"]

FILE = "file"
COLLECTION = "collection"
PATH = "path"
OBJECT = "object"

_FILE_TYPES = {"file"}
#: Keys of a usage or generation item of the definitions that describe its entity.
_EXTRA_TYPE = "type"
_EXTRA_CONTENT_TYPE = "contentType"
_COLLECTION_TYPES = {"filecollection", "directory", "datastore"}


def entity_kind(description: EntityDescription | None, item_type: str | None, has_value: bool,
                has_location: bool) -> str:
    """Return how an entity is identified: by file content, directory, path, or Python value."""
    declared = (item_type or (description.type if description is not None else "") or "").lower()
    if declared in _FILE_TYPES:
        return FILE
    if declared in _COLLECTION_TYPES:
        return COLLECTION
    if has_location and not has_value and declared in ("", "file"):
        return PATH
    return OBJECT


@dataclass(frozen=True)
class EntityPlan:
    """How to find, identify and describe one used or generated entity (or a member).

    Attributes
    ----------
    role : str or None
        The usage or generation role.
    kind : str
        `FILE`, `COLLECTION`, `PATH` (file or directory, decided when the path is known) or
        `OBJECT`.
    value, location, id : ValuePath or None
        Where the value, its location and its id are found.
    namespace : str or None
        Prefix given to ids without one.
    description_name : str or None
        Name of the entity description.
    static : dict
        Entity record keys known in advance (``entity_description``, ``type``, ``contentType``…).
    index : str or None
        Index file of a file collection.
    members, progenitors : EntityPlan or None
        Plans for the members and progenitors of this entity; their ``value`` is the path of
        the list to iterate and their ``id``/``location``/``element`` are resolved on each
        element.
    key : str
        Text identifying the place the entity is read from, for modification checks.
    element : ValuePath or None
        For members and progenitors: the path, on each element, of the value to identify.
    by_value : bool
        True when the entity is identified by the digest of the value at ``value`` alone (a
        Python value without location, id path, namespace or entity description).
    used_tail, generated_tail : str
        The role as the last members of a usage or generation record (``,"used_role":"data"``),
        or "" without a role.
    embed : bool
        For a generated file: embed its lineage in it when the activity ends.
    """

    role: str | None
    kind: str
    value: ValuePath | None
    location: ValuePath | None
    id: ValuePath | None
    namespace: str | None
    description_name: str | None
    static: dict
    index: str | None
    members: "EntityPlan | None" = None
    progenitors: "EntityPlan | None" = None
    key: str = ""
    element: ValuePath | None = None
    by_value: bool = False
    used_tail: str = ""
    generated_tail: str = ""
    embed: bool = False


def _static_attributes(description: EntityDescription | None, name: str | None, default_type: str,
                       item_extra: Mapping[str, Any]) -> dict:
    static: dict[str, Any] = {}
    if name:
        static[K.ENTITY_DESCRIPTION] = name
    declared = item_extra.get(_EXTRA_TYPE) or (description.type if description is not None else None)
    static[K.TYPE] = declared or default_type
    content_type = item_extra.get(_EXTRA_CONTENT_TYPE) or (description.content_type if description is not None else None)
    if content_type:
        static[K.CONTENT_TYPE] = content_type
    return static


def _default_type(kind: str) -> str:
    return {FILE: "File", COLLECTION: "FileCollection", PATH: "File"}.get(kind, "PythonObject")


def entity_plan(item: ItemDescription | MemberDescription, definitions: Definitions, role: str | None) -> EntityPlan:
    """Build the plan of a usage or generation item (or of a member list)."""
    name = item.entity_description
    description = definitions.entities.get(name) if name else None
    value = item.value
    location = item.location
    listing = getattr(item, "list", None)
    element = None
    if listing is not None:
        element, value = value, listing
    id_path = item.id
    if id_path is None and description is not None:
        id_path = description.id
    item_extra = getattr(item, "extra", {})
    kind = entity_kind(description, item_extra.get(_EXTRA_TYPE), value is not None, location is not None)
    members = progenitors = None
    if isinstance(item, ItemDescription):
        if item.members is not None:
            members = entity_plan(item.members, definitions, None)
        if item.progenitors is not None:
            progenitors = entity_plan(item.progenitors, definitions, None)
    place = location or value
    key = place.text if place is not None else ""
    return EntityPlan(
        role=role,
        kind=kind,
        value=value,
        location=location,
        id=id_path,
        namespace=item.namespace or None,
        description_name=name,
        static=_static_attributes(description, name, _default_type(kind), item_extra),
        index=description.index if description is not None else None,
        members=members,
        progenitors=progenitors,
        key=key,
        element=element,
        by_value=(kind == OBJECT and value is not None and location is None and id_path is None
                  and not item.namespace and not name),
        used_tail=fragment({K.USED_ROLE: role}) if role is not None else "",
        generated_tail=fragment({K.GENERATED_ROLE: role}) if role is not None else "",
        embed=item_extra.get("embed") is True,
    )


class ArgumentLayout:
    """Names and defaults of a function's parameters, to bind a call without `inspect`.

    Parameters
    ----------
    func : callable
        The undecorated function.
    skip_first : bool
        True for methods: the first positional parameter (``self`` or ``cls``) is the scope,
        not an argument.
    """

    __slots__ = ("positional", "keyword_only", "defaults", "var_positional", "var_keyword", "skip_first")

    def __init__(self, func: Callable, skip_first: bool) -> None:
        self.skip_first = skip_first
        positional: list[str] = []
        defaults: dict[str, Any] = {}
        var_positional = None
        keyword_only: list[str] = []
        self.var_keyword = False
        try:
            parameters = list(inspect.signature(func).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        if skip_first and parameters and parameters[0].kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            parameters = parameters[1:]
        for parameter in parameters:
            if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                positional.append(parameter.name)
            elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                var_positional = parameter.name
            elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
                self.var_keyword = True
            elif parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                keyword_only.append(parameter.name)
            if parameter.default is not inspect.Parameter.empty:
                defaults[parameter.name] = parameter.default
        self.positional = tuple(positional)
        self.keyword_only = tuple(keyword_only)
        self.defaults = defaults
        self.var_positional = var_positional

    def bind(self, args: tuple, kwargs: dict) -> tuple[dict, set]:
        """Return ``(bound, given_by_position)``: every argument value by name, defaults included."""
        names = self.positional
        count = min(len(args), len(names))
        bound = dict(zip(names, args))
        for index, value in enumerate(args[count:]):
            bound[f"{self.var_positional or 'args'}[{index}]"] = value
        bound.update(kwargs)
        for name, default in self.defaults.items():
            if name not in bound:
                bound[name] = default
        return bound, set(names[:count])


@dataclass(frozen=True)
class ActivityPlan:
    """Everything a traced function logs, resolved once at decoration time.

    Attributes
    ----------
    name : str
        Activity name (the function name unless given).
    function : str
        ``module.qualname`` of the function.
    module : str
        Module of the function.
    globals : dict
        The function's module namespace (looked up, never copied).
    scope : str or None
        ``"self"`` or ``"cls"`` when the first argument is the instance or class.
    layout : ArgumentLayout
        Parameter names and defaults.
    description : ActivityDescription or None
        Its description in the definitions.
    parameters : tuple of (str, ValuePath)
        Described parameters.
    usage, generation : tuple of EntityPlan
        Described usages and generations.
    described_arguments : frozenset of str
        Arguments already logged through the description (not logged again as arguments).
    free_arguments : bool
        Whether some argument may be left that the description does not log.
    name_text : str
        The name as a JSON string.
    function_tail : str
        The function as the last members of a start record (``,"function":"…"``).
    instance : EntityPlan or None
        For a method the definitions do not describe: the plan of its instance's state, used
        as role ``self`` and generated anew (role ``self``) when the call changed it.
    """

    name: str
    function: str
    module: str
    globals: dict
    scope: str | None
    layout: ArgumentLayout
    description: ActivityDescription | None
    parameters: tuple
    usage: tuple
    generation: tuple
    described_arguments: frozenset
    free_arguments: bool
    name_text: str = ""
    function_tail: str = ""
    instance: EntityPlan | None = None


def instance_plan() -> EntityPlan:
    """Return the plan of the state of a method's instance, identified by its digest (role ``self``)."""
    return EntityPlan(
        role="self", kind=OBJECT, value=compile_path("self"), location=None, id=None, namespace=None,
        description_name=None, static={K.TYPE: "PythonObject"}, index=None, key="self", by_value=True,
        used_tail=fragment({K.USED_ROLE: "self"}), generated_tail=fragment({K.GENERATED_ROLE: "self"}),
    )


def _argument_names(paths, arguments: set) -> frozenset:
    names = set()
    for path in paths:
        if path is None:
            continue
        if path.arg_name is not None:
            names.add(path.arg_name)
        elif path.root in arguments:
            names.add(path.root)
    return frozenset(names)


def activity_plan(func: Callable, definitions: Definitions, name: str | None, scope: str | None) -> ActivityPlan:
    """Build the plan of ``func``; ``scope`` is ``"self"``, ``"cls"`` or None."""
    activity_name = name or func.__name__
    qualname = getattr(func, "__qualname__", activity_name)
    description = definitions.get_activity(activity_name, qualname)
    parameters: tuple = ()
    usage: tuple = ()
    generation: tuple = ()
    paths = []
    if description is not None:
        parameters = tuple((p.name, p.value) for p in description.parameters if p.value is not None)
        usage = tuple(entity_plan(item, definitions, item.role) for item in description.usage)
        generation = tuple(entity_plan(item, definitions, item.role) for item in description.generation)
        paths = [p for _, p in parameters]
        for plan in usage + generation:
            paths.extend((plan.value, plan.location, plan.id))
    module = getattr(func, "__module__", None) or "__main__"
    layout = ArgumentLayout(func, scope is not None)
    arguments = set(layout.positional) | set(layout.keyword_only) | set(layout.defaults)
    described = _argument_names(paths, arguments)
    return ActivityPlan(
        name=activity_name,
        function=f"{module}.{qualname}",
        module=module,
        globals=getattr(func, "__globals__", {}),
        scope=scope,
        layout=layout,
        description=description,
        parameters=parameters,
        usage=usage,
        generation=generation,
        described_arguments=described,
        free_arguments=bool(arguments - described) or layout.var_positional is not None or layout.var_keyword,
        name_text=quote(activity_name),
        function_tail=fragment({K.FUNCTION: f"{module}.{qualname}"}),
        instance=instance_plan() if scope == "self" and description is None else None,
    )


def guess_scope(func: Callable) -> str | None:
    """Return ``"self"``/``"cls"`` when the function's first parameter is named so."""
    code = getattr(func, "__code__", None)
    if code is None or code.co_argcount == 0:
        return None
    first = code.co_varnames[0]
    return first if first in ("self", "cls") else None
