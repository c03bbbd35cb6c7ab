"""Notes on sessions and activities: appended to a log afterwards, and found by their text."""

from __future__ import annotations

import os
import uuid
from typing import Any, Iterable, Optional

from .errors import LogprovError
from .handlers import ProvFileHandler
from .capture.writer import now
from .reading.kinds import kinds_of
from .reading.reader import ProvRecord, iter_records
from .records.keys import ABOUT_ACTIVITY, ACTIVITY_ID, ATTRIBUTES, IN_SESSION, NOTE, NOTE_ID, SESSION_ID, TIME
from .records.lines import encode_line

__all__ = ["note_record", "append_note", "noted"]

_SHOWN = 5
_GZIP_MAGIC = b"\x1f\x8b"


def note_record(text: str, session: str, activity: Optional[str] = None, time: Optional[str] = None,
                attributes: Optional[dict] = None) -> dict:
    """Return the record of a note on ``activity`` of ``session`` (on the session when
    ``activity`` is None), written at ``time`` (default: now)."""
    record: dict[str, Any] = {NOTE_ID: str(uuid.uuid4()), NOTE: text, IN_SESSION: session, TIME: time or now()}
    if activity is not None:
        record[ABOUT_ACTIVITY] = activity
    if attributes:
        record[ATTRIBUTES] = attributes
    return record


def _target(log: str, prefix: str) -> tuple[str, Optional[str]]:
    """Return ``(session, activity)`` of the one session or activity of ``log`` whose id starts
    with ``prefix`` (activity None for a session)."""
    if not prefix:
        raise LogprovError(f"{log}: give a session or activity id, or the start of one")
    sessions: dict[str, None] = {}
    activities: dict[str, str] = {}
    for record in iter_records(log):
        data = record.data
        session = data.get(SESSION_ID)
        if session is not None and session.startswith(prefix):
            sessions[session] = None
        activity = data.get(ACTIVITY_ID)
        if activity is not None and record.session is not None and activity.startswith(prefix):
            activities.setdefault(activity, record.session)
    found = [(session, None) for session in sessions] + list((s, a) for a, s in activities.items())
    if not found:
        raise LogprovError(f"{log}: no session or activity id starts with {prefix!r}")
    if len(found) > 1:
        names = ", ".join(activity or session for session, activity in found[:_SHOWN])
        more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
        raise LogprovError(f"{log}: {prefix!r} is the start of {len(found)} ids ({names}{more}); give more of it")
    return found[0]


def _check_appendable(log: str) -> None:
    """Raise `LogprovError` unless ``log`` is a plain logprov log, to which a line can be
    appended: not standard input, a compressed log, a product with embedded provenance or any
    other source that is read whole."""
    refused = f"{log}: not a log file that notes can be appended to"
    if log == "-" or log.endswith(".gz") or not os.path.isfile(log):
        raise LogprovError(refused)
    with open(log, "rb") as stream:
        if stream.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC:
            raise LogprovError(f"{refused} (gzip-compressed)")
    for kind in kinds_of(log):
        if not kind.appendable:
            raise LogprovError(f"{refused} ({kind.name}, read but never written to); note into the logprov log "
                               "it came from, then embed the product again to carry the note")


def append_note(log: str, prefix: str, text: str) -> dict:
    """Append a note on the session or activity whose id starts with ``prefix`` to ``log``.

    The record is one ``_PROV_`` line, appended in a single write (like the capture's own
    handler does), after a line end if the log does not end with one.

    Returns
    -------
    dict
        The note record written.

    Raises
    ------
    LogprovError
        If ``log`` is not a plain logprov log (a product with embedded provenance, a compressed
        log, standard input, a missing file), or ``prefix`` names no id or several; ``log`` is
        then left unchanged.
    """
    _check_appendable(log)
    session, activity = _target(log, prefix)
    record = note_record(text, session, activity)
    handler = ProvFileHandler(log)
    try:
        handler.write_message(f"INFO logprov {encode_line(record[TIME], record)}")
    finally:
        handler.close()
    return record


def noted(records: Iterable[ProvRecord], text: str) -> tuple[set[str], set[str]]:
    """Return the activities and the sessions with a note holding ``text`` (case-insensitive)."""
    wanted = text.casefold()
    activities: set[str] = set()
    sessions: set[str] = set()
    for record in records:
        data = record.data
        if NOTE_ID not in data or wanted not in str(data.get(NOTE, "")).casefold():
            continue
        activity = data.get(ABOUT_ACTIVITY)
        if activity is not None:
            activities.add(str(activity))
        elif record.session is not None:
            sessions.add(record.session)
    return activities, sessions
