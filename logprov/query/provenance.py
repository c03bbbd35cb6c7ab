"""`Provenance`: search and lineage over one or more logs, from an index or from memory."""

from __future__ import annotations

import datetime
import os
import sqlite3
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from ..errors import LogprovError
from ..reading.reader import ReadStats, iter_records
from ..store.engines import StoreError, connect
from ..store.location import parse_location
from ..store.queries import StoreGraph
from ..store.schema import prepare
from .cache import IndexWarning, index_path, open_index
from .content import file_ids
from .facts import FactReader
from .filters import ActivityQuery, EntityQuery, glob_regex, value_text
from .graph import Graph
from .lineage import walk
from .memory import MemoryGraph
from .model import Activity, Entity, Lineage, Match, Matches, Session
from .progress import Progress, source_sizes, track
from ..reading.sources import STDIN, LogFile, resolve, resolve_paths
from .window import Window, utc_text

__all__ = ["Provenance", "QueryError", "NotFound", "IndexWarning", "open"]

Time = Union[str, datetime.datetime, None]


class QueryError(LogprovError, ValueError):
    """A query cannot be answered as asked (an ambiguous target, an invalid filter)."""


class NotFound(QueryError):
    """Nothing in the logs matches what a query names (an unknown entity or file)."""


def _time(value: Time, name: str) -> Optional[str]:
    if value is None:
        return None
    text = utc_text(value)
    if text is None:
        raise QueryError(f"{name} is not an ISO 8601 date or time: {value!r}")
    return text


def _where(where: Optional[Mapping[str, Any]]) -> dict:
    return {str(key): value if isinstance(value, str) else value_text(value) for key, value in (where or {}).items()}


def _activity_order(activity: Activity) -> tuple:
    return (utc_text(activity.start) or "", activity.id)


class Provenance:
    """The provenance held by a set of logs, as seen through a window.

    Create it with `logprov.query.open`. Every method returns plain objects of
    `logprov.query.model`; ids are those of the logs, session-local ids qualified as
    ``<session>.<id>``.

    Attributes
    ----------
    graph : Graph
        Where the facts are looked up: the index, or the logs read into memory.
    window : Window
        The window the queries see.
    files : list of LogFile
        The log files read (standard input is not listed).
    records : int
        Records the logs hold (before the window is applied).
    index : Path or None
        The index used, if any.
    store : str or None
        The store queried, if any (its address, without a password).
    """

    def __init__(self, graph: Graph, window: Window, files: list, records: int,
                 index: Optional[Path] = None, store: Optional[str] = None) -> None:
        self.graph = graph
        self.window = window
        self.files = files
        self.records = records
        self.index = index
        self.store = store

    def __enter__(self) -> "Provenance":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the index or store, if one is open."""
        self.graph.close()

    def sessions(self, job: Optional[str] = None) -> list[Session]:
        """Return the sessions with activities in the window, or that started in it, by start;
        with ``job``, only those of that batch-system job id."""
        found = self.graph.session_list(self.window)
        if job is not None:
            found = [s for s in found if s.job is not None and s.job.get("id") == job]
        return sorted(found, key=lambda s: (utc_text(s.start) or "", s.id))

    def _job_sessions(self, job: str, session: Union[str, Iterable[str], None]) -> tuple:
        """Return the ids of the sessions of ``job`` (among ``session``, ids or prefixes, if given)."""
        prefixes = None if session is None else (session,) if isinstance(session, str) else tuple(session)
        return tuple(s.id for s in self.graph.session_list(Window(sessions=prefixes))
                     if s.job is not None and s.job.get("id") == job)

    def counts(self) -> dict:
        """Return the numbers of ``sessions``, ``activities`` and ``entities`` selected."""
        return {"sessions": len(self.sessions()), **self.graph.counts()}

    def activity(self, identifier: str) -> Optional[Activity]:
        """Return the activity ``identifier``, or None."""
        return self.graph.get_activity(identifier)

    def entity(self, identifier: str) -> Optional[Entity]:
        """Return the entity ``identifier`` (qualified for a session-local id), or None."""
        return self.graph.get_entity(identifier)

    def find_activities(
        self,
        name: Optional[str] = None,
        status: Optional[str] = None,
        since: Time = None,
        until: Time = None,
        where: Optional[Mapping[str, Any]] = None,
        session: Union[str, Iterable[str], None] = None,
        id_prefix: Optional[str] = None,
    ) -> list[Activity]:
        """Return the activities matching every given test, by start time.

        Parameters
        ----------
        name : str, optional
            Glob pattern on the name (``run_*``).
        status : {"success", "failed", "incomplete"}, optional
            Their status.
        since, until : str or datetime, optional
            Bounds on their start time (naive times and dates are local).
        where : mapping, optional
            Parameter name (or dotted path into a mapping value) to value, or glob pattern of
            its text; numbers also match numerically (``{"max_obs": 5}``).
        session : str or iterable of str, optional
            Session ids, or prefixes of them.
        id_prefix : str, optional
            Start of the activity id.

        Raises
        ------
        QueryError
            If a time is not ISO 8601.
        """
        query = self._activity_query(name, status, since, until, where, session, id_prefix)
        keys = list(self.graph.activity_ids(query))
        return sorted(self.graph.get_activities(keys).values(), key=_activity_order)

    def find_entities(
        self,
        id_prefix: Optional[str] = None,
        location: Optional[str] = None,
        role: Optional[str] = None,
        type: Optional[str] = None,
        file: Union[str, "os.PathLike[str]", None] = None,
    ) -> list[Entity]:
        """Return the entities matching every given test, by id.

        Parameters
        ----------
        id_prefix : str, optional
            Start of the id, as logged (``file:8d1f``, ``4c5e``) or qualified.
        location : str, optional
            Glob pattern one of its locations matches (``*/flux_points.fits``).
        role : str, optional
            Glob pattern on the role of one of its usages or generations.
        type : str, optional
            ``File``, ``FileCollection``, ``PythonObject``, or a type of the definitions.
        file : str or path, optional
            A file on disk: only the entity with its content.

        Raises
        ------
        OSError
            If ``file`` cannot be read.
        """
        ids = tuple(file_ids(os.fspath(file), self.graph.hash_types())) if file is not None else None
        query = EntityQuery(id_prefix, location, role, type, ids)
        keys = sorted(self.graph.entity_ids(query))
        found = self.graph.get_entities(keys)
        return [found[key] for key in keys if key in found]

    def search(
        self,
        activity: Optional[str] = None,
        status: Optional[str] = None,
        since: Time = None,
        until: Time = None,
        where: Optional[Mapping[str, Any]] = None,
        session: Union[str, Iterable[str], None] = None,
        entity: Optional[str] = None,
        location: Optional[str] = None,
        role: Optional[str] = None,
        type: Optional[str] = None,
        file: Union[str, "os.PathLike[str]", None] = None,
        job: Optional[str] = None,
    ) -> Matches:
        """Return activities, entities, or entities with the activities using or generating them.

        Without an entity test (``entity``, ``location``, ``role``, ``type``, ``file``), this is
        `find_activities`, one `Match` per activity. With one, each match is an entity with one
        of its usages or generations whose activity passes the activity tests (``activity`` is
        the glob of its name); when there are no activity tests, entities that no activity
        used or generated are matches too. Matches are sorted by activity start time. ``job``
        keeps the activities of the sessions of that batch-system job id.
        """
        if job is not None:
            session = self._job_sessions(job, session)
        activity_tests = any(test is not None for test in (activity, status, since, until, session)) or bool(where)
        query = self._activity_query(activity, status, since, until, where, session, None)
        if entity is None and location is None and role is None and type is None and file is None:
            return Matches(Match(activity=found) for found in self.find_activities(
                activity, status, since, until, where, session))
        entities = self.find_entities(entity, location, role, type, file)
        role_pattern = glob_regex(role) if role is not None else None
        links = {e.id: [link for link in (*e.generated_by, *e.used_by)
                        if role_pattern is None or (link.role is not None and role_pattern.match(link.role))]
                 for e in entities}
        activities = self.graph.get_activities({link.activity for found in links.values() for link in found})
        matches = []
        for found in entities:
            for link in links[found.id]:
                linked = activities.get(link.activity)
                if linked is not None and _passes(query, linked):
                    matches.append(Match(linked, found, link))
            if not links[found.id] and not activity_tests:
                matches.append(Match(entity=found))
        return Matches(sorted(matches, key=_match_order))

    def resolve(self, target: Union[str, "os.PathLike[str]"]) -> list[tuple[str, str]]:
        """Return ``(kind, id)`` of the elements ``target`` names.

        ``target`` is a file or folder on disk (the entity with its content, hashed with the
        algorithms the logs name; for a folder, the entities logged at its path), an entity id
        as logged (a session-local id names that entity in every session) or qualified, an
        activity id, or a unique prefix of an entity or activity id.

        Raises
        ------
        NotFound
            If nothing matches.
        QueryError
            If a prefix matches several entities or activities.
        """
        text = os.fspath(target)
        if os.path.isfile(text):
            return self._file(text)
        if os.path.isdir(text):
            logged = self.graph.entities_at(os.path.abspath(text))
            if not logged:
                raise NotFound(f"no entity was logged at {text}")
            return [("entity", key) for key in logged]
        for candidate in _spellings(text):
            if self.graph.get_entity(candidate) is not None:
                return [("entity", candidate)]
        if self.graph.get_activity(text) is not None:
            return [("activity", text)]
        entities = self.find_entities(id_prefix=text)
        exact = [e.id for e in entities if e.logged_id == text]
        if exact:
            return [("entity", key) for key in exact]
        activities = list(self.graph.activity_ids(ActivityQuery(id_prefix=text)))
        found = [("entity", e.id) for e in entities] + [("activity", key) for key in activities]
        if len(found) == 1:
            return found
        if not found:
            raise NotFound(f"no entity, activity or file {text!r}")
        shown = ", ".join(key for _, key in found[:3])
        raise QueryError(f"{text!r} is ambiguous: {len(found)} ids start with it ({shown}, …)")

    def _file(self, path: str) -> list[tuple[str, str]]:
        ids = tuple(file_ids(path, self.graph.hash_types()))
        found = sorted(self.graph.entity_ids(EntityQuery(ids=ids)))
        if found:
            return [("entity", key) for key in found]
        logged = self.graph.entities_at(os.path.abspath(path))
        hint = (f"; {len(logged)} other entit{'y was' if len(logged) == 1 else 'ies were'} logged at "
                "this path: the file changed since") if logged else ""
        raise NotFound(f"no entity has the content of {path}{hint}")

    def lineage(self, target: Union[str, "os.PathLike[str]"], descendants: bool = False,
                depth: Optional[int] = None) -> Lineage:
        """Return where ``target`` comes from, or with ``descendants`` what comes from it.

        Parameters
        ----------
        target : str or path
            An entity or activity id, or a file on disk (see `resolve`).
        descendants : bool
            Follow what was made from the target instead of what it was made from.
        depth : int, optional
            Largest number of relations followed; None for no limit.

        Raises
        ------
        NotFound, QueryError
            If the target is unknown or ambiguous, or ``depth`` is negative.
        """
        if depth is not None and depth < 0:
            raise QueryError(f"depth must be 0 or more, not {depth}")
        roots = self.resolve(target)
        return walk(self.graph, roots, "descendants" if descendants else "ancestors", depth)

    def _activity_query(self, name: Optional[str], status: Optional[str], since: Time, until: Time,
                        where: Optional[Mapping[str, Any]], session: Union[str, Iterable[str], None],
                        id_prefix: Optional[str]) -> ActivityQuery:
        if status is not None and status not in ("success", "failed", "incomplete"):
            raise QueryError(f"status must be success, failed or incomplete, not {status!r}")
        sessions = None if session is None else (session,) if isinstance(session, str) else tuple(session)
        return ActivityQuery(name, status, _time(since, "since"), _time(until, "until"), sessions,
                             _where(where), id_prefix)


def _match_order(match: Match) -> tuple:
    """Sort key of search matches: by activity start, then relation and entity; entities that
    no activity used or generated first."""
    entity = match.entity.id if match.entity is not None else ""
    if match.activity is None or match.link is None:
        return ("", "", "", entity)
    return (*_activity_order(match.activity), match.link.relation, entity)


def _passes(query: ActivityQuery, activity: Activity) -> bool:
    return query.accepts(activity.id, activity.name, activity.status, activity.start,
                         activity.session) and query.accepts_parameters(activity.parameters)


def _spellings(text: str) -> list[str]:
    prefix, colon, rest = text.partition(":")
    if colon and rest.startswith("_") and len(rest) > 1:
        return [text, f"{prefix}:{rest[1:]}"]
    return [text]


def open(
    sources: Union[str, "os.PathLike[str]", Iterable[Any], None] = None,
    start: Time = None,
    end: Time = None,
    sessions: Union[str, Iterable[str], None] = None,
    index: bool = True,
    cache: Union[str, "os.PathLike[str]", None] = None,
    progress: Optional[Progress] = None,
    store: Union[str, "os.PathLike[str]", None] = None,
) -> Provenance:
    """Open the provenance of one or more logs, or of a store, for queries.

    Parameters
    ----------
    sources : str, path, stream or list of those
        Log files, glob patterns, ``.gz`` files, ``"-"`` for standard input, open streams.
        Not given with ``store``.
    start, end : str or datetime, optional
        Keep the activities that started in ``[start, end]`` (with everything logged about
        them) and the entity, membership and derivation records logged in it.
    sessions : str or iterable of str, optional
        Keep only these sessions (ids or prefixes of ids).
    index : bool
        Use the index of these logs, building or extending it as needed (see
        `logprov.query.cache`); without one, or for standard input and streams, the logs are
        read into memory. Either way, the lines of the logs that could not be read are
        warned about (`LogReadWarning`) as reading the logs warns about them.
    cache : str or path, optional
        Folder of the indexes (default ``$LOGPROV_CACHE`` or ``~/.cache/logprov``).
    progress : Progress, optional
        Shows progress while logs are read.
    store : str or path, optional
        A store to query instead of logs: an SQLite file (a path or ``sqlite:///path``) or a
        ``postgresql://user@host:port/db`` URL (see `logprov.store`).

    Returns
    -------
    Provenance

    Raises
    ------
    LogReadError
        If a log does not exist or cannot be read.
    StoreError
        If the store cannot be reached or holds no logprov tables.
    ValueError
        If a time is not ISO 8601, or both ``sources`` and ``store`` (or neither) are given.
    """
    if isinstance(sessions, str):
        sessions = (sessions,)
    window = Window(start, end, sessions)
    if store is not None:
        if sources is not None:
            raise ValueError("give logs or a store to query, not both")
        return _open_store(store, window)
    if sources is None:
        raise ValueError("give the logs (or a store) to query")
    if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read"):
        sources = [sources]
    sources = list(sources)
    streams = [source for source in sources if hasattr(source, "read")]
    paths = resolve_paths([source for source in sources if not hasattr(source, "read")])
    files = resolve(paths)
    logs = [f for f in files if isinstance(f, LogFile)]
    if index and logs and not streams and STDIN not in files:
        folder = Path(cache) if cache is not None else None
        try:
            connection = open_index(logs, folder, progress, paths)
        except (OSError, sqlite3.Error, StoreError) as exc:
            warnings.warn(f"cannot use an index ({exc}); reading the logs instead", IndexWarning, stacklevel=2)
        else:
            indexed = StoreGraph(connection, window)
            return Provenance(indexed, window, logs, indexed.records(), index_path(logs, folder))
    graph = MemoryGraph()
    counts: dict = {}
    stats = ReadStats()
    records = track(iter_records(sources, stats=stats), progress, "reading", counts, stats,
                    source_sizes(sources) if progress is not None else None)
    FactReader(graph, window, moments=window.timed).add_all(records)
    return Provenance(graph, window, logs, counts.get("records", 0))


def _open_store(address: Union[str, "os.PathLike[str]"], window: Window) -> Provenance:
    """Return the provenance held by the store at ``address``, for reading only."""
    location = parse_location(address)
    if location.engine == "sqlite" and not os.path.isfile(location.target):
        raise StoreError(f"no store at {location.target}: load logs into it first (logprov load LOG --store …)")
    engine = connect(location)
    try:
        prepare(engine, write=False)
    except BaseException:
        engine.close()
        raise
    graph = StoreGraph(engine, window)
    return Provenance(graph, window, [], graph.records(), store=str(location))
