"""Descriptions of the IVOA Provenance DM, from the definitions of a session, as PROV entities.

Each description becomes an entity typed ``voprov:ActivityDescription``,
``voprov:UsageDescription``, ``voprov:GenerationDescription``, ``voprov:ParameterDescription``
or ``voprov:EntityDescription``. Its id holds a digest of its content, so sessions that share
definitions share description entities and sessions with different definitions do not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

from prov.constants import PROV_TYPE
from prov.identifier import QualifiedName

from .identifiers import LOGPROV, VOPROV, IdMaker, local_part
from .literals import Pair, Record, attribute_value

__all__ = ["DescriptionIndex", "describe", "DESCRIBED_BY"]

DESCRIBED_BY = VOPROV["isDescribedBy"]
#: Functions whose description name an index remembers.
_FUNCTIONS_KEPT = 4096

_ENTITY_KEYS = ("entityType", "entity_description", "entity_type", "entitytype")
_LOGPROV_KEYS = {
    "value": LOGPROV["valuePath"],
    "location": LOGPROV["locationPath"],
    "namespace": LOGPROV["idNamespace"],
    "id": LOGPROV["idPath"],
    "has_members": LOGPROV["hasMembers"],
    "has_progenitors": LOGPROV["hasProgenitors"],
}
_ITEM_LISTS = (
    ("usage", ("usage", "usages"), "UsageDescription"),
    ("generation", ("generation", "generations"), "GenerationDescription"),
    ("parameter", ("parameters", "parameter"), "ParameterDescription"),
)


@dataclass
class DescriptionIndex:
    """Where to find the description entity of an activity, usage, generation, parameter, entity."""

    activities: Dict[str, QualifiedName] = field(default_factory=dict)
    usage: Dict[Tuple[str, str], QualifiedName] = field(default_factory=dict)
    generation: Dict[Tuple[str, str], QualifiedName] = field(default_factory=dict)
    parameter: Dict[Tuple[str, str], QualifiedName] = field(default_factory=dict)
    entities: Dict[str, QualifiedName] = field(default_factory=dict)
    #: The activity descriptions named ``Class.method``, longest first.
    qualified: List[str] = field(default_factory=list)
    _by_function: Dict[str, str] = field(default_factory=dict)

    def activity_name(self, name: Optional[str], function: Any) -> str:
        """Return the name under which the activity ``name``, run as ``function`` (its module
        and qualified name), is described: the ``Class.method`` description that ``function``
        ends with, which the capture looked up first, else ``name``."""
        if self.qualified and type(function) is str:
            found = self._by_function.get(function)
            if found is None:
                found = next((key for key in self.qualified if function.endswith("." + key)), "")
                if len(self._by_function) < _FUNCTIONS_KEPT:
                    self._by_function[function] = found
            if found:
                return found
        return name or ""


def _digest(kind: str, name: str, content: Any) -> str:
    text = json.dumps([kind, name, content], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def _named(section: Any) -> Iterator[tuple[str, Record]]:
    if isinstance(section, dict):
        for name, content in section.items():
            yield str(name), content if isinstance(content, dict) else {}
    elif isinstance(section, list):
        for content in section:
            if isinstance(content, dict) and content.get("name") is not None:
                yield str(content["name"]), content


def _items(content: Record, keys: tuple[str, ...]) -> list[Record]:
    for key in keys:
        items = content.get(key)
        if isinstance(items, list):
            return [item for item in items if isinstance(item, dict)]
    return []


def _attributes(content: Record, skip: tuple[str, ...] = ()) -> List[Pair]:
    pairs: List[Pair] = []
    for key, value in content.items():
        if key in skip or value is None:
            continue
        attribute = _LOGPROV_KEYS.get(key) or VOPROV[local_part(str(key))]
        pairs.append((attribute, attribute_value(value)))
    return pairs


def describe(definitions: Any, ids: IdMaker, out: Dict[QualifiedName, List[Pair]]) -> DescriptionIndex:
    """Add the description entities of ``definitions`` to ``out`` and index them.

    Both dialects are read: ``activities``/``entities`` with ``entityType``, and the 0.0.2
    ``activity_descriptions``/``entity_descriptions`` with ``entity_description``.

    Parameters
    ----------
    definitions : dict
        The ``definitions`` of a session record.
    ids : IdMaker
        Makes the description ids.
    out : dict
        Description entities by id, with their attributes; existing ones are kept.

    Returns
    -------
    DescriptionIndex
        The description ids by activity name, (activity, role), (activity, parameter) and
        entity description name.
    """
    index = DescriptionIndex()
    if not isinstance(definitions, dict):
        return index
    entities = definitions.get("entities", definitions.get("entity_descriptions"))
    for name, content in _named(entities):
        key = ids.description(f"{name}-{_digest('entity', name, content)}")
        index.entities[name] = key
        if key not in out:
            attributes: List[Pair] = [(PROV_TYPE, VOPROV["EntityDescription"]), (VOPROV["name"], name)]
            out[key] = attributes + _attributes(content, ("name",))
    activities = definitions.get("activities", definitions.get("activity_descriptions"))
    skip = ("name",) + tuple(k for _, keys, _ in _ITEM_LISTS for k in keys)
    for name, content in _named(activities):
        base = f"{name}-{_digest('activity', name, content)}"
        key = ids.description(base)
        index.activities[name] = key
        if "." in name:
            index.qualified.append(name)
        if key not in out:
            described: List[Pair] = [(PROV_TYPE, VOPROV["ActivityDescription"]), (VOPROV["name"], name)]
            out[key] = described + _attributes(content, skip)
        for kind, keys, type_name in _ITEM_LISTS:
            lookup = getattr(index, kind)
            for number, item in enumerate(_items(content, keys), 1):
                item_key = ids.description(f"{base}.{kind}{number}")
                _index_item(lookup, name, kind, item, item_key)
                if item_key not in out:
                    out[item_key] = _item_attributes(item, type_name, key, index)
    index.qualified.sort(key=len, reverse=True)
    return index


def _index_item(lookup: Dict[Tuple[str, str], QualifiedName], activity: str, kind: str, item: Record, key: QualifiedName) -> None:
    if kind == "parameter":
        for label in (item.get("name"), item.get("value")):
            if label is not None:
                lookup.setdefault((activity, str(label)), key)
    elif item.get("role") is not None:
        lookup.setdefault((activity, str(item["role"])), key)


def _item_attributes(
    item: Record, type_name: str, activity: QualifiedName, index: DescriptionIndex
) -> List[Pair]:
    pairs: List[Pair] = [(PROV_TYPE, VOPROV[type_name]), (VOPROV["activityDescription"], activity)]
    if type_name == "ParameterDescription" and "name" not in item and item.get("value") is not None:
        pairs.append((VOPROV["name"], attribute_value(item["value"])))
    for key in _ENTITY_KEYS:
        entity = item.get(key)
        if entity is None:
            continue
        described = index.entities.get(str(entity))
        if described is not None:
            pairs.append((VOPROV["entityDescription"], described))
        else:
            pairs.append((VOPROV["entityType"], attribute_value(entity)))
        break
    return pairs + _attributes(item, _ENTITY_KEYS)
