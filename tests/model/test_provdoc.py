"""Tests of logprov.model: records to W3C PROV documents."""

from __future__ import annotations

import datetime
import re
from collections import deque
from pathlib import Path

import pytest
from prov.constants import PROV, PROV_LOCATION, PROV_ROLE, PROV_TYPE, PROV_VALUE
from prov.model import (
    ProvActivity,
    ProvAgent,
    ProvAssociation,
    ProvCommunication,
    ProvDerivation,
    ProvDocument,
    ProvEntity,
    ProvGeneration,
    ProvInfluence,
    ProvMembership,
    ProvSpecialization,
    ProvUsage,
)

from logprov.model import (
    CONFIGURED_BY,
    DESCRIBED_BY,
    IN_SESSION,
    LOGPROV,
    PARAMETER_TYPE,
    SESSION_TYPE,
    UNTRACED,
    VOPROV,
    build_document,
    local_part,
)
from logprov.model.contents import content_view, is_specialized
from logprov.model.literals import attribute_value
from logprov.reading.reader import iter_records

from logs import DEFINITIONS, SyntheticLog, file_entity, make_id, two_session_log, value_entity

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
FILE_HASH = "88dd4d188aeb132bb03008a855a93bc045d5c7ca"


def legacy_document() -> ProvDocument:
    return build_document(iter_records(LEGACY))


def records_of(document: ProvDocument, kind: type) -> list:
    return list(document.get_records(kind))


def typed(record, kind) -> bool:
    return kind in record.get_attribute(PROV_TYPE)


def data_entities(document: ProvDocument) -> list:
    return [
        e for e in records_of(document, ProvEntity)
        if not typed(e, PARAMETER_TYPE) and not typed(e, SESSION_TYPE) and not is_specialized(e.identifier)
        and not any(str(t).startswith("voprov:") and str(t).endswith("Description") for t in e.get_attribute(PROV_TYPE))
    ]


def entity(document: ProvDocument, name: str):
    found = document.get_record(name)
    assert found, name
    return found[0]


def single(values: set):
    assert len(values) == 1, values
    return next(iter(values))


def test_legacy_counts_match_the_original_converter():
    document = legacy_document()
    activities = records_of(document, ProvActivity)
    usages = records_of(document, ProvUsage)
    parameter_usages = [u for u in usages if typed(u, CONFIGURED_BY)]
    generations = records_of(document, ProvGeneration)
    descriptions = [e for e in records_of(document, ProvEntity) if any(
        str(t).endswith("Description") for t in e.get_attribute(PROV_TYPE))]
    specialized = [e for e in records_of(document, ProvEntity) if is_specialized(e.identifier)]
    entities = [e for e in records_of(document, ProvEntity) if e not in descriptions + specialized]
    assert len(activities) == 9
    assert len(usages) - len(parameter_usages) == 7
    assert len(parameter_usages) == 4
    assert len(generations) == 9
    assert len(records_of(document, ProvDerivation)) == 1
    assert len(specialized) == len({g.args[0] for g in generations}) + 1 == 10
    assert len(records_of(document, ProvSpecialization)) == len(specialized)
    assert len(entities) == 15
    assert len(data_entities(document)) == 10
    assert len([e for e in entities if typed(e, PARAMETER_TYPE)]) == 4
    assert len(records_of(document, ProvAgent)) == 1
    associations = records_of(document, ProvAssociation)
    assert len(associations) == 9
    assert {str(a.get_attribute(PROV["agent"]).pop()) for a in associations} == {"agent:tester"}


def test_legacy_file_entity_has_its_hash_and_both_locations():
    document = legacy_document()
    file_entity_ = entity(document, f"file:_{FILE_HASH}")
    assert single(file_entity_.get_attribute(LOGPROV["hash"])) == FILE_HASH
    assert single(file_entity_.get_attribute(LOGPROV["hashType"])) == "sha1"
    assert file_entity_.get_attribute(PROV_LOCATION) == {"prov_test1.txt", "prov_test2.txt"}
    assert typed(file_entity_, LOGPROV["File"])


def test_legacy_quirky_records_keep_their_attributes():
    document = build_document(
        iter_records(LEGACY, start="2026-11-21T23:08:00.983390", end="2026-11-21T23:08:00.983410")
    )
    quirky = entity(document, "session:_8735086556965.77626089782541922980")
    assert single(quirky.get_attribute(PROV_LOCATION)) == "var1"
    assert single(quirky.get_attribute(PROV_VALUE)) == "0"
    assert typed(quirky, LOGPROV["PythonObject"])
    usage = single(set(records_of(document, ProvUsage)))
    assert single(usage.get_attribute(PROV_ROLE)) == "var1"


def test_legacy_activity_times_status_and_session():
    document = legacy_document()
    first = entity(document, "activity:_8735086556965.210a53")
    start = single(first.get_attribute(PROV["startTime"]))
    assert isinstance(start, datetime.datetime) and start.tzinfo is not None
    assert start.replace(tzinfo=None) == datetime.datetime(2026, 11, 21, 23, 8, 0, 977623)
    assert single(first.get_attribute(PROV["label"])) == "regular_function"
    assert not first.get_attribute(LOGPROV["status"])
    session = entity(document, "session:_8735086556965")
    assert typed(session, SESSION_TYPE)
    assert single(session.get_attribute(LOGPROV["host"])) == "laptop"
    assert single(session.get_attribute(LOGPROV["python"])) == "3.11.7 CPython"
    links = [i for i in records_of(document, ProvInfluence) if typed(i, IN_SESSION)]
    assert len(links) == 9


def test_payload_dicts_make_the_document_of_records_and_are_kept():
    payloads = [record.data for record in iter_records(LEGACY)]
    copies = [dict(p) for p in payloads]
    assert build_document(payloads) == legacy_document()
    assert payloads == copies
    raw = [
        {"session_id": 5, "startTime": "2026-01-01T00:00:00"},
        {"activity_id": "a1b2c3", "name": "f", "startTime": "2026-01-01T00:00:00", "in_session": 5},
        {"entity_description": "X", "location": "v", "value": "3", 7: 7},
        {"activity_id": "a1b2c3", "used_id": 7, "used_role": "in"},
        {"activity_id": "a1b2c3", "endTime": "2026-01-01T00:00:01"},
    ]
    document = build_document(raw, session_prefix="sess")
    kept = entity(document, "sess:_5.7")
    assert single(kept.get_attribute(PROV_LOCATION)) == "v"
    assert single(kept.get_attribute(PROV_VALUE)) == "3"
    assert raw[2][7] == 7


def test_legacy_descriptions_are_linked():
    document = legacy_document()
    described = [i for i in records_of(document, ProvInfluence) if typed(i, DESCRIBED_BY)]
    assert len(described) == 8 + 10 + 4
    usage = [u for u in records_of(document, ProvUsage) if not typed(u, CONFIGURED_BY)][0]
    assert usage.get_attribute(VOPROV["usageDescription"])
    assert build_document(iter_records(LEGACY), with_descriptions=False).get_record("desc:File-a3945b59") == []


def path_exists(document: ProvDocument, start, goal) -> bool:
    """Follow used / wasGeneratedBy (through the entity as generated) from ``start`` back in
    time and look for ``goal``."""
    back: dict = {}
    for specialization in records_of(document, ProvSpecialization):
        back.setdefault(specialization.args[1], []).append(specialization.args[0])
    for usage in records_of(document, ProvUsage):
        back.setdefault(usage.args[0], []).append(usage.args[1])
    for generation in records_of(document, ProvGeneration):
        back.setdefault(generation.args[0], []).append(generation.args[1])
    queue, seen = deque([start]), {start}
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for previous in back.get(node, ()):
            if previous not in seen:
                seen.add(previous)
                queue.append(previous)
    return False


def test_a_file_shared_by_two_sessions_is_one_entity(tmp_path):
    ids = two_session_log(tmp_path / "two.log")
    first, second = ids["sessions"]
    document = build_document(iter_records(tmp_path / "two.log"))
    files = [e for e in records_of(document, ProvEntity) if str(e.identifier).startswith("file:")]
    assert len(files) == 1
    shared = files[0]
    assert shared.get_attribute(PROV_LOCATION) == {"/data/table.fits", "/data/copy/table.fits"}
    y = entity(document, f"session:{local_part(second + '.' + ids['y'])}").identifier
    x = entity(document, f"session:{local_part(first + '.' + ids['x'])}").identifier
    assert path_exists(document, y, x)
    assert {str(e.identifier) for e in records_of(document, ProvEntity) if typed(e, SESSION_TYPE)} == {
        f"session:{local_part(first)}", f"session:{local_part(second)}"
    }


def test_two_logs_merge_into_one_document(tmp_path):
    ids = two_session_log(tmp_path / "two.log")
    first, second = ids["sessions"]
    one = build_document(iter_records(tmp_path / "two.log", sessions={first}))
    two = build_document(iter_records(tmp_path / "two.log", sessions={second}))
    merged = build_document(list(iter_records(tmp_path / "two.log", sessions={first}))
                            + list(iter_records(tmp_path / "two.log", sessions={second})))
    assert len(records_of(one, ProvActivity)) == 2 and len(records_of(two, ProvActivity)) == 1
    assert len(records_of(merged, ProvActivity)) == 3
    assert len([e for e in records_of(merged, ProvEntity) if str(e.identifier).startswith("file:")]) == 1


def test_session_local_ids_do_not_merge_across_sessions(tmp_path):
    log = SyntheticLog()
    first, second = log.session(1), log.session(2)
    for session in (first, second):
        log.call(session, "make", generated=[(value_entity(session, "x", 1), "x")])
    document = build_document(iter_records(log.write(tmp_path / "p.log")))
    assert len(data_entities(document)) == 2


def synthetic_document(tmp_path, **options) -> tuple:
    log = SyntheticLog()
    session = log.session(1, definitions=DEFINITIONS)
    store = file_entity(session, "/data/store", "d" * 64, entity_description="DataStore", type="FileCollection")
    observations = value_entity(session, "observations", [1, 2], entity_description="Observations")
    outer = log.call(
        session, "get_observations",
        parameters={"datastore": "/data/store", "filters": {"target": "Crab"}, "huge": 2**62},
        used=[(store, "datastore")],
        generated=[(observations, "observations")],
        members=[(observations["entity_id"], value_entity(session, "obs", 23523))],
    )
    inner = log.call(session, "helper", parent=outer)
    changed = value_entity(session, "observations", [1])
    log.call(
        session, "fit", used=[(changed, "observations")],
        derivations=[{"entity_id": changed["entity_id"], "progenitor_id": observations["entity_id"],
                      "in_session": session, "generated_time": log.now(), "untraced": True}],
        status="failed", exception=("ValueError", "bad \x00 input"),
    )
    killed = log.call(session, "slow", finished=False)
    document = build_document(iter_records(log.write(tmp_path / "s.log")), **options)
    return document, {"session": session, "outer": outer, "inner": inner, "killed": killed,
                      "observations": observations["entity_id"], "changed": changed["entity_id"]}


def activity(document, ids, key):
    return entity(document, f"activity:{local_part(ids[key])}")


def test_activity_status_failure_incomplete_and_nesting(tmp_path):
    document, ids = synthetic_document(tmp_path)
    fit = [a for a in records_of(document, ProvActivity) if a.get_attribute(PROV["label"]) == {"fit"}][0]
    assert single(fit.get_attribute(LOGPROV["status"])) == "failed"
    assert single(fit.get_attribute(LOGPROV["exceptionType"])) == "ValueError"
    assert single(fit.get_attribute(LOGPROV["exceptionMessage"])) == "bad \ufffd input"
    assert single(fit.get_attribute(LOGPROV["duration"])) == 0.25
    killed = activity(document, ids, "killed")
    assert single(killed.get_attribute(LOGPROV["status"])) == "incomplete"
    assert killed.get_endTime() is None and killed.get_startTime() is not None
    outer = activity(document, ids, "outer")
    assert single(outer.get_attribute(LOGPROV["status"])) == "success"
    informed = single(set(records_of(document, ProvCommunication)))
    assert informed.args[0] == activity(document, ids, "inner").identifier
    assert informed.args[1] == outer.identifier


def test_usage_and_generation_times_are_activity_times(tmp_path):
    document, ids = synthetic_document(tmp_path)
    outer = activity(document, ids, "outer")
    start = single(outer.get_attribute(PROV["startTime"]))
    end = single(outer.get_attribute(PROV["endTime"]))
    for usage in records_of(document, ProvUsage):
        if usage.args[0] == outer.identifier:
            assert usage.args[2] == start
    generations = [g for g in records_of(document, ProvGeneration) if g.args[1] == outer.identifier]
    assert generations and all(g.args[2] == end for g in generations)


def test_parameters_are_voprov_parameter_entities(tmp_path):
    document, ids = synthetic_document(tmp_path)
    parameters = {single(e.get_attribute(VOPROV["name"])): e for e in records_of(document, ProvEntity)
                  if typed(e, PARAMETER_TYPE)}
    assert set(parameters) == {"datastore", "filters", "huge"}
    assert single(parameters["filters"].get_attribute(PROV_VALUE)) == '{"target":"Crab"}'
    assert single(parameters["huge"].get_attribute(PROV_VALUE)) == 2**62
    configured = [u for u in records_of(document, ProvUsage) if typed(u, CONFIGURED_BY)]
    assert {single(u.get_attribute(PROV_ROLE)) for u in configured} == {"datastore", "filters", "huge"}
    described = {i.args[0] for i in records_of(document, ProvInfluence) if typed(i, DESCRIBED_BY)}
    assert parameters["datastore"].identifier in described
    assert parameters["filters"].identifier not in described
    without = build_document([], with_parameters=False)
    assert not records_of(without, ProvEntity)


def test_modern_descriptions(tmp_path):
    document, ids = synthetic_document(tmp_path)
    kinds = {}
    for e in records_of(document, ProvEntity):
        for kind in e.get_attribute(PROV_TYPE):
            if str(kind).endswith("Description"):
                kinds.setdefault(str(kind), []).append(e)
    assert {k: len(v) for k, v in kinds.items()} == {
        "voprov:EntityDescription": 2, "voprov:ActivityDescription": 1, "voprov:UsageDescription": 1,
        "voprov:GenerationDescription": 1, "voprov:ParameterDescription": 1,
    }
    usage_description = kinds["voprov:UsageDescription"][0]
    assert single(usage_description.get_attribute(VOPROV["role"])) == "datastore"
    store_description = single(usage_description.get_attribute(VOPROV["entityDescription"]))
    assert entity(document, str(store_description)).get_attribute(VOPROV["contentType"]) == {"application/fits"}
    outer = activity(document, ids, "outer")
    links = [i for i in records_of(document, ProvInfluence) if typed(i, DESCRIBED_BY) and i.args[0] == outer.identifier]
    assert links and links[0].args[1] == kinds["voprov:ActivityDescription"][0].identifier
    used = [u for u in records_of(document, ProvUsage) if u.get_attribute(PROV_ROLE) == {"datastore"}
            and not typed(u, CONFIGURED_BY)][0]
    assert single(used.get_attribute(VOPROV["usageDescription"])) == usage_description.identifier
    plain, _ = synthetic_document(tmp_path, with_descriptions=False)
    assert not [e for e in records_of(plain, ProvEntity) if any(
        str(t).endswith("Description") for t in e.get_attribute(PROV_TYPE))]


def test_membership_and_untraced_derivation(tmp_path):
    document, ids = synthetic_document(tmp_path)
    member = single(set(records_of(document, ProvMembership)))
    collection = entity(document, str(member.args[0]))
    assert typed(collection, PROV["Collection"])
    derivation = single(set(records_of(document, ProvDerivation)))
    assert typed(derivation, UNTRACED)
    derived = derivation.args[0]
    assert is_specialized(derived)
    content = single({s.args[1] for s in records_of(document, ProvSpecialization) if s.args[0] == derived})
    assert entity(document, str(content)).get_attribute(LOGPROV["generatedAtTime"])


def test_session_entity_attributes(tmp_path):
    document, ids = synthetic_document(tmp_path)
    session = entity(document, f"session:{local_part(ids['session'])}")
    expected = {
        "host": "laptop", "user": "jdoe", "python": "3.11.7 CPython", "platform": "Linux 6.1.0 x86_64",
        "version": "0.1.0", "gitCommit": "a" * 40, "argv": "run.py --fast", "pid": 4242,
        "packages": "numpy=1.26.4", "gitDirty": False, "name": "analysis",
    }
    for key, value in expected.items():
        assert single(session.get_attribute(LOGPROV[key])) == value, key
    agent = single(set(records_of(document, ProvAgent)))
    assert str(agent.identifier) == "agent:jdoe"


def test_odd_ids_are_normalised_without_merging():
    session = make_id(1)
    records = [
        {"session_id": session, "startTime": "2026-01-01T00:00:00+00:00"},
        {"entity_id": "obs 1", "in_session": session},
        {"entity_id": "obs_1", "in_session": session},
        {"entity_id": "session:xyz", "in_session": session},
        {"entity_id": "hess:23523", "in_session": session},
        {"entity_id": "é/ü?", "in_session": session},
    ]
    document = build_document(records)
    names = {str(e.identifier) for e in data_entities(document)}
    assert len(names) == 5
    assert "hess:_23523" in names
    assert "id_session:xyz" in names
    assert entity(document, "id_session:xyz").identifier.uri == "urn:logprov:id:session:xyz"
    for name in names:
        local = name.split(":", 1)[1]
        assert local[0] == "_" or local[0].isalpha()
        assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in local)


def test_attribute_values_are_serialisable():
    assert attribute_value(2**80) == str(2**80)
    assert attribute_value(float("nan")) == "nan"
    assert attribute_value(None) == "None"
    assert attribute_value({"a": [1, 2]}) == '{"a":[1,2]}'
    assert attribute_value("x" * 50, limit=10) == "x" * 9 + "\u2026"
    assert attribute_value("a\x01b") == "a\ufffdb"
    naive = attribute_value(datetime.datetime(2026, 1, 1))
    assert naive.tzinfo is not None


@pytest.mark.parametrize("text, expected", [("abc", "abc"), ("1abc", "_1abc"), ("a-b.c_d", "a-b.c_d")])
def test_local_part(text, expected):
    assert local_part(text) == expected
    assert local_part("a b") != local_part("a_b")
    assert local_part("a b").startswith("a_b-")


def test_sessions_without_start_record_are_still_sessions(tmp_path):
    log = SyntheticLog()
    session = log.session(1)
    log.call(session, "a")
    log.end_session(session)
    path = log.write(tmp_path / "e.log")
    document = build_document(iter_records(path, start="2026-11-22T10:00:01+00:00"))
    node = entity(document, f"session:{local_part(session)}")
    assert typed(node, SESSION_TYPE)
    assert node.get_attribute(LOGPROV["endTime"]) and not node.get_attribute(LOGPROV["startTime"])
    assert len(records_of(document, ProvActivity)) == 1


def test_documents_built_one_after_another_leave_no_names_behind(tmp_path):
    from logprov.model import ACTIVITY, AGENT, DESCRIPTION, PARAMETER, SESSION

    shared = (SESSION, ACTIVITY, PARAMETER, AGENT, DESCRIPTION)
    before = [len(namespace._cache) for namespace in shared]
    two_session_log(tmp_path / "prov.log")
    document = build_document(iter_records(tmp_path / "prov.log"))
    assert len(document.get_records()) > 10
    assert [len(namespace._cache) for namespace in shared] == before


def test_content_view_folds_each_generated_entity_into_its_content(tmp_path):
    ids = two_session_log(tmp_path / "two.log")
    document = build_document(iter_records(tmp_path / "two.log"))
    view = content_view(document)
    assert not [e for e in records_of(view, ProvEntity) if is_specialized(e.identifier)]
    assert not records_of(view, ProvSpecialization)
    generated = {str(g.args[0]) for g in records_of(view, ProvGeneration)}
    first, second = ids["sessions"]
    assert generated == {
        f"session:{local_part(first + '.' + ids['x'])}",
        f"session:{local_part(second + '.' + ids['y'])}",
        f"file:{local_part(ids['file'].partition(':')[2])}",
    }
    assert len(records_of(view, ProvGeneration)) == len(records_of(document, ProvGeneration)) == 3
    assert len(records_of(view, ProvUsage)) == len(records_of(document, ProvUsage))
    assert content_view(view) is view


class Scaler:
    """A class whose ``fit`` is described by its qualified name."""

    factor = 2.0

    def fit(self, values):
        self.values = [value * self.factor for value in values]


class Counter:
    """Another class with a ``fit`` of its own description."""

    def fit(self, values):
        return len(values)


QUALIFIED = {"activities": {
    "Scaler.fit": {"parameters": [{"name": "factor", "value": "factor"}],
                   "usage": [{"role": "values", "value": "args.values"}],
                   "generation": [{"role": "scaled", "value": "values"}]},
    "Counter.fit": {"usage": [{"role": "values", "value": "args.values"}],
                    "generation": [{"role": "count", "value": "result"}]},
}}


@pytest.mark.parametrize("path", ["document", "one pass"])
def test_descriptions_of_one_class_method_describe_its_activities(make_capture, path):
    from logprov.export import export, export_records

    capture = make_capture(QUALIFIED)
    capture.trace_methods(Scaler)
    capture.trace_methods(Counter)
    Scaler().fit([1.0, 2.0])
    Counter().fit([3.0])
    capture.end_session()
    records = list(iter_records(capture.log_files()[0]))
    if path == "document":
        text = export(build_document(records), "provn")
    else:
        text = export_records([record.data for record in records], "provn")
    for cls, generated in ((Scaler, "scaled"), (Counter, "count")):
        (node,) = re.findall(rf'activity\(([^,]+), [^\n]*logprov:function="{__name__}\.{cls.__name__}\.fit"', text)
        described = f"desc:{cls.__name__}.fit-"
        assert re.search(rf"wasInfluencedBy\({re.escape(node)}, {described}[0-9a-f]+, \[prov:type='voprov:isDescribedBy'\]\)", text)
        assert re.search(rf'used\({re.escape(node)}, [^\n]*prov:role="values", '
                         rf"voprov:usageDescription='{described}[0-9a-f]+\.usage1'", text)
        assert re.search(rf'prov:role="{generated}", voprov:generationDescription=\'{described}[0-9a-f]+\.generation1\'', text)
    assert re.search(r"wasInfluencedBy\(param:[^,]+\.factor, desc:Scaler\.fit-[0-9a-f]+\.parameter1, ", text)
