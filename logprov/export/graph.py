"""Draw a PROV document as a Graphviz graph in the W3C PROV style.

Activities are blue rectangles, entities yellow ellipses, agents orange houses, parameters
small grey boxes and descriptions grey notes. Activities (and their parameters) are grouped in
one box per session.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple, Union

from prov.constants import PROV_LABEL, PROV_LOCATION, PROV_ROLE, PROV_TYPE, PROV_VALUE
from prov.identifier import QualifiedName
from prov.model import (
    ProvActivity,
    ProvAgent,
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
    ProvUsage,
)

from ..model.builder import ENTITY_TYPES, IN_SESSION, PARAMETER_TYPE, UNTRACED
from ..model.descriptions import DESCRIBED_BY
from ..model.ids import LOGPROV, VOPROV
from ..model.sessions import SESSION_TYPE
from .lineage import lineage, relation_ends, resolve

if TYPE_CHECKING:
    import pydot

__all__ = ["GraphOptions", "GraphTruncatedWarning", "prov_to_dot", "NODE_STYLES"]

NODE_STYLES: Dict[str, Dict[str, str]] = {
    "activity": {"shape": "box", "style": "filled", "fillcolor": "#9FB1FC", "color": "#0000FF"},
    "entity": {"shape": "ellipse", "style": "filled", "fillcolor": "#FFFC87", "color": "#808080"},
    "agent": {"shape": "house", "style": "filled", "fillcolor": "#FED37F", "color": "#C07000"},
    "parameter": {
        "shape": "box", "style": "filled,rounded", "fillcolor": "#EEEEEE", "color": "#AAAAAA",
        "fontsize": "8", "fontcolor": "#444444", "height": "0.2", "margin": "0.05,0.02",
    },
    "description": {
        "shape": "note", "style": "filled", "fillcolor": "#F4F4F4", "color": "#AAAAAA",
        "fontsize": "8",
    },
    "session": {"shape": "box3d", "style": "filled", "fillcolor": "#E8E8E8", "color": "#808080"},
    "note": {"shape": "note", "style": "filled", "fillcolor": "#FFE4E1", "color": "#CC0000"},
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
}
_EDGE_NAMES = {
    ProvDerivation: "derived",
    ProvMembership: "member",
    ProvCommunication: "informed",
}
_PRIORITY = {"activity": 0, "entity": 1, "parameter": 2, "agent": 3, "description": 4, "session": 5}
_DESCRIPTION_TYPES = {
    VOPROV[name]
    for name in (
        "ActivityDescription", "EntityDescription", "UsageDescription",
        "GenerationDescription", "ParameterDescription",
    )
}
_FILE_TYPES = {ENTITY_TYPES["File"], ENTITY_TYPES["FileCollection"]}
LABEL_LIMIT = 40
AGENT_EDGES = 25
HUB_EDGES = 8
ATTRIBUTE_LINES = 10
SESSION_MODES = ("cluster", "node", "hide")


class GraphTruncatedWarning(UserWarning):
    """The graph had more nodes than allowed and was cut."""


@dataclass
class GraphOptions:
    """How to draw a document.

    Attributes
    ----------
    labels : bool
        Show short labels (names, file names, values) rather than identifiers.
    attributes : bool
        List each element's attributes in its node.
    focus : str or QualifiedName, optional
        Draw only the lineage of this element (see `logprov.export.lineage.resolve`).
    depth : int or None
        Relations followed from ``focus``; None for no limit.
    direction : {"ancestors", "descendants", "both"}
        Which side of the lineage of ``focus`` to draw.
    collapse_members : bool
        Hide members that take part in nothing but their collection; count them on it.
    agents, parameters, descriptions : bool
        Draw agents, parameters, IVOA descriptions. An agent associated with more than
        ``agent_edges`` drawn activities is drawn without its edges (they make the layout very
        slow), its label giving the number of activities.
    agent_edges : int
        Largest number of association edges drawn for one agent.
    hub_edges : int
        A node with more edges than this (an entity used by many activities) keeps one edge;
        each other edge goes to a dashed copy of it drawn next to the other end, which keeps
        the layout fast and readable.
    sessions : {"cluster", "node", "hide"}
        Group activities in one box per session, draw sessions as nodes, or leave them out.
    rankdir : str
        Graphviz rank direction; ``"BT"`` puts inputs at the top and outputs below.
    max_nodes : int
        Largest number of nodes drawn; a larger graph is cut, with a note and a warning.
    """

    labels: bool = True
    attributes: bool = False
    focus: Union[str, QualifiedName, None] = None
    depth: Optional[int] = 3
    direction: str = "both"
    collapse_members: bool = False
    agents: bool = True
    parameters: bool = True
    descriptions: bool = False
    agent_edges: int = AGENT_EDGES
    hub_edges: int = HUB_EDGES
    sessions: str = "cluster"
    rankdir: str = "BT"
    max_nodes: int = 2000

    def __post_init__(self) -> None:
        if self.sessions not in SESSION_MODES:
            raise ValueError(f"sessions must be one of {', '.join(SESSION_MODES)}, not {self.sessions!r}")
        if self.max_nodes < 1:
            raise ValueError("max_nodes must be at least 1")


def _kind(record: ProvRecord) -> str:
    if isinstance(record, ProvActivity):
        return "activity"
    if isinstance(record, ProvAgent):
        return "agent"
    types = record.get_attribute(PROV_TYPE)
    if PARAMETER_TYPE in types:
        return "parameter"
    if SESSION_TYPE in types:
        return "session"
    if types & _DESCRIPTION_TYPES:
        return "description"
    return "entity"


def _first(record: ProvRecord, attribute: QualifiedName) -> Optional[str]:
    values = record.get_attribute(attribute)
    return str(min(values, key=str)) if values else None


def _text(value: object, limit: int = LABEL_LIMIT) -> str:
    text = str(value).replace("\\", "\\\\").replace("\r", " ").replace("\n", " ")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if text.startswith("<") and text.endswith(">"):
        text += " "
    return text


def _short_id(name: QualifiedName) -> str:
    local = name.localpart
    tail = local.rsplit(".", 1)[-1] if "." in local else local
    if tail[:1] == "_" and tail[1:2].isdigit():
        tail = tail[1:]
    return tail if len(tail) <= 12 else tail[:10] + "..."


def _short_label(record: ProvRecord, kind: str) -> List[str]:
    label = _first(record, PROV_LABEL)
    if kind == "parameter":
        name = _first(record, VOPROV["name"]) or _short_id(record.identifier)
        value = _first(record, PROV_VALUE)
        return [f"{name} = {_text(value, 24)}" if value is not None else name]
    if kind == "session":
        return [f"session {_short_id(record.identifier)}"]
    if label is not None:
        return [label]
    if kind != "entity":
        return [_short_id(record.identifier)]
    location = _first(record, PROV_LOCATION)
    value = _first(record, PROV_VALUE)
    if location is not None and record.get_attribute(PROV_TYPE) & _FILE_TYPES:
        return [os.path.basename(location.rstrip("/\\")) or location]
    lines = [text for text in (location, value) if text is not None]
    return lines or [_short_id(record.identifier)]


def _node_label(record: ProvRecord, kind: str, options: GraphOptions, extra: List[str]) -> str:
    if options.labels:
        lines = [_text(line) for line in _short_label(record, kind)]
    else:
        lines = [_text(record.identifier, 200)]
    if kind == "activity":
        status = _first(record, LOGPROV["status"])
        if status in ("failed", "incomplete"):
            reason = _first(record, LOGPROV["exceptionType"])
            lines.append(_text(f"({status}: {reason})" if reason else f"({status})"))
    lines.extend(_text(line) for line in extra)
    if options.attributes:
        pairs = sorted((str(k), str(v)) for k, v in record.attributes if k != PROV_LABEL)
        for key, value in pairs[:ATTRIBUTE_LINES]:
            lines.append(_text(f"{key}: {value}", 60))
        if len(pairs) > ATTRIBUTE_LINES:
            lines.append(f"... {len(pairs) - ATTRIBUTE_LINES} more")
    return "\\n".join(lines)


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
        return options.parameters
    if kind == "description":
        return options.descriptions
    if kind == "session":
        return options.sessions == "node"
    return True


def _elements(document: ProvDocument) -> Dict[QualifiedName, ProvRecord]:
    elements: Dict[QualifiedName, ProvRecord] = {}
    for record in document.get_records(ProvElement):
        elements.setdefault(record.identifier, record)
    return elements


def _select(
    document: ProvDocument, elements: Dict[QualifiedName, ProvRecord], options: GraphOptions
) -> Dict[QualifiedName, ProvRecord]:
    if options.focus is None:
        return elements
    focus = resolve(document, options.focus)
    if not focus:
        raise ValueError(f"no element {str(options.focus)!r} in the document")
    keep = lineage(document, focus, options.depth, options.direction)
    return {name: record for name, record in elements.items() if name in keep}


def _sessions_of(
    document: ProvDocument, kinds: Dict[QualifiedName, str]
) -> Dict[QualifiedName, QualifiedName]:
    """Map activities, their parameters and session-local entities to their session."""
    session_of: Dict[QualifiedName, QualifiedName] = {}
    for record in document.get_records(ProvInfluence):
        ends = relation_ends(record)
        if ends is not None and IN_SESSION in record.get_attribute(PROV_TYPE):
            session_of[ends[0]] = ends[1]
    for record in document.get_records(ProvUsage):
        ends = relation_ends(record)
        if ends is not None and ends[0] in session_of and kinds.get(ends[1]) == "parameter":
            session_of.setdefault(ends[1], session_of[ends[0]])
    sessions = {(s.namespace.uri, s.localpart + "."): s for s in session_of.values()}
    for name, kind in kinds.items():
        head, dot, _ = name.localpart.partition(".")
        if kind == "entity" and dot:
            session = sessions.get((name.namespace.uri, head + dot))
            if session is not None:
                session_of[name] = session
    return session_of


def _session_label(record: Optional[ProvRecord], name: QualifiedName) -> str:
    parts = [f"session {_short_id(name)}"]
    if record is not None:
        host = _first(record, LOGPROV["host"])
        start = _first(record, LOGPROV["startTime"])
        parts.extend(_text(part) for part in (host, start and start[:19]) if part)
    return "\\n".join(parts)


def _edge_label(record: ProvRelation, kind_of_cause: str) -> Optional[str]:
    if isinstance(record, (ProvUsage, ProvGeneration)):
        if kind_of_cause == "parameter":
            return None
        role = _first(record, PROV_ROLE)
        return _text(role, 24) if role else None
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
    found = []
    for record in document.get_records(ProvRelation):
        ends = relation_ends(record)
        if ends is not None and ends[0] in drawn and ends[1] in drawn and _edge_drawn(record, options):
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


def _load_pydot() -> Any:
    try:
        import pydot
    except ImportError as exc:
        raise ImportError("drawing graphs needs pydot: pip install pydot") from exc
    return pydot


class _Drawing:
    """A pydot graph under construction: nodes, session boxes, edges and hub copies."""

    def __init__(self, options: GraphOptions, elements: Dict[QualifiedName, ProvRecord]) -> None:
        self.options = options
        self.elements = elements
        self.pydot = pydot = _load_pydot()
        self.graph = pydot.Dot(
            "provenance", graph_type="digraph", rankdir=options.rankdir, charset="utf-8",
            fontname="Helvetica", fontsize="10", nodesep="0.25", ranksep="0.4", newrank="true",
        )
        self.graph.set_node_defaults(fontname="Helvetica", fontsize="10")
        self.graph.set_edge_defaults(fontname="Helvetica", fontsize="8", arrowsize="0.7")
        self.ids: Dict[QualifiedName, str] = {}
        self.nodes: Dict[QualifiedName, pydot.Node] = {}
        self.parents: Dict[QualifiedName, Union[pydot.Dot, pydot.Cluster]] = {}
        self.clusters: Dict[QualifiedName, pydot.Cluster] = {}
        self.copies: Dict[QualifiedName, int] = {}

    def container(self, session: Optional[QualifiedName]) -> Union[pydot.Dot, pydot.Cluster]:
        if session is None:
            return self.graph
        cluster = self.clusters.get(session)
        if cluster is None:
            cluster = self.pydot.Cluster(
                f"s{len(self.clusters)}", label=_session_label(self.elements.get(session), session),
                style="dashed,rounded", color="#808080", fontsize="9", fontcolor="#606060",
            )
            self.clusters[session] = cluster
            self.graph.add_subgraph(cluster)
        return cluster

    def add_node(self, name: QualifiedName, kind: str, label: str, session: Optional[QualifiedName]) -> None:
        node_id = f"n{len(self.ids)}"
        self.ids[name] = node_id
        style = NODE_STYLES[kind]
        node = self.pydot.Node(node_id, label=label, tooltip=_text(name, 200), **{"class": kind}, **style)
        self.nodes[name] = node
        self.parents[name] = self.container(session)
        self.parents[name].add_node(node)

    def copy(self, name: QualifiedName) -> str:
        """Add a dashed copy of node ``name`` next to it and return its id."""
        number = self.copies.get(name, 0) + 1
        self.copies[name] = number
        attributes = dict(self.nodes[name].get_attributes())
        attributes["class"] = f"{attributes['class']} copy"
        attributes["style"] = f"{attributes.get('style', 'filled')},dashed"
        copy_id = f"{self.ids[name]}c{number}"
        self.parents[name].add_node(self.pydot.Node(copy_id, **attributes))
        return copy_id

    def add_edges(self, edges: List[Edge], kinds: Dict[QualifiedName, str], crowded: Dict, hubs: Set) -> None:
        used_once: Set[QualifiedName] = set()
        for record, effect, cause in edges:
            if cause in crowded:
                continue
            attributes = dict(_EDGE_STYLES.get(type(record), {}))
            label = _edge_label(record, kinds[cause])
            if label:
                attributes["label"] = label
            head = self.ids[cause]
            if cause in hubs and isinstance(record, ProvUsage):
                head = self.copy(cause) if cause in used_once else head
                used_once.add(cause)
            self.graph.add_edge(self.pydot.Edge(self.ids[effect], head, **attributes))

    def add_note(self, text: str) -> None:
        note = self.pydot.Node("truncated", label=text, **{"class": "note"}, **NODE_STYLES["note"])
        self.graph.add_node(note)


def _cap(order: List[QualifiedName], limit: int) -> List[QualifiedName]:
    if len(order) <= limit:
        return order
    warnings.warn(
        f"graph cut to {limit} of {len(order)} nodes; draw the lineage of one entity "
        "with focus=<id> and depth=<n>",
        GraphTruncatedWarning,
        stacklevel=3,
    )
    return order[:limit]


def prov_to_dot(document: ProvDocument, **options: object) -> pydot.Dot:
    """Return a Graphviz graph of ``document``.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document to draw.
    **options
        Fields of `GraphOptions`.

    Returns
    -------
    pydot.Dot
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
    elements = _elements(document)
    selected = _select(document, elements, opts)
    kinds = {name: _kind(record) for name, record in selected.items()}
    drawn = {name for name, kind in kinds.items() if _wanted(kind, opts)}
    members = _hidden_members(document, drawn) if opts.collapse_members else {}
    drawn -= set(members)
    everything = sorted((name for name in selected if name in drawn), key=lambda name: _PRIORITY[kinds[name]])
    order = _cap(everything, opts.max_nodes)
    edges = _edges(document, set(order), opts)
    crowded, hubs = _crowded(edges, kinds, opts)
    hidden = Counter(members.values())
    session_of = _sessions_of(document, kinds) if opts.sessions == "cluster" else {}
    drawing = _Drawing(opts, elements)
    for name in order:
        extra = [f"+{hidden[name]} members"] if name in hidden else []
        if name in crowded:
            extra.append(f"({crowded[name]} activities)")
        label = _node_label(selected[name], kinds[name], opts, extra)
        drawing.add_node(name, kinds[name], label, session_of.get(name))
    drawing.add_edges(edges, kinds, crowded, hubs)
    if len(order) < len(everything):
        missing = len(everything) - len(order)
        drawing.add_note(f"{missing} more nodes not drawn\\ndraw one lineage: focus=<id>, depth=<n>")
    return drawing.graph
