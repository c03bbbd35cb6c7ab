"""The graph images in docs/images are those the examples produce."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


def node_titles(path: Path) -> list[str]:
    tree = etree.parse(str(path))
    groups = tree.iter(f"{SVG}g")
    return sorted(g.findtext(f"{SVG}title") for g in groups if (g.get("class") or "").startswith("node"))


def test_committed_images_match_a_fresh_drawing(tmp_path):
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--output", str(tmp_path)]) == 0
    for example in module.EXAMPLES:
        committed = ROOT / "docs" / "images" / f"{example}.svg"
        fresh = tmp_path / f"{example}.svg"
        assert (ROOT / "docs" / "images" / f"{example}.png").stat().st_size > 10_000
        assert len(node_titles(fresh)) == len(node_titles(committed)) > 5, example


def test_images_are_shown_in_the_docs():
    text = (ROOT / "docs" / "examples.md").read_text()
    for example in ("analysis_session", "function_pipeline", "manual_activities", "two_sessions"):
        assert f"images/{example}.svg" in text
