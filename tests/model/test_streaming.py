"""One-pass export of records (logprov.export.export_records) against the prov.model path."""

from __future__ import annotations

import importlib.util
import io
import json
import warnings
from pathlib import Path

import pytest

from logprov.export import export, export_records
from logprov.export.onepass import write_records
from logprov.model import build_document
from logprov.model.recordstream import RecordStream, StreamConflictWarning
from logprov.model.identifiers import local_part
from logprov.model.streammapping import StreamMapping
from logprov.records.kinds import shape_of
from logprov.reading.reader import iter_records

from logs import DEFINITIONS, SyntheticLog, file_entity, value_entity
from onepass import ALL, assert_same, graph, read_back
from provschemas import prov_json_validator, prov_xml_schema

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "tests" / "data" / "legacy" / "prov_test.log"
def synthetic_log(path: Path) -> Path:
    """Three sessions sharing a file; values described again, with new attributes, later."""
    log = SyntheticLog()
    first = log.session(1, definitions=DEFINITIONS)
    store = file_entity(first, "/data/store", "d" * 64, entity_description="DataStore", type="FileCollection")
    observations = value_entity(first, "observations", [1, 2], entity_description="Observations")
    members = [(observations["entity_id"], value_entity(first, "obs", number)) for number in (23523, 23526)]
    outer = log.call(
        first, "get_observations",
        parameters={"datastore": "/data/store", "filters": {"target": "Crab"}, "huge": 2**70},
        used=[(store, "datastore")], generated=[(observations, "observations")], members=members,
    )
    log.call(first, "helper", parent=outer, used=[(observations, "observations")])
    renamed = dict(observations, location="selection", size=2)
    log.call(first, "select", used=[(renamed, "observations")], members=[members[0]])
    changed = value_entity(first, "observations", [1])
    derivation = {
        "entity_id": changed["entity_id"], "progenitor_id": observations["entity_id"], "in_session": first,
    }
    fit = log.call(first, "fit", used=[(changed, "observations")], derivations=[derivation],
                   status="failed", exception=("ValueError", "bad \x00 input \"quoted\"\nline"))
    untraced = dict(derivation, untraced=True, generated_time=log.now())
    refit = log.call(first, "refit", used=[(changed, "observations")],
                     derivations=[untraced, dict(derivation, in_activity=fit)])
    log.call(first, "slow", finished=False, derivations=[
        dict(derivation, in_activity=refit), dict(derivation, in_activity=fit),
        dict(derivation, in_activity="never-described"),
    ])
    log.end_session(first)
    second = log.session(2, definitions=DEFINITIONS)
    store_again = file_entity(second, "/mnt/store", "d" * 64, entity_description="DataStore", size=4096)
    log.call(second, "get_observations", parameters={"datastore": "/mnt/store", "ratio": 0.25, "ok": True},
             used=[(store_again, "datastore")],
             generated=[(value_entity(second, "observations", [1, 2]), "observations")])
    third = log.session(3, agent_name="other")
    copy = file_entity(third, "/tmp/store", "d" * 64)
    log.call(third, "read", used=[(copy, "input")], parent="unknown-parent")
    log.raw('INFO x _PROV_2026-11-22T10:00:00+00:00_PROV_{"entity_id":"hess:23523","in_session":"%s",'
            '"entity_description":"Observation","value":"run 23523"}' % third)
    return log.write(path)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> list:
    return list(iter_records(synthetic_log(tmp_path_factory.mktemp("synthetic") / "prov.log")))


@pytest.fixture(scope="module")
def legacy() -> list:
    return list(iter_records(LEGACY))


def test_legacy_log(legacy):
    assert_same(legacy, shortcuts=(True, False))


def test_legacy_payload_dicts():
    payloads = [record.data for record in iter_records(LEGACY)]
    copies = [dict(payload) for payload in payloads]
    assert_same(payloads, formats=("json",))
    assert payloads == copies


@pytest.mark.parametrize("window", [1, 8192])
def test_multi_session_log_with_entities_described_several_times(synthetic, window):
    assert_same(synthetic, window=window)


def test_options(synthetic):
    options = {"with_descriptions": False, "with_parameters": False, "session_prefix": "run"}
    assert_same(synthetic, formats=("json",), **options)


@pytest.mark.parametrize("order", ["reversed", "twice", "sessions swapped"])
def test_any_record_order(synthetic, order):
    sessions = [record.session for record in synthetic]
    cut = sessions.index(sessions[-1])
    records = {
        "reversed": synthetic[::-1],
        "twice": synthetic + synthetic,
        "sessions swapped": synthetic[cut:] + synthetic[:cut],
    }[order]
    assert build_document(records) == build_document(synthetic)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StreamConflictWarning)
        assert_same(records, window=2, formats=("json", "nt"))


def test_a_contradicting_record_is_reported(synthetic):
    end = next(r.data for r in synthetic if "endTime" in r.data and "activity_id" in r.data)
    with pytest.warns(StreamConflictWarning, match="first values are kept"):
        export_records([record.data for record in synthetic] + [dict(end, status="changed")], "provn")


@pytest.fixture(scope="module")
def analysis_log(tmp_path_factory) -> list:
    source = ROOT / "examples" / "analysis_session.py"
    spec = importlib.util.spec_from_file_location("analysis_session_example", source)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    import logprov

    workdir = tmp_path_factory.mktemp("analysis")
    log = workdir / "prov.log"
    capture = logprov.ProvCapture(
        definitions=example.DEFINITIONS,
        config={"log_filename": str(log), "logger_name": "logprov.test_streaming", "record_git": False,
                "record_packages": False, "log_returned_result": False, "flush_interval": 0},
    )
    try:
        example.run_session(workdir, capture)
        capture.end_session()
    finally:
        for handler in list(capture.logger.handlers):
            handler.close()
            capture.logger.removeHandler(handler)
    return list(iter_records(log))


def test_real_analysis_session(analysis_log):
    keys = {key for record in analysis_log for key in record.data}
    assert {"session_id", "activity_id", "entity_id", "member_id", "progenitor_id"} <= keys
    assert_same(analysis_log, window=4)


def test_prov_json_validates_against_the_schema(synthetic, legacy):
    validator = prov_json_validator()
    for records in (synthetic, legacy):
        for indent in (2, None):
            data = json.loads(export_records(records, "json", indent=indent))
            errors = sorted(validator.iter_errors(data), key=str)
            assert not errors, errors[:3]


def test_prov_xml_validates_against_the_w3c_schema(synthetic, legacy):
    from lxml import etree

    schema = prov_xml_schema()
    for records in (synthetic, legacy):
        tree = etree.fromstring(export_records(records, "xml").encode())
        assert schema.validate(tree), schema.error_log


def test_destinations_and_aliases(legacy, tmp_path):
    text = export_records(legacy, "provn")
    path = tmp_path / "out.provn"
    assert export_records(iter(legacy), "provn", path) is None
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["out.provn"]
    binary = io.BytesIO()
    export_records(legacy, "prov-n", binary)
    assert binary.getvalue().decode() == text
    assert export_records(legacy, "nq") == export_records(legacy, "n-triples")
    assert export_records(legacy, "dot") == export(build_document(legacy), "dot")
    with pytest.raises(ValueError, match="unknown export format"):
        export_records(legacy, "docx")
    with pytest.raises(ValueError, match="session_prefix"):
        export_records(legacy, "json", session_prefix="a b")


def test_entities_found_again_after_they_went_to_disk(tmp_path):
    from prov.constants import PROV_LOCATION

    from logprov.model.entitytables import EntityTable

    table = EntityTable(str(tmp_path), window=2)
    table.add("a:x", [(PROV_LOCATION, "one")])
    for number in range(3000):
        table.add(f"a:{number}", [(PROV_LOCATION, str(number))])
    assert (tmp_path / "entities.pickle").exists()
    table.add("a:x", [(PROV_LOCATION, "one")])
    table.add("a:x", [(PROV_LOCATION, "two")])
    found = dict(table.items())
    assert len(found) == 3001 and len(table) == 3001
    assert found["a:x"] == ((PROV_LOCATION, "one"), (PROV_LOCATION, "two"))
    assert found["a:2999"] == ((PROV_LOCATION, "2999"),)
    table.close()
    assert not list(tmp_path.iterdir())


def test_values_equal_in_python_are_written_with_their_types():
    start, end = "2026-11-22T10:00:00+00:00", "2026-11-22T10:00:01+00:00"
    values = {"one": 1, "yes": True, "real": 1.0, "zero": 0.0, "minus_zero": -0.0, "text": "1"}
    records = [{"session_id": "s1", "startTime": start, "name": "run"}]
    for number, (key, value) in enumerate(values.items()):
        activity = f"a{number}"
        records += [
            {"activity_id": activity, "in_session": "s1", "name": "f", "startTime": start},
            {"activity_id": activity, "parameters": {"p": value}},
            {"activity_id": activity, "used_id": f"hess:{key}.", "used_role": "50% {0} %s"},
            {"entity_id": f"hess:{key}.", "in_session": "s1", "value": value, "type": "PythonObject"},
            {"entity_id": f"{key}.", "in_session": "s1", "value": value, "entity_description": value},
            {"activity_id": activity, "endTime": end, "status": "done"},
        ]
    assert_same(records, window=2)
    text = export_records(records, "provn")
    assert 'entity(hess:one\\., [prov:value=1, prov:type=' in text
    assert 'entity(hess:yes\\., [prov:value="true" %% xsd:boolean' in text
    assert 'entity(hess:real\\., [prov:value="1.0" %% xsd:double' in text
    assert 'entity(hess:minus_zero\\., [prov:value="-0.0" %% xsd:double' in text
    assert 'entity(hess:text\\., [prov:value="1", prov:type=' in text
    assert 'prov:role="50% {0} %s"' in text


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-22T10:00:00+00:00",
        "2026-11-22T10:00:00.000000+00:00",
        "2026-11-22T10:00:00.250000-00:00",
        "2026-11-22T10:00:00.5+05:30",
        "2026-11-22T10:00:00Z",
        "2026-11-22T10:00:00",
        "2026-11-22 10:00:00.123456+01:00",
        "not a time",
    ],
)
def test_times_written_as_prov_writes_them(start):
    records = [
        {"session_id": "s1", "startTime": "2026-11-22T09:00:00+00:00", "name": "run"},
        {"activity_id": "a1", "in_session": "s1", "name": "f", "startTime": start},
        {"activity_id": "a1", "used_id": "hess:1", "used_role": "input"},
        {"activity_id": "a1", "generated_id": "hess:2", "generated_role": "output"},
        {"activity_id": "a1", "endTime": start, "status": "done", "duration": 0.5},
        {"activity_id": "a2", "in_session": "s1", "name": "g", "startTime": start},
        {"activity_id": "a2", "endTime": "2026-11-22T11:00:00.123456+00:00", "status": "done"},
    ]
    assert_same(records)


def test_records_of_an_activity_in_any_order():
    """Usages before the start, an end before the session, a generation after the end."""
    start, end = "2026-11-22T10:00:00.100000+00:00", "2026-11-22T10:00:01.200000+00:00"
    records = [
        {"activity_id": "a1", "used_id": "hess:1", "used_role": "input"},
        {"activity_id": "a1", "parameters": {"p": 1}},
        {"activity_id": "a1", "in_session": "s1", "name": "f", "startTime": start, "agent_name": "me"},
        {"activity_id": "a2", "in_session": "s1", "name": "g", "startTime": start, "parent_activity_id": "a1"},
        {"activity_id": "a2", "endTime": end, "status": "done", "exception_type": "E", "exception_message": "m"},
        {"session_id": "s1", "startTime": "2026-11-22T09:00:00+00:00", "name": "run"},
        {"activity_id": "a1", "used_id": "hess:3", "used_role": "input"},
        {"activity_id": "a1", "endTime": end, "status": "done"},
        {"activity_id": "a1", "generated_id": "hess:2", "generated_role": "output"},
        {"activity_id": "a1", "used_id": "hess:1", "used_role": "input"},
        {"activity_id": "a1", "parameters": {"q": "late"}},
        {"activity_id": "a3", "endTime": end, "status": "done"},
        {"activity_id": "a3", "in_session": "s1", "name": "h", "startTime": start},
        {"entity_id": "hess:2", "progenitor_id": "hess:1", "in_session": "s1"},
        {"entity_id": "c", "member_id": "hess:2", "in_session": "s1"},
        {"entity_id": "c", "in_session": "s1", "value": "[1]", "type": "PythonObject"},
        {"session_id": "s1", "endTime": "2026-11-22T11:00:00+00:00"},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", StreamConflictWarning)
        assert_same(records)
        assert_same(records[::-1])


def test_roles_that_read_alike_stay_apart_and_roles_that_are_not_texts_are_refused():
    start = "2026-11-22T10:00:00+00:00"
    records = [{"session_id": "s1", "startTime": start, "name": "run"}]
    for number, role_value in enumerate(["1", "True", "1.0", "1 "]):
        activity = f"a{number}"
        records += [
            {"activity_id": activity, "in_session": "s1", "name": "f", "startTime": start},
            {"activity_id": activity, "used_id": f"e{number}", "used_role": role_value},
            {"activity_id": activity, "endTime": start},
        ]
    assert_same(records)
    text = export_records(records, "provn")
    assert all(f'prov:role="{role}"' in text for role in ("1", "True", "1.0", "1 "))
    for role_value in (1, True, 1.0):
        refused = [*records[:2], {"activity_id": "a0", "used_id": "e0", "used_role": role_value}]
        with pytest.raises(ValueError, match="'used_role' holds"):
            export_records(refused, "provn")
        with pytest.raises(ValueError, match="'used_role' holds"):
            build_document(refused)


def test_a_renamed_prefix_does_not_take_the_name_of_another():
    records = [
        {"entity_id": "prov:x", "value": "A"},
        {"entity_id": "id_prov:x", "value": "B"},
        {"entity_id": "id_prov_1:x", "value": "C"},
    ]
    assert_same(records)
    text = export_records(records, "provn")
    assert text.count("entity(") == 3


def _written(records: list, fmt: str, mapping: type, window: int) -> str:
    output = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StreamConflictWarning)
        write_records(records, fmt, output, mapping=mapping, window=window)
    return output.getvalue()


@pytest.mark.parametrize("window", [1, 8192])
def test_handlers_by_kind_write_what_the_general_path_writes(synthetic, legacy, analysis_log, window):
    kinds = {shape_of(tuple(record.data)) for record in synthetic}
    assert kinds >= {"used", "generated", "parameters", "member", "derivation", "description", "start", "end"}
    for records in (synthetic, synthetic[::-1], synthetic + synthetic, legacy, analysis_log):
        for fmt in ALL:
            fast = _written(records, fmt, RecordStream, window)
            assert fast == _written(records, fmt, StreamMapping, window), fmt
            assert fast.count("\n") > 20


def test_a_derivation_keeps_the_activity_it_happened_in(tmp_path):
    """One derivation per activity the pair was derived in, and one without activity, in every
    format; prov reads the activity back from PROV-JSON and PROV-XML, rdflib from PROV-O."""
    from prov.model import ProvDerivation
    from rdflib import Namespace, URIRef

    log = SyntheticLog()
    session = log.session(1)
    before, after = value_entity(session, "x", [1]), value_entity(session, "x", [1, 2])
    derivation = {"entity_id": after["entity_id"], "progenitor_id": before["entity_id"], "in_session": session}
    first = log.call(session, "grow", used=[(before, "x")], generated=[(after, "x")])
    second = log.call(session, "grow", used=[(before, "x")], generated=[(after, "x")])
    records = [record.data for record in iter_records(log.write(tmp_path / "prov.log"))]
    records += [dict(derivation, in_activity=first), dict(derivation, in_activity=second),
                dict(derivation, in_activity=first), dict(derivation, untraced=True)]
    document = build_document(records)
    found = {(d.args[2].localpart if d.args[2] else None, bool(d.get_attribute("prov:type")))
             for d in document.get_records(ProvDerivation)}
    assert found == {(local_part(first), False), (local_part(second), False), (None, True)}
    assert len(list(document.get_records(ProvDerivation))) == 3
    assert_same(records, shortcuts=(True, False))
    for fmt in ("json", "xml"):
        derivations = read_back(export_records(records, fmt), fmt).get_records(ProvDerivation)
        assert sorted(str(d.args[2]) for d in derivations) == sorted(str(d.args[2]) for d in
                                                                     document.get_records(ProvDerivation))
    prov_o = Namespace("http://www.w3.org/ns/prov#")
    triples = graph(export_records(records, "nt"))
    activities = {activity for _, _, activity in triples.triples((None, prov_o.hadActivity, None))}
    assert activities == {URIRef(f"urn:logprov:activity:{local_part(key)}") for key in (first, second)}
    assert f"activity:{local_part(first)}, -, -)" in export_records(records, "provn")

