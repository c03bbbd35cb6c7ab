"""Entity ids qualified as in the PROV model (``docs/prov-mapping.md``).

An id with a ``prefix:`` (``file:8d1f…``, ``obs:23523``) is global: the same id in two sessions
is one entity. Any other id (a value digest) is local to its session and is qualified as
``<session>.<id>``. Unlike `logprov.model.identifiers`, ids are kept as logged, not made XML names.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["is_global", "reference", "short"]

_PREFIX = re.compile(r"[A-Za-z0-9_.\-]+")
_KNOWN: dict[str, bool] = {}
_KNOWN_LIMIT = 4096


def is_global(entity_id: str) -> bool:
    """Return True when ``entity_id`` has a ``prefix:`` and names the same entity everywhere."""
    colon = entity_id.find(":")
    if colon <= 0:
        return False
    prefix = entity_id[:colon]
    known = _KNOWN.get(prefix)
    if known is None:
        known = _PREFIX.fullmatch(prefix) is not None
        if len(_KNOWN) < _KNOWN_LIMIT:
            _KNOWN[prefix] = known
    return known


def reference(logged: str, session: Optional[str]) -> tuple[str, Optional[str]]:
    """Return the id of an entity as the query layer knows it, and the session it belongs to.

    Parameters
    ----------
    logged : str
        The id as logged.
    session : str or None
        The session of the record that mentions it.

    Returns
    -------
    tuple of (str, str or None)
        ``(logged, None)`` for a global id or an unknown session, else
        ``("<session>.<logged>", session)``.
    """
    if session is None:
        return logged, None
    colon = logged.find(":")
    if colon > 0 and (_KNOWN.get(logged[:colon]) or is_global(logged)):
        return logged, None
    return f"{session}.{logged}", session


def short(identifier: str, width: int = 16) -> str:
    """Return ``identifier`` cut to ``width`` characters, with ``…`` when it was cut."""
    return identifier if len(identifier) <= width else identifier[: width - 1] + "\u2026"
