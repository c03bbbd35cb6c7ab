"""PROV-O as N-Triples (or N-Quads of the default graph), written line by line.

The triples are those of `logprov.export.rdf.to_graph`: `prov`'s PROV-O encoding (elements as
typed resources, relations in PROV-O's qualified form) plus, with ``shortcuts``, the plain
triple of every relation. Relation nodes are blank nodes, so the output is isomorphic to, not
identical with, the triples of the `prov.model` path.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any, Dict, List, Sequence, Tuple

from prov.constants import PROV, PROV_ATTR_ENDTIME, PROV_ATTR_STARTTIME, PROV_LOCATION
from prov.identifier import QualifiedName
from prov.model import canonical_xsd_datatype

from ..model.mapping import Pair
from .recordtypes import FORMAL_ATTRIBUTES, RECORD_TYPES, THIRD_SLOT
from .memos import IdentityMemo
from .provcompat import (
    rdf_binary_influencers,
    rdf_element_predicates,
    rdf_qualified_only,
    rdf_qualified_predicate,
    xsd_datetime_text,
    xsd_double_text,
)
from .statementwriter import StatementWriter, Time
from .templates import Fill, compile_template

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


def _literal(value: Any) -> str:
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
        return f'"{value}"^^<{_XSD}{canonical_xsd_datatype(value).localpart}>'  # type: ignore[union-attr]
    if kind is float:
        return f'"{xsd_double_text(value)}"^^{_DOUBLE}'
    if isinstance(value, datetime.datetime):
        return f'"{xsd_datetime_text(value)}"^^{_DATETIME}'
    return f'"{str(value).translate(_ESCAPES)}"'


@lru_cache(maxsize=None)
def _element_predicate(attribute: QualifiedName) -> str:
    if attribute == PROV_LOCATION:
        return _iri(PROV["atLocation"].uri)
    return _iri(str(rdf_element_predicates().get(attribute, attribute.uri)))


def _relation_template(
    kind: str, timed: bool, attributes: Tuple[Tuple[QualifiedName, str], ...], shortcuts: bool
) -> str:
    """Return how `prov` encodes a relation of one kind, with or without its third term (a time,
    or the activity of a derivation), with attributes.

    The result is a `str.format` template of the subject, the target, the third term and the
    blank node number (all as N-Triples terms), by position; the attributes, given with their
    values as N-Triples terms, are part of it.
    """
    names = tuple(name for name, _ in attributes)
    record_type = RECORD_TYPES[kind]
    formal = list(FORMAL_ATTRIBUTES[kind])
    qualified = bool(names) or timed
    valued = {0, 1} | ({THIRD_SLOT[kind]} if timed else set())
    binary = not (record_type in rdf_qualified_only() and not (valued == {0, 1} and not names))
    consumed = binary and not (record_type in rdf_binary_influencers() and qualified)
    predicate = rdf_qualified_predicate
    lines = []
    if binary or shortcuts:
        lines.append(f"{{0}} {_fixed(PROV[kind].uri)} {{1}} .")
    if qualified:
        node = "_:b{3}"
        lines.append(f"{{0}} {_fixed(PROV['qualified' + record_type.localpart].uri)} {node} .")
        lines.append(f"{node} {_fixed(_RDF_TYPE[1:-1])} {_fixed(record_type.uri)} .")
        if not consumed:
            lines.append(f"{node} {_fixed(predicate(record_type, formal[1], formal))} {{1}} .")
        if timed:
            third = formal[THIRD_SLOT[kind]]
            lines.append(f"{node} {_fixed(predicate(record_type, third, formal))} {{2}} .")
        for name, term in attributes:
            term = term.replace("{", "{{").replace("}", "}}")
            lines.append(f"{node} {_fixed(predicate(record_type, name, formal))} {term} .")
    return "".join(line + "\n" for line in lines)


class RdfStreamWriter(StatementWriter):
    """A `logprov.model.statementsink.StatementSink` writing N-Triples straight to the output.

    Parameters
    ----------
    folder : str
        Unused: nothing waits on disk.
    shortcuts : bool
        Add the plain triple of every relation (see `logprov.export.rdf.to_graph`).
    """

    def __init__(self, folder: str, *, shortcuts: bool = True) -> None:
        super().__init__(_literal, flush_every=_FLUSH_EVERY)
        self.shortcuts = shortcuts
        self.time_text = f'"%s"^^{_DATETIME}'
        self._uris: Dict[str, str] = {}
        self._names: Dict[str, str] = {}
        self._plans: Dict[Tuple[str, bool], IdentityMemo[Fill]] = {}
        self._suffixes: IdentityMemo[List[str]] = IdentityMemo(self._attribute_suffixes)
        self._types = {
            kind: f" {_RDF_TYPE} {_iri(RECORD_TYPES[kind].uri)} .\n" for kind in ("entity", "activity", "agent")
        }
        self._start = f" {_element_predicate(PROV_ATTR_STARTTIME)} "
        self._end = f" {_element_predicate(PROV_ATTR_ENDTIME)} "

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

    @staticmethod
    def _attribute_suffixes(attributes: Sequence[Pair]) -> List[str]:
        """Return `` predicate object .`` and a line break for each attribute of an element."""
        return [f" {_element_predicate(attribute)} {_literal(value)} .\n" for attribute, value in attributes]

    def term(self, name: str) -> str:
        """Return the IRI term of the identifier ``name`` (``prefix:local`` text)."""
        return self._names.get(name) or self._node(name)

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
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

    def element(self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None) -> None:
        node = self._names.get(name) or self._node(name)
        text = node + self._types[kind]
        if start is not None:
            text += node + self._start + self.time_of(start) + " .\n"
        if end is not None:
            text += node + self._end + self.time_of(end) + " .\n"
        if attributes:
            if type(attributes) is tuple:
                suffixes = self._suffixes(attributes)
            else:
                suffixes = self._attribute_suffixes(attributes)
            text += node + node.join(suffixes)
        self.add_line(text)

    def finish(self) -> None:
        """Write the triples still buffered."""
        self.flush()

