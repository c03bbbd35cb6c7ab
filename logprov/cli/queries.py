"""The commands that answer a question about the logs: ``search``, ``lineage``, ``sessions``,
``sparql``, ``diff`` and ``index``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ..errors import LogprovError
from ..query import NotFound, QueryError
from ..query.model import Match
from ..query.render import entity_label, json_line, lineage_tree, matches_table, sessions_table, table
from ..reading.reader import iter_records
from .console import FOUND, NOT_FOUND, output, print_lines
from .documents import DRAWINGS, lineage_drawing
from .inputs import first, open_logs, progress, records, sources, window

__all__ = ["cmd_search", "cmd_lineage", "cmd_sessions", "cmd_sparql", "cmd_diff", "cmd_index"]


def _where(pairs: Sequence[str]) -> dict:
    where = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise QueryError(f"--where needs KEY=VALUE, not {pair!r}")
        where[key] = value
    return where


def cmd_search(args: argparse.Namespace) -> int:
    """Find activities, and entities with the activities that used or generated them."""
    where = _where(args.where)
    with open_logs(args) as provenance:
        matches: Sequence[Match] = provenance.search(
            activity=args.activity, status=args.status, where=where, entity=args.entity,
            location=args.location, role=args.role, type=args.type, file=args.file, job=args.job,
        )
    if args.note is not None:
        from ..notes import noted

        if args.store is not None:
            from ..store.engines import connect
            from ..store.records import stored_notes

            engine = connect(args.store)
            try:
                activities, sessions = noted(stored_notes(engine), args.note)
            finally:
                engine.close()
        else:
            activities, sessions = noted(iter_records(args.logs), args.note)
        matches = [m for m in matches if m.activity is not None
                   and (m.activity.id in activities or m.activity.session in sessions)]
    if args.limit is not None:
        matches = matches[: args.limit]
    if not matches:
        print("nothing found", file=sys.stderr)
        return NOT_FOUND
    print_lines(map(json_line, matches) if args.json else matches_table(matches, args.location))
    return FOUND


def cmd_lineage(args: argparse.Namespace) -> int:
    """Show where an entity comes from, or what was made from it."""
    if getattr(args, "store", None) is not None:
        sources(args, extra=1)
        args.target = args.logs.pop()
    else:
        args.target = args.logs.pop() if len(args.logs) > 1 else args.logs[0]
    fmt = "json" if args.json else args.format
    direction = "descendants" if args.descendants else "ancestors"
    if fmt in DRAWINGS:
        from ..export import export

        document, distance = lineage_drawing(args, args.target, (direction,), args.depth)
        export(document, fmt, output(args.output), attributes=True, distance=distance)
        return FOUND
    with open_logs(args) as provenance:
        lineage = provenance.lineage(args.target, descendants=args.descendants, depth=args.depth)
    if fmt == "json":
        print_lines(map(json_line, lineage.to_dicts()), args.output)
        return FOUND
    lines = lineage_tree(lineage)
    inputs = lineage.inputs()
    if inputs and len(lineage.distance) > 1:
        lines += ["", "inputs (nothing in the logs made them):"]
        lines += [f"  {entity_label(entity)}" for entity in sorted(inputs, key=lambda e: e.id)]
    print_lines(lines, args.output)
    return FOUND


def cmd_sessions(args: argparse.Namespace) -> int:
    """List the sessions: when, where, by whom, how many activities and failures."""
    with open_logs(args) as provenance:
        sessions = provenance.sessions(job=args.job)
    if not sessions:
        print("no session", file=sys.stderr)
        return NOT_FOUND
    print_lines(map(json_line, sessions) if args.json else sessions_table(sessions))
    return FOUND


def _sparql_text(args: argparse.Namespace) -> str:
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8") as stream:
                return stream.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise QueryError(f"cannot read the SPARQL query file {args.file}: {reason}") from None
    if len(args.logs) < 2:
        raise QueryError("give a log and a SPARQL query, or the query with --file")
    return args.logs.pop()


def cmd_sparql(args: argparse.Namespace) -> int:
    """Run a SPARQL query over the PROV-O graph of the logs."""
    from ..query.sparql import answer, graph_of, namespaces, prepare

    query = prepare(_sparql_text(args), namespaces())
    counts: dict = {}
    found = answer(graph_of(first(records(args, counts), counts, args.logs)), query,
                   "nt" if args.json else "turtle")
    if found.form == "ASK":
        print(json_line({"ask": found.ask}) if args.json else str(found.ask).lower())
        return FOUND if found.ask else NOT_FOUND
    if found.form in ("CONSTRUCT", "DESCRIBE"):
        if not found.triples:
            return NOT_FOUND
        sys.stdout.write(found.triples)
        return FOUND
    if not found.rows:
        print("nothing found", file=sys.stderr)
        return NOT_FOUND
    if args.json:
        print_lines(json_line(dict(zip(found.names, row))) for row in found.rows)
    else:
        print_lines(table(found.names, found.rows))
    return FOUND


def cmd_diff(args: argparse.Namespace) -> int:
    """Show what differs between two sessions, products or activities."""
    from ..query.diff import compare, comparison_lines, side
    from ..query.snapshot import load

    if len(args.logs) == 2 and all(map(_carries_provenance, args.logs)):
        logs = list(args.logs)
    elif len(args.logs) < 3:
        raise QueryError("give one or more logs, then the two sessions, products or activities to compare "
                         "(two products carrying their provenance are enough)")
    else:
        logs = args.logs[:-2]
    one, other = args.logs[-2], args.logs[-1]
    snapshot = load(logs, window(args), progress(args))
    if snapshot.provenance.records == 0:
        raise LogprovError(f"no provenance records in {', '.join(logs)}")
    try:
        comparison = compare(snapshot, side(snapshot, one), side(snapshot, other))
    except NotFound as exc:
        raise QueryError(str(exc)) from None
    if args.json:
        print(json_line(comparison.to_dict()))
    else:
        print_lines(comparison_lines(comparison))
    return FOUND if comparison.identical else NOT_FOUND


def _carries_provenance(path: str) -> bool:
    """Tell whether ``path`` is a product carrying its provenance (a source other than a log)."""
    from ..errors import LogReadError
    from ..reading.kinds import LOG, kinds_of

    if not os.path.isfile(path):
        return False
    try:
        return LOG not in kinds_of(path)
    except LogReadError:
        return False


def cmd_index(args: argparse.Namespace) -> int:
    """Build the index of the logs, or bring it up to date."""
    if "-" in args.logs:
        raise QueryError("standard input cannot be indexed")
    with open_logs(args) as provenance:
        counts = provenance.counts()
        summary = {"index": str(provenance.index), "records": provenance.records,
                   "files": len(provenance.files), **counts}
    if args.json:
        print(json_line(summary))
    else:
        files = summary["files"]
        print(f"{summary['index']}: {summary['records']:,} records from {files} file{'s' * (files != 1)}, "
              f"{counts['sessions']:,} sessions, {counts['activities']:,} activities, "
              f"{counts['entities']:,} entities")
    return FOUND
