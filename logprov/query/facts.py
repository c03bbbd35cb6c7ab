"""Turn provenance records into facts for a graph: one streaming pass, one record at a time."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional, Protocol

from ..reading.reader import ProvRecord
from ..records import keys as K
from .ids import reference
from .window import UTC_LENGTH, UTC_SUFFIX, Window, utc_text

__all__ = ["Sink", "FactReader", "session_fields", "SESSION_FIELDS", "CONTEXT_FIELDS"]

#: Fields of a session, taken from its session records.
SESSION_FIELDS = (
    "start", "end", "name", "module", "user", "host", "command", "cwd", "pid", "hash_type",
    "version", "git_commit",
)
#: Fields of a session that hold a mapping: the job and the container it ran in.
CONTEXT_FIELDS = ("job", "container")

_EMPTY: dict = {}


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def session_fields(data: dict) -> dict:
    """Return the `SESSION_FIELDS` and `CONTEXT_FIELDS` found in a session record (start or end)."""
    system = _mapping(data.get(K.SYSTEM))
    platform = _mapping(system.get("platform"))
    git = _mapping(data.get(K.GIT))
    argv = system.get("argv", system.get("arguments"))
    fields = {
        "start": data.get(K.START_TIME),
        "end": data.get(K.END_TIME),
        "name": data.get(K.NAME),
        "module": data.get(K.MODULE),
        "user": data.get(K.AGENT_NAME),
        "host": platform.get("node"),
        "command": " ".join(map(str, argv)) if isinstance(argv, (list, tuple)) else argv,
        "cwd": system.get("cwd"),
        "pid": system.get("pid"),
        "hash_type": data.get(K.HASH_TYPE),
        "version": data.get(K.LOGPROV_VERSION),
        "git_commit": git.get("commit"),
    }
    for key in CONTEXT_FIELDS:
        value = data.get(key)
        if isinstance(value, dict) and value:
            fields[key] = {str(name): str(item) for name, item in value.items()}
    return {key: value for key, value in fields.items() if value is not None}


class Sink(Protocol):
    """What a `FactReader` feeds: an in-memory graph or an index being written."""

    def known(self, activity: str, look_up: bool = True) -> tuple[bool, Optional[str]]:
        """Return whether ``activity`` was met already, and its session; without ``look_up``,
        a store answers from what it met in this pass only (the record names its session)."""

    def session(self, session: str, moment: Optional[str], fields: dict) -> None:
        """Take a session record (its start record when it has a ``start``)."""

    def activity(self, activity: str, session: Optional[str], moment: Optional[str], data: dict) -> None:
        """Take an activity record other than a usage or generation (``moment`` set for a start)."""

    def used(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
             role: Optional[str]) -> None:
        """Take a usage; ``owner`` is the entity's session, None for a global id."""

    def generated(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
                  role: Optional[str]) -> None:
        """Take a generation."""

    def entity(self, entity: str, owner: Optional[str], session: Optional[str], moment: Optional[str],
               data: dict) -> None:
        """Take an entity description."""

    def member(self, collection: str, member: str, owners: tuple, session: Optional[str],
               moment: Optional[str]) -> None:
        """Take a membership; ``owners`` are the sessions of the two ids."""

    def derivation(self, entity: str, progenitor: str, owners: tuple, untraced: bool,
                   activity: Optional[str], session: Optional[str], moment: Optional[str]) -> None:
        """Take a derivation; ``activity`` is the one it happened in. The ``generated_time`` of
        an untraced derivation follows as an entity description of the derived entity."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FactReader:
    """Feed the facts of records to a sink, keeping only what a window selects.

    Parameters
    ----------
    sink : Sink
        Where the facts go.
    window : Window, optional
        What to keep (everything by default).
    moments : bool
        Pass the times of records to the sink (always done when the window has a time bound).
    """

    __slots__ = ("sink", "window", "moments", "note")

    def __init__(self, sink: Sink, window: Window | None = None, moments: bool = True) -> None:
        self.sink = sink
        self.window = None if window is None or window.everything else window
        self.moments = moments or (self.window is not None and self.window.timed)
        self.note = getattr(sink, "note", None)

    def add_all(self, records: Iterable[ProvRecord]) -> None:
        """Take every record of ``records``.

        The cyclic garbage collector is paused meanwhile: the pass makes millions of objects
        and no cycles, and collections would otherwise take a good part of its time.
        """
        activity, entity, session = self._activity, self._entity, self._session
        with _collector_paused():
            for record in records:
                data = record.data
                if K.ACTIVITY_ID in data:
                    activity(data, record.session, record.timestamp)
                elif K.ENTITY_ID in data:
                    entity(data, record.session, record.timestamp)
                elif K.SESSION_ID in data:
                    session(data, record.timestamp)
                elif K.NOTE_ID in data and self.note is not None:
                    self.note(data, record.session)

    def add(self, record: ProvRecord) -> None:
        """Take one record from `logprov.reading.reader.iter_records`."""
        self.add_all((record,))

    def _session(self, data: dict, timestamp: str) -> None:
        session = data[K.SESSION_ID]
        if self.window is None or self.window.keeps_session(session):
            fields = session_fields(data)
            moment = utc_text(timestamp) if "start" in fields and self.moments else None
            self.sink.session(session, moment, fields)

    def _activity(self, data: dict, session: Optional[str], timestamp: str) -> None:
        sink = self.sink
        key = data[K.ACTIVITY_ID]
        seen, known_session = sink.known(key, session is None or self.window is not None)
        if session is None:
            session = known_session
        moment = None
        if self.moments and (K.START_TIME in data or K.NAME in data):
            moment = timestamp if len(timestamp) == UTC_LENGTH and timestamp.endswith(UTC_SUFFIX) else utc_text(timestamp)
        if not seen and self.window is not None and not self.window.keeps(moment, session):
            return
        if K.USED_ID in data:
            if not seen:
                sink.activity(key, session, None, _EMPTY)
            entity, owner = reference(data[K.USED_ID], session)
            role = data.get(K.USED_ROLE)
            sink.used(key, session, entity, owner, role if role is None or isinstance(role, str) else str(role))
        elif K.GENERATED_ID in data:
            if not seen:
                sink.activity(key, session, None, _EMPTY)
            entity, owner = reference(data[K.GENERATED_ID], session)
            role = data.get(K.GENERATED_ROLE)
            sink.generated(key, session, entity, owner, role if role is None or isinstance(role, str) else str(role))
        else:
            sink.activity(key, session, moment, data)

    def _entity(self, data: dict, session: Optional[str], timestamp: str) -> None:
        moment = None
        if self.moments:
            moment = timestamp if len(timestamp) == UTC_LENGTH and timestamp.endswith(UTC_SUFFIX) else utc_text(timestamp)
        if self.window is not None and not self.window.keeps(moment, session):
            return
        entity, owner = reference(data[K.ENTITY_ID], session)
        member = data.get(K.MEMBER_ID)
        if member is not None:
            other, other_owner = reference(member, session)
            self.sink.member(entity, other, (owner, other_owner), session, moment)
            return
        progenitor = data.get(K.PROGENITOR_ID)
        if progenitor is not None:
            other, other_owner = reference(progenitor, session)
            activity = data.get(K.IN_ACTIVITY)
            self.sink.derivation(
                entity, other, (owner, other_owner), bool(data.get(K.UNTRACED)),
                None if activity is None else str(activity), session, moment,
            )
            found = data.get(K.GENERATED_TIME)
            if found is not None:
                self.sink.entity(entity, owner, session, moment, {K.GENERATED_TIME: found})
            return
        self.sink.entity(entity, owner, session, moment, data)
