"""Queries answered from an SQLite index (see `logprov.query.store`), with a window applied."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Iterator, Optional, Sequence

from .facts import SESSION_FIELDS
from .filters import ActivityQuery, EntityQuery, sql_glob, status_of
from .model import Activity, Edge, Entity, Link, Session
from .window import Window

__all__ = ["IndexGraph"]

_CHUNK = 500
_ACTIVITY_COLUMNS = ('id, name, session, start, "end", status, ended, duration, exception_type, '
                     "exception_message, function, agent, parent, parameters")
_ENTITY_NAMES = ("type", "location", "value", "hash", "hash_type", "entity_description", "content_type",
                 "size", "description")
_ENTITY_COLUMNS = ", ".join(_ENTITY_NAMES)


def _chunks(keys: Iterable[str]) -> Iterator[list]:
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def _marks(values: list) -> str:
    return ", ".join("?" * len(values))


class IndexGraph:
    """The query side of an index, seen through a window.

    Parameters
    ----------
    connection : sqlite3.Connection
        An up-to-date index.
    window : Window
        What is selected.
    """

    def __init__(self, connection: sqlite3.Connection, window: Window) -> None:
        self.connection = connection
        self.window = window
        self.selected, self.selected_params = window.sql("a.moment", "a.session")
        self.own, self.own_params = window.sql("moment", "session")

    def _rows(self, sql: str, params: Iterable = ()) -> list:
        return self.connection.execute(sql, list(params)).fetchall()

    def records(self) -> int:
        """Return the number of records the index was built from."""
        row = self._rows("SELECT value FROM meta WHERE key = 'records'")
        return int(row[0][0]) if row else 0

    def counts(self) -> dict:
        """Return the numbers of selected activities and entities."""
        activities = self._rows(f"SELECT count(*) FROM activities a WHERE {self.selected}", self.selected_params)
        selected, params = self._entity_selected("i.id")
        entities = self._rows(f"SELECT count(*) FROM ids i WHERE {selected}", params)
        return {"activities": activities[0][0], "entities": entities[0][0]}

    def hash_types(self) -> set[str]:
        """Return the digest algorithms named by the sessions and entities."""
        rows = self._rows("SELECT hash_type FROM sessions WHERE hash_type IS NOT NULL "
                          "UNION SELECT DISTINCT hash_type FROM entities WHERE hash_type IS NOT NULL")
        return {str(row[0]) for row in rows}

    def session_list(self, window: Window) -> list[Session]:
        """Return the sessions with selected activities or whose start record is selected."""
        counts = {
            row[0]: row[1:]
            for row in self._rows(
                "SELECT a.session, count(*), "
                "sum(a.status = 'failed'), "
                "sum(a.status IS NULL AND a.start IS NOT NULL AND a.ended = 0) "
                f"FROM activities a WHERE a.session IS NOT NULL AND {self.selected} GROUP BY a.session",
                self.selected_params,
            )
        }
        chosen, params = Window(sessions=window.sessions).sql("moment", "id")
        columns = ", ".join(f'"{name}"' for name in SESSION_FIELDS)
        rows = {row[0]: row for row in self._rows(
            f"SELECT id, moment, {columns} FROM sessions WHERE {chosen}", params)}
        found = []
        for session in dict.fromkeys([*rows, *counts]):
            row = rows.get(session)
            if session not in counts and not window.keeps_time(row[1]):
                continue
            fields = {}
            if row is not None:
                fields = {name: value for name, value in zip(SESSION_FIELDS, row[2:]) if value is not None}
            activities, failed, incomplete = counts.get(session, (0, 0, 0))
            found.append(Session(session, **fields, activities=activities, failed=failed or 0,
                                 incomplete=incomplete or 0))
        return found

    def activity_ids(self, query: ActivityQuery) -> Iterator[str]:
        """Yield the ids of the selected activities passing ``query``."""
        clauses, params = [self.selected], list(self.selected_params)
        if query.id_prefix is not None:
            clauses.append("a.id >= ? AND a.id < ?")
            params.extend((query.id_prefix, query.id_prefix + "\U0010ffff"))
        if query.name is not None:
            clauses.append("a.name GLOB ?")
            params.append(sql_glob(query.name))
        if query.status == "incomplete":
            clauses.append("a.status IS NULL AND a.start IS NOT NULL AND a.ended = 0")
        elif query.status is not None:
            clauses.append("a.status = ?")
            params.append(query.status)
        if query.since is not None:
            clauses.append("a.start_utc >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("a.start_utc <= ?")
            params.append(query.until)
        if query.sessions is not None:
            sessions, more = Window(sessions=query.sessions).sql("a.moment", "a.session")
            clauses.append(sessions)
            params.extend(more)
        sql = f"SELECT a.id, a.parameters FROM activities a WHERE {' AND '.join(clauses)}"
        for key, parameters in self.connection.execute(sql, params):
            if query.where and not query.accepts_parameters(json.loads(parameters) if parameters else {}):
                continue
            yield key

    def _entity_selected(self, column: str) -> tuple[str, list]:
        if self.window.everything:
            return "1", []
        own, own_params = self.own, self.own_params
        sql = (
            f"(EXISTS (SELECT 1 FROM entities WHERE id = {column} AND {own})"
            f" OR EXISTS (SELECT 1 FROM used u JOIN activities a ON a.id = u.activity"
            f" WHERE u.entity = {column} AND {self.selected})"
            f" OR EXISTS (SELECT 1 FROM generated g JOIN activities a ON a.id = g.activity"
            f" WHERE g.entity = {column} AND {self.selected})"
            f" OR EXISTS (SELECT 1 FROM members WHERE (collection = {column} OR member = {column}) AND {own})"
            f" OR EXISTS (SELECT 1 FROM derivations WHERE (entity = {column} OR progenitor = {column})"
            f" AND {own}))"
        )
        return sql, [*own_params, *self.selected_params, *self.selected_params, *own_params, *own_params]

    def entity_ids(self, query: EntityQuery) -> Iterator[str]:
        """Yield the ids of the selected entities passing ``query``."""
        clauses: list[str] = []
        params: list = []
        if query.ids is not None:
            clauses.append(f"i.id IN ({_marks(list(query.ids))})" if query.ids else "0")
            params.extend(query.ids)
        if query.id_prefix is not None:
            upper = query.id_prefix + "\U0010ffff"
            clauses.append("((i.id >= ? AND i.id < ?) OR (i.logged >= ? AND i.logged < ?))")
            params.extend((query.id_prefix, upper, query.id_prefix, upper))
        described = []
        if query.location is not None:
            described.append("e.location GLOB ?")
            params.append(sql_glob(query.location))
        if query.type is not None:
            described.append("e.type = ?")
            params.append(query.type)
        if described:
            own, own_params = self.window.sql("e.moment", "e.session")
            clauses.append(f"EXISTS (SELECT 1 FROM entities e WHERE e.id = i.id AND {' AND '.join(described)}"
                           f" AND {own})")
            params.extend(own_params)
        if query.role is not None:
            clauses.append(
                "(EXISTS (SELECT 1 FROM used u JOIN activities a ON a.id = u.activity"
                f" WHERE u.entity = i.id AND u.role GLOB ? AND {self.selected})"
                " OR EXISTS (SELECT 1 FROM generated g JOIN activities a ON a.id = g.activity"
                f" WHERE g.entity = i.id AND g.role GLOB ? AND {self.selected}))"
            )
            params.extend((sql_glob(query.role), *self.selected_params, sql_glob(query.role),
                           *self.selected_params))
        selected, selected_params = self._entity_selected("i.id")
        clauses.append(selected)
        params.extend(selected_params)
        for (key,) in self.connection.execute(f"SELECT i.id FROM ids i WHERE {' AND '.join(clauses)}", params):
            yield key

    def get_activity(self, key: str, links: bool = True) -> Optional[Activity]:
        """Return selected activity ``key`` (without its usages and generations unless
        ``links``), or None."""
        return self.get_activities([key], links).get(key)

    def get_entity(self, key: str, links: bool = True) -> Optional[Entity]:
        """Return selected entity ``key`` (without its relations unless ``links``), or None."""
        return self.get_entities([key], links).get(key)

    def _grouped(self, sql: str, chunk: list, params: Sequence = ()) -> dict:
        grouped: dict = {}
        for key, *rest in self._rows(sql, [*chunk, *params]):
            grouped.setdefault(key, []).append(rest[0] if len(rest) == 1 else tuple(rest))
        return grouped

    def get_activities(self, keys: Iterable[str], links: bool = True) -> dict:
        """Return the selected activities among ``keys``, by id; without their usages and
        generations when ``links`` is false."""
        found = {}
        for chunk in _chunks(keys):
            marks = _marks(chunk)
            rows = self._rows(f"SELECT {_ACTIVITY_COLUMNS} FROM activities a "
                              f"WHERE a.id IN ({marks}) AND {self.selected}", [*chunk, *self.selected_params])
            parents = [row[12] for row in rows if row[12] is not None]
            selected = set(self._selected_activities(parents))
            used = made = {}
            if links:
                used = self._grouped(f"SELECT activity, entity, role FROM used WHERE activity IN ({marks}) "
                                     "ORDER BY rowid", chunk)
                made = self._grouped(f"SELECT activity, entity, role FROM generated WHERE activity IN ({marks}) "
                                     "ORDER BY rowid", chunk)
            for (key, name, session, start, end, status, ended, duration, exception_type,
                 exception_message, function, agent, parent, parameters) in rows:
                found[key] = Activity(
                    key, name, session, start, end, status_of(status, start is not None, bool(ended)),
                    duration, exception_type, exception_message, function, agent,
                    parent if parent in selected else None,
                    json.loads(parameters) if parameters else {},
                    tuple(dict.fromkeys(Link("used", key, e, r) for e, r in used.get(key, ()))),
                    tuple(dict.fromkeys(Link("generated", key, e, r) for e, r in made.get(key, ()))),
                )
        return found

    def _selected_activities(self, keys: list) -> list:
        found = []
        for chunk in _chunks(keys):
            found.extend(row[0] for row in self._rows(
                f"SELECT a.id FROM activities a WHERE a.id IN ({_marks(chunk)}) AND {self.selected}",
                [*chunk, *self.selected_params]))
        return found

    def _descriptions(self, chunk: list) -> dict:
        """Return ``(attributes, locations)`` of entities ``chunk`` by id, merged from their
        selected description records: first values win, every location is kept, in log order.
        Over everything, repeated descriptions are skipped: they add nothing."""
        selected = "first = 1" if self.window.everything else self.own
        rows = self._grouped(f"SELECT id, {_ENTITY_COLUMNS} FROM entities WHERE id IN ({_marks(chunk)}) AND {selected} "
                             f"GROUP BY id, {_ENTITY_COLUMNS} ORDER BY min(rowid)", chunk, self.own_params)
        found = {}
        for key, described in rows.items():
            attributes: dict = {}
            locations: dict = {}
            for row in described:
                for name, value in zip(_ENTITY_NAMES, row):
                    if value is None:
                        continue
                    if name == "location":
                        locations[value] = None
                    else:
                        attributes.setdefault(name, value)
            found[key] = (attributes, list(locations))
        return found

    def get_entities(self, keys: Iterable[str], links: bool = True) -> dict:
        """Return the selected entities among ``keys``, by id; without their relations (usages,
        generations, members, progenitors) when ``links`` is false: a lineage has them as edges,
        and hubs such as an index file read by every run have thousands."""
        found = {}
        own, own_params = self.own, self.own_params
        for chunk in _chunks(keys):
            marks = _marks(chunk)
            logged = dict(self._rows(f"SELECT id, logged FROM ids WHERE id IN ({marks})", chunk))
            rows = self._descriptions(chunk)
            made = used = members = progenitors = {}
            related: set = set()
            if links:
                made = self._grouped(
                    f"SELECT g.entity, g.activity, g.role FROM generated g JOIN activities a ON a.id = g.activity "
                    f"WHERE g.entity IN ({marks}) AND {self.selected} ORDER BY g.rowid", chunk, self.selected_params)
                used = self._grouped(
                    f"SELECT u.entity, u.activity, u.role FROM used u JOIN activities a ON a.id = u.activity "
                    f"WHERE u.entity IN ({marks}) AND {self.selected} ORDER BY u.rowid", chunk, self.selected_params)
                members = self._grouped(f"SELECT collection, member FROM members WHERE collection IN ({marks}) "
                                        f"AND {own} ORDER BY rowid", chunk, own_params)
                progenitors = self._grouped(f"SELECT entity, progenitor FROM derivations WHERE entity IN ({marks}) "
                                            f"AND {own} ORDER BY rowid", chunk, own_params)
                related = {row[0] for row in self._rows(
                    f"SELECT member FROM members WHERE member IN ({marks}) AND {own} "
                    f"UNION SELECT progenitor FROM derivations WHERE progenitor IN ({marks}) AND {own}",
                    [*chunk, *own_params, *chunk, *own_params])}
            for key in chunk:
                if key not in logged or links and not (key in rows or key in made or key in used
                                                       or key in members or key in progenitors or key in related):
                    continue
                attributes, locations = rows.get(key, ({}, []))
                logged_id = logged[key]
                found[key] = Entity(
                    key, logged_id, key[: len(key) - len(logged_id) - 1] if logged_id != key else None,
                    locations=tuple(locations), **attributes,
                    generated_by=tuple(dict.fromkeys(Link("generated", a, key, r) for a, r in made.get(key, ()))),
                    used_by=tuple(dict.fromkeys(Link("used", a, key, r) for a, r in used.get(key, ()))),
                    members=tuple(dict.fromkeys(members.get(key, ()))),
                    derived_from=tuple(dict.fromkeys(progenitors.get(key, ()))),
                )
        return found

    def causes(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations from elements ``keys`` of ``kind`` to what they depend on."""
        edges: list[Edge] = []
        for chunk in _chunks(keys):
            marks = _marks(chunk)
            if kind == "entity":
                for entity, activity, role in self._rows(
                        f"SELECT g.entity, g.activity, g.role FROM generated g JOIN activities a ON a.id = g.activity "
                        f"WHERE g.entity IN ({marks}) AND {self.selected} ORDER BY g.rowid",
                        [*chunk, *self.selected_params]):
                    edges.append(Edge("wasGeneratedBy", entity, activity, role))
                for entity, progenitor, untraced in self._rows(
                        f"SELECT entity, progenitor, untraced FROM derivations "
                        f"WHERE entity IN ({marks}) AND {self.own} ORDER BY rowid", [*chunk, *self.own_params]):
                    edges.append(Edge("wasDerivedFrom", entity, progenitor, None, bool(untraced)))
                for collection, member in self._rows(
                        f"SELECT collection, member FROM members WHERE collection IN ({marks}) AND {self.own} "
                        "ORDER BY rowid", [*chunk, *self.own_params]):
                    edges.append(Edge("hadMember", collection, member))
            else:
                for activity, entity, role in self._rows(
                        f"SELECT activity, entity, role FROM used WHERE activity IN ({marks}) ORDER BY rowid", chunk):
                    edges.append(Edge("used", activity, entity, role))
                for activity, parent in self._rows(
                        f"SELECT c.id, c.parent FROM activities c JOIN activities a ON a.id = c.parent "
                        f"WHERE c.id IN ({marks}) AND {self.selected}", [*chunk, *self.selected_params]):
                    edges.append(Edge("wasInformedBy", activity, parent))
        return edges

    def effects(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations to elements ``keys`` of ``kind`` from what depends on them."""
        edges: list[Edge] = []
        for chunk in _chunks(keys):
            marks = _marks(chunk)
            if kind == "entity":
                for activity, entity, role in self._rows(
                        f"SELECT u.activity, u.entity, u.role FROM used u JOIN activities a ON a.id = u.activity "
                        f"WHERE u.entity IN ({marks}) AND {self.selected} ORDER BY u.rowid",
                        [*chunk, *self.selected_params]):
                    edges.append(Edge("used", activity, entity, role))
                for entity, progenitor, untraced in self._rows(
                        f"SELECT entity, progenitor, untraced FROM derivations "
                        f"WHERE progenitor IN ({marks}) AND {self.own} ORDER BY rowid", [*chunk, *self.own_params]):
                    edges.append(Edge("wasDerivedFrom", entity, progenitor, None, bool(untraced)))
                for collection, member in self._rows(
                        f"SELECT collection, member FROM members WHERE member IN ({marks}) AND {self.own} "
                        "ORDER BY rowid", [*chunk, *self.own_params]):
                    edges.append(Edge("hadMember", collection, member))
            else:
                for activity, entity, role in self._rows(
                        f"SELECT activity, entity, role FROM generated WHERE activity IN ({marks}) ORDER BY rowid",
                        chunk):
                    edges.append(Edge("wasGeneratedBy", entity, activity, role))
                for child, parent in self._rows(
                        f"SELECT a.id, a.parent FROM activities a WHERE a.parent IN ({marks}) AND {self.selected}",
                        [*chunk, *self.selected_params]):
                    edges.append(Edge("wasInformedBy", child, parent))
        return edges

    def reachable(self, roots: Sequence[tuple[str, str]], ancestors: bool) -> set:
        """Return ``(kind, id)`` of every element reachable from ``roots`` (one recursive query)."""
        selected = (self.selected, self.selected_params)
        derived = self.window.sql("d.moment", "d.session")
        member = self.window.sql("m.moment", "m.session")
        everything = ("1", [])
        if ancestors:
            steps = [
                ("entity", "'activity', g.activity",
                 "generated g ON g.entity = w.id JOIN activities a ON a.id = g.activity", selected),
                ("entity", "'entity', d.progenitor", "derivations d ON d.entity = w.id", derived),
                ("entity", "'entity', m.member", "members m ON m.collection = w.id", member),
                ("activity", "'entity', u.entity", "used u ON u.activity = w.id", everything),
                ("activity", "'activity', c.parent",
                 "activities c ON c.id = w.id JOIN activities a ON a.id = c.parent", selected),
            ]
        else:
            steps = [
                ("entity", "'activity', u.activity",
                 "used u ON u.entity = w.id JOIN activities a ON a.id = u.activity", selected),
                ("entity", "'entity', d.entity", "derivations d ON d.progenitor = w.id", derived),
                ("entity", "'entity', m.collection", "members m ON m.member = w.id", member),
                ("activity", "'entity', g.entity", "generated g ON g.activity = w.id", everything),
                ("activity", "'activity', a.id", "activities a ON a.parent = w.id", selected),
            ]
        seeds = " UNION ".join("SELECT ?, ?" for _ in roots)
        recursive = " UNION ".join(
            f"SELECT {columns} FROM walk w JOIN {join} WHERE w.kind = '{kind}' AND {condition}"
            for kind, columns, join, (condition, _) in steps
        )
        params = [value for root in roots for value in root]
        for *_, (_, step_params) in steps:
            params.extend(step_params)
        sql = f"WITH RECURSIVE walk(kind, id) AS ({seeds} UNION {recursive}) SELECT kind, id FROM walk"
        return set(self._rows(sql, params))

    def entities_at(self, location: str) -> list[str]:
        """Return the ids of the selected entities logged at ``location``."""
        rows = self._rows(f"SELECT DISTINCT id FROM entities WHERE location = ? AND {self.own}",
                          [location, *self.own_params])
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

