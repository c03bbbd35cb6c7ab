"""Log the steps of a file-based calibration script with ``capture.activity(...)`` blocks.

Some code is not a function one can decorate: a loop body in a script, a call to an external
tool, a few lines that read and write files. A ``with capture.activity(name, parameters=...)``
block logs such code as one activity. Inside the block, the script declares what it read and
wrote:

* ``act.add_input_file(path, role=...)`` and ``act.add_output_file(path, role=...)`` for files
  (identified by the SHA-256 digest of their content);
* ``act.use(value, role=...)`` and ``act.generate(value, role=...)`` for Python values
  (identified by a digest of the value).

The script below calibrates raw exposures: each raw file is bias-subtracted and multiplied
by a gain, and written as a calibrated file. One raw file is corrupt: its calibration raises
an exception, which the script catches to go on with the others. That activity is logged with
``"status": "failed"`` and the exception type and message. Finally the calibrated exposures
are averaged into one stacked image.

Run it with ``python examples/manual_activities.py OUTPUT_DIR`` (default:
``calibration-output``).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import logprov

GAIN = 1.8
BIAS_LEVEL = 100.0
SHAPE = (8, 8)


def make_raw_data(directory: Path) -> tuple[Path, list[Path]]:
    """Write a bias frame and four raw exposures, one of them truncated (corrupt)."""
    rng = random.Random(7)
    raw_dir = directory / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    bias = raw_dir / "bias.json"
    bias.write_text(json.dumps({
        "kind": "bias",
        "pixels": [[round(BIAS_LEVEL + rng.gauss(0, 2), 2) for _ in range(SHAPE[1])] for _ in range(SHAPE[0])],
    }))
    exposures = []
    for number in range(1, 5):
        path = raw_dir / f"exposure_{number:02d}.json"
        pixels = [[round(BIAS_LEVEL + rng.expovariate(1 / 50), 2) for _ in range(SHAPE[1])] for _ in range(SHAPE[0])]
        text = json.dumps({"kind": "science", "exptime": 60.0, "pixels": pixels})
        if number == 3:
            text = text[: len(text) // 2]  # a transfer that stopped half-way
        path.write_text(text)
        exposures.append(path)
    return bias, exposures


def read_frame(path: Path) -> dict:
    """Read a frame; raise ValueError for a corrupt file."""
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name} is corrupt: {exc.msg} at character {exc.pos}") from None


def calibrate_all(capture: logprov.ProvCapture, bias: Path, exposures: list[Path], out_dir: Path) -> list[Path]:
    """Calibrate each exposure in its own activity; skip (and log) the ones that fail."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bias_pixels = read_frame(bias)["pixels"]
    calibrated = []
    for raw in exposures:
        target = out_dir / raw.name.replace("exposure", "calibrated")
        try:
            with capture.activity("calibrate_exposure", parameters={"gain": GAIN, "exposure": raw.name}) as act:
                act.add_input_file(raw, role="raw exposure")
                act.add_input_file(bias, role="bias frame")
                frame = read_frame(raw)  # raises ValueError for the corrupt file
                pixels = [
                    [round((value - b) * GAIN, 3) for value, b in zip(row, bias_row)]
                    for row, bias_row in zip(frame["pixels"], bias_pixels)
                ]
                target.write_text(json.dumps({"kind": "calibrated", "exptime": frame["exptime"], "pixels": pixels}))
                act.add_output_file(target, role="calibrated exposure")
                statistics = {"mean": round(sum(map(sum, pixels)) / (SHAPE[0] * SHAPE[1]), 3)}
                act.generate(statistics, role="statistics")
        except ValueError as exc:
            print(f"skipped {raw.name}: {exc}")
            continue
        calibrated.append(target)
    return calibrated


def stack(capture: logprov.ProvCapture, frames: list[Path], output: Path) -> Path:
    """Average the calibrated frames into one image."""
    settings = {"method": "mean", "frames": len(frames)}
    with capture.activity("stack_exposures", parameters=settings) as act:
        images = []
        for path in frames:
            act.add_input_file(path, role="calibrated exposure")
            images.append(read_frame(path)["pixels"])
        mean = [
            [round(sum(image[i][j] for image in images) / len(images), 3) for j in range(SHAPE[1])]
            for i in range(SHAPE[0])
        ]
        output.write_text(json.dumps({"kind": "stack", "pixels": mean}))
        act.add_output_file(output, role="stacked image")
    return output


def main(argv: list[str]) -> int:
    workdir = Path(argv[1] if len(argv) > 1 else "calibration-output").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "prov.log"
    capture = logprov.ProvCapture(config={"log_filename": str(log)})
    bias, exposures = make_raw_data(workdir)
    calibrated = calibrate_all(capture, bias, exposures, workdir / "calibrated")
    stacked = stack(capture, calibrated, workdir / "stacked.json")
    capture.end_session()
    print(f"calibrated {len(calibrated)} of {len(exposures)} exposures; stacked image: {stacked}")
    print(f"provenance log: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
