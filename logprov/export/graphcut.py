"""The part of a graph drawn when the whole is too big: its first activities, each whole.

A drawing cut at ``max_nodes`` keeps the activities in log order, each with every entity it used
and generated, adding whole activities until the next one does not fit; what room is left goes
to the entities linked to the drawn ones (members, derivations). A drawing of a lineage keeps its
focus, then the activities nearest to the focus first (ties in log order). A document without
activities keeps its first nodes. `first_activities` makes the same choice on the records of the logs, before
a document is built of them, so that a drawing of large logs builds only the part it draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from prov.identifier import QualifiedName
from prov.model import ProvRelation

from ..model.identifiers import local_part
from ..query.ids import reference
from ..query.select import records_about
from ..reading.reader import ProvRecord
from ..records.keys import (
    ACTIVITY_ID, ENTITY_ID, GENERATED_ID, IN_SESSION, MEMBER_ID, NOTE_ID, PROGENITOR_ID, USED_ID,
)
from .graphlabels import short_id
from .graphoptions import GraphOptions, LogCounts

__all__ = ["Cut", "choose", "cut_note", "cut_part", "cut_warning", "first_activities"]

Edge = Tuple[ProvRelation, QualifiedName, QualifiedName]
#: Sessions named one by one in the note of a cut drawing.
_SESSIONS_NAMED = 4


@dataclass
class Cut:
    """What a cut drawing holds.

    Attributes
    ----------
    activities, all_activities : int
        Activities drawn, and in the document (or the logs it was made from).
    nodes, all_nodes : int
        Nodes drawn, and in the whole drawing.
    sessions : list of (str, int, int)
        For each session with activities drawn, in log order: its short id, the number of its
        activities drawn and of its activities.
    other_sessions : int
        Sessions with no activity drawn.
    neighbours, all_neighbours : int
        When the first activity alone does not fit: the number of its entities drawn, and of
        its entities; else 0.
    nearest : bool
        The activities drawn are those nearest to the focus of a lineage, not the first ones.
    """

    activities: int
    all_activities: int
    nodes: int
    all_nodes: int
    sessions: List[Tuple[str, int, int]] = field(default_factory=list)
    other_sessions: int = 0
    neighbours: int = 0
    all_neighbours: int = 0
    nearest: bool = False


def _links(edges: Sequence[Edge], kinds: Dict[QualifiedName, str]) -> Tuple[Dict, Dict]:
    """Return the other nodes of each activity's edges, and the nodes linked to each other node
    by an edge between two nodes that are not activities, in the order of the edges."""
    of_activity: Dict[QualifiedName, Dict[QualifiedName, None]] = {}
    between: Dict[QualifiedName, Dict[QualifiedName, None]] = {}
    for _, effect, cause in edges:
        first, second = kinds[effect] == "activity", kinds[cause] == "activity"
        if first and not second:
            of_activity.setdefault(effect, {})[cause] = None
        elif second and not first:
            of_activity.setdefault(cause, {})[effect] = None
        elif not first:
            between.setdefault(effect, {})[cause] = None
            between.setdefault(cause, {})[effect] = None
    return of_activity, between


def _session_counts(
    activities: List[QualifiedName], session_of: Dict[QualifiedName, QualifiedName]
) -> Dict[QualifiedName, int]:
    counts: Dict[QualifiedName, int] = {}
    for activity in activities:
        session = session_of.get(activity)
        if session is not None:
            counts[session] = counts.get(session, 0) + 1
    return counts


def choose(
    names: List[QualifiedName],
    kinds: Dict[QualifiedName, str],
    edges: Sequence[Edge],
    session_of: Dict[QualifiedName, QualifiedName],
    options: GraphOptions,
    distance: Optional[Dict[QualifiedName, int]] = None,
) -> Tuple[Set[QualifiedName], Optional[Cut]]:
    """Return the nodes to draw and, when the drawing is cut, what it holds.

    Parameters
    ----------
    names : list of QualifiedName
        The nodes of the whole drawing, in document order.
    kinds : dict
        The kind of each node (see `logprov.export.graphlabels.element_kind`).
    edges : sequence of (relation, effect, cause)
        The edges between the nodes.
    session_of : dict
        The session of each activity.
    options : GraphOptions
        ``max_nodes`` is the budget; ``logs``, when given, the size of the logs the document
        holds the first activities of.
    distance : dict, optional
        The number of relations between the focus of a lineage and its elements: the focus (at
        0) is kept, then the activities nearest to it first, ties in document order.
    """
    activities = [name for name in names if kinds[name] == "activity"]
    logs = options.logs
    if len(names) <= options.max_nodes and (logs is None or logs.activities <= len(activities)):
        return set(names), None
    budget = options.max_nodes
    of_activity, between = _links(edges, kinds)
    kept: Dict[QualifiedName, None] = {}
    order = activities
    if distance:
        kept.update((name, None) for name in names if distance.get(name) == 0)
        far = 1 + max(distance.values())
        order = sorted(activities, key=lambda name: distance.get(name, far))
    drawn: List[QualifiedName] = []
    neighbours = all_neighbours = 0
    for activity in order:
        linked = of_activity.get(activity, {})
        new = [name for name in (activity, *linked) if name not in kept]
        if len(kept) + len(new) > budget:
            if not drawn:
                kept.update(dict.fromkeys(new[:max(0, budget - len(kept))]))
                if activity in kept:
                    drawn.append(activity)
                    neighbours, all_neighbours = sum(1 for name in linked if name in kept), len(linked)
            break
        kept.update(dict.fromkeys(new))
        drawn.append(activity)
    if not drawn:
        for name in names:
            if len(kept) >= budget:
                break
            kept.setdefault(name)
    for name in list(kept):
        for other in between.get(name, {}):
            if len(kept) >= budget:
                break
            kept.setdefault(other)
    chosen = set(drawn)
    drawn_sessions = _session_counts([activity for activity in activities if activity in chosen], session_of)
    all_sessions = _session_counts(activities, session_of)
    if logs is not None:
        by_local = {local_part(session): count for session, count in logs.sessions.items()}
        totals = {session: by_local.get(session.localpart, count) for session, count in all_sessions.items()}
        others = len(logs.sessions) - len(drawn_sessions)
        all_activities = logs.activities
        others_drawn = [kinds[name] for name in names if kinds[name] not in ("activity", "entity", "remark")]
        sessions_drawn = len(logs.sessions) if "session" in others_drawn else 0
        all_nodes = logs.nodes + sessions_drawn + sum(1 for kind in others_drawn if kind != "session")
    else:
        totals, others = all_sessions, len(all_sessions) - len(drawn_sessions)
        all_activities, all_nodes = len(activities), len(names)
    cut = Cut(
        len(drawn), all_activities, len(kept), max(all_nodes, len(kept)),
        [(short_id(session), count, totals[session]) for session, count in drawn_sessions.items()],
        others, neighbours, all_neighbours, bool(distance),
    )
    return set(kept), cut


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word[:-1]}ies" if word.endswith("y") else f"{number} {word}s"


def cut_part(cut: Cut) -> str:
    """Return what a cut drawing holds, in words."""
    if cut.activities == 0:
        return f"{cut.nodes} of {cut.all_nodes} nodes, and no activity"
    if cut.all_neighbours:
        which = "one nearest to the focus" if cut.nearest else "first"
        return (f"the {which} of {_count(cut.all_activities, 'activity')}, with {cut.neighbours} of the "
                f"{cut.all_neighbours} entities it used and generated")
    if cut.activities == cut.all_activities:
        return (f"all {_count(cut.activities, 'activity')}, each with all the entities it used and generated, "
                "and the entities linked to those that fit")
    if cut.nearest:
        return (f"the {cut.activities} of {cut.all_activities} activities nearest to the focus, "
                "each with all the entities it used and generated")
    return (f"the first {cut.activities} of {cut.all_activities} activities in log order, "
            "each with all the entities it used and generated")


def _session_line(name: str, drawn: int, total: int, nearest: bool) -> str:
    if drawn == total:
        return f"session {name}: all {_count(total, 'activity')}"
    return f"session {name}: the {'nearest' if nearest else 'first'} {drawn} of {total} activities"


def cut_note(cut: Cut, options: GraphOptions) -> str:
    """Return the note drawn on a cut graph: what it holds, and how to draw the rest."""
    lines = [f"Part of the graph: {cut_part(cut)} ({cut.nodes} of {cut.all_nodes} nodes)."]
    lines += [_session_line(*session, cut.nearest) for session in cut.sessions[:_SESSIONS_NAMED]]
    others = cut.other_sessions + max(0, len(cut.sessions) - _SESSIONS_NAMED)
    if others:
        lines.append(f"{_count(others, 'more session')} not drawn.")
    if options.command_line:
        lines += ["Draw more: one lineage with --entity ID --depth N; one session with --session ID;",
                  "a time window with --since / --until; more nodes with --max-nodes N."]
    else:
        lines += ["Draw more: one lineage with focus=ID and depth=N; more nodes with max_nodes=N;",
                  "or the records of one session or time window."]
    return "\n".join(lines)


def cut_warning(cut: Cut) -> str:
    """Return the message of the warning that a drawing was cut."""
    return (f"graph cut to {cut.nodes} of {cut.all_nodes} nodes: {cut_part(cut)}; draw the lineage "
            "of one entity with focus=<id> and depth=<n>, or raise max_nodes")


def _entity(data: dict, key: str, session: Optional[str]) -> str:
    return reference(str(data[key]), session)[0]


def first_activities(records: Iterable[ProvRecord], limit: int) -> Tuple[List[ProvRecord], Optional[LogCounts]]:
    """Return the records of the first activities of ``records`` and the size of the whole.

    Activities are taken in log order while they, and the entities they used and generated,
    number fewer than ``limit``; with them go the records of those entities and of the entities
    one membership or derivation away, of their sessions, and their notes. ``limit`` should be
    above the ``max_nodes`` of the drawing (twice is plenty), which then cuts the document
    as it would cut the document of all the records.

    Returns
    -------
    tuple of (list of ProvRecord, LogCounts or None)
        All the records and None when every activity was taken; else the records chosen and
        the size of the logs.
    """
    held: List[ProvRecord] = []
    taken: Dict[str, bool] = {}
    sessions: Dict[str, int] = {}
    linked: Set[str] = set()
    entities: Set[str] = set()
    notes = 0
    refused = False
    for record in records:
        data = record.data
        session = record.session
        if ACTIVITY_ID in data:
            key = data[ACTIVITY_ID]
            keep = taken.get(key)
            if keep is None:
                keep = taken[key] = len(taken) + len(linked) < limit and not refused
                refused = refused or not keep
                owner = data.get(IN_SESSION) or session
                if owner is not None:
                    sessions[owner] = sessions.get(owner, 0) + 1
            for name in (USED_ID, GENERATED_ID):
                if name in data:
                    entity = _entity(data, name, session)
                    entities.add(entity)
                    if keep:
                        linked.add(entity)
            if keep:
                held.append(record)
            continue
        if ENTITY_ID in data:
            for name in (ENTITY_ID, MEMBER_ID, PROGENITOR_ID):
                if name in data:
                    entities.add(_entity(data, name, session))
        elif NOTE_ID in data:
            notes += 1
        held.append(record)
    if not refused:
        return held, None
    return list(_chosen(held, taken, linked)), LogCounts(len(taken), len(taken) + len(entities) + notes, sessions)


def _chosen(held: List[ProvRecord], taken: Dict[str, bool], linked: Set[str]) -> Iterable[ProvRecord]:
    """Yield the records of ``held`` about the activities taken, the entities ``linked`` to them
    and those one membership or derivation away, their sessions and their notes."""
    near = set(linked)
    for record in held:
        data = record.data
        if ENTITY_ID in data:
            pair = [_entity(data, name, record.session) for name in (ENTITY_ID, MEMBER_ID, PROGENITOR_ID) if name in data]
            if len(pair) == 2 and (pair[0] in linked or pair[1] in linked):
                near.update(pair)
    activities = {key for key, kept in taken.items() if kept}
    sessions = {record.session for record in held if record.data.get(ACTIVITY_ID) in activities}
    return records_about(held, activities, near, near, sessions)
