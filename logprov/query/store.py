"""The SQLite tables of a provenance index, and the sink that fills them from records."""

from __future__ import annotations

import json
import sqlite3
from itertools import chain
from typing import Any, Optional

from .facts import SESSION_FIELDS
from .window import utc_text

__all__ = ["SCHEMA_VERSION", "create_tables", "create_indexes", "IndexWriter"]

SCHEMA_VERSION = "4"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER, mtime INTEGER, ctime INTEGER,
    offset INTEGER, digest TEXT, legacy INTEGER
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
    hash_type TEXT, entity_description TEXT, content_type TEXT, size INTEGER, description TEXT,
    first INTEGER
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
CREATE INDEX IF NOT EXISTS activities_parent ON activities (parent);
CREATE INDEX IF NOT EXISTS ids_logged ON ids (logged);
CREATE INDEX IF NOT EXISTS entities_id ON entities (id, first);
CREATE INDEX IF NOT EXISTS entities_location ON entities (location) WHERE location IS NOT NULL;
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

#: Rows written by one statement at most: fewer statements cost less, larger ones no less. A
#: statement has at most 999 parameters, the lowest limit SQLite builds have had.
_ROWS_PER_STATEMENT = 100
_PARAMETERS = 999
#: Distinct entity descriptions remembered by `IndexWriter._first` at most.
_DESCRIBED_LIMIT = 500_000


#: Types `sqlite3` binds as they are; values of other types are stored as `_scalar` makes them.
_PLAIN = frozenset({type(None), str, int, float})
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


_json = _JSON.encode


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, float)) or type(value) is int:
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    return _json(value)


class _Insert:
    """An ``INSERT`` statement writing rows of ``width`` columns, many rows at a time.

    Parameters
    ----------
    head : str
        The statement up to ``VALUES``.
    width : int
        Columns of a row.
    tail : str
        What follows the rows (an ``ON CONFLICT`` clause).
    checked : bool
        Rows may hold values of types `sqlite3` does not bind as they are: they are made
        scalars by `_scalar`.
    """

    def __init__(self, head: str, width: int, tail: str = "", checked: bool = False) -> None:
        self.checked = checked
        row = f"({', '.join('?' * width)})"
        self.count = min(_ROWS_PER_STATEMENT, _PARAMETERS // width)
        self.one = f"{head} VALUES {row} {tail}"
        self.many = f"{head} VALUES {', '.join([row] * self.count)} {tail}"

    def run(self, connection: sqlite3.Connection, rows: list) -> None:
        """Write ``rows`` (a list of tuples), in order."""
        if self.checked and not _PLAIN.issuperset(map(type, chain.from_iterable(rows))):
            rows = [row if _PLAIN.issuperset(map(type, row)) else tuple(map(_scalar, row)) for row in rows]
        count = self.count
        whole = len(rows) - len(rows) % count
        if whole:
            flat = chain.from_iterable
            connection.executemany(self.many, [tuple(flat(rows[start:start + count]))
                                               for start in range(0, whole, count)])
        connection.executemany(self.one, rows[whole:])


_INSERTS = {
    "entities": _Insert("INSERT INTO entities", 13, checked=True),
    **{table: _Insert(f"INSERT INTO {table}", width)
       for table, width in (("used", 3), ("generated", 3), ("members", 4), ("derivations", 6))},
}
_INSERT_IDS = _Insert("INSERT OR IGNORE INTO ids", 2)


def _quoted(column: str) -> str:
    return f'"{column}"'


def _upsert(table: str, columns: tuple, keep_first: tuple = (), larger: tuple = ()) -> _Insert:
    names = ", ".join(map(_quoted, ("id",) + columns))
    updates = []
    for column in columns:
        name = _quoted(column)
        if column in larger:
            updates.append(f"{name} = max({name}, excluded.{name})")
        elif column in keep_first:
            updates.append(f"{name} = coalesce({name}, excluded.{name})")
        else:
            updates.append(f"{name} = coalesce(excluded.{name}, {name})")
    return _Insert(f"INSERT INTO {table} ({names})", len(columns) + 1,
                   f"ON CONFLICT (id) DO UPDATE SET {', '.join(updates)}", checked=True)


_UPSERT_ACTIVITY = _upsert("activities", _ACTIVITY_COLUMNS, _KEEP_FIRST, ("ended",))
_UPSERT_SESSION = _upsert("sessions", ("moment",) + SESSION_FIELDS, ("moment",) + SESSION_FIELDS)

#: Returns None for any value without running Python code: the ``get`` of a dict left empty.
_null = {}.get


def bind_nulls_directly() -> None:
    """Let `sqlite3` bind ``None`` without looking for ``__conform__`` on it.

    Without an adapter for ``None``, the standard `sqlite3` module of Python 3.11 raises and
    clears an ``AttributeError`` for every ``None`` it binds, which made ``NULL`` columns the
    largest cost of writing an index. The adapter, a built-in call, returns ``None`` itself, so
    what is stored does not change; one registered by the application is left in place.
    """
    sqlite3.adapters.setdefault((type(None), sqlite3.PrepareProtocol), _null)


def create_tables(connection: sqlite3.Connection) -> None:
    """Create the tables of an index (when they do not exist yet)."""
    connection.executescript(_TABLES)


def create_indexes(connection: sqlite3.Connection) -> None:
    """Create the SQL indexes of an index (after a bulk load, which they would slow down)."""
    connection.executescript(_INDEXES)


class IndexWriter:
    """A `logprov.query.facts.Sink` writing facts into the tables of an index.

    Parameters
    ----------
    connection : sqlite3.Connection
        The index, with its tables created.
    batch : int
        Rows of a table kept in memory before they are written.
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
        self.descriptions: list[tuple] = []
        self.described: set[tuple] = set()
        self.uses: list[tuple] = []
        self.generations: list[tuple] = []
        self.memberships: list[tuple] = []
        self.derivations: list[tuple] = []
        self.limit = batch

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
            row = self.activities[activity] = [session, moment, None, None, None, None, 0, None, None, None,
                                               None, None, None, None, None]
        else:
            if row[0] is None:
                row[0] = session
            if row[1] is None:
                row[1] = moment
        if data:
            _update_activity(row, data)
            if row[6] and len(self.activities) > self.limit:
                self._flush_activities(ended_only=True)
                self.limit = max(self.batch, 2 * len(self.activities))

    def used(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
             role: Optional[str]) -> None:
        """Take a usage."""
        ids = self.ids
        if entity not in ids:
            ids[entity] = entity[len(owner) + 1:] if owner else entity
        rows = self.uses
        rows.append((activity, entity, role))
        if len(rows) >= self.batch:
            self._flush("used", rows)

    def generated(self, activity: str, session: Optional[str], entity: str, owner: Optional[str],
                  role: Optional[str]) -> None:
        """Take a generation."""
        ids = self.ids
        if entity not in ids:
            ids[entity] = entity[len(owner) + 1:] if owner else entity
        rows = self.generations
        rows.append((activity, entity, role))
        if len(rows) >= self.batch:
            self._flush("generated", rows)

    def entity(self, entity: str, owner: Optional[str], session: Optional[str], moment: Optional[str],
               data: dict) -> None:
        """Take an entity description."""
        ids = self.ids
        if entity not in ids:
            ids[entity] = entity[len(owner) + 1:] if owner else entity
        get = data.get
        values = (get("type"), get("location"), get("value"), get("hash"), get("hash_type"),
                  get("entity_description"), get("contentType"), get("size"), get("description"))
        rows = self.descriptions
        rows.append((entity, session, moment, *values, self._first(entity, values)))
        if len(rows) >= self.batch:
            self._flush("entities", rows)

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
        ids = self.ids
        if collection not in ids:
            ids[collection] = collection[len(owners[0]) + 1:] if owners[0] else collection
        if member not in ids:
            ids[member] = member[len(owners[1]) + 1:] if owners[1] else member
        rows = self.memberships
        rows.append((collection, member, session, moment))
        if len(rows) >= self.batch:
            self._flush("members", rows)

    def derivation(self, entity: str, progenitor: str, owners: tuple, untraced: bool,
                   activity: Optional[str], session: Optional[str], moment: Optional[str]) -> None:
        """Take a derivation."""
        ids = self.ids
        if entity not in ids:
            ids[entity] = entity[len(owners[0]) + 1:] if owners[0] else entity
        if progenitor not in ids:
            ids[progenitor] = progenitor[len(owners[1]) + 1:] if owners[1] else progenitor
        rows = self.derivations
        rows.append((entity, progenitor, int(untraced), activity, session, moment))
        if len(rows) >= self.batch:
            self._flush("derivations", rows)

    def _flush(self, table: str, rows: list) -> None:
        """Write the rows kept for ``table``, and the ids met so far."""
        _INSERTS[table].run(self.connection, rows)
        rows.clear()
        if self.ids:
            _INSERT_IDS.run(self.connection, list(self.ids.items()))
            self.ids = {}

    def flush_rows(self) -> None:
        """Write the rows kept in memory."""
        for table, rows in (("entities", self.descriptions), ("used", self.uses), ("generated", self.generations),
                            ("members", self.memberships), ("derivations", self.derivations)):
            self._flush(table, rows)

    def _flush_activities(self, ended_only: bool = False) -> None:
        chosen = [key for key, row in self.activities.items() if row[6] or not ended_only]
        rows = []
        for key in chosen:
            row = self.activities.pop(key)
            self.seen[key] = row[0]
            if row[14] is not None:
                row[14] = _json(row[14])
            rows.append((key, *row))
        _UPSERT_ACTIVITY.run(self.connection, rows)

    def finish(self) -> None:
        """Write everything still kept in memory."""
        self.flush_rows()
        self._flush_activities()
        _UPSERT_SESSION.run(
            self.connection,
            [(key, fields.get("moment"), *map(fields.get, SESSION_FIELDS))
             for key, fields in self.sessions.items()],
        )
        self.sessions = {}


def _update_activity(row: list, data: dict) -> None:
    """Set the columns of activity ``row`` that ``data`` gives; merge its parameters."""
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
        row[14] = {**row[14], **parameters} if row[14] else dict(parameters)
