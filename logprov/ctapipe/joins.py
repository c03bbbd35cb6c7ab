"""Files of ctapipe provenance that no longer exist, joined with logprov's entities by their path.

A file a ctapipe activity names and that is missing when the provenance is read is identified by
its path (``path:<absolute path>``). When the logs read with it hold logprov's entity of a file
at that path, with one content, the ctapipe records name that entity instead: the Tool's file
and the file a traced session read or wrote are one entity. A path logprov saw with several
contents is ambiguous and keeps its ``path:`` id. The entity keeps ``identified_by: path``.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ..reading.reader import ProvRecord
from ..records.keys import ENTITY_ID, GENERATED_ID, IDENTIFIED_BY, LOCATION, TYPE, USED_ID

__all__ = ["join_paths"]

_REFERENCES = (ENTITY_ID, USED_ID, GENERATED_ID)


def join_paths(records: Iterable[ProvRecord]) -> Iterator[ProvRecord]:
    """Yield ``records``, those naming a ``path:`` file of ctapipe provenance last, with the id of
    logprov's entity of the same path where there is exactly one."""
    contents: dict[str, set[str]] = {}
    path_ids: set[str] = set()
    held: list[ProvRecord] = []
    for record in records:
        data = record.data
        if data.get(IDENTIFIED_BY) == "path":
            path_ids.add(data[ENTITY_ID])
            held.append(record)
            continue
        if path_ids and any(data.get(key) in path_ids for key in _REFERENCES):
            held.append(record)
            continue
        location = data.get(LOCATION)
        if location.__class__ is str and data.get(TYPE) == "File" and IDENTIFIED_BY not in data:
            entity = data.get(ENTITY_ID)
            if entity.__class__ is str and entity.startswith("file:"):
                contents.setdefault(location, set()).add(entity)
        yield record
    for record in held:
        data = record.data
        for key in _REFERENCES:
            value = data.get(key)
            if value in path_ids:
                found = contents.get(value[len("path:"):], ())
                if len(found) == 1:
                    data = dict(data)
                    data[key] = next(iter(found))
                    record = ProvRecord(record.timestamp, data, record.source, record.line, record.session,
                                        record.legacy)
        yield record
