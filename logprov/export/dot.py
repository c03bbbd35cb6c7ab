"""The DOT language: quoted strings, HTML-like labels, and graphs written as DOT text.

Every identifier and attribute value is written quoted (or as an HTML-like label) by this
module, whatever characters it holds, so that the text is always valid DOT: Graphviz never
has to guess whether ``<lambda>`` is markup or ``{`` starts a record.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple, Union

__all__ = ["Html", "DotGraph", "html_text", "identifier", "quoted", "visible"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: Also ``]``: Graphviz's lexer of HTML-like labels fails on a text such as ``]`` or ``]]>``.
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "]": "&#93;"}
_XML_SPECIAL = re.compile(r"[&<>\"'\]]")
_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})


def visible(text: str) -> str:
    """Return ``text`` with control characters (invalid in SVG) written as ``\\xNN`` escapes."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}" if ord(match.group()) < 256
                        else f"\\u{ord(match.group()):04x}", text)


def quoted(text: str) -> str:
    """Return ``text`` as a DOT quoted string, shown as is by Graphviz (newlines as newlines)."""
    text = visible(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def html_text(text: str) -> str:
    """Return ``text`` escaped for an HTML-like label; newlines become left-aligned breaks.

    Backslashes are doubled: Graphviz replaces ``\\N``, ``\\G``, ``\\E``, ``\\T`` and ``\\H`` by
    object names in HTML-like labels too. ``]`` is written ``&#93;``, which Graphviz's lexer
    reads in any position.
    """
    lines = visible(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\\", "\\\\").split("\n")
    return '<BR ALIGN="LEFT"/>'.join(_XML_SPECIAL.sub(lambda m: _XML[m.group()], line) for line in lines)


def identifier(text: str) -> str:
    """Return ``text`` as a DOT identifier: bare when it is a plain name, else quoted."""
    if _PLAIN_ID.match(text) and text.lower() not in _KEYWORDS:
        return text
    return quoted(text)


class Html(str):
    """An HTML-like label, already built from `html_text` pieces; written between ``<`` and ``>``."""


Value = Union[str, int, float, Html]


def _value(value: Value) -> str:
    if isinstance(value, Html):
        return f"<{value}>"
    return quoted(str(value))


def _attributes(attributes: Dict[str, Value]) -> str:
    if not attributes:
        return ""
    return " [" + ", ".join(f"{identifier(key)}={_value(value)}" for key, value in attributes.items()) + "]"


class DotGraph:
    """A directed graph, or a cluster inside one, with nodes, edges and clusters.

    Parameters
    ----------
    name : str
        Identifier of the graph (a cluster's starts with ``cluster``).
    **attributes
        Graph attributes.
    """

    def __init__(self, name: str, **attributes: Value) -> None:
        self.name = name
        self.attributes: Dict[str, Value] = dict(attributes)
        self.node_defaults: Dict[str, Value] = {}
        self.edge_defaults: Dict[str, Value] = {}
        self.nodes: Dict[str, Dict[str, Value]] = {}
        self.edges: List[Tuple[str, str, Dict[str, Value]]] = []
        self.clusters: List[DotGraph] = []

    def add_node(self, node_id: str, **attributes: Value) -> None:
        """Add node ``node_id`` with ``attributes``."""
        self.nodes[node_id] = dict(attributes)

    def add_edge(self, tail: str, head: str, **attributes: Value) -> None:
        """Add an edge from ``tail`` to ``head``."""
        self.edges.append((tail, head, dict(attributes)))

    def add_cluster(self, cluster: "DotGraph") -> None:
        """Add ``cluster`` as a subgraph."""
        self.clusters.append(cluster)

    def _lines(self, keyword: str, indent: str) -> List[str]:
        inner = indent + "  "
        lines = [f"{indent}{keyword} {identifier(self.name)} {{"]
        lines += [f"{inner}{identifier(key)}={_value(value)};" for key, value in self.attributes.items()]
        if self.node_defaults:
            lines.append(f"{inner}node{_attributes(self.node_defaults)};")
        if self.edge_defaults:
            lines.append(f"{inner}edge{_attributes(self.edge_defaults)};")
        for cluster in self.clusters:
            lines += cluster._lines("subgraph", inner)
        lines += [f"{inner}{identifier(node)}{_attributes(attributes)};" for node, attributes in self.nodes.items()]
        lines += [f"{inner}{identifier(tail)} -> {identifier(head)}{_attributes(attributes)};"
                  for tail, head, attributes in self.edges]
        lines.append(f"{indent}}}")
        return lines

    def to_string(self) -> str:
        """Return the graph as DOT text."""
        return "\n".join(self._lines("digraph", "")) + "\n"
