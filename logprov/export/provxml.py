"""PROV-XML, written by `prov`'s serializer (needs ``lxml``)."""

from __future__ import annotations

from typing import IO, Any

from prov.model import ProvDocument
from prov.serializers import DoNotExist

__all__ = ["write"]


def write(document: ProvDocument, stream: IO[Any]) -> None:
    """Write ``document`` as PROV-XML to a text or binary ``stream``.

    Raises
    ------
    ImportError
        If ``lxml`` is not installed.
    """
    try:
        document.serialize(stream, format="xml")
    except DoNotExist as exc:
        raise ImportError("PROV-XML export needs lxml: pip install lxml") from exc
