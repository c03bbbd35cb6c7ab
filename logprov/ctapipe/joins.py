"""Files of ctapipe provenance joined with logprov's entities of the same files.

When the reader reads ctapipe provenance together with other sources (`join_files`), it joins
the files the ctapipe activities name with the entities logprov's sessions logged, in two ways.

**By content, under the sessions' hash type.** A file that exists when the provenance is read is
identified by its content, hashed with the default ``hash_type`` (ctapipe's reading has no
capture configuration). When the logprov sessions read with it name another ``hash_type`` in
their session records, the file is hashed again with theirs, so that it is the entity those
sessions log for the same bytes. With sessions of several hash types, the one under which the
file is an entity of the logs is taken, else the default is kept.

**By path.** A file that is missing when the provenance is read is identified by its path
(``path:<absolute path>``). When the logs hold logprov's entity of a file at that path, with one
content, the ctapipe records name that entity instead. A path logprov saw with several contents
is ambiguous and keeps its ``path:`` id. The entity keeps ``identified_by: path``.

The records that name such files are yielded after the others, once every source was read.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Optional

from ..capture.identity import FileHasher
from ..capture.identity.files import FileDigest
from ..reading.results import ProvRecord
from ..records.keys import (
    ENTITY_ID, GENERATED_ID, HASH, HASH_TYPE, IDENTIFIED_BY, IN_SESSION, LOCATION, SESSION_ID, SIZE, TYPE, USED_ID,
)

__all__ = ["join_files"]

_REFERENCES = (ENTITY_ID, USED_ID, GENERATED_ID)


def _rehashed(location: str, hash_type: str, wanted: set[str], known: set[str]) -> Optional[FileDigest]:
    """Return the digest to identify the file at ``location`` with, when it is not the one of
    ``hash_type`` it has: under the one algorithm of ``wanted`` that names an entity of
    ``known``, else under the only algorithm of ``wanted`` when ``hash_type`` is not in it; None
    to keep it (also when the file cannot be read again, or an algorithm is unknown)."""
    others = sorted(wanted - {hash_type})
    if not others:
        return None
    found: dict[str, FileDigest] = {}
    for algorithm in others:
        try:
            found[algorithm] = FileHasher(algorithm).file(location)
        except (OSError, ValueError, TypeError):
            continue
    matching = [digest for digest in found.values() if digest.entity_id in known]
    if len(matching) == 1:
        return matching[0]
    if not matching and hash_type not in wanted and len(others) == 1:
        return found.get(others[0])
    return None


def join_files(records: Iterable[ProvRecord]) -> Iterator[ProvRecord]:
    """Yield ``records``; those naming a file of ctapipe provenance come last, with the id of
    logprov's entity of the same content (under the sessions' hash type) or of the same path."""
    contents: dict[str, set[str]] = {}
    hash_types: set[str] = set()
    path_ids: set[str] = set()
    content_ids: dict[str, tuple[str, str]] = {}
    sessions: set[str] = set()
    held: list[ProvRecord] = []
    for record in records:
        data = record.data
        identified = data.get(IDENTIFIED_BY)
        if identified == "path":
            path_ids.add(data[ENTITY_ID])
            held.append(record)
            continue
        if identified == "content" and isinstance(data.get(LOCATION), str):
            content_ids[data[ENTITY_ID]] = (data[LOCATION], str(data.get(HASH_TYPE)))
            sessions.add(str(data.get(IN_SESSION) or record.session))
            held.append(record)
            continue
        if path_ids or content_ids:
            if any(data.get(key) in path_ids for key in _REFERENCES) or (
                    record.session in sessions and any(data.get(key) in content_ids for key in _REFERENCES)):
                held.append(record)
                continue
        if SESSION_ID in data and data.get(HASH_TYPE).__class__ is str:
            hash_types.add(data[HASH_TYPE])
        location = data.get(LOCATION)
        if location.__class__ is str and data.get(TYPE) == "File" and identified is None:
            entity = data.get(ENTITY_ID)
            if entity.__class__ is str and entity.startswith("file:"):
                contents.setdefault(location, set()).add(entity)
                if data.get(HASH_TYPE).__class__ is str:
                    hash_types.add(data[HASH_TYPE])
        yield record
    yield from _joined(held, contents, hash_types, path_ids, content_ids)


def _joined(held: list[ProvRecord], contents: dict[str, set[str]], hash_types: set[str], path_ids: set[str],
            content_ids: dict[str, tuple[str, str]]) -> Iterator[ProvRecord]:
    """Yield the held records with the ids of the files they name joined."""
    digests: dict[str, FileDigest] = {}
    if any(hash_types - {hash_type} for _, hash_type in content_ids.values()):
        known = set().union(*contents.values())
        for entity, (location, hash_type) in content_ids.items():
            if entity in known:
                continue
            digest = _rehashed(location, hash_type, hash_types, known)
            if digest is not None:
                digests[entity] = digest
    renamed: dict[str, str] = {key: digest.entity_id for key, digest in digests.items()}
    for entity in path_ids:
        found = contents.get(entity[len("path:"):], ())
        if len(found) == 1:
            renamed[entity] = next(iter(found))
    for record in held:
        data = record.data
        changed = None
        for key in _REFERENCES:
            value = data.get(key)
            if value in renamed:
                changed = changed or dict(data)
                changed[key] = renamed[value]
        digest = digests.get(data[ENTITY_ID]) if data.get(IDENTIFIED_BY) == "content" else None
        if digest is not None and changed is not None:
            changed.update({HASH: digest.digest, HASH_TYPE: digest.hash_type, SIZE: digest.size})
        if changed is not None:
            record = ProvRecord(record.timestamp, changed, record.source, record.line, record.session, record.legacy)
        yield record
