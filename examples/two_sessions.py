"""Two processes, one provenance log: a file written in one session and read in another.

Session 1 (this process) reduces an event list to a counts spectrum and writes it to a file.
It then starts session 2 (the same script in a second process, with the argument ``--fit``),
which reads that file, fits a power law and writes the final product. Both processes append to
the same log. Because files are identified by the digest of their content
(``file:<sha256>``), the spectrum file generated in session 1 and the file used in session 2
are one and the same entity: the lineage of the final product runs through both sessions.

The two traced functions take and return file paths. A small definitions mapping tells logprov
that the paths name files (``type: File``): the argument ``args.events_file`` is a used file,
and the returned path (``result``) a generated one.

Run it with ``python examples/two_sessions.py OUTPUT_DIR`` (default: ``two-sessions-output``).
It ends by printing the lineage of the final product with ``logprov lineage``, which follows
it back through both sessions to the event list.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import subprocess
import sys
from pathlib import Path

import logprov

DEFINITIONS = {
    "activities": {
        "reduce_events": {
            "description": "Bin the event energies into a counts spectrum",
            "parameters": [
                {"name": "energy bins", "value": "args.edges", "unit": "TeV"},
            ],
            "usage": [{"role": "event list", "entityType": "EventList", "location": "args.events_file"}],
            "generation": [{"role": "counts spectrum", "entityType": "Spectrum", "location": "result"}],
        },
        "fit_spectrum": {
            "description": "Fit a power law to the counts spectrum",
            "usage": [{"role": "counts spectrum", "entityType": "Spectrum", "location": "args.spectrum_file"}],
            "generation": [{"role": "fit result", "entityType": "FitResult", "location": "result"}],
        },
    },
    "entities": {
        "EventList": {"type": "File", "contentType": "application/json", "description": "Event energies in TeV"},
        "Spectrum": {"type": "File", "contentType": "application/json", "description": "Counts per energy bin"},
        "FitResult": {"type": "File", "contentType": "application/json", "description": "Best-fit power law"},
    },
}

OUTPUT = Path(sys.argv[1] if len(sys.argv) > 1 else "two-sessions-output").resolve()
OUTPUT.mkdir(parents=True, exist_ok=True)
LOG = OUTPUT / "prov.log"

capture = logprov.ProvCapture(
    definitions=DEFINITIONS,
    config={"log_filename": str(LOG), "log_returned_result": False},
)


@capture.trace
def reduce_events(events_file: str, edges: list, output: str) -> str:
    """Count the events in each energy bin; write the spectrum and return its path."""
    energies = json.loads(Path(events_file).read_text())["energies"]
    counts = [sum(1 for e in energies if low <= e < high) for low, high in zip(edges[:-1], edges[1:])]
    Path(output).write_text(json.dumps({"edges": edges, "counts": counts}))
    return output


@capture.trace
def fit_spectrum(spectrum_file: str, output: str) -> str:
    """Fit log(counts) against log(energy); write the spectral index and return the path."""
    spectrum = json.loads(Path(spectrum_file).read_text())
    edges, counts = spectrum["edges"], spectrum["counts"]
    points = [
        (math.log(math.sqrt(low * high)), math.log(count))
        for low, high, count in zip(edges[:-1], edges[1:], counts)
        if count > 0
    ]
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    Path(output).write_text(json.dumps({"model": "power law", "index": round(1 - slope, 3)}))
    return output


def session_one() -> Path:
    """Write the event list, reduce it, then run session 2 in a second process."""
    rng = random.Random(11)
    events = OUTPUT / "events.json"
    events.write_text(json.dumps({"energies": [round(0.3 * math.exp(rng.expovariate(1.4)), 4) for _ in range(2000)]}))
    reduce_events(str(events), [0.3, 0.6, 1.2, 2.4, 4.8, 9.6], str(OUTPUT / "spectrum.json"))
    capture.end_session()
    subprocess.run([sys.executable, __file__, str(OUTPUT), "--fit"], check=True)
    return OUTPUT / "fit_result.json"


def session_two() -> None:
    """Read the spectrum written by session 1 and write the final product."""
    fit_spectrum(str(OUTPUT / "spectrum.json"), str(OUTPUT / "fit_result.json"))
    capture.end_session()


def show_lineage(product: Path) -> int:
    """Print the lineage of ``product`` with the ``logprov lineage`` command."""
    from logprov.cli import main as logprov_command

    product_id = "file:" + hashlib.sha256(product.read_bytes()).hexdigest()
    print(f"final product: {product}")
    print(f"entity id:     {product_id}")
    print(f"provenance log: {LOG}")
    print()
    print("Lineage computed with the command line (the path of the product works too):")
    print(f"$ logprov lineage {LOG} {product_id} --no-index")
    return logprov_command(["lineage", str(LOG), product_id, "--no-index"])


def main(argv: list[str]) -> int:
    if "--fit" in argv:
        session_two()
        return 0
    product = session_one()
    return show_lineage(product)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
