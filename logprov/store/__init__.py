"""A shared provenance store: the records of many logs in SQLite or PostgreSQL tables aligned
with the IVOA ProvTAP names, loaded from many hosts at once and queried like the logs.

::

    import logprov.query, logprov.store

    logprov.store.load(["logs/*.log"], "postgresql://prov@dbhost/prov")
    with logprov.query.open(store="postgresql://prov@dbhost/prov") as provenance:
        provenance.lineage("flux_points.fits")

A store is an SQLite file (a path, or ``sqlite:///path``) or a PostgreSQL 13+ database
(``postgresql://user@host:port/db``, through psycopg 3: ``pip install 'logprov[postgres]'``;
the password comes from the URL, ``PGPASSWORD`` or ``~/.pgpass`` and is never shown).
docs/store.md describes the tables.
"""

from .api import load
from .engines import StoreError, connect
from .loader import Loaded, SourceChanged
from .location import parse_location, redact
from .schema import SCHEMA_VERSION

__all__ = ["load", "connect", "StoreError", "SourceChanged", "Loaded", "parse_location", "redact",
           "SCHEMA_VERSION"]
