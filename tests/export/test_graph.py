"""Graphs that always draw and read: hostile labels through both Graphviz programs, the size and
layout of the default drawing of a 20-activity, 3-session log, and the options of ``logprov graph``."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree
from prov.model import ProvActivity, ProvDocument

from logprov.cli import main
from logprov.export import GraphTruncatedWarning, export, prov_to_dot
from logprov.export.dot import DotGraph, Html, html_text, quoted
from logprov.export.graphviz import render_dot
from logprov.model import build_document
from logprov.reading.reader import iter_records

from drawings import PROGRAMS, SVG, program, svg_size, svg_texts
from logs import SyntheticLog, file_entity, value_entity

ROOT = Path(__file__).resolve().parents[2]


HOSTILE = [
    "<gammapy.data.observations.Observation object at 0x7f3a>",
    'say "hi" \\ now\\',
    "{record | with | bars}",
    "two\nlines",
    "bell\x07 and nul\x00",
    "stars \U0001d53c\U0001f52d",
    "&amp; <b>not bold</b> ]]>",
    "\\N \\G \\l \\",
]


def shown(text: str) -> str:
    """The text a label shows for ``text``: one line, control characters as escapes."""
    text = " ".join(text.split("\n"))
    return re.sub(r"[\x00-\x08\x0b-\x1f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def hostile_document(tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    objects = value_entity(session, "observations", HOSTILE[0])
    members = [(objects["entity_id"], value_entity(session, f"obs[{n}]", label)) for n, label in enumerate(HOSTILE)]
    used = [(value_entity(session, label, n), f"role {n}") for n, label in enumerate(HOSTILE)]
    used.append((value_entity(session, "y", 0), "\\N \\E <in> {r|s}"))
    log.call(session, "select <all> {x|y}", used=used, generated=[(objects, "<out>")], members=members,
             parameters={label[:12]: label for label in HOSTILE})
    return build_document(iter_records(log.write(tmp_path / "hostile.log")))


@pytest.mark.parametrize("name", PROGRAMS)
def test_hostile_labels_draw_and_read_back(tmp_path, name):
    document = hostile_document(tmp_path)
    source = prov_to_dot(document, attributes=True).to_string()
    svg = render_dot(source, "svg", program(name))
    texts, tooltips = svg_texts(svg)
    for label in HOSTILE:
        assert shown(label)[:30] in texts, label
    assert "select <all> {x|y}" in texts and "<out>" in texts and "\\N \\E <in> {r|s}" in texts
    assert any(tooltip.startswith("activity:") for tooltip in tooltips)


def test_a_list_of_plain_objects_draws_from_the_command_line(tmp_path, capsys):
    """Members with a default repr as value: a label that starts with < and ends with > draws."""
    log = SyntheticLog()
    session = log.session(1)
    collection = value_entity(session, "observations", "[<Observation>, <Observation>]")
    members = []
    for n in range(3):
        member = value_entity(session, f"observations[{n}]", n)
        del member["location"]
        member["value"] = f"<Observation object at {n}>"
        members.append((collection["entity_id"], member))
    log.call(session, "get_observations", generated=[(collection, "observations")], members=members)
    path = log.write(tmp_path / "prov.log")
    drawing = tmp_path / "g.svg"
    status = main(["graph", str(path), "-o", str(drawing), "--attributes"])
    assert status == 0, capsys.readouterr().err
    texts, _ = svg_texts(drawing.read_bytes())
    assert "<Observation object at 2>" in texts


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
#: The fewest characters a label line keeps of a text (a parameter's name), its last one an
#: ellipsis when the text is longer: the words of a text past it are not drawn.
SHORTEST_LABEL = 20


@pytest.mark.parametrize("name", PROGRAMS)
@settings(max_examples=15, deadline=None)
@given(name_text=TEXT, value=TEXT, role=TEXT, parameter=TEXT)
@example(name_text="", value="]]>", role="", parameter="]")
@example(name_text="", value="", role="", parameter="0000000000000000000000000 001")
def test_any_text_draws(tmp_path_factory, name, name_text, value, role, parameter):
    log = SyntheticLog()
    session = log.session(1)
    entity = value_entity(session, value, 0)
    entity["value"] = value
    log.call(session, name_text, generated=[(entity, role)], parameters={parameter or "p": parameter})
    document = build_document(iter_records(log.write(tmp_path_factory.mktemp("any") / "any.log")))
    source = prov_to_dot(document, attributes=True).to_string()
    texts, tooltips = svg_texts(render_dot(source, "svg", program(name)))
    shown = SHORTEST_LABEL - 1
    for text in (name_text, value, role, parameter):
        words = [found.group() for found in re.finditer(r"[^\s\x00-\x1f\x7f-\x9f]+", text) if found.end() <= shown]
        assert all(word[:10] in texts.replace("\xa0", " ") for word in words[:2]), (text, texts)
    assert any(tooltip.startswith("activity:") for tooltip in tooltips)


def test_quoting_rules():
    assert quoted('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert quoted("\x01") == '"\\\\x01"'
    assert html_text("<a & b>\nc") == '&lt;a &amp; b&gt;<BR ALIGN="LEFT"/>c'
    graph = DotGraph("g")
    graph.add_node("node", label="x")
    graph.add_node("n 1", label=Html("<B>y</B>"))
    text = graph.to_string()
    assert '"node" [label="x"];' in text and '"n 1" [label=<<B>y</B>>];' in text


def observing_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("observing") / "out"
    subprocess.run([sys.executable, str(ROOT / "examples" / "observing_run.py"), str(workdir)],
                   check=True, capture_output=True)
    return workdir / "prov.log"


@pytest.fixture(scope="module")
def run_log(tmp_path_factory) -> Path:
    return observing_run(tmp_path_factory)


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_default_drawing_of_20_activities_in_3_sessions_fits_one_screen(run_log, tmp_path, name, monkeypatch):
    document = build_document(iter_records(run_log))
    assert sum(1 for _ in document.get_records()) > 0
    drawing = tmp_path / "run.svg"
    path = program(name)
    monkeypatch.setattr("logprov.export.graphviz.find_program", lambda program=None: path)
    assert main(["graph", str(run_log), "-o", str(drawing)]) == 0
    svg = drawing.read_bytes()
    width, height = svg_size(svg)
    assert max(width, height) <= 2500, (width, height)
    root = etree.fromstring(svg)
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    activities = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node activity"]
    assert len(clusters) == 3 and len(activities) == 20
    texts, _ = svg_texts(svg)
    assert "gain" in texts and "1.8" in texts and "aperture" in texts


def test_entities_sit_in_the_box_of_the_session_that_generated_them(run_log):
    document = build_document(iter_records(run_log))
    source = prov_to_dot(document).to_string()
    boxes = re.findall(r"subgraph (cluster_s\d) \{(.*?)\n  \}", source, re.S)
    assert len(boxes) == 3
    by_box = {name: body for name, body in boxes}
    first, second, third = (by_box[f"cluster_s{n}"] for n in range(3))
    assert "cal_01.json" in first and "exposure_01.json" in first and "master_bias.json" in first
    assert "cat_01.json" in second and "cal_01.json" not in second
    assert "report.json" in third
    outside = source.split("\n  }\n")[-1]
    assert 'class="entity"' not in outside
    assert 'class="parameter"' not in source and 'class="agent"' not in source


def test_agents_are_one_node_per_session_box(run_log):
    document = build_document(iter_records(run_log))
    source = prov_to_dot(document, agents=True).to_string()
    assert source.count('class="agent"') == 3
    assert "(7 activities)" in source and "(6 activities)" in source
    assert 'color="#C07000", style="dashed"' not in source
    flat = prov_to_dot(document, agents=True, sessions="hide").to_string()
    assert flat.count('class="agent"') == 1 and "cluster" not in flat


def test_long_ids_are_shortened_with_the_full_id_as_tooltip(run_log):
    document = build_document(iter_records(run_log))
    source = prov_to_dot(document, labels=False).to_string()
    nodes = re.findall(r'label=<([^>]*)>, tooltip="(file:_?[0-9a-f]{64})"', source)
    assert len(nodes) > 20
    for label, identifier in nodes:
        assert len(label) < len(identifier) and label.endswith("\u2026")
        assert identifier.startswith(label[:-1])


def test_graph_options_of_the_command_line(run_log, tmp_path, capsys):
    out = tmp_path / "g.dot"

    def dot(*options) -> str:
        assert main(["graph", str(run_log), "-o", str(out), *options]) == 0, capsys.readouterr().err
        return out.read_text()

    default = dot()
    assert "gain" in default and "cluster_s2" in default and 'class="agent"' not in default
    assert "tooltip" in default and "prov:location" not in default
    assert "gain" not in dot("--no-parameters")
    assert dot("--agents").count('class="agent"') == 3
    assert "cluster" not in dot("--sessions", "hide")
    assert dot("--sessions", "node").count('class="session"') == 3
    assert 'rankdir="LR"' in dot("--rankdir", "LR")
    assert "prov:location" in dot("--attributes") and "prov:location" not in dot("--no-attributes")
    focused = dot("--entity", str(run_log.parent / "calibrated" / "cal_03.json"), "--depth", "1", "--direction", "ancestors")
    assert focused.count('class="activity"') == 1 and "calibrate" in focused


def test_truncation_warning_names_the_command_line_options(tmp_path, capsys):
    log = SyntheticLog()
    session = log.session(1)
    for n in range(2100):
        log.call(session, "step", generated=[(value_entity(session, "x", n), "x")])
    path = log.write(tmp_path / "big.log")
    status = main(["graph", str(path), "-o", str(tmp_path / "big.dot")])
    err = capsys.readouterr().err
    assert status == 0
    assert "--entity" in err and "--depth" in err and "focus=" not in err and "depth=" not in err
    with pytest.warns(GraphTruncatedWarning, match="focus="):
        prov_to_dot(build_document(iter_records(path)), max_nodes=10)


def test_file_entities_label_and_tooltip(tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    log.call(session, "w", generated=[(file_entity(session, "/a/b/result.fits", "e" * 64), "out")])
    document = build_document(iter_records(log.write(tmp_path / "f.log")))
    source = export(document, "dot")
    assert "label=<result.fits>" in source and f'tooltip="file:{"e" * 64}"' in source


def test_no_warning_for_a_small_graph(run_log):
    document = build_document(iter_records(run_log))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = prov_to_dot(document).to_string()
    assert caught == []
    assert source.count('class="activity"') == len(list(document.get_records(ProvActivity))) > 0


def test_specializations_are_drawn_as_labelled_edges():
    document = ProvDocument()
    document.add_namespace("ex", "http://example.org/")
    generated = document.entity("ex:table-written-by-run-1")
    content = document.entity("ex:table")
    document.specialization(generated, content)
    source = prov_to_dot(document).to_string()
    assert re.search(r'n0 -> n1 \[[^]]*label="specializes"', source)
