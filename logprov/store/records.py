"""The records a store holds, made again from its rows: what ``export`` and ``graph`` read
from a store instead of logs.

They carry what the tables keep (see docs/store.md): the session facts of the session table,
every activity with its parameters, usages, generations and end, every entity description,
membership and derivation. What the tables do not keep (the packages of a session, the code
identity of traced functions) is not in them.
"""

from __future__ import annotations

import json
from typing import Iterator, Optional

from ..query.facts import CONTEXT_FIELDS, SESSION_FIELDS
from ..reading.reader import ProvRecord
from ..records import keys as K
from .engines import Engine
from .writer import ENTITY_KEYS, SESSION_COLUMNS

__all__ = ["stored_records", "stored_notes"]

_SOURCE = "<store>"
_EPOCH = "1970-01-01T00:00:00.000000+00:00"


def _owner(key: str, logged: str) -> Optional[str]:
    """Return the session a qualified entity id ``key`` belongs to (None for a global id)."""
    return key[: len(key) - len(logged) - 1] if logged != key else None


def _session_record(row: tuple) -> dict:
    fields = dict(zip(SESSION_FIELDS + CONTEXT_FIELDS, row[2:]))
    data: dict = {K.SESSION_ID: row[0]}
    for key, name in (("start", K.START_TIME), ("end", K.END_TIME), (K.NAME, K.NAME), (K.MODULE, K.MODULE),
                      ("user", K.AGENT_NAME), (K.HASH_TYPE, K.HASH_TYPE), ("version", K.LOGPROV_VERSION)):
        if fields[key] is not None:
            data[name] = fields[key]
    system = {key: fields[key] for key in ("cwd", "pid") if fields[key] is not None}
    if fields["command"] is not None:
        system["argv"] = str(fields["command"]).split(" ")
    if fields["host"] is not None:
        system["platform"] = {"node": fields["host"]}
    if system:
        data[K.SYSTEM] = system
    if fields["git_commit"] is not None:
        data[K.GIT] = {"commit": fields["git_commit"]}
    for context in CONTEXT_FIELDS:
        if fields[context] is not None:
            data[context] = json.loads(fields[context])
    return data


def stored_records(engine: Engine) -> Iterator[ProvRecord]:
    """Yield records holding what the store holds, sessions first, each activity from its start
    to its end, in the order the rows were stored."""
    line = 0

    def record(moment: Optional[str], data: dict, session: Optional[str]) -> ProvRecord:
        nonlocal line
        line += 1
        return ProvRecord(moment or _EPOCH, data, _SOURCE, line, session)

    sessions = engine.rows(f"SELECT ses_id, ses_moment, {', '.join(SESSION_COLUMNS)} FROM session "
                           "ORDER BY ses_moment, ses_id")
    for row in sessions:
        data = _session_record(row)
        data.pop(K.END_TIME, None)
        yield record(row[1] or row[2], data, row[0])
    for (key, logged, session, moment, *values) in engine.iterate(
            "SELECT e.er_ent_id, i.ent_logged_id, e.er_session, e.er_moment, e.er_type, e.er_location, e.er_value, "
            "e.er_hash, e.er_hash_type, e.er_descr_id, e.er_content_type, e.er_size, e.er_description, "
            "e.er_id_scheme, e.er_digest, e.er_identified_by, e.er_product_id, e.er_reference_meta, "
            "e.er_generated_time FROM entity_record e JOIN entity i ON i.ent_id = e.er_ent_id ORDER BY e.er_seq"):
        owner = _owner(key, logged)
        data = {K.ENTITY_ID: logged, K.IN_SESSION: owner or session}
        for name, value in zip(ENTITY_KEYS, values):
            if value is not None:
                data[name] = value
        yield record(moment, data, owner or session)
    activities = engine.rows(
        "SELECT act_id, act_name, act_startTime, act_session, act_agent, act_function, act_parent, "
        "act_parameters, act_endTime, act_status, act_duration, act_exception_type, act_exception_message, "
        "act_exit_code, act_moment FROM activity ORDER BY act_start_utc, act_id")
    for (key, name, start, session, agent, function, parent, parameters, *_, moment) in activities:
        data = {K.ACTIVITY_ID: key, K.IN_SESSION: session}
        for field, value in ((K.NAME, name), (K.START_TIME, start), (K.AGENT_NAME, agent), (K.FUNCTION, function),
                             (K.PARENT_ACTIVITY_ID, parent)):
            if value is not None:
                data[field] = value
        if parameters:
            data[K.PARAMETERS] = json.loads(parameters)
        yield record(moment or start, data, session)
    sessions_of = {row[0]: row[3] for row in activities}
    for relation, table, prefix in (("used", "used", "used"), ("generated", "wasGeneratedBy", "wgb")):
        for activity, logged, key, role in engine.iterate(
                f"SELECT r.{prefix}_act_id, i.ent_logged_id, r.{prefix}_ent_id, r.{prefix}_role FROM {table} r "
                f"JOIN entity i ON i.ent_id = r.{prefix}_ent_id ORDER BY r.{prefix}_seq"):
            session = _owner(key, logged) or sessions_of.get(activity)
            data = {K.ACTIVITY_ID: activity, f"{relation}_id": logged, K.IN_SESSION: session}
            if role is not None:
                data[f"{relation}_role"] = role
            yield record(None, data, session)
    for collection, logged, member, member_logged, session, moment in engine.iterate(
            "SELECT m.hm_collection_id, c.ent_logged_id, m.hm_ent_id, e.ent_logged_id, m.hm_session, m.hm_moment "
            "FROM hadMember m JOIN entity c ON c.ent_id = m.hm_collection_id "
            "JOIN entity e ON e.ent_id = m.hm_ent_id ORDER BY m.hm_seq"):
        owner = _owner(collection, logged) or _owner(member, member_logged) or session
        yield record(moment, {K.ENTITY_ID: logged, K.MEMBER_ID: member_logged, K.IN_SESSION: owner}, owner)
    for entity, logged, progenitor, used_logged, untraced, activity, session, moment in engine.iterate(
            "SELECT d.wdf_generatedEntity, g.ent_logged_id, d.wdf_usedEntity, u.ent_logged_id, d.wdf_untraced, "
            "d.wdf_activity, d.wdf_session, d.wdf_moment FROM wasDerivedFrom d "
            "JOIN entity g ON g.ent_id = d.wdf_generatedEntity JOIN entity u ON u.ent_id = d.wdf_usedEntity "
            "ORDER BY d.wdf_seq"):
        owner = _owner(entity, logged) or _owner(progenitor, used_logged) or session
        data = {K.ENTITY_ID: logged, K.PROGENITOR_ID: used_logged, K.IN_SESSION: owner}
        if untraced:
            data[K.UNTRACED] = True
        if activity is not None:
            data[K.IN_ACTIVITY] = activity
        yield record(moment, data, owner)
    for (key, _, _, session, *_, end, status, duration, exception_type, exception_message, exit_code, _) in activities:
        if end is None and status is None:
            continue
        data = {K.ACTIVITY_ID: key, K.IN_SESSION: session}
        for field, value in ((K.END_TIME, end), (K.STATUS, status), (K.DURATION, duration),
                             (K.EXCEPTION_TYPE, exception_type), (K.EXCEPTION_MESSAGE, exception_message),
                             (K.EXIT_CODE, exit_code)):
            if value is not None:
                data[field] = value
        yield record(None, data, session)
    for time, data, session in _notes(engine):
        yield record(time, data, session)
    for row in sessions:
        data = _session_record(row)
        if K.END_TIME in data:
            yield record(None, {K.SESSION_ID: row[0], K.END_TIME: data[K.END_TIME]}, row[0])


def _notes(engine: Engine) -> Iterator[tuple[Optional[str], dict, Optional[str]]]:
    """Yield ``(time, record, session)`` of every note of the store, in the order of their times."""
    for key, session, activity, time, text, attributes in engine.iterate(
            "SELECT note_id, note_session, note_act_id, note_time, note_text, note_attributes FROM note "
            "ORDER BY note_time, note_id"):
        data = {K.NOTE_ID: key, K.NOTE: text, K.IN_SESSION: session, K.TIME: time}
        if activity is not None:
            data[K.ABOUT_ACTIVITY] = activity
        if attributes is not None:
            data[K.ATTRIBUTES] = json.loads(attributes)
        yield time, data, session


def stored_notes(engine: Engine) -> Iterator[ProvRecord]:
    """Yield the records of the notes the store holds (as `stored_records` gives them)."""
    for line, (time, data, session) in enumerate(_notes(engine), 1):
        yield ProvRecord(time or _EPOCH, data, _SOURCE, line, session)
