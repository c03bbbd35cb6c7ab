"""The parser of the ``logprov`` command and of its subcommands."""

from __future__ import annotations

import argparse
import datetime
from typing import Any, Callable

from .. import __version__
from ..export.graphoptions import MAX_NODES
from ..query.window import utc_text
from .console import ERROR
from .console import error as print_error
from .documents import DRAWINGS, EXPORTS, cmd_export, cmd_graph, cmd_report
from .files import cmd_embed, cmd_note, cmd_validate
from .loading import cmd_load
from .help import DESCRIPTION, DESCRIPTIONS, EXAMPLES, SUMMARIES
from .queries import cmd_diff, cmd_index, cmd_lineage, cmd_search, cmd_sessions, cmd_sparql

__all__ = ["build_parser"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on standard error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print_error(f"{self.prog}: {message} (see {self.prog} --help)")
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


def _logs_options(parser: argparse.ArgumentParser, query: bool = True, metavar: str = "LOG",
                  help_text: str = "log files, glob patterns, .gz files, products with embedded "
                                   "provenance, or - for standard input", store: bool = False) -> None:
    parser.add_argument("logs", nargs="*" if store and metavar == "LOG" else "+", metavar=metavar, help=help_text)
    if store:
        parser.add_argument("--store", metavar="URL",
                            help="read this store instead of logs: an SQLite file (a path or sqlite:///path) "
                                 "or postgresql://user@host:port/db")
    _window_options(parser)
    if query:
        parser.add_argument("--no-index", action="store_true", help="read the logs into memory, without an index")
    _quiet_option(parser)


def _window_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--since``, ``--until`` and ``--session``, the window of `logprov.cli.inputs.window`."""
    parser.add_argument("--since", type=_time, metavar="TIME",
                        help="only activities started at or after TIME (ISO 8601, today, yesterday)")
    parser.add_argument("--until", type=_time, metavar="TIME", help="only activities started at or before TIME")
    parser.add_argument("--session", action="append", metavar="ID",
                        help="only this session (an id or the start of one; repeatable)")


def _quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar (shown on standard error only when it is a terminal)")


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="write JSON lines (one object per line)")


def _command(subparsers: Any, name: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=SUMMARIES[name], description=DESCRIPTIONS[name],
                                   epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter)
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


def _positive(text: str) -> int:
    value = _depth(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``logprov`` command and its subcommands."""
    parser = _Parser(prog="logprov", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"logprov {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    export = _command(subparsers, "export", cmd_export)
    _logs_options(export, query=False, store=True)
    export.add_argument("-f", "--format", choices=EXPORTS,
                        help="PROV-JSON, PROV-N, PROV-XML, PROV-O (Turtle, JSON-LD, RDF/XML, N-Triples), "
                             "Graphviz DOT or a drawing (default: from the -o extension, else json)")
    export.add_argument("-o", "--output", metavar="OUT", help="output file (default or -: standard output)")

    graph = _command(subparsers, "graph", cmd_graph)
    _logs_options(graph, store=True)
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
    graph.add_argument("--max-nodes", type=_positive, default=MAX_NODES, metavar="N",
                       help=f"largest number of nodes drawn (default {MAX_NODES}); a larger graph is cut to its "
                            "first activities, each with its entities, with a note that says what was drawn")

    search = _command(subparsers, "search", cmd_search)
    _logs_options(search, store=True)
    search.add_argument("--job", metavar="ID", help="only the sessions of this batch-system job id")
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

    lineage = _command(subparsers, "lineage", cmd_lineage)
    _logs_options(lineage, metavar="LOG ... TARGET",
                  help_text="log files, glob patterns, .gz files, products or -, then a file on disk, an "
                            "entity or activity id (or its start); a product carrying its provenance, alone, "
                            "is both; with --store, only the target", store=True)
    lineage.add_argument("--descendants", action="store_true", help="what was made from TARGET")
    lineage.add_argument("--depth", type=_depth, metavar="N", help="relations followed (default: all)")
    lineage.add_argument("--format", choices=("tree", "json") + DRAWINGS, default="tree",
                         help="tree (default), JSON lines, or a drawing")
    lineage.add_argument("-o", "--output", metavar="OUT", help="output file (default: standard output)")
    _json_option(lineage)

    note = _command(subparsers, "note", cmd_note)
    note.add_argument("log", metavar="LOG", help="the log file (appended to)")
    note.add_argument("target", metavar="SESSION_OR_ACTIVITY", help="a session or activity id, or its start")
    note.add_argument("text", metavar="TEXT", help="the note")

    sessions = _command(subparsers, "sessions", cmd_sessions)
    _logs_options(sessions, store=True)
    sessions.add_argument("--job", metavar="ID", help="only the sessions of this batch-system job id")
    _json_option(sessions)

    embed = _command(subparsers, "embed", cmd_embed)
    embed.add_argument("product", metavar="PRODUCT", help="a FITS, HDF5 or other file the logs know")
    embed.add_argument("logs", nargs="+", metavar="LOG", help="log files, glob patterns, .gz files or products")

    validate = _command(subparsers, "validate", cmd_validate)
    validate.add_argument("definitions", nargs="+", metavar="DEFINITION", help="YAML definition files")
    _json_option(validate)

    sparql = _command(subparsers, "sparql", cmd_sparql)
    sparql.add_argument("logs", nargs="+", metavar="LOG ... QUERY",
                        help="log files, glob patterns, .gz files or -, then the query (unless --file)")
    sparql.add_argument("--file", metavar="Q.rq", help="read the query from this file")
    _window_options(sparql)
    _quiet_option(sparql)
    _json_option(sparql)

    report = _command(subparsers, "report", cmd_report)
    _logs_options(report, query=False)
    report.add_argument("-o", "--output", required=True, metavar="OUT.html", help="the page to write")
    report.add_argument("--graph-nodes", type=_depth, default=300, metavar="N",
                        help="largest number of nodes drawn in the graph (default 300)")

    diff = _command(subparsers, "diff", cmd_diff)
    diff.add_argument("logs", nargs="+", metavar="LOG ... A B",
                      help="log files, glob patterns, .gz files or -, then the two things compared: "
                           "session ids (or their start), files on disk or entity ids, activity ids")
    _window_options(diff)
    _quiet_option(diff)
    _json_option(diff)

    load = _command(subparsers, "load", cmd_load)
    load.add_argument("logs", nargs="+", metavar="LOG", help="log files, glob patterns, .gz files or products")
    load.add_argument("--store", required=True, metavar="URL",
                      help="the store: an SQLite file (a path or sqlite:///path) or postgresql://user@host:port/db")
    _quiet_option(load)
    _json_option(load)

    index = _command(subparsers, "index", cmd_index)
    index.add_argument("logs", nargs="+", metavar="LOG", help="log files or glob patterns")
    index.set_defaults(since=None, until=None, session=None, no_index=False)
    _quiet_option(index)
    _json_option(index)
    return parser
