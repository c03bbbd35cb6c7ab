"""The schema of a store: its version, the DDL shipped with logprov, and bringing a store to
the current version.

The DDL of version ``N`` of an engine is ``schema/<engine>/N.sql``: version 1 creates every
table, and each later file changes a store of the version before it into one of its own
(a migration). `prepare` runs the files a store has not had, in order, in one transaction
per file, and records the version reached in ``store_meta``.

A store that is new and filled at once (an index being built) may be prepared without its
secondary indexes (``indexes=False``) and get them from `create_indexes` once loaded: building
an index over loaded rows costs less than keeping it up to date row by row.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from importlib import resources
from typing import Iterator

from .engines import Engine, StoreError, lock_number

__all__ = ["SCHEMA_VERSION", "ddl", "statements", "stored_version", "prepare", "create_indexes"]

#: The version of the schema this logprov writes and reads.
SCHEMA_VERSION = 4


def ddl(dialect: str, version: int) -> str:
    """Return the DDL turning a store of ``version - 1`` into one of ``version``."""
    return resources.files(__package__).joinpath("schema").joinpath(dialect).joinpath(f"{version}.sql").read_text("utf-8")


def statements(sql: str) -> list[str]:
    """Return the statements of the DDL ``sql``, each whole, in order."""
    found, statement = [], ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            found.append(statement.strip())
            statement = ""
    return found


def _is_index(statement: str) -> bool:
    """Return True when ``statement`` (no leading comment) creates a secondary index."""
    return statement.split(None, 2)[:2] == ["CREATE", "INDEX"]


def _without_comments(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()


def stored_version(engine: Engine) -> int:
    """Return the schema version of the store (0 when it has no tables yet)."""
    try:
        if not engine.has_table("store_meta"):
            return 0
        rows = engine.rows("SELECT meta_value FROM store_meta WHERE meta_key = 'schema'")
    except (sqlite3.DatabaseError, StoreError):
        raise
    except Exception as exc:
        raise StoreError(f"the store {engine.location} cannot be read: {exc}") from None
    return int(rows[0][0]) if rows else 0


def prepare(engine: Engine, write: bool = True, indexes: bool = True) -> int:
    """Bring the store to `SCHEMA_VERSION` (creating its tables in an empty database) and
    return its version; with ``write`` false, only check that it can be read; with ``indexes``
    false, a new store gets its tables without their secondary indexes (see `create_indexes`).

    Raises
    ------
    StoreError
        If the store was made by a newer logprov, or has no tables and ``write`` is false.
    """
    version = stored_version(engine)
    if version > SCHEMA_VERSION:
        raise StoreError(f"the store {engine.location} has schema version {version}; this logprov reads "
                         f"version {SCHEMA_VERSION} at most: upgrade logprov")
    if version == SCHEMA_VERSION:
        return version
    if not write:
        if version == 0:
            raise StoreError(f"{engine.location} holds no logprov store yet: load logs into it first "
                             "(logprov load LOG --store …)")
        raise StoreError(f"the store {engine.location} has schema version {version}: load into it once with "
                         f"this logprov to migrate it to version {SCHEMA_VERSION}")
    with _migrating(engine):
        while version < SCHEMA_VERSION:
            with engine.transaction():
                version = stored_version(engine)
                if version >= SCHEMA_VERSION:
                    break
                text = ddl(engine.dialect, version + 1)
                if not indexes and version == 0:
                    text = "\n".join(s for s in map(_without_comments, statements(text)) if s and not _is_index(s))
                engine.script(text)
                version += 1
                engine.run("INSERT INTO store_meta (meta_key, meta_value) VALUES ('schema', ?) "
                           "ON CONFLICT (meta_key) DO UPDATE SET meta_value = excluded.meta_value", (str(version),))
    return version


@contextmanager
def _migrating(engine: Engine) -> Iterator[None]:
    """Hold the lock of the schema of a PostgreSQL store during the block: one loader migrates
    at a time. It is taken before the transactions that read the version begin, so that they see
    the tables the previous holder made (a transaction begun before another committed new
    tables may not see them, and would run their DDL again). SQLite's writing transactions are
    one at a time and see every table already."""
    if engine.dialect != "postgresql":
        yield
        return
    number = lock_number("logprov store: schema")
    engine.run("SELECT pg_advisory_lock(?)", (number,))
    try:
        yield
    finally:
        engine.run("SELECT pg_advisory_unlock(?)", (number,))


def create_indexes(engine: Engine) -> None:
    """Create the secondary indexes of the schema that the store lacks (see `prepare`)."""
    for version in range(1, SCHEMA_VERSION + 1):
        for statement in map(_without_comments, statements(ddl(engine.dialect, version))):
            if _is_index(statement):
                engine.run(statement)
