"""PROV-N, written by `prov`'s serializer."""

from __future__ import annotations

from typing import IO, Any

from prov.model import ProvDocument

__all__ = ["write"]


def write(document: ProvDocument, stream: IO[Any]) -> None:
    """Write ``document`` as PROV-N to a text or binary ``stream``."""
    document.serialize(stream, format="provn")
