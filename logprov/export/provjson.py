"""PROV-JSON, written by `prov`'s serializer."""

from __future__ import annotations

from typing import IO, Any, Optional

from prov.model import ProvDocument

__all__ = ["write"]


def write(document: ProvDocument, stream: IO[Any], *, indent: Optional[int] = 2) -> None:
    """Write ``document`` as PROV-JSON.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    stream : file-like
        Text or binary stream.
    indent : int or None
        JSON indentation; None for the most compact output.
    """
    document.serialize(stream, format="json", indent=indent)
