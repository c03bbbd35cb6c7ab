"""Records in the current shape: ids as strings, and the records of logprov 0.0.2 made alike.

logprov 0.0.2 wrote Python literals with integer ids, ``None`` values, activity ids unique only
within their session, and the id of an entity as ``{…, 7762…: 7762…}``. `RecordNormalizer`
turns those, as well as current records, into one shape, and tells the session of each record;
a record whose known keys do not hold what they may (see `logprov.records.fields`) is refused.
"""

from __future__ import annotations

from typing import Any

from .fields import HOLDS, NOT_TEXT, settle
from .keys import (
    ABOUT_ACTIVITY, ACTIVITY_ID, END_TIME, ENTITY_ID, IN_ACTIVITY, IN_SESSION, KNOWN_KEYS, NAME, PARENT_ACTIVITY_ID,
    SESSION_ID, START_TIME,
)

__all__ = ["RecordNormalizer", "is_uuid"]


def is_uuid(text: str) -> bool:
    """Return True when ``text`` has the shape of a UUID (36 characters, dashes in place)."""
    return len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-"


class RecordNormalizer:
    """Bring records into the current shape and attribute them to their session.

    Integer ids become strings, the ``null`` values of known keys (and every ``null`` of 0.0.2
    records) are dropped, the 0.0.2 quirk ``{…, 7762…: 7762…}`` becomes ``entity_id``, and
    activity ids that are not UUIDs (the 6-digit ids of 0.0.2, unique only within a session)
    are qualified as ``<session>.<id>``: those of ``activity_id`` and ``parent_activity_id``, and those
    naming the activity of a derivation (``in_activity``) or of a note (``about_activity``).
    A record belongs to the session named by ``session_id`` or ``in_session``, else to the
    session of its activity, else (legacy records only) to the last session seen in the source.
    Normalising a record twice changes nothing.
    """

    __slots__ = ("current", "activities")

    def __init__(self) -> None:
        self.current: str | None = None
        self.activities: dict[str, str | None] = {}

    def new_source(self) -> None:
        """Forget the current session: the next source starts afresh."""
        self.current = None

    def normalize(self, data: dict[Any, Any], legacy: bool | None = None) -> str | None:
        """Normalise ``data`` in place and return its session id.

        Parameters
        ----------
        data : dict
            A decoded payload.
        legacy : bool or None
            True for a 0.0.2 payload, False for a JSON one, None when unknown.

        Returns
        -------
        str or None
            The session of the record, if known.

        Raises
        ------
        ValueError
            If a known key of ``data`` holds what it may not (see `logprov.records.fields.settle`);
            ``data`` and the normalizer are then left as they were.
        """
        holds = HOLDS.get
        for key, value in data.items():
            if value.__class__ is str:
                if key not in NOT_TEXT:
                    continue
            else:
                classes = holds(key)
                if classes is None:
                    if value is not None or key not in KNOWN_KEYS:
                        continue
                elif value.__class__ in classes:
                    continue
            settle(data)
            break
        if legacy is not False:
            self._fix_legacy(data)
        session: str | None = data.get(SESSION_ID)
        if session is not None:
            self.current = session
            return session
        named: str | None = data.get(IN_SESSION)
        activity: str | None = data.get(ACTIVITY_ID)
        if activity is None:
            session = named if named is not None else self.current if legacy is not False else None
            if session is not None:
                self._qualify_links(data, session)
            return session
        if named is not None:
            session = self.current = named
        else:
            session = self.activities.get(activity)
            if session is None and legacy is not False:
                session = self.current
        if START_TIME in data or NAME in data:
            self.activities[activity] = session
        if session is not None:
            if not is_uuid(activity):
                data[ACTIVITY_ID] = self.qualify_activity(activity, session)
            parent = data.get(PARENT_ACTIVITY_ID)
            if parent is not None and not is_uuid(parent):
                data[PARENT_ACTIVITY_ID] = self.qualify_activity(parent, session)
        if END_TIME in data:
            self.activities.pop(activity, None)
        return session

    @staticmethod
    def qualify_activity(activity: str, session: str) -> str:
        """Return ``activity`` qualified with ``session`` unless it is a UUID or already is."""
        if is_uuid(activity) or activity.startswith(session + "."):
            return activity
        return f"{session}.{activity}"

    @staticmethod
    def _qualify_links(data: dict[Any, Any], session: str) -> None:
        """Qualify the activity that a derivation or a note of ``session`` names."""
        for key in (IN_ACTIVITY, ABOUT_ACTIVITY):
            named: str | None = data.get(key)
            if named is not None and not is_uuid(named):
                data[key] = RecordNormalizer.qualify_activity(named, session)

    @staticmethod
    def _fix_legacy(data: dict[Any, Any]) -> None:
        empty = [key for key, value in data.items() if value is None]
        for key in empty:
            del data[key]
        if ENTITY_ID in data or ACTIVITY_ID in data or SESSION_ID in data:
            return
        for key, value in data.items():
            if (
                isinstance(key, (int, str))
                and not isinstance(key, bool)
                and key == value
                and key not in KNOWN_KEYS
            ):
                del data[key]
                data[ENTITY_ID] = str(key)
                return
