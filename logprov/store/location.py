"""Where a store is: an SQLite file (a path or ``sqlite:///path``) or a PostgreSQL URL, and
the same address with its password hidden, for messages."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["StoreLocation", "parse_location", "redact"]

_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SECRET_KEYS = frozenset({"password", "passfile", "sslpassword"})
_HIDDEN = "***"


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store address.

    Attributes
    ----------
    engine : str
        ``sqlite`` or ``postgresql``.
    target : str
        The SQLite file path, or the PostgreSQL connection URL (given to libpq as it is, so
        that ``PGPASSWORD`` and ``~/.pgpass`` apply when the URL has no password).
    """

    engine: str
    target: str

    def __str__(self) -> str:
        return redact(self.target) if self.engine == "postgresql" else self.target


def parse_location(address: "str | os.PathLike[str]") -> StoreLocation:
    """Return the location ``address`` names.

    ``postgresql://user@host:port/db`` (or ``postgres://``) is a PostgreSQL database;
    ``sqlite:///relative/prov.db`` and ``sqlite:////absolute/prov.db`` are SQLite files, and so
    is any other text, taken as a path.

    Raises
    ------
    ValueError
        If the address is empty or names another kind of database.
    """
    text = os.fspath(address)
    if not text:
        raise ValueError("the store address is empty")
    scheme, colon, rest = text.partition("://")
    if not colon or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return StoreLocation("sqlite", os.path.abspath(os.path.expanduser(text)))
    scheme = scheme.lower()
    if scheme in _POSTGRES_SCHEMES or scheme.startswith("postgresql+"):
        return StoreLocation("postgresql", "postgresql://" + rest)
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        if not path:
            raise ValueError("sqlite:/// needs a file path after it")
        return StoreLocation("sqlite", os.path.abspath(os.path.expanduser(path)))
    raise ValueError(f"a store is an SQLite file or a postgresql:// URL, not {scheme}://")


def redact(address: str) -> str:
    """Return ``address`` with any password in it replaced by ``***``."""
    try:
        parts = urlsplit(address)
    except ValueError:
        return _HIDDEN
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, host = netloc.rpartition("@")
        user, colon, _ = credentials.partition(":")
        netloc = f"{user}:{_HIDDEN}@{host}" if colon else f"{user}@{host}"
    query = parts.query
    if query:
        pairs = [(key, _HIDDEN if key.lower() in _SECRET_KEYS else value)
                 for key, value in parse_qsl(query, keep_blank_values=True)]
        query = urlencode(pairs, safe="*/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
