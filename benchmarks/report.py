"""The results table, and the same as JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from .rows import Row, format_number

__all__ = ["table", "metadata", "write_json"]

_HEADERS = ("what", "measured median", "min–max", "target", "verdict", "at ref. speed")


def _cells(row: Row) -> tuple:
    scaled = row.scaled_median
    at_reference = ""
    if scaled is not None and row.status == "measured":
        shown = format_number(scaled) if row.higher_is_better else f"{scaled:.3g}"
        at_reference = f"{shown} {row.unit}"
    return (row.what, row.measured, row.spread, row.target, row.verdict, at_reference)


def table(rows: Sequence[Row]) -> str:
    """Return the rows as a text table, grouped, followed by the notes of the rows."""
    cells = [_cells(row) for row in rows]
    widths = [max(len(header), *(len(cell[i]) for cell in cells)) for i, header in enumerate(_HEADERS)]
    widths[0] = min(widths[0], 96)

    def line(values: Sequence[str]) -> str:
        parts = [values[0][: widths[0]].ljust(widths[0])]
        parts += [value.rjust(width) if i in (1, 2) else value.ljust(width)
                  for i, (value, width) in enumerate(zip(values[1:], widths[1:]), 1)]
        return " | ".join(parts).rstrip()

    out = [line(_HEADERS), "-+-".join("-" * width for width in widths)]
    notes = []
    group = None
    for row, values in zip(rows, cells):
        if row.group != group:
            group = row.group
            out.append(f"[{group}]")
        label = values[0]
        if row.note:
            notes.append(row.note)
            label = f"{label} ({len(notes)})"
            if len(label) > widths[0]:
                label = values[0][: widths[0] - len(f" ({len(notes)})") - 1] + f"… ({len(notes)})"
        out.append(line((label,) + values[1:]))
    out.append("")
    out += [f"({number}) {note}" for number, note in enumerate(notes, 1)]
    return "\n".join(out)


def _git_commit(folder: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def metadata(quick: bool, argv: Sequence[str]) -> dict:
    """Describe this run: machine, interpreter, logprov version and commit, options."""
    try:
        import logprov

        version = logprov.__version__
    except ImportError:
        version = None
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": list(argv),
        "quick": quick,
        "python": sys.version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "logprov_version": version,
        "logprov_commit": _git_commit(Path(__file__).resolve().parent.parent),
    }


def write_json(path: str | os.PathLike, meta: dict, calibrations: list, rows: Sequence[Row]) -> None:
    """Write the results as JSON for comparisons between versions."""
    data = {"meta": meta, "calibrations": calibrations, "rows": [row.to_dict() for row in rows]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
