"""Provenance embedded in FITS files: the ``PROVENANCE`` binary-table extension.

The extension is appended after the HDUs of the file, which are left byte for byte as they
were. Its one row holds two byte columns: ``PROVJSON``, the lineage as PROV-JSON (xz when
``PROVENC = 'xz'``), and ``RECORDS``, the same lineage as logprov records (gzip). The header
says what it holds (see ``docs/products.md``). HDU boundaries are found by reading the headers
alone, without astropy; astropy writes and reads the extension.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO, Optional

from ..records.lines import PROV_PREFIX
from .layout import Embedded, EmbeddedError, Encoded, decode_part

__all__ = ["FITS_MAGIC", "Hdu", "hdus", "identity_ranges", "has_provenance", "is_fits", "provenance_hdu", "read", "write"]

FITS_MAGIC = b"SIMPLE  ="
BLOCK = 2880
CARD = 80
EXTNAME = "PROVENANCE"
SOFTWARE = "logprov"


@dataclass(frozen=True)
class Hdu:
    """One HDU of a FITS file: where it lies and its header values."""

    index: int
    start: int
    end: int
    header: dict

    @property
    def name(self) -> str:
        """EXTNAME, or ``PRIMARY`` for the first HDU."""
        return str(self.header.get("EXTNAME", "PRIMARY" if self.index == 0 else "")).strip()


def _value(text: str) -> object:
    text = text.strip()
    if text.startswith("'"):
        end = text.find("'", 1)
        while end > 0 and text[end + 1 : end + 2] == "'":
            end = text.find("'", end + 2)
        return text[1:end].replace("''", "'").rstrip() if end > 0 else text[1:]
    text = text.split("/", 1)[0].strip()
    if text in ("T", "F"):
        return text == "T"
    try:
        return int(text)
    except ValueError:
        return text


def _read_header(stream: BinaryIO, name: str, start: int) -> tuple[dict, int]:
    header: dict = {}
    offset = start
    while True:
        block = stream.read(BLOCK)
        if len(block) < BLOCK:
            raise EmbeddedError(f"FITS header of the HDU at byte {start} cut short", name)
        offset += BLOCK
        for position in range(0, BLOCK, CARD):
            card = block[position : position + CARD].decode("ascii", "replace")
            keyword = card[:8].rstrip()
            if keyword == "END":
                return header, offset
            if card[8:10] == "= " and keyword not in header:
                header[keyword] = _value(card[10:])


def _data_size(header: dict, primary: bool) -> int:
    naxis = int(header.get("NAXIS", 0) or 0)
    if naxis == 0:
        return 0
    axes = [int(header.get(f"NAXIS{n}", 0) or 0) for n in range(1, naxis + 1)]
    if primary and axes[0] == 0 and header.get("GROUPS") is True:
        axes = axes[1:]
    count = 1
    for axis in axes:
        count *= axis
    bits = abs(int(header.get("BITPIX", 8) or 8))
    size = bits // 8 * int(header.get("GCOUNT", 1) or 1) * (int(header.get("PCOUNT", 0) or 0) + count)
    return -(-size // BLOCK) * BLOCK


def hdus(path: str) -> list[Hdu]:
    """Return the HDUs of the FITS file at ``path``, from their headers.

    Raises
    ------
    EmbeddedError
        If a header or a data unit is cut short.
    OSError
        If the file cannot be read.
    """
    found: list[Hdu] = []
    size = os.path.getsize(path)
    with open(path, "rb") as stream:
        start = 0
        while start < size:
            stream.seek(start)
            if not found and stream.read(len(FITS_MAGIC)) != FITS_MAGIC:
                raise EmbeddedError("not a FITS file", path)
            if found and stream.read(8) != b"XTENSION":
                break
            stream.seek(start)
            header, data_start = _read_header(stream, path, start)
            end = data_start + _data_size(header, not found)
            if end > size:
                raise EmbeddedError(f"HDU {len(found)} ({header.get('EXTNAME', 'PRIMARY')}) cut short: "
                                    f"its data end at byte {end}, the file at {size}", path)
            found.append(Hdu(len(found), start, end, header))
            start = end
    return found


def provenance_hdu(path: str) -> Optional[Hdu]:
    """Return the ``PROVENANCE`` HDU of the file at ``path``, None when it has none.

    Raises
    ------
    EmbeddedError
        If the file is cut short.
    """
    for hdu in hdus(path):
        if hdu.index > 0 and hdu.name.upper() == EXTNAME:
            return hdu
    return None


def identity_ranges(path: str) -> Optional[list[tuple[int, int]]]:
    """Return the byte ranges that identify a FITS product: all but logprov's ``PROVENANCE``
    HDU; None when the file is not FITS, has no such HDU, or cannot be walked."""
    try:
        hdu = provenance_hdu(path)
    except (EmbeddedError, OSError):
        return None
    if hdu is None or hdu.header.get("PROVSOFT") != SOFTWARE:
        return None
    size = os.path.getsize(path)
    return [(0, hdu.start), (hdu.end, size)]


def read(path: str) -> Embedded:
    """Return the provenance embedded in the FITS file at ``path``.

    Raises
    ------
    EmbeddedError
        If the file has no ``PROVENANCE`` HDU, a foreign or damaged one, or astropy is missing.
    """
    hdu = provenance_hdu(path)
    if hdu is None:
        raise EmbeddedError("no PROVENANCE extension (no provenance embedded)", path)
    where = f"HDU {hdu.index} {EXTNAME}"
    if hdu.header.get("PROVSOFT") != SOFTWARE:
        raise EmbeddedError(f"{where} was not written by logprov (no PROVSOFT = 'logprov')", path)
    try:
        from astropy.io import fits
    except ImportError:
        raise EmbeddedError("reading provenance from FITS needs astropy: pip install 'logprov[fits]'", path) from None
    with open(path, "rb") as stream:
        stream.seek(hdu.start)
        data = stream.read(hdu.end - hdu.start)
    try:
        table = fits.BinTableHDU.fromstring(data)
        header = table.header
        row = table.data[0]
        prov_json = bytes(row["PROVJSON"].tobytes())
        records = bytes(row["RECORDS"].tobytes())
    except (KeyError, IndexError, ValueError, TypeError, AttributeError, OSError) as exc:
        raise EmbeddedError(f"{where} is not a logprov provenance table: {exc}", path) from None
    return Embedded(
        prov_json=decode_part(prov_json, header.get("PROVENC", "none"), path, f"{where} column PROVJSON"),
        records=decode_part(records, header.get("RECENC", "none"), path, f"{where} column RECORDS"),
        meta={key: header[key] for key in ("PROVVERS", "DATE", "PRODHASH", "PRODALG", "NACTIV", "NENTITY")
              if key in header},
    )


def _table_bytes(embedded: Embedded, parts: Encoded, product_hash: str, algorithm: str) -> bytes:
    import numpy as np
    from astropy.io import fits

    prov_json, prov_encoding = parts.prov_json, parts.prov_json_encoding
    records, records_encoding = parts.records, parts.records_encoding
    columns = [
        fits.Column(name="PROVJSON", format=f"{len(prov_json)}B",
                    array=np.frombuffer(prov_json, dtype=np.uint8).reshape(1, -1)),
        fits.Column(name="RECORDS", format=f"{len(records)}B",
                    array=np.frombuffer(records, dtype=np.uint8).reshape(1, -1)),
    ]
    table = fits.BinTableHDU.from_columns(columns, nrows=1, name=EXTNAME)
    header = table.header
    header["PROVSOFT"] = (SOFTWARE, "software that embedded the provenance")
    header["PROVVERS"] = (embedded.meta.get("PROVVERS", ""), "version of that software")
    header["DATE"] = (embedded.meta.get("DATE", ""), "when the provenance was embedded (UTC)")
    header["PROVFMT"] = ("PROV-JSON", "W3C serialisation in column PROVJSON")
    header["PROVENC"] = (prov_encoding, "encoding of column PROVJSON")
    header["RECFMT"] = ("logprov records", f"column RECORDS: {PROV_PREFIX} lines of the lineage")
    header["RECENC"] = (records_encoding, "encoding of column RECORDS")
    header["PRODALG"] = (algorithm, "PRODHASH: digest of the other HDUs")
    header["PRODHASH"] = product_hash
    header["NACTIV"] = (int(embedded.meta.get("NACTIV", 0)), "activities in the lineage")
    header["NENTITY"] = (int(embedded.meta.get("NENTITY", 0)), "entities in the lineage")
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(buffer, checksum=True)
    data = buffer.getvalue()
    return data[BLOCK:]


def write(path: str, embedded: Embedded, parts: Encoded, product_hash: str, algorithm: str, output: str) -> None:
    """Write to ``output`` the FITS file at ``path`` with ``embedded`` (encoded as ``parts``) as
    its ``PROVENANCE`` extension, replacing logprov's former one; every other HDU is copied byte
    for byte.

    Raises
    ------
    EmbeddedError
        If the file holds a ``PROVENANCE`` extension logprov did not write, or is damaged.
    """
    hdu = provenance_hdu(path)
    if hdu is not None and hdu.header.get("PROVSOFT") != SOFTWARE:
        raise EmbeddedError(f"HDU {hdu.index} {EXTNAME} was not written by logprov: not replaced", path)
    table = _table_bytes(embedded, parts, product_hash, algorithm)
    with open(path, "rb") as source, open(output, "wb") as target:
        if hdu is None:
            _copy(source, target, os.path.getsize(path))
        else:
            _copy(source, target, hdu.start)
            source.seek(hdu.end)
            _copy(source, target, os.path.getsize(path) - hdu.end)
        target.write(table)


def _copy(source: BinaryIO, target: BinaryIO, count: int) -> None:
    while count > 0:
        block = source.read(min(count, 1 << 20))
        if not block:
            break
        target.write(block)
        count -= len(block)


def is_fits(head: bytes) -> bool:
    """Return True when ``head`` starts a FITS file."""
    return head.startswith(FITS_MAGIC)


def has_provenance(path: str) -> bool:
    """Return True when the FITS file at ``path`` has a ``PROVENANCE`` HDU, or is damaged (so
    that reading it says where); False for a compressed FITS file (``.fits.gz``), which carries
    none."""
    try:
        with open(path, "rb") as stream:
            if not is_fits(stream.read(len(FITS_MAGIC))):
                return False
        return provenance_hdu(path) is not None
    except EmbeddedError:
        return True
    except OSError:
        return False

