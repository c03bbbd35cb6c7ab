"""Pictures of provenance for Jupyter: documents and lineages drawn as SVG graphs."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Optional

from prov.constants import PROV_LABEL, PROV_LOCATION, PROV_TYPE, PROV_VALUE
from prov.identifier import Namespace
from prov.model import ProvDocument

from ..model.ids import LOGPROV
from ..model.mapping import ENTITY_TYPES, parameter_attributes, parameter_usage_attributes
from ..model.values import attribute_value
from .graph import GraphTruncatedWarning, prov_to_dot
from .graphviz import GraphvizError, render_dot

if TYPE_CHECKING:
    from ..query.model import Lineage

__all__ = ["NotebookDocument", "document_svg", "lineage_document", "NOTEBOOK_NODES"]

#: Largest number of nodes drawn in a notebook; a larger graph is cut, with a note on it.
NOTEBOOK_NODES = 300
_LINEAGE = Namespace("lineage", "urn:logprov:lineage:")


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


def lineage_document(lineage: "Lineage") -> NotebookDocument:
    """Return a PROV document of the elements and relations of a lineage, to be drawn.

    Activities carry their name, status and parameters; entities their type, first location
    and value; the edges are the lineage's usages, generations, derivations, memberships and
    communications.
    """
    document = NotebookDocument()
    document.add_namespace(_LINEAGE)
    document.add_namespace(LOGPROV)
    nodes = {}
    for key, activity in lineage.activities.items():
        attributes: list = [(PROV_LABEL, activity.name or key)]
        if activity.status is not None:
            attributes.append((LOGPROV["status"], activity.status))
        if activity.exception_type is not None:
            attributes.append((LOGPROV["exceptionType"], activity.exception_type))
        node = nodes[("activity", key)] = document.activity(_LINEAGE[key], other_attributes=attributes)
        for name, value in activity.parameters.items():
            parameter = document.entity(_LINEAGE[f"{key}/parameter/{name}"],
                                        parameter_attributes(str(name), attribute_value(value)))
            document.usage(node, parameter, other_attributes=parameter_usage_attributes(str(name)))
    for key, entity in lineage.entities.items():
        attributes = []
        if entity.type in ENTITY_TYPES:
            attributes.append((PROV_TYPE, ENTITY_TYPES[entity.type]))
        if entity.location is not None:
            attributes.append((PROV_LOCATION, entity.location))
        if entity.value is not None:
            attributes.append((PROV_VALUE, entity.value))
        nodes[("entity", key)] = document.entity(_LINEAGE[key], attributes)
    for edge in lineage.edges:
        effect = _LINEAGE[edge.effect]
        cause = _LINEAGE[edge.cause]
        role = [("prov:role", edge.role)] if edge.role else None
        if edge.relation == "used":
            document.usage(effect, cause, other_attributes=role)
        elif edge.relation == "wasGeneratedBy":
            document.generation(effect, cause, other_attributes=role)
        elif edge.relation == "wasDerivedFrom":
            document.derivation(effect, cause)
        elif edge.relation == "hadMember":
            document.membership(effect, cause)
        elif edge.relation == "wasInformedBy":
            document.communication(effect, cause)
    return document
