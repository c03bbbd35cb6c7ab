"""Exporters escape everything: any string in any name or value gives output its parser reads back."""

from __future__ import annotations

import io
import json
import warnings

import lxml.etree
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prov.model import ProvDocument

from logprov.cli import main
from logprov.export import export, export_records
from logprov.export.texts import carried_records, carried_text
from logprov.model import build_document
from logprov.reading.reader import iter_records
from logs import SyntheticLog, value_entity

NASTY = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\ud800", "\udcff", "\udfff", "\ufffe",
         "\uffff", "\u2028", "]]>", '"', "'", "<", ">", "&", "\\", "\U0001f600", "\U0010ffff", "\t", "\n", "\r", " ",
         "{", "}", "%", "#", ":", "/", "@", "^^"]
TEXT = st.lists(st.one_of(st.sampled_from(NASTY), st.characters(codec=None)), min_size=1, max_size=8).map("".join)

RDF = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}


def hostile_log(name: str, value: str) -> str:
    """A log where ``name`` and ``value`` stand in every name and value a record has."""
    log = SyntheticLog(agent=f"agent {name}")
    session = log.session(1, description=value)
    entity = {**value_entity(session, "v", 1), "location": f"loc {name}", "value": value}
    log.call(session, f"run {name}", parameters={name: value, "nested": {name: [value, {name: value}]}},
             generated=[(entity, f"role {name}")], status="failed", exception=(f"Error{name}", value))
    return log.text()


def records(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(iter_records(io.StringIO(text)))


def parse(fmt: str, output: bytes) -> None:
    """Read ``output`` back with the standard parser of ``fmt``; raise when it cannot."""
    if fmt in ("json", "xml"):
        document = ProvDocument.deserialize(content=output.decode("utf-8"), format=fmt)
        assert document.get_records()
    elif fmt in RDF:
        graph = rdflib.Graph()
        graph.parse(data=output.decode("utf-8"), format=RDF[fmt])
        assert len(graph) > 10
    elif fmt == "svg":
        assert lxml.etree.fromstring(output).tag.endswith("svg")
    else:
        output.decode("utf-8")


def streamed(fmt: str, found: list) -> bytes:
    buffer = io.BytesIO()
    export_records(found, fmt, buffer)
    return buffer.getvalue()


def modelled(fmt: str, found: list) -> bytes:
    buffer = io.BytesIO()
    export(build_document(carried_records(found)), fmt, buffer)
    return buffer.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, value=TEXT)
def test_any_name_and_value_give_output_that_reads_back(name, value):
    found = records(hostile_log(name, value))
    assert len(found) >= 6
    for fmt in ("json", "xml", "provn", "nt", "ttl", "jsonld", "rdfxml", "dot"):
        parse(fmt, streamed(fmt, found))
    for fmt in ("json", "xml", "ttl", "nt", "jsonld", "rdfxml"):
        parse(fmt, modelled(fmt, found))


@pytest.mark.parametrize("nasty", ["k\x01", "k\ud800", "a]]>b\"'<&\x1b\U0001f600", "\x00\uffff\udcff"])
def test_the_command_writes_every_format_readably(tmp_path, capsys, nasty):
    log = tmp_path / "prov.log"
    log.write_text(hostile_log(nasty, nasty), encoding="utf-8")
    for fmt, suffix in (("json", "json"), ("xml", "xml"), ("provn", "provn"), ("ttl", "ttl"), ("nt", "nt"),
                        ("jsonld", "jsonld"), ("rdfxml", "rdf"), ("dot", "dot")):
        output = tmp_path / f"out.{suffix}"
        status = main(["export", str(log), "-f", fmt, "-o", str(output)])
        assert status == 0, (fmt, capsys.readouterr().err)
        parse(fmt, output.read_bytes())
    drawing = tmp_path / "graph.svg"
    assert main(["graph", str(log), "-o", str(drawing)]) == 0, capsys.readouterr().err
    parse("svg", drawing.read_bytes())


def test_names_keep_what_can_be_carried_and_replace_the_rest(tmp_path):
    found = records(hostile_log("k\x01\ud800", "v]]>\U0001f600\x1f"))
    for output in (streamed("xml", found), modelled("xml", found)):
        document = ProvDocument.deserialize(content=output.decode(), format="xml")
        text = json.dumps(json.loads(document.serialize(format="json")), ensure_ascii=False)
        assert "k\ufffd\ufffd" in text and "v]]>\U0001f600\ufffd" in text
    assert carried_text("plain ascii") == "plain ascii"
    assert carried_text("tab\tand\nline") == "tab\tand\nline"
