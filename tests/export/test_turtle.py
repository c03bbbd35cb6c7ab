"""Turtle written in one pass: the triples of the document, prefixed names where Turtle allows
them, every prefix declared before its first use, read back by rdflib and by `prov`."""

from __future__ import annotations

import io
import re

import prov
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from logprov.export import export, export_records
from prov.identifier import Namespace

from logprov.export.destinations import BinaryOutput
from logprov.export.ttlwriter import PN_LOCAL, TurtleStreamWriter
from logprov.model import build_document
from logprov.reading.reader import iter_records

from logs import SyntheticLog, file_entity, value_entity, two_session_log

HESS = "http://www.example.org/hess/obs/"


def _records(log: SyntheticLog) -> list:
    return list(iter_records(io.StringIO(log.text())))


def _odd_names_log() -> list:
    """Ids whose local parts Turtle cannot write as prefixed names, and a prefix that clashes
    with one every Turtle document of the export declares (the ids are renamed)."""
    log = SyntheticLog()
    definitions = {"activities": {}, "namespaces": {"hess": HESS, "xsd": "http://www.example.org/not-xsd#"}}
    session = log.session(1, definitions=definitions)
    odd = [
        {"entity_id": "hess:run.", "in_session": session, "type": "PythonObject", "location": "dot"},
        {"entity_id": "hess:a~b%20c", "in_session": session, "type": "PythonObject", "location": "tilde"},
        {"entity_id": "xsd:clash", "in_session": session, "type": "PythonObject", "location": "clash"},
        value_entity(session, "plain", 1),
    ]
    log.call(session, "select", used=[(entity, f"role{i}") for i, entity in enumerate(odd)],
             generated=[(file_entity(session, "/data/out file.fits", "e" * 64), "out")])
    return _records(log)


def _turtle(records: list, **options) -> Graph:
    return Graph().parse(data=export_records(records, "ttl", **options), format="turtle")


def test_streamed_turtle_holds_the_triples_of_the_document(tmp_path):
    two_session_log(tmp_path / "prov.log")
    records = list(iter_records(str(tmp_path / "prov.log")))
    for shortcuts in (True, False):
        expected = Graph().parse(data=export(build_document(records), "nt", shortcuts=shortcuts), format="nt")
        streamed = _turtle(records, shortcuts=shortcuts)
        assert len(streamed) == len(expected) > 100
        assert isomorphic(streamed, expected)


def test_prov_reads_streamed_turtle_back_into_the_document(tmp_path):
    two_session_log(tmp_path / "prov.log")
    records = list(iter_records(str(tmp_path / "prov.log")))
    text = export_records(records, "ttl", shortcuts=False)
    assert prov.read(io.StringIO(text), format="rdf", rdf_format="turtle") == build_document(records)


def test_names_turtle_cannot_prefix_are_full_iris_and_clashing_prefixes_are_not_redefined():
    records = _odd_names_log()
    text = export_records(records, "ttl")
    expected = Graph().parse(data=export_records(records, "nt"), format="nt")
    assert isomorphic(_turtle(records), expected)
    assert f"<{HESS}run.>" in text and " hess:a_b_20c-" in text
    assert text.count("@prefix xsd:") == 1
    assert "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ." in text


def test_a_namespace_whose_prefix_is_taken_is_written_in_full_iris():
    writer = TurtleStreamWriter("unused")
    output = io.BytesIO()
    writer.start(BinaryOutput(output), {"xsd": Namespace("xsd", "urn:other:"), "own": Namespace("own", "urn:own:")})
    assert writer.term("xsd:a") == "<urn:other:a>"
    assert writer.term("own:a") == "own:a"
    writer.element("entity", "xsd:a", [])
    writer.finish()
    graph = Graph().parse(data=output.getvalue().decode(), format="turtle")
    assert {str(subject) for subject in graph.subjects()} == {"urn:other:a"}


def test_every_prefix_is_declared_before_its_first_use():
    text = export_records(_odd_names_log(), "ttl")
    declared = {}
    for number, line in enumerate(text.splitlines()):
        found = re.match(r"@prefix ([^:]*): <([^>]*)> \.$", line)
        if found:
            assert found.group(1) not in declared, f"{found.group(1)} declared twice"
            declared[found.group(1)] = number
            continue
        for prefix in re.findall(r"(?:^|\s)([A-Za-z][\w.\-]*):[\w\-]", line.split('"')[0]):
            assert declared.get(prefix, len(text)) < number, f"{prefix}: used on line {number} before it is declared"
    assert {"rdf", "xsd", "prov", "hess", "session"} <= set(declared)


def test_a_relation_is_its_plain_triple_and_its_qualified_form_an_element_one_statement():
    log = SyntheticLog()
    session = log.session(1)
    entity = value_entity(session, "obs", 7)
    log.call(session, "select", used=[(entity, "observations")])
    text = export_records(_records(log), "ttl")
    usage = re.search(r"^(activity:\S+) prov:used (\S+) ;\n    prov:qualifiedUsage (_:b\d+) \.\n"
                      r"\3 a prov:Usage ;\n    prov:entity \2 ;\n    prov:atTime \"[^\"]+\"\^\^xsd:dateTime ;\n"
                      r"    prov:hadRole \"observations\" \.\n", text, re.MULTILINE)
    assert usage, text
    activity = re.search(rf"^{re.escape(usage.group(1))} a prov:Activity ;\n    prov:startedAtTime .*\n"
                         r"    prov:endedAtTime .*\n", text, re.MULTILINE)
    assert activity, text


@pytest.mark.parametrize("local, prefixed", [("_2089", True), ("a.b-c_d", True), ("9", True), ("run.", False),
                                             ("a:b", False), ("a%20", False), ("", False), ("é", False)])
def test_the_prefixed_local_parts_are_a_safe_subset_of_turtle(local, prefixed):
    assert bool(PN_LOCAL.fullmatch(local)) is prefixed
    if prefixed:
        graph = Graph().parse(data=f"@prefix p: <urn:x:> . p:{local} p:q p:r .", format="turtle")
        assert {str(subject) for subject in graph.subjects()} == {f"urn:x:{local}"}
