"""What logprov embeds in a product, and how each part is encoded."""

from __future__ import annotations

import gzip
import lzma
import zlib
from dataclasses import dataclass, field

from ..errors import LogReadError

__all__ = ["COMPRESS_ABOVE", "Embedded", "EmbeddedError", "Encoded", "decode_part", "encode"]

#: A PROV-JSON document longer than this many bytes is compressed (xz); the records always are
#: (gzip).
COMPRESS_ABOVE = 16 * 1024
#: xz settings: preset 1 with short matches, about twice as fast as preset 1 for 4 % more bytes.
_XZ_FILTERS = ({"id": lzma.FILTER_LZMA2, "preset": 1, "nice_len": 16},)


class EmbeddedError(LogReadError):
    """The provenance embedded in a product is missing, foreign or damaged."""


@dataclass
class Embedded:
    """The provenance of a product, as embedded in it.

    Attributes
    ----------
    prov_json : bytes
        The lineage of the product as a PROV-JSON document (UTF-8).
    records : bytes
        The same lineage as logprov records: ``_PROV_`` lines (UTF-8).
    meta : dict
        What the product says about them: ``PROVVERS`` (logprov version), ``DATE`` (UTC),
        ``PRODHASH`` and ``PRODALG`` (content digest of the product and its algorithm),
        ``NACTIV`` and ``NENTITY`` (activities and entities of the lineage).
    """

    prov_json: bytes
    records: bytes
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Encoded:
    """The two parts of an `Embedded` as written into a product, with their encodings
    (``none``, ``gzip`` or ``xz``)."""

    prov_json: bytes
    prov_json_encoding: str
    records: bytes
    records_encoding: str

    @property
    def size(self) -> int:
        """Bytes of both parts."""
        return len(self.prov_json) + len(self.records)


def encode(embedded: Embedded) -> Encoded:
    """Return the parts of ``embedded`` as they are written.

    The PROV-JSON document is compressed with xz when longer than `COMPRESS_ABOVE`: its ids
    repeat far apart, beyond the reach of gzip, and xz makes it about three times smaller. The
    records, where each id repeats close to where it was first written, are compressed with
    gzip, which is faster. Neither stream holds a time, so that embedding the same lineage twice
    writes the same bytes.
    """
    prov_json, prov_encoding = embedded.prov_json, "none"
    if len(prov_json) > COMPRESS_ABOVE:
        prov_json, prov_encoding = lzma.compress(prov_json, format=lzma.FORMAT_XZ, filters=_XZ_FILTERS), "xz"
    return Encoded(prov_json, prov_encoding, gzip.compress(embedded.records, compresslevel=6, mtime=0), "gzip")


def decode_part(data: bytes, encoding: str, source: str, where: str) -> bytes:
    """Return an embedded part decoded.

    Raises
    ------
    EmbeddedError
        If the encoding is unknown or the data cannot be decompressed, naming ``source`` and
        ``where`` (the HDU or dataset).
    """
    if encoding == "none":
        return data
    if encoding not in ("gzip", "xz"):
        raise EmbeddedError(f"{where}: unknown encoding {encoding!r}", source)
    try:
        return gzip.decompress(data) if encoding == "gzip" else lzma.decompress(data, format=lzma.FORMAT_XZ)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise EmbeddedError(f"{where}: damaged {encoding} data ({exc})", source) from None
