"""``logprov load`` and the commands reading a store with ``--store``: the same answers as
the commands reading the logs."""

from __future__ import annotations

import json

import pytest

import logprov.query
from logprov.cli import main
from logprov.query.facts import FactReader
from logprov.query.memory import MemoryGraph
from logprov.query.provenance import Provenance
from logprov.query.window import Window
from logprov.store import connect
from logprov.store.records import stored_records
from storelogs import entity_answers, synthetic_log


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def loaded(store, tmp_path, capsys):
    logs = [synthetic_log(tmp_path / f"job{number}.log", number) for number in (1, 2)]
    status, out, err = run(capsys, "load", *map(str, logs), "--store", store, "-q")
    assert status == 0, err
    assert [line.endswith("records loaded") for line in out.splitlines()] == [True, True, False]
    return logs, store


def test_load_says_what_it_loaded_and_nothing_the_second_time(loaded, capsys):
    logs, store = loaded
    status, out, _ = run(capsys, "load", *map(str, logs), "--store", store, "-q", "--json")
    assert status == 0
    assert [json.loads(line)["state"] for line in out.splitlines()] == ["unchanged", "unchanged"]
    status, out, _ = run(capsys, "load", *map(str, logs), "--store", store, "-q")
    assert out.splitlines()[-1].startswith("0 records from 2 files into ")
    assert "secret" not in out


@pytest.mark.parametrize("command", [
    ["search", "--activity", "step_*", "--status", "failed", "--json"],
    ["search", "--role", "out*", "--json"],
    ["sessions", "--json"],
    ["sessions", "--job", "nothing"],
])
def test_queries_of_a_store_answer_like_the_logs(loaded, capsys, command):
    logs, store = loaded
    from_logs = run(capsys, *command, *map(str, logs), "--no-index", "-q")
    from_store = run(capsys, *command, "--store", store, "-q")
    assert from_store == from_logs


def test_lineage_of_a_store_answers_like_the_logs(loaded, capsys):
    logs, store = loaded
    with logprov.query.open(logs, index=False) as provenance:
        target = provenance.find_entities(location="/data/2/step5.fits")[0].id
    for extra in ([], ["--descendants"], ["--depth", "2"]):
        from_logs = run(capsys, "lineage", *map(str, logs), target, "--json", "--no-index", *extra)
        from_store = run(capsys, "lineage", "--store", store, target, "--json", *extra)
        assert from_store == from_logs and from_logs[0] == 0


def test_logs_and_store_together_are_refused(loaded, capsys):
    logs, store = loaded
    status, _, err = run(capsys, "search", str(logs[0]), "--store", store)
    assert status == 2 and "not both" in err
    status, _, err = run(capsys, "search")
    assert status == 2 and "--store" in err


def test_the_records_made_from_a_store_hold_what_the_logs_hold(loaded):
    logs, store = loaded
    engine = connect(store)
    try:
        graph = MemoryGraph()
        FactReader(graph).add_all(stored_records(engine))
    finally:
        engine.close()
    rebuilt = Provenance(graph, Window(), [], 0)
    with logprov.query.open(logs, index=False) as provenance:
        assert entity_answers(rebuilt) == entity_answers(provenance)


def test_export_and_graph_of_a_store(loaded, capsys, tmp_path):
    logs, store = loaded
    status, out, err = run(capsys, "export", "--store", store, "-f", "json")
    assert status == 0, err
    stored = json.loads(out)
    status, out, _ = run(capsys, "export", *map(str, logs), "-f", "json")
    logged = json.loads(out)
    for kind in ("activity", "used", "wasGeneratedBy", "wasDerivedFrom", "hadMember"):
        assert len(stored[kind]) == len(logged[kind]), kind
    assert set(stored["activity"]) == set(logged["activity"])
    assert set(stored["entity"]) == set(logged["entity"])
    drawing = tmp_path / "graph.dot"
    status, _, err = run(capsys, "graph", "--store", store, "-o", str(drawing))
    assert status == 0, err
    assert "step_0" in drawing.read_text()


def test_the_exit_code_of_a_ctapipe_activity_shows_beside_its_status_from_the_logs_and_the_store(
        store, tmp_path, capsys):
    from ctapipe_activities import SECOND, two_runs

    first, second = two_runs(tmp_path)
    second.update(status="error", exit_code=2)
    log = tmp_path / "ctapipe-process.provenance.log"
    log.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    assert run(capsys, "load", str(log), "--store", store, "-q")[0] == 0
    answers = []
    for logs, source in (([str(log)], ["--no-index"]), ([], ["--store", store])):
        status, out, err = run(capsys, "search", *logs, *source, "--activity", "lstchain_*", "-q")
        assert status == 0, err
        assert [line.split("  ")[2].strip() for line in out.splitlines()[1:]] == ["success (exit 0)",
                                                                                 "failed (exit 2)"]
        found = [out]
        status, out, _ = run(capsys, "search", *logs, *source, "--status", "failed", "--json", "-q")
        assert [json.loads(line)["activity"]["exit_code"] for line in out.splitlines()] == [2]
        found.append(out)
        status, out, err = run(capsys, "lineage", *logs, SECOND, *source, "-q")
        assert status == 0, err
        assert "lstchain_dl1_to_dl2  failed (exit 2)" in out and "lstchain_r0_to_dl1  success (exit 0)" in out
        found.append(out)
        answers.append(found)
    assert answers[0] == answers[1]


def test_a_search_by_note_answers_from_the_store_like_the_logs(store, tmp_path, capsys):
    from logprov.notes import append_note
    from logprov.reading.reader import iter_records

    log = synthetic_log(tmp_path / "job.log", 1)
    activity = next(r.data["activity_id"] for r in iter_records(str(log)) if "activity_id" in r.data)
    append_note(str(log), activity, "Checked by hand")
    assert run(capsys, "load", str(log), "--store", store, "-q")[0] == 0
    from_logs = run(capsys, "search", str(log), "--note", "checked", "--no-index", "--json")
    from_store = run(capsys, "search", "--store", store, "--note", "checked", "--json")
    assert from_store == from_logs
    assert from_logs[0] == 0 and activity in from_logs[1]
    assert run(capsys, "search", "--store", store, "--note", "nowhere")[0] != 0
    exported = tmp_path / "store.json"
    assert run(capsys, "export", "--store", store, "-f", "json", "-o", str(exported))[0] == 0
    assert "Checked by hand" in exported.read_text()
