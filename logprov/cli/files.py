"""The commands about the user's files rather than a query: ``note`` (append a note to a log),
``embed`` (write a lineage into a product) and ``validate`` (check definition files)."""

from __future__ import annotations

import argparse
import sys

from ..errors import DefinitionError
from ..query.render import json_line
from .console import ERROR, FOUND, error
from ..records.keys import ABOUT_ACTIVITY, IN_SESSION, NOTE_ID

__all__ = ["cmd_note", "cmd_embed", "cmd_validate"]


def cmd_note(args: argparse.Namespace) -> int:
    """Append a timestamped note on a session or an activity to a log."""
    from ..notes import append_note

    record = append_note(args.log, args.target, args.text)
    about = f"activity {record[ABOUT_ACTIVITY]}" if ABOUT_ACTIVITY in record else f"session {record[IN_SESSION]}"
    print(f"note {record[NOTE_ID]} on {about} appended to {args.log}")
    return FOUND


def cmd_embed(args: argparse.Namespace) -> int:
    """Write the lineage of a product into it."""
    from ..products.embed import embed

    done = embed(args.product, args.logs)
    where = done.written if done.written.startswith(("HDU", "/")) else f"sidecar {done.written}"
    print(f"{done.product}: lineage of {done.activities} activities and {done.entities} entities "
          f"({done.size:,} bytes) written to {where}", file=sys.stderr)
    return FOUND


def cmd_validate(args: argparse.Namespace) -> int:
    """Check definition files against the schema of definitions."""
    from ..settings.definitions import load_definitions

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
                    error(problem)
            continue
        if args.json:
            print(json_line({"file": path, "valid": True, "activities": len(definitions.activities),
                             "entities": len(definitions.entities)}))
        else:
            print(f"{path}: valid ({len(definitions.activities)} activity descriptions, "
                  f"{len(definitions.entities)} entity descriptions)")
    return status
