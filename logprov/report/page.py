"""Build the HTML report: the data of the logs as one JSON object, the graph as inline SVG, the
page script and style from this package, all in one file."""

from __future__ import annotations

import html
import json
import re
import warnings
from importlib import resources
from typing import IO, Any, Optional

from .._version import __version__
from ..query.model import Lineage
from ..query.select import lineage_records
from ..query.snapshot import Snapshot
from ..query.window import utc_text
from ..records.keys import GIT, PACKAGES, SYSTEM

__all__ = ["GRAPH_NODES", "report_data", "render_report", "write_report"]

#: Largest number of nodes drawn in the report's graph; a larger graph is cut with a note.
GRAPH_NODES = 300

_XML_PROLOGUE = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.S)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _millis(text: Optional[str]) -> Optional[float]:
    """Return a logged time as milliseconds since the epoch, or None."""
    import datetime

    utc = utc_text(text) if text else None
    if utc is None:
        return None
    return round(datetime.datetime.fromisoformat(utc).timestamp() * 1000, 3)


def _mapping(value: Any) -> dict:
    """Return ``value`` when it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def _session_row(session: Any, details: dict) -> dict:
    system = _mapping(details.get(SYSTEM))
    platform = _mapping(system.get("platform"))
    python = _mapping(system.get("python"))
    git = _mapping(details.get(GIT))
    packages = _mapping(details.get(PACKAGES))
    machine = " ".join(str(platform[key]) for key in ("node", "system", "release", "machine") if platform.get(key))
    if platform.get("num_cpus"):
        machine += f", {platform['num_cpus']} CPUs"
    return {
        "id": session.id, "name": session.name, "start": session.start, "end": session.end,
        "t0": _millis(session.start), "t1": _millis(session.end),
        "user": session.user, "host": session.host, "command": session.command, "cwd": session.cwd,
        "machine": machine or None,
        "python": " ".join(str(python[key]) for key in ("implementation", "version") if python.get(key)) or None,
        "commit": git.get("commit"), "dirty": git.get("dirty"), "repository": git.get("path"),
        "packages": {str(k): str(v) for k, v in sorted(packages.items())},
        "activities": session.activities, "failed": session.failed, "incomplete": session.incomplete,
    }


def _entity_label(entity: Any) -> Optional[str]:
    """Return the label of an entity; None when it is the file name of its location, which
    the page takes from the location itself."""
    if entity.location:
        return None
    if entity.value:
        return entity.value
    return entity.logged_id


def report_data(snapshot: Snapshot) -> dict:
    """Return what the page shows, as plain JSON-serialisable data.

    Activities, entities and notes are lists of short arrays (see the field names under
    ``"fields"``) that refer to each other and to the sessions by position, which keeps a page
    of ten thousand activities small.
    """
    provenance = snapshot.provenance
    sessions = provenance.sessions()
    session_index: dict[Optional[str], int] = {session.id: position for position, session in enumerate(sessions)}
    entities = provenance.find_entities()
    entity_index = {entity.id: position for position, entity in enumerate(entities)}
    activities = provenance.find_activities()
    activity_index: dict[Optional[str], int] = {activity.id: position for position, activity in enumerate(activities)}

    def links(found: tuple) -> list:
        return [[entity_index[link.entity], link.role] for link in found if link.entity in entity_index]

    activity_rows = [
        [a.id, a.name or "", session_index.get(a.session, -1), _millis(a.start), a.duration,
         a.status or "", " ".join(filter(None, (a.exception_type, a.exception_message))) or None,
         a.parameters, links(a.used), links(a.generated), activity_index.get(a.parent, -1), a.exit_code]
        for a in activities
    ]
    entity_rows = [
        [e.id, _entity_label(e), e.type, e.location, e.value,
         [entity_index[k] for k in e.derived_from if k in entity_index],
         [entity_index[k] for k in e.members if k in entity_index]]
        for e in entities
    ]
    note_rows = [
        [session_index.get(note.session, -1), activity_index.get(note.activity, -1), note.time, note.text,
         note.attributes]
        for note in snapshot.notes
        if (note.activity is None and note.session in session_index) or note.activity in activity_index
    ]
    return {
        "logprov": __version__,
        "fields": {"activity": ["id", "name", "session", "start", "duration", "status", "exception",
                                "parameters", "used", "generated", "parent", "exit_code"],
                   "entity": ["id", "label (None: the last part of the location)", "type", "location", "value", "derived_from", "members"],
                   "note": ["session", "activity (-1: a note on the session)", "time", "text", "attributes"]},
        "sessions": [_session_row(s, snapshot.details.get(s.id, {})) for s in sessions],
        "activities": activity_rows,
        "entities": entity_rows,
        "notes": note_rows,
        "logs": [f.path for f in provenance.files],
        "records": provenance.records,
    }


def _drawn_records(snapshot: Snapshot, activities: list, max_nodes: int) -> tuple[list, Optional[str]]:
    """Return the records to draw: all of them when the graph has at most ``max_nodes`` nodes,
    else those of the first activities (by start) and their entities that fit, with a note."""
    total = len(activities) + snapshot.provenance.counts()["entities"]
    if total <= max_nodes:
        return snapshot.records, None
    chosen: dict = {}
    entities: dict = {}
    for activity in activities:
        linked = {link.entity for link in (*activity.used, *activity.generated)} - set(entities)
        if len(chosen) + len(entities) + 1 + len(linked) > max_nodes:
            break
        chosen[activity.id] = activity
        entities.update(dict.fromkeys(linked))
    lineage = Lineage([], "ancestors", None, activities=chosen, entities=entities)
    note = (f"The graph shows the first {len(chosen)} of {len(activities)} activities "
            f"({len(chosen) + len(entities)} of {total} nodes). Draw one lineage with "
            "logprov graph LOG --entity ID, or narrow the logs with --session, --since or --until.")
    return list(lineage_records(snapshot.records, lineage)), note


def _graph_svg(snapshot: Snapshot, activities: list, max_nodes: int) -> tuple[str, Optional[str]]:
    """Return the graph drawing as SVG markup to inline, and a note when it was cut."""
    from ..export import export_records
    from ..export.graphdrawing import GraphTruncatedWarning

    records, note = _drawn_records(snapshot, activities, max_nodes)
    if not records:
        return "", note
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GraphTruncatedWarning)
        svg = export_records(records, "svg", None, max_nodes=max_nodes, parameters=False)
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg or ""
    for warning in caught:
        if isinstance(warning.message, GraphTruncatedWarning):
            drawn, total = warning.message.drawn, warning.message.total
            note = (f"The graph shows {drawn} of {total} nodes. Draw one lineage with "
                    "logprov graph LOG --entity ID, or narrow the logs with --session, --since or --until.")
    return _XML_PROLOGUE.sub("", text, count=1), note


def _script_json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_report(snapshot: Snapshot, title: Optional[str] = None, max_nodes: int = GRAPH_NODES) -> str:
    """Return the whole page as text.

    Parameters
    ----------
    snapshot : Snapshot
        The logs, from `logprov.query.snapshot.load`.
    title : str, optional
        Page title (default: names the logs).
    max_nodes : int
        Largest number of nodes drawn in the graph.
    """
    data = report_data(snapshot)
    svg, note = _graph_svg(snapshot, snapshot.provenance.find_activities(), max_nodes)
    data["graph_note"] = note
    if title is None:
        names = [path.rsplit("/", 1)[-1] for path in data["logs"]] or ["standard input"]
        title = "Provenance of " + ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    page = _asset("page.html")
    parts = {
        "title": html.escape(title),
        "style": _asset("report.css"),
        "script": _asset("report.js"),
        "data": _script_json(data),
        "graph": svg or "<p>No graph: the logs hold no records.</p>",
    }
    return re.sub(r"@@(\w+)@@", lambda match: parts[match.group(1)], page)


def write_report(snapshot: Snapshot, stream: IO[bytes], **options: Any) -> None:
    """Write the page of ``snapshot`` to a binary stream (options of `render_report`)."""
    stream.write(render_report(snapshot, **options).encode("utf-8"))
