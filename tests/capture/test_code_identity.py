"""Code identity of traced functions: a version and a source digest, logged once per session."""

from __future__ import annotations

import hashlib
import inspect
import textwrap

from logprov.capture.code import code_identity, source_digest
from logprov.reading.reader import iter_records


def payloads(capture):
    for handler in capture.logger.handlers:
        handler.flush()
    return [r.data for r in iter_records(capture.config.log_filename)]


def scale(x):
    return 2 * x


def test_source_digest_is_that_of_the_source_text():
    expected = hashlib.sha256(textwrap.dedent(inspect.getsource(scale)).encode()).hexdigest()
    assert source_digest(scale) == f"sha256:{expected}"


def test_functions_without_source_get_a_digest_of_their_code():
    namespace: dict = {}
    exec("def made(x):\n    return x + 1\n", namespace)
    other: dict = {}
    exec("def made(x):\n    return x + 2\n", other)
    assert source_digest(namespace["made"]).startswith("sha256:")
    assert source_digest(namespace["made"]) != source_digest(other["made"])
    assert code_identity(len) == {}


def test_session_record_holds_the_version_and_digest_of_each_traced_function(make_capture):
    capture = make_capture(definitions={"activities": {"prepare": {"version": 3}}})

    @capture.trace(version="1.2")
    def fit(x):
        return x

    @capture.trace
    def prepare(x):
        return x

    fit(prepare(1))
    fit(2)
    records = payloads(capture)
    sessions = [r for r in records if "system" in r]
    assert len(sessions) == 1
    code = sessions[0]["code"]
    assert code[f"{__name__}.{fit.__qualname__}"] == {"version": "1.2", "digest": source_digest(fit.__wrapped__)}
    assert code[f"{__name__}.{prepare.__qualname__}"]["version"] == "3"
    assert not [r for r in records if "code" in r and "system" not in r]
    assert all("code" not in r for r in records if "activity_id" in r)


def test_a_function_decorated_after_its_session_started_gets_a_code_record(make_capture):
    capture = make_capture()

    @capture.trace
    def first(x):
        return x

    first(1)

    @capture.trace(version="2")
    def later(x):
        return x

    later(1)
    later(2)
    records = payloads(capture)
    session = next(r["session_id"] for r in records if "system" in r)
    late = [r for r in records if "code" in r and "system" not in r]
    assert late == [{"in_session": session,
                     "code": {f"{__name__}.{later.__qualname__}": {"version": "2",
                                                                    "digest": source_digest(later.__wrapped__)}}}]
