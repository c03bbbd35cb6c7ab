"""The two engines of a store, behind one interface: SQLite (a file) and PostgreSQL (psycopg 3).

Statements are written once, with ``?`` placeholders and the SQL both engines share; an
engine runs them, writes rows in batches within its parameter limit, and gives the few
pieces of SQL that differ (glob matching, the larger of two values).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any, Iterable, Iterator, Optional, Sequence

from ..errors import LogprovError
from .location import StoreLocation, parse_location

try:
    import fcntl
except ImportError:  # not a POSIX system: one SQLite loader per source is then up to the user
    fcntl = None  # type: ignore[assignment]

__all__ = ["Engine", "SQLiteEngine", "PostgresEngine", "StoreError", "connect"]

#: Rows one statement writes at most: larger statements cost no less.
_ROWS_PER_STATEMENT = 500
#: Bytes of a page of a new SQLite store: large pages make writing cheaper.
_PAGE_SIZE = 32768
#: KiB of pages a private SQLite store (an index being built) keeps in memory: its primary
#: keys and indexes take rows in no particular order, which a small cache turns into rereads.
_PRIVATE_CACHE_KIB = 128 * 1024


class StoreError(LogprovError):
    """A store cannot be reached, created or read (the message never shows a password)."""


def _null(value: Any) -> None:
    return None


def bind_nulls_directly() -> None:
    """Let `sqlite3` bind ``None`` without looking for ``__conform__`` on it.

    Without an adapter for ``None``, the standard `sqlite3` module of Python 3.11 raises and
    clears an ``AttributeError`` for every ``None`` it binds, which made ``NULL`` columns the
    largest cost of writing a store. The adapter returns ``None`` itself, so what is stored
    does not change; one registered by the application is left in place.
    """
    sqlite3.adapters.setdefault((type(None), sqlite3.PrepareProtocol), {}.get)


def lock_number(text: str) -> int:
    """Return a signed 64-bit number naming ``text``, for advisory locks."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "big", signed=True)


class Engine:
    """What the loader and the queries need of a database.

    Attributes
    ----------
    dialect : str
        ``sqlite`` or ``postgresql``.
    location : StoreLocation
        Where the store is.
    parameters : int
        Parameters one statement may bind.
    """

    dialect = ""
    parameters = 999
    #: The exceptions of the engine's driver.
    errors: tuple = ()

    def __init__(self, location: StoreLocation) -> None:
        self.location = location

    # -- running statements -------------------------------------------------------------

    def rows(self, sql: str, params: Sequence = ()) -> list:
        """Return the rows of ``sql`` (``?`` placeholders)."""
        raise NotImplementedError

    def iterate(self, sql: str, params: Sequence = ()) -> Iterator[tuple]:
        """Yield the rows of ``sql``."""
        yield from self.rows(sql, params)

    def run(self, sql: str, params: Sequence = ()) -> None:
        """Run one statement."""
        raise NotImplementedError

    def run_many(self, sql: str, groups: Sequence[Sequence]) -> None:
        """Run ``sql`` once per group of parameters."""
        raise NotImplementedError

    def script(self, sql: str) -> None:
        """Run several statements (DDL), none with parameters."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one writing transaction: all of it is stored, or nothing."""
        raise NotImplementedError
        yield

    @contextmanager
    def source_lock(self, key: str) -> Iterator[None]:
        """Hold the lock of source ``key`` during the block: one loader at a time per source."""
        raise NotImplementedError
        yield

    def close(self) -> None:
        """Close the connection."""
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        """Return True when the store has table ``name``."""
        raise NotImplementedError

    def refresh_statistics(self) -> None:
        """Bring the planner's statistics of the tables up to date after a large load."""

    # -- pieces of SQL ----------------------------------------------------------------------

    def glob(self, column: str) -> str:
        """Return the condition "``column`` matches the glob pattern bound next"."""
        raise NotImplementedError

    def glob_value(self, pattern: str) -> str:
        """Return ``pattern`` as the value `glob` compares with."""
        raise NotImplementedError

    def larger(self, first: str, second: str) -> str:
        """Return the SQL of the larger of two values."""
        raise NotImplementedError

    # -- writing rows -----------------------------------------------------------------------

    def insert(self, head: str, width: int, rows: list, tail: str = "") -> None:
        """Write ``rows`` (tuples of ``width`` values) with ``head VALUES … tail``, many rows per
        statement, within the parameter limit."""
        if not rows:
            return
        count = max(1, min(_ROWS_PER_STATEMENT, self.parameters // width))
        row = f"({', '.join('?' * width)})"
        whole = len(rows) - len(rows) % count
        if whole:
            many = f"{head} VALUES {', '.join([row] * count)} {tail}"
            flat = chain.from_iterable
            self.run_many(many, [tuple(flat(rows[start:start + count])) for start in range(0, whole, count)])
        if whole < len(rows):
            rest = rows[whole:]
            self.run(f"{head} VALUES {', '.join([row] * len(rest))} {tail}", tuple(chain.from_iterable(rest)))

    def append(self, table: str, columns: Sequence[str], rows: list) -> None:
        """Append ``rows`` to ``table`` (no conflict is possible)."""
        self.insert(f"INSERT INTO {table} ({', '.join(columns)})", len(columns), rows)


class SQLiteEngine(Engine):
    """A store in an SQLite file.

    Parameters
    ----------
    location : StoreLocation
        The file.
    shared : bool
        The file is a store many loaders may write at once: written ahead (WAL), with a lock
        file beside it for the per-source locks. Without it (an index of a few logs), writes use
        a rollback journal, so that the file can be replaced as a whole.
    private : bool
        The file is new and no other process sees it until it is renamed (an index being
        built): written without a journal and without waiting for the disk.
    """

    dialect = "sqlite"
    #: SQLite binds 32,766 parameters per statement since 3.32, 999 before.
    parameters = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
    errors = (sqlite3.Error,)

    def __init__(self, location: StoreLocation, shared: bool = True, private: bool = False) -> None:
        super().__init__(location)
        bind_nulls_directly()
        self.path = location.target
        self.shared = shared
        fresh = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            self.connection = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                              check_same_thread=False)
            if fresh:
                self.connection.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
            if private:
                self.connection.execute("PRAGMA journal_mode = OFF")
                self.connection.execute("PRAGMA synchronous = OFF")
                self.connection.execute(f"PRAGMA cache_size = -{_PRIVATE_CACHE_KIB}")
            elif shared:
                self.connection.execute("PRAGMA journal_mode = WAL")
                self.connection.execute("PRAGMA synchronous = NORMAL")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        self._lock_fd: Optional[int] = None

    def rows(self, sql: str, params: Sequence = ()) -> list:
        return self.connection.execute(sql, params).fetchall()

    def iterate(self, sql: str, params: Sequence = ()) -> Iterator[tuple]:
        yield from self.connection.execute(sql, params)

    def run(self, sql: str, params: Sequence = ()) -> None:
        self.connection.execute(sql, params)

    def run_many(self, sql: str, groups: Sequence[Sequence]) -> None:
        self.connection.executemany(sql, groups)

    def script(self, sql: str) -> None:
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.connection.execute(statement)
                statement = ""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.rollback()
            raise
        self.connection.commit()

    @contextmanager
    def source_lock(self, key: str) -> Iterator[None]:
        if not self.shared or fcntl is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT, 0o644)
        position = lock_number(key) & 0x3FFFFFFF
        fcntl.lockf(self._lock_fd, fcntl.LOCK_EX, 1, position)
        try:
            yield
        finally:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_UN, 1, position)

    def close(self) -> None:
        self.connection.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def has_table(self, name: str) -> bool:
        return bool(self.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def glob(self, column: str) -> str:
        return f"{column} GLOB ?"

    def glob_value(self, pattern: str) -> str:
        return pattern.replace("[!", "[^")

    def larger(self, first: str, second: str) -> str:
        return f"max({first}, {second})"


@lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    """Return ``sql`` with ``?`` placeholders as psycopg's ``%s`` (and ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def glob_posix(pattern: str) -> str:
    """Return the POSIX regular expression (as PostgreSQL's ``~`` reads it) matching what the
    glob ``pattern`` matches: ``*``, ``?``, ``[…]`` and ``[!…]``, case-sensitive, whole text."""
    out = ["^"]
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        index += 1
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = index
            if end < length and pattern[end] in "!^":
                end += 1
            if end < length and pattern[end] == "]":
                end += 1
            while end < length and pattern[end] != "]":
                end += 1
            if end >= length:
                out.append("\\[")
                continue
            body = pattern[index:end]
            index = end + 1
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\")
            out.append(f"[{'^' if negate else ''}{body}]")
        else:
            out.append(re.sub(r"([\\.^$|()\[\]{}*+?])", r"\\\1", char))
    out.append("$")
    return "".join(out)


#: PostgreSQL's text cannot hold NUL: it is stored as ``_MARK`` + ``"0"``, and ``_MARK``
#: itself (U+FFFF, a noncharacter) as ``_MARK`` twice, so that every text reads back as written.
_NUL = "\x00"
_MARK = "\uffff"
_MARKED = re.compile(f"{_MARK}(.)", re.DOTALL)


def _unmark(found: "re.Match[str]") -> str:
    return _MARK if found.group(1) == _MARK else _NUL


def escape_text(value: str) -> str:
    """Return ``value`` as a PostgreSQL store holds it (see `_MARK`)."""
    if _NUL in value or _MARK in value:
        return value.replace(_MARK, _MARK + _MARK).replace(_NUL, _MARK + "0")
    return value


def unescape_text(value: str) -> str:
    """Return the text a PostgreSQL store holds as ``value`` (the inverse of `escape_text`)."""
    return _MARKED.sub(_unmark, value) if _MARK in value else value


def _escaped(row: Sequence) -> Sequence:
    """Return ``row`` with its texts as PostgreSQL holds them (itself when none needs it)."""
    for value in row:
        if value.__class__ is str and (_NUL in value or _MARK in value):
            return tuple(escape_text(v) if v.__class__ is str else v for v in row)
    return row


def _unescaped(rows: list) -> list:
    """Return ``rows`` read from PostgreSQL with their texts as they were written."""
    for number, row in enumerate(rows):
        for value in row:
            if value.__class__ is str and _MARK in value:
                return rows[:number] + [tuple(unescape_text(v) if v.__class__ is str else v for v in r)
                                        for r in rows[number:]]
    return rows


class PostgresEngine(Engine):
    """A store in a PostgreSQL (13 or later) database, through psycopg 3.

    Texts are written and read through `escape_text` and `unescape_text`: PostgreSQL refuses
    NUL in a text, and logs may hold it (``\\u0000`` in JSON).

    Every writing transaction holds the store's write lock (a transaction-level advisory
    lock): loaders on many hosts write one batch at a time, so they can neither deadlock nor
    interleave half-written batches, while readers are never blocked.
    """

    dialect = "postgresql"
    parameters = 65535
    _WRITE_LOCK = lock_number("logprov store: writing")

    def __init__(self, location: StoreLocation) -> None:
        super().__init__(location)
        try:
            import psycopg
        except ImportError:
            raise StoreError("a PostgreSQL store needs psycopg 3: pip install 'logprov[postgres]'") from None
        self.errors = (psycopg.Error,)
        try:
            self.connection = psycopg.connect(location.target, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {location}: {driver_message(exc, location)}") from None
        # The queries are many short index look-ups whose estimated costs (a recursive walk, long
        # IN lists) would make PostgreSQL compile them first: compiling took 90 % of a lineage.
        self.connection.execute("SET jit = off")

    def rows(self, sql: str, params: Sequence = ()) -> list:
        with self.connection.cursor() as cursor:
            cursor.execute(_pyformat(sql), _escaped(params) or None)
            return _unescaped(cursor.fetchall()) if cursor.description is not None else []

    def iterate(self, sql: str, params: Sequence = ()) -> Iterator[tuple]:
        yield from self.rows(sql, params)

    def run(self, sql: str, params: Sequence = ()) -> None:
        self.connection.execute(_pyformat(sql), _escaped(params) or None)

    def run_many(self, sql: str, groups: Sequence[Sequence]) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(_pyformat(sql), [_escaped(group) for group in groups])

    def script(self, sql: str) -> None:
        self.connection.execute(sql)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.connection.transaction():
            self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (self._WRITE_LOCK,))
            yield

    @contextmanager
    def source_lock(self, key: str) -> Iterator[None]:
        number = lock_number("logprov source: " + key)
        self.connection.execute("SELECT pg_advisory_lock(%s)", (number,))
        try:
            yield
        finally:
            if not self.connection.closed:
                self.connection.execute("SELECT pg_advisory_unlock(%s)", (number,))

    def append(self, table: str, columns: Sequence[str], rows: list) -> None:
        """Append ``rows`` to ``table`` with ``COPY``, the fastest way PostgreSQL takes rows."""
        if not rows:
            return
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_escaped(row))

    def close(self) -> None:
        self.connection.close()

    def has_table(self, name: str) -> bool:
        return self.rows("SELECT to_regclass(?)", (name,))[0][0] is not None

    def refresh_statistics(self) -> None:
        """Analyse the tables: until autovacuum does, a bulk-loaded table has no statistics and
        the planner scans whole tables for look-ups of a few hundred ids."""
        self.run("ANALYZE activity, entity, entity_record, used, wasGeneratedBy, hadMember, wasDerivedFrom, session")

    def glob(self, column: str) -> str:
        return f"{column} ~ ?"

    def glob_value(self, pattern: str) -> str:
        return glob_posix(pattern)

    def larger(self, first: str, second: str) -> str:
        return f"greatest({first}, {second})"


def driver_message(exc: Exception, location: StoreLocation) -> str:
    """Return the first line of a driver's error, with any password of ``location`` hidden."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace(location.target, str(location))


def connect(address: "str | os.PathLike[str] | StoreLocation", shared: bool = True) -> Engine:
    """Return an engine connected to the store at ``address`` (see `parse_location`).

    Raises
    ------
    StoreError
        If the store cannot be reached or opened.
    ValueError
        If ``address`` names another kind of database.
    """
    location = address if isinstance(address, StoreLocation) else parse_location(address)
    if location.engine == "postgresql":
        return PostgresEngine(location)
    return SQLiteEngine(location, shared)


def chunked(keys: Iterable[str], size: int = 500) -> Iterator[list]:
    """Yield the distinct ``keys`` in lists of at most ``size``."""
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]
