"""PROV-O (RDF) in Turtle, JSON-LD, RDF/XML or N-Triples, through `prov` and `rdflib`."""

from __future__ import annotations

from typing import IO, Any

from prov.constants import (
    PROV,
    PROV_ASSOCIATION,
    PROV_ATTRIBUTION,
    PROV_COMMUNICATION,
    PROV_DERIVATION,
    PROV_GENERATION,
    PROV_INFLUENCE,
    PROV_MEMBERSHIP,
    PROV_USAGE,
)
from prov.model import ProvDocument, ProvRelation

from .destinations import write_to

__all__ = ["RDF_FORMATS", "to_graph", "write"]

RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "nt": "nt"}

_PROPERTIES = {
    PROV_USAGE: "used",
    PROV_GENERATION: "wasGeneratedBy",
    PROV_DERIVATION: "wasDerivedFrom",
    PROV_MEMBERSHIP: "hadMember",
    PROV_COMMUNICATION: "wasInformedBy",
    PROV_ASSOCIATION: "wasAssociatedWith",
    PROV_ATTRIBUTION: "wasAttributedTo",
    PROV_INFLUENCE: "wasInfluencedBy",
}


def to_graph(document: ProvDocument, shortcuts: bool = True) -> Any:
    """Return ``document`` as an ``rdflib.Graph`` of PROV-O triples.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    shortcuts : bool
        Add the unqualified triple (``?activity prov:used ?entity``) of every relation next to
        its qualified form (``prov:qualifiedUsage``), so simple queries find it. `prov.read`
        then reads each such relation twice: leave them out for a round trip through `prov`.

    Raises
    ------
    ImportError
        If ``rdflib`` is not installed.
    """
    try:
        from prov.serializers.provrdf import ProvRDFSerializer
        from rdflib import Graph, URIRef
    except ImportError as exc:
        raise ImportError("PROV-O export needs rdflib: pip install rdflib") from exc
    graph = Graph(bind_namespaces="core")
    graph.bind("prov", PROV.uri)
    ProvRDFSerializer(document).encode_container(document, container=graph)
    if shortcuts:
        for record in document.get_records(ProvRelation):
            name = _PROPERTIES.get(record.get_type())
            formal = record.formal_attributes
            if name is not None and formal[0][1] is not None and formal[1][1] is not None:
                graph.add((URIRef(formal[0][1].uri), URIRef(PROV[name].uri), URIRef(formal[1][1].uri)))
    return graph


def write(
    document: ProvDocument, stream: IO[Any], *, rdf_format: str = "turtle", shortcuts: bool = True
) -> None:
    """Write ``document`` as PROV-O.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    stream : file-like
        Text or binary stream.
    rdf_format : str
        An rdflib serialisation format (``turtle``, ``json-ld``, ``xml``, ``nt``, …).
    shortcuts : bool
        Add unqualified relation triples, see `to_graph`.
    """
    options = {"auto_compact": True} if rdf_format == "json-ld" else {}
    graph = to_graph(document, shortcuts)
    write_to(stream, graph.serialize(format=rdf_format, encoding="utf-8", **options))
