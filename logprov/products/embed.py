"""Embed the lineage of a product into the product itself.

The lineage of a product is what its ancestors are: the activities that led to it, their
parameters, the entities they used, their agents and sessions, with their descriptions. It is
taken from the sources given (logs, or products carrying provenance) and from the products among
its ancestors that carry provenance of their own, so that a product made from another product
carries both histories though its maker never saw the first log.
"""

from __future__ import annotations

import datetime
import io
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Union

from .._version import __version__
from ..errors import LogprovError
from ..capture.identity import FileHasher
from ..reading.reader import ProvRecord, iter_records
from ..records.keys import IN_SESSION, SESSION_ID
from ..records.lines import dumps, record_lines
from ..reading.kinds import LOG, file_head, kinds_of
from . import fitsfile, hdf5file
from .layout import Embedded, EmbeddedError, encode

__all__ = ["EmbedError", "Embedding", "embed", "lineage_of"]

PathLike = Union[str, "os.PathLike[str]"]
SIDECAR_SUFFIX = ".prov.json"
DEFAULT_HASH = "sha256"


class EmbedError(LogprovError):
    """The lineage of a product cannot be embedded."""


@dataclass(frozen=True)
class Embedding:
    """What `embed` wrote.

    Attributes
    ----------
    product : str
        The product.
    written : str
        Where: ``HDU PROVENANCE``, ``/provenance``, or the path of the sidecar file.
    activities, entities : int
        Size of the lineage.
    size : int
        Bytes of provenance written.
    """

    product: str
    written: str
    activities: int
    entities: int
    size: int


def _carries_provenance(path: str) -> bool:
    try:
        return LOG not in kinds_of(path)
    except LogprovError:
        return False


def _same_content(path: str, entity: Any) -> bool:
    from ..query.content import file_ids

    try:
        return entity.logged_id in file_ids(path, [entity.hash_type or DEFAULT_HASH])
    except OSError:
        return False


def _with_session(record: ProvRecord) -> dict:
    """Return the payload of ``record``; a logprov 0.0.2 record, attributed to its session by
    its place in the log, names its session, which it keeps once embedded."""
    data = record.data
    if record.legacy and record.session is not None and SESSION_ID not in data and IN_SESSION not in data:
        return {**data, IN_SESSION: record.session}
    return data


def _unique(records: Iterable[ProvRecord]) -> Iterator[tuple[str, dict]]:
    """Yield ``(timestamp, payload)`` of ``records``, each record once (a product's lineage and
    the log it came from hold the same records, in the same key order)."""
    seen = set()
    for record in records:
        data = _with_session(record)
        key = (record.timestamp, dumps(data))
        if key not in seen:
            seen.add(key)
            yield record.timestamp, data


def _copies(records: Iterable[ProvRecord]) -> Iterator[ProvRecord]:
    """Yield copies of ``records`` for a graph, which merges into the payloads it is given."""
    for record in records:
        yield ProvRecord(record.timestamp, dict(record.data), record.source, record.line, record.session,
                         record.legacy)


def lineage_of(product: PathLike, sources: Iterable[PathLike]) -> tuple[list[tuple[str, dict]], Any, list[str]]:
    """Return the records of the lineage of ``product``, the lineage, and the sources read.

    The products among the ancestors that carry provenance (with the content the lineage names)
    are read too, until no new one is found.

    Raises
    ------
    EmbedError
        If the sources say nothing of ``product``.
    LogReadError
        If a source cannot be read.
    """
    from ..query import NotFound
    from ..query.facts import FactReader
    from ..query.memory import MemoryGraph
    from ..query.provenance import Provenance
    from ..query.select import lineage_records
    from ..query.window import Window

    path = os.fspath(product)
    pool = [os.fspath(source) for source in sources]
    if _carries_provenance(path) and os.path.abspath(path) not in map(os.path.abspath, pool):
        pool.append(path)
    if not pool:
        raise EmbedError(f"{path}: no log to take its lineage from")
    records: list[ProvRecord] = []
    read: list[str] = []
    while True:
        fresh = pool[len(read):]
        records.extend(iter_records(fresh))
        read.extend(fresh)
        graph = MemoryGraph()
        window = Window(None, None, None)
        FactReader(graph, window).add_all(_copies(records))
        try:
            lineage = Provenance(graph, window, [], len(records)).lineage(path)
        except NotFound as exc:
            raise EmbedError(f"{path}: not found in {', '.join(pool)} ({exc})") from None
        known = set(map(os.path.abspath, pool))
        for entity in lineage.entities.values():
            for location in entity.locations:
                full = os.path.abspath(location)
                if (full not in known and os.path.isfile(full) and _carries_provenance(full)
                        and _same_content(full, entity)):
                    known.add(full)
                    pool.append(full)
        if len(pool) == len(read):
            break
    return list(_unique(lineage_records(records, lineage))), lineage, pool


def _prov_json(records: list[tuple[str, dict]]) -> bytes:
    from ..export import export_records

    buffer = io.BytesIO()
    export_records([data for _, data in records], "json", buffer, indent=None)
    return buffer.getvalue()


def _replace(path: str, write: Any) -> None:
    """Write the new version of ``path`` with ``write(temporary)`` and put it in place."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".embed", dir=folder)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def embed(product: PathLike, sources: Iterable[PathLike] = ()) -> Embedding:
    """Write the lineage of ``product``, read from ``sources``, into the product.

    A FITS file gets a ``PROVENANCE`` extension (its other HDUs stay byte for byte), an HDF5
    file datasets under ``/provenance``; any other file a sidecar ``PRODUCT.prov.json`` holding
    the PROV-JSON document. Embedding again replaces what logprov embedded before (and keeps the
    lineage it held). See ``docs/products.md``.

    Parameters
    ----------
    product : str or path
        The product, as the sources know it (by content).
    sources : iterable of str or path
        Logs (or products carrying provenance) holding its lineage.

    Returns
    -------
    Embedding

    Raises
    ------
    EmbedError
        If the sources say nothing of the product, or its lineage cannot be written into it
        (``/provenance`` of an HDF5 file is not a group, the file cannot be written); the
        product is then left unchanged.
    LogReadError
        If a source cannot be read, the product among them when it carries provenance (a
        foreign or damaged ``PROVENANCE`` extension of a FITS file, say).
    ImportError
        If astropy (FITS) or h5py (HDF5) is missing.
    """
    path = os.fspath(product)
    if not os.path.isfile(path):
        raise EmbedError(f"{path}: no such file")
    records, lineage, pool = lineage_of(path, sources)
    text = "".join(record_lines(records)).encode("utf-8")
    prov_json = _prov_json(records)
    head = file_head(path)
    root = lineage.entities.get(lineage.roots[0]) if lineage.roots else None
    algorithm = (root.hash_type if root is not None else None) or DEFAULT_HASH
    activities, entities = len(lineage.activities), len(lineage.entities)
    meta = {"PROVVERS": __version__, "NACTIV": activities, "NENTITY": entities,
            "DATE": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")}
    embedded = Embedded(prov_json, text, meta)
    parts = encode(embedded)
    if fitsfile.is_fits(head):
        digest = FileHasher(algorithm).file(path).digest
        _write_product(path, lambda temporary: fitsfile.write(path, embedded, parts, digest, algorithm, temporary))
        written = f"HDU {fitsfile.EXTNAME}"
    elif hdf5file.is_hdf5(head):
        digest = FileHasher(algorithm).file(path).digest

        def write_hdf5(temporary: str) -> None:
            shutil.copyfile(path, temporary)
            hdf5file.write(temporary, embedded, parts, digest, algorithm)

        _write_product(path, write_hdf5)
        written = f"/{hdf5file.GROUP}"
    else:
        sidecar = path + SIDECAR_SUFFIX
        if os.path.abspath(sidecar) in map(os.path.abspath, pool):
            raise EmbedError(f"{sidecar}: is one of the sources, not overwritten")
        with open(sidecar, "wb") as stream:
            stream.write(prov_json)
        return Embedding(path, sidecar, activities, entities, len(prov_json))
    return Embedding(path, written, activities, entities, parts.size)


def _write_product(path: str, write: Any) -> None:
    """Put the product at ``path`` with its lineage in place (see `_replace`); what refuses the
    lineage is an `EmbedError` naming ``path``, the product left unchanged."""
    try:
        _replace(path, write)
    except EmbeddedError as exc:
        raise EmbedError(f"{path}: {exc.message}") from None
