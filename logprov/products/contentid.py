"""The content ids of products: their content with the embedded provenance left out.

Embedding provenance changes the bytes of a file, yet the file is still the entity whose
lineage it now carries. A FITS product is identified by its bytes without logprov's
``PROVENANCE`` HDU, which are exactly the bytes of the file before embedding; an HDF5 product
by the digest of the file before embedding, recorded with a digest of its structure and kept
while the file without ``/provenance`` still has that structure (see ``docs/products.md``).
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Optional

from . import fitsfile, hdf5file

__all__ = ["looks_like_product", "product_digests"]

_BLOCK = 1 << 20


def looks_like_product(head: bytes) -> bool:
    """Return True when ``head``, the first bytes of a file, starts a FITS or HDF5 file."""
    return fitsfile.is_fits(head) or hdf5file.is_hdf5(head)


def product_digests(path: str, algorithms: Iterable[str]) -> Optional[dict]:
    """Return ``{algorithm: hex digest}`` of the content of a product with embedded provenance,
    for those of ``algorithms`` it can be computed with; None for any other file (its plain
    digest is its content id)."""
    algorithms = tuple(algorithms)
    with open(path, "rb") as stream:
        head = stream.read(16)
    if hdf5file.is_hdf5(head):
        return hdf5file.embedded_identity(path, algorithms)
    if not fitsfile.is_fits(head):
        return None
    ranges = fitsfile.identity_ranges(path)
    if ranges is None:
        return None
    hashers = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as stream:
        for start, end in ranges:
            stream.seek(start)
            left = end - start
            while left > 0:
                block = stream.read(min(left, _BLOCK))
                if not block:
                    break
                left -= len(block)
                for hasher in hashers.values():
                    hasher.update(block)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}
