"""The ``logprov`` command: export, draw, search and trace the provenance held by logs.

Exit status: 0 when something was found (or done), 1 when nothing was found, 2 for a usage
or input error, 141 when standard output was closed early (quietly). Errors are one line on
standard error.

The parser is in `logprov.cli.parser`, its texts in `logprov.cli.help`, and the commands in
`logprov.cli.documents` (export, graph, report), `logprov.cli.queries` (search, lineage,
sessions, sparql, diff, index) and `logprov.cli.files` (note, embed, validate).
"""

from .run import main

__all__ = ["main"]
