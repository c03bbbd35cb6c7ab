"""PROV-O as N-Triples (or N-Quads of the default graph), written line by line.

The triples are those of `logprov.export.rdf.to_graph`: `prov`'s PROV-O encoding (elements as
typed resources, relations in PROV-O's qualified form) plus, with ``shortcuts``, the plain
triple of every relation. Relation nodes are blank nodes, so the output is isomorphic to, not
identical with, the triples of the `prov.model` path.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from prov.constants import PROV, PROV_ATTR_ENDTIME, PROV_ATTR_STARTTIME, PROV_LOCATION
from prov.identifier import Namespace, QualifiedName
from prov.model import canonical_xsd_datatype
from prov.model.records import _xsd_datetime_text, _xsd_double_text
from prov.serializers.provrdf import (
    _BINARY_TRIPLE_INFLUENCER_RELATIONS,
    _ELEMENT_ATTR_PREDICATES,
    _QUALIFIED_ONLY_RELATIONS,
    ProvRDFSerializer,
)

from .timetexts import TimeTexts
from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES, RECORD_TYPES, TIME_SLOT
from .spools import BinaryOutput

__all__ = ["RdfStreamWriter"]

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATETIME = f"<{_XSD}dateTime>"
_DOUBLE = f"<{_XSD}double>"
_BOOLEAN = f"<{_XSD}boolean>"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_CACHE_LIMIT = 1 << 16


def _iri(uri: str) -> str:
    return f"<{uri}>"


def _fixed(uri: str) -> str:
    """Return the IRI term of ``uri`` for use in a `str.format` template."""
    return _iri(uri).replace("{", "{{").replace("}", "}}")


def _literal(value: object) -> str:
    """Return the N-Triples term of an attribute value, as `prov`'s PROV-O encoder types it."""
    kind = type(value)
    if kind is str:
        if '"' in value or "\\" in value or "\n" in value or "\r" in value:
            value = value.translate(_ESCAPES)
        return f'"{value}"'
    if kind is QualifiedName:
        return f"<{value.uri}>"
    if kind is bool:
        return f'"{"true" if value else "false"}"^^{_BOOLEAN}'
    if kind is int:
        return f'"{value}"^^<{_XSD}{canonical_xsd_datatype(value).localpart}>'
    if kind is float:
        return f'"{_xsd_double_text(value)}"^^{_DOUBLE}'
    if isinstance(value, datetime.datetime):
        return f'"{_xsd_datetime_text(value)}"^^{_DATETIME}'
    return f'"{str(value).translate(_ESCAPES)}"'


@lru_cache(maxsize=None)
def _element_predicate(attribute: QualifiedName) -> str:
    if attribute == PROV_LOCATION:
        return _iri(PROV["atLocation"].uri)
    return _iri(str(_ELEMENT_ATTR_PREDICATES.get(attribute, attribute.uri)))


class _Plan:
    """How `prov` encodes a relation of one kind, with or without time, with given attributes.

    ``template`` takes the subject, the target, the blank node number, the time and the
    attribute values (all as N-Triples terms) by position.
    """

    __slots__ = ("template",)

    def __init__(self, kind: str, timed: bool, names: Tuple[QualifiedName, ...], shortcuts: bool) -> None:
        record_type = RECORD_TYPES[kind]
        formal = list(FORMAL_ATTRIBUTES[kind])
        qualified = bool(names) or timed
        valued = {0, 1} | ({TIME_SLOT[kind]} if timed else set())
        binary = not (record_type in _QUALIFIED_ONLY_RELATIONS and not (valued == {0, 1} and not names))
        consumed = binary and not (record_type in _BINARY_TRIPLE_INFLUENCER_RELATIONS and qualified)
        predicate = ProvRDFSerializer()._qualified_attr_predicate
        lines = []
        if binary or shortcuts:
            lines.append(f"{{0}} {_fixed(PROV[kind].uri)} {{1}} .")
        if qualified:
            node = "_:b{2}"
            lines.append(f"{{0}} {_fixed(PROV['qualified' + record_type.localpart].uri)} {node} .")
            lines.append(f"{node} {_fixed(_RDF_TYPE[1:-1])} {_fixed(record_type.uri)} .")
            if not consumed:
                lines.append(f"{node} {_fixed(str(predicate(record_type, formal[1], formal)))} {{1}} .")
            if timed:
                time = formal[TIME_SLOT[kind]]
                lines.append(f"{node} {_fixed(str(predicate(record_type, time, formal)))} {{3}} .")
            for position, name in enumerate(names, 4):
                lines.append(f"{node} {_fixed(str(predicate(record_type, name, formal)))} {{{position}}} .")
        self.template = "".join(line + "\n" for line in lines)


class RdfStreamWriter:
    """A `logprov.model.stream.Sink` writing N-Triples straight to the output.

    Parameters
    ----------
    folder : str
        Unused: nothing waits on disk.
    shortcuts : bool
        Add the plain triple of every relation (see `logprov.export.rdf.to_graph`).
    """

    def __init__(self, folder: str, *, shortcuts: bool = True) -> None:
        self.shortcuts = shortcuts
        self.blank = 0
        self._output: Optional[BinaryOutput] = None
        self._uris: Dict[str, str] = {}
        self._names: Dict[str, str] = {}
        self._plans: Dict[tuple, Tuple[str, Tuple[str, ...]]] = {}
        self._time = TimeTexts(_literal)
        self._properties = {kind: _iri(PROV[kind].uri) for kind in FORMAL_ATTRIBUTES}
        self._types = {kind: _iri(RECORD_TYPES[kind].uri) for kind in ("entity", "activity", "agent")}
        self._start = _element_predicate(PROV_ATTR_STARTTIME)
        self._end = _element_predicate(PROV_ATTR_ENDTIME)
        self._lines: List[str] = []

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        """Set where the triples go and the namespaces identifiers are resolved with."""
        self._output = output
        self._namespaces = namespaces

    def _node(self, name: str) -> str:
        node = self._names.get(name)
        if node is None:
            prefix, _, local = name.partition(":")
            uri = self._uris.get(prefix)
            if uri is None:
                uri = self._uris[prefix] = self._namespaces[prefix].uri
            node = f"<{uri}{local}>"
            if len(self._names) > _CACHE_LIMIT:
                self._names.clear()
            self._names[name] = node
        return node

    def _emit(self, text: str) -> None:
        lines = self._lines
        lines.append(text)
        if len(lines) >= 8192:
            self._flush()

    def _flush(self) -> None:
        if self._lines and self._output is not None:
            self._output.write("".join(self._lines).encode("utf-8", "backslashreplace"))
        self._lines = []

    def element(
        self,
        kind: str,
        name: str,
        attributes: Sequence[Pair],
        start: Optional[datetime.datetime] = None,
        end: Optional[datetime.datetime] = None,
    ) -> None:
        """Write an entity, activity or agent."""
        node = self._node(name)
        lines = [f"{node} {_RDF_TYPE} {self._types[kind]} .\n"]
        if start is not None:
            lines.append(f"{node} {self._start} {self._time(start)} .\n")
        if end is not None:
            lines.append(f"{node} {self._end} {self._time(end)} .\n")
        for attribute, value in attributes:
            lines.append(f"{node} {_element_predicate(attribute)} {_literal(value)} .\n")
        self._emit("".join(lines))

    def relation(
        self,
        kind: str,
        subject: str,
        target: str,
        time: Optional[datetime.datetime],
        attributes: Sequence[Pair],
    ) -> None:
        """Write a relation: its plain triple and, when it has more, its qualified node."""
        if type(attributes) is not tuple:
            attributes = tuple(attributes)
        key = (kind, time is not None, attributes)
        found = self._plans.get(key)
        if found is None:
            names = tuple(name for name, _ in attributes)
            plan = _Plan(kind, time is not None, names, self.shortcuts)
            found = (plan.template, tuple(_literal(value) for _, value in attributes))
            if len(self._plans) > _CACHE_LIMIT:
                self._plans.clear()
            self._plans[key] = found
        template, values = found
        self.blank += 1
        moment = "" if time is None else self._time(time)
        self._emit(template.format(self._node(subject), self._node(target), self.blank, moment, *values))

    def finish(self) -> None:
        """Write the triples still buffered."""
        self._flush()

    def close(self) -> None:
        """Drop what is buffered."""
        self._lines = []
