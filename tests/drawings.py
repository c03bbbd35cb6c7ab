"""SVG drawings read in tests."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

SVG = "{http://www.w3.org/2000/svg}"


def node_titles(path: Path) -> list[str]:
    tree = etree.parse(str(path))
    groups = tree.iter(f"{SVG}g")
    return sorted(g.findtext(f"{SVG}title") for g in groups if (g.get("class") or "").startswith("node"))
