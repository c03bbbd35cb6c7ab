"""Draw the provenance graphs of the examples into docs/images (SVG and PNG).

Run ``python docs/make_images.py`` after a change that alters the graphs; ``--output DIR`` writes
elsewhere. Each example runs in a temporary directory; its log is read back and drawn with the
default graph options.

``observing_run_before.png`` is not redrawn: it is the same log as ``observing_run.png`` drawn
with the graph options of before the drawings were made readable (agents with an edge to each
activity, parameters as nodes, attributes listed, files outside the session boxes), at 36 dpi
instead of 96 (at 96 dpi it is 8532 x 2600 pixels).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("analysis_session", "function_pipeline", "manual_activities", "two_sessions", "observing_run")


def draw(example: str, output: Path, workdir: Path) -> list[Path]:
    """Run one example in ``workdir`` and draw its log as ``output/<example>.svg`` and ``.png``."""
    from logprov.export import export
    from logprov.model import build_document
    from logprov.reading.reader import iter_records

    run_dir = workdir / example
    subprocess.run([sys.executable, str(ROOT / "examples" / f"{example}.py"), str(run_dir)],
                   check=True, capture_output=True, cwd=workdir)
    logs = sorted(run_dir.rglob("*.log"))
    document = build_document(iter_records([str(log) for log in logs]))
    written = []
    for fmt in ("svg", "png"):
        target = output / f"{example}.{fmt}"
        export(document, fmt, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Draw every example."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        for example in EXAMPLES:
            for path in draw(example, args.output, Path(workdir)):
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
