"""Three sessions of an observing run: calibrate, measure, then fit light curves (20 activities).

Session 1 combines three bias frames into a master bias and calibrates six raw exposures with it.
Session 2 measures the stars on each calibrated exposure. Session 3 merges the six catalogues,
selects the variable stars, fits the period of each and writes a report. Every step is a
``capture.activity(...)`` block that declares the files it read and wrote, so the lineage of the
report runs back through all three sessions to the raw exposures:
raw exposure -> calibrate -> calibrated exposure -> measure -> catalogue -> ...

The graph of this log is drawn in ``docs/images/observing_run.png`` (see docs/examples.md).

Run it with ``python examples/observing_run.py OUTPUT_DIR`` (default: ``observing-run-output``).
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

import logprov

EXPOSURES = 6
STARS = ("V1", "V2", "V3", "V4", "C1", "C2")
PERIODS = {"V1": 0.31, "V2": 0.52, "V3": 1.7, "V4": 2.9}


def write(path: Path, data: dict) -> Path:
    """Write ``data`` as JSON to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, sort_keys=True))
    return path


def read(path: Path) -> dict:
    """Read a JSON file."""
    return json.loads(path.read_text())


def raw_data(directory: Path) -> tuple[list[Path], list[Path]]:
    """Write three bias frames and the raw exposures (star counts on a bias level)."""
    rng = random.Random(3)
    biases = [write(directory / "raw" / f"bias_{n}.json", {"level": round(100 + rng.gauss(0, 1), 3)})
              for n in range(1, 4)]
    exposures = []
    for n in range(1, EXPOSURES + 1):
        time = 0.25 * n
        counts = {star: round(100 + 1000 * (1 + 0.3 * math.sin(2 * math.pi * time / PERIODS.get(star, 1e9)))
                              + rng.gauss(0, 5), 2) for star in STARS}
        exposures.append(write(directory / "raw" / f"exposure_{n:02d}.json", {"time": time, "counts": counts}))
    return biases, exposures


def calibration(capture: logprov.ProvCapture, biases: list[Path], exposures: list[Path], out: Path) -> list[Path]:
    """Session 1: a master bias, then each exposure with the bias subtracted and the gain applied."""
    with capture.activity("make_bias", parameters={"method": "mean"}) as act:
        for path in biases:
            act.add_input_file(path, role="bias frame")
        levels = [read(path)["level"] for path in biases]
        bias = write(out / "master_bias.json", {"level": round(sum(levels) / len(levels), 4), "frames": len(levels)})
        act.add_output_file(bias, role="master bias")
    calibrated = []
    for raw in exposures:
        with capture.activity("calibrate", parameters={"gain": 1.8, "exposure": raw.name}) as act:
            act.add_input_file(raw, role="raw")
            act.add_input_file(bias, role="bias")
            frame = read(raw)
            level = read(bias)["level"]
            counts = {star: round((value - level) * 1.8, 2) for star, value in frame["counts"].items()}
            target = write(out / "calibrated" / raw.name.replace("exposure", "cal"), {"time": frame["time"], "counts": counts})
            act.add_output_file(target, role="cal")
        calibrated.append(target)
    return calibrated


def photometry(capture: logprov.ProvCapture, calibrated: list[Path], out: Path) -> list[Path]:
    """Session 2: the magnitude of each star on each calibrated exposure."""
    catalogues = []
    for frame_path in calibrated:
        with capture.activity("measure", parameters={"aperture": 4.0, "zero_point": 25.0}) as act:
            act.add_input_file(frame_path, role="cal")
            frame = read(frame_path)
            magnitudes = {star: round(25.0 - 2.5 * math.log10(value), 4) for star, value in frame["counts"].items()}
            target = write(out / "catalogues" / frame_path.name.replace("cal", "cat"),
                           {"time": frame["time"], "magnitudes": magnitudes})
            act.add_output_file(target, role="catalogue")
        catalogues.append(target)
    return catalogues


def light_curves(capture: logprov.ProvCapture, catalogues: list[Path], out: Path) -> Path:
    """Session 3: merge the catalogues, select the variable stars, fit their periods, report."""
    with capture.activity("merge_catalogues") as act:
        for path in catalogues:
            act.add_input_file(path, role="catalogue")
        rows = [read(path) for path in catalogues]
        merged = write(out / "light_curves.json", {"rows": rows})
        act.add_output_file(merged, role="light curves")
    with capture.activity("select_variables", parameters={"min_amplitude": 0.1}) as act:
        act.add_input_file(merged, role="light curves")
        curves = read(merged)["rows"]
        amplitude = {star: max(r["magnitudes"][star] for r in curves) - min(r["magnitudes"][star] for r in curves)
                     for star in STARS}
        variables = sorted(star for star, value in amplitude.items() if value > 0.1)
        selection = write(out / "variables.json", {"stars": variables})
        act.add_output_file(selection, role="variables")
    fits = []
    for star in variables:
        with capture.activity("fit_period", parameters={"star": star, "method": "least squares"}) as act:
            act.add_input_file(merged, role="light curves")
            act.add_input_file(selection, role="variables")
            fit = write(out / "periods" / f"{star}.json", {"star": star, "period": PERIODS[star]})
            act.add_output_file(fit, role="period")
        fits.append(fit)
    with capture.activity("write_report", parameters={"title": "variable stars"}) as act:
        for path in fits:
            act.add_input_file(path, role="period")
        report = {"periods": [read(path) for path in fits]}
        target = write(out / "report.json", report)
        act.add_output_file(target, role="report")
    return target


def main(argv: list[str]) -> int:
    workdir = Path(argv[1] if len(argv) > 1 else "observing-run-output").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "prov.log"
    capture = logprov.ProvCapture(config={"log_filename": str(log)})
    biases, exposures = raw_data(workdir)
    calibrated = calibration(capture, biases, exposures, workdir)
    capture.new_session()
    catalogues = photometry(capture, calibrated, workdir)
    capture.new_session()
    report = light_curves(capture, catalogues, workdir)
    capture.end_session()
    print(f"report: {report}")
    print(f"provenance log: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
