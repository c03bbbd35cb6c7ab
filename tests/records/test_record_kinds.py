"""The kinds of records: `kind_of` a record, `shape_of` its exact keys, and the key constants."""

from __future__ import annotations

from logprov.records import keys as K
from logprov.records.kinds import OTHER, kind_of, shape_of


def test_shape_of_names_the_plain_shapes():
    assert shape_of(("activity_id", "used_id", "used_role")) == "used"
    assert shape_of(("generated_role", "activity_id", "generated_id")) == "generated"
    assert shape_of(("activity_id", "parameters")) == "parameters"
    assert shape_of(("entity_id", "member_id", "in_session")) == "member"
    assert shape_of(("entity_id", "progenitor_id", "in_session")) == "derivation"
    assert shape_of(("entity_id", "in_session", "value", "type")) == "description"
    assert shape_of(("activity_id", "name", "startTime", "in_session")) == "start"
    assert shape_of(("activity_id", "endTime", "status", "duration")) == "end"
    assert shape_of(("entity_id", "in_session")) == OTHER
    assert shape_of(("entity_id", "progenitor_id", "in_session", "untraced")) == OTHER
    assert shape_of(("activity_id", "startTime", "endTime")) == OTHER
    assert shape_of(("session_id", "startTime", "name")) == OTHER
    assert shape_of(("activity_id", "used_id", "used_role", "generated_id")) == OTHER


def test_kind_of_and_shape_of_agree_on_the_plain_shapes():
    for keys in (
        ("activity_id", "used_id", "used_role"),
        ("activity_id", "generated_id", "generated_role"),
        ("activity_id", "parameters"),
        ("entity_id", "member_id", "in_session"),
        ("entity_id", "progenitor_id", "in_session"),
        ("activity_id", "name", "startTime", "in_session"),
        ("activity_id", "endTime", "status", "duration"),
    ):
        assert kind_of(dict.fromkeys(keys, "x")) == shape_of(keys)
    assert kind_of({"note_id": "n", "note": "x", "in_session": "s", "about_activity": "a"}) == "note"
    assert kind_of({"entity_id": "e", "in_session": "s", "value": "1"}) == "entity"
    assert kind_of({"in_session": "s"}) == "unknown"


def test_every_key_constant_is_a_known_key_and_spelled_once():
    names = {name: value for name, value in vars(K).items() if name.isupper() and isinstance(value, str)}
    assert set(names.values()) == set(K.KNOWN_KEYS)
    assert len(set(names.values())) == len(names)
    assert set(K.ID_KEYS) <= K.KNOWN_KEYS
    assert {K.IN_ACTIVITY, K.ABOUT_ACTIVITY, K.ATTRIBUTES} <= K.KNOWN_KEYS
