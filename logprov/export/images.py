"""Graphs of documents: DOT source, or SVG, PNG, PDF drawn by Graphviz."""

from __future__ import annotations

from typing import IO, Any, Optional

from prov.model import ProvDocument

from .graphdrawing import prov_to_dot
from .graphviz import render_dot
from .destinations import write_to

__all__ = ["write_dot", "write_image"]


def write_dot(document: ProvDocument, stream: IO[Any], **options: Any) -> None:
    """Write the DOT source of the graph of ``document`` (options of `GraphOptions`)."""
    write_to(stream, prov_to_dot(document, **options).to_string())


def write_image(
    document: ProvDocument,
    stream: IO[Any],
    *,
    image_format: str = "svg",
    program: Optional[str] = None,
    **options: Any,
) -> None:
    """Draw ``document`` with Graphviz and write the image.

    Parameters
    ----------
    document : prov.model.ProvDocument
        The document.
    stream : file-like
        Binary stream (or text stream, for SVG).
    image_format : str
        Graphviz output format: ``svg``, ``png``, ``pdf``, …
    program : str, optional
        Layout program; by default ``dot``, else ``graphviz-pure``.
    **options
        Fields of `GraphOptions`.
    """
    source = prov_to_dot(document, **options).to_string()
    write_to(stream, render_dot(source, image_format, program))
