"""A NUL character in a logged text is stored and read back unchanged by both engines."""

from __future__ import annotations

from hypothesis import given, strategies as st

import logprov.query
import logprov.store
from logprov.store.engines import escape_text, unescape_text
from logs import SyntheticLog, value_entity
from storelogs import entity_answers, expected_rows, stored_rows

#: Texts holding NUL, and the escape characters of the PostgreSQL engine around it.
TEXTS = ["a\x00b", "\x00", "end\x00", "\uffff0", "\uffff\x00\uffff", "x\uffff\uffffy"]


def nul_log(tmp_path):
    log = SyntheticLog()
    session = log.session(3)
    previous = None
    for number, text in enumerate(TEXTS):
        made = value_entity(session, f"loc{text}", text)
        made["entity_id"] = f"id{text}{number}"
        made["description"] = text
        used = [(previous, f"in{text}")] if previous else []
        log.call(session, f"step{text}", used=used, generated=[(made, f"out{text}")],
                 parameters={f"key{text}": text}, status="failed" if number % 2 else "success",
                 exception=("ValueError", f"bad{text}") if number % 2 else None)
        previous = made
    return log.write(tmp_path / "nul.log")


def test_texts_with_nul_round_trip_through_a_store(store, tmp_path):
    path = nul_log(tmp_path)
    logprov.store.load(path, store)
    assert stored_rows(store) == expected_rows([path])
    with logprov.query.open(path, index=False) as memory, logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)
        for number, text in enumerate(TEXTS):
            assert stored.search(activity=f"step{text}") == memory.search(activity=f"step{text}")
            assert [m.to_dict() for m in stored.search(entity=f"id{text}{number}")] == \
                [m.to_dict() for m in memory.search(entity=f"id{text}{number}")]
            assert stored.search(role=f"out{text}") == memory.search(role=f"out{text}")
            found = stored.find_entities(location=f"loc{text}")
            assert [e.to_dict() for e in found] == [e.to_dict() for e in memory.find_entities(location=f"loc{text}")]
            assert len(found) == 1 and found[0].description == text
            assert stored.find_activities(where={f"key{text}": text}) == \
                memory.find_activities(where={f"key{text}": text})
        assert {a.exception_message for a in stored.find_activities(status="failed")} == \
            {f"bad{text}" for number, text in enumerate(TEXTS) if number % 2}


@given(st.text(alphabet=st.sampled_from(["\x00", "\uffff", "0", "a", "\\"]) | st.characters()))
def test_the_escaped_form_of_any_text_has_no_nul_and_reads_back_as_the_text(text):
    stored = escape_text(text)
    assert "\x00" not in stored
    assert unescape_text(stored) == text
    assert (stored == text) == ("\x00" not in text and "\uffff" not in text)
