"""The content view of a document: each entity as generated or derived once folded into its content.

A document built from logs has, for each generation and each derivation, an entity of its own
(``gen:…``) that is a ``specializationOf`` the entity of the content (see
``docs/prov-mapping.md``). Readers that ask what came from what, rather than which PROV
statements hold, take the content view: the relations of these entities moved onto their
content entity, the entities and their specializations left out.
"""

from __future__ import annotations

from typing import Dict

from prov.constants import PROV_SPECIALIZATION
from prov.identifier import QualifiedName
from prov.model import ProvDocument, ProvSpecialization

from .identifiers import GENERATION

__all__ = ["content_view", "is_specialized"]


def is_specialized(name: QualifiedName) -> bool:
    """Return True for the identifier of an entity as generated or derived once (``gen:…``)."""
    return name.uri.startswith(GENERATION.uri)


def content_view(document: ProvDocument) -> ProvDocument:
    """Return ``document`` with every ``gen:…`` entity folded into its content entity.

    Parameters
    ----------
    document : prov.model.ProvDocument
        A document of `logprov.model.build_document` (any document: without ``gen:``
        specializations it is returned as it is).

    Returns
    -------
    prov.model.ProvDocument
        A new document in which each relation naming a ``gen:`` entity names its content entity
        instead, without the ``gen:`` entities and their ``specializationOf``.
    """
    general: Dict[QualifiedName, QualifiedName] = {}
    for record in document.get_records(ProvSpecialization):
        specific, content = (value for _, value in record.formal_attributes[:2])
        if specific is not None and content is not None and is_specialized(specific):
            general[specific] = content
    if not general:
        return document
    folded = ProvDocument()
    for namespace in document.namespaces:
        folded.add_namespace(namespace)
    for record in document.get_records():
        if record.is_element():
            if record.identifier not in general:
                folded.add_record(record)
            continue
        if record.get_type() == PROV_SPECIALIZATION and record.formal_attributes[0][1] in general:
            continue
        formal = {name: general.get(value, value) for name, value in record.formal_attributes}
        folded.new_record(record.get_type(), record.identifier, formal, list(record.extra_attributes))
    return folded
