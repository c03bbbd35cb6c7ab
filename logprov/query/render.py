"""Text for people: aligned tables, lineage trees and short labels of query results."""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Optional, Sequence

from ..capture.jobs import job_label
from ..reading.reader import parse_time
from .filters import glob_regex, value_text
from .model import Activity, Edge, Entity, Lineage, Match, Session

__all__ = [
    "when",
    "short_id",
    "table",
    "parameters_text",
    "status_text",
    "activity_label",
    "entity_what",
    "entity_label",
    "job_text",
    "container_text",
    "sessions_table",
    "matches_table",
    "lineage_tree",
    "json_line",
]

ID_WIDTH = 8
CELL_WIDTH = 60
PARAMETERS_WIDTH = 70

_ANCESTOR_EDGES = {
    "used": "used{as}",
    "wasGeneratedBy": "generated{as} by",
    "wasDerivedFrom": "derived from",
    "hadMember": "has member",
    "wasInformedBy": "called within",
}
_DESCENDANT_EDGES = {
    "used": "used{as} by",
    "wasGeneratedBy": "generated{as}",
    "wasDerivedFrom": "derived into",
    "hadMember": "member of",
    "wasInformedBy": "calls",
}


def when(moment: Optional[str]) -> str:
    """Return a logged time as local ``YYYY-MM-DD HH:MM:SS`` (empty when there is none)."""
    if not moment:
        return ""
    try:
        local = parse_time(moment).astimezone()
    except (ValueError, TypeError):
        return str(moment)
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _cut(text: str, width: int, keep_end: bool = False) -> str:
    text = text.replace("\n", " ")
    if len(text) <= width:
        return text
    return "\u2026" + text[-(width - 1):] if keep_end else text[: width - 1] + "\u2026"


def short_id(identifier: Optional[str], width: int = ID_WIDTH) -> str:
    """Return the start of a UUID (a unique prefix is accepted wherever an id is), or any
    other id whole (the ids of logprov 0.0.2 are ``<session>.<activity>``)."""
    identifier = identifier or ""
    return identifier[:width] if len(identifier) == 36 else identifier


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Return the lines of a table with aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]


def parameters_text(parameters: dict, width: int = PARAMETERS_WIDTH) -> str:
    """Return ``name=value, …`` of parameters, shortened to ``width`` characters."""
    return _cut(", ".join(f"{name}={value_text(value)}" for name, value in parameters.items()), width)


def status_text(activity: Activity) -> str:
    """Return the status of an activity, with its exit code when it has one: ``failed (exit 2)``."""
    status = activity.status or ""
    if activity.exit_code is None:
        return status
    return f"{status} (exit {activity.exit_code})".lstrip()


def activity_label(activity: Activity) -> str:
    """Return one line about an activity: name, status (and exit code), start, id and parameters."""
    parts = [activity.name or "(unnamed)", status_text(activity), when(activity.start),
             f"[{short_id(activity.id)}]"]
    if activity.status == "failed" and activity.exception_type:
        parts.append(_cut(f"{activity.exception_type}: {activity.exception_message or ''}", CELL_WIDTH))
    if activity.parameters:
        parts.append(parameters_text(activity.parameters))
    return "  ".join(part for part in parts if part)


def entity_what(entity: Entity, width: Optional[int] = CELL_WIDTH, location: Optional[str] = None) -> str:
    """Return where an entity is (a path whole when ``width`` is None), or what it holds; with
    ``location``, a glob pattern, the first of its locations the pattern matches."""
    if entity.locations and (entity.type in ("File", "FileCollection") or entity.value is None):
        where = entity.locations[0]
        if location is not None:
            pattern = glob_regex(location)
            where = next((p for p in entity.locations if pattern.match(str(p))), where)
        return where if width is None else _cut(where, width, keep_end=True)
    if entity.value is not None:
        return _cut(str(entity.value), width or CELL_WIDTH)
    return ""


def entity_label(entity: Entity) -> str:
    """Return one line about an entity: short id (with its session when the id is local to
    one, so that equal values of two sessions read apart), location (whole) or value, and type."""
    kind = ", ".join(dict.fromkeys(str(k) for k in (entity.entity_description, entity.type) if k))
    name = _cut(entity.logged_id, 20)
    if entity.session:
        name += f" in session {short_id(entity.session)}"
    parts = [name, entity_what(entity, None), f"({kind})" if kind else ""]
    return "  ".join(part for part in parts if part)


def _command(command: Optional[str]) -> str:
    program, _, arguments = (command or "").partition(" ")
    return " ".join(part for part in (os.path.basename(program), arguments) if part)


def job_text(job: Optional[dict]) -> str:
    """Return a job as ``system label`` (``slurm 123456_7``), empty without a job."""
    if not job:
        return ""
    return " ".join(part for part in (str(job.get("system") or ""), job_label(job)) if part)


def container_text(container: Optional[dict]) -> str:
    """Return a container as ``runtime image:tag@digest`` (the digest shortened), empty
    without a container."""
    if not container:
        return ""
    image = str(container.get("image") or "")
    if container.get("tag"):
        image += f":{container['tag']}"
    digest = str(container.get("digest") or container.get("image_id") or "")
    if digest:
        algorithm, _, value = digest.partition(":")
        image += f"@{algorithm}:{value[:12]}" if value else f"@{digest[:12]}"
    return " ".join(part for part in (str(container.get("runtime") or ""), image) if part)


def sessions_table(sessions: Iterable[Session]) -> list[str]:
    """Return the table of ``logprov sessions``; the job and container columns when a session
    has one."""
    sessions = list(sessions)
    headers = ["SESSION", "START", "END", "HOST", "USER"]
    context = [(name, text) for name, text in (("JOB", lambda s: job_text(s.job)),
                                               ("CONTAINER", lambda s: _cut(container_text(s.container), 50)))
               if any(text(s) for s in sessions)]
    headers += [name for name, _ in context] + ["ACTIVITIES", "FAILED", "COMMAND"]
    rows = [
        (s.id, when(s.start), when(s.end), s.host, s.user, *(text(s) for _, text in context), s.activities, s.failed,
         _cut(_command(s.command) or s.name or "", 50))
        for s in sessions
    ]
    return table(headers, rows)


def matches_table(matches: Sequence[Match], location: Optional[str] = None) -> list[str]:
    """Return the table of ``logprov search``: activities, or entities and their activities
    (with ``location``, the glob pattern searched for, the locations it matches)."""
    if all(match.entity is None for match in matches):
        headers = ["START", "ACTIVITY", "STATUS", "SESSION", "ID", "PARAMETERS"]
        activities = [m.activity for m in matches if m.activity is not None]
        rows: list = [[when(a.start), a.name, status_text(a), short_id(a.session), short_id(a.id),
                       parameters_text(a.parameters, 50)] for a in activities]
        if any(a.exception_type for a in activities):
            headers.append("ERROR")
            for row, a in zip(rows, activities):
                error = f"{a.exception_type}: {a.exception_message or ''}"
                row.append(_cut(error, 50) if a.exception_type else "")
        return table(headers, rows)
    rows = []
    for m in matches:
        activity, entity, link = m.activity, m.entity, m.link
        rows.append((
            when(activity.start) if activity else "", activity.name if activity else "",
            status_text(activity) if activity else "", short_id(activity.id) if activity else "",
            link.relation if link else "", link.role if link else "",
            _cut(entity.logged_id, 20) if entity else "", entity_what(entity, location=location) if entity else "",
        ))
    return table(("START", "ACTIVITY", "STATUS", "ID", "LINK", "ROLE", "ENTITY", "LOCATION / VALUE"), rows)


def _edge_text(edge: Edge, direction: str) -> str:
    words = (_ANCESTOR_EDGES if direction == "ancestors" else _DESCENDANT_EDGES)[edge.relation]
    words = words.format(**{"as": f" as {edge.role!r}" if edge.role else ""})
    if edge.relation == "wasDerivedFrom" and edge.untraced:
        words += " (changed outside traced code)"
    return words


def _label(lineage: Lineage, kind: str, key: str) -> str:
    node = (lineage.activities if kind == "activity" else lineage.entities).get(key)
    if node is None:
        return key
    return activity_label(node) if kind == "activity" else entity_label(node)


def lineage_tree(lineage: Lineage) -> list[str]:
    """Return the lines of a lineage drawn as a tree; an element met again is not expanded."""
    lines: list[str] = []
    shown: set = set()
    roots = [node for node, distance in lineage.distance.items() if distance == 0]
    for kind, key in roots:
        lines.append(_label(lineage, kind, key))
        shown.add((kind, key))
        stack = [(list(lineage.children(kind, key)), "")]
        while stack:
            children, prefix = stack[-1]
            if not children:
                stack.pop()
                continue
            edge, child_kind, child = children.pop(0)
            last = not children
            branch = "\u2514\u2500 " if last else "\u251c\u2500 "
            seen = (child_kind, child) in shown
            text = _edge_text(edge, lineage.direction)
            suffix = "  (see above)" if seen else ""
            lines.append(f"{prefix}{branch}{text}: {_label(lineage, child_kind, child)}{suffix}")
            if not seen:
                shown.add((child_kind, child))
                stack.append((list(lineage.children(child_kind, child)), prefix + ("   " if last else "\u2502  ")))
    return lines


def json_line(item: Any) -> str:
    """Return one JSON line for a result (an object with ``to_dict``, or plain data)."""
    data = item.to_dict() if hasattr(item, "to_dict") else item
    return json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
