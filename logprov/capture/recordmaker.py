"""The records of the capture that are built as dictionaries, each kind in one function.

The records written on every traced call (start, parameters, usage, generation, successful
end) are filled in from text templates instead (`logprov.capture.writer`); everything else a
capture writes is made here, with the keys of `logprov.records.keys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records import keys as K
from .identity import FileDigest

__all__ = [
    "DIGEST_SCHEMES", "session", "session_facts", "packages", "session_end", "code", "note", "failed_end", "file_entity",
    "value_entity", "member", "derivation",
]

#: Schemes of `ValueDigester.digest` that identify a value by content, less than exactly; the
#: entity record gives them as ``digest``, any other scheme as ``id_scheme``.
DIGEST_SCHEMES = frozenset({"sampled", "pickled", "summarised"})
#: Type of an entity that is a file, and of a directory identified by its listing.
_FILE = "File"
_FILE_COLLECTION = "FileCollection"
#: Status of an activity that raised.
_FAILED = "failed"


# Sessions


def session(session_id: str, start_time: str, origin: Any, module: str, *, agent_name: str, version: str,
            hash_type: str, system: dict, job: Mapping[str, str] | None, container: Mapping[str, str] | None,
            facts: Mapping[str, Any], code: Mapping[str, Any], definitions: Any, config: dict) -> dict[str, Any]:
    """Return the record of a session that began at ``start_time``.

    ``origin`` is the instance or class whose traced method began it (None for a function or
    a block, then named after ``module``); ``job`` and ``container`` what the process runs for
    and in (left out when empty); ``facts`` are the code facts known at once (packages, git),
    ``code`` the identities of the traced functions so far (left out when empty).
    """
    record: dict[str, Any] = {K.SESSION_ID: session_id, K.START_TIME: start_time}
    if origin is not None:
        cls = origin if isinstance(origin, type) else type(origin)
        record[K.NAME] = cls.__name__
        record[K.MODULE] = cls.__module__
        record[K.CLASS] = cls.__qualname__
    else:
        record[K.NAME] = module
        record[K.MODULE] = module
    record[K.AGENT_NAME] = agent_name
    record[K.LOGPROV_VERSION] = version
    record[K.HASH_TYPE] = hash_type
    record[K.SYSTEM] = system
    if job:
        record[K.JOB] = dict(job)
    if container:
        record[K.CONTAINER] = dict(container)
    record.update(facts)
    if code:
        record[K.CODE] = dict(code)
    record[K.DEFINITIONS] = definitions
    record[K.CONFIG] = config
    return record


def session_facts(session_id: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Return the record of facts of a session found after its record was written (its
    packages, its git state, or the packages of a module traced later)."""
    return {K.SESSION_ID: session_id, **facts}


def packages(session_id: str, versions: Mapping[str, str]) -> dict[str, Any]:
    """Return the record of the versions of the distributions of a module traced after the
    session record was written."""
    return session_facts(session_id, {K.PACKAGES: dict(versions)})


def session_end(session_id: str, end_time: str) -> dict[str, Any]:
    """Return the end record of a session."""
    return {K.SESSION_ID: session_id, K.END_TIME: end_time}


def code(session_id: str, function: str, identity: Mapping[str, Any]) -> dict[str, Any]:
    """Return the record of the code identity of a function traced after its session record
    was written."""
    return {K.IN_SESSION: session_id, K.CODE: {function: identity}}


def note(note_id: str, text: str, session_id: str, time: str, activity_id: str | None,
         attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the record of a note about an activity (or about its session when
    ``activity_id`` is None)."""
    record: dict[str, Any] = {K.NOTE_ID: note_id, K.NOTE: text, K.IN_SESSION: session_id, K.TIME: time}
    if activity_id is not None:
        record[K.ABOUT_ACTIVITY] = activity_id
    if attributes:
        record[K.ATTRIBUTES] = attributes
    return record


# Activities


def failed_end(activity_id: str, end_time: str, duration: float, exception_type: str,
               exception_message: str) -> dict[str, Any]:
    """Return the end record of an activity that raised."""
    return {
        K.ACTIVITY_ID: activity_id, K.END_TIME: end_time, K.STATUS: _FAILED, K.DURATION: duration,
        K.EXCEPTION_TYPE: exception_type, K.EXCEPTION_MESSAGE: exception_message,
    }


# Entities


def file_entity(entity_id: str, session_id: str, static: Mapping[str, Any], digest: FileDigest,
                scheme: str | None) -> dict[str, Any]:
    """Return the record of a file or directory identified by its digest (a directory without
    an index file, which has no size, is a ``FileCollection``)."""
    record: dict[str, Any] = {K.ENTITY_ID: entity_id, K.IN_SESSION: session_id}
    record.update(static)
    record[K.LOCATION] = digest.path
    record[K.HASH] = digest.digest
    record[K.HASH_TYPE] = digest.hash_type
    if digest.size is not None:
        record[K.SIZE] = digest.size
    elif record.get(K.TYPE) == _FILE:
        record[K.TYPE] = _FILE_COLLECTION
    _add_scheme(record, scheme)
    return record


def value_entity(entity_id: str, session_id: str, static: Mapping[str, Any], location: str | None,
                 value: str | None, scheme: str | None) -> dict[str, Any]:
    """Return the record of a Python value: where it was found (a value path) and its short
    text, each left out when None."""
    record: dict[str, Any] = {K.ENTITY_ID: entity_id, K.IN_SESSION: session_id}
    record.update(static)
    if location is not None:
        record[K.LOCATION] = location
    if value is not None:
        record[K.VALUE] = value
    _add_scheme(record, scheme)
    return record


def _add_scheme(record: dict[str, Any], scheme: str | None) -> None:
    if scheme is not None:
        record[K.DIGEST if scheme in DIGEST_SCHEMES else K.ID_SCHEME] = scheme


def member(collection_id: str, member_id: str, session_id: str) -> dict[str, Any]:
    """Return the record of an entity that is a member of a collection."""
    return {K.ENTITY_ID: collection_id, K.MEMBER_ID: member_id, K.IN_SESSION: session_id}


def derivation(entity_id: str, progenitor_id: str, session_id: str, *, within: str | None = None,
               untraced_at: str | None = None) -> dict[str, Any]:
    """Return the record of an entity derived from ``progenitor_id``.

    ``within`` is the activity the change happened in; ``untraced_at`` the time a change made
    outside traced calls was found (the record then says ``untraced``). A progenitor declared
    in the definitions has neither.
    """
    record: dict[str, Any] = {K.ENTITY_ID: entity_id, K.PROGENITOR_ID: progenitor_id, K.IN_SESSION: session_id}
    if within is not None:
        record[K.IN_ACTIVITY] = within
    if untraced_at is not None:
        record[K.GENERATED_TIME] = untraced_at
        record[K.UNTRACED] = True
    return record
