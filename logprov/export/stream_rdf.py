"""PROV-O as N-Triples (or N-Quads of the default graph), written line by line.

The triples are those of `logprov.export.rdf.to_graph`: `prov`'s PROV-O encoding (elements as
typed resources, relations in PROV-O's qualified form) plus, with ``shortcuts``, the plain
triple of every relation. Relation nodes are blank nodes, so the output is isomorphic to, not
identical with, the triples of the `prov.model` path.
"""

from __future__ import annotations

import datetime
import itertools
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

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

from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES, RECORD_TYPES, TIME_SLOT
from .memos import IdentityMemo
from .spools import BinaryOutput
from .templates import Fill, compile_template
from .timetexts import TimeTexts

__all__ = ["RdfStreamWriter"]

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATETIME = f"<{_XSD}dateTime>"
_DOUBLE = f"<{_XSD}double>"
_BOOLEAN = f"<{_XSD}boolean>"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_CACHE_LIMIT = 1 << 16
_FLUSH_EVERY = 8192


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


def _relation_template(
    kind: str, timed: bool, attributes: Tuple[Tuple[QualifiedName, str], ...], shortcuts: bool
) -> str:
    """Return how `prov` encodes a relation of one kind, with or without time, with attributes.

    The result is a `str.format` template of the subject, the target, the time and the blank
    node number (all as N-Triples terms), by position; the attributes, given with their values
    as N-Triples terms, are part of it.
    """
    names = tuple(name for name, _ in attributes)
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
        node = "_:b{3}"
        lines.append(f"{{0}} {_fixed(PROV['qualified' + record_type.localpart].uri)} {node} .")
        lines.append(f"{node} {_fixed(_RDF_TYPE[1:-1])} {_fixed(record_type.uri)} .")
        if not consumed:
            lines.append(f"{node} {_fixed(str(predicate(record_type, formal[1], formal)))} {{1}} .")
        if timed:
            time = formal[TIME_SLOT[kind]]
            lines.append(f"{node} {_fixed(str(predicate(record_type, time, formal)))} {{2}} .")
        for name, term in attributes:
            term = term.replace("{", "{{").replace("}", "}}")
            lines.append(f"{node} {_fixed(str(predicate(record_type, name, formal)))} {term} .")
    return "".join(line + "\n" for line in lines)


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
        self.blank = itertools.count(1)
        self.time_text = f'"%s"^^{_DATETIME}'
        self._output: Optional[BinaryOutput] = None
        self._namespaces: Mapping[str, Namespace] = {}
        self._uris: Dict[str, str] = {}
        self._names: Dict[str, str] = {}
        self._plans: Dict[Tuple[str, bool], IdentityMemo[Fill]] = {}
        self._time = TimeTexts(_literal)
        self._suffixes: IdentityMemo[str] = IdentityMemo(self._attribute_suffixes)
        self._types = {
            kind: f" {_RDF_TYPE} {_iri(RECORD_TYPES[kind].uri)} .\n" for kind in ("entity", "activity", "agent")
        }
        self._start = f" {_element_predicate(PROV_ATTR_STARTTIME)} "
        self._end = f" {_element_predicate(PROV_ATTR_ENDTIME)} "
        self.lines: List[str] = []

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

    def _moment(self, time: datetime.datetime) -> str:
        found = self._time.seen.get(id(time))
        if found is not None and found[0] is time:
            return found[1]
        return self._time(time)

    @staticmethod
    def _attribute_suffixes(attributes: Sequence[Pair]) -> List[str]:
        """Return `` predicate object .`` and a line break for each attribute of an element."""
        return [f" {_element_predicate(attribute)} {_literal(value)} .\n" for attribute, value in attributes]

    def term(self, name: str) -> str:
        """Return the IRI term of the identifier ``name`` (``prefix:local`` text)."""
        return self._names.get(name) or self._node(name)

    def moment(self, time: datetime.datetime) -> str:
        """Return the literal of a time."""
        return self._moment(time)

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        """Return where the triples of a relation go and the function writing them.

        The function is ``fill(subject, target, time, blank)``, of the subject and the target
        as given by `term`, the time as given by `moment` and a blank node number.
        """
        if type(attributes) is not tuple:
            return self.lines, self._template(kind, timed, attributes)
        memo = self._plans.get((kind, timed))
        if memo is None:
            memo = self._plans[(kind, timed)] = IdentityMemo(
                lambda pairs: self._template(kind, timed, pairs), _CACHE_LIMIT
            )
        return self.lines, memo(attributes)

    def _template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Fill:
        terms = tuple((name, _literal(value)) for name, value in attributes)
        return compile_template(_relation_template(kind, timed, terms, self.shortcuts))

    def flush(self) -> None:
        """Write the triples buffered so far."""
        lines = self.lines
        if lines and self._output is not None:
            self._output.write("".join(lines).encode("utf-8", "backslashreplace"))
        lines.clear()

    def element(
        self,
        kind: str,
        name: str,
        attributes: Sequence[Pair],
        start: Union[datetime.datetime, str, None] = None,
        end: Union[datetime.datetime, str, None] = None,
    ) -> None:
        """Write an entity, activity or agent (times as datetimes or as `moment` gives them)."""
        node = self._names.get(name) or self._node(name)
        text = node + self._types[kind]
        if start is not None:
            text += node + self._start + (start if type(start) is str else self._moment(start)) + " .\n"
        if end is not None:
            text += node + self._end + (end if type(end) is str else self._moment(end)) + " .\n"
        if attributes:
            if type(attributes) is tuple:
                suffixes = self._suffixes(attributes)
            else:
                suffixes = self._attribute_suffixes(attributes)
            text += node + node.join(suffixes)
        lines = self.lines
        lines.append(text)
        if len(lines) >= _FLUSH_EVERY:
            self.flush()

    def finish(self) -> None:
        """Write the triples still buffered."""
        self.flush()

    def close(self) -> None:
        """Drop what is buffered."""
        self.lines.clear()
