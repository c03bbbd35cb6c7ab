"""The kinds of provenance sources, recognised by their content.

Every command and function that reads logs takes files of any kind below: the kind is decided
from the content of the file, never from its name. Each kind turns a file into lines of logprov
records (``_PROV_<time>_PROV_<JSON>``), which the reader then reads as it reads a log, so that
every kind reaches the same normalisation, time window and session filters.

A kind is registered with `register`: kinds are tried in the order of their ``order``; every
kind whose ``sniff`` accepts a file contributes its records (an HDF5 file may carry provenance of
several origins). A logprov log, the fallback, is a file whose first kilobytes hold a record or
are mostly text.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import zlib
from typing import ContextManager, Iterator

from ..errors import LogReadError
from ..records.lines import PROV_BYTES
from .sourcekind import Lines, SourceKind

__all__ = [
    "HEAD_BYTES",
    "LOG",
    "SourceKind",
    "file_head",
    "kinds_of",
    "open_source",
    "register",
]

#: Bytes of a file given to each kind's ``sniff`` (after decompression for ``.gz`` files).
HEAD_BYTES = 4096
_GZIP_MAGIC = b"\x1f\x8b"
_FITS_MAGIC = b"SIMPLE  ="
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

_KINDS: list[SourceKind] = []


def register(kind: SourceKind) -> None:
    """Add ``kind`` to the kinds tried (replacing a kind of the same name)."""
    _KINDS[:] = sorted([k for k in _KINDS if k.name != kind.name] + [kind], key=lambda k: k.order)


def file_head(path: str) -> bytes:
    """Return the first `HEAD_BYTES` bytes of ``path``, decompressed when it is gzip.

    Raises
    ------
    OSError
        If the file cannot be read.
    """
    with open(path, "rb") as stream:
        head = stream.read(HEAD_BYTES)
    if head.startswith(_GZIP_MAGIC):
        try:
            return zlib.decompressobj(wbits=31).decompress(head, HEAD_BYTES)
        except zlib.error:
            return head
    return head


def _what(head: bytes) -> str:
    if head.startswith(_FITS_MAGIC):
        return "a FITS file without logprov's PROVENANCE extension"
    if head.startswith(_HDF5_MAGIC):
        return "an HDF5 file without provenance under /provenance"
    return "binary content, not a provenance log"


def kinds_of(path: str) -> list[SourceKind]:
    """Return the kinds of the file at ``path``.

    Raises
    ------
    LogReadError
        If no kind recognises the file, or it cannot be read.
    """
    try:
        head = file_head(path)
    except OSError as exc:
        raise LogReadError(f"cannot open: {exc.strerror or exc}", path) from exc
    found = [kind for kind in _KINDS if kind is not LOG and kind.sniff(path, head)]
    if found:
        return found
    if LOG.sniff(path, head):
        return [LOG]
    raise LogReadError(f"not a provenance source: {_what(head)}", path)


@contextlib.contextmanager
def _chained(path: str, kinds: list[SourceKind]) -> Iterator[Lines]:
    with contextlib.ExitStack() as stack:
        yield itertools.chain.from_iterable(stack.enter_context(kind.open(path)) for kind in kinds)


def open_source(path: str, kinds: list[SourceKind]) -> ContextManager[Lines]:
    """Return a context manager giving the lines of records of ``path``, read as ``kinds``."""
    if len(kinds) == 1:
        return kinds[0].open(path)
    return _chained(path, kinds)


_CONTROL = bytes(range(32)).translate(None, b"\t\n\r\x0c\x1b")


def _is_text(path: str, head: bytes) -> bool:
    """A log: a head holding a record, or mostly text (a damaged line may hold binary bytes)."""
    if PROV_BYTES in head or head.startswith((_FITS_MAGIC, _HDF5_MAGIC)):
        return PROV_BYTES in head
    control = len(head) - len(head.translate(None, _CONTROL))
    return control * 10 <= len(head)


def _open_log(path: str) -> ContextManager[Lines]:
    with open(path, "rb") as stream:
        compressed = stream.read(2) == _GZIP_MAGIC
    if compressed or path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


LOG = SourceKind("logprov log", _is_text, _open_log, order=1000, appendable=True)
register(LOG)


def _product_kinds() -> None:
    from ..products import kinds

    for kind in kinds.KINDS:
        register(kind)


_product_kinds()


def _ctapipe_kinds() -> None:
    from ..ctapipe import sources

    register(SourceKind("ctapipe provenance log", sources.is_log, sources.open_log, order=30, joins_paths=True))
    register(SourceKind("HDF5 file with ctapipe provenance", sources.has_activities, sources.open_hdf5, order=30,
                        joins_paths=True))


_ctapipe_kinds()
