"""The options of a graph drawing (`GraphOptions`), the counts of the logs a drawing was chosen
from (`LogCounts`) and the warning that a drawing was cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Optional, Union

if TYPE_CHECKING:
    from prov.identifier import QualifiedName

__all__ = [
    "GraphOptions", "GraphTruncatedWarning", "LogCounts", "AGENT_EDGES", "HUB_EDGES", "MAX_NODES", "SESSION_MODES",
]

AGENT_EDGES = 25
HUB_EDGES = 8
#: Largest number of nodes drawn by default: a drawing that stays readable when opened.
MAX_NODES = 300
SESSION_MODES = ("cluster", "node", "hide")
_SESSION_ALIASES = {"box": "cluster"}


class GraphTruncatedWarning(UserWarning):
    """The graph had more nodes than allowed and was cut.

    Attributes
    ----------
    drawn, total : int
        The number of nodes drawn, and of nodes there were.
    part : str
        What was drawn, in words (such as "the first 40 of 12000 activities, with the entities
        they used and generated").
    """

    def __init__(self, message: str, drawn: int = 0, total: int = 0, part: str = "") -> None:
        super().__init__(message)
        self.drawn = drawn
        self.total = total
        self.part = part


@dataclass
class LogCounts:
    """The size of the logs a document to draw was made from, when it holds only the records of
    their first activities (see `logprov.export.graphcut.first_activities`).

    Attributes
    ----------
    activities : int
        Activities in the logs.
    nodes : int
        Nodes of the whole drawing: activities, entities and notes.
    sessions : dict
        The number of activities of each session, by session id, in log order.
    """

    activities: int = 0
    nodes: int = 0
    sessions: Dict[str, int] = field(default_factory=dict)


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
        Draw only the lineage of this element (see `logprov.export.documentlineage.resolve`).
    depth : int or None
        Relations followed from ``focus``; None for no limit.
    direction : {"ancestors", "descendants", "both"}
        Which side of the lineage of ``focus`` to draw.
    collapse_members : bool
        Hide members that take part in nothing but their collection; count them on it.
    agents : bool
        Draw agents. With sessions in boxes, each session box holds one node per agent of its
        activities, without edges; otherwise an agent is one node with an edge per activity,
        and an agent associated with more than ``agent_edges`` drawn activities is drawn
        without its edges (they make the layout very slow), its label giving their number.
    parameters : bool
        List the parameters of each activity in a small table inside its node.
    descriptions : bool
        Draw the IVOA descriptions.
    agent_edges : int
        Largest number of association edges drawn for one agent.
    hub_edges : int
        A node with more edges than this (an entity used by many activities) keeps one edge;
        each other edge goes to a dashed copy of it drawn next to the other end, which keeps
        the layout fast and readable.
    sessions : {"cluster", "node", "hide"}
        Group activities, and the entities they generate, in one box per session (``"box"``
        is another name for ``"cluster"``), draw sessions as nodes, or leave them out.
    rankdir : str
        Graphviz rank direction; ``"BT"`` puts inputs at the top and outputs below.
    max_nodes : int
        Largest number of nodes drawn. A larger graph is cut to its first activities, in log
        order, each with the entities it used and generated (see `logprov.export.graphcut`),
        with a note that says what was drawn and a warning. A lineage (``focus`` or
        ``distance``) is cut to the activities nearest to its focus, ties in log order, and
        always keeps the focus.
    distance : dict, optional
        The number of relations between the focus of a lineage and each of its elements, by
        qualified name, for a document that holds the lineage alone (see
        `logprov.export.documentlineage.lineage_document_distance`); with ``focus``, the
        distances of its lineage are used.
    logs : LogCounts, optional
        The size of the logs the document was made from, when it holds only their first
        activities: the note of the drawing counts what was left out from these.
    command_line : bool
        Word the note of a cut drawing with the options of ``logprov graph`` rather than with
        these fields.
    """

    labels: bool = True
    attributes: bool = False
    focus: Union[str, QualifiedName, None] = None
    depth: Optional[int] = 3
    direction: str = "both"
    collapse_members: bool = False
    agents: bool = False
    parameters: bool = True
    descriptions: bool = False
    agent_edges: int = AGENT_EDGES
    hub_edges: int = HUB_EDGES
    sessions: str = "cluster"
    rankdir: str = "BT"
    max_nodes: int = MAX_NODES
    distance: Optional[Dict[QualifiedName, int]] = None
    logs: Optional[LogCounts] = None
    command_line: bool = False

    def __post_init__(self) -> None:
        self.sessions = _SESSION_ALIASES.get(self.sessions, self.sessions)
        if self.sessions not in SESSION_MODES:
            raise ValueError(f"sessions must be one of box, {', '.join(SESSION_MODES)}, not {self.sessions!r}")
        if self.rankdir not in ("TB", "BT", "LR", "RL"):
            raise ValueError(f"rankdir must be one of TB, BT, LR, RL, not {self.rankdir!r}")
        if self.max_nodes < 1:
            raise ValueError("max_nodes must be at least 1")
