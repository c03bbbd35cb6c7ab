"""Draw a PROV document as a Graphviz graph in the W3C PROV style.

Activities are blue rectangles listing their parameters, entities yellow ellipses, agents orange
houses, descriptions grey notes and the notes of logprov:Note white ones. Activities, and the entities they generate, are grouped in
one box per session. A graph of more than ``max_nodes`` nodes is cut to its first activities (a
lineage to those nearest to its focus), each with its entities (see `logprov.export.graphcut`),
its unconnected parts laid out in rows, with a note at the top. The DOT text is written by `logprov.export.dot`, which quotes every
identifier and label.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter
from dataclasses import fields
from typing import Dict, List, Optional, Set, Tuple

from prov.constants import PROV_ROLE, PROV_TYPE, PROV_VALUE
from prov.identifier import QualifiedName
from prov.model import (
    ProvAlternate,
    ProvAssociation,
    ProvAttribution,
    ProvCommunication,
    ProvDerivation,
    ProvDocument,
    ProvElement,
    ProvGeneration,
    ProvInfluence,
    ProvMembership,
    ProvRecord,
    ProvRelation,
    ProvSpecialization,
    ProvUsage,
)

from ..model.builder import IN_SESSION, UNTRACED
from ..model.contents import content_view
from ..model.descriptions import DESCRIBED_BY
from ..model.identifiers import LOGPROV, VOPROV
from .dot import DotGraph, Html
from .graphlabels import (
    element_kind,
    first_text,
    html_label,
    html_line,
    node_rows,
    node_title,
    one_line,
    short_id,
)
from .documentlineage import lineage_distance, relation_ends, resolve
from .graphcut import Cut, choose, cut_note, cut_part, cut_warning
from .graphoptions import GraphOptions, GraphTruncatedWarning

__all__ = ["GraphOptions", "GraphTruncatedWarning", "prov_to_dot", "NODE_STYLES"]

NODE_STYLES: Dict[str, Dict[str, str]] = {
    "activity": {"shape": "box", "style": "filled", "fillcolor": "#9FB1FC", "color": "#0000FF"},
    "entity": {"shape": "ellipse", "style": "filled", "fillcolor": "#FFFC87", "color": "#808080"},
    "agent": {"shape": "house", "style": "filled", "fillcolor": "#FED37F", "color": "#C07000"},
    "description": {
        "shape": "note", "style": "filled", "fillcolor": "#F4F4F4", "color": "#AAAAAA",
        "fontsize": "8",
    },
    "session": {"shape": "box3d", "style": "filled", "fillcolor": "#E8E8E8", "color": "#808080"},
    "context": {"shape": "box3d", "style": "filled", "fillcolor": "#F4F4F4", "color": "#A0A0A0"},
    "note": {"shape": "note", "style": "filled", "fillcolor": "#FFE4E1", "color": "#CC0000"},
    "remark": {"shape": "note", "style": "filled", "fillcolor": "#FFFFFF", "color": "#808080", "fontsize": "9"},
}
_EDGE_STYLES = {
    ProvUsage: {"color": "#A52A2A"},
    ProvGeneration: {"color": "#006400"},
    ProvDerivation: {"color": "#404040"},
    ProvMembership: {"color": "#808080", "style": "dashed"},
    ProvCommunication: {"color": "#00008B"},
    ProvAssociation: {"color": "#C07000", "style": "dashed"},
    ProvAttribution: {"color": "#C07000", "style": "dashed"},
    ProvInfluence: {"color": "#A0A0A0", "style": "dotted"},
    ProvSpecialization: {"color": "#808080", "style": "dotted"},
    ProvAlternate: {"color": "#808080", "style": "dotted"},
}
_EDGE_NAMES = {
    ProvDerivation: "derived",
    ProvMembership: "member",
    ProvCommunication: "informed",
    ProvSpecialization: "specializes",
    ProvAlternate: "alternate",
}
#: The Graphviz attribute that names the CSS class of a node in SVG output.
_CSS_CLASS = "class"
_PRIORITY = {"activity": 0, "entity": 1, "remark": 1, "parameter": 2, "agent": 3, "description": 4, "session": 5,
             "context": 5}
def _hidden_members(document: ProvDocument, drawn: Set[QualifiedName]) -> Dict[QualifiedName, QualifiedName]:
    busy: Set[QualifiedName] = set()
    collection_of: Dict[QualifiedName, QualifiedName] = {}
    for record in document.get_records(ProvRelation):
        ends = relation_ends(record)
        if ends is None:
            continue
        if isinstance(record, ProvMembership):
            collection_of.setdefault(ends[1], ends[0])
        elif not isinstance(record, ProvInfluence):
            busy.update(ends)
    return {
        member: collection
        for member, collection in collection_of.items()
        if member not in busy and member in drawn and collection in drawn
    }


def _wanted(kind: str, options: GraphOptions) -> bool:
    if kind == "agent":
        return options.agents
    if kind == "parameter":
        return False
    if kind == "description":
        return options.descriptions
    if kind in ("session", "context"):
        return options.sessions == "node"
    return True


def _elements(document: ProvDocument) -> Dict[QualifiedName, ProvRecord]:
    elements: Dict[QualifiedName, ProvRecord] = {}
    for record in document.get_records(ProvElement):
        if record.identifier is not None:
            elements.setdefault(record.identifier, record)
    return elements


def _select(
    document: ProvDocument, elements: Dict[QualifiedName, ProvRecord], options: GraphOptions
) -> Tuple[Dict[QualifiedName, ProvRecord], Optional[Dict[QualifiedName, int]]]:
    """Return the elements to draw, and the distance of each from the focus of a lineage drawing."""
    if options.focus is None:
        return elements, options.distance
    focus = resolve(document, options.focus)
    if not focus:
        raise ValueError(f"no element {str(options.focus)!r} in the document")
    distance = lineage_distance(document, focus, options.depth, options.direction)
    return {name: record for name, record in elements.items() if name in distance}, distance


def _parameters(
    document: ProvDocument, elements: Dict[QualifiedName, ProvRecord], kinds: Dict[QualifiedName, str]
) -> Dict[QualifiedName, List[Tuple[str, str]]]:
    """Return the (name, value) parameters of each activity, in the order they were used."""
    found: Dict[QualifiedName, List[Tuple[str, str]]] = {}
    for record in document.get_records(ProvUsage):
        ends = relation_ends(record)
        if ends is None or kinds.get(ends[0]) != "activity" or ends[1] not in elements:
            continue
        parameter = elements[ends[1]]
        if element_kind(parameter) != "parameter":
            continue
        name = first_text(parameter, VOPROV["name"]) or short_id(parameter.identifier)
        value = first_text(parameter, PROV_VALUE)
        found.setdefault(ends[0], []).append((name, "" if value is None else value))
    return found


def _activity_sessions(document: ProvDocument) -> Dict[QualifiedName, QualifiedName]:
    """Map activities to their session."""
    session_of: Dict[QualifiedName, QualifiedName] = {}
    for record in document.get_records(ProvInfluence):
        ends = relation_ends(record)
        if ends is not None and IN_SESSION in record.get_attribute(PROV_TYPE):
            session_of[ends[0]] = ends[1]
    return session_of


def _sessions_of(
    document: ProvDocument, kinds: Dict[QualifiedName, str], activity_sessions: Dict[QualifiedName, QualifiedName]
) -> Dict[QualifiedName, QualifiedName]:
    """Map activities to their session (``activity_sessions``); and entities to the session that
    generated them, or (for inputs that nothing generated) to the one session that used them."""
    session_of = dict(activity_sessions)
    generators: Dict[QualifiedName, Set[Optional[QualifiedName]]] = {}
    for record in document.get_records(ProvGeneration):
        ends = relation_ends(record)
        if ends is not None and kinds.get(ends[0]) == "entity":
            generators.setdefault(ends[0], set()).add(session_of.get(ends[1]))
    users: Dict[QualifiedName, Set[Optional[QualifiedName]]] = {}
    for record in document.get_records(ProvUsage):
        ends = relation_ends(record)
        if ends is not None and kinds.get(ends[1]) == "entity" and ends[1] not in generators:
            users.setdefault(ends[1], set()).add(session_of.get(ends[0]))
    for entity, sessions in itertools.chain(generators.items(), users.items()):
        only = next(iter(sessions)) if len(sessions) == 1 else None
        if only is not None:
            session_of[entity] = only
    sessions_by_head = {(s.namespace.uri, s.localpart + "."): s for s in set(session_of.values())}
    for name, kind in kinds.items():
        head, dot, _ = name.localpart.partition(".")
        if kind in ("entity", "remark") and dot and name not in session_of:
            session = sessions_by_head.get((name.namespace.uri, head + dot))
            if session is not None:
                session_of[name] = session
    return session_of


def _session_label(record: Optional[ProvRecord], name: QualifiedName) -> Html:
    parts = [f"session {short_id(name)}"]
    if record is not None:
        host = first_text(record, LOGPROV["host"])
        start = first_text(record, LOGPROV["startTime"])
        parts.append(" \u00b7 ".join(one_line(part, 24) for part in (host, start and start[:19].replace("T", " ")) if part))
    return Html("".join(f'{html_line(part)}<BR ALIGN="LEFT"/>' for part in parts if part))


def _edge_label(record: ProvRelation) -> Optional[str]:
    if isinstance(record, (ProvUsage, ProvGeneration)):
        role = first_text(record, PROV_ROLE)
        return one_line(role, 24) if role else None
    if isinstance(record, ProvDerivation) and UNTRACED in record.get_attribute(PROV_TYPE):
        return "untraced"
    return _EDGE_NAMES.get(type(record))


def _edge_drawn(record: ProvRelation, options: GraphOptions) -> bool:
    if isinstance(record, ProvInfluence):
        types = record.get_attribute(PROV_TYPE)
        if IN_SESSION in types:
            return options.sessions == "node"
        if DESCRIBED_BY in types:
            return options.descriptions
    return True


Edge = Tuple[ProvRelation, QualifiedName, QualifiedName]


def _edges(document: ProvDocument, drawn: Set[QualifiedName], options: GraphOptions) -> List[Edge]:
    found: List[Edge] = []
    for record in document.get_records(ProvRelation):
        ends = relation_ends(record)
        if (
            isinstance(record, ProvRelation) and ends is not None and ends[0] in drawn and ends[1] in drawn
            and _edge_drawn(record, options)
        ):
            found.append((record, ends[0], ends[1]))
    return found


def _crowded(edges: List[Edge], kinds: Dict[QualifiedName, str], options: GraphOptions) -> Tuple[Dict, Set]:
    """Return the agents with too many associations (with their number), and the entities used
    by too many activities (hubs), whose usages beyond the first go to copies of them."""
    agents: Counter = Counter()
    users: Counter = Counter()
    for record, _, cause in edges:
        if isinstance(record, (ProvAssociation, ProvAttribution)):
            agents[cause] += 1
        elif isinstance(record, ProvUsage) and kinds[cause] == "entity":
            users[cause] += 1
    crowded = {agent: count for agent, count in agents.items() if count > options.agent_edges}
    hubs = {entity for entity, count in users.items() if count > options.hub_edges}
    return crowded, hubs


class _Drawing:
    """A graph under construction: nodes, session boxes, edges and hub copies."""

    def __init__(self, options: GraphOptions, elements: Dict[QualifiedName, ProvRecord]) -> None:
        self.options = options
        self.elements = elements
        self.graph = DotGraph(
            "provenance", rankdir=options.rankdir, charset="utf-8", fontname="Helvetica",
            fontsize="10", nodesep="0.2", ranksep="0.3", newrank="true",
        )
        self.graph.node_defaults.update(fontname="Helvetica", fontsize="10", margin="0.08,0.03", height="0.3")
        self.graph.edge_defaults.update(fontname="Helvetica", fontsize="8", arrowsize="0.6", fontcolor="#555555")
        self.ids: Dict[QualifiedName, str] = {}
        self.parents: Dict[QualifiedName, DotGraph] = {}
        self.clusters: Dict[QualifiedName, DotGraph] = {}
        self.copies: Dict[QualifiedName, int] = {}

    def container(self, session: Optional[QualifiedName]) -> DotGraph:
        if session is None:
            return self.graph
        cluster = self.clusters.get(session)
        if cluster is None:
            cluster = DotGraph(
                f"cluster_s{len(self.clusters)}", label=_session_label(self.elements.get(session), session),
                style="dashed,rounded", color="#808080", fontsize="9", fontcolor="#606060",
                labeljust="l", labelloc="b" if self.options.rankdir == "BT" else "t",
            )
            self.clusters[session] = cluster
            self.graph.add_cluster(cluster)
        return cluster

    def add_node(self, name: QualifiedName, kind: str, label: Html, session: Optional[QualifiedName]) -> str:
        node_id = f"n{len(self.ids)}"
        self.ids[name] = node_id
        self.parents[name] = parent = self.container(session)
        parent.add_node(node_id, label=label, tooltip=str(name), **{"class": kind}, **NODE_STYLES[kind])
        return node_id

    def add_agent_copy(self, name: QualifiedName, label: Html, session: QualifiedName) -> None:
        """Draw agent ``name`` inside the box of ``session``, without edges."""
        number = self.copies.get(name, 0) + 1
        self.copies[name] = number
        self.container(session).add_node(
            f"a{len(self.ids)}s{number}", label=label, tooltip=str(name), **{"class": "agent"}, **NODE_STYLES["agent"]
        )

    def copy(self, name: QualifiedName) -> str:
        """Add a dashed copy of node ``name`` next to it and return its id."""
        number = self.copies.get(name, 0) + 1
        self.copies[name] = number
        attributes = dict(self.parents[name].nodes[self.ids[name]])
        attributes[_CSS_CLASS] = f"{attributes[_CSS_CLASS]} copy"
        attributes["style"] = f"{attributes.get('style', 'filled')},dashed"
        copy_id = f"{self.ids[name]}c{number}"
        self.parents[name].add_node(copy_id, **attributes)
        return copy_id

    def add_edges(self, edges: List[Edge], crowded: Dict, hubs: Set) -> None:
        used_once: Set[QualifiedName] = set()
        for record, effect, cause in edges:
            if cause in crowded or effect not in self.ids or cause not in self.ids:
                continue
            attributes: Dict[str, str] = dict(_EDGE_STYLES.get(type(record), {}))
            label = _edge_label(record)
            if label:
                attributes["label"] = label
            head = self.ids[cause]
            if cause in hubs and isinstance(record, ProvUsage):
                head = self.copy(cause) if cause in used_once else head
                used_once.add(cause)
            self.graph.add_edge(self.ids[effect], head, **attributes)

    def add_note(self, text: str) -> None:
        """Write the note of a cut drawing as the title of the graph, at its top left."""
        lines = "".join(f'{html_line(line)}<BR ALIGN="LEFT"/>' for line in text.split("\n"))
        self.graph.attributes.update(
            label=Html(f'<TABLE BORDER="1" CELLBORDER="0" CELLPADDING="6" BGCOLOR="{NODE_STYLES["note"]["fillcolor"]}" '
                       f'COLOR="{NODE_STYLES["note"]["color"]}"><TR><TD ALIGN="LEFT"><FONT POINT-SIZE="12">{lines}</FONT>'
                       "</TD></TR></TABLE>"),
            labelloc="t", labeljust="l",
        )

    def add_rows(self, order: List[QualifiedName], edges: List[Edge], session_of: Dict[QualifiedName, QualifiedName]) -> None:
        """Lay the unconnected parts of each session box out in rows, in the order of ``order``,
        rather than side by side in one long strip: invisible edges put each part below the
        one a row's length before it."""
        parent: Dict[QualifiedName, QualifiedName] = {name: name for name in order}

        def root(name: QualifiedName) -> QualifiedName:
            while parent[name] != name:
                parent[name] = parent[parent[name]]
                name = parent[name]
            return name

        tails: Set[QualifiedName] = set()
        heads: Set[QualifiedName] = set()
        for _, effect, cause in edges:
            if effect in parent and cause in parent:
                parent[root(effect)] = root(cause)
                tails.add(effect)
                heads.add(cause)
        parts: Dict[QualifiedName, List[QualifiedName]] = {}
        for name in order:
            if name in self.ids:
                parts.setdefault(root(name), []).append(name)
        by_box: Dict[Optional[QualifiedName], List[List[QualifiedName]]] = {}
        for members in parts.values():
            by_box.setdefault(session_of.get(members[0]), []).append(members)
        upward = self.options.rankdir in ("BT", "RL")
        for boxed in by_box.values():
            width = max(2, math.ceil(math.sqrt(1.5 * len(boxed))))
            for earlier, later in zip(boxed, boxed[width:]):
                first, second = (later, earlier) if upward else (earlier, later)
                sink = next((name for name in first if name not in tails), first[0])
                source = next((name for name in second if name not in heads), second[0])
                self.graph.add_edge(self.ids[sink], self.ids[source], style="invis")


def _warn(cut: Cut) -> None:
    warnings.warn(GraphTruncatedWarning(cut_warning(cut), cut.nodes, cut.all_nodes, cut_part(cut)), stacklevel=3)


def _agent_sessions(
    edges: List[Edge], kinds: Dict[QualifiedName, str], session_of: Dict[QualifiedName, QualifiedName]
) -> Tuple[Dict[QualifiedName, Counter], List[Edge]]:
    """Split agent edges: per agent, the number of its activities in each session box; and
    the edges that stay (those of activities outside any box, and every other edge)."""
    in_boxes: Dict[QualifiedName, Counter] = {}
    kept = []
    for edge in edges:
        record, effect, cause = edge
        session = session_of.get(effect)
        if kinds.get(cause) == "agent" and session is not None:
            in_boxes.setdefault(cause, Counter())[session] += 1
        else:
            kept.append(edge)
    return in_boxes, kept


def prov_to_dot(document: ProvDocument, **options: object) -> DotGraph:
    """Return a Graphviz graph of ``document``.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document to draw.
    **options
        Fields of `GraphOptions`.

    Returns
    -------
    logprov.export.dot.DotGraph
        The graph; ``to_string()`` gives its DOT source.

    Raises
    ------
    ValueError
        If ``focus`` names no element of the document, or an option is invalid.
    """
    unknown = set(options) - {f.name for f in fields(GraphOptions)}
    if unknown:
        raise TypeError(f"unknown graph options: {', '.join(sorted(unknown))}")
    opts = GraphOptions(**options)  # type: ignore[arg-type]
    document = content_view(document)
    elements = _elements(document)
    selected, distance = _select(document, elements, opts)
    kinds = {name: element_kind(record) for name, record in selected.items()}
    drawn = {name for name, kind in kinds.items() if _wanted(kind, opts)}
    members = _hidden_members(document, drawn) if opts.collapse_members else {}
    drawn -= set(members)
    everything = sorted((name for name in selected if name in drawn), key=lambda name: _PRIORITY[kinds[name]])
    edges = _edges(document, drawn, opts)
    activity_sessions = _activity_sessions(document)
    kept, cut = choose([name for name in selected if name in drawn], kinds, edges, activity_sessions, opts, distance)
    order = everything
    if cut is not None:
        _warn(cut)
        order = [name for name in everything if name in kept]
        edges = [edge for edge in edges if edge[1] in kept and edge[2] in kept]
    session_of = _sessions_of(document, kinds, activity_sessions) if opts.sessions == "cluster" else {}
    boxed_agents, edges = _agent_sessions(edges, kinds, session_of)
    crowded, hubs = _crowded(edges, kinds, opts)
    hidden = Counter(members.values())
    parameters = _parameters(document, elements, kinds) if opts.parameters else {}
    drawing = _Drawing(opts, elements)
    for name in order:
        kind = kinds[name]
        record = selected[name]
        if name in boxed_agents:
            for session, count in sorted(boxed_agents[name].items(), key=lambda item: str(item[0])):
                title = node_title(record, kind, opts, [f"({count} activit{'y' if count == 1 else 'ies'})"])
                drawing.add_agent_copy(name, html_label(title, []), session)
            if not any(cause == name for _, _, cause in edges):
                continue
        extra = [f"+{hidden[name]} members"] if name in hidden else []
        if name in crowded:
            extra.append(f"({crowded[name]} activities)")
        title = node_title(record, kind, opts, extra)
        label = html_label(title, node_rows(record, parameters.get(name, []), opts), bold=kind == "activity")
        drawing.add_node(name, kind, label, session_of.get(name))
    drawing.add_edges(edges, crowded, hubs)
    if cut is not None:
        drawing.add_rows([name for name in selected if name in kept], edges, session_of)
        drawing.add_note(cut_note(cut, opts))
    return drawing.graph
