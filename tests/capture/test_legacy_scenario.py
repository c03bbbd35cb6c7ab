"""The logprov 0.0.2 test scenario, checked record by record."""

from __future__ import annotations

import hashlib

from logprov.records.kinds import kind_of
from scenarios import legacy


def test_legacy_scenario_records(make_capture, records, tmp_path):
    capture = make_capture(legacy.LEGACY_DEFINITIONS)
    with records(capture) as log:
        obj = legacy.run(capture, tmp_path)
    assert (obj.var1, obj.var2) == (0, 112)

    sessions = log.of_kind("session")
    assert len(sessions) == 1
    session_id = sessions[0]["session_id"]
    assert sessions[0]["definitions"] == legacy.LEGACY_DEFINITIONS

    starts = log.of_kind("start")
    assert [s["name"] for s in starts] == [
        "regular_function", "set_var1", "set_var1", "set_var2", "write_file", "read_file", "set_var2",
    ]
    assert all(s["in_session"] == session_id for s in starts)
    assert len({s["activity_id"] for s in starts}) == 7
    ends = log.of_kind("end")
    assert [e["status"] for e in ends] == ["success"] * 7
    ids = [s["activity_id"] for s in starts]
    assert [e["activity_id"] for e in ends] == ids

    params = {r["activity_id"]: r["parameters"] for r in log.of_kind("parameters")}
    assert params[ids[0]] == {"kwargs.value": 100}
    assert params[ids[1]] == {"kwargs.value": 1}
    assert params[ids[2]] == {"kwargs.value": 2}
    assert params[ids[4]]["kwargs.filename"].endswith("prov_test1.txt")
    assert params[ids[5]]["kwargs.filename"].endswith("prov_test2.txt")

    def roles(kind, activity_id):
        key = "used_role" if kind == "used" else "generated_role"
        return [r[key] for r in log.of_kind(kind) if r["activity_id"] == activity_id]

    assert roles("generated", ids[0]) == ["global_var"]
    assert roles("generated", ids[1]) == ["var1"]
    assert roles("used", ids[3]) == ["var1", "global_var"]
    assert roles("generated", ids[3]) == ["var2"]
    assert roles("used", ids[4]) == ["var1", "var2"]
    assert roles("generated", ids[4]) == ["text file"]
    assert roles("used", ids[5]) == ["text file"]
    assert roles("generated", ids[5]) == ["var1", "var2"]

    entities = {r["entity_id"]: r for r in log.of_kind("entity")}
    content = (tmp_path / "prov_test1.txt").read_bytes()
    file_id = "file:" + hashlib.sha256(content).hexdigest()
    written = [r["generated_id"] for r in log.of_kind("generated") if r["activity_id"] == ids[4]]
    read = [r["used_id"] for r in log.of_kind("used") if r["activity_id"] == ids[5]]
    assert written == read == [file_id]
    assert entities[file_id]["type"] == "File"
    assert entities[file_id]["hash_type"] == "sha256"
    assert entities[file_id]["location"] == str(tmp_path / "prov_test1.txt")

    var1_ids = [r["generated_id"] for r in log.of_kind("generated") if r["generated_role"] == "var1"]
    assert entities[var1_ids[0]]["value"] == "1" and entities[var1_ids[1]]["value"] == "2"
    derivations = log.of_kind("derivation")
    assert len(derivations) == 1
    derivation = derivations[0]
    assert derivation["untraced"] is True
    assert derivation["progenitor_id"] == var1_ids[1]
    assert entities[derivation["entity_id"]]["value"] == "0"
    used_var1 = [r["used_id"] for r in log.of_kind("used") if r["activity_id"] == ids[3] and r["used_role"] == "var1"]
    assert used_var1 == [derivation["entity_id"]]
    assert var1_ids[2] == derivation["entity_id"]

    assert any("local_var" in w for w in log.warnings)
    assert sum("local_var" in w for w in log.warnings) == 1
    assert all(kind_of(r) != "unknown" for r in log.records)
