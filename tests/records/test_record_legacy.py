"""Normalisation of records: every id key as a string, whatever record kind holds it."""

from __future__ import annotations

import io
import json

import pytest
from prov.model import ProvActivity, ProvDerivation, ProvInfluence

import logprov.query
import logprov.store
from logprov.cli import main
from logprov.model import build_document
from logprov.model.identifiers import local_part
from logprov.model.mapping import NOTE_ON
from logprov.query.snapshot import load
from logprov.reading.reader import iter_records
from logprov.records import keys as K
from logprov.records.legacy import RecordNormalizer

from logs import SyntheticLog, make_id, value_entity
from onepass import assert_same

HEAD = "_PROV_2026-11-22T10:00:00+00:00_PROV_"


@pytest.mark.parametrize("key", K.ID_KEYS)
def test_every_id_key_is_read_as_a_string(key):
    record = {K.ENTITY_ID: "e", K.IN_SESSION: "s", key: 7762}
    (read,) = iter_records(io.StringIO(HEAD + repr(record) + "\n"))
    # an activity id that is not a UUID is qualified by its session, where it names an activity
    qualified = key in (K.ACTIVITY_ID, K.IN_ACTIVITY, K.ABOUT_ACTIVITY)
    assert read.data[key] == ("s.7762" if qualified else "7762")


def test_the_activity_of_a_derivation_and_of_a_note_are_ids_qualified_by_their_session():
    derivation = {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s", K.IN_ACTIVITY: 12, K.NOTE_ID: None}
    RecordNormalizer().normalize(derivation, False)
    assert derivation == {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s", K.IN_ACTIVITY: "s.12"}
    note = {K.NOTE_ID: 3, K.NOTE: "x", K.IN_SESSION: "s", K.ABOUT_ACTIVITY: 4}
    RecordNormalizer().normalize(note, False)
    assert note == {K.NOTE_ID: "3", K.NOTE: "x", K.IN_SESSION: "s", K.ABOUT_ACTIVITY: "s.4"}
    again = dict(note)
    RecordNormalizer().normalize(again, False)
    assert again == note
    uuid = make_id(4)
    note = {K.NOTE_ID: "3", K.NOTE: "x", K.IN_SESSION: "s", K.ABOUT_ACTIVITY: uuid}
    RecordNormalizer().normalize(note, False)
    assert note[K.ABOUT_ACTIVITY] == uuid


def test_a_legacy_derivation_without_a_session_takes_the_session_of_the_source():
    normalizer = RecordNormalizer()
    assert normalizer.normalize({K.SESSION_ID: 8735, K.START_TIME: "t"}, True) == "8735"
    derivation = {K.ENTITY_ID: 2, K.PROGENITOR_ID: 1, K.IN_ACTIVITY: 123456}
    assert normalizer.normalize(derivation, True) == "8735"
    assert derivation[K.IN_ACTIVITY] == "8735.123456"


def test_a_known_key_is_never_taken_for_the_legacy_entity_id():
    record = {K.IN_ACTIVITY: K.IN_ACTIVITY, 7762: 7762}
    RecordNormalizer().normalize(record, True)
    assert record == {K.IN_ACTIVITY: K.IN_ACTIVITY, K.ENTITY_ID: "7762"}


SHORT = "000001"


def short_ids_log(path):
    """Write two sessions whose activities have the same short id (unique only within a session,
    as logprov 0.0.2 made them), each with a derivation and a note naming its activity; return
    the session ids."""
    log = SyntheticLog()
    sessions = []
    for number in (1, 2):
        log.counter = 0
        session = log.session(number)
        sessions.append(session)
        before, after = value_entity(session, "x", [number]), value_entity(session, "x", [number, 2])
        activity = log.call(session, "grow", used=[(before, "x")], generated=[(after, "x")])
        log.batch([
            {K.ENTITY_ID: after[K.ENTITY_ID], K.PROGENITOR_ID: before[K.ENTITY_ID], K.IN_SESSION: session,
             K.IN_ACTIVITY: activity},
            {K.NOTE_ID: make_id(50 + number), K.NOTE: f"grew {number}", K.IN_SESSION: session, K.TIME: log.now(),
             K.ABOUT_ACTIVITY: activity},
        ])
    log.write(path)
    path.write_text(path.read_text().replace(make_id(1_000_001), SHORT))
    return sessions


def test_short_activity_ids_name_the_same_activity_in_every_record(tmp_path):
    path = tmp_path / "short.log"
    sessions = short_ids_log(path)
    activities = {session: f"{session}.{SHORT}" for session in sessions}
    records = list(iter_records(path))
    named = {(record.session, record.data.get(K.IN_ACTIVITY) or record.data[K.ABOUT_ACTIVITY])
             for record in records if K.IN_ACTIVITY in record.data or K.ABOUT_ACTIVITY in record.data}
    assert named == set(activities.items())
    started = {record.data[K.ACTIVITY_ID] for record in records if K.START_TIME in record.data
               and K.ACTIVITY_ID in record.data}
    assert started == set(activities.values())


def test_both_prov_paths_link_derivations_and_notes_to_the_activities_of_short_ids(tmp_path):
    path = tmp_path / "short.log"
    sessions = short_ids_log(path)
    records = list(iter_records(path))
    document = build_document(records)
    expected = {f"activity:{local_part(f'{session}.{SHORT}')}" for session in sessions}
    assert {str(activity.identifier) for activity in document.get_records(ProvActivity)} == expected
    assert {str(d.args[2]) for d in document.get_records(ProvDerivation)} == expected
    notes = [i for i in document.get_records(ProvInfluence) if NOTE_ON in i.get_attribute("prov:type")]
    assert {str(note.args[1]) for note in notes} == expected
    assert_same(records, shortcuts=(True, False))
    payloads = [json.loads(line.rsplit("_PROV_", 1)[1]) for line in path.read_text().splitlines()]
    assert build_document(payloads) == document
    assert_same(payloads, formats=("json", "provn"))


def test_the_query_layer_finds_the_activity_of_a_derivation_and_of_a_note_with_short_ids(tmp_path, cache, capsys):
    path = tmp_path / "short.log"
    sessions = short_ids_log(path)
    activities = {session: f"{session}.{SHORT}" for session in sessions}
    store = tmp_path / "prov.db"
    logprov.store.load(path, store)
    for options in ({"sources": path, "index": False}, {"sources": path}, {"store": store}):
        with logprov.query.open(**options) as provenance:
            assert {a.id for a in provenance.find_activities()} == set(activities.values())
            within = {(entity.session, edge.activity) for entity in provenance.find_entities()
                      for edge in provenance.lineage(entity.id).edges if edge.relation == "wasDerivedFrom"}
            assert within == set(activities.items()), options
    snapshot = load(str(path))
    assert {(note.session, note.activity) for note in snapshot.notes} == set(activities.items())
    assert [note.text for note in snapshot.notes_on(sessions[1], activities[sessions[1]])] == ["grew 2"]
    assert main(["search", str(path), "--note", "grew 2", "--json", "--no-index"]) == 0
    found = [json.loads(line)["activity"]["id"] for line in capsys.readouterr().out.splitlines()]
    assert found == [activities[sessions[1]]]
