"""ctapipe provenance documents as logprov records, and the PROV those records make."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prov.model import ProvActivity, ProvEntity

from logprov.ctapipe import SESSION_NAMESPACE, UNKNOWN_AGENT, activity_records, looks_like_log, split_arrays
from logprov.model import build_document
from logprov.reading.reader import ProvRecord, RecordNormalizer
from logprov.records.kinds import kind_of

from ctapipe_activities import ctapipe_activity
from provconstraints import check_records


def as_records(pairs, source="tools.provenance.log"):
    """ProvRecords of ``(timestamp, record)`` pairs, normalised as the reader normalises lines."""
    normalizer = RecordNormalizer()
    found = []
    for number, (timestamp, data) in enumerate(pairs, 1):
        data = json.loads(json.dumps(data))
        session = normalizer.normalize(data, False)
        found.append(ProvRecord(timestamp, data, source, number, session))
    return found


def test_a_log_holds_one_array_per_run_and_names_the_line_of_each():
    first = json.dumps([{"activity_name": "a"}], indent=3)
    second = json.dumps([{"activity_name": "b"}, {"activity_name": "c"}], indent=3)
    arrays = list(split_arrays(first + second, "tools.provenance.log"))
    assert [(line, [a["activity_name"] for a in array]) for line, array in arrays] == [
        (1, ["a"]), (first.count("\n") + 1, ["b", "c"])]


def test_a_broken_log_is_refused_with_its_name_and_line():
    text = json.dumps([{"activity_name": "a"}], indent=3) + "\n[\n   {\"activity_name\": \n"
    with pytest.raises(ValueError, match=r"^tools\.provenance\.log:8: not a ctapipe provenance log"):
        list(split_arrays(text, "tools.provenance.log"))
    with pytest.raises(ValueError, match=r"^x:1: .*a JSON dict, not a list"):
        list(split_arrays('{"activity_name": "a"}', "x"))


@pytest.mark.parametrize("head, expected", [
    (b'[\n   {\n      "activity_name": "ctapipe-quickstart",', True),
    (b'[{"activity_name": "x"}]', True),
    (b'[{"name": "x"}]', False),
    (b'INFO logprov _PROV_2026-12-02T01:15:04+00:00_PROV_{"session_id": "x"}', False),
    (b"\x89HDF\r\n\x1a\n", False),
])
def test_a_ctapipe_log_is_recognised_by_its_first_key(head, expected):
    assert looks_like_log(head) is expected


def test_an_activity_becomes_session_activity_parameters_files_and_end(tmp_path):
    events = tmp_path / "events.h5"
    events.write_bytes(b"events")
    output = tmp_path / "dl1.h5"
    meta = {"CTA PRODUCT ID": "7f3c0d2e-dl1", "CTA CONTACT NAME": "Jane Doe"}
    activity = ctapipe_activity(tmp_path, inputs=[(events, "events", None)], outputs=[(output, "DL1", meta)])
    pairs = activity_records(activity)
    kinds = [kind_of(record) for _, record in pairs]
    assert kinds == ["session", "start", "parameters", "entity", "used", "entity", "generated", "end"]
    session, start, parameters, used_entity, used, made_entity, generated, end = (r for _, r in pairs)
    session_id = str(__import__("uuid").uuid5(SESSION_NAMESPACE, activity["activity_uuid"]))
    assert session["session_id"] == start["in_session"] == session_id
    assert session["startTime"] == start["startTime"] == "2026-12-02T01:15:04.685000+00:00"
    assert session["endTime"] == end["endTime"] == "2026-12-02T01:15:39.508000+00:00"
    assert [timestamp for timestamp, _ in pairs] == [start["startTime"]] * 5 + [end["endTime"]] * 3
    assert start["name"] == "ctapipe-process" and start["activity_id"] == activity["activity_uuid"]
    assert start["agent_name"] == session["agent_name"] == "jdoe"
    assert session["class"] == "ProcessorTool" and session["packages"] == {
        "astropy": "7.2.3", "numpy": "2.4.6", "ctapipe": "0.28.0"}
    assert session["system"]["python"] == {"version": "3.11.7", "implementation": "CPython"}
    assert session["system"]["platform"]["num_cpus"] == 2
    assert session["system"]["environment"] == {"USER": "jdoe", "HOME": "/home/jdoe", "DB_PASSWORD": "***",
                                                 "PATH": "/usr/bin"}
    assert session["system"]["argv"][-2:] == ["--password", "***"]
    assert parameters["parameters"] == {
        "DataWriter.output_path": "/data/dl1.h5",
        "DataWriter.write_images": True,
        "EventSource.input_url": "https://jdoe:***@example.org/run1.h5",
        "EventSource.max_events": None,
        "api_token": "***",
        "log_config": {},
        "log_level": 30,
        "overwrite": False,
    }
    digest = hashlib.sha256(b"events").hexdigest()
    assert used_entity == {"entity_id": f"file:{digest}", "in_session": session_id, "type": "File",
                           "location": str(events), "hash": digest, "hash_type": "sha256", "size": 6,
                           "identified_by": "content"}
    assert used == {"activity_id": activity["activity_uuid"], "used_id": f"file:{digest}", "used_role": "events"}
    assert made_entity == {"entity_id": f"path:{output}", "in_session": session_id, "type": "File",
                           "location": str(output), "identified_by": "path", "reference_meta": meta,
                           "product_id": "7f3c0d2e-dl1"}
    assert generated["generated_id"] == f"path:{output}" and generated["generated_role"] == "DL1"
    assert end == {"activity_id": activity["activity_uuid"], "endTime": end["endTime"], "status": "success",
                   "duration": pytest.approx(34.823), "exit_code": 0}


def test_the_configured_hash_identifies_the_files(tmp_path):
    events = tmp_path / "events.h5"
    events.write_bytes(b"events")
    pairs = activity_records(ctapipe_activity(tmp_path, inputs=[(events, "events", None)]), hash_type="md5")
    entity = next(record for _, record in pairs if "entity_id" in record)
    assert entity["entity_id"] == "file:" + hashlib.md5(b"events").hexdigest() and entity["hash_type"] == "md5"


def test_an_activity_without_user_has_the_unknown_agent_and_an_unfinished_one_no_end(tmp_path):
    activity = ctapipe_activity(tmp_path)
    del activity["system"]["environment"]["USER"]
    del activity["stop"]
    activity["status"] = "running"
    pairs = activity_records(activity)
    assert [kind_of(record) for _, record in pairs] == ["session", "start", "parameters"]
    assert pairs[1][1]["agent_name"] == UNKNOWN_AGENT
    document = build_document(as_records(pairs))
    (element,) = document.get_records(ProvActivity)
    assert ("logprov:status", "incomplete") in {(str(k), v) for k, v in element.attributes}


@pytest.mark.parametrize("broken, message", [
    ([], "an activity is a JSON object, not a list"),
    ({"activity_name": "x"}, "needs activity_uuid and start.time_utc"),
    ({"activity_uuid": "u", "start": {"time_utc": "yesterday"}}, "needs activity_uuid and start.time_utc"),
])
def test_a_broken_activity_is_refused(broken, message):
    with pytest.raises(ValueError, match=message):
        activity_records(broken)


def test_the_prov_of_an_activity_carries_its_status_exit_code_roles_and_identification(tmp_path):
    events = tmp_path / "events.h5"
    events.write_bytes(b"events")
    output = tmp_path / "dl1.h5"
    activity = ctapipe_activity(tmp_path, inputs=[(events, "events", None)],
                                outputs=[(output, "DL1", {"CTA PRODUCT ID": "p-1"})])
    document = build_document(as_records(activity_records(activity)))
    (element,) = document.get_records(ProvActivity)
    attributes = {str(key): value for key, value in element.attributes}
    assert attributes["prov:label"] == "ctapipe-process" and attributes["logprov:status"] == "success"
    assert attributes["logprov:exitCode"] == 0
    entities = {str(e.identifier): {str(k): v for k, v in e.attributes} for e in document.get_records(ProvEntity)}
    (made,) = [attributes for key, attributes in entities.items() if key.startswith("path:")]
    assert made["prov:location"] == str(output)
    assert made["logprov:identifiedBy"] == "path" and made["logprov:productId"] == "p-1"
    assert json.loads(made["logprov:referenceMeta"]) == {"CTA PRODUCT ID": "p-1"}
    used = entities["file:_" + hashlib.sha256(b"events").hexdigest()]
    assert used["logprov:identifiedBy"] == "content"
    parameters = {v for k, v in ((str(k), v) for e in document.get_records(ProvEntity) for k, v in e.attributes)
                  if k == "voprov:name"}
    assert "api_token" in parameters
    assert "s3cr3t" not in document.get_provn() and "pw123" not in document.get_provn()


def test_two_runs_writing_the_same_content_pass_the_constraints(tmp_path):
    config = tmp_path / "w1" / "base_config.yaml"
    config.parent.mkdir()
    config.write_text("a: 1\n")
    again = tmp_path / "w2" / "base_config.yaml"
    again.parent.mkdir()
    again.write_text("a: 1\n")
    first = ctapipe_activity(tmp_path, name="ctapipe-quickstart", outputs=[(config, "config", None)])
    second = copy.deepcopy(first)
    second.update(activity_uuid="5d1b0a8c-3c55-4f38-9d59-2f1f0b0c5a12", start={"time_utc": "2026-12-02T01:16:00"},
                  stop={"time_utc": "2026-12-02T01:16:02"})
    second["output"] = [{"url": str(again), "role": "config", "reference_meta": None}]
    records = as_records(activity_records(first) + activity_records(second))
    document = build_document(records)
    (content,) = [e for e in document.get_records(ProvEntity) if str(e.identifier).startswith("file:")]
    assert {v for k, v in content.attributes if str(k) == "prov:location"} == {str(config), str(again)}
    assert len(list(document.get_records(ProvActivity))) == 2
    check_records(records)


def test_a_configuration_of_several_entries_keeps_the_whole_names(tmp_path):
    activity = ctapipe_activity(tmp_path)
    activity["config"] = {"ProcessorTool": {"log_level": 10}, "Secrets": {"value": "x"}, "dry_run": True}
    parameters = next(record for _, record in activity_records(activity) if "parameters" in record)["parameters"]
    assert parameters == {"ProcessorTool.log_level": 10, "Secrets.value": "***", "dry_run": True}


def test_a_remote_file_is_identified_by_its_url_without_its_password(tmp_path):
    activity = ctapipe_activity(tmp_path, inputs=[("https://jdoe:pw123@archive.example.org/run1.h5", "events", None)])
    entity = next(record for _, record in activity_records(activity) if "entity_id" in record)
    assert entity["entity_id"] == "url:https://jdoe:***@archive.example.org/run1.h5"
    assert entity["identified_by"] == "url" and entity["location"] == entity["entity_id"][4:]


def test_a_file_url_is_the_file(tmp_path):
    events = tmp_path / "events.h5"
    events.write_bytes(b"events")
    activity = ctapipe_activity(tmp_path, inputs=[(f"file://{events}", "events", None)])
    entity = next(record for _, record in activity_records(activity) if "entity_id" in record)
    assert entity["entity_id"] == "file:" + hashlib.sha256(b"events").hexdigest()
    assert entity["location"] == str(events)


activity_names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.lists(st.fixed_dictionaries({"activity_name": activity_names}), max_size=3), max_size=4),
       gaps=st.lists(st.sampled_from(["", "\n", " \n\t", "\r\n"]), min_size=5, max_size=5),
       indent=st.sampled_from([None, 3]))
def test_any_sequence_of_appended_arrays_reads_back(runs, gaps, indent):
    text = "".join(gap + json.dumps(run, indent=indent) for gap, run in zip(gaps, runs))
    arrays = list(split_arrays(text))
    assert [array for _, array in arrays] == runs
    for (line, _), run in zip(arrays, runs):
        assert "[" in text.splitlines()[line - 1]


@pytest.mark.parametrize("exit_code", ["1", 1.0, True, [1]])
def test_an_exit_code_that_is_not_an_integer_is_left_out_and_the_activity_still_ends(tmp_path, exit_code):
    activity = ctapipe_activity(tmp_path)
    activity["exit_code"] = exit_code
    records = as_records(activity_records(activity))
    [end] = [r.data for r in records if kind_of(r.data) == "end"]
    assert "exit_code" not in end and end["status"] == "success"
