"""SVG drawings read in tests, and the Graphviz programs that draw them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from logprov.export.graphviz import GraphvizError, find_program

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def node_titles(path: Path) -> list[str]:
    tree = etree.parse(str(path))
    groups = tree.iter(f"{SVG}g")
    return sorted(g.findtext(f"{SVG}title") for g in groups if (g.get("class") or "").startswith("node"))


def program(name: str) -> str | None:
    try:
        return find_program(name)
    except GraphvizError:
        return None


PROGRAMS = [pytest.param(name, marks=pytest.mark.skipif(program(name) is None, reason=f"{name} is not installed"))
            for name in ("dot", "graphviz-pure")]


def svg_texts(svg: bytes) -> tuple[str, list[str]]:
    """Return all the text of an SVG (joined) and its tooltips; fail if it does not parse."""
    root = etree.fromstring(svg)
    texts = " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))
    tooltips = [node.get(f"{XLINK}title") for node in root.iter(f"{SVG}a") if node.get(f"{XLINK}title")]
    return texts, tooltips


def svg_size(svg: bytes) -> tuple[float, float]:
    """Return the size of an SVG drawing in pixels at 96 dpi (Graphviz writes points)."""
    root = etree.fromstring(svg)
    width, height = (float(root.get(key).removesuffix("pt")) for key in ("width", "height"))
    return width * 96 / 72, height * 96 / 72
