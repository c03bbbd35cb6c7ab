"""The ``logprov`` command: export, draw, search and trace the provenance held by logs.

Exit status: 0 when something was found (or done), 1 when nothing was found, 2 for a usage
or input error. Errors are one line on standard error.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import sqlite3
import sys
import warnings
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Sequence

from . import __version__
from .errors import DefinitionError, LogprovError
from .outputs import refuse_inputs, release_stdout, stdout_failure, write_path
from .query import NotFound, Progress, Provenance, QueryError
from .query import open as open_provenance
from .query.model import Lineage
from .query.progress import source_sizes, track
from .query.render import entity_label, json_line, lineage_tree, matches_table, sessions_table, table
from .query.select import lineage_records, window_records
from .query.window import Window, utc_text
from .reading.reader import ProvRecord, ReadStats, iter_records

__all__ = ["main"]

FOUND, NOT_FOUND, ERROR = 0, 1, 2
DRAWINGS = ("svg", "png", "pdf", "dot")
EXPORTS = ("json", "provn", "xml", "ttl", "jsonld", "rdfxml", "nt", "dot", "svg", "png", "pdf")

DESCRIPTION = """\
Search, trace, export and draw the provenance that logprov captured in logs.

Every command that reads logs takes one or more log files, glob patterns (quote them:
'logs/*.log'), .gz files, or - for standard input, and the filters --since/--until (ISO dates
or times; naive ones are local time) and --session (an id, or the start of one). Queries use an
index of the logs, built on first use and extended when a log grows (in $LOGPROV_CACHE or
~/.cache/logprov); --no-index reads the logs into memory instead.

Exit status: 0 found, 1 nothing found, 2 usage or input error."""

EXAMPLES = {
    "export": """\
examples:
  logprov export prov.log -f provn                    # PROV-N on standard output
  logprov export 'runs/*.log' -f json -o prov.json
  logprov export prov.log.gz -f ttl -o prov.ttl --since 2026-11-21 --until 2026-11-22""",
    "graph": """\
examples:
  logprov graph prov.log -o prov.svg
  logprov graph prov.log -o lineage.png --entity flux_points.fits --depth 4
  logprov graph prov.log -o graph.dot --session 6f1c0f9e --attributes
  logprov graph prov.log -o bare.png --no-parameters --sessions hide --rankdir LR""",
    "search": """\
examples:
  logprov search prov.log --activity 'run_*' --status failed
  logprov search 'logs/*.log' --location '*/model.yaml'           # runs that used or wrote it
  logprov search 'logs/*.log' --file model.yaml --status failed   # by content, failed runs only
  logprov search prov.log --where target=Crab --where 'binning.nbins=20'
  logprov search prov.log --entity obs:23523 --json | jq .activity.name
  logprov search prov.log --note 'bad weather'     # activities with a note holding the text""",
    "note": """\
examples:
  logprov note prov.log 6f1c0f9e "calibration file replaced after this run"
  logprov note prov.log 2b7e41aa "fit diverged: wrong start values"   # an activity id, or its start""",
    "lineage": """\
examples:
  logprov lineage prov.log flux_points.fits            # a file on disk: found by its content
  logprov lineage 'logs/*.log' file:8d1f3a --depth 3    # an entity id, or the start of one
  logprov lineage prov.log obs:23523 --descendants     # what was made from it
  logprov lineage prov.log flux_points.fits --format svg -o lineage.svg
  logprov lineage flux_points.fits                     # a product carrying its provenance""",
    "sessions": """\
examples:
  logprov sessions 'logs/*.log'
  logprov sessions 'logs/*.log' --since yesterday --until today   # yesterday's sessions
  logprov sessions 'logs/*.log' --since 2026-11-21T08:00 --json
  logprov search 'logs/*.log' --session 6f1c0f9e                          # what one of them did""",
    "embed": """\
examples:
  logprov embed flux_points.fits prov.log             # a PROVENANCE extension
  logprov embed dl2.h5 'logs/*.log' a.fits            # datasets under /provenance
  logprov embed plot.png prov.log                     # a sidecar plot.png.prov.json""",
    "validate": """\
examples:
  logprov validate definition.yaml
  logprov validate definitions/*.yaml --json""",
    "sparql": """\
examples:
  logprov sparql prov.log 'SELECT ?a ?name WHERE { ?a a prov:Activity ; rdfs:label ?name }'
  logprov sparql 'logs/*.log' --file docs/queries/failed-activities.rq --json

The prefixes of the PROV-O export are predefined: prov, logprov, voprov, xsd, rdfs, session,
activity, param, agent, desc and those of entity ids (file, ...).""",
    "report": """\
examples:
  logprov report 'logs/*.log' -o report.html        # one page: open it in any browser, offline
  logprov report prov.log -o report.html --session 6f1c0f9e --graph-nodes 100""",
    "diff": """\
examples:
  logprov diff 'logs/*.log' 6f1c0f9e 8a2d4b11            # two sessions (ids or their start)
  logprov diff 'logs/*.log' run1/flux.fits run2/flux.fits  # two products: what made each
  logprov diff prov.log 3c9e0b2a 77d1f0c4 --json          # two activities, as JSON

Exit status: 0 identical, 1 different, 2 usage or input error.""",
    "index": """\
examples:
  logprov index 'logs/*.log'          # build the index now, or extend it after the logs grew""",
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on standard error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        _error(f"{self.prog}: {message} (see {self.prog} --help)")
        raise SystemExit(ERROR)

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        """Parse ``args``; an unknown argument is reported with the help of its subcommand."""
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            parser = getattr(parsed, "command_parser", self)
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed


def _time(text: str) -> str:
    """Return a time argument as ISO 8601: ``today`` and ``yesterday`` are local midnights."""
    days = {"today": 0, "yesterday": 1}.get(text.strip().lower())
    if days is not None:
        midnight = datetime.datetime.combine(datetime.date.today() - datetime.timedelta(days=days),
                                             datetime.time())
        return midnight.astimezone().isoformat()
    if utc_text(text) is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}")
    return text


def _error(message: object) -> None:
    text = " ".join(str(message).split())
    print(f"logprov: error: {text}", file=sys.stderr)


def _show_warning(message: Any, category: type, filename: str, lineno: int,
                  file: Optional[IO[str]] = None, line: Optional[str] = None) -> None:
    text = " ".join(str(message).split())
    print(f"logprov: warning: {text}", file=sys.stderr)


def _progress(args: argparse.Namespace) -> Progress:
    """Return the progress bar of a command: on a terminal, unless ``--quiet``."""
    return Progress(enabled=False if getattr(args, "quiet", False) else None)


def _window(args: argparse.Namespace) -> Window:
    return Window(args.since, args.until, args.session)


def _records(args: argparse.Namespace, counts: dict) -> Iterator[ProvRecord]:
    """Yield the records of the logs that the filters select, counting all records read."""
    stats = ReadStats()
    records = track(iter_records(args.logs, stats=stats), _progress(args), "reading", counts, stats,
                    source_sizes(args.logs))
    return window_records(records, _window(args))


def _first(records: Iterator[ProvRecord], counts: dict, logs: Sequence[str]) -> Iterator[ProvRecord]:
    """Return ``records`` unchanged, after checking that there is at least one."""
    try:
        first = next(records)
    except StopIteration:
        if not counts.get("records"):
            raise LogprovError(f"no provenance records in {', '.join(logs)}") from None
        raise NotFound("no records in the selected time window and sessions") from None
    return itertools.chain([first], records)


def _open(args: argparse.Namespace) -> Provenance:
    provenance = open_provenance(args.logs, args.since, args.until, args.session,
                                 index=not args.no_index, progress=_progress(args))
    if provenance.records == 0:
        provenance.close()
        raise LogprovError(f"no provenance records in {', '.join(args.logs)}")
    return provenance


def _output(path: Optional[str]) -> Any:
    """Return where to write: a file name, or the binary standard output for ``-``."""
    if path is None or path == "-":
        sys.stdout.flush()
        return sys.stdout.buffer
    return path


def _print_lines(lines: Iterable[str], path: Optional[str] = None) -> None:
    if path is None or path == "-":
        for line in lines:
            print(line)
        return
    write_path(path, lambda stream: stream.writelines(f"{line}\n".encode("utf-8", "backslashreplace")
                                                      for line in lines))


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
        from .export import FORMATS

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
    from .export import export_records

    fmt = _format_of(args.output, args.format, "json")
    counts: dict = {}
    records = _first(_records(args, counts), counts, args.logs)
    export_records(records, fmt, _output(args.output))
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


def _focus_records(args: argparse.Namespace, target: str, directions: Sequence[str],
                   depth: Optional[int]) -> tuple[Iterator[ProvRecord], str]:
    """Return the records about the lineage of ``target``, and the id of its first root."""
    if "-" in args.logs:
        raise QueryError("drawing a lineage reads the logs twice: give log files, not standard input")
    with _open(args) as provenance:
        merged = _merge([provenance.lineage(target, direction == "descendants", depth) for direction in directions])
    return lineage_records(iter_records(args.logs), merged), merged.roots[0]


def cmd_graph(args: argparse.Namespace) -> int:
    """Draw the provenance graph, or the lineage of one element."""
    from .export import export_records

    suffix = os.path.splitext(args.output)[1].lower().lstrip(".")
    if suffix not in DRAWINGS:
        raise QueryError(f"cannot tell the drawing format of {args.output!r}: name it .svg, .png, .pdf or .dot")
    options = {"attributes": args.attributes, "parameters": args.parameters, "agents": args.agents,
               "sessions": "cluster" if args.sessions == "box" else args.sessions, "rankdir": args.rankdir}
    if args.entity is not None:
        directions = ("ancestors", "descendants") if args.direction == "both" else (args.direction,)
        records, focus = _focus_records(args, args.entity, directions, args.depth)
        options.update(focus=focus, depth=args.depth, direction=args.direction)
    else:
        counts: dict = {}
        records = _first(_records(args, counts), counts, args.logs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        export_records(records, suffix, _output(args.output), **options)
    for warning in caught:
        _show_warning(_graph_warning(warning.message), warning.category, warning.filename, warning.lineno)
    return FOUND


def _graph_warning(message: Warning) -> object:
    """Return a warning of the drawing in the words of the command line."""
    drawn, total = getattr(message, "drawn", 0), getattr(message, "total", 0)
    if not total:
        return message
    return (f"graph cut to {drawn} of {total} nodes; draw the lineage of one entity with "
            "--entity ID (and --depth N), or narrow the logs with --session, --since or --until")


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
    with _open(args) as provenance:
        matches = provenance.search(
            activity=args.activity, status=args.status, where=where, entity=args.entity,
            location=args.location, role=args.role, type=args.type, file=args.file,
        )
    if args.note is not None:
        from .notes import noted

        activities, sessions = noted(iter_records(args.logs), args.note)
        matches = [m for m in matches if m.activity is not None
                   and (m.activity.id in activities or m.activity.session in sessions)]
    if args.limit is not None:
        matches = matches[: args.limit]
    if not matches:
        print("nothing found", file=sys.stderr)
        return NOT_FOUND
    _print_lines(map(json_line, matches) if args.json else matches_table(matches))
    return FOUND


def cmd_note(args: argparse.Namespace) -> int:
    """Append a timestamped note on a session or an activity to a log."""
    from .notes import append_note

    record = append_note(args.log, args.target, args.text)
    about = f"activity {record['about_activity']}" if "about_activity" in record else f"session {record['in_session']}"
    print(f"note {record['note_id']} on {about} appended to {args.log}")
    return FOUND


def cmd_lineage(args: argparse.Namespace) -> int:
    """Show where an entity comes from, or what was made from it."""
    args.target = args.logs.pop() if len(args.logs) > 1 else args.logs[0]
    fmt = "json" if args.json else args.format
    direction = "descendants" if args.descendants else "ancestors"
    if fmt in DRAWINGS:
        from .export import export_records

        records, focus = _focus_records(args, args.target, (direction,), args.depth)
        export_records(records, fmt, _output(args.output), focus=focus, depth=args.depth,
                       direction=direction, attributes=True)
        return FOUND
    with _open(args) as provenance:
        lineage = provenance.lineage(args.target, descendants=args.descendants, depth=args.depth)
    if fmt == "json":
        _print_lines(map(json_line, lineage.to_dicts()), args.output)
        return FOUND
    lines = lineage_tree(lineage)
    inputs = lineage.inputs()
    if inputs and len(lineage.distance) > 1:
        lines += ["", "inputs (nothing in the logs made them):"]
        lines += [f"  {entity_label(entity)}" for entity in sorted(inputs, key=lambda e: e.id)]
    _print_lines(lines, args.output)
    return FOUND


def cmd_sessions(args: argparse.Namespace) -> int:
    """List the sessions: when, where, by whom, how many activities and failures."""
    with _open(args) as provenance:
        sessions = provenance.sessions()
    if not sessions:
        print("no session", file=sys.stderr)
        return NOT_FOUND
    _print_lines(map(json_line, sessions) if args.json else sessions_table(sessions))
    return FOUND


def cmd_embed(args: argparse.Namespace) -> int:
    """Write the lineage of a product into it: a PROVENANCE extension of a FITS file, datasets
    under /provenance of an HDF5 file, a sidecar PRODUCT.prov.json for any other file."""
    from .products.embed import embed

    done = embed(args.product, args.logs)
    where = done.written if done.written.startswith(("HDU", "/")) else f"sidecar {done.written}"
    print(f"{done.product}: lineage of {done.activities} activities and {done.entities} entities "
          f"({done.size:,} bytes) written to {where}", file=sys.stderr)
    return FOUND


def cmd_validate(args: argparse.Namespace) -> int:
    """Check definition files against the schema of definitions."""
    from .settings.definitions import load_definitions

    status = FOUND
    for path in args.definitions:
        try:
            definitions = load_definitions(path)
        except DefinitionError as exc:
            status = ERROR
            for problem in getattr(exc, "errors", None) or [exc]:
                if args.json:
                    print(json_line({"file": problem.source or path, "line": problem.line,
                                     "path": problem.path, "message": problem.message}))
                else:
                    _error(problem)
            continue
        if args.json:
            print(json_line({"file": path, "valid": True, "activities": len(definitions.activities),
                             "entities": len(definitions.entities)}))
        else:
            print(f"{path}: valid ({len(definitions.activities)} activity descriptions, "
                  f"{len(definitions.entities)} entity descriptions)")
    return status


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


def _term(value: Any, graph: Any) -> str:
    if value is None:
        return ""
    from rdflib import Literal, URIRef

    if isinstance(value, URIRef):
        return value.n3(graph.namespace_manager)
    if isinstance(value, Literal):
        return str(value)
    return value.n3()


def cmd_sparql(args: argparse.Namespace) -> int:
    """Run a SPARQL query over the PROV-O graph of the logs."""
    from .export.rdf import to_graph
    from .model import build_document
    from .query.sparql import isolated, prepare

    query = prepare(_sparql_text(args), _sparql_namespaces())
    counts: dict = {}
    graph = to_graph(build_document(_first(_records(args, counts), counts, args.logs)))
    with isolated():
        result = graph.query(query)
        if result.type == "ASK":
            answer = bool(result.askAnswer)
        elif result.type in ("CONSTRUCT", "DESCRIBE"):
            answer = result.graph.serialize(format="nt" if args.json else "turtle") if len(result.graph) else ""
        else:
            rows = [[_term(value, graph) for value in row] for row in result]
    if result.type == "ASK":
        print(json_line({"ask": answer}) if args.json else str(answer).lower())
        return FOUND if answer else NOT_FOUND
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        if not answer:
            return NOT_FOUND
        sys.stdout.write(answer)
        return FOUND
    names = [str(var) for var in result.vars]
    if not rows:
        print("nothing found", file=sys.stderr)
        return NOT_FOUND
    if args.json:
        _print_lines(json_line(dict(zip(names, row))) for row in rows)
    else:
        _print_lines(table(names, rows))
    return FOUND


def _sparql_namespaces() -> dict:
    from .model.ids import BASE_NAMESPACES

    namespaces = {"prov": "http://www.w3.org/ns/prov#", "xsd": "http://www.w3.org/2001/XMLSchema#",
                  "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                  "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "file": "urn:logprov:file:"}
    namespaces.update({namespace.prefix: namespace.uri for namespace in BASE_NAMESPACES})
    return namespaces


def cmd_index(args: argparse.Namespace) -> int:
    """Build the index of the logs, or bring it up to date."""
    if "-" in args.logs:
        raise QueryError("standard input cannot be indexed")
    with _open(args) as provenance:
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


def cmd_report(args: argparse.Namespace) -> int:
    """Write one self-contained HTML page of the logs: sessions, timeline, graph, activities
    and the lineage of each entity."""
    from .query.snapshot import load
    from .report import write_report

    if not args.output.lower().endswith((".html", ".htm")):
        raise QueryError(f"the report is an HTML page: name it .html, not {args.output!r}")
    snapshot = load(args.logs, _window(args), _progress(args))
    if snapshot.provenance.records == 0:
        raise LogprovError(f"no provenance records in {', '.join(args.logs)}")
    if not snapshot.records:
        raise NotFound("no records in the selected time window and sessions")
    write_path(args.output, lambda stream: write_report(snapshot, stream, max_nodes=args.graph_nodes))
    return FOUND


def cmd_diff(args: argparse.Namespace) -> int:
    """Show what differs between two sessions, products or activities: parameters, inputs and
    outputs (by content), status, code, packages, Python, machine and environment."""
    from .query.diff import compare, comparison_lines, side
    from .query.snapshot import load

    if len(args.logs) < 3:
        raise QueryError("give one or more logs, then the two sessions, products or activities to compare")
    logs, first, second = args.logs[:-2], args.logs[-2], args.logs[-1]
    snapshot = load(logs, _window(args), _progress(args))
    if snapshot.provenance.records == 0:
        raise LogprovError(f"no provenance records in {', '.join(logs)}")
    try:
        comparison = compare(snapshot, side(snapshot, first), side(snapshot, second))
    except NotFound as exc:
        raise QueryError(str(exc)) from None
    if args.json:
        print(json_line(comparison.to_dict()))
    else:
        _print_lines(comparison_lines(comparison))
    return FOUND if comparison.identical else NOT_FOUND


def _logs_options(parser: argparse.ArgumentParser, query: bool = True, metavar: str = "LOG",
                  help_text: str = "log files, glob patterns, .gz files, products with embedded "
                                   "provenance, or - for standard input") -> None:
    parser.add_argument("logs", nargs="+", metavar=metavar, help=help_text)
    parser.add_argument("--since", type=_time, metavar="TIME",
                        help="only activities started at or after TIME (ISO 8601, today, yesterday)")
    parser.add_argument("--until", type=_time, metavar="TIME", help="only activities started at or before TIME")
    parser.add_argument("--session", action="append", metavar="ID",
                        help="only this session (an id or the start of one; repeatable)")
    if query:
        parser.add_argument("--no-index", action="store_true", help="read the logs into memory, without an index")
    _quiet_option(parser)


def _quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar (shown on standard error only when it is a terminal)")


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="write JSON lines (one object per line)")


def _command(subparsers: Any, name: str, run: Callable, help_text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=run.__doc__, epilog=EXAMPLES[name],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(run=run, command_parser=parser)
    return parser


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``logprov`` command and its subcommands."""
    parser = _Parser(prog="logprov", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"logprov {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    export = _command(subparsers, "export", cmd_export, "write the logs as a PROV document")
    _logs_options(export, query=False)
    export.add_argument("-f", "--format", choices=EXPORTS,
                        help="PROV-JSON, PROV-N, PROV-XML, PROV-O (Turtle, JSON-LD, RDF/XML, N-Triples), "
                             "Graphviz DOT or a drawing (default: from the -o extension, else json)")
    export.add_argument("-o", "--output", metavar="OUT", help="output file (default or -: standard output)")

    graph = _command(subparsers, "graph", cmd_graph, "draw the provenance graph")
    _logs_options(graph)
    graph.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="drawing to write: .svg, .png, .pdf or .dot")
    graph.add_argument("--entity", metavar="ID", help="draw only the lineage of this entity (id or file on disk)")
    graph.add_argument("--depth", type=_depth, default=3, metavar="N",
                       help="relations followed from --entity (default 3)")
    graph.add_argument("--direction", choices=("ancestors", "descendants", "both"), default="both",
                       help="side of the lineage of --entity to draw (default both)")
    graph.add_argument("--attributes", action=argparse.BooleanOptionalAction, default=False,
                       help="list the attributes of each element in its node (default: no)")
    graph.add_argument("--parameters", action=argparse.BooleanOptionalAction, default=True,
                       help="list the parameters of each activity in its node (default: yes)")
    graph.add_argument("--agents", action=argparse.BooleanOptionalAction, default=False,
                       help="draw the agents: one per session box (default: no)")
    graph.add_argument("--sessions", choices=("box", "node", "hide"), default="box",
                       help="one box per session (default), sessions as nodes, or neither")
    graph.add_argument("--rankdir", choices=("BT", "TB", "LR", "RL"), default="BT",
                       help="layout direction: BT (default) puts inputs at the top, LR at the left")

    search = _command(subparsers, "search", cmd_search, "find activities and entities")
    _logs_options(search)
    search.add_argument("--activity", metavar="GLOB", help="activity name, or a glob pattern of it")
    search.add_argument("--status", choices=("success", "failed", "incomplete"), help="activity status")
    search.add_argument("--where", action="append", metavar="KEY=VALUE",
                        help="a parameter value (glob pattern; KEY may be a dotted path; repeatable)")
    search.add_argument("--entity", metavar="ID-PREFIX", help="entity id, or the start of one")
    search.add_argument("--location", metavar="GLOB", help="entity location (path or value path), glob pattern")
    search.add_argument("--role", metavar="ROLE", help="role of the usage or generation, glob pattern")
    search.add_argument("--type", metavar="TYPE", help="entity type: File, FileCollection, PythonObject, ...")
    search.add_argument("--file", metavar="PATH", help="the entity with the content of this file")
    search.add_argument("--note", metavar="TEXT",
                        help="only activities with a note holding TEXT, or in a session with one (any case)")
    search.add_argument("--limit", type=_depth, metavar="N", help="show at most N results")
    _json_option(search)

    lineage = _command(subparsers, "lineage", cmd_lineage, "where an entity comes from, or what came of it")
    _logs_options(lineage, metavar="LOG ... TARGET",
                  help_text="log files, glob patterns, .gz files, products or -, then a file on disk, an "
                            "entity or activity id (or its start); a product carrying its provenance, alone, "
                            "is both")
    lineage.add_argument("--descendants", action="store_true", help="what was made from TARGET")
    lineage.add_argument("--depth", type=_depth, metavar="N", help="relations followed (default: all)")
    lineage.add_argument("--format", choices=("tree", "json") + DRAWINGS, default="tree",
                         help="tree (default), JSON lines, or a drawing")
    lineage.add_argument("-o", "--output", metavar="OUT", help="output file (default: standard output)")
    _json_option(lineage)

    note = _command(subparsers, "note", cmd_note, "append a note on a session or an activity to a log")
    note.add_argument("log", metavar="LOG", help="the log file (appended to)")
    note.add_argument("target", metavar="SESSION_OR_ACTIVITY", help="a session or activity id, or its start")
    note.add_argument("text", metavar="TEXT", help="the note")

    sessions = _command(subparsers, "sessions", cmd_sessions, "list the sessions")
    _logs_options(sessions)
    _json_option(sessions)

    embed = _command(subparsers, "embed", cmd_embed, "write the lineage of a product into it")
    embed.add_argument("product", metavar="PRODUCT", help="a FITS, HDF5 or other file the logs know")
    embed.add_argument("logs", nargs="+", metavar="LOG", help="log files, glob patterns, .gz files or products")

    validate = _command(subparsers, "validate", cmd_validate, "check definition files")
    validate.add_argument("definitions", nargs="+", metavar="DEFINITION", help="YAML definition files")
    _json_option(validate)

    sparql = _command(subparsers, "sparql", cmd_sparql, "run a SPARQL query over the PROV-O graph")
    sparql.add_argument("logs", nargs="+", metavar="LOG ... QUERY",
                        help="log files, glob patterns, .gz files or -, then the query (unless --file)")
    sparql.add_argument("--file", metavar="Q.rq", help="read the query from this file")
    sparql.add_argument("--since", type=_time, metavar="TIME", help="only activities started at or after TIME")
    sparql.add_argument("--until", type=_time, metavar="TIME", help="only activities started at or before TIME")
    sparql.add_argument("--session", action="append", metavar="ID", help="only this session (repeatable)")
    _quiet_option(sparql)
    _json_option(sparql)

    report = _command(subparsers, "report", cmd_report, "write an HTML page of the logs")
    _logs_options(report, query=False)
    report.add_argument("-o", "--output", required=True, metavar="OUT.html", help="the page to write")
    report.add_argument("--graph-nodes", type=_depth, default=300, metavar="N",
                        help="largest number of nodes drawn in the graph (default 300)")

    diff = _command(subparsers, "diff", cmd_diff, "what differs between two sessions, products or activities")
    diff.add_argument("logs", nargs="+", metavar="LOG ... A B",
                      help="log files, glob patterns, .gz files or -, then the two things compared: "
                           "session ids (or their start), files on disk or entity ids, activity ids")
    diff.add_argument("--since", type=_time, metavar="TIME", help="only activities started at or after TIME")
    diff.add_argument("--until", type=_time, metavar="TIME", help="only activities started at or before TIME")
    diff.add_argument("--session", action="append", metavar="ID", help="only this session (repeatable)")
    _quiet_option(diff)
    _json_option(diff)

    index = _command(subparsers, "index", cmd_index, "build or update the index of logs")
    index.add_argument("logs", nargs="+", metavar="LOG", help="log files or glob patterns")
    index.set_defaults(since=None, until=None, session=None, no_index=False)
    _quiet_option(index)
    _json_option(index)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``logprov`` command with ``argv`` (default: the process arguments).

    Returns
    -------
    int
        0 when something was found, 1 when nothing was found, 2 for a usage or input error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ERROR
    if args.command is None:
        _error("choose a command; logprov --help lists them")
        return ERROR
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            refuse_inputs(getattr(args, "output", None), getattr(args, "logs", ()))
            status = args.run(args)
            sys.stdout.flush()
            return status
        except NotFound as exc:
            _error(exc)
            return NOT_FOUND
        except (LogprovError, ValueError, OSError, sqlite3.Error) as exc:
            failure = stdout_failure(exc) if isinstance(exc, OSError) else None
            if failure is not None:
                release_stdout()
            _error(failure or exc)
            return ERROR
        except ImportError as exc:
            _error(f"{exc}; install logprov with its export extra (in its checkout: pip install '.[export]')")
            return ERROR
        except KeyboardInterrupt:
            return 130
