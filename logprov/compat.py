"""The functions of logprov 0.0.2, kept working with a `DeprecationWarning` naming their replacement.

``from logprov.compat import read_prov`` and ``logprov.read_prov`` give the same functions.
Each call warns once and returns what the current interface returns for the same input.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any, Iterable, Union

if TYPE_CHECKING:
    from prov.model import ProvDocument

    from .reading.reader import Source, TimeBound

__all__ = ["REPLACEMENTS", "provdoc2svg", "provlist2provdoc", "read_prov"]

#: The current call that replaces each 0.0.2 function, as the warnings name it.
REPLACEMENTS = {
    "read_prov": "logprov.iter_records (the payload of each record is its .data)",
    "provlist2provdoc": "logprov.build_document",
    "provdoc2svg": 'logprov.export.export(document, "svg", filename)',
}


def _warn(name: str) -> None:
    """Warn that ``name`` is a 0.0.2 function, naming its replacement, at the caller's line."""
    message = f"logprov.{name} is the logprov 0.0.2 interface: use {REPLACEMENTS[name]}"
    warnings.warn(message, DeprecationWarning, stacklevel=3)


def read_prov(
    logname: Union[Source, Iterable[Source]] = "prov.log",
    start: TimeBound = None,
    end: TimeBound = None,
) -> list[dict[str, Any]]:
    """Return the payloads of the provenance records of a log (deprecated: use `logprov.iter_records`).

    Parameters
    ----------
    logname : str, path, stream or list of those
        The log(s), as accepted by `logprov.iter_records`.
    start, end : str or datetime, optional
        Time window on the line timestamps.

    Returns
    -------
    list of dict
        The normalised payloads, in log order.
    """
    _warn("read_prov")
    from .reading.reader import iter_records

    return [record.data for record in iter_records(logname, start=start, end=end)]


def provlist2provdoc(provlist: Iterable[dict[Any, Any]], default_ns: str = "session") -> ProvDocument:
    """Return the PROV document of payload dicts (deprecated: use `logprov.build_document`).

    Parameters
    ----------
    provlist : iterable of dict
        Payloads, as `read_prov` returns them; they are not modified.
    default_ns : str
        Prefix of the namespace of sessions and session-local entities (``session_prefix`` of
        `logprov.build_document`).

    Returns
    -------
    prov.model.ProvDocument
        The document.
    """
    _warn("provlist2provdoc")
    from .model import build_document

    return build_document(provlist, session_prefix=default_ns)


def provdoc2svg(provdoc: ProvDocument, filename: Union[str, "os.PathLike[str]"], **options: Any) -> None:
    """Draw ``provdoc`` as an SVG file (deprecated: use `logprov.export.export` with ``"svg"``).

    Parameters
    ----------
    provdoc : prov.model.ProvDocument
        The document.
    filename : str or path
        The SVG file written.
    **options
        The fields of `logprov.export.GraphOptions` and ``program``.
    """
    _warn("provdoc2svg")
    from .export import export

    export(provdoc, "svg", filename, **options)
