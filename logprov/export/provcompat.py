"""The internals of `prov` that the streamed writers rely on, each reached from here only.

The one-pass writers (`logprov.export.jsonwriter` and the others) write what `prov`'s own
serializers would write, statement by statement. They need a few of `prov`'s private helpers
to do so: the text of an ``xsd:dateTime`` and of an ``xsd:double``, the PROV-XML element of an
attribute, the PROV-O predicates of qualified relations. Those are not part of `prov`'s public
API and may change in any release, so they are imported in this module alone, and the ``prov``
requirement of the ``export`` extra (``pyproject.toml``) is bounded to the releases checked
against them (``tests/test_provcompat.py`` compares each with `prov`'s public output).

The PROV-XML helpers need ``lxml`` and the PROV-O ones ``rdflib``: they are imported when
first asked for, so that importing this module needs `prov` only.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, FrozenSet, List, Mapping, Sequence, Tuple

from prov.identifier import QualifiedName
from prov.model.records import _xsd_datetime_text, _xsd_double_text, encoding_provn_value

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "xsd_datetime_text",
    "xsd_double_text",
    "provn_value",
    "xml_name",
    "xml_record_label",
    "xml_add_attribute",
    "rdf_qualified_predicate",
    "rdf_element_predicates",
    "rdf_qualified_only",
    "rdf_binary_influencers",
]

Pair = Tuple[QualifiedName, Any]


def xsd_datetime_text(value: datetime.datetime) -> str:
    """Return the ``xsd:dateTime`` text `prov` writes for ``value``."""
    return _xsd_datetime_text(value)


def xsd_double_text(value: float) -> str:
    """Return the ``xsd:double`` text `prov` writes for ``value``."""
    return _xsd_double_text(value)


def provn_value(value: Any) -> str:
    """Return the PROV-N literal `prov` writes for an attribute value."""
    return encoding_provn_value(value)


def xml_name(local: str) -> str:
    """Return the Clark name (``{uri}local``) of ``local`` in the PROV namespace."""
    return _xml()[0](local)


def xml_record_label(record_type: QualifiedName, attributes: List[Pair]) -> str:
    """Return the local name of the PROV-XML element of a record of ``record_type``."""
    return _xml()[1](record_type, attributes)


def xml_add_attribute(element: "etree._Element", attribute: QualifiedName, value: Any) -> None:
    """Add the child element `prov` writes for one attribute of a record to ``element``."""
    _xml()[2](element, attribute, value, False)


def rdf_qualified_predicate(
    record_type: QualifiedName, attribute: QualifiedName, formal: Sequence[QualifiedName]
) -> str:
    """Return the PROV-O predicate IRI of ``attribute`` on the qualified node of a relation."""
    return str(_rdf()[0](record_type, attribute, list(formal)))


def rdf_element_predicates() -> Mapping[QualifiedName, Any]:
    """Return the PROV-O predicates `prov` uses for the attributes of elements."""
    return _rdf()[1]


def rdf_qualified_only() -> FrozenSet[QualifiedName]:
    """Return the relation types `prov` writes in qualified form only, with no plain triple."""
    return _rdf()[2]


def rdf_binary_influencers() -> FrozenSet[QualifiedName]:
    """Return the relation types whose plain triple `prov` writes next to the qualified node."""
    return _rdf()[3]


@lru_cache(maxsize=None)
def _xml() -> Tuple[Callable[[str], str], Callable[..., str], Callable[..., None]]:
    from prov.serializers.provxml import ProvXMLSerializer, _encode_attribute, _ns_prov

    return _ns_prov, ProvXMLSerializer()._derive_record_label, _encode_attribute


@lru_cache(maxsize=None)
def _rdf() -> Tuple[Callable[..., Any], Mapping[QualifiedName, Any], FrozenSet[QualifiedName], FrozenSet[QualifiedName]]:
    from prov.serializers.provrdf import (
        _BINARY_TRIPLE_INFLUENCER_RELATIONS,
        _ELEMENT_ATTR_PREDICATES,
        _QUALIFIED_ONLY_RELATIONS,
        ProvRDFSerializer,
    )

    return (
        ProvRDFSerializer()._qualified_attr_predicate,
        _ELEMENT_ATTR_PREDICATES,
        frozenset(_QUALIFIED_ONLY_RELATIONS),
        frozenset(_BINARY_TRIPLE_INFLUENCER_RELATIONS),
    )
