"""How query results show in Jupyter: a lineage as a graph, search matches as a table."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Optional, Sequence

from .render import entity_what, parameters_text, status_text, when

if TYPE_CHECKING:
    from .model import Lineage, Match

__all__ = ["lineage_svg", "matches_html"]


def lineage_svg(lineage: "Lineage") -> Optional[str]:
    """Return the SVG graph of ``lineage`` (None without Graphviz or the ``prov`` package)."""
    try:
        from ..export.documentlineage import lineage_document_distance
        from ..export.notebook import document_svg, lineage_document
    except ImportError:
        return None
    return document_svg(lineage_document(lineage), sessions="hide", focus=None,
                        distance=lineage_document_distance(lineage))


def _cells(values: Sequence[object], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{html.escape('' if v is None else str(v))}</{tag}>" for v in values) + "</tr>"


def matches_html(matches: Sequence["Match"]) -> str:
    """Return an HTML table of search matches: one row per match, the columns of ``logprov search``
    with full ids."""
    if all(match.entity is None for match in matches):
        headers = ["start", "activity", "status", "session", "id", "parameters", "error"]
        activities = [m.activity for m in matches if m.activity is not None]
        rows: list = [[when(a.start), a.name, status_text(a), a.session, a.id, parameters_text(a.parameters, 80),
                       f"{a.exception_type}: {a.exception_message or ''}" if a.exception_type else ""]
                      for a in activities]
    else:
        headers = ["start", "activity", "status", "id", "link", "role", "entity", "location / value"]
        rows = []
        for m in matches:
            activity, entity, link = m.activity, m.entity, m.link
            rows.append([when(activity.start) if activity else "", activity.name if activity else "",
                         status_text(activity) if activity else "", activity.id if activity else "",
                         link.relation if link else "", link.role if link else "",
                         entity.logged_id if entity else "", entity_what(entity, None) if entity else ""])
    body = "".join(_cells(row) for row in rows)
    return (f'<table class="logprov-matches"><thead>{_cells(headers, "th")}</thead>'
            f"<tbody>{body}</tbody></table><p>{len(rows)} match{'es' if len(rows) != 1 else ''}</p>")
