"""Write PROV documents in the W3C serialisations, PROV-O and Graphviz graphs.

==========  ==========================================  =====================
format      what                                        needs
==========  ==========================================  =====================
``json``    PROV-JSON                                   prov
``provn``   PROV-N                                      prov
``xml``     PROV-XML                                    prov, lxml
``ttl``     PROV-O, Turtle                              prov, rdflib
``jsonld``  PROV-O, JSON-LD                             prov, rdflib
``rdfxml``  PROV-O, RDF/XML                             prov, rdflib
``nt``      PROV-O, N-Triples                           prov, rdflib
``dot``     Graphviz DOT source of the graph            pydot
``svg``     graph drawing                               pydot, Graphviz or graphviz-pure
``png``     graph drawing                               pydot, Graphviz or graphviz-pure
``pdf``     graph drawing                               pydot, Graphviz
==========  ==========================================  =====================
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Union

from prov.model import ProvDocument

from . import images, provjson, provn, provxml, rdf
from .graph import GraphOptions, GraphTruncatedWarning, prov_to_dot
from .graphviz import GraphvizError
from .streams import is_text_stream

__all__ = [
    "Format",
    "FORMATS",
    "export",
    "formats",
    "provdoc2svg",
    "prov_to_dot",
    "GraphOptions",
    "GraphTruncatedWarning",
    "GraphvizError",
]

Destination = Union[str, "os.PathLike[str]", IO[Any], None]


@dataclass(frozen=True)
class Format:
    """An export format.

    Attributes
    ----------
    name : str
        Key in `FORMATS`.
    extension : str
        Usual file name extension.
    media_type : str
        MIME type.
    binary : bool
        True when the output is not text.
    writer : callable
        ``writer(document, stream, **options)``.
    defaults : mapping
        Options always passed to ``writer``.
    description : str
        One line for listings.
    """

    name: str
    extension: str
    media_type: str
    binary: bool
    writer: Callable[..., None]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


FORMATS: Dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format("json", ".json", "application/json", False, provjson.write, {}, "PROV-JSON"),
        Format("provn", ".provn", "text/provenance-notation", False, provn.write, {}, "PROV-N"),
        Format("xml", ".xml", "application/xml", False, provxml.write, {}, "PROV-XML"),
        Format("ttl", ".ttl", "text/turtle", False, rdf.write, {"rdf_format": "turtle"}, "PROV-O, Turtle"),
        Format(
            "jsonld", ".jsonld", "application/ld+json", False, rdf.write,
            {"rdf_format": "json-ld"}, "PROV-O, JSON-LD",
        ),
        Format(
            "rdfxml", ".rdf", "application/rdf+xml", False, rdf.write,
            {"rdf_format": "xml"}, "PROV-O, RDF/XML",
        ),
        Format(
            "nt", ".nt", "application/n-triples", False, rdf.write,
            {"rdf_format": "nt"}, "PROV-O, N-Triples",
        ),
        Format("dot", ".dot", "text/vnd.graphviz", False, images.write_dot, {}, "Graphviz DOT source"),
        Format(
            "svg", ".svg", "image/svg+xml", False, images.write_image,
            {"image_format": "svg"}, "SVG graph",
        ),
        Format("png", ".png", "image/png", True, images.write_image, {"image_format": "png"}, "PNG graph"),
        Format(
            "pdf", ".pdf", "application/pdf", True, images.write_image,
            {"image_format": "pdf"}, "PDF graph",
        ),
    )
}

_ALIASES = {
    "prov-json": "json",
    "prov-n": "provn",
    "prov-xml": "xml",
    "provx": "xml",
    "turtle": "ttl",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "n-triples": "nt",
    "gv": "dot",
}


def formats() -> List[str]:
    """Return the names of the export formats."""
    return list(FORMATS)


def _format(fmt: str) -> Format:
    name = fmt.lower().lstrip(".")
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return FORMATS[name]


def _write_file(spec: Format, document: ProvDocument, path: str, options: Dict[str, Any]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle = tempfile.NamedTemporaryFile(
        "wb", dir=folder, prefix=".logprov-", suffix=spec.extension, delete=False
    )
    try:
        with handle:
            spec.writer(document, handle, **options)
        os.chmod(handle.name, 0o666 & ~_umask())
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def export(
    document: ProvDocument,
    fmt: str,
    destination: Destination = None,
    **options: Any,
) -> Optional[Union[str, bytes]]:
    """Write ``document`` in format ``fmt``.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    fmt : str
        A name of `formats()` (or an alias such as ``turtle``, ``json-ld``, ``prov-n``).
    destination : str, path or stream, optional
        A file (replaced once the output is complete) or an open stream. Without one, the
        output is returned.
    **options
        Options of the format: ``indent`` for ``json``; the fields of `GraphOptions` and
        ``program`` for graphs.

    Returns
    -------
    str, bytes or None
        The output (bytes for binary formats) when there is no ``destination``.

    Raises
    ------
    ValueError
        If the format is unknown.
    GraphvizError
        If a drawing is asked for and no Graphviz program can make it.
    """
    spec = _format(fmt)
    options = {**spec.defaults, **options}
    if destination is None:
        buffer = io.BytesIO()
        spec.writer(document, buffer, **options)
        data = buffer.getvalue()
        return data if spec.binary else data.decode("utf-8")
    if isinstance(destination, (str, os.PathLike)):
        _write_file(spec, document, os.fspath(destination), options)
        return None
    if spec.binary and is_text_stream(destination):
        raise TypeError(f"{spec.name} output is binary: give a binary stream or a file name")
    spec.writer(document, destination, **options)
    return None


def provdoc2svg(provdoc: ProvDocument, filename: Union[str, "os.PathLike[str]"], **options: Any) -> None:
    """Draw ``provdoc`` as an SVG file (logprov 0.0.2 interface; options of `GraphOptions`)."""
    export(provdoc, "svg", filename, **options)
