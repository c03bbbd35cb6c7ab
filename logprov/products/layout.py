"""What logprov embeds in a product, and how each part is encoded."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

from ..errors import LogReadError

__all__ = ["COMPRESS_ABOVE", "Embedded", "EmbeddedError", "decode_part", "encode_part"]

#: Parts longer than this many bytes are compressed (gzip); the records always are.
COMPRESS_ABOVE = 16 * 1024


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


def encode_part(data: bytes, always: bool = False) -> tuple[bytes, str]:
    """Return ``data`` as embedded and its encoding: gzip when ``always`` or when longer than
    `COMPRESS_ABOVE`, else ``none``. The gzip stream holds no time, so that embedding the same
    lineage twice writes the same bytes."""
    if always or len(data) > COMPRESS_ABOVE:
        return gzip.compress(data, compresslevel=6, mtime=0), "gzip"
    return data, "none"


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
    if encoding != "gzip":
        raise EmbeddedError(f"{where}: unknown encoding {encoding!r}", source)
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise EmbeddedError(f"{where}: damaged gzip data ({exc})", source) from None
