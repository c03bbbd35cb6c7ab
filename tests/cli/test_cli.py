"""Tests of the ``logprov`` command, through `logprov.cli.main` and the installed script."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import logprov.query
from analyses import LEGACY, LEGACY_FILE, file_id
from commands import assert_one_line_error, run
from logs import SyntheticLog, file_entity, write_same_content
from logprov.model.identifiers import local_part

pytestmark = pytest.mark.usefixtures("cache")

ROOT = Path(__file__).resolve().parents[2]
BAD_DEFINITIONS = sorted((ROOT / "tests" / "data" / "bad_definitions").glob("*.yaml"))
QUERIES = sorted((ROOT / "docs" / "queries").glob("*.rq"))


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


def test_help_lists_commands_with_examples(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in ("export", "graph", "search", "lineage", "sessions", "validate", "sparql", "index"):
        assert command in out
        status, text, _ = run(capsys, command, "--help")
        assert status == 0 and "examples:" in text and f"logprov {command}" in text


def test_lineage_of_a_product_reaches_the_first_session(capsys, two_sessions):
    status, out, err = run(capsys, "lineage", two_sessions.log, two_sessions.product)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(file_id(two_sessions.product)[:19])
    assert "generated as 'fit result' by: fit_spectrum  success" in lines[1]
    assert "used as 'event list':" in lines[4] and str(two_sessions.events) in lines[4]
    assert "inputs (nothing in the logs made them):" in out


def test_lineage_json_lines(capsys, two_sessions):
    status, out, _ = run(capsys, "lineage", two_sessions.log, two_sessions.events, "--descendants", "--json")
    assert status == 0
    items = json_lines(out)
    entities = {item["id"]: item for item in items if item["kind"] == "entity"}
    assert entities[file_id(two_sessions.product)]["distance"] == 4
    assert entities[file_id(two_sessions.events)]["root"] is True
    assert {item["relation"] for item in items if item["kind"] == "edge"} == {"used", "wasGeneratedBy"}


def test_lineage_drawing(capsys, two_sessions, tmp_path):
    drawing = tmp_path / "lineage.dot"
    status, _, err = run(capsys, "lineage", two_sessions.log, two_sessions.product, "--format", "dot", "-o", drawing)
    assert status == 0, err
    dot = drawing.read_text()
    assert "fit_spectrum" in dot and "reduce_events" in dot and "events.json" in dot


def count_reads(monkeypatch) -> list:
    """Replace `iter_records` wherever logprov imported it by one counting the records it
    reads from files; return the list of the counts, one per call."""
    import logprov.query.provenance

    original = logprov.query.provenance.iter_records
    counts: list = []

    def counted(sources, *args, **kwargs):
        counts.append(0)
        number = len(counts) - 1
        for record in original(sources, *args, **kwargs):
            counts[number] += 1
            yield record

    for name, module in list(sys.modules.items()):
        if name.startswith("logprov") and getattr(module, "iter_records", None) is original:
            monkeypatch.setattr(module, "iter_records", counted)
    return counts


@pytest.mark.parametrize("command", [["lineage", "{log}", "{target}", "--format", "dot"],
                                     ["graph", "{log}", "--entity", "{target}"]], ids=["lineage", "graph"])
@pytest.mark.parametrize("where", [[], ["--no-index"]], ids=["index", "memory"])
def test_a_lineage_drawing_reads_the_logs_once(capsys, monkeypatch, two_sessions, tmp_path, command, where):
    records = sum(1 for line in two_sessions.log.read_text().splitlines() if "_PROV_" in line)
    counts = count_reads(monkeypatch)
    argv = [part.format(log=two_sessions.log, target=two_sessions.product) for part in command]
    status, _, err = run(capsys, *argv, *where, "-o", tmp_path / "lineage.dot")
    assert status == 0, err
    assert sum(counts) == records
    counts.clear()
    status, _, err = run(capsys, *argv, *where, "-o", tmp_path / "again.dot")
    assert status == 0 and sum(counts) == (0 if not where else records)
    assert (tmp_path / "again.dot").read_text() == (tmp_path / "lineage.dot").read_text()


def focused_drawing(log, target, options) -> str:
    """Return the DOT text of the document of ``log`` drawn with the focus of ``graph --entity``."""
    from logprov.export.graphdrawing import prov_to_dot
    from logprov.model import build_document
    from logprov.reading.reader import iter_records

    depth = int(options[options.index("--depth") + 1]) if "--depth" in options else 3
    direction = options[options.index("--direction") + 1] if "--direction" in options else "both"
    with logprov.query.open(log, index=False) as provenance:
        [(_, focus)] = provenance.resolve(target)
    return prov_to_dot(build_document(iter_records(log)), focus=focus, depth=depth, direction=direction,
                       agents="--agents" in options, attributes="--attributes" in options,
                       rankdir=options[-1] if "--rankdir" in options else "BT").to_string()


@pytest.mark.parametrize("options", [["--depth", "2"], ["--direction", "ancestors"], ["--direction", "descendants"],
                                     ["--depth", "1", "--agents", "--attributes", "--rankdir", "LR"]])
def test_a_lineage_drawing_is_the_focused_drawing_of_the_logs(capsys, analysis, two_sessions, tmp_path, options):
    targets = [(analysis.log, analysis.output), (two_sessions.log, two_sessions.spectrum)]
    if "descendants" in options:  # a root made outside the drawing is boxed with its users alone
        targets = [(two_sessions.log, two_sessions.events)]
    for log, target in targets:
        status, _, err = run(capsys, "graph", log, "--entity", target, *options, "-o", tmp_path / "drawn.dot")
        assert status == 0, err
        assert (tmp_path / "drawn.dot").read_text() == focused_drawing(log, target, options)


def test_a_drawn_collection_keeps_its_type_and_members(capsys, tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    members = [(f"file:{'c' * 64}", file_entity(session, f"/data/part{n}.fits", f"{n}" * 64)) for n in range(3)]
    collection = file_entity(session, "/data", "c" * 64, type="FileCollection")
    log.call(session, "gather", generated=[(collection, "parts")], members=members)
    log.call(session, "fit", used=[(collection, "parts")])
    path = log.write(tmp_path / "prov.log")
    options = ["--attributes", "--depth", "4"]
    status, _, err = run(capsys, "graph", path, "--entity", collection["entity_id"], *options, "-o", tmp_path / "c.dot")
    assert status == 0, err
    drawn = (tmp_path / "c.dot").read_text()
    assert drawn.count('label="member"') == 3 and "prov:Collection" in drawn
    assert drawn == focused_drawing(path, collection["entity_id"], options)


def test_a_lineage_drawing_keeps_every_entity_attribute_and_the_activity_of_a_derivation(capsys, tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    raw = file_entity(session, "/data/raw.fits", "a" * 64, id_scheme="path", identified_by="ctapipe",
                      product_id="run-23523", reference_meta="{\"CTA PRODUCT ID\": \"23523\"}")
    table = file_entity(session, "/data/table.fits", "b" * 64, digest="sha256:" + "b" * 64)
    fit = log.call(session, "fit", used=[(raw, "raw")], generated=[(table, "table")])
    changed = file_entity(session, "/data/table2.fits", "c" * 64)
    log.batch([changed, {"entity_id": changed["entity_id"], "progenitor_id": table["entity_id"],
                         "in_session": session, "in_activity": fit},
               {"entity_id": changed["entity_id"], "progenitor_id": raw["entity_id"], "in_session": session,
                "untraced": True, "generated_time": log.now()}])
    path = log.write(tmp_path / "prov.log")
    options = ["--attributes", "--depth", "4", "--direction", "ancestors"]
    status, _, err = run(capsys, "graph", path, "--entity", changed["entity_id"], *options, "-o", tmp_path / "l.dot")
    assert status == 0, err
    drawn = (tmp_path / "l.dot").read_text()
    for attribute in ("idScheme", "digest", "identifiedBy", "productId", "referenceMeta", "generatedAtTime"):
        assert f"logprov:{attribute}" in drawn, attribute
    assert drawn == focused_drawing(path, changed["entity_id"], options)
    with logprov.query.open(path, index=False) as memory, logprov.query.open(path) as indexed:
        for provenance in (memory, indexed):
            lineage = provenance.lineage(changed["entity_id"])
            derivations = {(edge.cause, edge.activity, edge.untraced)
                           for edge in lineage.edges if edge.relation == "wasDerivedFrom"}
            assert derivations == {(table["entity_id"], fit, False), (raw["entity_id"], None, True)}
    from logprov.export.documentlineage import lineage_document
    from prov.model import ProvDerivation

    document = lineage_document(lineage)
    assert {str(d.args[2]) for d in document.get_records(ProvDerivation)} == {"None", f"activity:{local_part(fit)}"}


def test_a_lineage_is_drawn_from_standard_input(capsys, monkeypatch, two_sessions, tmp_path):
    status, _, err = run(capsys, "lineage", two_sessions.log, two_sessions.product, "--format", "dot",
                         "-o", tmp_path / "from-file.dot")
    assert status == 0, err
    with two_sessions.log.open("rb") as stream:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream, encoding="utf-8"))
        status, _, err = run(capsys, "lineage", "-", two_sessions.product, "--format", "dot",
                             "-o", tmp_path / "from-stdin.dot")
    assert status == 0, err
    assert (tmp_path / "from-stdin.dot").read_text() == (tmp_path / "from-file.dot").read_text()


def test_search_for_the_runs_that_used_a_file_and_failed(capsys, two_sessions):
    status, out, _ = run(capsys, "search", two_sessions.log, "--file", two_sessions.spectrum, "--status", "failed")
    assert status == 0
    header, row = out.splitlines()
    assert header.split()[:4] == ["START", "ACTIVITY", "STATUS", "ID"]
    assert "fit_spectrum" in row and "failed" in row and "used" in row and "counts spectrum" in row
    status, out, _ = run(capsys, "search", two_sessions.log, "--location", "*/spectrum.json", "--json")
    assert status == 0
    found = [(m["activity"]["name"], m["relation"]) for m in json_lines(out)]
    assert found == [("reduce_events", "generated"), ("fit_spectrum", "used"), ("fit_spectrum", "used")]


def test_search_activities_by_name_parameter_and_window(capsys, analysis, two_sessions):
    logs = (analysis.log, two_sessions.log)
    status, out, _ = run(capsys, "search", *logs, "--activity", "get_*", "--json")
    assert [m["activity"]["name"] for m in json_lines(out)] == ["get_observations", "get_datasets", "get_flux_points"]
    status, out, _ = run(capsys, "search", *logs, "--where", "options.steps=20", "--where", "method=l*")
    assert status == 0 and len(out.splitlines()) == 2 and "fit_spectrum" in out
    status, out, _ = run(capsys, "search", *logs, "--since", two_sessions.between, "--status", "success")
    assert status == 0 and len(out.splitlines()) == 2
    status, out, err = run(capsys, "search", *logs, "--activity", "nothing_like_this")
    assert (status, out, err.strip()) == (1, "", "nothing found")


def test_search_with_session_prefix(capsys, two_sessions):
    status, out, _ = run(capsys, "search", two_sessions.log, "--session", two_sessions.first[:8], "--no-index")
    assert status == 0 and "reduce_events" in out and "fit_spectrum" not in out


def test_sessions_table_and_json(capsys, two_sessions):
    status, out, _ = run(capsys, "sessions", two_sessions.log)
    assert status == 0
    header, first, second = out.splitlines()
    with logprov.query.open(two_sessions.log, index=False) as provenance:
        sessions = provenance.sessions()
    contexts = [name for name, field in (("JOB", "job"), ("CONTAINER", "container"))
                if any(getattr(session, field) for session in sessions)]
    assert header.split() == ["SESSION", "START", "END", "HOST", "USER", *contexts, "ACTIVITIES", "FAILED", "COMMAND"]
    assert first.startswith(two_sessions.first) and second.startswith(two_sessions.second)
    status, out, _ = run(capsys, "sessions", two_sessions.log, "--json", "--since", two_sessions.between)
    assert [(s["id"], s["activities"], s["failed"]) for s in json_lines(out)] == [(two_sessions.second, 2, 1)]


def test_export_formats(capsys, analysis, tmp_path):
    status, out, _ = run(capsys, "export", analysis.log, "-f", "provn")
    assert status == 0 and out.startswith("document") and "write_flux_points" in out
    target = tmp_path / "prov.ttl"
    status, _, _ = run(capsys, "export", analysis.log, "-o", target)
    assert status == 0 and "prov:Activity" in target.read_text()
    status, out, _ = run(capsys, "export", analysis.log, "-f", "json", "--until", "2000-01-01")
    assert status == 1 and out == ""


def test_graph_of_one_entity(capsys, analysis, tmp_path):
    drawing = tmp_path / "graph.dot"
    status, _, err = run(capsys, "graph", analysis.log, "-o", drawing, "--entity", analysis.output, "--depth", "2")
    assert status == 0, err
    dot = drawing.read_text()
    assert "write_flux_points" in dot and "get_observations" not in dot


@pytest.mark.skipif(shutil.which("dot") is None and shutil.which("graphviz-pure") is None
                    and not (Path(sys.executable).parent / "graphviz-pure").exists(),
                    reason="no Graphviz program")
def test_graph_drawn_as_svg(capsys, two_sessions, tmp_path):
    drawing = tmp_path / "graph.svg"
    status, _, err = run(capsys, "graph", two_sessions.log, "-o", drawing, "--no-attributes")
    assert status == 0, err
    assert drawing.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_ready_queries(capsys, two_sessions, query):
    status, out, err = run(capsys, "sparql", two_sessions.log, "--file", query, "--json")
    assert status == 0, err
    rows = json_lines(out)
    assert rows
    if query.stem == "failed-activities":
        assert [(r["name"], r["exception"]) for r in rows] == [("fit_spectrum", "ValueError")]
    if query.stem == "file-inputs":
        assert {"product": str(two_sessions.product), "input": str(two_sessions.events)} in rows


def test_sparql_inline_and_ask(capsys, two_sessions):
    query = "SELECT ?name WHERE { ?a a prov:Activity ; rdfs:label ?name } ORDER BY ?name"
    status, out, _ = run(capsys, "sparql", two_sessions.log, query)
    assert status == 0 and out.split() == ["name", "fit_spectrum", "fit_spectrum", "reduce_events"]
    status, out, _ = run(capsys, "sparql", two_sessions.log, 'ASK { ?a logprov:status "incomplete" }')
    assert (status, out.strip()) == (1, "false")


def test_validate(capsys):
    status, out, _ = run(capsys, "validate", ROOT / "definitions" / "gammapy.yaml")
    assert status == 0 and "valid" in out


@pytest.mark.parametrize("definition", BAD_DEFINITIONS, ids=[d.stem for d in BAD_DEFINITIONS])
def test_validate_reports_every_problem_with_its_line(capsys, definition):
    status, out, err = run(capsys, "validate", definition)
    assert status == 2 and out == ""
    for line in err.strip().splitlines():
        assert line.startswith(f"logprov: error: {definition}:"), line
    status, out, _ = run(capsys, "validate", definition, "--json")
    assert status == 2 and all(item["message"] for item in json_lines(out))


def test_index_command(capsys, two_sessions, cache):
    status, out, _ = run(capsys, "index", two_sessions.log)
    assert status == 0 and str(cache) in out and "3 activities" in out
    status, out, _ = run(capsys, "index", two_sessions.log, "--json")
    assert json_lines(out)[0]["sessions"] == 2


def test_legacy_log(capsys):
    status, out, _ = run(capsys, "sessions", LEGACY)
    assert status == 0 and "8735086556965" in out
    status, out, _ = run(capsys, "lineage", LEGACY, LEGACY_FILE)
    assert status == 0 and "write_file" in out and "set_var1" in out
    status, out, _ = run(capsys, "search", LEGACY, "--activity", "set_var1", "--where", "kwargs.value=2", "--json")
    assert [m["activity"]["id"] for m in json_lines(out)] == ["8735086556965.474da8"]
    status, out, _ = run(capsys, "export", LEGACY, "-f", "provn")
    assert status == 0 and "read_file" in out


def test_standard_input(capsys, monkeypatch, two_sessions):
    import io

    stdin = io.TextIOWrapper(io.BytesIO(two_sessions.log.read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    status, out, _ = run(capsys, "search", "-", "--status", "failed")
    assert status == 0 and "fit_spectrum" in out


@pytest.mark.parametrize("argv, status, words", [
    (["sessions", "missing.log"], 2, ["missing.log", "no such log file"]),
    (["search", "logs/*.nothing"], 2, ["no log file matches"]),
    (["lineage", "{log}", "file:0000"], 1, ["no entity, activity or file"]),
    (["lineage", "{log}", "{data}/events.json", "--since", "2999-01-01"], 1, ["no entity has the content"]),
    (["sparql", "{log}", "SELEC ?x"], 2, ["bad SPARQL query"]),
    (["sparql", "{log}", "SELECT ?x WHERE { ?x a nowhere:Thing }"], 2, ["bad SPARQL query", "nowhere"]),
    (["search", "{log}", "--where", "method"], 2, ["KEY=VALUE"]),
    (["search", "{log}", "--since", "next week"], 2, ["--since", "ISO 8601"]),
    (["graph", "{log}", "-o", "graph.txt"], 2, ["drawing format"]),
    (["unknown-command"], 2, ["invalid choice"]),
])
def test_errors_are_one_line(capsys, two_sessions, argv, status, words):
    argv = [arg.replace("{log}", str(two_sessions.log)).replace("{data}", str(two_sessions.data)) for arg in argv]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (status, "")
    assert_one_line_error(err, *words)


def test_empty_logs_are_errors(capsys, tmp_path):
    empty, chatter = tmp_path / "empty.log", tmp_path / "chatter.log"
    empty.write_text("")
    chatter.write_text("INFO starting\nINFO done\n")
    for command in (["sessions"], ["export", "-f", "json"], ["search", "--no-index"]):
        for log in (empty, chatter):
            status, out, err = run(capsys, command[0], log, *command[1:])
            assert (status, out) == (2, "")
            assert_one_line_error(err, "no provenance records")


def test_unreadable_lines_are_one_line_warnings(capsys, two_sessions):
    with open(two_sessions.log, "a") as stream:
        stream.write("INFO _PROV_2026-11-22T10:00:00+00:00_PROV_{not json\n")
    status, out, err = run(capsys, "sessions", two_sessions.log)
    assert status == 0
    [warning] = err.strip().splitlines()
    assert warning.startswith("logprov: warning: ") and "skipped" in warning


def test_every_query_of_an_index_warns_about_the_unreadable_lines_as_reading_the_logs_does(
        capsys, monkeypatch, two_sessions):
    monkeypatch.chdir(two_sessions.log.parent)
    log = two_sessions.log.name
    lines = two_sessions.log.read_text().splitlines(keepends=True)
    lines.insert(3, 'INFO _PROV_2026-11-22T10:00:00+00:00_PROV_{"activity_id": "cut short\n')
    lines.insert(7, "INFO _PROV_ garbled\n")
    two_sessions.log.write_text("".join(lines))
    for command in ("search", "sessions"):
        found = [run(capsys, command, log, *options)[2] for options in ((), (), ("--no-index",))]
        assert found[0] == found[1] == found[2], command
        assert found[0].splitlines() == [f"logprov: warning: {log}:4: skipped: cannot decode payload (not JSON: "
                                         "Unterminated string starting at: line 1 column 17 (char 16))",
                                         f"logprov: warning: {log}:8: skipped: no timestamp between _PROV_ markers"]


def test_installed_script(two_sessions, cache):
    script = shutil.which("logprov", path=os.path.dirname(sys.executable)) or shutil.which("logprov")
    assert script is not None, "the logprov console script is not installed"
    done = subprocess.run([script, "lineage", str(two_sessions.log), str(two_sessions.product), "--json"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LOGPROV_CACHE": str(cache)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    ids = {item["id"] for item in json_lines(done.stdout) if item["kind"] == "entity"}
    assert file_id(two_sessions.events) in ids


def test_a_search_by_location_shows_the_location_it_matched(tmp_path, capsys, make_capture):
    write_same_content(make_capture, tmp_path / "prov.log", [tmp_path / "hist_A.txt", tmp_path / "hist_C.txt"],
                       sessions=True)
    status, out, _ = run(capsys, "search", tmp_path / "prov.log", "--location", "*hist_C.txt", "--no-index")
    assert status == 0
    rows = out.splitlines()[1:]
    assert rows and all(row.rstrip().endswith("hist_C.txt") for row in rows)
