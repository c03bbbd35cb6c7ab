"""Tests of logprov.query on logs written by traced code: search, lineage, windows, the index."""

from __future__ import annotations

import gzip
import io
import sqlite3

import pytest

import logprov.query
from logprov.query import NotFound, QueryError

from analyses import FILES, LEGACY, LEGACY_FILE, answers, file_id, fit_spectrum

pytestmark = pytest.mark.usefixtures("cache")


@pytest.fixture(params=[True, False], ids=["index", "memory"])
def index(request):
    return request.param


def names(activities) -> list:
    return [activity.name for activity in activities]


def test_sessions_count_activities_and_failures(two_sessions, index):
    with logprov.query.open(two_sessions.log, index=index) as provenance:
        sessions = provenance.sessions()
    assert [s.id for s in sessions] == [two_sessions.first, two_sessions.second]
    assert [(s.activities, s.failed, s.incomplete) for s in sessions] == [(1, 0, 0), (2, 1, 0)]
    assert all(s.start and s.end and s.host and s.hash_type == "sha256" for s in sessions)


def test_lineage_of_a_file_on_disk_crosses_sessions(two_sessions, index):
    with logprov.query.open(two_sessions.log, index=index) as provenance:
        lineage = provenance.lineage(two_sessions.product)
    assert lineage.roots == [file_id(two_sessions.product)]
    assert names(lineage.activities.values()) == ["fit_spectrum", "reduce_events"]
    assert {a.session for a in lineage.activities.values()} == {two_sessions.first, two_sessions.second}
    assert [e.id for e in lineage.inputs()] == [file_id(two_sessions.events)]
    assert lineage.distance[("entity", file_id(two_sessions.events))] == 4
    fit = next(a for a in lineage.activities.values() if a.name == "fit_spectrum")
    assert fit.parameters == {"method": "lsq", "options": {"tolerance": 0.001, "steps": 20},
                              "output": str(two_sessions.product)}
    relations = [(edge.relation, edge.role) for edge in lineage.edges]
    assert relations == [("wasGeneratedBy", "fit result"), ("used", "counts spectrum"),
                         ("wasGeneratedBy", "counts spectrum"), ("used", "event list")]


def test_descendants_and_depth(two_sessions, index):
    with logprov.query.open(two_sessions.log, index=index) as provenance:
        down = provenance.lineage(file_id(two_sessions.events), descendants=True)
        near = provenance.lineage(two_sessions.product, depth=2)
    assert file_id(two_sessions.product) in down.entities
    assert set(names(down.activities.values())) == {"reduce_events", "fit_spectrum"}
    assert file_id(two_sessions.events) not in near.entities
    assert set(near.entities) == {file_id(two_sessions.product), file_id(two_sessions.spectrum)}


def test_index_and_memory_give_the_same_answers(analysis, two_sessions):
    logs = [analysis.log, two_sessions.log]
    windows = [{}, {"start": two_sessions.between}, {"end": two_sessions.between},
               {"sessions": [two_sessions.first[:4], "zz"]}]
    for window in windows:
        found = []
        for index in (True, False):
            with logprov.query.open(logs, index=index, **window) as provenance:
                found.append(answers(provenance, analysis, two_sessions, not window))
        assert found[0] == found[1], window
        assert found[0][0] and found[0][1]


def test_find_activities_by_name_status_and_parameters(analysis, two_sessions, index):
    with logprov.query.open([analysis.log, two_sessions.log], index=index) as provenance:
        assert names(provenance.find_activities(name="get_*")) == [
            "get_observations", "get_datasets", "get_flux_points"]
        [failed] = provenance.find_activities(status="failed")
        assert (failed.name, failed.exception_type) == ("fit_spectrum", "ValueError")
        assert failed.exception_message == "unknown fit method 'simplex'"
        assert names(provenance.find_activities(where={"method": "lsq"})) == ["fit_spectrum"]
        assert names(provenance.find_activities(where={"options.steps": 20})) == ["fit_spectrum"]
        assert names(provenance.find_activities(where={"options.tolerance": "0.001"})) == ["fit_spectrum"]
        assert names(provenance.find_activities(where={"geom.nbins": 12})) == ["get_datasets"]
        assert provenance.find_activities(where={"method": "simplex"}, status="success") == []
        assert names(provenance.find_activities(session=two_sessions.second[:8])) == ["fit_spectrum"] * 2
        assert names(provenance.find_activities(since=two_sessions.between)) == ["fit_spectrum"] * 2


def test_search_answers_which_runs_used_a_file_and_which_failed(two_sessions, index):
    with logprov.query.open(two_sessions.log, index=index) as provenance:
        matches = provenance.search(file=two_sessions.spectrum)
        assert [(m.activity.name, m.link.relation, m.link.role) for m in matches] == [
            ("reduce_events", "generated", "counts spectrum"),
            ("fit_spectrum", "used", "counts spectrum"),
            ("fit_spectrum", "used", "counts spectrum"),
        ]
        [failed] = provenance.search(location="*/spectrum.json", status="failed")
        assert failed.activity.status == "failed" and failed.link.relation == "used"
        entities = provenance.find_entities(role="fit result")
        assert [e.id for e in entities] == [file_id(two_sessions.product)]
        assert entities[0].locations == (str(two_sessions.product),)
        assert entities[0].generated_by[0].role == "fit result"


def test_search_finds_members_no_activity_used(analysis, index):
    with logprov.query.open(analysis.log, index=index) as provenance:
        [match] = provenance.search(entity="23523")
        assert match.activity is None and match.entity.logged_id == "23523"
        assert match.entity.value.startswith("Observation(obs_id=23523")
        assert provenance.search(entity="23523", status="success") == []


def test_window_selects_activities_by_start_and_sessions_by_prefix(two_sessions, index):
    with logprov.query.open(two_sessions.log, start=two_sessions.between, index=index) as provenance:
        assert [s.id for s in provenance.sessions()] == [two_sessions.second]
        assert names(provenance.find_activities()) == ["fit_spectrum"] * 2
        lineage = provenance.lineage(two_sessions.product)
        assert names(lineage.activities.values()) == ["fit_spectrum"]
        assert [e.id for e in lineage.inputs()] == [file_id(two_sessions.spectrum)]
    with logprov.query.open(two_sessions.log, end=two_sessions.between, index=index) as provenance:
        assert names(provenance.find_activities()) == ["reduce_events"]
        with pytest.raises(NotFound):
            provenance.lineage(two_sessions.product)
    with logprov.query.open(two_sessions.log, sessions=[two_sessions.first[:6]], index=index) as provenance:
        assert [s.id for s in provenance.sessions()] == [two_sessions.first]


def test_targets_ids_prefixes_and_errors(two_sessions, index):
    product = file_id(two_sessions.product)
    with logprov.query.open(two_sessions.log, index=index) as provenance:
        assert provenance.resolve(product) == [("entity", product)]
        assert provenance.resolve(product[:14]) == [("entity", product)]
        assert provenance.resolve("file:_" + product[5:]) == [("entity", product)]
        activity = provenance.find_activities(name="reduce_events")[0].id
        assert provenance.resolve(activity[:10]) == [("activity", activity)]
        with pytest.raises(QueryError, match="ambiguous"):
            provenance.resolve("file:")
        with pytest.raises(NotFound, match="no entity, activity or file"):
            provenance.resolve("file:0000")
        two_sessions.product.write_text("changed")
        with pytest.raises(NotFound, match="changed since"):
            provenance.resolve(two_sessions.product)


def test_legacy_log(index):
    with logprov.query.open(LEGACY, index=index) as provenance:
        [session] = provenance.sessions()
        assert session.id == "8735086556965" and session.activities == 9
        assert provenance.graph.hash_types() == {"sha1"}
        down = provenance.lineage(LEGACY_FILE, descendants=True)
        assert names(down.activities.values()) == ["read_file", "set_var2"]
        up = provenance.lineage(LEGACY_FILE)
        assert names(up.activities.values()) == ["write_file", "set_var1", "set_var2", "regular_function"]
        assert [a.id for a in provenance.find_activities(name="set_var1")] == [
            "8735086556965.2e0637", "8735086556965.474da8", "8735086556965.3b4840"]
        untraced = provenance.lineage("63683396350958210840")
        assert [edge.relation for edge in untraced.edges] == ["wasDerivedFrom", "wasGeneratedBy"]


def test_streams_and_gzip_are_read(two_sessions, tmp_path):
    text = two_sessions.log.read_text()
    packed = tmp_path / "sessions.log.gz"
    with gzip.open(packed, "wt") as stream:
        stream.write(text)
    for source, indexed in ((io.StringIO(text), False), (packed, True)):
        with logprov.query.open(source) as provenance:
            assert (provenance.index is not None) is indexed
            assert len(provenance.find_activities()) == 3


def test_index_is_built_once_and_follows_the_log(two_sessions, make_capture, cache):
    with logprov.query.open(two_sessions.log) as provenance:
        path = provenance.index
        assert provenance.records > 0
    built = path.stat().st_mtime_ns
    with logprov.query.open(two_sessions.log) as provenance:
        assert provenance.index == path
    assert path.stat().st_mtime_ns == built
    capture = make_capture(FILES, log_filename=str(two_sessions.log), log_returned_result=False)
    capture.trace(fit_spectrum)(str(two_sessions.spectrum), str(two_sessions.data / "again.json"))
    capture.end_session()
    with logprov.query.open(two_sessions.log) as provenance:
        assert len(provenance.find_activities(name="fit_spectrum")) == 3
        assert len(provenance.sessions()) == 3
    with sqlite3.connect(path) as connection:
        [(offset, size)] = connection.execute("SELECT src_offset, src_size FROM source").fetchall()
    assert offset == size == two_sessions.log.stat().st_size
    lines = two_sessions.log.read_text().splitlines(keepends=True)
    two_sessions.log.write_text("".join(lines[:-3]))
    with logprov.query.open(two_sessions.log) as provenance:
        statuses = [a.status for a in provenance.find_activities(name="fit_spectrum")]
    assert statuses == ["success", "failed", "incomplete"]


def test_unwritable_cache_falls_back_to_memory(two_sessions, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.warns(logprov.query.IndexWarning):
        provenance = logprov.query.open(two_sessions.log, cache=blocker / "cache")
    assert provenance.index is None and len(provenance.find_activities()) == 3


def test_index_extended_while_the_log_grows_gives_the_same_answers(analysis, two_sessions, tmp_path):
    text = analysis.log.read_text() + two_sessions.log.read_text()
    lines = text.splitlines(keepends=True)
    for share in (0.3, 0.55, 0.8):
        growing = tmp_path / f"growing-{share}.log"
        growing.write_text("".join(lines[: int(len(lines) * share)]))
        with logprov.query.open(growing) as provenance:
            assert provenance.records > 0
            built = provenance.index.stat().st_ino
        with open(growing, "a") as stream:
            stream.write("".join(lines[int(len(lines) * share):]))
        found = []
        for index in (True, False):
            with logprov.query.open(growing, index=index) as provenance:
                found.append([provenance.records] + answers(provenance, analysis, two_sessions, True))
                if index:
                    assert provenance.index.stat().st_ino == built
        assert found[0] == found[1], share


def test_rotated_logs_are_read_oldest_first(analysis, tmp_path):
    lines = analysis.log.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"generated_id"' in line)
    folder = tmp_path / "rotated"
    folder.mkdir()
    (folder / "prov.log.1").write_text("".join(lines[:cut]))
    (folder / "prov.log").write_text("".join(lines[cut:]))
    with logprov.query.open(analysis.log, index=False) as provenance:
        expected = list(provenance.lineage(analysis.output).to_dicts())
    for index in (True, False):
        with logprov.query.open(folder / "prov.log*", index=index) as provenance:
            assert list(provenance.lineage(analysis.output).to_dicts()) == expected


def test_null_columns_stay_null_and_an_application_adapter_for_none_is_kept(two_sessions, cache, monkeypatch):
    key = (type(None), sqlite3.PrepareProtocol)
    monkeypatch.delitem(sqlite3.adapters, key, raising=False)
    with logprov.query.open(two_sessions.log, cache=cache) as provenance:
        index = provenance.index
    assert sqlite3.adapters[key](None) is None
    with sqlite3.connect(index) as connection:
        nulls = connection.execute("SELECT count(*) FROM entity_record WHERE er_description IS NULL").fetchone()[0]
        texts = connection.execute("SELECT count(*) FROM entity_record WHERE er_description = 'None' OR er_description = ''").fetchone()[0]
    assert nulls > 0 and texts == 0

    def mine(value):
        return value

    monkeypatch.setitem(sqlite3.adapters, key, mine)
    with logprov.query.open(two_sessions.log, cache=cache.with_name("other")):
        pass
    assert sqlite3.adapters[key] is mine
