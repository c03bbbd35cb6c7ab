"""A small photometry pipeline made of plain functions traced with ``@capture.trace``.

No definitions file is used: logprov logs each call as an activity, its scalar arguments as
parameters, its other arguments as used Python values and its return value as a generated
one. The functions that read or write files declare those files with
``capture.add_input_file`` and ``capture.add_output_file``, so that the files are identified
by the SHA-256 digest of their content.

The pipeline:

1. ``load_catalogue`` reads a CSV catalogue of sources (counts and exposure times);
2. ``calibrate`` turns counts into magnitudes with a zero point and an extinction correction;
3. ``select_sources`` keeps the bright sources with a good signal-to-noise ratio;
4. ``write_result`` writes the selected sources to a CSV file;

``run_pipeline`` calls the four steps, so each of them is logged as an activity informed by the
``run_pipeline`` activity.

Run it with ``python examples/function_pipeline.py OUTPUT_DIR``; it writes the input
catalogue, the result and the provenance log ``prov.log`` into OUTPUT_DIR (default:
``pipeline-output``) and prints where they are.
"""

from __future__ import annotations

import csv
import math
import random
import sys
from pathlib import Path

import logprov

OUTPUT = Path(sys.argv[1] if len(sys.argv) > 1 else "pipeline-output").resolve()
OUTPUT.mkdir(parents=True, exist_ok=True)
LOG = OUTPUT / "prov.log"

# The capture must exist before the functions below are decorated with it. With the
# process-wide default capture, the same reads: capture = logprov.configure(config=...) and
# @logprov.trace.
capture = logprov.ProvCapture(config={"log_filename": str(LOG)})


def make_catalogue(path: Path, count: int = 40, seed: int = 3) -> Path:
    """Write a catalogue of ``count`` sources with random counts (not traced: it stands for
    the instrument that produced the data)."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["source_id", "ra", "dec", "counts", "background", "exptime"])
        for number in range(count):
            writer.writerow([
                f"S{number:03d}",
                round(rng.uniform(83.0, 84.0), 5),
                round(rng.uniform(21.5, 22.5), 5),
                round(10 ** rng.uniform(1.5, 5.0), 1),
                round(rng.uniform(5.0, 50.0), 1),
                30.0,
            ])
    return path


@capture.trace
def load_catalogue(path: str) -> list:
    """Read the catalogue into a list of dictionaries."""
    capture.add_input_file(path, role="catalogue")
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [
        {
            "source_id": row["source_id"],
            "ra": float(row["ra"]),
            "dec": float(row["dec"]),
            "counts": float(row["counts"]),
            "background": float(row["background"]),
            "exptime": float(row["exptime"]),
        }
        for row in rows
    ]


@capture.trace
def calibrate(sources: list, zero_point: float = 25.0, extinction: float = 0.15, airmass: float = 1.0) -> list:
    """Return the sources with an instrumental magnitude and a signal-to-noise ratio."""
    calibrated = []
    for source in sources:
        net = max(source["counts"] - source["background"], 1e-3)
        magnitude = zero_point - 2.5 * math.log10(net / source["exptime"]) - extinction * airmass
        snr = net / math.sqrt(source["counts"] + source["background"])
        calibrated.append({**source, "mag": round(magnitude, 3), "snr": round(snr, 2)})
    return calibrated


@capture.trace
def select_sources(sources: list, max_mag: float = 22.0, min_snr: float = 5.0) -> list:
    """Keep the sources brighter than ``max_mag`` with a signal-to-noise ratio above ``min_snr``."""
    return [s for s in sources if s["mag"] <= max_mag and s["snr"] >= min_snr]


@capture.trace
def write_result(sources: list, path: str) -> str:
    """Write the selected sources to a CSV file and return its path."""
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["source_id", "ra", "dec", "mag", "snr"])
        for source in sources:
            writer.writerow([source["source_id"], source["ra"], source["dec"], source["mag"], source["snr"]])
    capture.add_output_file(path, role="selected sources")
    return path


@capture.trace
def run_pipeline(catalogue: str, result: str, zero_point: float, max_mag: float) -> int:
    """Run the four steps; return the number of selected sources."""
    sources = load_catalogue(catalogue)
    calibrated = calibrate(sources, zero_point=zero_point, airmass=1.2)
    selected = select_sources(calibrated, max_mag=max_mag)
    write_result(selected, result)
    return len(selected)


def main() -> int:
    catalogue = make_catalogue(OUTPUT / "catalogue.csv")
    result = OUTPUT / "selected.csv"
    count = run_pipeline(str(catalogue), str(result), zero_point=24.6, max_mag=21.0)
    capture.end_session()
    print(f"selected {count} sources: {result}")
    print(f"provenance log: {LOG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
