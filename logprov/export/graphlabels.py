"""The labels of the nodes of a graph drawing: kinds of elements, short names, HTML-like tables."""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

from prov.constants import PROV_LABEL, PROV_LOCATION, PROV_TYPE, PROV_VALUE
from prov.identifier import QualifiedName
from prov.model import ProvActivity, ProvAgent, ProvRecord

from ..model.builder import ENTITY_TYPES, PARAMETER_TYPE
from ..model.identifiers import LOGPROV, VOPROV
from ..model.mapping import NOTE_TYPE
from ..model.sessions import IMAGE_TYPE, JOB_TYPE, SESSION_TYPE
from .dot import Html, html_text
from .graphoptions import GraphOptions

__all__ = [
    "element_kind", "first_text", "one_line", "short_id", "short_label", "node_title", "node_rows",
    "html_line", "html_label", "LABEL_LIMIT", "ID_LIMIT",
]

#: Types of the jobs and container images of sessions, drawn with the sessions.
_CONTEXT_TYPES = {JOB_TYPE, IMAGE_TYPE}
_DESCRIPTION_TYPES = {
    VOPROV[name]
    for name in (
        "ActivityDescription", "EntityDescription", "UsageDescription",
        "GenerationDescription", "ParameterDescription",
    )
}
_FILE_TYPES = {ENTITY_TYPES["File"], ENTITY_TYPES["FileCollection"]}
LABEL_LIMIT = 40
ID_LIMIT = 24
ATTRIBUTE_LINES = 10
PARAMETER_ROWS = 8
_SMALL = 8




def element_kind(record: ProvRecord) -> str:
    types = record.get_attribute(PROV_TYPE)
    if types & _CONTEXT_TYPES:
        return "context"
    if isinstance(record, ProvActivity):
        return "activity"
    if isinstance(record, ProvAgent):
        return "agent"
    if PARAMETER_TYPE in types:
        return "parameter"
    if SESSION_TYPE in types:
        return "session"
    if NOTE_TYPE in types:
        return "remark"
    if types & _DESCRIPTION_TYPES:
        return "description"
    return "entity"


def first_text(record: ProvRecord, attribute: QualifiedName) -> Optional[str]:
    values = record.get_attribute(attribute)
    return str(min(values, key=str)) if values else None


def one_line(value: object, limit: int = LABEL_LIMIT) -> str:
    """Return ``value`` as one line of at most ``limit`` characters."""
    text = " ".join(str(value).replace("\r", "\n").split("\n"))
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def short_id(name: Optional[QualifiedName]) -> str:
    local = "" if name is None else name.localpart
    tail = local.rsplit(".", 1)[-1] if "." in local else local
    if tail[:1] == "_" and tail[1:2].isdigit():
        tail = tail[1:]
    return tail if len(tail) <= 12 else tail[:10] + "\u2026"


def short_label(record: ProvRecord, kind: str) -> List[str]:
    label = first_text(record, PROV_LABEL)
    if kind == "session":
        return [f"session {short_id(record.identifier)}"]
    if kind == "remark":
        return [first_text(record, PROV_VALUE) or short_id(record.identifier)]
    if label is not None:
        return [label]
    if kind != "entity":
        return [short_id(record.identifier)]
    location = first_text(record, PROV_LOCATION)
    value = first_text(record, PROV_VALUE)
    if location is not None and record.get_attribute(PROV_TYPE) & _FILE_TYPES:
        return [os.path.basename(location.rstrip("/\\")) or location]
    lines = [text for text in (location, value) if text is not None]
    return lines or [short_id(record.identifier)]


def node_title(record: ProvRecord, kind: str, options: GraphOptions, extra: List[str]) -> List[str]:
    """Return the lines that name a node: its label (or identifier), status and counts."""
    if options.labels:
        lines = [one_line(line) for line in short_label(record, kind)]
    else:
        lines = [one_line(record.identifier, ID_LIMIT)]
    if kind == "activity":
        status = first_text(record, LOGPROV["status"])
        if status in ("failed", "incomplete"):
            reason = first_text(record, LOGPROV["exceptionType"])
            lines.append(one_line(f"({status}: {reason})" if reason else f"({status})"))
    return lines + [one_line(line) for line in extra]


def node_rows(record: ProvRecord, parameters: List[Tuple[str, str]], options: GraphOptions) -> List[Tuple[str, str]]:
    """Return the (name, value) rows of the table of a node: parameters, then attributes."""
    rows = [(one_line(name, 20), one_line(value, 28)) for name, value in parameters[:PARAMETER_ROWS]]
    if len(parameters) > PARAMETER_ROWS:
        rows.append((f"\u2026 {len(parameters) - PARAMETER_ROWS} more", ""))
    if options.attributes:
        pairs = sorted((str(k), str(v)) for k, v in record.attributes if k != PROV_LABEL)
        rows += [(one_line(key, 28), one_line(value, 40)) for key, value in pairs[:ATTRIBUTE_LINES]]
        if len(pairs) > ATTRIBUTE_LINES:
            rows.append((f"\u2026 {len(pairs) - ATTRIBUTE_LINES} more", ""))
    return rows


def html_line(text: str) -> str:
    """Return ``text`` escaped for an HTML-like label; never blank, which Graphviz refuses."""
    return html_text(text) if text.strip() else "&#160;"


def html_label(title: List[str], rows: List[Tuple[str, str]], bold: bool = False) -> Html:
    """Return an HTML-like label: the title lines, then a compact two-column table."""
    lines = [f"<B>{html_line(line)}</B>" if bold and number == 0 else html_line(line)
             for number, line in enumerate(title)]
    if not rows:
        return Html("<BR/>".join(lines))
    cells = [f'<TR><TD COLSPAN="2">{line}</TD></TR>' for line in lines]
    for key, value in rows:
        cells.append(
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{_SMALL}" COLOR="#333366">{html_text(key)}&#160;&#160;</FONT></TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="{_SMALL}">{html_line(value)}</FONT></TD></TR>'
        )
    return Html('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(cells) + "</TABLE>")
