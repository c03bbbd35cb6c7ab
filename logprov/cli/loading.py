"""The ``load`` command: logs into a shared store."""

from __future__ import annotations

import argparse
from typing import Sequence

from ..query.render import json_line
from ..store import load
from ..store.loader import Loaded
from .console import FOUND, print_lines
from .inputs import progress

__all__ = ["cmd_load", "summary"]


def cmd_load(args: argparse.Namespace) -> int:
    """Load logs into a store: what it holds already is not loaded again."""
    done = load(args.logs, args.store, progress(args))
    if args.json:
        print_lines(json_line({"file": found.path, "state": found.state, "records": found.records,
                               "skipped": found.skipped})
                    for found in done)
        return FOUND
    print_lines(summary(done, _shown(args.store)))
    return FOUND


def summary(done: Sequence[Loaded], store: str) -> list[str]:
    """Return the lines telling what loading did: one line per log when there are several,
    then the total, which names the log when there is one; each log with unreadable lines says
    how many were skipped."""
    total = sum(found.records for found in done)
    if len(done) == 1:
        found = done[0]
        state = "" if found.state == "loaded" else f" ({_state(found)})"
        return [f"{total:,} records from {found.path} into {store}{state}{_skipped(found)}"]
    lines = [f"{found.path}: {_state(found)}{_skipped(found)}" for found in done]
    lines.append(f"{total:,} records from {len(done)} files into {store}")
    return lines


def _state(found: Loaded) -> str:
    if found.state == "loaded":
        return f"{found.records:,} records loaded"
    return "nothing new" if found.state == "unchanged" else "no complete line yet"


def _skipped(found: Loaded) -> str:
    if not found.skipped:
        return ""
    lines = "line" if found.skipped == 1 else "lines"
    return f", {found.skipped:,} unreadable {lines} skipped (see warnings)"


def _shown(address: str) -> str:
    from ..store.location import parse_location

    return str(parse_location(address))
