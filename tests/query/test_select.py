"""The records chosen for the lineage of an entity: what it is about, and nothing else."""

from __future__ import annotations

from prov.constants import PROV_ATTR_GENERAL_ENTITY, PROV_LOCATION
from prov.model import ProvEntity, ProvSpecialization

from logprov import query
from logprov.model import build_document
from logprov.notes import note_record
from logprov.query.select import lineage_records
from logprov.reading.reader import iter_records

from logs import SyntheticLog, value_entity


def _noted_log(path):
    """Two sessions: ``make`` of the first generates ``x`` and a sibling; notes on ``make``, on
    an activity outside the lineage, on each session; a code record of each session."""
    log = SyntheticLog()
    first = log.session(1)
    x = value_entity(first, "x", 1)
    sibling = value_entity(first, "sibling", 2)
    make = log.call(first, "make", generated=[(x, "x"), (sibling, "sibling")])
    other = log.call(first, "other")
    second = log.session(2)
    log.call(second, "elsewhere")
    log.batch([
        note_record("on make", first, make), note_record("on other", first, other),
        note_record("on the first session", first), note_record("on the second session", second),
        {"in_session": first, "code": {"__main__.make": {"version": "1"}}},
        {"in_session": second, "code": {"__main__.elsewhere": {"version": "2"}}},
    ])
    log.write(path)
    return x["entity_id"], first


def test_the_records_of_a_lineage_keep_the_notes_and_code_of_its_activities_and_sessions(tmp_path):
    path = tmp_path / "prov.log"
    entity, first = _noted_log(path)
    lineage = query.open(str(path), index=False).lineage(entity)
    chosen = list(lineage_records(iter_records(str(path)), lineage))
    notes = sorted(record.data["note"] for record in chosen if "note_id" in record.data)
    assert notes == ["on make", "on the first session"]
    code = [record.data["code"] for record in chosen if "code" in record.data and "session_id" not in record.data]
    assert code == [{"__main__.make": {"version": "1"}}]
    assert {record.session for record in chosen} == {first}


def test_the_records_of_a_lineage_describe_every_entity_its_activities_generated(tmp_path):
    path = tmp_path / "prov.log"
    entity, _ = _noted_log(path)
    lineage = query.open(str(path), index=False).lineage(entity)
    chosen = list(lineage_records(iter_records(str(path)), lineage))
    described = {record.data["location"] for record in chosen if "entity_id" in record.data}
    assert described == {"x", "sibling"}
    document = build_document(chosen)
    elements = {element.identifier: element for element in document.get_records(ProvEntity)}
    general = {relation.get_attribute(PROV_ATTR_GENERAL_ENTITY).pop()
               for relation in document.get_records(ProvSpecialization)}
    assert len(general) == 2
    assert all(elements[name].get_attribute(PROV_LOCATION) for name in general)
