"""The SQLite tables of a provenance index, and the sink that fills them from records."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Optional

from .facts import SESSION_FIELDS
from .window import utc_text

__all__ = ["SCHEMA_VERSION", "SUMMARY_LIMIT", "create_tables", "create_indexes", "IndexWriter"]

SCHEMA_VERSION = "2"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, size INTEGER, mtime REAL, offset INTEGER, head TEXT, legacy INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, moment TEXT, start TEXT, "end" TEXT, name TEXT, module TEXT, user TEXT,
    host TEXT, command TEXT, cwd TEXT, pid INTEGER, hash_type TEXT, version TEXT, git_commit TEXT
);
CREATE TABLE IF NOT EXISTS activities (
    id TEXT PRIMARY KEY, session TEXT, moment TEXT, name TEXT, start TEXT, start_utc TEXT,
    "end" TEXT, ended INTEGER, status TEXT, duration REAL, exception_type TEXT,
    exception_message TEXT, function TEXT, agent TEXT, parent TEXT, parameters TEXT
);
CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, logged TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entities (
    id TEXT, session TEXT, moment TEXT, type TEXT, location TEXT, value TEXT, hash TEXT,
    hash_type TEXT, entity_description TEXT, content_type TEXT, size INTEGER, description TEXT
);
CREATE TABLE IF NOT EXISTS summaries (
    id TEXT PRIMARY KEY, type TEXT, location TEXT, value TEXT, hash TEXT, hash_type TEXT,
    entity_description TEXT, content_type TEXT, size INTEGER, description TEXT, locations TEXT
);
CREATE TABLE IF NOT EXISTS used (activity TEXT, entity TEXT, role TEXT);
CREATE TABLE IF NOT EXISTS generated (activity TEXT, entity TEXT, role TEXT);
CREATE TABLE IF NOT EXISTS members (collection TEXT, member TEXT, session TEXT, moment TEXT);
CREATE TABLE IF NOT EXISTS derivations (
    entity TEXT, progenitor TEXT, untraced INTEGER, activity TEXT, session TEXT, moment TEXT
);
"""

_INDEXES = """
CREATE INDEX IF NOT EXISTS activities_name ON activities (name);
CREATE INDEX IF NOT EXISTS activities_start ON activities (start_utc);
CREATE INDEX IF NOT EXISTS activities_session ON activities (session);
CREATE INDEX IF NOT EXISTS activities_parent ON activities (parent);
CREATE INDEX IF NOT EXISTS activities_status ON activities (status);
CREATE INDEX IF NOT EXISTS ids_logged ON ids (logged);
CREATE INDEX IF NOT EXISTS entities_id ON entities (id);
CREATE INDEX IF NOT EXISTS entities_location ON entities (location);
CREATE INDEX IF NOT EXISTS used_entity ON used (entity);
CREATE INDEX IF NOT EXISTS used_activity ON used (activity);
CREATE INDEX IF NOT EXISTS generated_entity ON generated (entity);
CREATE INDEX IF NOT EXISTS generated_activity ON generated (activity);
CREATE INDEX IF NOT EXISTS members_collection ON members (collection);
CREATE INDEX IF NOT EXISTS members_member ON members (member);
CREATE INDEX IF NOT EXISTS derivations_entity ON derivations (entity);
CREATE INDEX IF NOT EXISTS derivations_progenitor ON derivations (progenitor);
"""

_ACTIVITY_COLUMNS = (
    "session", "moment", "name", "start", "start_utc", "end", "ended", "status", "duration",
    "exception_type", "exception_message", "function", "agent", "parent", "parameters",
)
_ACTIVITY_KEYS = {
    "name": 2, "startTime": 3, "endTime": 5, "status": 7, "duration": 8, "exception_type": 9,
    "exception_message": 10, "function": 11, "agent_name": 12, "parent_activity_id": 13,
}
_KEEP_FIRST = ("session", "moment", "start", "start_utc")
SUMMARY_LIMIT = 200_000
_LOCATION = 1
_ENTITY_KEYS = (
    "type", "location", "value", "hash", "hash_type", "entity_description", "contentType", "size",
    "description",
)


def _quoted(column: str) -> str:
    return f'"{column}"'


def _upsert(table: str, columns: tuple, keep_first: tuple = (), larger: tuple = ()) -> str:
    names = ", ".join(map(_quoted, ("id",) + columns))
    marks = ", ".join("?" * (len(columns) + 1))
    updates = []
    for column in columns:
        name = _quoted(column)
        if column in larger:
            updates.append(f"{name} = max({name}, excluded.{name})")
        elif column in keep_first:
            updates.append(f"{name} = coalesce({name}, excluded.{name})")
        else:
            updates.append(f"{name} = coalesce(excluded.{name}, {name})")
    return (f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            f"ON CONFLICT (id) DO UPDATE SET {', '.join(updates)}")


_UPSERT_ACTIVITY = _upsert("activities", _ACTIVITY_COLUMNS, _KEEP_FIRST, ("ended",))
_UPSERT_SESSION = _upsert("sessions", ("moment",) + SESSION_FIELDS, ("moment",) + SESSION_FIELDS)


def _null(value: None) -> None:
    return value


def bind_nulls_directly() -> None:
    """Let `sqlite3` bind ``None`` without looking for ``__conform__`` on it.

    Without an adapter for ``None``, the standard `sqlite3` module of Python 3.11 raises and
    clears an ``AttributeError`` for every ``None`` it binds, which made ``NULL`` columns the
    largest cost of writing an index. The adapter returns ``None`` itself, so what is stored
    does not change; one registered by the application is left in place.
    """
    sqlite3.adapters.setdefault((type(None), sqlite3.PrepareProtocol), _null)


def create_tables(connection: sqlite3.Connection) -> None:
    """Create the tables of an index (when they do not exist yet)."""
    connection.executescript(_TABLES)


def create_indexes(connection: sqlite3.Connection) -> None:
    """Create the SQL indexes of an index (after a bulk load, which they would slow down)."""
    connection.executescript(_INDEXES)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, float)) or type(value) is int:
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class IndexWriter:
    """A `logprov.query.facts.Sink` writing facts into the tables of an index.

    Parameters
    ----------
    connection : sqlite3.Connection
        The index, with its tables created.
    batch : int
        Rows kept in memory before they are written.
    appending : bool
        The index already holds records of the same logs: activities met in them are looked up
        there.
    """

    def __init__(self, connection: sqlite3.Connection, batch: int = 50_000, appending: bool = False) -> None:
        bind_nulls_directly()
        self.connection = connection
        self.batch = batch
        self.appending = appending
        self.sessions: dict[str, dict] = {}
        self.activities: dict[str, list] = {}
        self.seen: dict[str, Optional[str]] = {}
        self.ids: dict[str, str] = {}
        self.rows: dict[str, list] = {"entities": [], "used": [], "generated": [], "members": [],
                                      "derivations": []}
        self.pending = 0
        self.limit = batch
        self.summaries: dict[str, list] = {}

    def known(self, activity: str) -> tuple[bool, Optional[str]]:
        """Return whether ``activity`` was met (in this pass or an earlier one), and its session."""
        found = self.activities.get(activity)
        if found is not None:
            return True, found[0]
        if activity in self.seen:
            return True, self.seen[activity]
        if not self.appending:
            return False, None
        row = self.connection.execute("SELECT session FROM activities WHERE id = ?", (activity,)).fetchone()
        if row is None:
            return False, None
        self.seen[activity] = row[0]
        return True, row[0]

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
            row = self.activities[activity] = [session, moment] + [None] * 13
            row[6] = 0
        else:
            if row[0] is None:
                row[0] = session
            if row[1] is None:
                row[1] = moment
        positions = _ACTIVITY_KEYS
        for key, value in data.items():
            position = positions.get(key)
            if position is not None and value is not None:
                row[position] = value
        if "startTime" in data:
            row[4] = utc_text(data["startTime"])
        if "endTime" in data:
            row[6] = 1
        parameters = data.get("parameters")
        if isinstance(parameters, dict):
            merged = json.loads(row[14]) if row[14] else {}
            merged.update(parameters)
            row[14] = json.dumps(merged, separators=(",", ":"), ensure_ascii=False, default=str)
        if row[6] and len(self.activities) > self.limit:
            self._flush_activities(ended_only=True)
            self.limit = max(self.batch, 2 * len(self.activities))

    def _reference(self, entity: str, owner: Optional[str]) -> None:
        if entity not in self.ids:
            self.ids[entity] = entity[len(owner) + 1:] if owner else entity

    def _add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush_rows()

    def used(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
             role: Optional[str]) -> None:
        """Take a usage."""
        self._reference(entity, owner)
        self._add("used", (activity, entity, role))

    def generated(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
                  role: Optional[str]) -> None:
        """Take a generation."""
        self._reference(entity, owner)
        self._add("generated", (activity, entity, role))

    def entity(self, entity: str, owner: Optional[str], session: Optional[str], moment: Optional[str],
               data: dict) -> None:
        """Take an entity description."""
        self._reference(entity, owner)
        get = data.get
        values = [value if value is None or type(value) is str else _scalar(value)
                  for value in map(get, _ENTITY_KEYS)]
        self._add("entities", (entity, session, moment, *values))
        self._summarise(entity, values)

    def _summarise(self, entity: str, values: list) -> None:
        """Merge a description into the summary of its entity: first values win, and every
        location is kept, in order."""
        summary = self.summaries.get(entity)
        if summary is None:
            locations = [] if values[_LOCATION] is None else [values[_LOCATION]]
            self.summaries[entity] = values + [locations]
            if len(self.summaries) > SUMMARY_LIMIT:
                self._flush_summaries()
            return
        _merge_summary(summary, values + [[values[_LOCATION]] if values[_LOCATION] is not None else []])

    def member(self, collection: str, member: str, owners: tuple, session: Optional[str],
               moment: Optional[str]) -> None:
        """Take a membership."""
        self._reference(collection, owners[0])
        self._reference(member, owners[1])
        self._add("members", (collection, member, session, moment))

    def derivation(self, entity: str, progenitor: str, owners: tuple, untraced: bool,
                   activity: Optional[str], session: Optional[str], moment: Optional[str]) -> None:
        """Take a derivation."""
        self._reference(entity, owners[0])
        self._reference(progenitor, owners[1])
        self._add("derivations", (entity, progenitor, int(untraced), activity, session, moment))

    def flush_rows(self) -> None:
        """Write the rows kept in memory."""
        execute = self.connection.executemany
        rows = self.rows
        if rows["entities"]:
            execute(f"INSERT INTO entities VALUES ({', '.join('?' * 12)})", rows["entities"])
        for table, width in (("used", 3), ("generated", 3), ("members", 4), ("derivations", 6)):
            if rows[table]:
                execute(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows[table])
            rows[table] = []
        rows["entities"] = []
        if self.ids:
            execute("INSERT OR IGNORE INTO ids VALUES (?, ?)", self.ids.items())
            self.ids = {}
        self.pending = 0

    def _flush_activities(self, ended_only: bool = False) -> None:
        chosen = [key for key, row in self.activities.items() if row[6] or not ended_only]
        rows = []
        for key in chosen:
            row = self.activities.pop(key)
            self.seen[key] = row[0]
            rows.append((key, *(_scalar(value) for value in row)))
        self.connection.executemany(_UPSERT_ACTIVITY, rows)

    def _flush_summaries(self) -> None:
        keys = list(self.summaries)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for key, *stored, locations in self.connection.execute(
                    f"SELECT * FROM summaries WHERE id IN ({marks})", chunk).fetchall():
                summary = stored + [json.loads(locations)]
                _merge_summary(summary, self.summaries[key])
                self.summaries[key] = summary
        self.connection.executemany(
            f"INSERT OR REPLACE INTO summaries VALUES ({', '.join('?' * 11)})",
            [(key, *summary[:-1], json.dumps(summary[-1], ensure_ascii=False))
             for key, summary in self.summaries.items()],
        )
        self.summaries = {}

    def finish(self) -> None:
        """Write everything still kept in memory."""
        self.flush_rows()
        self._flush_summaries()
        self._flush_activities()
        self.connection.executemany(
            _UPSERT_SESSION,
            [(key, fields.get("moment"), *(_scalar(fields.get(name)) for name in SESSION_FIELDS))
             for key, fields in self.sessions.items()],
        )
        self.sessions = {}


def _merge_summary(summary: list, later: list) -> None:
    """Complete ``summary`` (attributes, then the list of locations) with a later one."""
    for position, value in enumerate(later[:-1]):
        if summary[position] is None:
            summary[position] = value
    summary[-1].extend(location for location in later[-1] if location not in summary[-1])
