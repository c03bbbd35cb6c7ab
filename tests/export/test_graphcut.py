"""Graphs cut at their node budget: whole activities in log order with their entities (in a
lineage, those nearest to its focus), a note that says what was drawn, the same cut from the
command line before the document is built, and a drawing that is not one long strip."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from lxml import etree

import logprov.query
from prov.model import ProvActivity, ProvGeneration, ProvUsage

from logprov.cli import main
from logprov.export import GraphTruncatedWarning, prov_to_dot
from logprov.export.documentlineage import lineage_document, lineage_document_distance, relation_ends
from logprov.export.graphcut import first_activities
from logprov.export.graphviz import render_dot
from logprov.model import build_document
from logprov.model.contents import content_view
from logprov.reading.reader import iter_records

from logs import SyntheticLog, value_entity
from drawings import PROGRAMS, SVG, program, svg_size, svg_texts

NODE = re.compile(r'^\s+(n\d+) \[label=.*?, tooltip="([^"]*)", class="(\w+)"', re.M)
EDGE = re.compile(r"^\s+(n\d+) -> (n\d+)", re.M)


def pipeline_log(tmp_path: Path, sessions: int = 3, runs: int = 12) -> Path:
    """A log of ``sessions`` sessions, each of ``runs`` chains select → reduce → fit whose
    activities use and generate one to four entities; the runs of a session share one input."""
    log = SyntheticLog()
    for number in range(sessions):
        session = log.session(number + 1)
        index = value_entity(session, "index", f"index-{number}")
        for run in range(runs):
            observations = [value_entity(session, "obs", (number, run, k)) for k in range(1 + run % 3)]
            selected = log.call(session, "select", used=[(index, "index")],
                                generated=[(entity, "observation") for entity in observations])
            datasets = value_entity(session, "datasets", (number, run))
            log.call(session, "reduce", used=[(entity, "observation") for entity in observations],
                     generated=[(datasets, "datasets")], parent=selected)
            log.call(session, "fit", used=[(datasets, "datasets")],
                     generated=[(value_entity(session, "model", (number, run)), "model"),
                                (value_entity(session, "result", (number, run)), "result")])
    return log.write(tmp_path / "pipeline.log")


def drawn(source: str) -> tuple[dict, dict, set]:
    """Return the drawn nodes (full id: kind), their DOT ids, and the drawn edges as id pairs."""
    nodes = {name: kind for _, name, kind in NODE.findall(source)}
    ids = {node: name for node, name, _ in NODE.findall(source)}
    edges = {(ids[tail], ids[head]) for tail, head in EDGE.findall(source) if tail in ids and head in ids}
    return nodes, ids, edges


def links(document) -> dict:
    """Return the entities each activity used and generated, as (activity, entity) pairs."""
    found: dict = {}
    for record in content_view(document).get_records((ProvUsage, ProvGeneration)):
        ends = relation_ends(record)
        pair = ends if isinstance(record, ProvUsage) else (ends[1], ends[0])
        found.setdefault(str(pair[0]), set()).add(str(pair[1]))
    return found


@pytest.mark.parametrize("budget", [5, 17, 40, 90])
def test_a_cut_graph_draws_the_first_activities_each_with_all_its_edges(tmp_path, budget):
    document = build_document(iter_records(pipeline_log(tmp_path)))
    activities = [str(record.identifier) for record in document.get_records(ProvActivity)]
    with pytest.warns(GraphTruncatedWarning):
        source = prov_to_dot(document, max_nodes=budget).to_string()
    nodes, _, edges = drawn(source)
    assert len(nodes) <= budget
    shown = [name for name in activities if name in nodes]
    assert shown == activities[: len(shown)] and len(shown) > 1
    uses = links(document)
    for activity in shown:
        for entity in uses.get(activity, ()):
            assert entity in nodes
            assert (activity, entity) in edges or (entity, activity) in edges
    following = activities[len(shown)]
    assert len(set(nodes) | {following} | uses.get(following, set())) > budget


def test_the_note_says_what_was_drawn_and_how_to_draw_more(tmp_path):
    document = build_document(iter_records(pipeline_log(tmp_path)))
    total = len(list(document.get_records(ProvActivity)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = prov_to_dot(document, max_nodes=40).to_string()
    nodes, _, _ = drawn(source)
    count = sum(1 for kind in nodes.values() if kind == "activity")
    [warning] = [w.message for w in caught if isinstance(w.message, GraphTruncatedWarning)]
    assert warning.drawn == len(nodes) and f"the first {count} of {total} activities" in warning.part
    label = re.search(r"^  label=<(.*)>;$", source, re.M).group(1)
    assert f"the first {count} of {total} activities" in label and f"({len(nodes)} of " in label
    assert f"session 00000000-0…: the first {count} of {total // 3} activities" in label
    assert "2 more sessions not drawn" in label
    assert "focus=ID" in label and "max_nodes=N" in label and "--entity" not in label
    with pytest.warns(GraphTruncatedWarning):
        worded = prov_to_dot(document, max_nodes=40, command_line=True).to_string()
    assert "--entity ID --depth N" in worded and "--session ID" in worded and "--max-nodes N" in worded


@pytest.mark.parametrize("options", [{}, {"sessions": "node"}, {"agents": True}])
def test_the_records_of_the_first_activities_draw_as_the_whole_document_would(tmp_path, capsys, options):
    log = pipeline_log(tmp_path)
    records = list(iter_records(log))
    part, counts = first_activities(iter(records), 80)
    assert counts is not None and len(part) < len(records) / 2
    label = re.compile(r"^  label=<(.*)>;$", re.M)
    with pytest.warns(GraphTruncatedWarning):
        whole = prov_to_dot(build_document(records), max_nodes=40, command_line=True, **options).to_string()
        cut = prov_to_dot(build_document(part), max_nodes=40, command_line=True, logs=counts, **options).to_string()
    assert label.search(cut).group(1) == label.search(whole).group(1)
    assert drawn(cut)[0] == drawn(whole)[0]
    out = tmp_path / "cut.dot"
    words = [f"--{key}" if value is True else f"--{key}={value}" for key, value in options.items()]
    assert main(["graph", str(log), "-o", str(out), "--max-nodes", "40", *words]) == 0
    err = capsys.readouterr().err
    assert "graph cut to" in err and "--max-nodes" in err and "focus=" not in err
    assert label.search(out.read_text()).group(1) == label.search(whole).group(1)
    assert drawn(out.read_text())[0] == drawn(whole)[0]


def test_records_are_kept_whole_when_every_activity_fits(tmp_path):
    records = list(iter_records(pipeline_log(tmp_path, sessions=1, runs=2)))
    kept, counts = first_activities(iter(records), 1000)
    assert kept == records and counts is None
    part, counts = first_activities(iter(records), 4)
    assert counts is not None and counts.activities == 6 and len(part) < len(records)


def test_an_uncut_graph_has_no_note_and_no_layout_edges(tmp_path):
    document = build_document(iter_records(pipeline_log(tmp_path, sessions=1, runs=2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = prov_to_dot(document).to_string()
    assert 'style="invis"' not in source and "\n  labelloc=" not in source
    entities = set().union(*links(document).values())
    assert len(drawn(source)[0]) == len(list(document.get_records(ProvActivity))) + len(entities)


@pytest.mark.parametrize("name", PROGRAMS)
def test_a_cut_drawing_of_many_small_parts_is_not_a_strip(tmp_path, name):
    log = SyntheticLog()
    session = log.session(1)
    for n in range(600):
        log.call(session, "step", parameters={"n": n}, generated=[(value_entity(session, "x", n), "x")])
    document = build_document(iter_records(log.write(tmp_path / "steps.log")))
    with pytest.warns(GraphTruncatedWarning):
        source = prov_to_dot(document).to_string()
    svg = render_dot(source, "svg", program(name))
    width, height = svg_size(svg)
    assert max(width, height) / min(width, height) < 3, (width, height)
    texts, _ = svg_texts(svg)
    assert "the first 150 of 600 activities" in texts
    root = etree.fromstring(svg)
    assert sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "node activity") == 150


def chain_log(tmp_path: Path, steps: int = 40) -> tuple[Path, list[str], list[str]]:
    """A log of one chain: step n uses x(n-1) and generates x(n). Return it, the activity ids
    of the steps (step n at n - 1) and the entity ids of x0 ... x(steps)."""
    log = SyntheticLog()
    session = log.session(1)
    entities = [value_entity(session, "x", 0)]
    activities = []
    for n in range(1, steps + 1):
        entities.append(value_entity(session, "x", n))
        activities.append(log.call(session, "step", parameters={"n": n}, used=[(entities[-2], "in")],
                                   generated=[(entities[-1], "out")]))
    return log.write(tmp_path / "chain.log"), activities, [entity["entity_id"] for entity in entities]


def nearest_first(focus: int, steps: int) -> list[int]:
    """The steps of the chain by their distance from x(focus), ties in log order: step n <= focus
    is 2 (focus - n) + 1 relations away, step n > focus 2 (n - focus) - 1."""
    return sorted(range(1, steps + 1), key=lambda n: (2 * (focus - n) + 1 if n <= focus else 2 * (n - focus) - 1, n))


@pytest.mark.parametrize("budget", [1, 2, 5, 12, 30])
def test_a_cut_lineage_keeps_its_focus_and_the_activities_nearest_to_it(tmp_path, budget):
    path, activities, entities = chain_log(tmp_path)
    document = build_document(iter_records(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = prov_to_dot(document, focus=entities[30], depth=None, max_nodes=budget).to_string()
    nodes, _, _ = drawn(source)
    assert len(nodes) <= budget and any(entities[30] in name for name in nodes)
    shown = [n for n in range(1, 41) if any(activities[n - 1] in name for name in nodes)]
    assert sorted(nearest_first(30, 40)[: len(shown)]) == shown
    assert len(shown) == {1: 0, 2: 1, 5: 2, 12: 5, 30: 14}[budget]
    [warning] = [w.message for w in caught if isinstance(w.message, GraphTruncatedWarning)]
    label = re.search(r"^  label=<(.*)>;$", source, re.M).group(1)
    if len(shown) > 1:
        part = f"the {len(shown)} of 40 activities nearest to the focus"
        assert part in warning.part and part in label and "log order" not in label
        assert f"session 00000000-0…: the nearest {len(shown)} of 40 activities" in label
    elif shown:
        assert "the one nearest to the focus of 40 activities, with 1 of the 2 entities" in label
    else:
        assert "1 of 81 nodes, and no activity" in label


def test_a_cut_lineage_from_the_command_line_is_cut_as_the_lineage_of_the_document(tmp_path, capsys):
    path, _, entities = chain_log(tmp_path)
    with pytest.warns(GraphTruncatedWarning):
        whole = prov_to_dot(build_document(iter_records(path)), focus=entities[30], depth=None, max_nodes=12,
                            command_line=True).to_string()
    out = tmp_path / "cut.dot"
    assert main(["graph", str(path), "--entity", entities[30], "--depth", "100", "--max-nodes", "12",
                 "-o", str(out)]) == 0
    assert "nearest to the focus" in capsys.readouterr().err
    assert out.read_text() == whole
    assert "the 5 of 40 activities nearest to the focus" in whole


def test_the_distance_of_a_lineage_changes_no_uncut_drawing(tmp_path):
    path, _, entities = chain_log(tmp_path, steps=6)
    with logprov.query.open(path, index=False) as provenance:
        lineage = provenance.lineage(entities[3], depth=None)
    document = lineage_document(lineage)
    distance = lineage_document_distance(lineage)
    assert sorted(distance.values()) == list(range(7))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prov_to_dot(document, distance=distance).to_string() == prov_to_dot(document).to_string()
