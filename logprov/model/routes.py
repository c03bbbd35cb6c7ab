"""Kinds of records told apart by their keys, so that each kind can be taken by its own handler.

Most records of a log have one of a few sets of keys: the start or the end of an activity, a
usage, a generation, the parameters of an activity, a membership, a derivation, the description
of an entity. `record_kind` names the kind of a set of keys; anything else (sessions, records
mixing parts) is ``"other"``, for the handler that takes every record.
"""

from __future__ import annotations

from typing import Collection, Dict, FrozenSet

__all__ = ["OTHER", "record_kind"]

OTHER = "other"

_EXACT: Dict[FrozenSet[str], str] = {
    frozenset({"activity_id", "used_id", "used_role"}): "used",
    frozenset({"activity_id", "generated_id", "generated_role"}): "generated",
    frozenset({"activity_id", "parameters"}): "parameters",
    frozenset({"entity_id", "member_id", "in_session"}): "member",
    frozenset({"entity_id", "progenitor_id", "in_session"}): "derivation",
}
_DESCRIPTION_KEYS = frozenset(
    {
        "entity_id", "in_session", "location", "hash", "hash_type", "contentType", "description",
        "size", "id_scheme", "digest", "entity_description", "value", "type",
    }
)
_RELATION_KEYS = frozenset({"entity_id", "in_session"})
_START_KEYS = frozenset(
    {"activity_id", "name", "startTime", "in_session", "agent_name", "function", "parent_activity_id"}
)
_END_KEYS = frozenset(
    {"activity_id", "endTime", "status", "duration", "exception_type", "exception_message"}
)


def record_kind(keys: Collection[str]) -> str:
    """Return the kind of the records with ``keys``.

    Parameters
    ----------
    keys : collection of str
        The keys of a record, as normalised by `logprov.reading.reader.RecordNormalizer`.

    Returns
    -------
    str
        ``used``, ``generated``, ``parameters``, ``member``, ``derivation``, ``description``
        (an entity described by attributes, without relation), ``start`` and ``end`` (of an
        activity) or `OTHER`.
    """
    found = frozenset(keys)
    if len(found) != len(keys):
        return OTHER
    kind = _EXACT.get(found)
    if kind is not None:
        return kind
    if "entity_id" in found and found <= _DESCRIPTION_KEYS and not found <= _RELATION_KEYS:
        return "description"
    if "startTime" in found and "activity_id" in found and found <= _START_KEYS:
        return "start"
    if "endTime" in found and "activity_id" in found and found <= _END_KEYS:
        return "end"
    return OTHER
