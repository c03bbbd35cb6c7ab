"""Records to a serialisation in one pass, without building a `prov.model.ProvDocument`."""

from __future__ import annotations

import gc
import tempfile
from typing import IO, Any, Dict, Iterable, Optional, Type

from ..model.recordstream import RecordStream
from ..model.streammapping import StreamMapping
from .destinations import BinaryOutput
from .registry import MODEL_OPTIONS, find_format

__all__ = ["write_records"]


def write_records(
    records: Iterable[Any],
    fmt: str,
    stream: IO[Any],
    *,
    spool_dir: Optional[str] = None,
    window: int = 8192,
    mapping: Type[StreamMapping] = RecordStream,
    **options: Any,
) -> None:
    """Write the document of ``records`` in format ``fmt`` to ``stream``, in one pass.

    Parameters
    ----------
    records : iterable of ProvRecord or dict
        Records from `logprov.reading.reader.iter_records`, or payload dicts.
    fmt : str
        A format of `logprov.export.registry.FORMATS` that has a ``streamer``.
    stream : file-like
        Text or binary stream.
    spool_dir : str, optional
        Where the temporary files go (default: the system's temporary directory).
    window : int
        Entities merged in memory before they go to a temporary file.
    mapping : type
        The streaming mapping: `RecordStream`, or `StreamMapping`, which takes every record by
        the general path and is the reference of the per-kind handlers of `RecordStream`.
    **options
        The options of `MODEL_OPTIONS`, then those of the writer (``indent`` for ``json``,
        ``shortcuts`` for ``nt`` and ``ttl``).

    Notes
    -----
    The cyclic garbage collector is paused during the pass: what the pass keeps holds no
    reference cycles, and collecting would walk it again and again as it grows.
    """
    model = {key: options.pop(key) for key in MODEL_OPTIONS if key in options}
    collecting = gc.isenabled()
    gc.disable()
    try:
        _write(records, fmt, stream, spool_dir, window, mapping, model, options)
    finally:
        if collecting:
            gc.enable()


def _write(
    records: Iterable[Any],
    fmt: str,
    stream: IO[Any],
    spool_dir: Optional[str],
    window: int,
    mapping: Type[StreamMapping],
    model: Dict[str, Any],
    options: Dict[str, Any],
) -> None:
    with tempfile.TemporaryDirectory(prefix="logprov-export-", dir=spool_dir) as folder:
        streamer = find_format(fmt).streamer
        if streamer is None:
            raise ValueError(f"the {fmt} format is not written in one pass")
        writer = streamer(folder, **options)
        source = mapping(writer, folder, window=window, **model)
        try:
            writer.start(BinaryOutput(stream), source.ids.namespaces)
            source.add_all(records)
            source.finish()
            writer.finish()
        finally:
            source.close()
            writer.close()
