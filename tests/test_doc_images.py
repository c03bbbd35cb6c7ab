"""The graph images in docs/images are those the examples produce."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from drawings import node_titles

ROOT = Path(__file__).resolve().parents[1]


def test_committed_images_match_a_fresh_drawing(tmp_path):
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--output", str(tmp_path)]) == 0
    for example in module.EXAMPLES:
        committed = ROOT / "docs" / "images" / f"{example}.svg"
        fresh = tmp_path / f"{example}.svg"
        assert (ROOT / "docs" / "images" / f"{example}.png").stat().st_size > 10_000
        assert len(node_titles(fresh)) == len(node_titles(committed)) >= 5, example


def test_images_are_shown_in_the_docs():
    text = (ROOT / "docs" / "examples.md").read_text()
    for example in ("analysis_session", "function_pipeline", "manual_activities", "two_sessions"):
        assert f"images/{example}.svg" in text
    assert "images/observing_run.png" in text and "images/observing_run_before.png" in text


def png_size(path: Path) -> tuple[int, int]:
    """Return the width and height of a PNG file, from its header."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_20_activity_drawing_fits_one_screen_and_the_former_did_not():
    after = png_size(ROOT / "docs" / "images" / "observing_run.png")
    before = png_size(ROOT / "docs" / "images" / "observing_run_before.png")
    assert max(after) <= 2500
    assert before[0] * 96 / 36 > 2 * 2500
