"""Choose the records of a window or of a lineage, to export or draw them as PROV."""

from __future__ import annotations

from typing import Container, Iterable, Iterator, Optional

from ..reading.reader import ProvRecord
from .ids import reference
from .model import Lineage
from .window import Window, utc_text
from ..records.keys import (
    ABOUT_ACTIVITY, ACTIVITY_ID, CODE, ENTITY_ID, GENERATED_ID, IN_SESSION, MEMBER_ID, NAME, NOTE_ID, PROGENITOR_ID,
    SESSION_ID, START_TIME, SYSTEM, USED_ID,
)

__all__ = ["window_records", "lineage_records", "records_about"]


def window_records(records: Iterable[ProvRecord], window: Window) -> Iterator[ProvRecord]:
    """Yield the records ``window`` selects, as `logprov.query.open` selects them: activities
    started in the window with all their records, entity, membership and derivation records
    logged in it, and the records of the chosen sessions that started in the window or have a
    selected activity (held back until the first one is met); a note goes with the activity or
    the session it is about, a code record with its session."""
    if window.everything:
        yield from records
        return
    chosen: dict[str, bool] = {}
    held: dict[str, list] = {}
    shown: set = set()
    for record in records:
        data = record.data
        session = record.session
        if ACTIVITY_ID in data:
            key = data[ACTIVITY_ID]
            keep = chosen.get(key)
            if keep is None:
                starts = START_TIME in data or NAME in data
                keep = chosen[key] = window.keeps(utc_text(record.timestamp) if starts else None, session)
                if keep and session is not None and session not in shown:
                    shown.add(session)
                    yield from held.pop(session, ())
        elif ENTITY_ID in data:
            keep = window.keeps(utc_text(record.timestamp), session)
        elif SESSION_ID in data and window.keeps_session(data[SESSION_ID]):
            session = data[SESSION_ID]
            starts = START_TIME in data or SYSTEM in data
            if session not in shown and starts and window.keeps_time(utc_text(record.timestamp)):
                shown.add(session)
                yield from held.pop(session, ())
            keep = session in shown
            if not keep:
                held.setdefault(session, []).append(record)
        elif NOTE_ID in data or CODE in data:
            about = data.get(ABOUT_ACTIVITY)
            session = data.get(IN_SESSION) or session
            if about is not None:
                keep = bool(chosen.get(about))
            else:
                keep = session in shown
                if not keep and session is not None and window.keeps_session(session):
                    held.setdefault(session, []).append(record)
        else:
            keep = False
        if keep:
            yield record


def lineage_records(records: Iterable[ProvRecord], lineage: Lineage) -> Iterator[ProvRecord]:
    """Yield the records about the elements of ``lineage``: everything logged about its
    activities, the descriptions of its entities and of the other entities its activities used
    and generated (so that no relation names an entity left undescribed), the memberships and
    derivations between its entities, the session records of its activities, the notes on
    those activities and sessions, and the code records of those sessions."""
    activities = lineage.activities
    entities = lineage.entities
    sessions = {activity.session for activity in activities.values()}
    records = list(records)
    described = set(entities)
    for record in records:
        data = record.data
        if data.get(ACTIVITY_ID) in activities:
            for key in (USED_ID, GENERATED_ID):
                if key in data:
                    described.add(reference(data[key], record.session)[0])
    yield from records_about(records, activities, entities, described, sessions)


def records_about(
    records: Iterable[ProvRecord],
    activities: Container[str],
    entities: Container[str],
    described: Container[str],
    sessions: Container[Optional[str]],
) -> Iterator[ProvRecord]:
    """Yield the records about a part of the logs: every record of ``activities``, the
    description records of the ``described`` entities, the memberships and derivations between
    ``entities`` (ids as `logprov.query.ids.reference` gives them), the session records of
    ``sessions``, the notes on those activities and sessions, and the code records of those
    sessions."""
    for record in records:
        data = record.data
        if ACTIVITY_ID in data:
            keep = data[ACTIVITY_ID] in activities
        elif ENTITY_ID in data:
            relation = MEMBER_ID in data or PROGENITOR_ID in data
            keep = reference(data[ENTITY_ID], record.session)[0] in (entities if relation else described)
            for other in (MEMBER_ID, PROGENITOR_ID):
                if keep and other in data:
                    keep = reference(data[other], record.session)[0] in entities
        elif SESSION_ID in data:
            keep = data[SESSION_ID] in sessions
        elif NOTE_ID in data or CODE in data:
            about = data.get(ABOUT_ACTIVITY)
            keep = about in activities if about is not None else (data.get(IN_SESSION) or record.session) in sessions
        else:
            keep = False
        if keep:
            yield record
