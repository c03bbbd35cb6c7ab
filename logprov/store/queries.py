"""Queries answered from a store (SQLite or PostgreSQL), with a window applied: the store's
side of `logprov.query.graph.Graph`.

Relations come back in the order they were stored, ``ORDER BY <table>_seq + 0``: the ``+ 0``
keeps the planner from walking the whole table in that order through its primary key instead
of looking the few rows up by the indexes of their ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Optional, Sequence

from ..query.facts import CONTEXT_FIELDS, SESSION_FIELDS
from ..query.filters import ActivityQuery, EntityQuery, status_of
from ..query.model import RELATIONS, Activity, Edge, Entity, Link, Session
from ..query.window import Window
from .engines import Engine, chunked
from .writer import SESSION_COLUMNS

__all__ = ["StoreGraph"]

_ACTIVITY_COLUMNS = ("a.act_id, a.act_name, a.act_session, a.act_startTime, a.act_endTime, a.act_status, "
                     "a.act_ended, a.act_duration, a.act_exception_type, a.act_exception_message, a.act_function, "
                     "a.act_agent, a.act_parent, a.act_parameters, a.act_exit_code")
_ENTITY_NAMES = ("type", "location", "value", "hash", "hash_type", "entity_description", "content_type",
                 "size", "description", "id_scheme", "digest", "identified_by", "product_id", "reference_meta",
                 "generated_time")
_ENTITY_COLUMNS = ("er_type, er_location, er_value, er_hash, er_hash_type, er_descr_id, er_content_type, "
                   "er_size, er_description, er_id_scheme, er_digest, er_identified_by, er_product_id, "
                   "er_reference_meta, er_generated_time")
_INCOMPLETE = "a.act_status IS NULL AND a.act_startTime IS NOT NULL AND a.act_ended = 0"
_EVERYTHING: tuple[str, list] = ("1 = 1", [])


def _marks(values: Sequence) -> str:
    return ", ".join("?" * len(values))


@dataclass(frozen=True)
class _Relation:
    """A table of relations (see `RELATIONS`): its columns, the one that orders its rows, and
    the prefix of its own window columns, if it has them."""

    name: str
    table: str
    effect: str
    cause: str
    order: Optional[str]
    role: Optional[str] = None
    untraced: Optional[str] = None
    activity: Optional[str] = None
    window: Optional[str] = None


#: The relation tables, in the order a step of a lineage goes over those from one kind of element.
_RELATIONS = (
    _Relation("wasGeneratedBy", "wasGeneratedBy", "wgb_ent_id", "wgb_act_id", "wgb_seq", role="wgb_role"),
    _Relation("used", "used", "used_act_id", "used_ent_id", "used_seq", role="used_role"),
    _Relation("wasDerivedFrom", "wasDerivedFrom", "wdf_generatedEntity", "wdf_usedEntity", "wdf_seq",
              untraced="wdf_untraced", activity="wdf_activity", window="wdf"),
    _Relation("hadMember", "hadMember", "hm_collection_id", "hm_ent_id", "hm_seq", window="hm"),
    _Relation("wasInformedBy", "activity", "act_id", "act_parent", None),
)


@dataclass(frozen=True)
class _Step:
    """One relation gone over from one of its ends: the tables read, the column of the end
    given and that of the end found, and the conditions of the window with their parameters."""

    relation: _Relation
    given: str
    found: str
    alias: str
    tables: str
    key: str
    other: str
    conditions: tuple[str, ...]
    params: tuple


class StoreGraph:
    """The query side of a store, seen through a window.

    Parameters
    ----------
    engine : Engine
        An open store.
    window : Window
        What is selected.
    """

    def __init__(self, engine: Engine, window: Window) -> None:
        self.engine = engine
        self.window = window
        self.selected, self.selected_params = window.sql("a.act_moment", "a.act_session")

    @lru_cache(maxsize=None)
    def _own(self, prefix: str) -> tuple[str, list]:
        """The window's condition on the records of a table whose columns start with ``prefix``."""
        return self.window.sql(f"{prefix}_moment", f"{prefix}_session")

    def _rows(self, sql: str, params: Iterable = ()) -> list:
        return self.engine.rows(sql, list(params))

    def records(self) -> int:
        """Return the number of records the store was loaded from."""
        return int(self._rows("SELECT coalesce(sum(src_records), 0) FROM source")[0][0])

    def counts(self) -> dict:
        """Return the numbers of selected activities and entities."""
        activities = self._rows(f"SELECT count(*) FROM activity a WHERE {self.selected}", self.selected_params)
        selected, params = self._entity_selected("i.ent_id")
        entities = self._rows(f"SELECT count(*) FROM entity i WHERE {selected}", params)
        return {"activities": activities[0][0], "entities": entities[0][0]}

    def hash_types(self) -> set[str]:
        """Return the digest algorithms named by the sessions and entities."""
        rows = self._rows("SELECT ses_hash_type FROM session WHERE ses_hash_type IS NOT NULL "
                          "UNION SELECT DISTINCT er_hash_type FROM entity_record WHERE er_hash_type IS NOT NULL")
        return {str(row[0]) for row in rows}

    def session_list(self, window: Window) -> list[Session]:
        """Return the sessions with selected activities or whose start record ``window`` keeps."""
        counts = {
            row[0]: row[1:]
            for row in self._rows(
                "SELECT a.act_session, count(*), "
                "sum(CASE WHEN a.act_status = 'failed' THEN 1 ELSE 0 END), "
                f"sum(CASE WHEN {_INCOMPLETE} THEN 1 ELSE 0 END) "
                f"FROM activity a WHERE a.act_session IS NOT NULL AND {self.selected} GROUP BY a.act_session",
                self.selected_params,
            )
        }
        chosen, params = Window(sessions=window.sessions).sql("ses_moment", "ses_id")
        rows = {row[0]: row for row in self._rows(
            f"SELECT ses_id, ses_moment, {', '.join(SESSION_COLUMNS)} FROM session WHERE {chosen}", params)}
        found = []
        for session in dict.fromkeys([*rows, *counts]):
            row = rows.get(session)
            if session not in counts and row is not None and not window.keeps_time(row[1]):
                continue
            fields = {}
            if row is not None:
                fields = {name: json.loads(value) if name in CONTEXT_FIELDS else value
                          for name, value in zip(SESSION_FIELDS + CONTEXT_FIELDS, row[2:]) if value is not None}
            activities, failed, incomplete = counts.get(session, (0, 0, 0))
            found.append(Session(session, **fields, activities=activities, failed=failed or 0,
                                 incomplete=incomplete or 0))
        return found

    def activity_ids(self, query: ActivityQuery) -> Iterator[str]:
        """Yield the ids of the selected activities passing ``query``."""
        clauses, params = [self.selected], list(self.selected_params)
        if query.id_prefix is not None:
            clauses.append("a.act_id >= ? AND a.act_id < ?")
            params.extend((query.id_prefix, query.id_prefix + "\U0010ffff"))
        if query.name is not None:
            clauses.append(self.engine.glob("a.act_name"))
            params.append(self.engine.glob_value(query.name))
        if query.status == "incomplete":
            clauses.append(_INCOMPLETE)
        elif query.status is not None:
            clauses.append("a.act_status = ?")
            params.append(query.status)
        if query.since is not None:
            clauses.append("a.act_start_utc >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("a.act_start_utc <= ?")
            params.append(query.until)
        if query.sessions is not None:
            sessions, more = Window(sessions=query.sessions).sql("a.act_moment", "a.act_session")
            clauses.append(sessions)
            params.extend(more)
        sql = f"SELECT a.act_id, a.act_parameters FROM activity a WHERE {' AND '.join(clauses)}"
        for key, parameters in self.engine.iterate(sql, params):
            if query.where and not query.accepts_parameters(json.loads(parameters) if parameters else {}):
                continue
            yield key

    def _entity_selected(self, column: str) -> tuple[str, list]:
        if self.window.everything:
            return _EVERYTHING
        er, er_params = self._own("er")
        hm, hm_params = self._own("hm")
        wdf, wdf_params = self._own("wdf")
        sql = (
            f"(EXISTS (SELECT 1 FROM entity_record WHERE er_ent_id = {column} AND {er})"
            f" OR EXISTS (SELECT 1 FROM used u JOIN activity a ON a.act_id = u.used_act_id"
            f" WHERE u.used_ent_id = {column} AND {self.selected})"
            f" OR EXISTS (SELECT 1 FROM wasGeneratedBy g JOIN activity a ON a.act_id = g.wgb_act_id"
            f" WHERE g.wgb_ent_id = {column} AND {self.selected})"
            f" OR EXISTS (SELECT 1 FROM hadMember WHERE (hm_collection_id = {column} OR hm_ent_id = {column})"
            f" AND {hm})"
            f" OR EXISTS (SELECT 1 FROM wasDerivedFrom WHERE (wdf_generatedEntity = {column}"
            f" OR wdf_usedEntity = {column}) AND {wdf}))"
        )
        return sql, [*er_params, *self.selected_params, *self.selected_params, *hm_params, *wdf_params]

    def entity_ids(self, query: EntityQuery) -> Iterator[str]:
        """Yield the ids of the selected entities passing ``query``."""
        clauses: list[str] = []
        params: list = []
        if query.ids is not None:
            clauses.append(f"i.ent_id IN ({_marks(query.ids)})" if query.ids else "1 = 0")
            params.extend(query.ids)
        if query.id_prefix is not None:
            upper = query.id_prefix + "\U0010ffff"
            clauses.append("((i.ent_id >= ? AND i.ent_id < ?) OR (i.ent_logged_id >= ? AND i.ent_logged_id < ?))")
            params.extend((query.id_prefix, upper, query.id_prefix, upper))
        described = []
        if query.location is not None:
            described.append(self.engine.glob("e.er_location"))
            params.append(self.engine.glob_value(query.location))
        if query.type is not None:
            described.append("e.er_type = ?")
            params.append(query.type)
        if described:
            own, own_params = self.window.sql("e.er_moment", "e.er_session")
            clauses.append(f"EXISTS (SELECT 1 FROM entity_record e WHERE e.er_ent_id = i.ent_id AND "
                           f"{' AND '.join(described)} AND {own})")
            params.extend(own_params)
        if query.role is not None:
            role = self.engine.glob_value(query.role)
            clauses.append(
                "(EXISTS (SELECT 1 FROM used u JOIN activity a ON a.act_id = u.used_act_id"
                f" WHERE u.used_ent_id = i.ent_id AND {self.engine.glob('u.used_role')} AND {self.selected})"
                " OR EXISTS (SELECT 1 FROM wasGeneratedBy g JOIN activity a ON a.act_id = g.wgb_act_id"
                f" WHERE g.wgb_ent_id = i.ent_id AND {self.engine.glob('g.wgb_role')} AND {self.selected}))"
            )
            params.extend((role, *self.selected_params, role, *self.selected_params))
        selected, selected_params = self._entity_selected("i.ent_id")
        clauses.append(selected)
        params.extend(selected_params)
        for (key,) in self.engine.iterate(f"SELECT i.ent_id FROM entity i WHERE {' AND '.join(clauses)}", params):
            yield key

    def get_activity(self, key: str, links: bool = True) -> Optional[Activity]:
        """Return selected activity ``key`` (without its usages and generations unless ``links``), or None."""
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
        for chunk in chunked(keys):
            marks = _marks(chunk)
            rows = self._rows(f"SELECT {_ACTIVITY_COLUMNS} FROM activity a "
                              f"WHERE a.act_id IN ({marks}) AND {self.selected}", [*chunk, *self.selected_params])
            parents = [row[12] for row in rows if row[12] is not None]
            selected = set(self._selected_activities(parents))
            used = made = {}
            if links:
                used = self._grouped(f"SELECT used_act_id, used_ent_id, used_role FROM used "
                                     f"WHERE used_act_id IN ({marks}) ORDER BY used_seq + 0", chunk)
                made = self._grouped(f"SELECT wgb_act_id, wgb_ent_id, wgb_role FROM wasGeneratedBy "
                                     f"WHERE wgb_act_id IN ({marks}) ORDER BY wgb_seq + 0", chunk)
            for (key, name, session, start, end, status, ended, duration, exception_type,
                 exception_message, function, agent, parent, parameters, exit_code) in rows:
                found[key] = Activity(
                    key, name, session, start, end, status_of(status, start is not None, bool(ended)),
                    duration, exception_type, exception_message, function, agent,
                    parent if parent in selected else None,
                    json.loads(parameters) if parameters else {},
                    tuple(dict.fromkeys(Link("used", key, e, r) for e, r in used.get(key, ()))),
                    tuple(dict.fromkeys(Link("generated", key, e, r) for e, r in made.get(key, ()))),
                    exit_code,
                )
        return found

    def _selected_activities(self, keys: list) -> list:
        found: list = []
        for chunk in chunked(keys):
            found.extend(row[0] for row in self._rows(
                f"SELECT a.act_id FROM activity a WHERE a.act_id IN ({_marks(chunk)}) AND {self.selected}",
                [*chunk, *self.selected_params]))
        return found

    def _descriptions(self, chunk: list) -> dict:
        """Return ``(attributes, locations)`` of entities ``chunk`` by id, merged from their
        selected description records: first values win, every location is kept, in log order.
        Over everything, repeated descriptions are skipped: they add nothing."""
        own, own_params = ("er_first = 1", []) if self.window.everything else self._own("er")
        rows = self._grouped(f"SELECT er_ent_id, {_ENTITY_COLUMNS} FROM entity_record "
                             f"WHERE er_ent_id IN ({_marks(chunk)}) AND {own} "
                             f"GROUP BY er_ent_id, {_ENTITY_COLUMNS} ORDER BY min(er_seq)", chunk, own_params)
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
        hm, hm_params = self._own("hm")
        wdf, wdf_params = self._own("wdf")
        for chunk in chunked(keys):
            marks = _marks(chunk)
            logged = dict(self._rows(f"SELECT ent_id, ent_logged_id FROM entity WHERE ent_id IN ({marks})", chunk))
            rows = self._descriptions(chunk)
            made = used = members = progenitors = {}
            related: set = set()
            if links:
                made = self._grouped(
                    f"SELECT g.wgb_ent_id, g.wgb_act_id, g.wgb_role FROM wasGeneratedBy g JOIN activity a "
                    f"ON a.act_id = g.wgb_act_id WHERE g.wgb_ent_id IN ({marks}) AND {self.selected} "
                    "ORDER BY g.wgb_seq + 0", chunk, self.selected_params)
                used = self._grouped(
                    f"SELECT u.used_ent_id, u.used_act_id, u.used_role FROM used u JOIN activity a "
                    f"ON a.act_id = u.used_act_id WHERE u.used_ent_id IN ({marks}) AND {self.selected} "
                    "ORDER BY u.used_seq + 0", chunk, self.selected_params)
                members = self._grouped(f"SELECT hm_collection_id, hm_ent_id FROM hadMember "
                                        f"WHERE hm_collection_id IN ({marks}) AND {hm} ORDER BY hm_seq + 0",
                                        chunk, hm_params)
                progenitors = self._grouped(f"SELECT wdf_generatedEntity, wdf_usedEntity FROM wasDerivedFrom "
                                            f"WHERE wdf_generatedEntity IN ({marks}) AND {wdf} ORDER BY wdf_seq + 0",
                                            chunk, wdf_params)
                related = {row[0] for row in self._rows(
                    f"SELECT hm_ent_id FROM hadMember WHERE hm_ent_id IN ({marks}) AND {hm} "
                    f"UNION SELECT wdf_usedEntity FROM wasDerivedFrom WHERE wdf_usedEntity IN ({marks}) AND {wdf}",
                    [*chunk, *hm_params, *chunk, *wdf_params])}
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

    def _steps(self, by_effect: bool) -> tuple[_Step, ...]:
        """Every relation gone over from its effect end (``by_effect``) or its cause end, those
        from an entity first: an activity found must be selected, and a relation with a window
        of its own must be in it."""
        steps = []
        end = 0 if by_effect else 1
        for given in ("entity", "activity"):
            for relation in _RELATIONS:
                kinds = RELATIONS[relation.name]
                if kinds[end] != given:
                    continue
                found = kinds[1 - end]
                key, other = (relation.effect, relation.cause) if by_effect else (relation.cause, relation.effect)
                # The activity found is the row itself for the children of activities.
                alias = "a" if found == "activity" and relation.table == "activity" and other == "act_id" else "r"
                tables = f"{relation.table} {alias}"
                conditions: list[str] = []
                params: list = []
                if found == "activity":
                    if alias == "r":
                        tables += f" JOIN activity a ON a.act_id = r.{other}"
                    conditions.append(self.selected)
                    params.extend(self.selected_params)
                if relation.window is not None:
                    own, own_params = self._own(f"{alias}.{relation.window}")
                    conditions.append(own)
                    params.extend(own_params)
                steps.append(_Step(relation, given, found, alias, tables, f"{alias}.{key}", f"{alias}.{other}",
                                   tuple(conditions), tuple(params)))
        return tuple(steps)

    def _edges(self, step: _Step, chunk: list) -> Iterator[Edge]:
        """The relations of ``step`` whose given end is in ``chunk``."""
        relation, alias = step.relation, step.alias
        extras = ", ".join(f"{alias}.{column}" if column is not None else default for column, default in (
            (relation.role, "NULL"), (relation.untraced, "0"), (relation.activity, "NULL")))
        order = f" ORDER BY {alias}.{relation.order} + 0" if relation.order is not None else ""
        sql = (f"SELECT {alias}.{relation.effect}, {alias}.{relation.cause}, {extras} FROM {step.tables} "
               f"WHERE {' AND '.join((f'{step.key} IN ({_marks(chunk)})', *step.conditions))}{order}")
        for effect, cause, role, untraced, activity in self._rows(sql, [*chunk, *step.params]):
            yield Edge(relation.name, effect, cause, role, bool(untraced), activity)

    def _related(self, kind: str, keys: Iterable[str], by_effect: bool) -> list[Edge]:
        """The relations whose effect (``by_effect``) or cause is one of elements ``keys`` of ``kind``."""
        steps = [step for step in self._steps(by_effect) if step.given == kind]
        edges: list[Edge] = []
        for chunk in chunked(keys):
            for step in steps:
                edges.extend(self._edges(step, chunk))
        return edges

    def causes(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations from elements ``keys`` of ``kind`` to what they depend on."""
        return self._related(kind, keys, by_effect=True)

    def effects(self, kind: str, keys: Iterable[str]) -> list[Edge]:
        """Return the relations to elements ``keys`` of ``kind`` from what depends on them."""
        return self._related(kind, keys, by_effect=False)

    def reachable(self, roots: Sequence[tuple[str, str]], ancestors: bool,
                  depth: Optional[int] = None) -> dict:
        """Return ``(kind, id)`` of every element reachable from ``roots`` within ``depth``
        relations (None: any number), with its distance: one recursive query, each element
        listed once per distance at most, so it ends on cycles and is bounded by the depth."""
        steps = self._steps(ancestors)
        bounded = depth is not None
        text = 'CAST(? AS TEXT) COLLATE "C"' if self.engine.dialect == "postgresql" else "CAST(? AS TEXT)"
        seeds = " UNION ".join(f"SELECT CAST(? AS TEXT), {text}{', 0' if bounded else ''}" for _ in roots)
        params: list = [value for root in roots for value in root]

        def where(step: _Step) -> str:
            return " AND ".join((f"{step.key} = w.id", f"w.kind = '{step.given}'", *step.conditions))

        if self.engine.dialect == "postgresql":
            # PostgreSQL reads the recursive step once: the relations go in one lateral subquery.
            lateral = " UNION ALL ".join(
                f"SELECT CAST('{step.found}' AS TEXT) AS kind, {step.other} AS id FROM {step.tables} "
                f"WHERE {where(step)}" for step in steps)
            for step in steps:
                params.extend(step.params)
            recursive = (f"SELECT s.kind, s.id{', w.depth + 1' if bounded else ''} FROM walk w, LATERAL ({lateral}) s"
                         f"{' WHERE w.depth < ?' if bounded else ''}")
            if bounded:
                params.append(depth)
        else:
            recursive = " UNION ".join(
                f"SELECT '{step.found}', {step.other}{', w.depth + 1' if bounded else ''} FROM walk w, {step.tables} "
                f"WHERE {where(step)}{' AND w.depth < ?' if bounded else ''}" for step in steps)
            for step in steps:
                params.extend(step.params)
                if bounded:
                    params.append(depth)
        if bounded:
            sql = (f"WITH RECURSIVE walk(kind, id, depth) AS ({seeds} UNION {recursive}) "
                   "SELECT kind, id, min(depth) FROM walk GROUP BY kind, id")
            return {(kind, key): distance for kind, key, distance in self._rows(sql, params)}
        sql = f"WITH RECURSIVE walk(kind, id) AS ({seeds} UNION {recursive}) SELECT kind, id FROM walk"
        return {(kind, key): None for kind, key in self._rows(sql, params)}

    def entities_at(self, location: str) -> list[str]:
        """Return the ids of the selected entities logged at ``location``."""
        own, own_params = self._own("er")
        rows = self._rows(f"SELECT DISTINCT er_ent_id FROM entity_record WHERE er_location = ? AND {own}",
                          [location, *own_params])
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close the connection."""
        self.engine.close()
