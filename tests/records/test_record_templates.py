"""The record templates of the capture give the JSON text of the plain path (`json.dumps`)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from logprov.records import keys as K
from logprov.records import templates as T
from logprov.records.lines import dumps, fragment, quote


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
