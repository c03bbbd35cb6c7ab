"""PROV-O (RDF) in Turtle, JSON-LD, RDF/XML or N-Triples, through `prov` and `rdflib`."""

from __future__ import annotations

from typing import IO, Any

from prov.model import ProvDocument

from .streams import write_to

__all__ = ["RDF_FORMATS", "to_graph", "write"]

RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "nt": "nt"}


def to_graph(document: ProvDocument) -> Any:
    """Return ``document`` as an ``rdflib.Graph`` of PROV-O triples.

    Raises
    ------
    ImportError
        If ``rdflib`` is not installed.
    """
    try:
        from prov.serializers.provrdf import ProvRDFSerializer
    except ImportError as exc:
        raise ImportError("PROV-O export needs rdflib: pip install rdflib") from exc
    return ProvRDFSerializer(document).encode_container(document)


def write(document: ProvDocument, stream: IO[Any], *, rdf_format: str = "turtle") -> None:
    """Write ``document`` as PROV-O.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    stream : file-like
        Text or binary stream.
    rdf_format : str
        An rdflib serialisation format (``turtle``, ``json-ld``, ``xml``, ``nt``, …).
    """
    options = {"auto_compact": True} if rdf_format == "json-ld" else {}
    write_to(stream, to_graph(document).serialize(format=rdf_format, encoding="utf-8", **options))
