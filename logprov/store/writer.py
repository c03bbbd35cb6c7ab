"""The sink that turns facts (see `logprov.query.facts`) into rows of a store."""

from __future__ import annotations

import json
from typing import Any, Optional

from ..query.facts import CONTEXT_FIELDS, SESSION_FIELDS
from ..query.filters import exit_code_of
from ..query.window import utc_text
from ..records import keys as K
from .engines import Engine, chunked

__all__ = ["StoreWriter", "SESSION_COLUMNS", "ACTIVITY_COLUMNS", "ENTITY_KEYS"]

#: Columns of the session table, in the order of `SESSION_FIELDS` then `CONTEXT_FIELDS` (the
#: job and the container as JSON objects).
SESSION_COLUMNS = tuple(
    {"start": "ses_startTime", "end": "ses_endTime"}.get(name, f"ses_{name}") for name in SESSION_FIELDS + CONTEXT_FIELDS)
#: Columns holding the keys of the job and the container that searches filter on.
CONTEXT_COLUMNS = tuple(f"ses_{context}_{key}" for context, keys in (
    (K.JOB, (K.SYSTEM, "id", "array_index", "url")), (K.CONTAINER, ("runtime", "image", "tag", K.DIGEST)))
    for key in keys)
#: Columns of the activity table after act_id, in the order of a row kept by `StoreWriter`.
ACTIVITY_COLUMNS = (
    "act_session", "act_moment", "act_name", "act_startTime", "act_start_utc", "act_endTime", "act_ended",
    "act_status", "act_duration", "act_exception_type", "act_exception_message", "act_function", "act_agent",
    "act_parent", "act_parameters", "act_exit_code",
)
_ACTIVITY_KEYS = {
    K.NAME: 2, K.START_TIME: 3, K.END_TIME: 5, K.STATUS: 7, K.DURATION: 8, K.EXCEPTION_TYPE: 9,
    K.EXCEPTION_MESSAGE: 10, K.FUNCTION: 11, K.AGENT_NAME: 12, K.PARENT_ACTIVITY_ID: 13, K.EXIT_CODE: 15,
}
_KEEP_FIRST = ("act_session", "act_moment", "act_startTime", "act_start_utc")
#: Record keys of an entity description, in the order of their columns in entity_record.
ENTITY_KEYS = (
    K.TYPE, K.LOCATION, K.VALUE, K.HASH, K.HASH_TYPE, K.ENTITY_DESCRIPTION, K.CONTENT_TYPE, K.SIZE, K.DESCRIPTION,
    K.ID_SCHEME, K.DIGEST, K.IDENTIFIED_BY, K.PRODUCT_ID, K.REFERENCE_META, K.GENERATED_TIME,
)
_ENTITY_RECORD_COLUMNS = (
    "er_ent_id", "er_session", "er_moment", "er_type", "er_location", "er_value", "er_hash", "er_hash_type",
    "er_descr_id", "er_content_type", "er_size", "er_description", "er_id_scheme", "er_digest",
    "er_identified_by", "er_product_id", "er_reference_meta", "er_generated_time", "er_first",
)
_APPENDED = {
    "entity_record": _ENTITY_RECORD_COLUMNS,
    "used": ("used_act_id", "used_ent_id", K.USED_ROLE),
    "wasGeneratedBy": ("wgb_act_id", "wgb_ent_id", "wgb_role"),
    "hadMember": ("hm_collection_id", "hm_ent_id", "hm_session", "hm_moment"),
    "wasDerivedFrom": ("wdf_generatedEntity", "wdf_usedEntity", "wdf_untraced", "wdf_activity", "wdf_session",
                       "wdf_moment"),
}
#: The column of each appended table whose index finds the rows a new row may repeat.
_LEADING = {
    "entity_record": "er_ent_id", "used": "used_act_id", "wasGeneratedBy": "wgb_act_id",
    "hadMember": "hm_collection_id", "wasDerivedFrom": "wdf_generatedEntity",
}
#: The session column of the appended tables that have one.
_SESSION_COLUMN = {"entity_record": "er_session", "hadMember": "hm_session", "wasDerivedFrom": "wdf_session"}
#: Sessions of one batch that `StoreWriter._new_rows` names in its look-ups at most.
_SESSIONS_LOOKED_UP = 50
_NUMBERS = frozenset({"act_duration"})
_INTEGERS = frozenset({"ses_pid", "er_size"})
#: Distinct entity descriptions remembered by `StoreWriter._first` at most.
_DESCRIBED_LIMIT = 500_000
_PLAIN = frozenset({type(None), str, int, float})
_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
_INT64 = 2**63


def _scalar(value: Any) -> Any:
    """Return ``value`` as a text column holds it: texts, numbers and None as they are, others as JSON."""
    if value is None or isinstance(value, (str, float)) or type(value) is int:
        return value if type(value) is not int or -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    return _json(value)


def _integer(value: Any) -> Optional[int]:
    return value if type(value) is int and -_INT64 <= value < _INT64 else None


def _number(value: Any) -> Optional[float]:
    return float(value) if type(value) in (int, float) else None


def _fits(row: tuple) -> bool:
    """Tell whether the columns of a store hold ``row`` as it is: texts, floats, None and
    integers of 64 bits only."""
    kinds = set(map(type, row))
    return kinds <= _PLAIN and (int not in kinds or all(-_INT64 <= value < _INT64 for value in row
                                                        if value.__class__ is int))


def _plain(rows: list) -> list:
    """Return ``rows`` with every value made a scalar (`_scalar`)."""
    return [row if _fits(row) else tuple(map(_scalar, row)) for row in rows]


class StoreWriter:
    """A `logprov.query.facts.Sink` writing facts into the tables of a store.

    Rows wait in memory until `flush`, which the loader calls inside the transaction that
    also records how far the source was read, so a batch is stored whole or not at all.

    Parameters
    ----------
    engine : Engine or None
        The store, with its tables created; None for a writer whose rows are taken with
        `take_pending` and written by another (in another process).
    appending : bool
        The store may already hold activities met in these records: they are looked up there.
    """

    def __init__(self, engine: Optional[Engine], appending: bool = True) -> None:
        self.engine = engine
        self.appending = appending
        self.sessions: dict[str, dict] = {}
        self.activities: dict[str, list] = {}
        self.seen: dict[str, Optional[str]] = {}
        self.ids: dict[str, str] = {}
        self.rows: dict[str, list] = {table: [] for table in _APPENDED}
        self.notes: list[tuple] = []
        self.described: set[tuple] = set()

    def known(self, activity: str, look_up: bool = True) -> tuple[bool, Optional[str]]:
        """Return whether ``activity`` was met (in this pass, or with ``look_up`` in the store),
        and its session."""
        found = self.activities.get(activity)
        if found is not None:
            return True, found[0]
        if activity in self.seen:
            return True, self.seen[activity]
        if not self.appending or not look_up or self.engine is None:
            return False, None
        row = self.engine.rows("SELECT act_session FROM activity WHERE act_id = ?", (activity,))
        if not row:
            return False, None
        self.seen[activity] = row[0][0]
        return True, row[0][0]

    def session(self, session: str, moment: Optional[str], fields: dict) -> None:
        """Take a session record."""
        known = self.sessions.setdefault(session, {})
        for key, value in fields.items():
            known.setdefault(key, value)
        if moment is not None:
            known.setdefault("moment", moment)

    def activity(self, activity: str, session: Optional[str], moment: Optional[str], data: dict) -> None:
        """Take an activity record other than a usage or generation."""
        row = self.activities.get(activity)
        if row is None:
            row = self.activities[activity] = [session, moment, None, None, None, None, 0, None, None, None,
                                               None, None, None, None, None, None]
        else:
            if row[0] is None:
                row[0] = session
            if row[1] is None:
                row[1] = moment
        if data:
            _update_activity(row, data)

    def _id(self, entity: str, owner: Optional[str]) -> None:
        if entity not in self.ids:
            self.ids[entity] = entity[len(owner) + 1:] if owner else entity

    def used(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
             role: Optional[str]) -> None:
        """Take a usage."""
        self._id(entity, owner)
        self.rows["used"].append((activity, entity, role))

    def generated(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
                  role: Optional[str]) -> None:
        """Take a generation."""
        self._id(entity, owner)
        self.rows["wasGeneratedBy"].append((activity, entity, role))

    def entity(self, entity: str, owner: Optional[str], session: Optional[str], moment: Optional[str],
               data: dict) -> None:
        """Take an entity description."""
        self._id(entity, owner)
        values = tuple(map(data.get, ENTITY_KEYS))
        self.rows["entity_record"].append((entity, session, moment, *values, self._first(entity, values)))

    def _first(self, entity: str, values: tuple) -> int:
        """Return 1 unless ``entity`` was described with the same ``values`` earlier in this pass.

        Queries over everything read only these descriptions: the others add nothing to them.
        """
        described = self.described
        try:
            if (entity, values) in described:
                return 0
            if len(described) >= _DESCRIBED_LIMIT:
                described.clear()
            described.add((entity, values))
        except TypeError:
            pass
        return 1

    def member(self, collection: str, member: str, owners: tuple, session: Optional[str],
               moment: Optional[str]) -> None:
        """Take a membership."""
        self._id(collection, owners[0])
        self._id(member, owners[1])
        self.rows["hadMember"].append((collection, member, session, moment))

    def derivation(self, entity: str, progenitor: str, owners: tuple, untraced: bool,
                   activity: Optional[str], session: Optional[str], moment: Optional[str]) -> None:
        """Take a derivation."""
        self._id(entity, owners[0])
        self._id(progenitor, owners[1])
        self.rows["wasDerivedFrom"].append((entity, progenitor, int(untraced), activity, session, moment))

    def note(self, data: dict, session: Optional[str]) -> None:
        """Take a note record (see `logprov.notes`)."""
        attributes = data.get(K.ATTRIBUTES)
        self.notes.append((str(data[K.NOTE_ID]), session, data.get(K.ABOUT_ACTIVITY), data.get(K.TIME),
                           data.get(K.NOTE), None if attributes is None else _json(attributes)))

    # -- writing ------------------------------------------------------------------------------

    def take_pending(self) -> dict:
        """Return the rows kept in memory and forget them, as `flush` does once it wrote them:
        another writer stores them with `put_pending` and `flush`."""
        pending = {"sessions": self.sessions, "activities": self.activities, "ids": self.ids, "rows": self.rows,
                   "notes": self.notes}
        for key, row in self.activities.items():
            self.seen[key] = row[0]
        self.sessions, self.activities, self.ids, self.notes = {}, {}, {}, []
        self.rows = {table: [] for table in _APPENDED}
        return pending

    def put_pending(self, pending: dict) -> None:
        """Keep the rows ``pending`` taken from another writer, for the next `flush`.

        Raises
        ------
        ValueError
            If this writer holds rows of its own.
        """
        if self.sessions or self.activities or self.ids or self.notes or any(self.rows.values()):
            raise ValueError("the writer holds rows of its own: flush them first")
        self.sessions, self.activities, self.ids = pending["sessions"], pending["activities"], pending["ids"]
        self.rows = {table: list(pending["rows"].get(table, ())) for table in _APPENDED}
        self.notes = list(pending["notes"])

    def _store(self) -> Engine:
        if self.engine is None:
            raise ValueError("this writer has no store: take its rows with take_pending")
        return self.engine

    def flush(self) -> None:
        """Write every row kept in memory (inside the caller's transaction)."""
        engine = self._store()
        if self.ids:
            engine.insert("INSERT INTO entity (ent_id, ent_logged_id)", 2, sorted(self.ids.items()),
                          "ON CONFLICT (ent_id) DO NOTHING")
            self.ids = {}
        for table, columns in _APPENDED.items():
            rows = self.rows[table]
            if rows:
                if table == "entity_record":
                    rows = _plain([(*row[:10], _integer(row[10]), *row[11:]) for row in rows])
                if self.appending:
                    rows = self._new_rows(table, columns, rows)
                engine.append(table, columns, rows)
                self.rows[table] = []
        self._flush_activities()
        self._flush_sessions()
        if self.notes:
            engine.insert("INSERT INTO note (note_id, note_session, note_act_id, note_time, note_text, "
                          "note_attributes)", 6, _plain(sorted(dict((n[0], n) for n in self.notes).values())),
                          "ON CONFLICT (note_id) DO NOTHING")
            self.notes = []

    def _new_rows(self, table: str, columns: tuple[str, ...], rows: list) -> list:
        """Return the rows of ``rows`` that ``table`` does not hold yet, each once.

        The same records reach a store from several sources (a log and its rotated, compressed
        copy; a product carrying the lineage of the log it came from): a relation or a
        description is stored once. An entity description is the same when every column but
        ``er_first`` is. Rows are looked up by their leading column and, for the tables that
        have one, their session (an entity described in many sessions has many rows).
        """
        width = len(columns) - 1 if table == "entity_record" else len(columns)
        leading = _LEADING[table]
        session = _SESSION_COLUMN.get(table)
        where = f"{leading} IN ({{}})"
        sessions: list = []
        if session is not None:
            position = columns.index(session)
            sessions = list(dict.fromkeys(row[position] for row in rows if row[position] is not None))
            if len(sessions) <= _SESSIONS_LOOKED_UP:
                where += f" AND ({session} IS NULL" + (f" OR {session} IN ({', '.join('?' * len(sessions))}))"
                                                       if sessions else ")")
            else:
                sessions = []
        held: set[tuple] = set()
        for chunk in chunked(row[0] for row in rows):
            held.update(tuple(row) for row in self._store().rows(
                f"SELECT {', '.join(columns[:width])} FROM {table} WHERE {where.format(', '.join('?' * len(chunk)))}",
                [*chunk, *sessions]))
        new = []
        for row in rows:
            key = row[:width]
            if key not in held:
                held.add(key)
                new.append(row)
        return new

    def _flush_activities(self) -> None:
        if not self.activities:
            return
        merged = self._stored_parameters([key for key, row in self.activities.items() if row[14] is not None
                                          and (key in self.seen or row[3] is None)])
        rows = []
        for key in sorted(self.activities):
            row = self.activities[key]
            self.seen[key] = row[0]
            parameters = row[14]
            if parameters is not None:
                if key in merged:
                    parameters = {**merged[key], **parameters}
                parameters = _json(parameters)
            rows.append((key, *row[:8], _number(row[8]), *row[9:14], parameters, exit_code_of(row[15])))
        self.activities = {}
        columns = ("act_id",) + ACTIVITY_COLUMNS
        updates = []
        for column in ACTIVITY_COLUMNS:
            if column == "act_ended":
                updates.append(f"{column} = {self._store().larger('activity.' + column, 'excluded.' + column)}")
            elif column in _KEEP_FIRST:
                updates.append(f"{column} = coalesce(activity.{column}, excluded.{column})")
            else:
                updates.append(f"{column} = coalesce(excluded.{column}, activity.{column})")
        self._store().insert(f"INSERT INTO activity ({', '.join(columns)})", len(columns), _plain(rows),
                           f"ON CONFLICT (act_id) DO UPDATE SET {', '.join(updates)}")

    def _stored_parameters(self, keys: list) -> dict:
        """Return the parameters already stored for activities ``keys``: the new ones are merged in."""
        found = {}
        for chunk in chunked(keys):
            for key, text in self._store().rows(
                    f"SELECT act_id, act_parameters FROM activity WHERE act_id IN ({', '.join('?' * len(chunk))}) "
                    "AND act_parameters IS NOT NULL", chunk):
                try:
                    value = json.loads(text)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    found[key] = value
        return found

    def _flush_sessions(self) -> None:
        if not self.sessions:
            return
        rows = []
        for key in sorted(self.sessions):
            fields = self.sessions[key]
            values = [fields.get("moment"), *map(fields.get, SESSION_FIELDS + CONTEXT_FIELDS)]
            contexts = [fields.get(name[4:].split("_", 1)[0], {}).get(name[4:].split("_", 1)[1])
                        for name in CONTEXT_COLUMNS]
            rows.append((key, *(_integer(v) if c in _INTEGERS else v
                                for c, v in zip(("ses_moment",) + SESSION_COLUMNS, values)), *contexts))
        self.sessions = {}
        columns = ("ses_id", "ses_moment") + SESSION_COLUMNS + CONTEXT_COLUMNS
        updates = ", ".join(f"{c} = coalesce(session.{c}, excluded.{c})" for c in columns[1:])
        self._store().insert(f"INSERT INTO session ({', '.join(columns)})", len(columns), _plain(rows),
                           f"ON CONFLICT (ses_id) DO UPDATE SET {updates}")


def _update_activity(row: list, data: dict) -> None:
    """Set the columns of activity ``row`` that ``data`` gives; merge its parameters."""
    positions = _ACTIVITY_KEYS
    for key, value in data.items():
        position = positions.get(key)
        if position is not None and value is not None:
            row[position] = value
    if K.START_TIME in data:
        row[4] = utc_text(data[K.START_TIME])
    if K.END_TIME in data:
        row[6] = 1
    parameters = data.get(K.PARAMETERS)
    if isinstance(parameters, dict):
        row[14] = {**row[14], **parameters} if row[14] else dict(parameters)
