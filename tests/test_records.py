"""The log contract in logprov.records: keys, kinds, lines and the templates of the capture."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from logprov.reading.reader import iter_records
from logprov.records import keys as K
from logprov.records import templates as T
from logprov.records.kinds import OTHER, kind_of, shape_of
from logprov.records.lines import (
    PROV_PREFIX, decode_payload, dumps, encode_line, escape_markers, fragment, line_head, parse_line, quote,
)


def plain_dumps(record: dict) -> str:
    """The plain path: the JSON text of a record as the standard library writes it."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
uuids = st.uuids().map(str)
times = st.datetimes().map(lambda moment: moment.isoformat() + "+00:00")
roles = st.one_of(st.none(), texts)
digests = st.text("0123456789abcdef", min_size=1, max_size=64)


def role_tail(key: str, role: str | None) -> tuple[str, dict]:
    found = {} if role is None else {key: role}
    return fragment(found), found


@settings(max_examples=200, deadline=None)
@given(uuids, texts, times, uuids, texts, st.one_of(st.none(), texts), st.one_of(st.none(), uuids))
def test_start_template_is_the_json_of_the_start_record(activity, name, start, session, agent, function, parent):
    tail = {}
    if function is not None:
        tail[K.FUNCTION] = function
    if parent is not None:
        tail[K.PARENT_ACTIVITY_ID] = parent
    text = T.START % (activity, quote(name), start, session, quote(agent), fragment(tail))
    record = {K.ACTIVITY_ID: activity, K.NAME: name, K.START_TIME: start, K.IN_SESSION: session,
              K.AGENT_NAME: agent, **tail}
    assert text == plain_dumps(record) == dumps(record)


@settings(max_examples=200, deadline=None)
@given(uuids, st.dictionaries(texts, st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), texts, st.none())))
def test_parameters_template_is_the_json_of_the_parameters_record(activity, parameters):
    text = T.PARAMETERS % (activity, dumps(parameters))
    assert json.loads(text) == {K.ACTIVITY_ID: activity, K.PARAMETERS: parameters}
    assert text == dumps({K.ACTIVITY_ID: activity, K.PARAMETERS: parameters})


@settings(max_examples=200, deadline=None)
@given(uuids, texts, roles, digests)
def test_usage_and_generation_templates_are_the_json_of_their_records(activity, entity, role, digest):
    for template, digest_template, id_key, role_key in (
        (T.USED, T.USED_DIGEST, K.USED_ID, K.USED_ROLE),
        (T.GENERATED, T.GENERATED_DIGEST, K.GENERATED_ID, K.GENERATED_ROLE),
    ):
        tail, found = role_tail(role_key, role)
        assert template % (activity, quote(entity), tail) == plain_dumps({K.ACTIVITY_ID: activity, id_key: entity, **found})
        assert digest_template % (activity, digest, tail) == plain_dumps({K.ACTIVITY_ID: activity, id_key: digest, **found})


@settings(max_examples=200, deadline=None)
@given(uuids, times, st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_end_template_is_the_json_of_the_end_record(activity, end, duration):
    text = T.END % (activity, end, duration)
    assert text == plain_dumps({K.ACTIVITY_ID: activity, K.END_TIME: end, K.STATUS: "success", K.DURATION: duration})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(K.KNOWN_KEYS)), st.one_of(texts, st.integers(-(2**63), 2**63 - 1), st.booleans()), min_size=1), times)
def test_a_line_reads_back_as_its_record(record, timestamp):
    line = encode_line(timestamp, record)
    assert line.count(PROV_PREFIX) == 2
    assert line.startswith(line_head(timestamp))
    assert parse_line("INFO logprov " + line) == record
    assert decode_payload(line[len(line_head(timestamp)):]) == (record, False)
    read = list(iter_records(io.StringIO(line + "\n")))
    assert [r.timestamp for r in read] == [timestamp]


def test_a_marker_inside_a_value_is_escaped_and_reads_back():
    record = {K.ENTITY_ID: f"x{PROV_PREFIX}y", K.VALUE: PROV_PREFIX * 3}
    line = encode_line("2026-11-22T10:00:00+00:00", record)
    assert line.count(PROV_PREFIX) == 2
    assert escape_markers(dumps(record)).count(PROV_PREFIX) == 0
    assert parse_line(line) == record


def test_parse_line_ignores_other_lines():
    assert parse_line("INFO logprov nothing here") is None
    assert parse_line(f"INFO {PROV_PREFIX}2026-11-22 no second marker") is None


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
