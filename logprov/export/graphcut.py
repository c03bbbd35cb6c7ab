"""The part of a graph drawn when the whole is too big: its first activities, each whole.

A drawing cut at ``max_nodes`` keeps the activities in log order, each with every entity it used
and generated, adding whole activities until the next one does not fit; what room is left goes
to the entities linked to the drawn ones (members, derivations). A document without activities
keeps its first nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from prov.identifier import QualifiedName
from prov.model import ProvRelation

from .graphlabels import short_id
from .graphoptions import GraphOptions

__all__ = ["Cut", "choose", "cut_note", "cut_part", "cut_warning"]

Edge = Tuple[ProvRelation, QualifiedName, QualifiedName]
#: Sessions named one by one in the note of a cut drawing.
_SESSIONS_NAMED = 4


@dataclass
class Cut:
    """What a cut drawing holds.

    Attributes
    ----------
    activities, all_activities : int
        Activities drawn, and in the document.
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
    """

    activities: int
    all_activities: int
    nodes: int
    all_nodes: int
    sessions: List[Tuple[str, int, int]] = field(default_factory=list)
    other_sessions: int = 0
    neighbours: int = 0
    all_neighbours: int = 0


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
        ``max_nodes`` is the budget.
    """
    activities = [name for name in names if kinds[name] == "activity"]
    if len(names) <= options.max_nodes:
        return set(names), None
    budget = options.max_nodes
    of_activity, between = _links(edges, kinds)
    kept: Dict[QualifiedName, None] = {}
    drawn: List[QualifiedName] = []
    neighbours = all_neighbours = 0
    for activity in activities:
        new = [activity] + [name for name in of_activity.get(activity, {}) if name not in kept]
        if len(kept) + len(new) > budget:
            if not drawn:
                kept.update(dict.fromkeys(new[:budget]))
                drawn.append(activity)
                neighbours, all_neighbours = min(budget, len(new)) - 1, len(new) - 1
            break
        kept.update(dict.fromkeys(new))
        drawn.append(activity)
    if not drawn:
        kept.update(dict.fromkeys(names[:budget]))
    for name in list(kept):
        for other in between.get(name, {}):
            if len(kept) >= budget:
                break
            kept.setdefault(other)
    drawn_sessions = _session_counts(drawn, session_of)
    totals = _session_counts(activities, session_of)
    cut = Cut(
        len(drawn), len(activities), len(kept), len(names),
        [(short_id(session), count, totals[session]) for session, count in drawn_sessions.items()],
        len(totals) - len(drawn_sessions), neighbours, all_neighbours,
    )
    return set(kept), cut


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word[:-1]}ies" if word.endswith("y") else f"{number} {word}s"


def cut_part(cut: Cut) -> str:
    """Return what a cut drawing holds, in words."""
    if cut.activities == 0:
        return f"{cut.nodes} of {cut.all_nodes} nodes, and no activity"
    if cut.all_neighbours:
        return (f"the first of {_count(cut.all_activities, 'activity')}, with {cut.neighbours} of the "
                f"{cut.all_neighbours} entities it used and generated")
    if cut.activities == cut.all_activities:
        return (f"all {_count(cut.activities, 'activity')}, each with all the entities it used and generated, "
                "and the entities linked to those that fit")
    return (f"the first {cut.activities} of {cut.all_activities} activities in log order, "
            "each with all the entities it used and generated")


def _session_line(name: str, drawn: int, total: int) -> str:
    if drawn == total:
        return f"session {name}: all {_count(total, 'activity')}"
    return f"session {name}: the first {drawn} of {total} activities"


def cut_note(cut: Cut, options: GraphOptions) -> str:
    """Return the note drawn on a cut graph: what it holds, and how to draw the rest."""
    lines = [f"Part of the graph: {cut_part(cut)} ({cut.nodes} of {cut.all_nodes} nodes)."]
    lines += [_session_line(*session) for session in cut.sessions[:_SESSIONS_NAMED]]
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
