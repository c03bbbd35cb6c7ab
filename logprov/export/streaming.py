"""Records to a serialisation in one pass, without building a `prov.model.ProvDocument`."""

from __future__ import annotations

import gc
import importlib
import tempfile
from typing import IO, Any, Dict, Iterable, Optional

from ..model.stream import RecordStream
from .spools import BinaryOutput

__all__ = ["STREAM_WRITERS", "MODEL_OPTIONS", "write_records"]

STREAM_WRITERS: Dict[str, str] = {
    "json": "stream_json:JsonStreamWriter",
    "provn": "stream_provn:ProvnStreamWriter",
    "nt": "stream_rdf:RdfStreamWriter",
    "xml": "stream_xml:XmlStreamWriter",
}
"""Formats written in one pass, and their writer classes (imported when used)."""

MODEL_OPTIONS = ("with_descriptions", "with_parameters", "session_prefix")
"""Options of `logprov.model.build_document` that `write_records` also takes."""


def write_records(
    records: Iterable[Any],
    fmt: str,
    stream: IO[Any],
    *,
    spool_dir: Optional[str] = None,
    window: int = 8192,
    **options: Any,
) -> None:
    """Write the document of ``records`` in format ``fmt`` to ``stream``, in one pass.

    Parameters
    ----------
    records : iterable of ProvRecord or dict
        Records from `logprov.reading.reader.iter_records`, or payload dicts.
    fmt : str
        A key of `STREAM_WRITERS`.
    stream : file-like
        Text or binary stream.
    spool_dir : str, optional
        Where the temporary files go (default: the system's temporary directory).
    window : int
        Entities merged in memory before they go to a temporary file.
    **options
        The options of `MODEL_OPTIONS`, then those of the writer (``indent`` for ``json``,
        ``shortcuts`` for ``nt``).

    Notes
    -----
    The cyclic garbage collector is paused during the pass: what the pass keeps holds no
    reference cycles, and collecting would walk it again and again as it grows.
    """
    model = {key: options.pop(key) for key in MODEL_OPTIONS if key in options}
    collecting = gc.isenabled()
    gc.disable()
    try:
        _write(records, fmt, stream, spool_dir, window, model, options)
    finally:
        if collecting:
            gc.enable()


def _write(
    records: Iterable[Any],
    fmt: str,
    stream: IO[Any],
    spool_dir: Optional[str],
    window: int,
    model: Dict[str, Any],
    options: Dict[str, Any],
) -> None:
    with tempfile.TemporaryDirectory(prefix="logprov-export-", dir=spool_dir) as folder:
        module, name = STREAM_WRITERS[fmt].split(":")
        writer = getattr(importlib.import_module(f"{__package__}.{module}"), name)(folder, **options)
        source = RecordStream(writer, folder, window=window, **model)
        try:
            writer.start(BinaryOutput(stream), source.ids.namespaces)
            source.add_all(records)
            source.finish()
            writer.finish()
        finally:
            source.close()
            writer.close()
