"""A gammapy-like Analysis traced with trace_methods and definitions/gammapy.yaml."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("analysis_session_example", ROOT / "examples" / "analysis_session.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def session_log(example, make_capture, records, tmp_path):
    capture = make_capture(example.DEFINITIONS, log_returned_result=False)
    with records(capture) as log:
        output = example.run_session(tmp_path, capture)
    return log, output, tmp_path


def by_activity(log, kind, key):
    found = {}
    for record in log.of_kind(kind):
        found.setdefault(record["activity_id"], []).append(record[key])
    return found


def test_activities_in_order_all_successful(session_log):
    log, _, _ = session_log
    starts = log.activities()
    assert [s["name"] for s in starts] == [
        "get_observations", "get_datasets", "set_models", "run_fit", "get_flux_points", "write_flux_points",
    ]
    assert len(log.of_kind("session")) == 1
    assert [e["status"] for e in log.of_kind("end")] == ["success"] * 6
    assert all(len(s["activity_id"]) == 36 for s in starts)


def test_parameters_follow_the_definitions(session_log):
    log, output, workdir = session_log
    starts = {s["name"]: s["activity_id"] for s in log.activities()}
    params = {r["activity_id"]: r["parameters"] for r in log.of_kind("parameters")}
    assert params[starts["get_observations"]] == {
        "datastore": str(workdir / "hess-dl3-dr1"),
        "obs_ids": [23523, 23526, 23559, 23592],
        "obs_cone": {},
        "obs_time": {},
        "required_irf": ["aeff", "edisp"],
    }
    assert params[starts["get_datasets"]]["stack"] is True
    assert params[starts["run_fit"]] == {"fit range": [1.0, 30.0]}
    assert params[starts["get_flux_points"]] == {
        "source": "crab", "energy": [1.0, 3.0, 10.0, 30.0], "estimator parameters": {},
    }
    assert params[starts["write_flux_points"]] == {"filename": str(output)}


def test_datastore_is_a_file_collection_whose_files_are_its_members(session_log):
    log, _, workdir = session_log
    store = workdir / "hess-dl3-dr1"
    [used] = log.find(used_role="datastore")
    entity = log.find(entity_id=used["used_id"])[0]
    assert entity["type"] == "FileCollection" and entity["entity_description"] == "DataStore"
    assert entity["location"] == str(store) and "size" not in entity
    files = sorted(store.glob("*.fits.gz"))
    assert [path.name for path in files] == [
        "hdu-index.fits.gz", "obs-index.fits.gz",
        "run_23523.fits.gz", "run_23526.fits.gz", "run_23559.fits.gz", "run_23592.fits.gz", "run_33787.fits.gz",
    ]
    members = {m["member_id"] for m in log.of_kind("member") if m["entity_id"] == used["used_id"]}
    assert members == {"file:" + hashlib.sha256(path.read_bytes()).hexdigest() for path in files}
    for path in files:
        [member] = log.find(entity_id="file:" + hashlib.sha256(path.read_bytes()).hexdigest())
        assert (member["location"], member["entity_description"], member["type"]) == (str(path), "DataStoreFile", "File")


def test_observations_have_members_and_survive_an_untraced_deep_copy(session_log):
    log, _, _ = session_log
    starts = {s["name"]: s["activity_id"] for s in log.activities()}
    generated = by_activity(log, "generated", "generated_id")
    observations = generated[starts["get_observations"]]
    assert len(observations) == 1
    members = [m["member_id"] for m in log.of_kind("member") if m["entity_id"] == observations[0]]
    assert members == ["23523", "23526", "23559", "23592"]
    member_entities = [log.find(entity_id=m)[0] for m in members]
    assert all(e["entity_description"] == "Observation" and e["id_scheme"] == "path" for e in member_entities)
    used = by_activity(log, "used", "used_id")
    assert used[starts["get_datasets"]] == observations
    datasets = generated[starts["get_datasets"]][0]
    progenitors = [d["progenitor_id"] for d in log.of_kind("derivation") if d["entity_id"] == datasets]
    assert progenitors == members


def test_in_place_changes_and_untraced_changes_are_told_apart(session_log):
    log, _, _ = session_log
    starts = {s["name"]: s["activity_id"] for s in log.activities()}
    generated = {}
    for record in log.of_kind("generated"):
        generated.setdefault(record["activity_id"], {})[record["generated_role"]] = record["generated_id"]
    used = {}
    for record in log.of_kind("used"):
        used.setdefault(record["activity_id"], {})[record["used_role"]] = record["used_id"]
    reduced = generated[starts["get_datasets"]]["reduced datasets"]
    assert used[starts["set_models"]]["datasets"] == reduced
    with_model = generated[starts["set_models"]]["datasets"]
    assert with_model != reduced
    derivations = log.of_kind("derivation")
    in_place = [d for d in derivations if d.get("in_activity") == starts["set_models"]]
    assert [(d["entity_id"], d["progenitor_id"]) for d in in_place] == [(with_model, reduced)]
    untraced = [d for d in derivations if d.get("untraced")]
    assert len(untraced) == 1
    assert untraced[0]["progenitor_id"] == with_model
    assert used[starts["run_fit"]]["datasets"] == untraced[0]["entity_id"]
    assert used[starts["run_fit"]]["initial models"] == generated[starts["set_models"]]["models"]
    fitted = generated[starts["run_fit"]]["fitted models"]
    assert fitted != generated[starts["set_models"]]["models"]
    assert used[starts["get_flux_points"]]["fitted models"] == fitted
    assert used[starts["get_flux_points"]]["datasets"] == generated[starts["run_fit"]]["datasets"]


def test_flux_points_file_is_linked_to_the_flux_points(session_log):
    log, output, _ = session_log
    starts = {s["name"]: s["activity_id"] for s in log.activities()}
    flux_points = log.find(activity_id=starts["get_flux_points"], generated_role="flux points")[0]["generated_id"]
    write = starts["write_flux_points"]
    assert log.find(activity_id=write, used_role="flux points")[0]["used_id"] == flux_points
    file_id = "file:" + hashlib.sha256(output.read_bytes()).hexdigest()
    assert log.find(activity_id=write, generated_role="flux points file")[0]["generated_id"] == file_id


def test_no_warning_and_every_value_path_resolved(session_log):
    log, _, _ = session_log
    assert log.warnings == []
