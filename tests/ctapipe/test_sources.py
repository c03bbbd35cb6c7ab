"""ctapipe provenance logs and HDF5 files with lstchain-style /provenance, read wherever logs are read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import logprov.query
from logprov.reading import kinds as sourcekinds
from logprov.cli import main
from logprov.errors import LogReadError
from logprov.reading.reader import iter_records
from logprov.records.kinds import kind_of

from provconstraints import check_records
from ctapipe_activities import FIRST, SECOND, two_runs

def test_a_ctapipe_log_of_two_runs_is_read_as_two_sessions_also_gzip(tmp_path):
    first, second = two_runs(tmp_path)
    log = tmp_path / "ctapipe-process.provenance.log"
    log.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    packed = tmp_path / "renamed.dat"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    assert [kind.name for kind in sourcekinds.kinds_of(str(log))] == ["ctapipe provenance log"]
    assert [kind.name for kind in sourcekinds.kinds_of(str(packed))] == ["ctapipe provenance log"]
    records = list(iter_records(log))
    assert [r.data for r in iter_records(packed)] == [r.data for r in records]
    assert [kind_of(r.data) for r in records].count("session") == 2
    assert {r.source for r in records} == {str(log)}
    dl1 = next(r.data for r in records if r.data.get("location", "").endswith("dl1.h5"))
    assert dl1["identified_by"] == "content" and dl1["product_id"] == "dl1-id"
    check_records(records)


def test_a_broken_ctapipe_log_is_refused_with_its_name_and_line(tmp_path, capsys):
    first, _ = two_runs(tmp_path)
    log = tmp_path / "tools.provenance.log"
    text = json.dumps([first], indent=3)
    log.write_text(text + "[\n   {\"activity_name\": \"x\", \"activity_uuid\": \n")
    with pytest.raises(LogReadError, match=rf"^{log}:{text.count(chr(10)) + 3}: not a ctapipe provenance log"):
        list(iter_records(log))
    assert main(["export", str(log)]) == 2
    assert str(log) in capsys.readouterr().err
    log.write_text(json.dumps([{"activity_name": "x"}]))
    with pytest.raises(LogReadError, match=rf"^{log}:1: ctapipe activity: an activity needs activity_uuid"):
        list(iter_records(log))


def lstchain_file(path: Path, activities: dict) -> None:
    """Write an HDF5 file as cta-lstchain does: one JSON string dataset per stage under /provenance."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w") as handle:
        handle.create_dataset("dl1/event/parameters", data=[1.0, 2.0])
        group = handle.create_group("provenance")
        for stage, activity in activities.items():
            group.create_dataset(stage, data=json.dumps(activity, default=str))


def test_an_hdf5_file_with_lstchain_provenance_is_read_with_its_stages(tmp_path):
    first, second = two_runs(tmp_path)
    second.pop("stop")
    second["status"] = "running"
    output = tmp_path / "dl2.h5"
    lstchain_file(output, {"r0_to_dl1": first, "dl1_to_dl2": second})
    assert [kind.name for kind in sourcekinds.kinds_of(str(output))] == ["HDF5 file with ctapipe provenance"]
    records = [r.data for r in iter_records(output)]
    starts = [r for r in records if kind_of(r) == "start"]
    assert [s["name"] for s in starts] == ["lstchain_dl1_to_dl2", "lstchain_r0_to_dl1"]
    ends = [r for r in records if kind_of(r) == "end"]
    assert [e["activity_id"] for e in ends] == [FIRST]
    used = [r for r in records if kind_of(r) == "used"]
    generated = [r for r in records if kind_of(r) == "generated"]
    assert {u["used_id"] for u in used if u["activity_id"] == SECOND} == {g["generated_id"] for g in generated}
    check_records(list(iter_records(output)))


def test_the_lineage_of_a_stage_output_runs_through_the_file_provenance(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path / "cache"))
    first, second = two_runs(tmp_path)
    output = tmp_path / "dl2.h5"
    lstchain_file(output, {"r0_to_dl1": first, "dl1_to_dl2": second})
    dl1 = tmp_path / "dl1.h5"
    assert main(["lineage", str(output), str(dl1), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row.get("name") for row in rows if row["kind"] == "activity"] == ["lstchain_r0_to_dl1"]
    with logprov.query.open(str(output), index=False) as provenance:
        assert len(provenance.sessions()) == 2


def test_an_hdf5_dataset_that_is_not_json_is_named(tmp_path):
    output = tmp_path / "dl1.h5"
    lstchain_file(output, {"r0_to_dl1": {"activity_name": "x"}})
    h5py = pytest.importorskip("h5py")
    with h5py.File(output, "a") as handle:
        handle["provenance"].create_dataset("broken", data="{not json")
    with pytest.raises(LogReadError, match=rf"^{output}: dataset /provenance/broken is not JSON"):
        list(iter_records(output))


def traced_writer(make_capture, tmp_path, contents, hash_type="sha256", name="prov.log"):
    """A traced session writing ``contents`` (one call each) to ``tmp_path/dl1.h5``, and its log."""
    definitions = {
        "activities": {"write_dl1": {"generation": [{"role": "dl1", "entityType": "DL1", "location": "args.path"}]}},
        "entities": {"DL1": {"type": "File"}},
    }
    log = tmp_path / name
    capture = make_capture(definitions, log_filename=str(log), log_returned_result=False, hash_type=hash_type)

    def write_dl1(path, content):
        Path(path).write_bytes(content)

    traced = capture.trace(write_dl1)
    for content in contents:
        traced(str(tmp_path / "dl1.h5"), content)
    capture.end_session()
    return log


def test_a_missing_file_is_joined_by_path_with_the_entity_logprov_logged_there(make_capture, tmp_path, capsys):
    log = traced_writer(make_capture, tmp_path, [b"dl1"])
    logged = "file:" + __import__("hashlib").sha256(b"dl1").hexdigest()
    _, second = two_runs(tmp_path)
    tools = tmp_path / "tools.provenance.log"
    tools.write_text(json.dumps([second], indent=3))
    (tmp_path / "dl1.h5").unlink()
    records = [r.data for r in iter_records([tools, log])]
    entity = next(r for r in records if r.get("identified_by"))
    assert entity["entity_id"] == logged and entity["identified_by"] == "path"
    assert next(r for r in records if kind_of(r) == "used" and r["activity_id"] == SECOND)["used_id"] == logged
    check_records(list(iter_records([tools, log])))
    alone = [r.data for r in iter_records(tools)]
    assert next(r for r in alone if kind_of(r) == "used" and r["activity_id"] == SECOND)["used_id"] == f"path:{tmp_path / 'dl1.h5'}"
    assert main(["lineage", str(tools), str(log), logged, "--descendants", "--format", "json", "--no-index"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {row.get("name") for row in rows if row["kind"] == "activity"} == {"lstchain_dl1_to_dl2"}


def test_a_path_logprov_saw_with_two_contents_keeps_its_path_id(make_capture, tmp_path):
    log = traced_writer(make_capture, tmp_path, [b"dl1", b"dl1 again"])
    _, second = two_runs(tmp_path)
    tools = tmp_path / "tools.provenance.log"
    tools.write_text(json.dumps([second], indent=3))
    (tmp_path / "dl1.h5").unlink()
    records = [r.data for r in iter_records([log, tools])]
    assert next(r for r in records if kind_of(r) == "used" and r["activity_id"] == SECOND)["used_id"] == f"path:{tmp_path / 'dl1.h5'}"


def test_a_file_is_joined_by_content_under_the_hash_type_of_the_logprov_session(make_capture, tmp_path, capsys):
    import hashlib

    log = traced_writer(make_capture, tmp_path, [b"dl1"], hash_type="md5")
    logged = "file:" + hashlib.md5(b"dl1").hexdigest()
    _, second = two_runs(tmp_path)
    tools = tmp_path / "tools.provenance.log"
    tools.write_text(json.dumps([second], indent=3))
    for sources in ([tools, log], [log, tools]):
        records = [r.data for r in iter_records(sources)]
        assert next(r for r in records if kind_of(r) == "used" and r["activity_id"] == SECOND)["used_id"] == logged
        entity = next(r for r in records if r.get("identified_by") and r["location"] == str(tmp_path / "dl1.h5"))
        assert (entity["entity_id"], entity["hash"], entity["hash_type"], entity["size"]) == (
            logged, hashlib.md5(b"dl1").hexdigest(), "md5", 3)
        output = next(r for r in records if kind_of(r) == "generated" and r["activity_id"] == SECOND)
        assert output["generated_id"] == "path:" + str(tmp_path / "dl2.h5")
        check_records(list(iter_records(sources)))
    alone = [r.data for r in iter_records(tools)]
    assert next(r for r in alone if kind_of(r) == "used")["used_id"] == "file:" + hashlib.sha256(b"dl1").hexdigest()
    assert main(["lineage", str(tools), str(log), logged, "--descendants", "--format", "json", "--no-index"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {row.get("name") for row in rows if row["kind"] == "activity"} == {"lstchain_dl1_to_dl2"}


def test_with_sessions_of_two_hash_types_a_file_takes_the_one_it_was_logged_under(make_capture, tmp_path):
    import hashlib

    md5_log = traced_writer(make_capture, tmp_path, [b"dl1"], hash_type="md5", name="md5.log")
    (tmp_path / "other").mkdir()
    sha1_log = traced_writer(make_capture, tmp_path / "other", [b"other"], hash_type="sha1")
    _, second = two_runs(tmp_path)
    tools = tmp_path / "tools.provenance.log"
    tools.write_text(json.dumps([second], indent=3))
    records = [r.data for r in iter_records([tools, md5_log, sha1_log])]
    used = next(r for r in records if kind_of(r) == "used" and r["activity_id"] == SECOND)
    assert used["used_id"] == "file:" + hashlib.md5(b"dl1").hexdigest()
    (tmp_path / "dl1.h5").write_bytes(b"rewritten")
    records = [r.data for r in iter_records([tools, md5_log, sha1_log])]
    used = next(r for r in records if kind_of(r) == "used" and r["activity_id"] == SECOND)
    assert used["used_id"] == "file:" + hashlib.sha256(b"rewritten").hexdigest()


def test_a_log_of_the_default_hash_type_leaves_the_ctapipe_ids_as_they_are(make_capture, tmp_path):
    import hashlib

    log = traced_writer(make_capture, tmp_path, [b"dl1"])
    _, second = two_runs(tmp_path)
    tools = tmp_path / "tools.provenance.log"
    tools.write_text(json.dumps([second], indent=3))
    joined = sorted(json.dumps(r.data, sort_keys=True) for r in iter_records([tools, log]))
    apart = sorted(json.dumps(r.data, sort_keys=True) for r in [*iter_records(tools), *iter_records(log)])
    assert joined == apart
    assert "file:" + hashlib.sha256(b"dl1").hexdigest() in "".join(joined)
