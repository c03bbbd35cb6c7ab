"""Pictures of provenance for Jupyter: documents and lineages drawn as SVG graphs."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Iterable, Optional, cast

from prov.model import ProvDocument

from .graphdrawing import GraphTruncatedWarning, prov_to_dot
from .graphviz import GraphvizError, render_dot
from .documentlineage import lineage_document as _lineage_document

if TYPE_CHECKING:
    from ..query.model import Lineage, Session

__all__ = ["NotebookDocument", "document_svg", "lineage_document", "NOTEBOOK_NODES"]

#: Largest number of nodes drawn in a notebook; a larger graph is cut, with a note on it.
NOTEBOOK_NODES = 300


def document_svg(document: ProvDocument, **options: Any) -> Optional[str]:
    """Return the SVG graph of ``document`` (options of `GraphOptions`), or None when no
    Graphviz program is available or the layout fails (the notebook then shows text)."""
    options.setdefault("max_nodes", NOTEBOOK_NODES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GraphTruncatedWarning)
        source = prov_to_dot(document, **options).to_string()
    try:
        return render_dot(source, "svg").decode("utf-8")
    except GraphvizError:
        return None


class NotebookDocument(ProvDocument):
    """A `prov.model.ProvDocument` that Jupyter shows as its graph (`_repr_svg_`)."""

    def _repr_svg_(self) -> Optional[str]:
        return document_svg(self)


def lineage_document(lineage: "Lineage", sessions: Iterable["Session"] = ()) -> NotebookDocument:
    """Return the document of a lineage (see `logprov.export.documentlineage.lineage_document`), shown
    in Jupyter as its graph."""
    return cast(NotebookDocument, _lineage_document(lineage, sessions, NotebookDocument))
