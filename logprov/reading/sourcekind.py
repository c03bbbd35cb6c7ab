"""What a kind of provenance source is (`SourceKind`), for the modules that define kinds and for
the registry of kinds that the reader uses (`logprov.reading.kinds`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ContextManager, Iterable

__all__ = ["Lines", "SourceKind"]

#: The lines of logprov records a source gives.
Lines = Iterable[str]


@dataclass(frozen=True)
class SourceKind:
    """One kind of provenance source.

    Attributes
    ----------
    name : str
        What the kind is called in messages (``"logprov log"``, ``"FITS product"``).
    sniff : callable
        ``sniff(path, head) -> bool``: whether the file at ``path``, whose first ``HEAD_BYTES``
        bytes are ``head`` (see `logprov.reading.kinds.HEAD_BYTES`), is of this kind.
    open : callable
        ``open(path) -> context manager`` giving the lines of logprov records the file holds.
        It raises `LogReadError` naming the file (and the part of it) when they cannot be read.
    order : int
        Kinds are tried by increasing order.
    appendable : bool
        True when records are only ever appended to the file, so that an index may read a
        grown file on from where it stopped.
    joins_paths : bool
        True when its records may name files by path (``path:…``) or by a content hashed
        without the configuration of the logs, which the reader joins with the entities other
        sources log (see `logprov.ctapipe.joins`).
    """

    name: str
    sniff: Callable[[str, bytes], bool]
    open: Callable[[str], ContextManager[Lines]]
    order: int = 50
    appendable: bool = False
    joins_paths: bool = False
