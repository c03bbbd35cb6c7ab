"""The qualified names of entity ids: the namespace and local part, and the ``prefix:local``
text of the streamed export, are the same name."""

from __future__ import annotations

import pytest

from logprov.model.identifiers import IdMaker, qualified_text

SESSION = "00000000-0000-4000-8000-000000000001"
IDS = [
    ("file:abc", SESSION), ("obs:42", SESSION), ("obs:42", None), ("value1", SESSION), ("value1", None),
    ("prov:x", SESSION), ("session:x", SESSION), ("id_prov:y", SESSION), ("1obs:7", SESSION),
    ("a b:c", SESSION), (":lead", SESSION), ("trail:", SESSION), ("ivo:x:y/z", SESSION), ("é:x", None),
]


@pytest.mark.parametrize("text_first", [False, True])
def test_the_parts_of_an_entity_name_are_those_of_its_text(text_first):
    one, other = IdMaker(), IdMaker()
    for maker in (one, other):
        maker.declare({"ivo": "ivo://cta.org/"})
    for entity, session in IDS:
        if text_first:
            text, local = other.entity_text(entity, session)
            parts = one.entity_parts(entity, session)
        else:
            parts = one.entity_parts(entity, session)
            text, local = other.entity_text(entity, session)
        assert qualified_text(parts) == text, entity
        assert (parts[0] is one.session_ns) == local, entity
        assert one.entity(entity, session).namespace.uri == parts[0].uri
    assert one.namespaces["ivo"].uri == "ivo://cta.org/"
    assert one.namespaces["id_prov"].uri == "urn:logprov:id:prov:"
    assert one.namespaces["id_prov_1"].uri == "urn:logprov:id_prov:"
    assert {name: ns.uri for name, ns in one.namespaces.items()} == {
        name: ns.uri for name, ns in other.namespaces.items()}
