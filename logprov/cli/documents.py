"""The commands that write the logs as a document: ``export`` (PROV), ``graph`` (a drawing)
and ``report`` (an HTML page)."""

from __future__ import annotations

import argparse
import os
import warnings
from typing import TYPE_CHECKING, Dict, Optional, Sequence, Tuple, Union

from ..errors import LogprovError
from ..export.registry import FORMATS, formats
from ..outputs import write_path
from ..query import NotFound, QueryError
from ..query.model import Lineage
from .console import FOUND, output, show_warning
from .inputs import first, open_logs, progress, records, window

if TYPE_CHECKING:
    from prov.identifier import QualifiedName
    from prov.model import ProvDocument

__all__ = ["DRAWINGS", "EXPORTS", "cmd_export", "cmd_graph", "cmd_report", "lineage_drawing"]

DRAWINGS = ("svg", "png", "pdf", "dot")
EXPORTS = tuple(formats())


def _format_of(path: Optional[str], given: Optional[str], default: str) -> str:
    """Return the format ``given``, else the one the suffix of ``path`` names, else ``default``.

    Raises
    ------
    QueryError
        If ``path`` has a suffix that names no format.
    """
    if given:
        return given
    if path and path != "-":
        suffix = os.path.splitext(path)[1].lower()
        for name, spec in FORMATS.items():
            if spec.extension == suffix:
                return name
        if suffix:
            known = ", ".join(spec.extension for spec in FORMATS.values())
            raise QueryError(f"cannot tell the format of {path!r} from its suffix {suffix!r}: "
                             f"give -f FORMAT, or name it {known}")
    return default


def cmd_export(args: argparse.Namespace) -> int:
    """Write the logs as one PROV document."""
    from ..export import export_records

    fmt = _format_of(args.output, args.format, "json")
    counts: dict = {}
    selected = first(records(args, counts), counts, args.logs)
    export_records(selected, fmt, output(args.output))
    return FOUND


def _merge(lineages: Sequence[Lineage]) -> Lineage:
    merged = Lineage(lineages[0].roots, lineages[0].direction, lineages[0].depth)
    for lineage in lineages:
        merged.activities.update(lineage.activities)
        merged.entities.update(lineage.entities)
        merged.edges.extend(lineage.edges)
        for node, distance in lineage.distance.items():
            merged.distance[node] = min(distance, merged.distance.get(node, distance))
    return merged


def lineage_drawing(args: argparse.Namespace, target: str, directions: Sequence[str],
                    depth: Optional[int]) -> Tuple[ProvDocument, Dict[QualifiedName, int]]:
    """Return the document to draw of the lineage of ``target``: the lineage the query walked
    (once per direction), with the sessions of its activities; the logs are not read again. With
    it, the distance of its elements from ``target``, by which a cut drawing keeps the nearest."""
    from ..export.documentlineage import lineage_document, lineage_document_distance

    with open_logs(args) as provenance:
        merged = _merge([provenance.lineage(target, direction == "descendants", depth) for direction in directions])
        sessions = provenance.sessions()
    return lineage_document(merged, sessions), lineage_document_distance(merged)


def cmd_graph(args: argparse.Namespace) -> int:
    """Draw the provenance graph, or the lineage of one element."""
    from ..export import export, export_records

    suffix = os.path.splitext(args.output)[1].lower().lstrip(".")
    if suffix not in DRAWINGS:
        raise QueryError(f"cannot tell the drawing format of {args.output!r}: name it .svg, .png, .pdf or .dot")
    from ..export.graphcut import first_activities

    options = {"attributes": args.attributes, "parameters": args.parameters, "agents": args.agents,
               "sessions": "cluster" if args.sessions == "box" else args.sessions, "rankdir": args.rankdir,
               "max_nodes": args.max_nodes, "command_line": True}
    document = None
    if args.entity is not None:
        directions = ("ancestors", "descendants") if args.direction == "both" else (args.direction,)
        document, options["distance"] = lineage_drawing(args, args.entity, directions, args.depth)
    else:
        counts: dict = {}
        selected, options["logs"] = first_activities(first(records(args, counts), counts, args.logs),
                                                     2 * args.max_nodes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        if document is not None:
            export(document, suffix, output(args.output), **options)
        else:
            export_records(selected, suffix, output(args.output), **options)
    for warning in caught:
        show_warning(_graph_warning(warning.message), warning.category, warning.filename, warning.lineno)
    return FOUND


def _graph_warning(message: Union[Warning, str]) -> object:
    """Return a warning of the drawing in the words of the command line."""
    drawn, total = getattr(message, "drawn", 0), getattr(message, "total", 0)
    if not total:
        return message
    part = getattr(message, "part", "")
    return (f"graph cut to {drawn} of {total} nodes{': ' + part if part else ''}; draw the lineage of one "
            "entity with --entity ID (and --depth N), narrow the logs with --session, --since or --until, "
            "or draw more with --max-nodes N")


def cmd_report(args: argparse.Namespace) -> int:
    """Write one self-contained HTML page of the logs: sessions, timeline, graph, activities
    and the lineage of each entity."""
    from ..query.snapshot import load
    from ..report import write_report

    if not args.output.lower().endswith((".html", ".htm")):
        raise QueryError(f"the report is an HTML page: name it .html, not {args.output!r}")
    snapshot = load(args.logs, window(args), progress(args))
    if snapshot.provenance.records == 0:
        raise LogprovError(f"no provenance records in {', '.join(args.logs)}")
    if not snapshot.records:
        raise NotFound("no records in the selected time window and sessions")
    write_path(args.output, lambda stream: write_report(snapshot, stream, max_nodes=args.graph_nodes))
    return FOUND
