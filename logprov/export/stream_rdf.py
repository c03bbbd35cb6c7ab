"""PROV-O as N-Triples (or N-Quads of the default graph), written line by line.

The triples are those of `logprov.export.rdf.to_graph`: `prov`'s PROV-O encoding (elements as
typed resources, relations in PROV-O's qualified form) plus, with ``shortcuts``, the plain
triple of every relation. Relation nodes are blank nodes, so the output is isomorphic to, not
identical with, the triples of the `prov.model` path.
"""

from __future__ import annotations

import datetime
import operator
import string
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

from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES, RECORD_TYPES, TIME_SLOT
from .memos import IdentityMemo
from .spools import BinaryOutput
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


class _Plan:
    """How `prov` encodes a relation of one kind, with or without time, with given attributes.

    ``template`` takes the subject, the target, the blank node number and the time (all as
    N-Triples terms) by position; the attributes, given with their values as N-Triples terms,
    are part of it. ``fill`` is the same template for the ``%`` operator, with ``arguments``,
    which picks its arguments out of ``(subject, target, node, time)`` (the first triple always
    names the subject and the target, so there are at least two).
    """

    __slots__ = ("template", "fill", "arguments")

    def __init__(
        self, kind: str, timed: bool, attributes: Tuple[Tuple[QualifiedName, str], ...], shortcuts: bool
    ) -> None:
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
            node = "_:b{2}"
            lines.append(f"{{0}} {_fixed(PROV['qualified' + record_type.localpart].uri)} {node} .")
            lines.append(f"{node} {_fixed(_RDF_TYPE[1:-1])} {_fixed(record_type.uri)} .")
            if not consumed:
                lines.append(f"{node} {_fixed(str(predicate(record_type, formal[1], formal)))} {{1}} .")
            if timed:
                time = formal[TIME_SLOT[kind]]
                lines.append(f"{node} {_fixed(str(predicate(record_type, time, formal)))} {{3}} .")
            for name, term in attributes:
                term = term.replace("{", "{{").replace("}", "}}")
                lines.append(f"{node} {_fixed(str(predicate(record_type, name, formal)))} {term} .")
        self.template = "".join(line + "\n" for line in lines)
        pieces, order = [], []
        for literal, field, _, _ in string.Formatter().parse(self.template):
            pieces.append(literal.replace("%", "%%"))
            if field is not None:
                pieces.append("%s")
                order.append(int(field))
        self.fill = "".join(pieces)
        self.arguments = operator.itemgetter(*order)


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
        self._namespaces: Mapping[str, Namespace] = {}
        self._uris: Dict[str, str] = {}
        self._names: Dict[str, str] = {}
        self._plans: Dict[Tuple[str, bool], IdentityMemo[_Plan]] = {}
        self._time = TimeTexts(_literal)
        self._suffixes: IdentityMemo[str] = IdentityMemo(self._attribute_suffixes)
        self._types = {
            kind: f" {_RDF_TYPE} {_iri(RECORD_TYPES[kind].uri)} .\n" for kind in ("entity", "activity", "agent")
        }
        self._start = f" {_element_predicate(PROV_ATTR_STARTTIME)} "
        self._end = f" {_element_predicate(PROV_ATTR_ENDTIME)} "
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

    def _moment(self, time: datetime.datetime) -> str:
        found = self._time.seen.get(id(time))
        if found is not None and found[0] is time:
            return found[1]
        return self._time(time)

    @staticmethod
    def _attribute_suffixes(attributes: Sequence[Pair]) -> List[str]:
        """Return `` predicate object .`` and a line break for each attribute of an element."""
        return [f" {_element_predicate(attribute)} {_literal(value)} .\n" for attribute, value in attributes]

    def _plan(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> _Plan:
        """Return how the triples of a relation of ``kind`` with ``attributes`` are written."""
        memo = self._plans.get((kind, timed))
        if memo is None:
            memo = self._plans[(kind, timed)] = IdentityMemo(
                lambda pairs: self._template(kind, timed, pairs), _CACHE_LIMIT
            )
        return memo(attributes)

    def _template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> _Plan:
        terms = tuple((name, _literal(value)) for name, value in attributes)
        return _Plan(kind, timed, terms, self.shortcuts)

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
        node = self._names.get(name) or self._node(name)
        text = node + self._types[kind]
        if start is not None:
            text += node + self._start + self._moment(start) + " .\n"
        if end is not None:
            text += node + self._end + self._moment(end) + " .\n"
        if attributes:
            if type(attributes) is tuple:
                suffixes = self._suffixes(attributes)
            else:
                suffixes = self._attribute_suffixes(attributes)
            text += node + node.join(suffixes)
        lines = self._lines
        lines.append(text)
        if len(lines) >= _FLUSH_EVERY:
            self._flush()

    def relation(
        self,
        kind: str,
        subject: str,
        target: str,
        time: Optional[datetime.datetime],
        attributes: Sequence[Pair],
    ) -> None:
        """Write a relation: its plain triple and, when it has more, its qualified node."""
        timed = time is not None
        memo = self._plans.get((kind, timed))
        found = memo.seen.get(id(attributes)) if memo is not None else None
        if found is not None and found[0] is attributes:
            plan = found[1]
        elif type(attributes) is tuple:
            plan = self._plan(kind, timed, attributes)
        else:
            plan = self._template(kind, timed, attributes)
        names = self._names
        self.blank += 1
        ends = (
            names.get(subject) or self._node(subject),
            names.get(target) or self._node(target),
            self.blank,
            self._moment(time) if timed else "",
        )
        text = plan.fill % plan.arguments(ends)
        lines = self._lines
        lines.append(text)
        if len(lines) >= _FLUSH_EVERY:
            self._flush()

    def finish(self) -> None:
        """Write the triples still buffered."""
        self._flush()

    def close(self) -> None:
        """Drop what is buffered."""
        self._lines = []
