"""Find the entity ids a file on disk has in logs: ``file:<digest>`` of its content (of a
product with embedded provenance, its content without it: `logprov.products.contentid`)."""

from __future__ import annotations

import hashlib
from typing import Iterable

from ..products.contentid import looks_like_product, product_digests

__all__ = ["DEFAULT_HASH", "file_ids"]

DEFAULT_HASH = "sha256"
_BLOCK = 1 << 20


def file_ids(path: str, algorithms: Iterable[str]) -> list[str]:
    """Return ``file:<hex digest>`` of the content of ``path`` for each known algorithm.

    Parameters
    ----------
    path : str
        A file.
    algorithms : iterable of str
        ``hashlib`` algorithm names (``sha256``, ``sha1``, …); unknown names are skipped and
        `DEFAULT_HASH` is always included.

    Raises
    ------
    OSError
        If the file cannot be read.
    """
    hashers = {}
    for name in {DEFAULT_HASH, *algorithms}:
        try:
            hasher = hashlib.new(name)
        except (ValueError, TypeError):
            continue
        if hasher.digest_size:
            hashers[name] = hasher
    with open(path, "rb") as stream:
        head = stream.read(16)
        product = product_digests(path, hashers) if looks_like_product(head) else None
        if product:
            return [f"file:{digest}" for _, digest in sorted(product.items())]
        stream.seek(0)
        for block in iter(lambda: stream.read(_BLOCK), b""):
            for hasher in hashers.values():
                hasher.update(block)
    return [f"file:{hasher.hexdigest()}" for _, hasher in sorted(hashers.items())]
