"""PROV-O as N-Triples (or N-Quads of the default graph), written line by line.

The triples are those of `logprov.export.rdf.to_graph`: `prov`'s PROV-O encoding (elements as
typed resources, relations in PROV-O's qualified form) plus, with ``shortcuts``, the plain
triple of every relation. Relation nodes are blank nodes, so the output is isomorphic to, not
identical with, the triples of the `prov.model` path.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

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

__all__ = [
    "RdfStreamWriter", "Triple", "SUBJECT", "TARGET", "TIME", "NODE", "relation_triples", "template_part", "typed_literal",
]

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATETIME = f"<{_XSD}dateTime>"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_CACHE_LIMIT = 1 << 16
_FLUSH_EVERY = 8192


def _iri(uri: str) -> str:
    return f"<{uri}>"


def _fixed(uri: str) -> str:
    """Return the IRI term of ``uri`` for use in a `str.format` template."""
    return _iri(uri).replace("{", "{{").replace("}", "}}")


def typed_literal(value: Any, datatype: Callable[[str], str], iri: Callable[[str], str]) -> str:
    """Return the RDF term of an attribute value, as `prov`'s PROV-O encoder types it.

    ``datatype(name)`` gives the term of the XSD datatype ``name`` (``double``…) and ``iri(uri)``
    that of an IRI, in the syntax of the format; strings are escaped as N-Triples and Turtle
    both read them.
    """
    kind = type(value)
    if kind is str:
        if '"' in value or "\\" in value or "\n" in value or "\r" in value:
            value = value.translate(_ESCAPES)
        return f'"{value}"'
    if kind is QualifiedName:
        return iri(value.uri)
    if kind is bool:
        return f'"{"true" if value else "false"}"^^{datatype("boolean")}'
    if kind is int:
        return f'"{value}"^^{datatype(canonical_xsd_datatype(value).localpart)}'  # type: ignore[union-attr]
    if kind is float:
        return f'"{xsd_double_text(value)}"^^{datatype("double")}'
    if isinstance(value, datetime.datetime):
        return f'"{xsd_datetime_text(value)}"^^{datatype("dateTime")}'
    return f'"{str(value).translate(_ESCAPES)}"'


def _xsd(name: str) -> str:
    return f"<{_XSD}{name}>"


def _literal(value: Any) -> str:
    """Return the N-Triples term of an attribute value (see `typed_literal`)."""
    return typed_literal(value, _xsd, _iri)


@lru_cache(maxsize=None)
def _element_predicate(attribute: QualifiedName) -> str:
    if attribute == PROV_LOCATION:
        return _iri(PROV["atLocation"].uri)
    return _iri(str(rdf_element_predicates().get(attribute, attribute.uri)))


#: A triple of a relation: subject, predicate IRI and object. The subject is `SUBJECT` or
#: `NODE`, the object `TARGET`, `TIME`, `NODE` or a term of the format (holes are ints).
Triple = Tuple[int, str, Union[int, str]]
#: The holes of a relation template: the subject, the target, the third term (a time, or the
#: activity of a derivation) and the blank node of the qualified form.
SUBJECT, TARGET, TIME, NODE = 0, 1, 2, 3
RDF_TYPE = _RDF_TYPE[1:-1]


def relation_triples(
    kind: str,
    timed: bool,
    attributes: Tuple[Tuple[QualifiedName, str], ...],
    shortcuts: bool,
    iri: Callable[[str], str] = _iri,
) -> List[Triple]:
    """Return the triples with which `prov` encodes a relation of one kind, with or without its
    third term, with attributes (given with their values as terms of the format).

    The qualified form's type, the record type, is an object given by ``iri`` (the term of
    an IRI in the format) like the attribute terms.
    """
    names = tuple(name for name, _ in attributes)
    record_type = RECORD_TYPES[kind]
    formal = list(FORMAL_ATTRIBUTES[kind])
    qualified = bool(names) or timed
    valued = {0, 1} | ({THIRD_SLOT[kind]} if timed else set())
    binary = not (record_type in rdf_qualified_only() and not (valued == {0, 1} and not names))
    consumed = binary and not (record_type in rdf_binary_influencers() and qualified)
    predicate = rdf_qualified_predicate
    triples: List[Triple] = []
    if binary or shortcuts:
        triples.append((SUBJECT, PROV[kind].uri, TARGET))
    if qualified:
        triples.append((SUBJECT, PROV["qualified" + record_type.localpart].uri, NODE))
        triples.append((NODE, RDF_TYPE, iri(record_type.uri)))
        if not consumed:
            triples.append((NODE, str(predicate(record_type, formal[1], formal)), TARGET))
        if timed:
            triples.append((NODE, str(predicate(record_type, formal[THIRD_SLOT[kind]], formal)), TIME))
        for name, term in attributes:
            triples.append((NODE, str(predicate(record_type, name, formal)), term))
    return triples


#: The text of each hole in a `str.format` template of `logprov.export.templates`.
HOLES = {SUBJECT: "{0}", TARGET: "{1}", TIME: "{2}", NODE: "_:b{3}"}


def template_part(part: Union[int, str]) -> str:
    """Return a subject or object of a `Triple` as it stands in a `str.format` template."""
    if type(part) is int:
        return HOLES[part]
    return str(part).replace("{", "{{").replace("}", "}}")


def _relation_template(
    kind: str, timed: bool, attributes: Tuple[Tuple[QualifiedName, str], ...], shortcuts: bool
) -> str:
    """Return the `str.format` template of a relation (see `relation_triples`) in N-Triples:
    one line a triple."""
    return "".join(
        f"{template_part(subject)} {_fixed(predicate)} {template_part(target)} .\n"
        for subject, predicate, target in relation_triples(kind, timed, attributes, shortcuts)
    )


class RdfStreamWriter(StatementWriter):
    """A `logprov.model.statementsink.StatementSink` writing N-Triples straight to the output.

    Parameters
    ----------
    folder : str
        Unused: nothing waits on disk.
    shortcuts : bool
        Add the plain triple of every relation (see `logprov.export.rdf.to_graph`).
    literal : callable
        The term of an attribute value or a time: an N-Triples term by default.
    """

    def __init__(self, folder: str, *, shortcuts: bool = True, literal: Callable[[Any], str] = _literal) -> None:
        super().__init__(literal, flush_every=_FLUSH_EVERY)
        self.shortcuts = shortcuts
        self.literal = literal
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

    def _attribute_suffixes(self, attributes: Sequence[Pair]) -> List[str]:
        """Return `` predicate object .`` and a line break for each attribute of an element."""
        literal = self.literal
        return [f" {_element_predicate(attribute)} {literal(value)} .\n" for attribute, value in attributes]

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
        literal = self.literal
        terms = tuple((name, literal(value)) for name, value in attributes)
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

