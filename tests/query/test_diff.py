"""``logprov diff``: what differs between two sessions, products or activities."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from logprov.cli import main
from logprov.query.diff import compare, side
from logprov.query.snapshot import load
from logprov.query.window import Window

from logs import SyntheticLog, digest, file_entity, make_id, stamp, write_same_content


def two_runs(path, *, gain=(1.5, 1.5), raw=("1" * 64, "1" * 64), numpy=("1.26.4", "1.26.4")):
    """Write two sessions running ``calibrate`` then ``fit``, whose outputs have a content made
    from their inputs and parameters; return the session ids."""
    log = SyntheticLog()
    sessions = []
    for number in (0, 1):
        session = log.session(number + 1, packages={"numpy": numpy[number], "astropy": "6.0"})
        sessions.append(session)
        source = file_entity(session, "/data/raw/run_1.fits", raw[number])
        calibrated = file_entity(session, f"/data/out{number}/cal.fits", digest(f"{gain[number]} {raw[number]}"))
        log.call(session, "calibrate", used=[(source, "raw")], generated=[(calibrated, "cal")],
                 parameters={"gain": gain[number], "method": "mean"})
        model = file_entity(session, f"/data/out{number}/model.fits", digest(calibrated["entity_id"]))
        log.call(session, "fit", used=[(calibrated, "cal")], generated=[(model, "model")],
                 parameters={"iterations": 20})
    log.write(path)
    return sessions


def run(capsys, *args):
    status = main(["diff", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_sessions_that_differ_in_one_parameter_one_input_and_one_package(tmp_path, capsys):
    log = tmp_path / "runs.log"
    a, b = two_runs(log, gain=(1.5, 1.8), raw=("1" * 64, "2" * 64), numpy=("1.26.4", "2.1.0"))
    status, out, err = run(capsys, log, a, b, "--json")
    assert status == 1, err
    result = json.loads(out)
    assert result["identical"] is False
    assert (result["a"]["id"], result["b"]["id"]) == (a, b)
    found = {(d["section"], d["activity"], d["key"]): (d["a"], d["b"]) for d in result["differences"]}
    cal = [digest(f"{gain} {raw}") for gain, raw in ((1.5, "1" * 64), (1.8, "2" * 64))]
    model = [digest(f"file:{content}") for content in cal]
    assert found == {
        ("parameters", "calibrate", "gain"): (1.5, 1.8),
        ("inputs", "calibrate", "raw"): ([f"run_1.fits (file:{'1' * 64})"], [f"run_1.fits (file:{'2' * 64})"]),
        ("outputs", "calibrate", "cal"): ([f"cal.fits (file:{cal[0]})"], [f"cal.fits (file:{cal[1]})"]),
        ("inputs", "fit", "cal"): ([f"cal.fits (file:{cal[0]})"], [f"cal.fits (file:{cal[1]})"]),
        ("outputs", "fit", "model"): ([f"model.fits (file:{model[0]})"], [f"model.fits (file:{model[1]})"]),
        ("packages", None, "numpy"): ("1.26.4", "2.1.0"),
    }
    status, out, _ = run(capsys, log, a, b)
    assert status == 1
    assert "calibrate: gain: 1.5 -> 1.8" in out
    assert "calibrate: raw: run_1.fits (file:111111111111…) -> run_1.fits (file:222222222222…)" in out
    assert "numpy: 1.26.4 -> 2.1.0" in out


def test_identical_sessions_exit_0(tmp_path, capsys):
    log = tmp_path / "runs.log"
    a, b = two_runs(log)
    status, out, _ = run(capsys, log, a, b)
    assert status == 0
    assert out.splitlines()[-1] == "identical"


def test_products_are_compared_through_their_lineage(tmp_path, capsys):
    log = tmp_path / "runs.log"
    two_runs(log, gain=(1.5, 1.8))
    snapshot = load(str(log))
    entities = {e.location: e.id for e in snapshot.provenance.find_entities(location="*/model.fits")}
    status, out, _ = run(capsys, log, entities["/data/out0/model.fits"], entities["/data/out1/model.fits"], "--json")
    result = json.loads(out)
    assert status == 1
    assert result["a"]["kind"] == result["b"]["kind"] == "product"
    assert [(d["section"], d["activity"], d["key"]) for d in result["differences"]] == [
        ("parameters", "calibrate", "gain"), ("inputs", "fit", "cal"), ("outputs", "calibrate", "cal"),
        ("outputs", "fit", "model")]


def test_activities_compared_one_to_one(tmp_path):
    same, changed = tmp_path / "same.log", tmp_path / "changed.log"
    two_runs(same)
    two_runs(changed, gain=(1.5, 1.8), numpy=("1.26.4", "2.1.0"))
    snapshot = load(str(same))
    fits = snapshot.provenance.find_activities(name="fit")
    assert compare(snapshot, side(snapshot, fits[0].id), side(snapshot, fits[1].id)).identical
    snapshot = load(str(changed))
    calibrations = snapshot.provenance.find_activities(name="calibrate")
    comparison = compare(snapshot, side(snapshot, calibrations[0].id), side(snapshot, calibrations[1].id))
    assert [(d.section, d.key) for d in comparison.differences] == [
        ("parameters", "gain"), ("outputs", "cal"), ("packages", "numpy")]


def test_unknown_and_ambiguous_names_exit_2(tmp_path, capsys):
    log = tmp_path / "runs.log"
    a, b = two_runs(log)
    status, _, err = run(capsys, log, "nothing-like-this", b)
    assert status == 2 and "nothing-like-this" in err
    status, _, err = run(capsys, log, make_id(1)[:4], b)
    assert status == 2 and "ambiguous" in err
    status, _, err = run(capsys, log, a)
    assert status == 2
    status, _, err = run(capsys, tmp_path / "missing.log", a, b)
    assert status == 2 and "missing.log" in err


SCRIPT = """
import sys, logprov
capture = logprov.ProvCapture(config={{"log_filename": sys.argv[1], "record_git": False}})

@capture.trace(version="{version}")
def fit(x):
    return x * {factor}

@capture.trace
def prepare(x):
    return x + 1

fit(prepare(2))
"""


def test_code_identity_shows_a_changed_function_without_a_commit(tmp_path, capsys):
    log = tmp_path / "code.log"
    for version, factor in (("1.0", 2), ("1.0", 3), ("1.1", 3)):
        script = tmp_path / "analysis.py"
        script.write_text(textwrap.dedent(SCRIPT.format(version=version, factor=factor)))
        subprocess.run([sys.executable, str(script), str(log)], check=True)
    snapshot = load(str(log))
    first, second, third = (s.id for s in snapshot.provenance.sessions())
    assert set(snapshot.code[first]) == {"__main__.fit", "__main__.prepare"}
    status, out, _ = run(capsys, log, first[:8], second[:8], "--json")
    assert status == 1
    found = {(d["section"], d["key"]) for d in json.loads(out)["differences"]}
    assert ("code", "__main__.fit digest") in found
    assert ("code", "__main__.prepare digest") not in found
    status, out, _ = run(capsys, log, second, third, "--json")
    found = {(d["section"], d["key"]): (d["a"], d["b"]) for d in json.loads(out)["differences"]}
    assert found[("code", "__main__.fit version")] == ("1.0", "1.1")
    assert ("code", "__main__.prepare digest") not in found
    assert not [key for key in found if key[0] == "outputs"]


RUN = """
import sys, logprov
capture = logprov.ProvCapture(config={"log_filename": sys.argv[1], "record_git": False})

@capture.trace
def select(threshold):
    return {"V1": 3.1, "V2": 0.4, "threshold": threshold}

select(float(sys.argv[2]))
"""


def test_sessions_named_by_their_start_beside_entities_local_to_them(tmp_path, capsys):
    log = tmp_path / "runs.log"
    script = tmp_path / "thresholds.py"
    script.write_text(RUN)
    for threshold in ("1.0", "1.5"):
        subprocess.run([sys.executable, str(script), str(log), threshold], check=True)
    first, second = (s.id for s in load(str(log)).provenance.sessions())
    status, out, err = run(capsys, log, first[:8], second[:8])
    assert status == 1, err
    assert out.splitlines()[:2] == [f"A: session {first[:8]} (1 activity)", f"B: session {second[:8]} (1 activity)"]
    assert "select: threshold: 1.0 -> 1.5" in out


def test_later_packages_records_of_a_session_are_compared_too(tmp_path, capsys):
    log = SyntheticLog()
    first = log.session(1, packages={"numpy": "1.26.4"})
    log.batch([{"session_id": first, "packages": {"scipy": "1.14.1"}}])
    second = log.session(2, packages={"numpy": "1.26.4"})
    log.batch([{"session_id": second, "packages": {"scipy": "1.15.0"}}])
    path = log.write(tmp_path / "packages.log")
    snapshot = load(str(path))
    assert snapshot.details[first]["packages"] == {"numpy": "1.26.4", "scipy": "1.14.1"}
    status, out, _ = run(capsys, path, first, second, "--json")
    assert status == 1
    assert [(d["section"], d["key"], d["a"], d["b"]) for d in json.loads(out)["differences"]] == [
        ("packages", "scipy", "1.14.1", "1.15.0")]


def test_activities_and_sessions_of_a_ctapipe_log_are_compared(tmp_path, capsys):
    from ctapipe_activities import FIRST, SECOND, two_runs as ctapipe_runs

    first, second = ctapipe_runs(tmp_path)
    log = tmp_path / "ctapipe-process.provenance.log"
    log.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    status, out, err = run(capsys, log, FIRST, SECOND, "--json")
    assert status == 1, err
    only = {(d["key"], d["a"] is None) for d in json.loads(out)["differences"] if d["section"] == "activities"}
    assert only == {("lstchain_r0_to_dl1", False), ("lstchain_dl1_to_dl2", True)}
    sessions = [s.id for s in load(str(log)).provenance.sessions()]
    status, out, err = run(capsys, log, *sessions, "--json")
    result = json.loads(out)
    assert status == 1 and (result["a"]["kind"], result["b"]["kind"]) == ("session", "session")


def _fit_of(log, session):
    snapshot = load(str(log))
    return next(a.id for a in snapshot.provenance.find_activities(session=session) if a.name == "fit")


def test_notes_that_differ_are_shown_in_text_and_json(tmp_path, capsys):
    from logprov.notes import append_note

    log = tmp_path / "runs.log"
    a, b = two_runs(log)
    hostile = 'did not <script>alert("x")</script> converge\x00\x1b[31m'
    append_note(str(log), _fit_of(log, a), "converged")
    append_note(str(log), _fit_of(log, b), hostile)
    append_note(str(log), a, "seeing poor")
    status, out, err = run(capsys, log, a, b, "--json")
    assert status == 1, err
    result = json.loads(out)
    found = {(d["section"], d["activity"], d["key"]): (d["a"], d["b"]) for d in result["differences"]}
    assert found == {("notes", "fit", "notes"): (["converged"], [hostile]),
                     ("notes", None, "session"): (["seeing poor"], None)}
    status, out, _ = run(capsys, log, a, b)
    assert status == 1
    lines = out.splitlines()
    assert lines[lines.index("notes:") + 1:] == [
        '  fit: notes: "converged" -> "did not <script>alert(\\"x\\")</script> converge\\u0000\\u001b[31m"',
        '  session: "seeing poor" -> (none)',
    ]
    assert "\x00" not in out and "\x1b" not in out


def test_the_same_notes_on_both_sides_are_no_difference(tmp_path, capsys):
    from logprov.notes import append_note

    log = tmp_path / "runs.log"
    a, b = two_runs(log)
    for session in (a, b):
        append_note(str(log), _fit_of(log, session), "converged")
        append_note(str(log), session, "seeing poor")
    status, out, _ = run(capsys, log, a, b)
    assert status == 0
    assert out.splitlines()[-1] == "identical"
    append_note(str(log), _fit_of(log, b), "converged")
    status, out, _ = run(capsys, log, a, b, "--json")
    assert status == 1
    assert [(d["section"], d["a"], d["b"]) for d in json.loads(out)["differences"]] == [
        ("notes", ["converged"], ["converged", "converged"])]


def test_notes_of_two_activities_of_one_session_are_compared_without_the_session_notes(make_capture, tmp_path, capsys):
    capture = make_capture()

    @capture.trace
    def fit(x: int) -> int:
        capture.note(f"tried {x}", attempt=x)
        return x

    fit(1)
    fit(2)
    capture.note("on the session")
    capture.end_session()
    log = capture.config.log_filename
    first, second = (a.id for a in load(log).provenance.find_activities())
    status, out, _ = run(capsys, log, first, second, "--json")
    assert status == 1
    assert [(d["section"], d["key"], d["a"], d["b"]) for d in json.loads(out)["differences"]
            if d["section"] == "notes"] == [
        ("notes", "notes", ['tried 1 {"attempt": 1}'], ['tried 2 {"attempt": 2}'])]


def test_code_records_of_a_session_are_kept_by_a_window(tmp_path, capsys):
    log = SyntheticLog()
    sessions = []
    for number, body in ((1, "x * 2"), (2, "x * 3")):
        session = log.session(number)
        sessions.append(session)
        log.call(session, "prepare")
        log.batch([{"in_session": session, "code": {"__main__.fit": {"version": "1", "digest": digest(body)}}}])
        log.call(session, "fit")
    path = log.write(tmp_path / "code.log")
    a, b = sessions
    expected = [("__main__.fit digest", digest("x * 2"), digest("x * 3"))]
    started = stamp(4)  # the start of the first fit: the first session started before
    assert load(str(path), Window(start=started)).code == {
        a: {"__main__.fit": {"version": "1", "digest": digest("x * 2")}},
        b: {"__main__.fit": {"version": "1", "digest": digest("x * 3")}}}
    for window in ([], ["--session", a, "--session", b[:8]], ["--since", started]):
        status, out, err = run(capsys, path, a, b, *window, "--json")
        assert status == 1, err
        code = [(d["key"], d["a"], d["b"]) for d in json.loads(out)["differences"] if d["section"] == "code"]
        assert code == expected, window


def test_two_runs_of_a_ctapipe_tool_that_differ_in_their_exit_code(tmp_path, capsys):
    from ctapipe_activities import FIRST, SECOND, ctapipe_activity

    first = ctapipe_activity(tmp_path, uuid=FIRST)
    second = ctapipe_activity(tmp_path, uuid=SECOND, start="2026-12-02T01:16:00", stop="2026-12-02T01:16:30")
    second.update(status="error", exit_code=1)
    log = tmp_path / "ctapipe-process.provenance.log"
    log.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    status, out, err = run(capsys, log, FIRST, SECOND, "--json")
    assert status == 1, err
    assert [(d["section"], d["key"], d["a"], d["b"]) for d in json.loads(out)["differences"]] == [
        ("status", "status", "success", "failed"), ("status", "exit_code", 0, 1)]
    status, out, _ = run(capsys, log, FIRST, SECOND)
    assert out.splitlines()[-2:] == ["  ctapipe-process: status: success -> failed",
                                     "  ctapipe-process: exit_code: 0 -> 1"]


def test_a_product_is_labelled_by_the_file_given_when_another_file_has_its_content(tmp_path, capsys, make_capture):
    first, second = tmp_path / "hist_A.txt", tmp_path / "hist_C.txt"
    write_same_content(make_capture, tmp_path / "prov.log", [first, second], sessions=False)
    status, out, _ = run(capsys, tmp_path / "prov.log", first, second, "--json")
    result = json.loads(out)
    assert (result["a"]["label"].split()[0], result["b"]["label"].split()[0]) == ("hist_A.txt", "hist_C.txt")

