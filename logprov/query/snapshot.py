"""Logs read once into memory, for pages and comparisons that need every record: the query
model of `logprov.query` together with what it leaves out (the whole session records, the
code identity of traced functions) and the selected records themselves."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from ..reading.reader import ProvRecord, ReadStats, iter_records
from .facts import FactReader
from .memory import MemoryGraph
from .progress import Progress, source_sizes, track
from .provenance import Provenance
from .select import window_records
from ..reading.sources import LogFile, resolve
from .window import Window
from ..records.keys import (
    ABOUT_ACTIVITY, ACTIVITY_ID, ATTRIBUTES, CODE, ENTITY_ID, IN_SESSION, NOTE, NOTE_ID, SESSION_ID, TIME,
)

__all__ = ["Note", "Snapshot", "load"]


@dataclass(frozen=True)
class Note:
    """A note on a session or an activity (see `logprov.notes`).

    Attributes
    ----------
    id : str
        The note's id.
    text : str
        What it says.
    session : str or None
        The session it belongs to.
    activity : str or None
        The activity it is about; None for a note on its session.
    time : str or None
        When it was written, as logged.
    attributes : dict
        Its further values.
    """

    id: str
    text: str
    session: Optional[str]
    activity: Optional[str]
    time: Optional[str]
    attributes: dict

    def to_dict(self) -> dict:
        """Return the note as a JSON-serialisable dict."""
        return {"id": self.id, "text": self.text, "session": self.session, "activity": self.activity,
                "time": self.time, "attributes": self.attributes}


@dataclass
class Snapshot:
    """What a set of logs holds, in memory.

    Attributes
    ----------
    provenance : Provenance
        Queries over the selected records.
    details : dict
        Session id to the session record as logged (``system``, ``packages``, ``git``…), with
        the later records of the session (its end, packages and code records) merged in.
    code : dict
        Session id to ``{function: {"version": …, "digest": …}}``, the code identity of each
        traced function (see the ``code`` record in docs/records.md).
    records : list of ProvRecord
        The selected records, in log order.
    notes : list of Note
        The notes of the selected records, in log order.
    """

    provenance: Provenance
    details: dict = field(default_factory=dict)
    code: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def notes_on(self, session: Optional[str], activity: Optional[str] = None) -> list:
        """Return the notes on ``activity`` (of any session), or on ``session`` itself when
        ``activity`` is None."""
        if activity is not None:
            return [note for note in self.notes if note.activity == activity]
        return [note for note in self.notes if note.activity is None and note.session == session]


def _add_code(code: dict, session: Optional[str], functions: Any) -> None:
    if isinstance(functions, dict):
        known = code.setdefault(session, {})
        known.update((str(name), identity) for name, identity in functions.items() if isinstance(identity, dict))


def _note(record: ProvRecord) -> Note:
    data = record.data
    about = data.get(ABOUT_ACTIVITY)
    attributes = data.get(ATTRIBUTES)
    session = data.get(IN_SESSION) or record.session
    return Note(str(data[NOTE_ID]), str(data.get(NOTE, "")), None if session is None else str(session),
                None if about is None else str(about), data.get(TIME) or record.timestamp,
                attributes if isinstance(attributes, dict) else {})


def _collect(record: ProvRecord, details: dict, code: dict, notes: list) -> None:
    data = record.data
    if NOTE_ID in data:
        notes.append(_note(record))
        return
    if SESSION_ID in data:
        merged = details.setdefault(data[SESSION_ID], {})
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        _add_code(code, data[SESSION_ID], data.get(CODE))
    elif CODE in data and ACTIVITY_ID not in data and ENTITY_ID not in data:
        _add_code(code, data.get(IN_SESSION) or record.session, data[CODE])


def load(sources: Union[str, "os.PathLike[str]", Iterable[Any]], window: Optional[Window] = None,
         progress: Optional[Progress] = None) -> Snapshot:
    """Read ``sources`` (as `logprov.query.open` takes them) into a `Snapshot`.

    Raises
    ------
    LogReadError
        If a log does not exist or cannot be read.
    """
    window = window if window is not None else Window()
    if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read"):
        sources = [sources]
    sources = list(sources)
    counts: dict = {}
    stats = ReadStats()
    sizes = source_sizes(sources) if progress is not None else None
    records = list(window_records(track(iter_records(sources, stats=stats), progress, "reading", counts,
                                        stats, sizes), window))
    details: dict = {}
    code: dict = {}
    notes: list = []
    for record in records:
        _collect(record, details, code, notes)
    graph = MemoryGraph()
    FactReader(graph, window, moments=True).add_all(records)
    logs = [f for f in resolve([s for s in sources if not hasattr(s, "read")]) if isinstance(f, LogFile)]
    provenance = Provenance(graph, window, logs, counts.get("records", 0))
    return Snapshot(provenance, details, code, records, notes)
