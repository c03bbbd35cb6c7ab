"""PROV-O as Turtle, written statement by statement.

The triples are those of the N-Triples export (`logprov.export.ntwriter`), written with
prefixed names where Turtle allows them and grouped by subject: an element is one
statement (``node a prov:Entity ; prov:atLocation … .``), a relation its plain triple and its
qualified form. The prefixes of the document's namespaces come first; a namespace first met
during the export is declared just before the statement that first uses it, which Turtle
allows anywhere between statements. Names whose local part is not a prefixed name of
Turtle (`PN_LOCAL` is kept to a safe subset here) are written as full IRIs.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from prov.constants import PROV, PROV_ATTR_ENDTIME, PROV_ATTR_STARTTIME, PROV_LOCATION
from prov.identifier import Namespace, QualifiedName

from ..model.mapping import Pair
from .destinations import BinaryOutput
from .ntwriter import RDF_TYPE, RdfStreamWriter, Triple, relation_triples, template_part, typed_literal
from .provcompat import rdf_element_predicates
from .recordtypes import RECORD_TYPES
from .statementwriter import Time
from .templates import Fill, compile_template

__all__ = ["TurtleStreamWriter", "PN_PREFIX", "PN_LOCAL"]

#: The prefixes written as prefixed names: a safe subset of Turtle's ``PN_PREFIX``.
PN_PREFIX = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")
#: The local parts written as prefixed names: a safe subset of Turtle's ``PN_LOCAL`` (no
#: escapes, no ``:`` and no ``%``, not ending with ``.``).
PN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: Namespaces every document declares first, whatever its own are.
_FIXED = {"rdf": _RDF, "xsd": _XSD, "prov": PROV.uri}
_INDENT = " ;\n    "


def _xsd(name: str) -> str:
    return f"xsd:{name}"


class TurtleStreamWriter(RdfStreamWriter):
    """A `logprov.model.statementsink.StatementSink` writing Turtle straight to the output.

    Parameters
    ----------
    folder : str
        Unused: nothing waits on disk.
    shortcuts : bool
        Add the plain triple of every relation (see `logprov.export.rdf.to_graph`).
    """

    def __init__(self, folder: str, *, shortcuts: bool = True) -> None:
        self._declared: Dict[str, str] = dict(_FIXED)
        self._compact: Dict[str, str] = {}
        super().__init__(folder, shortcuts=shortcuts, literal=self._literal)
        self.time_text = '"%s"^^xsd:dateTime'
        self._types = {kind: " a prov:" + RECORD_TYPES[kind].localpart for kind in ("entity", "activity", "agent")}
        self._start = _INDENT + self._predicate(PROV_ATTR_STARTTIME) + " "
        self._end = _INDENT + self._predicate(PROV_ATTR_ENDTIME) + " "

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        """Set where the document goes and write the prefixes of ``namespaces``."""
        super().start(output, namespaces)
        for prefix, uri in _FIXED.items():
            self.lines.append(f"@prefix {prefix}: <{uri}> .\n")
        for prefix, namespace in list(namespaces.items()):
            self._declare(prefix, namespace.uri)
        self.lines.append("\n")

    def _declare(self, prefix: str, uri: str) -> bool:
        """Declare ``prefix`` for ``uri`` unless it is declared already; return whether names
        of ``uri`` may be written with ``prefix``."""
        found = self._declared.get(prefix)
        if found is not None:
            return found == uri
        if not PN_PREFIX.fullmatch(prefix) or not uri or any(char in uri for char in '<>"{}|^`\\ \n'):
            return False
        self._declared[prefix] = uri
        self._compact.clear()
        self.lines.append(f"@prefix {prefix}: <{uri}> .\n")
        return True

    def _iri(self, uri: str) -> str:
        """Return the term of ``uri``: a prefixed name of a declared namespace, or ``<uri>``."""
        found = self._compact.get(uri)
        if found is None:
            found = f"<{uri}>"
            if uri == RDF_TYPE:
                found = "a"
            else:
                for prefix, namespace in self._declared.items():
                    if uri.startswith(namespace) and PN_LOCAL.fullmatch(uri[len(namespace):]):
                        found = f"{prefix}:{uri[len(namespace):]}"
                        break
            self._compact[uri] = found
        return found

    def _literal(self, value: Any) -> str:
        """Return the Turtle term of an attribute value, typed as in the N-Triples export."""
        return typed_literal(value, _xsd, self._iri)

    def _predicate(self, attribute: QualifiedName) -> str:
        if attribute == PROV_LOCATION:
            return self._iri(PROV["atLocation"].uri)
        return self._iri(str(rdf_element_predicates().get(attribute, attribute.uri)))

    def _node(self, name: str) -> str:
        node = self._names.get(name)
        if node is None:
            prefix, _, local = name.partition(":")
            uri = self._namespaces[prefix].uri
            if PN_LOCAL.fullmatch(local) and self._declare(prefix, uri):
                node = name
            else:
                node = f"<{uri}{local}>"
            if len(self._names) > 1 << 16:
                self._names.clear()
            self._names[name] = node
        return node

    def _attribute_suffixes(self, attributes: Sequence[Pair]) -> List[str]:
        """Return `` ;``, a line break, an indent and ``predicate object`` for each attribute."""
        return [f"{_INDENT}{self._predicate(attribute)} {self._literal(value)}" for attribute, value in attributes]

    def _template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Fill:
        terms = tuple((name, self._literal(value)) for name, value in attributes)
        return compile_template(self._statements(relation_triples(kind, timed, terms, self.shortcuts, self._iri)))

    def _statements(self, triples: List[Triple]) -> str:
        """Return the `str.format` template of ``triples``, those of one subject in a row as
        one statement."""
        text = []
        subject: Optional[int] = None
        for this, predicate, target in triples:
            if this == subject:
                text.append(_INDENT)
            else:
                if subject is not None:
                    text.append(" .\n")
                text.append(template_part(this) + " ")
                subject = this
            text.append(f"{template_part(self._iri(predicate))} {template_part(target)}")
        if subject is not None:
            text.append(" .\n")
        return "".join(text)

    def element(self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None) -> None:
        node = self._names.get(name) or self._node(name)
        text = node + self._types[kind]
        if start is not None:
            text += self._start + self.time_of(start)
        if end is not None:
            text += self._end + self.time_of(end)
        if attributes:
            if type(attributes) is tuple:
                suffixes = self._suffixes(attributes)
            else:
                suffixes = self._attribute_suffixes(attributes)
            text += "".join(suffixes)
        self.add_line(text + " .\n")

