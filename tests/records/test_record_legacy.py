"""Normalisation of records: every id key as a string, whatever record kind holds it."""

from __future__ import annotations

import io

import pytest

from logprov.reading.reader import iter_records
from logprov.records import keys as K
from logprov.records.legacy import RecordNormalizer

HEAD = "_PROV_2026-11-22T10:00:00+00:00_PROV_"


@pytest.mark.parametrize("key", K.ID_KEYS)
def test_every_id_key_is_read_as_a_string(key):
    record = {K.ENTITY_ID: "e", K.IN_SESSION: "s", key: 7762}
    (read,) = iter_records(io.StringIO(HEAD + repr(record) + "\n"))
    qualified = key == K.ACTIVITY_ID  # an activity id that is not a UUID is qualified by its session
    assert read.data[key] == ("s.7762" if qualified else "7762")


def test_the_activity_of_a_derivation_and_of_a_note_are_ids():
    derivation = {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s", K.IN_ACTIVITY: 12, K.NOTE_ID: None}
    RecordNormalizer().normalize(derivation, False)
    assert derivation == {K.ENTITY_ID: "e2", K.PROGENITOR_ID: "e1", K.IN_SESSION: "s", K.IN_ACTIVITY: "12"}
    note = {K.NOTE_ID: 3, K.NOTE: "x", K.IN_SESSION: "s", K.ABOUT_ACTIVITY: 4}
    RecordNormalizer().normalize(note, False)
    assert note == {K.NOTE_ID: "3", K.NOTE: "x", K.IN_SESSION: "s", K.ABOUT_ACTIVITY: "4"}


def test_a_known_key_is_never_taken_for_the_legacy_entity_id():
    record = {K.IN_ACTIVITY: K.IN_ACTIVITY, 7762: 7762}
    RecordNormalizer().normalize(record, True)
    assert record == {K.IN_ACTIVITY: K.IN_ACTIVITY, K.ENTITY_ID: "7762"}
