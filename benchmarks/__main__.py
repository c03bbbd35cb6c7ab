"""``python -m benchmarks``: run the benchmarks, print the table and write it as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from . import alternatives, files, memory, products, querying, reading, storing, tracing, values, versions
from .calibration import calibrate, calibration_rows
from .profiling import profile_traced_call
from .report import metadata, table, write_json
from .settings import Settings, full, quick

GROUPS = {
    "tracing": tracing.rows,
    "files": files.rows,
    "values": values.rows,
    "logs": reading.rows,
    "memory": memory.rows,
    "products": products.rows,
    "store": storing.rows,
    "alternatives": alternatives.rows,
    "versions": versions.rows,
    "queries": querying.group_rows,
}
OPTIONAL_GROUPS = ("versions", "queries")
"""Groups run only when named with ``--only``."""
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"
GROUP_CALIBRATION = {"calls": 5_000, "repeats": 5}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller inputs (smoke run)")
    parser.add_argument("--only", action="append", choices=sorted(GROUPS), metavar="NAME",
                        help=f"run only this group (repeatable): {', '.join(GROUPS)}; "
                             f"{', '.join(OPTIONAL_GROUPS)} only runs when named")
    parser.add_argument("--baseline", default=Settings.baseline, metavar="REV",
                        help="git revision of logprov compared with this version by the group versions "
                             "(default: HEAD~1)")
    parser.add_argument("--skip-alternatives", action="store_true", help="do not install or run other tools")
    parser.add_argument("--json", default=str(DEFAULT_JSON), metavar="PATH",
                        help="where to write the results (default: benchmarks/results.json)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the traced-call workload instead of running the benchmarks")
    return parser


def selected_groups(args: argparse.Namespace) -> list[str]:
    """Return the groups to run: those of ``--only``, else all but the optional ones; without
    ``alternatives`` when ``--skip-alternatives``."""
    names = args.only or [name for name in GROUPS if name not in OPTIONAL_GROUPS]
    if args.skip_alternatives:
        names = [name for name in names if name != "alternatives"]
    return names


def main(argv: list[str] | None = None) -> int:
    """Run the selected groups and report; return the exit status."""
    args = _parser().parse_args(argv)
    if args.profile:
        print(profile_traced_call(calls=1_000 if args.quick else 5_000))
        return 0
    settings = dataclasses.replace(quick() if args.quick else full(), baseline=args.baseline)
    names = selected_groups(args)
    started = time.perf_counter()
    first = calibrate(**settings.calibration)
    calibrations = [{"before": "start", **first.to_dict()}]
    rows = calibration_rows(first)
    for name in names:
        group_start = time.perf_counter()
        before = calibrate(**GROUP_CALIBRATION)
        calibrations.append({"before": name, **before.to_dict()})
        print(f"[{name}] running (machine speed ratio {before.ratio:.2f})", file=sys.stderr, flush=True)
        found = GROUPS[name](settings)
        for row in found:
            row.scale = before.ratio
        rows += found
        print(f"[{name}] {time.perf_counter() - group_start:.0f} s", file=sys.stderr, flush=True)
    last = calibrate(**settings.calibration)
    calibrations.append({"before": "end", **last.to_dict()})
    elapsed = time.perf_counter() - started
    ratios = [entry["ratio"] for entry in calibrations]
    print(table(rows))
    print("\nmachine speed vs reference (calibration before each group and at the end): "
          + ", ".join(f"{entry['before']} {entry['ratio']:.2f}" for entry in calibrations)
          + f"; range {min(ratios):.2f}–{max(ratios):.2f}")
    print(f"total time {elapsed:.0f} s; results written to {args.json}")
    meta = metadata(settings.quick, sys.argv)
    meta["seconds"] = elapsed
    write_json(args.json, meta, calibrations, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
