"""The ``load`` command: logs into a shared store."""

from __future__ import annotations

import argparse

from ..query.render import json_line
from ..store import load
from .console import FOUND, print_lines
from .inputs import progress

__all__ = ["cmd_load"]


def cmd_load(args: argparse.Namespace) -> int:
    """Load logs into a store: what it holds already is not loaded again."""
    done = load(args.logs, args.store, progress(args))
    if args.json:
        print_lines(json_line({"file": found.path, "state": found.state, "records": found.records})
                    for found in done)
        return FOUND
    total = sum(found.records for found in done)
    lines = [f"{found.path}: {found.records:,} records loaded" if found.state == "loaded"
             else f"{found.path}: {'nothing new' if found.state == 'unchanged' else 'no complete line yet'}"
             for found in done]
    files = len(done)
    lines.append(f"{total:,} records from {files} file{'s' * (files != 1)} into {_shown(args.store)}")
    print_lines(lines)
    return FOUND


def _shown(address: str) -> str:
    from ..store.location import parse_location

    return str(parse_location(address))
