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
``dot``     Graphviz DOT source of the graph            prov
``svg``     graph drawing                               prov, Graphviz or graphviz-pure
``png``     graph drawing                               prov, Graphviz or graphviz-pure
``pdf``     graph drawing                               prov, Graphviz
==========  ==========================================  =====================
"""

from __future__ import annotations

import io
import os
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Optional, Union

from ..outputs import write_path
from .destinations import is_text_stream
from .registry import FORMATS, MODEL_OPTIONS, Format, find_format, formats

if TYPE_CHECKING:
    from prov.model import ProvDocument

    from ..reading.reader import ProvRecord
    from .graphdrawing import GraphOptions, GraphTruncatedWarning, prov_to_dot
    from .graphviz import GraphvizError

__all__ = [
    "Format",
    "FORMATS",
    "export",
    "export_records",
    "formats",
    "prov_to_dot",
    "GraphOptions",
    "GraphTruncatedWarning",
    "GraphvizError",
]

_LAZY = {
    "prov_to_dot": ".graphdrawing",
    "GraphOptions": ".graphdrawing",
    "GraphTruncatedWarning": ".graphdrawing",
    "GraphvizError": ".graphviz",
}

Destination = Union[str, "os.PathLike[str]", IO[Any], None]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)


def _write_file(spec: Format, path: str, write: Callable[[IO[bytes]], None]) -> None:
    write_path(path, write, suffix=spec.extension)


def _deliver(
    spec: Format, destination: Destination, write: Callable[[IO[Any]], None]
) -> Optional[Union[str, bytes]]:
    if destination is None:
        buffer = io.BytesIO()
        write(buffer)
        data = buffer.getvalue()
        return data if spec.binary else data.decode("utf-8")
    if isinstance(destination, (str, os.PathLike)):
        _write_file(spec, os.fspath(destination), write)
        return None
    if spec.binary and is_text_stream(destination):
        raise TypeError(f"{spec.name} output is binary: give a binary stream or a file name")
    write(destination)
    return None


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
        A file (replaced once the output is complete, keeping its mode; a symbolic link has
        its target written, a device or FIFO is written in place: see `logprov.outputs.write_path`)
        or an open stream. Without one, the output is returned.
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
    spec = find_format(fmt)
    options = {**spec.defaults, **options}
    writer = spec.writer
    return _deliver(spec, destination, lambda stream: writer(document, stream, **options))


def export_records(
    records: Iterable[Union[ProvRecord, dict]],
    fmt: str,
    destination: Destination = None,
    **options: Any,
) -> Optional[Union[str, bytes]]:
    """Write the PROV document of ``records`` in format ``fmt``.

    ``json``, ``provn``, ``xml``, ``nt`` (also ``nq``: the triples are all in the default
    graph) and ``ttl`` are written in one pass over the records, with temporary files, in memory
    that grows with the number of distinct entities, activities and relations rather than with
    the log (see `logprov.model.recordstream`); the output reads back into the document
    `logprov.model.build_document` builds from the same records (for ``nt`` and ``ttl``, into
    isomorphic triples). Other formats build that document and `export` it.

    Parameters
    ----------
    records : iterable of ProvRecord or dict
        Records from `logprov.reading.reader.iter_records`, or payload dicts.
    fmt : str
        A name of `formats()` or an alias.
    destination : str, path or stream, optional
        As for `export`. Without one, the output is returned.
    **options
        ``with_descriptions``, ``with_parameters`` and ``session_prefix`` of
        `logprov.model.build_document`; the options of the format (``indent`` for ``json``,
        in which each member of a section takes one line; ``shortcuts`` for ``nt`` and ``ttl``); for the
        one-pass formats, ``spool_dir`` for the temporary files and ``window``, the number of
        entities merged in memory before they go to a temporary file.

    Returns
    -------
    str, bytes or None
        The output when there is no ``destination``.

    Raises
    ------
    ValueError
        If the format is unknown, or a payload dict has a known key holding what it may not
        (see `logprov.records.fields`); the reader skips such records.
    """
    from .texts import CLEANED_FORMATS, carried_records

    spec = find_format(fmt)
    if spec.name in CLEANED_FORMATS:
        records = carried_records(records)
    if spec.streamer_name is None:
        from ..model import build_document

        model = {key: options.pop(key) for key in MODEL_OPTIONS if key in options}
        return export(build_document(records, **model), spec.name, destination, **options)
    from .onepass import write_records

    return _deliver(spec, destination, lambda stream: write_records(records, spec.name, stream, **options))
