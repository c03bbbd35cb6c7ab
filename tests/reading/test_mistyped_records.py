"""Records whose known keys hold the wrong kind of value are skipped as damaged lines, by every
reader and command, which go on with the rest of the log."""

from __future__ import annotations

import io
import json
import re
import math
import os
import warnings
from pathlib import Path

import pytest
import rdflib
import rdflib.compare
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import logprov.query
from logprov.errors import LogReadError
from logprov.export import export_records
from logprov.reading.reader import LogReadWarning, ReadStats, iter_records
from logprov.records import keys as K
from logprov.records.fields import HOLDS
from logprov.records.legacy import RecordNormalizer

from commands import run
from drawings import program
from logs import SyntheticLog, file_entity, make_id, value_entity

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
BAD_LINE = 'INFO logprov _PROV_2026-12-02T10:00:00+00:00_PROV_{"activity_id":["a"],"parameters":"notadict"}'
BAD_REASON = """'activity_id' holds an array (["a"]), not a string"""
HYPOTHESIS = settings(max_examples=60, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def sample_log() -> tuple[SyntheticLog, dict]:
    """Return a log of two sessions with every kind of record, and the ids it names."""
    log = SyntheticLog()
    first = log.session(1)
    x = value_entity(first, "x", 1)
    made = log.call(first, "make_input", generated=[(x, "x")], parameters={"n": 3, "options": {"fast": True}})
    table = file_entity(first, "/data/table.fits", "ab" * 32, size=2880, contentType="application/fits")
    member = value_entity(first, "member", 5)
    derivation = {K.ENTITY_ID: table[K.ENTITY_ID], K.PROGENITOR_ID: x[K.ENTITY_ID], K.IN_SESSION: first,
                  K.GENERATED_TIME: log.now(), K.UNTRACED: True}
    log.call(first, "write_table", used=[(x, "x")], generated=[(table, "table")], derivations=[derivation],
             members=[(table[K.ENTITY_ID], member)], status="failed", exception=("OSError", "disk full"))
    log.batch([{K.NOTE_ID: make_id(99), K.NOTE: "checked", K.IN_SESSION: first, K.TIME: log.now(),
                K.ABOUT_ACTIVITY: made, K.ATTRIBUTES: {"by": "eye"}}])
    log.end_session(first)
    second = log.session(2)
    log.call(second, "read_table", used=[(table, "table")])
    return log, {"sessions": (first, second), "file": table[K.ENTITY_ID]}


def write_logs(tmp_path: Path, bad_line: str = BAD_LINE) -> tuple[Path, Path, int, dict]:
    """Write the sample log as ``good/prov.log``, and as ``bad/prov.log`` with ``bad_line`` in the
    middle; return both paths, the number of the bad line and the ids the log names."""
    log, ids = sample_log()
    for folder in ("good", "bad"):
        (tmp_path / folder).mkdir()
    good = log.write(tmp_path / "good" / "prov.log")
    middle = len(log.lines) // 2
    log.lines.insert(middle, bad_line)
    return good, log.write(tmp_path / "bad" / "prov.log"), middle + 1, ids


def quietly_read(source, **options) -> tuple[list, ReadStats]:
    stats = ReadStats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogReadWarning)
        records = list(iter_records(source, stats=stats, **options))
    return records, stats


def test_the_reader_skips_a_record_whose_id_is_a_list_and_reads_the_rest(tmp_path):
    good, bad, line, _ = write_logs(tmp_path)
    stats = ReadStats()
    with pytest.warns(LogReadWarning) as caught:
        records = list(iter_records(bad, stats=stats))
    assert [str(w.message) for w in caught] == [f"{bad}:{line}: skipped: {BAD_REASON}"]
    assert stats.skipped == 1 and stats.problems == [(str(bad), line, BAD_REASON)]
    expected, _ = quietly_read(good)
    assert [r.data for r in records] == [r.data for r in expected]
    assert stats.records == len(expected)


def test_strict_reading_stops_at_the_damaged_record(tmp_path):
    _, bad, line, _ = write_logs(tmp_path)
    with pytest.raises(LogReadError, match=r"activity_id") as raised:
        list(iter_records(bad, strict=True))
    assert raised.value.line == line


@pytest.mark.parametrize("payload, reason", [
    ({K.ACTIVITY_ID: {"a": 1}, K.NAME: "f", K.START_TIME: "2026-12-02T10:00:00+00:00"},
     """'activity_id' holds an object ({"a":1}), not a string"""),
    ({K.ENTITY_ID: True, K.LOCATION: "x"}, "'entity_id' holds a boolean (true), not a string"),
    ({K.ENTITY_ID: "e", K.IN_SESSION: 1.5}, "'in_session' holds a number (1.5), not a string"),
    ({K.ACTIVITY_ID: "a", K.PARAMETERS: "notadict"}, """'parameters' holds a string ("notadict"), not an object"""),
    ({K.ACTIVITY_ID: "a", K.PARAMETERS: [1, 2]}, "'parameters' holds an array ([1,2]), not an object"),
    ({K.SESSION_ID: "s", K.SYSTEM: "linux"}, """'system' holds a string ("linux"), not an object"""),
    ({K.ACTIVITY_ID: "a", K.START_TIME: 1764669600}, "'startTime' holds an integer (1764669600), not a string"),
    ({K.ACTIVITY_ID: "a", K.END_TIME: "t", K.DURATION: "1s"}, """'duration' holds a string ("1s"), not a number"""),
    ({K.ENTITY_ID: "e", K.SIZE: 1.5}, "'size' holds a number (1.5), not an integer"),
    ({K.ENTITY_ID: "e", K.PROGENITOR_ID: "f", K.UNTRACED: "yes"}, """'untraced' holds a string ("yes"), not a boolean"""),
    ({K.ENTITY_ID: "e", K.LOCATION: ["a" * 50]}, f"""'location' holds an array (["{"a" * 37}…), not a string"""),
])
def test_a_known_key_holding_the_wrong_kind_of_value_is_named_with_what_it_holds(payload, reason):
    text = f"_PROV_2026-12-02T10:00:00+00:00_PROV_{json.dumps(payload)}\n"
    records, stats = quietly_read(io.StringIO(text))
    assert records == [] and stats.problems == [("<stream>", 1, reason)]


def test_integer_ids_become_strings_and_nulls_of_known_keys_are_left_out():
    text = ('_PROV_2026-12-02T10:00:00+00:00_PROV_{"entity_id": 7762, "in_session": "s", "location": null,'
            ' "hash": null, "custom": null}\n')
    (record,), stats = quietly_read(io.StringIO(text))
    assert record.data == {K.ENTITY_ID: "7762", K.IN_SESSION: "s", "custom": None} and stats.skipped == 0


def test_a_refused_record_is_left_as_it_was():
    normalizer = RecordNormalizer()
    payload = {K.ACTIVITY_ID: 12, K.IN_SESSION: "s", K.LOCATION: None, K.STATUS: 0}
    with pytest.raises(ValueError, match="'status' holds an integer"):
        normalizer.normalize(payload, False)
    assert payload == {K.ACTIVITY_ID: 12, K.IN_SESSION: "s", K.LOCATION: None, K.STATUS: 0}
    assert normalizer.current is None and normalizer.activities == {}


def test_the_legacy_fixture_holds_only_what_its_keys_may_hold():
    records = list(iter_records(LEGACY, strict=True))
    assert len(records) == 57
    for record in records:
        for key, value in record.data.items():
            assert type(value) in HOLDS.get(key, (type(value),)), (record, key)


# Every command, on the log with the damaged line, answers as on the log without it.

def _commands(ids: dict, out: Path) -> list[list[str]]:
    first, second = ids["sessions"]
    entity = ids["file"]
    store = f"sqlite:///{out}/store.db"
    formats = ["json", "provn", "xml", "ttl", "jsonld", "rdfxml", "nt", "dot"]
    if program("dot") is not None:
        formats += ["svg", "png", "pdf"]
    return [
        ["search", "prov.log", "--no-index"], ["search", "prov.log"], ["search", "prov.log", "--json"],
        ["lineage", "prov.log", entity, "--no-index"], ["lineage", "prov.log", entity, "--json"],
        ["sessions", "prov.log", "--no-index"], ["sessions", "prov.log", "--json"],
        ["diff", "--json", "prov.log", first, second],
        ["report", "prov.log", "-o", f"{out}/report.html"],
        ["graph", "prov.log", "--no-index", "-o", f"{out}/graph.dot"], ["graph", "prov.log", "-o", f"{out}/index.dot"],
        *(["export", "prov.log", "-f", fmt, "-o", f"{out}/export.{fmt}"] for fmt in formats),
        ["load", "--store", store, "prov.log", "--json"],
        ["search", "--store", store], ["sessions", "--store", store, "--json"], ["lineage", "--store", store, entity],
    ]


#: Commands that read the log itself each time (the others may read an index or a store).
_READING = ("export", "report", "diff", "load")


def _comparable(path: Path, folder: Path) -> object:
    """Return what ``path`` holds, in a form equal for equal contents: the triples of RDF that
    rdflib writes in no set order, the bytes of other files."""
    if path.suffix in (".jsonld", ".rdfxml"):
        graph = rdflib.Graph().parse(path, format="json-ld" if path.suffix == ".jsonld" else "xml")
        return rdflib.compare.to_isomorphic(graph)
    return path.read_bytes().replace(str(folder).encode(), b".")


def test_every_command_skips_the_damaged_record_and_answers_as_without_it(tmp_path, cache, capsys, monkeypatch):
    good, bad, line, ids = write_logs(tmp_path)
    warning = f"prov.log:{line}: skipped: {BAD_REASON}"
    answers: dict[str, list[str]] = {}
    written = []
    for folder in (good.parent, bad.parent):
        monkeypatch.chdir(folder)
        out = folder / "out"
        out.mkdir()
        for number, argv in enumerate(_commands(ids, out)):
            status, stdout, stderr = run(capsys, *argv)
            assert status in (0, 1), (argv, stderr)
            stderr = stderr.replace(f"{folder}{os.sep}", "")
            if folder == good.parent:
                assert stderr == "", argv
            elif argv[0] in _READING or "--no-index" in argv or number == 1:
                assert stderr == f"logprov: warning: {warning}\n", argv
            else:
                assert stderr in ("", f"logprov: warning: {warning}\n"), argv
            command = " ".join(argv).replace(str(folder), ".")
            if argv[0] == "load":
                assert ('"skipped":1' in stdout) == (folder != good.parent), stdout
                stdout = re.sub(r',"skipped":\d+', "", stdout)
            answers.setdefault(command, []).append(f"{status} {stdout}".replace(str(folder), "."))
        written.append({path.name: _comparable(path, folder) for path in sorted(out.iterdir())
                        if path.suffix not in (".db", ".png", ".pdf")})
    assert written[0] == written[1]
    assert {argv: outputs for argv, outputs in answers.items() if outputs[0] != outputs[1]} == {}


# Any JSON value under any known key of a valid record.

def json_values(nan: bool = True) -> st.SearchStrategy:
    """Any JSON value: NaN and integers beyond 64 bits included, unless ``nan`` is false."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63), st.floats(allow_nan=nan),
        st.text(max_size=8), st.sampled_from(["2026-11-22T10:00:00+00:00", "_PROV_", "\x00"]),
    )
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )


#: Values of each kind a known key may hold, for the records that must be read unchanged.
_TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_WELL_TYPED = {
    str: _TEXTS, dict: st.dictionaries(_TEXTS, json_values(nan=False), max_size=3),
    int: st.integers(-2**63, 2**63 - 1), float: st.floats(allow_nan=False, allow_infinity=False),
    bool: st.booleans(),
}


def _lines_of(log: SyntheticLog) -> list[int]:
    return [number for number, line in enumerate(log.lines) if "_PROV_" in line]


def _changed(log: SyntheticLog, number: int, key: str, value) -> tuple[str, dict]:
    head, _, payload = log.lines[number].rpartition("_PROV_")
    record = json.loads(payload)
    record[key] = value
    return head + "_PROV_" + json.dumps(record, allow_nan=True), record


def _read_and_use(text: str) -> tuple[list, ReadStats]:
    """Read ``text`` as a log, export its records and query them; return the records read."""
    records, stats = quietly_read(io.StringIO(text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogReadWarning)
        for fmt in ("json", "ttl", "provn"):
            export_records(records, fmt)
        provenance = logprov.query.open(io.StringIO(text), index=False)
        provenance.sessions()
        provenance.find_activities()
        for entity in provenance.find_entities():
            provenance.lineage(entity.id)
    return records, stats


SAMPLE, _ = sample_log()


@HYPOTHESIS
@given(st.sampled_from(_lines_of(SAMPLE)), st.sampled_from(sorted(K.KNOWN_KEYS)), json_values())
@example(_lines_of(SAMPLE)[2], K.PARAMETERS, "notadict")
@example(_lines_of(SAMPLE)[1], K.ACTIVITY_ID, ["a"])
@example(_lines_of(SAMPLE)[0], K.DURATION, math.nan)
def test_any_value_under_any_known_key_is_read_or_skipped_with_a_warning(number, key, value):
    line, record = _changed(SAMPLE, number, key, value)
    lines = list(SAMPLE.lines)
    lines[number] = line
    records, stats = _read_and_use("\n".join(lines) + "\n")
    kept = len(_lines_of(SAMPLE)) - stats.skipped
    assert stats.skipped in (0, 1) and len(records) == kept
    if stats.skipped:
        assert stats.problems[0][1] == number + 1 and repr(key) in stats.problems[0][2]


@st.composite
def well_typed_changes(draw):
    number = draw(st.sampled_from(_lines_of(SAMPLE)))
    key = draw(st.sampled_from(sorted(K.KNOWN_KEYS)))
    if key in K.ID_KEYS:
        value = make_id(draw(st.integers(1, 2**32)))
    else:
        value = draw(st.one_of(*(_WELL_TYPED[kind] for kind in HOLDS[key])) if key in HOLDS else json_values(nan=False))
    return number, key, value


@HYPOTHESIS
@given(well_typed_changes())
def test_a_record_whose_known_keys_hold_what_they_may_is_read_unchanged(change):
    number, key, value = change
    line, record = _changed(SAMPLE, number, key, value)
    lines = list(SAMPLE.lines)
    lines[number] = line
    records, stats = _read_and_use("\n".join(lines) + "\n")
    assert stats.skipped == 0
    [read] = [r for r in records if r.line == number + 1]
    expected = {k: v for k, v in record.items() if v is not None or k not in K.KNOWN_KEYS}
    assert read.data == expected
