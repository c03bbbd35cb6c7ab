"""Tests of logprov.export: W3C serialisations, schemas, PROV-O and graphs."""

from __future__ import annotations

import io
import json
import re
import shutil
import warnings
from pathlib import Path

import prov
import pytest
from lxml import etree
from prov.model import ProvActivity, ProvDocument, ProvEntity, ProvGeneration, ProvUsage

from logprov.export import FORMATS, GraphTruncatedWarning, export, formats, prov_to_dot
from logprov.export import graphviz
from logprov.export.graphviz import GraphvizError, find_program
from logprov.export.documentlineage import lineage, resolve
from logprov.model import build_document
from logprov.model.contents import content_view
from logprov.reading.reader import iter_records

from logs import SyntheticLog, file_entity, two_session_log, value_entity
from provschemas import prov_json_validator, prov_xml_schema

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
SVG = "{http://www.w3.org/2000/svg}"
FILE_ID = "file:88dd4d188aeb132bb03008a855a93bc045d5c7ca"


def has_graphviz() -> bool:
    try:
        find_program()
    except GraphvizError:
        return False
    return True


needs_graphviz = pytest.mark.skipif(not has_graphviz(), reason="no dot nor graphviz-pure program")


@pytest.fixture(scope="module")
def legacy() -> ProvDocument:
    return build_document(iter_records(LEGACY))


@pytest.fixture
def shared(tmp_path) -> ProvDocument:
    two_session_log(tmp_path / "two.log")
    return build_document(iter_records(tmp_path / "two.log"))


def test_registry_lists_every_format():
    assert formats() == ["json", "provn", "xml", "ttl", "jsonld", "rdfxml", "nt", "dot", "svg", "png", "pdf"]
    assert FORMATS["png"].binary and not FORMATS["json"].binary
    with pytest.raises(ValueError, match="unknown export format"):
        export(ProvDocument(), "docx")
    assert export(ProvDocument(), "turtle") == export(ProvDocument(), "ttl")


@pytest.mark.parametrize("fmt", ["json", "xml", "provn"])
def test_w3c_serialisations_round_trip(legacy, shared, fmt):
    for document in (legacy, shared):
        text = export(document, fmt)
        assert prov.read(io.StringIO(text), format=fmt) == document


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_prov_o_without_shortcuts_round_trips_through_prov(legacy):
    text = export(legacy, "ttl", shortcuts=False)
    assert prov.read(io.StringIO(text), format="rdf", rdf_format="turtle") == legacy
    assert "prov:used " not in text and "prov:qualifiedUsage" in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_prov_o_with_shortcuts_reads_back_each_relation_twice_as_documented(legacy):
    back = prov.read(io.StringIO(export(legacy, "ttl")), format="rdf", rdf_format="turtle")
    for kind in (ProvUsage, ProvGeneration):
        assert len(list(back.get_records(kind))) == 2 * len(list(legacy.get_records(kind)))


def test_prov_xml_validates_against_the_w3c_schema(legacy, shared):
    schema = prov_xml_schema()
    for document in (legacy, shared):
        tree = etree.fromstring(export(document, "xml").encode())
        assert schema.validate(tree), schema.error_log


def test_prov_json_validates_against_the_schema(legacy, shared):
    validator = prov_json_validator()
    for document in (legacy, shared):
        data = json.loads(export(document, "json"))
        errors = sorted(validator.iter_errors(data), key=str)
        assert not errors, errors[:3]
        assert {"entity", "activity", "agent", "used", "wasGeneratedBy"} <= set(data)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("fmt, parser", [("ttl", "turtle"), ("jsonld", "json-ld"), ("rdfxml", "xml"), ("nt", "nt")])
def test_prov_o_parses_with_rdflib(legacy, fmt, parser):
    rdflib = pytest.importorskip("rdflib")
    graph = rdflib.Graph().parse(data=export(legacy, fmt), format=parser)
    prov_o = rdflib.Namespace("http://www.w3.org/ns/prov#")
    activities = set(graph.subjects(rdflib.RDF.type, prov_o.Activity))
    assert len(activities) == 9
    assert len(list(graph.triples((None, prov_o.used, None)))) == 11
    assert len(list(graph.triples((None, prov_o.wasGeneratedBy, None)))) == 9
    assert len(list(graph.triples((None, prov_o.wasDerivedFrom, None)))) == 1
    assert len(list(graph.triples((None, prov_o.qualifiedUsage, None)))) == 11
    assert len(list(graph.triples((None, prov_o.wasAssociatedWith, None)))) == 9
    assert set(graph.subjects(rdflib.RDF.type, prov_o.Entity))
    file_node = rdflib.URIRef("urn:logprov:file:_88dd4d188aeb132bb03008a855a93bc045d5c7ca")
    assert (file_node, rdflib.RDF.type, prov_o.Entity) in graph


def test_destinations(legacy, tmp_path):
    path = tmp_path / "doc.json"
    assert export(legacy, "json", path) is None
    assert prov.read(str(path), format="json") == legacy
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
    text = io.StringIO()
    export(legacy, "provn", text)
    assert text.getvalue().startswith("document")
    binary = io.BytesIO()
    export(legacy, "xml", binary)
    assert binary.getvalue().startswith(b"<?xml")
    with pytest.raises(TypeError, match="binary"):
        export(legacy, "png", io.StringIO())
    assert json.loads(export(legacy, "json", indent=None))["prefix"]["logprov"].startswith("https://logprov")


def node_classes(svg_text: str) -> list:
    root = etree.fromstring(svg_text.encode())
    return [g.get("class") for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("node")]


def test_dot_source_has_one_node_per_element(legacy):
    source = export(legacy, "dot")
    assert source.count('class="activity"') == 9
    assert source.count('class="entity"') == 10
    assert source.count('class="parameter"') == 0 and source.count("kwargs.value") == 2
    assert source.count('class="agent"') == 0
    assert export(legacy, "dot", agents=True).count('class="agent"') == 1
    assert "subgraph cluster_s0" in source
    assert "#9FB1FC" in source and "#FFFC87" in source and "house" in export(legacy, "dot", agents=True)


@needs_graphviz
def test_svg_holds_one_node_per_activity_and_entity(legacy, tmp_path):
    svg = export(legacy, "svg", agents=True)
    classes = node_classes(svg)
    assert classes.count("node activity") == 9
    assert classes.count("node entity") == 10
    assert classes.count("node agent") == 1
    target = tmp_path / "legacy.svg"
    export(legacy, "svg", target, agents=True)
    assert node_classes(target.read_text()) == classes


@needs_graphviz
def test_png(legacy):
    assert export(legacy, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_options(legacy):
    with_ids = prov_to_dot(legacy, labels=False).to_string()
    assert "activity:_8735086556965.210a53" in with_ids
    with_attributes = prov_to_dot(legacy, attributes=True).to_string()
    assert re.search(r"prov:location&#160;&#160;</FONT></TD><TD[^>]*><FONT[^>]*>prov_test1.txt", with_attributes)
    bare = prov_to_dot(legacy, agents=False, parameters=False, sessions="hide").to_string()
    assert 'class="agent"' not in bare and "kwargs.value" not in bare and "cluster" not in bare
    nodes = prov_to_dot(legacy, sessions="node", descriptions=True).to_string()
    assert nodes.count('class="session"') == 1 and 'class="description"' in nodes
    assert prov_to_dot(legacy, sessions="box").to_string() == prov_to_dot(legacy).to_string()
    with pytest.raises(ValueError, match="sessions"):
        prov_to_dot(legacy, sessions="bundle")
    with pytest.raises(TypeError, match="unknown graph options"):
        prov_to_dot(legacy, colour="red")


def test_lineage_of_one_entity(legacy):
    focus = resolve(legacy, FILE_ID)
    assert [str(name) for name in focus] == ["file:_88dd4d188aeb132bb03008a855a93bc045d5c7ca"]
    assert resolve(legacy, "file:_88dd4d188aeb132bb03008a855a93bc045d5c7ca") == focus
    assert len(resolve(legacy, "41961478625988398780")) == 1
    near = lineage(content_view(legacy), focus, depth=1)
    labels = {str(name) for name in near}
    generated = "gen:file._88dd4d188aeb132bb03008a855a93bc045d5c7ca.by._8735086556965.36fef6"
    assert {str(name) for name in lineage(legacy, focus, depth=1, direction="ancestors")} == {
        "file:_88dd4d188aeb132bb03008a855a93bc045d5c7ca", generated,
    }
    assert {generated, "activity:_8735086556965.36fef6"} <= {str(name) for name in lineage(legacy, focus, depth=2)}
    assert labels == {
        "file:_88dd4d188aeb132bb03008a855a93bc045d5c7ca",
        "activity:_8735086556965.36fef6",
        "activity:_8735086556965.3b1bbc",
        "agent:tester",
    }
    up = lineage(legacy, focus, depth=None, direction="ancestors")
    assert "activity:_8735086556965.3b1bbc" not in {str(n) for n in up}
    assert "activity:_8735086556965.210a53" in {str(n) for n in up}
    graph = prov_to_dot(legacy, focus=FILE_ID, depth=2, direction="descendants").to_string()
    assert graph.count('class="activity"') == 1 and graph.count('class="entity"') == 3
    with pytest.raises(ValueError, match="no element"):
        prov_to_dot(legacy, focus="file:nothing")


def collection_document(tmp_path, members: int) -> ProvDocument:
    log = SyntheticLog()
    session = log.session(1)
    collection = value_entity(session, "observations", list(range(members)))
    log.call(
        session, "select",
        generated=[(collection, "observations")],
        members=[(collection["entity_id"], value_entity(session, "obs", n)) for n in range(members)],
    )
    return build_document(iter_records(log.write(tmp_path / "c.log")))


def test_members_collapse_into_their_collection(tmp_path):
    document = collection_document(tmp_path, 5)
    full = prov_to_dot(document).to_string()
    assert full.count('class="entity"') == 6 and full.count('label="member"') == 5
    collapsed = prov_to_dot(document, collapse_members=True).to_string()
    assert collapsed.count('class="entity"') == 1
    assert "+5 members" in collapsed


def test_large_graphs_are_capped_with_a_note(tmp_path):
    document = collection_document(tmp_path, 30)
    with pytest.warns(GraphTruncatedWarning, match="focus"):
        capped = prov_to_dot(document, max_nodes=10).to_string()
    assert capped.count('class="entity"') + capped.count('class="activity"') == 10
    assert "all 1 activity, each with all the entities it used and generated" in capped
    assert "(10 of 32 nodes)" in capped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prov_to_dot(document, max_nodes=100)


def test_labels_are_escaped(tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    odd = value_entity(session, 'say "hi" \\ now', "<lambda>")
    log.call(session, "f", generated=[(odd, "<out>")])
    document = build_document(iter_records(log.write(tmp_path / "o.log")))
    source = export(document, "dot")
    assert r"label=<say &quot;hi&quot; \\ now<BR/>&#39;&lt;lambda&gt;&#39;>" in source
    assert 'label="&lt;out&gt;"' not in source and 'label="<out>"' in source
    if has_graphviz():
        assert node_classes(export(document, "svg")).count("node entity") == 1


def test_missing_graphviz_gives_a_clear_error(legacy, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(GraphvizError, match="pip install graphviz-pure"):
        export(legacy, "svg")
    assert export(legacy, "dot").startswith("digraph")


def test_graphviz_pure_cannot_write_pdf(legacy, monkeypatch):
    try:
        pure = find_program("graphviz-pure")
    except GraphvizError:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setattr(graphviz, "find_program", lambda program=None: pure)
    with pytest.raises(GraphvizError, match="cannot write 'pdf'"):
        export(legacy, "pdf")


def test_bad_dot_source_reports_the_program_error():
    if not has_graphviz():
        pytest.skip("no Graphviz program")
    with pytest.raises(GraphvizError, match="failed"):
        graphviz.render_dot("digraph { a -> ", "svg")


def test_shared_file_is_drawn_once(shared):
    source = export(shared, "dot")
    assert source.count('class="activity"') == 3
    assert source.count("table.fits") == 1
    assert source.count("subgraph cluster") == 2
    entities = [e for e in shared.get_records(ProvEntity) if str(e.identifier).startswith("file:")]
    assert len(entities) == 1
    assert len(list(shared.get_records(ProvActivity))) == 3


def test_file_entity_label(tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    log.call(session, "w", generated=[(file_entity(session, "/a/b/result.fits", "e" * 64), "out")])
    document = build_document(iter_records(log.write(tmp_path / "f.log")))
    assert "label=<result.fits>" in export(document, "dot")


def hub_document(tmp_path, steps: int) -> ProvDocument:
    log = SyntheticLog()
    session = log.session(1)
    config = value_entity(session, "config", {"a": 1})
    log.call(session, "load", generated=[(config, "config")])
    previous = value_entity(session, "x", 0)
    for step in range(1, steps):
        following = value_entity(session, "x", step)
        log.call(session, "step", used=[(previous, "x"), (config, "config")], generated=[(following, "x")])
        previous = following
    return build_document(iter_records(log.write(tmp_path / "hub.log")))


def test_entities_used_by_many_activities_are_copied(tmp_path):
    document = hub_document(tmp_path, 12)
    source = prov_to_dot(document).to_string()
    assert source.count('class="entity copy"') == 10
    assert source.count('class="entity"') == 13
    assert source.count('label="config"') == 12
    plain = prov_to_dot(document, hub_edges=100).to_string()
    assert "copy" not in plain and plain.count('label="config"') == 12


def test_an_agent_of_many_activities_loses_its_edges(tmp_path):
    document = hub_document(tmp_path, 12)
    crowded = prov_to_dot(document, agents=True, sessions="hide", agent_edges=5).to_string()
    assert "(12 activities)" in crowded and 'color="#C07000", style="dashed"' not in crowded
    drawn = prov_to_dot(document, agents=True, sessions="hide").to_string()
    assert drawn.count('color="#C07000", style="dashed"') == 12


@needs_graphviz
def test_a_long_session_draws_every_activity_and_entity(tmp_path):
    document = hub_document(tmp_path, 120)
    svg = export(document, "svg")
    classes = node_classes(svg)
    assert classes.count("node activity") == 120 and svg.count(">step<") == 119
    assert classes.count("node entity") == 121 and classes.count("node entity copy") == 118


def test_exported_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from logprov.export import export
    from logprov.model import build_document
    from logprov.reading.reader import iter_records

    log = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
    target = tmp_path / "out.json"
    export(build_document(iter_records(log)), "json", target)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
