"""Search provenance logs and follow the lineage of files and values, without PROV documents.

::

    import logprov.query

    with logprov.query.open("logs/*.log") as provenance:
        provenance.find_activities(name="run_fit", status="failed")
        provenance.find_entities(location="*/model.yaml")
        provenance.lineage("flux_points.fits")          # a file on disk, or an entity id
        provenance.sessions()

The logs are read once into an SQLite index kept in ``$LOGPROV_CACHE`` or
``~/.cache/logprov/`` and extended when they grow (see `logprov.query.cache`); with
``index=False`` they are read into memory instead.
"""

from .cache import cache_dir, index_path
from .model import Activity, Edge, Entity, Lineage, Link, Match, Matches, Session
from .progress import Progress
from .provenance import IndexWarning, NotFound, Provenance, QueryError, open

__all__ = [
    "open",
    "Provenance",
    "Session",
    "Activity",
    "Entity",
    "Link",
    "Match",
    "Matches",
    "Edge",
    "Lineage",
    "Progress",
    "QueryError",
    "NotFound",
    "IndexWarning",
    "cache_dir",
    "index_path",
]
