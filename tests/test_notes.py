"""Notes: written by the capture on an activity or the session, appended with ``logprov note``,
mapped to PROV in every export (reference and one-pass paths equal, PROV-CONSTRAINTS valid) and
found by ``logprov search --note``."""

from __future__ import annotations

import gzip
import io
import json
import xml.etree.ElementTree

import prov
import pytest
import rdflib

from logprov.cli import main
from logprov.export import export, export_records
from logprov.model import build_document
from logprov.reading.reader import iter_records
from logprov.records.kinds import kind_of

from provconstraints import check_records
from onepass import assert_same

LOGPROV = "https://logprov.readthedocs.io/ns#"


def _notes(records):
    return [r for r in records if kind_of(r) == "note"]


def _run(capsys, *argv):
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def noted_log(make_capture, tmp_path):
    """A log of two sessions: notes on an activity (with attributes), on a failed one, and on
    the first session outside activities."""
    capture = make_capture()

    @capture.trace
    def fit(data: list, start: float = 1.0) -> float:
        capture.note("fit converged", iterations=3, password="hunter2")
        return sum(data) / start

    @capture.trace
    def broken() -> None:
        capture.note("about to fail")
        raise ValueError("bad input")

    fit([1, 2, 3])
    with pytest.raises(ValueError):
        broken()
    capture.note("observing conditions poor", seeing=1.8)
    first = capture.session_id
    capture.new_session()
    fit([4, 5], start=2.0)
    return capture.config.log_filename, first, capture.session_id


def test_capture_writes_notes_on_activities_and_sessions(noted_log):
    log, first, second = noted_log
    records = [r.data for r in iter_records(log)]
    notes = _notes(records)
    assert [n["note"] for n in notes] == ["fit converged", "about to fail", "observing conditions poor", "fit converged"]
    starts = {r["activity_id"]: r["name"] for r in records if kind_of(r) == "start"}
    assert [starts.get(n.get("about_activity")) for n in notes] == ["fit", "broken", None, "fit"]
    assert [n["in_session"] for n in notes] == [first, first, first, second]
    assert notes[0]["attributes"] == {"iterations": 3, "password": "***"}
    assert notes[2]["attributes"] == {"seeing": 1.8}
    assert all(n["time"].endswith("+00:00") for n in notes)
    assert len({n["note_id"] for n in notes}) == 4


def test_a_note_outside_activities_before_any_starts_the_session(make_capture):
    capture = make_capture()
    assert capture.session_id is None
    note = capture.note("before anything ran")
    records = [r.data for r in iter_records(capture.config.log_filename)]
    assert [kind_of(r) for r in records] == ["session", "note"]
    assert records[1]["note_id"] == note and records[1]["in_session"] == records[0]["session_id"]


def test_no_note_when_capture_is_off(make_capture):
    capture = make_capture(capture=False)
    assert capture.note("ignored") is None


def test_notes_in_the_reference_document(noted_log):
    log, first, _ = noted_log
    document = build_document(iter_records(log))
    notes = [r for r in document.get_records(prov.model.ProvEntity)
             if any(str(v) == "logprov:Note" for v in r.get_attribute("prov:type"))]
    assert sorted(str(next(iter(r.get_attribute("prov:value")))) for r in notes) == [
        "about to fail", "fit converged", "fit converged", "observing conditions poor"]
    influences = {(str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
                  for r in document.get_records(prov.model.ProvInfluence)
                  if any(str(v) == "logprov:noteOn" for v in r.get_attribute("prov:type"))}
    assert len(influences) == 4
    assert sum(target.startswith("activity:") for _, target in influences) == 3
    assert sum(target.startswith("session:") and target.endswith(first) for _, target in influences) == 1


def test_notes_in_every_export_and_equal_on_both_paths(noted_log):
    log, _, _ = noted_log
    records = list(iter_records(log))
    assert_same(records)
    check_records(records)
    document = build_document(records)
    for fmt in ("json", "provn", "xml", "ttl", "nt", "jsonld", "rdfxml"):
        text = export(document, fmt)
        assert "observing conditions poor" in text, fmt
        assert "Note" in text, fmt
    graph = rdflib.Graph().parse(data=export_records(records, "nt"), format="nt")
    typed = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef(LOGPROV + "Note")))
    assert len(typed) == 4
    json.loads(export_records(records, "json"))
    xml.etree.ElementTree.fromstring(export_records(records, "xml"))


def _ids(log):
    records = [r.data for r in iter_records(log)]
    sessions = [r["session_id"] for r in records if kind_of(r) == "session"]
    activities = [r["activity_id"] for r in records if kind_of(r) == "start"]
    return sessions, activities


def test_note_command_on_an_activity_by_the_start_of_its_id(noted_log, capsys):
    log, _, second = noted_log
    _, activities = _ids(log)
    target = activities[-1]
    before = len(open(log).read().splitlines())
    status, out, err = _run(capsys, "note", log, target[:8], "reference star was variable")
    assert status == 0, err
    assert target in out
    lines = open(log).read().splitlines()
    assert len(lines) == before + 1
    note = _notes([r.data for r in iter_records(log)])[-1]
    assert note["note"] == "reference star was variable"
    assert note["about_activity"] == target and note["in_session"] == second
    assert_same(list(iter_records(log)))


def test_note_command_on_a_session(noted_log, capsys):
    log, first, _ = noted_log
    status, out, err = _run(capsys, "note", log, first[:6], "clouds")
    assert status == 0, err
    note = _notes([r.data for r in iter_records(log)])[-1]
    assert note["in_session"] == first and "about_activity" not in note


def test_note_command_keeps_markers_and_a_cut_last_line_apart(noted_log, capsys):
    log, first, _ = noted_log
    with open(log, "a") as stream:
        stream.write("INFO logprov half a line without its end")
    status, _, err = _run(capsys, "note", log, first, "text with _PROV_ inside\nand a line end")
    assert status == 0, err
    lines = open(log).read().splitlines()
    assert lines[-2] == "INFO logprov half a line without its end"
    assert lines[-1].count("_PROV_") == 2
    note = _notes([r.data for r in iter_records(log)])[-1]
    assert note["note"] == "text with _PROV_ inside\nand a line end"


@pytest.mark.parametrize("target, message", [
    ("ffffffffffff", "no session or activity id starts with 'ffffffffffff'"),
    ("", "give a session or activity id"),
])
def test_note_command_unknown_id(noted_log, capsys, target, message):
    log, _, _ = noted_log
    before = open(log).read()
    status, out, err = _run(capsys, "note", log, target, "x")
    assert status == 2
    assert message in err and log in err
    assert open(log).read() == before


def test_note_command_ambiguous_prefix(make_capture, capsys):
    capture = make_capture()

    @capture.trace
    def step(i: int) -> None:
        return None

    for i in range(40):
        step(i)
    log = capture.config.log_filename
    sessions, activities = _ids(log)
    ids = sessions + activities
    prefix = next(p for p in "0123456789abcdef" if sum(i.startswith(p) for i in ids) > 1)
    before = open(log).read()
    status, _, err = _run(capsys, "note", log, prefix, "x")
    assert status == 2 and "give more of it" in err
    assert open(log).read() == before


def test_note_command_refuses_what_it_cannot_append_to(noted_log, tmp_path, capsys):
    log, first, _ = noted_log
    packed = tmp_path / "packed.log.gz"
    packed.write_bytes(gzip.compress(open(log, "rb").read()))
    unnamed = tmp_path / "packed.log"
    unnamed.write_bytes(packed.read_bytes())
    for target in (packed, unnamed, tmp_path / "missing.log", "-"):
        status, _, err = _run(capsys, "note", target, first, "x")
        assert status == 2 and "not a log file that notes can be appended to" in err
    assert unnamed.read_bytes() == packed.read_bytes()


@pytest.mark.parametrize("index", [True, False])
def test_search_by_note(noted_log, capsys, index):
    log, first, second = noted_log
    extra = () if index else ("--no-index",)
    status, out, _ = _run(capsys, "search", log, "--note", "CONVERGED", "--json", *extra)
    assert status == 0
    found = [json.loads(line)["activity"] for line in out.splitlines()]
    assert [(a["name"], a["session"]) for a in found] == [("fit", first), ("fit", second)]
    status, out, _ = _run(capsys, "search", log, "--note", "observing", "--json", *extra)
    found = [json.loads(line)["activity"] for line in out.splitlines()]
    assert sorted(a["name"] for a in found) == ["broken", "fit"]
    assert {a["session"] for a in found} == {first}
    status, out, _ = _run(capsys, "search", log, "--note", "fail", "--status", "failed", "--json", *extra)
    assert [json.loads(line)["activity"]["name"] for line in out.splitlines()] == ["broken"]
    status, _, err = _run(capsys, "search", log, "--note", "no such note", *extra)
    assert status == 1 and "nothing found" in err


def test_secrets_in_a_note_are_hidden(make_capture):
    capture = make_capture()
    capture.note("data from https://alice:s3cret@archive.example.org/obs", token="abc", target="Crab")
    note = _notes([r.data for r in iter_records(capture.config.log_filename)])[0]
    assert "s3cret" not in json.dumps(note)
    assert note["note"] == "data from https://alice:***@archive.example.org/obs"
    assert note["attributes"] == {"token": "***", "target": "Crab"}
