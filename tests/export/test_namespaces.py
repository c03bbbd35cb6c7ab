"""Namespaces declared in the definitions give the IRIs of the ids with their prefix, in every format."""

from __future__ import annotations

import io
import json

import prov
import pytest
from lxml import etree
from rdflib import Graph, URIRef

from logprov.export import export, export_records
from logprov.model import build_document
from logprov.reading.reader import iter_records

from logs import SyntheticLog
from provschemas import prov_xml_schema

HESS = "http://www.example.org/hess/obs/"
DEFINITIONS = {"activities": {}, "namespaces": {"hess": HESS, "session": "http://www.example.org/sessions/"}}


def namespaced_log(path) -> list:
    log = SyntheticLog()
    session = log.session(1, definitions=DEFINITIONS)
    run = {"entity_id": "hess:run23523", "in_session": session, "type": "PythonObject", "location": "run"}
    numbered = {"entity_id": "hess:23526", "in_session": session, "type": "PythonObject", "location": "obs"}
    other = {"entity_id": "cta:obs1", "in_session": session, "type": "PythonObject", "location": "cta"}
    clash = {"entity_id": "session:s1", "in_session": session, "type": "PythonObject", "location": "x"}
    log.call(session, "select", used=[(run, "run"), (numbered, "obs"), (other, "cta")],
             generated=[(clash, "x")])
    log.write(path)
    return list(iter_records(str(path)))


@pytest.fixture
def records(tmp_path):
    return namespaced_log(tmp_path / "prov.log")


def test_declared_prefix_gives_the_declared_iri_in_prov_o(records):
    for text in (export(build_document(records), "nt"), export_records(records, "nt")):
        graph = Graph().parse(data=text, format="nt")
        nodes = {str(node) for triple in graph for node in triple if isinstance(node, URIRef)}
        assert HESS + "run23523" in nodes
        assert HESS + "_23526" in nodes
        assert "urn:logprov:cta:obs1" in nodes
        assert not any(node.startswith("urn:logprov:hess:") for node in nodes)
        assert "http://www.example.org/sessions/s1" in nodes
    turtle = export(build_document(records), "ttl")
    assert f"@prefix hess: <{HESS}>" in turtle


def test_declared_prefix_in_prov_json_provn_and_xml(records):
    document = build_document(records)
    for text in (export(document, "json"), export_records(records, "json")):
        prefixes = json.loads(text)["prefix"]
        assert prefixes["hess"] == HESS
        assert prefixes["id_session"] == "http://www.example.org/sessions/"
        assert prov.read(io.StringIO(text), format="json") == document
    for text in (export(document, "provn"), export_records(records, "provn")):
        assert f"prefix hess <{HESS}>" in text
        assert "hess:run23523" in text
    for text in (export(document, "xml"), export_records(records, "xml")):
        tree = etree.fromstring(text.encode())
        assert tree.nsmap["hess"] == HESS
        prov_xml_schema().assertValid(tree)
        assert prov.read(io.StringIO(text), format="xml") == document


def test_first_declaration_of_a_prefix_wins(tmp_path):
    log = SyntheticLog()
    first = log.session(1, definitions={"activities": {}, "namespaces": {"hess": HESS}})
    second = log.session(2, definitions={"activities": {}, "namespaces": {"hess": "http://elsewhere.org/"}})
    for session in (first, second):
        entity = {"entity_id": "hess:run1", "in_session": session, "type": "PythonObject"}
        log.call(session, "read", used=[(entity, "run")])
    records = list(iter_records(str(log.write(tmp_path / "p.log"))))
    for text in (export(build_document(records), "nt"), export_records(records, "nt")):
        assert f"<{HESS}run1>" in text and "elsewhere" not in text
