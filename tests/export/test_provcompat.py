"""The `prov` internals reached through `logprov.export.provcompat` agree with `prov`'s public output."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from prov.constants import (
    PROV_ACTIVITY,
    PROV_ATTR_ACTIVITY,
    PROV_ATTR_ENTITY,
    PROV_ATTR_STARTTIME,
    PROV_ATTR_TIME,
    PROV_LABEL,
    PROV_USAGE,
)
from prov.model import ProvDocument

from logprov.export import provcompat

TIMES = [
    datetime.datetime(2024, 5, 1, 12, 30, 0, tzinfo=datetime.timezone.utc),
    datetime.datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=-3))),
    datetime.datetime(1890, 1, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(minutes=9, seconds=21))),
]
VALUES = ["text", 'with "quotes"', 3, -(2**40), 2.5, 1e-300, True]


def _document(**attributes: object) -> ProvDocument:
    document = ProvDocument()
    namespace = document.add_namespace("ex", "http://example.org/")
    document.entity(namespace["thing"], {f"ex:{name}": value for name, value in attributes.items()})
    return document


@pytest.mark.parametrize("moment", TIMES)
def test_datetime_text_is_the_prov_json_text(moment: datetime.datetime) -> None:
    written = json.loads(_document(when=moment).serialize(format="json"))
    assert written["entity"]["ex:thing"]["ex:when"]["$"] == provcompat.xsd_datetime_text(moment)


@pytest.mark.parametrize("value", VALUES)
def test_provn_value_is_the_prov_n_text(value: object) -> None:
    assert f"ex:value={provcompat.provn_value(value)}" in _document(value=value).get_provn()


@pytest.mark.parametrize("value", [2.5, 1e-300, 12345678.875])
def test_double_text_is_the_prov_o_literal(value: float) -> None:
    rdflib = pytest.importorskip("rdflib")
    graph = rdflib.Graph().parse(data=_document(value=value).serialize(format="rdf", rdf_format="turtle"), format="turtle")
    literals = [o for o in graph.objects() if isinstance(o, rdflib.Literal) and o.datatype and "double" in o.datatype]
    assert [str(literal) for literal in literals] == [provcompat.xsd_double_text(value)]


def test_xml_helpers_build_the_element_prov_writes() -> None:
    etree = pytest.importorskip("lxml.etree")
    moment = TIMES[1]
    document = ProvDocument()
    namespace = document.add_namespace("ex", "http://example.org/")
    document.activity(namespace["run"], moment, None, {PROV_LABEL: "a run"})
    written = etree.fromstring(document.serialize(format="xml").encode())
    expected = written.find(provcompat.xml_name("activity"))
    pairs = [(PROV_ATTR_STARTTIME, moment), (PROV_LABEL, "a run")]
    label = provcompat.xml_record_label(PROV_ACTIVITY, pairs)
    element = etree.SubElement(written, provcompat.xml_name(label), {provcompat.xml_name("id"): "ex:run"})
    for attribute, value in pairs:
        provcompat.xml_add_attribute(element, attribute, value)
    assert label == "activity"
    def parts(node):
        return [(child.tag, dict(child.attrib), child.text) for child in node]

    assert dict(element.attrib) == dict(expected.attrib)
    assert parts(element) == parts(expected) and len(parts(element)) == 2


def test_rdf_helpers_name_the_predicates_prov_writes() -> None:
    rdflib = pytest.importorskip("rdflib")
    document = ProvDocument()
    namespace = document.add_namespace("ex", "http://example.org/")
    document.usage(namespace["run"], namespace["input"], TIMES[0])
    document.entity(namespace["input"], {PROV_LABEL: "input"})
    graph = rdflib.Graph().parse(data=document.serialize(format="rdf", rdf_format="turtle"), format="turtle")
    predicates = {str(predicate) for predicate in graph.predicates()}
    formal = [PROV_ATTR_ACTIVITY, PROV_ATTR_ENTITY, PROV_ATTR_TIME]
    assert provcompat.rdf_qualified_predicate(PROV_USAGE, PROV_ATTR_TIME, formal) in predicates
    assert provcompat.rdf_qualified_predicate(PROV_USAGE, PROV_ATTR_ENTITY, formal) in predicates
    assert str(provcompat.rdf_element_predicates()[PROV_LABEL]) in predicates
    assert PROV_USAGE in provcompat.rdf_qualified_only()
    assert "http://www.w3.org/ns/prov#used" not in predicates
