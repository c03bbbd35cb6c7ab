"""The export formats: one table of what each is, what writes it and what streams it.

Each `Format` names its document writer (``writer(document, stream, **options)``) and, for the
formats written in one pass over the records, its statement writer class, as
``"module:name"`` text in this package. They are imported when a format is first used, so that
this table (and the ``logprov`` command's choices built from it) costs no import of `prov`,
``lxml`` or ``rdflib``, and a format whose optional dependency is missing fails only when it
is asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

__all__ = ["Format", "FORMATS", "MODEL_OPTIONS", "formats", "find_format", "load"]

MODEL_OPTIONS = ("with_descriptions", "with_parameters", "session_prefix")
"""Options of `logprov.model.build_document` that both export paths take."""


def load(target: str) -> Any:
    """Return the object ``"module:name"`` of `logprov.export`, importing its module."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


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
    writer_name : str
        ``"module:function"`` of the document writer, ``function(document, stream, **options)``.
    defaults : mapping
        Options always passed to the document writer.
    description : str
        One line for listings.
    streamer_name : str or None
        ``"module:class"`` of the statement writer of a one-pass export, if the format has one.
    """

    name: str
    extension: str
    media_type: str
    binary: bool
    writer_name: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    streamer_name: Optional[str] = None

    @property
    def writer(self) -> Callable[..., None]:
        """The document writer (its module is imported on first use)."""
        found: Callable[..., None] = load(self.writer_name)
        return found

    @property
    def streamer(self) -> Optional[type]:
        """The statement writer class of the one-pass export, or None."""
        return None if self.streamer_name is None else load(self.streamer_name)


def _rdf(name: str, extension: str, media_type: str, rdf_format: str, label: str, streamer: Optional[str] = None) -> Format:
    return Format(name, extension, media_type, False, "rdf:write", {"rdf_format": rdf_format}, label, streamer)


def _image(name: str, media_type: str, binary: bool, label: str) -> Format:
    return Format(name, f".{name}", media_type, binary, "images:write_image", {"image_format": name}, label)


FORMATS: Dict[str, Format] = {
    spec.name: spec
    for spec in (
        Format("json", ".json", "application/json", False, "provjson:write", {}, "PROV-JSON",
               "jsonwriter:JsonStreamWriter"),
        Format("provn", ".provn", "text/provenance-notation", False, "provn:write", {}, "PROV-N",
               "provnwriter:ProvnStreamWriter"),
        Format("xml", ".xml", "application/xml", False, "provxml:write", {}, "PROV-XML",
               "xmlwriter:XmlStreamWriter"),
        _rdf("ttl", ".ttl", "text/turtle", "turtle", "PROV-O, Turtle", "ttlwriter:TurtleStreamWriter"),
        _rdf("jsonld", ".jsonld", "application/ld+json", "json-ld", "PROV-O, JSON-LD"),
        _rdf("rdfxml", ".rdf", "application/rdf+xml", "xml", "PROV-O, RDF/XML"),
        _rdf("nt", ".nt", "application/n-triples", "nt", "PROV-O, N-Triples", "ntwriter:RdfStreamWriter"),
        Format("dot", ".dot", "text/vnd.graphviz", False, "images:write_dot", {}, "Graphviz DOT source"),
        _image("svg", "image/svg+xml", False, "SVG graph"),
        _image("png", "image/png", True, "PNG graph"),
        _image("pdf", "application/pdf", True, "PDF graph"),
    )
}
"""The export formats by name, in the order they are listed."""

_ALIASES = {
    "prov-json": "json",
    "prov-n": "provn",
    "prov-xml": "xml",
    "provx": "xml",
    "turtle": "ttl",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "n-triples": "nt",
    "nq": "nt",
    "n-quads": "nt",
    "gv": "dot",
}


def formats() -> List[str]:
    """Return the names of the export formats."""
    return list(FORMATS)


def find_format(fmt: str) -> Format:
    """Return the format named ``fmt`` (a name of `formats()`, an alias such as ``turtle``, or
    a file suffix such as ``.ttl``).

    Raises
    ------
    ValueError
        If no format has that name.
    """
    name = fmt.lower().lstrip(".")
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return FORMATS[name]
