"""The shared store: the same answers from SQLite, PostgreSQL and the logs; loading that is
idempotent, incremental, safe with concurrent and killed loaders; roles and hostile ids."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

import logprov.query
import logprov.store
from logprov.model import build_document
from logprov.model.sessions import SESSION_TYPE
from logprov.reading.reader import LogReadWarning, iter_records
from logprov.store import SourceChanged, StoreError
from logprov.store.engines import connect, glob_posix
from logprov.store.location import parse_location, redact
from logprov.store.records import stored_records
from logs import SyntheticLog, value_entity
from storelogs import entity_answers, expected_rows, stored_rows, synthetic_log
from analyses import answers

TABLES = ("session", "activity", "entity", "entity_record", "used", "wasGeneratedBy", "hadMember",
          "wasDerivedFrom")


def test_sqlite_postgresql_and_the_logs_give_the_same_answers(analysis, two_sessions, postgres_url, tmp_path):
    logs = [analysis.log, two_sessions.log]
    stores = [str(tmp_path / "prov.db"), postgres_url]
    for address in stores:
        logprov.store.load(logs, address)
    windows = [{}, {"start": two_sessions.between}, {"end": two_sessions.between},
               {"sessions": [two_sessions.first[:4], "zz"]}]
    for window in windows:
        found = []
        with logprov.query.open(logs, index=False, **window) as provenance:
            found.append(answers(provenance, analysis, two_sessions, not window))
        for address in stores:
            with logprov.query.open(store=address, **window) as provenance:
                found.append(answers(provenance, analysis, two_sessions, not window))
        assert found[0] == found[1] == found[2], window
        assert found[0][0] and found[0][1]


def test_lineage_of_every_entity_is_the_same_on_both_engines_and_the_logs(tmp_path, postgres_url):
    logs = [synthetic_log(tmp_path / f"job{number}.log", number) for number in (1, 2)]
    stores = [str(tmp_path / "prov.db"), postgres_url]
    for address in stores:
        logprov.store.load(logs, address)
    with logprov.query.open(logs, index=False) as provenance:
        expected = entity_answers(provenance)
    for address in stores:
        with logprov.query.open(store=address) as provenance:
            assert entity_answers(provenance) == expected, address
            assert provenance.records == sum(1 for _ in iter_records([str(log) for log in logs]))


def test_both_engines_hold_every_entity_attribute_and_the_activity_of_a_derivation(tmp_path, postgres_url):
    log = synthetic_log(tmp_path / "job.log", 3, calls=4)
    stores = [str(tmp_path / "prov.db"), postgres_url]
    for address in stores:
        logprov.store.load(log, address)
    for address in stores:
        with logprov.query.open(store=address) as provenance:
            [last] = [e for e in provenance.find_entities() if e.location == "/data/3/step3.fits"]
            assert (last.digest, last.identified_by, last.product_id, last.reference_meta) == (
                f"sha256:{3:064d}", "ctapipe", "3-3", '{"CTA PRODUCT ID": "3"}')
            assert last.generated_time is not None
            lineage = provenance.lineage(last.id)
            assert any(entity.id_scheme == "path" for entity in lineage.entities.values())
            derivations = [edge for edge in lineage.edges if edge.relation == "wasDerivedFrom"]
            within = {edge.activity for edge in derivations if edge.activity is not None}
            assert len(within) == 4 and within <= set(lineage.activities) | {
                a.id for a in provenance.find_activities()}
            assert any(edge.untraced for edge in derivations)
        engine = connect(address)
        try:
            document = build_document(stored_records(engine))
        finally:
            engine.close()
        assert _without_sessions(document) == _without_sessions(build_document(iter_records(str(log)))), address


def _without_sessions(document) -> set:
    """The statements of ``document`` but its session entities (a store keeps a few session facts)."""
    return {str(record) for record in document.get_records()
            if not (record.is_element() and SESSION_TYPE in record.get_asserted_types())}


def test_a_version_1_store_migrates_and_keeps_what_it_held(store, tmp_path):
    from logprov.store.schema import SCHEMA_VERSION, ddl, prepare, stored_version

    first, second = (synthetic_log(tmp_path / f"job{number}.log", number, calls=2) for number in (1, 2))
    engine = connect(store)
    try:
        with engine.transaction():
            engine.script(ddl(engine.dialect, 1))
            engine.run("INSERT INTO store_meta (meta_key, meta_value) VALUES ('schema', '1')")
        assert stored_version(engine) == 1
        assert prepare(engine) == SCHEMA_VERSION == 4
        assert stored_version(engine) == 4
    finally:
        engine.close()
    logprov.store.load([first, second], store)
    with logprov.query.open([first, second], index=False) as memory, logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)


def _ctapipe_log(path):
    """Write a ctapipe log of two runs, the second failed with exit code 2."""
    from ctapipe_activities import two_runs

    first, second = two_runs(path.parent)
    second.update(status="error", exit_code=2)
    path.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    return path


def test_the_exit_code_of_a_ctapipe_activity_is_the_same_on_both_engines_the_index_and_the_logs(
        tmp_path, postgres_url, cache):
    from logprov.export.documentlineage import lineage_document

    log = _ctapipe_log(tmp_path / "ctapipe-process.provenance.log")
    stores = [str(tmp_path / "prov.db"), postgres_url]
    for address in stores:
        logprov.store.load(log, address)
    found = []
    for options in ({"sources": log, "index": False}, {"sources": log}, *({"store": address} for address in stores)):
        with logprov.query.open(**options) as provenance:
            activities = provenance.find_activities()
            assert [(a.status, a.exit_code) for a in activities] == [("success", 0), ("failed", 2)], options
            failed = provenance.find_activities(status="failed")
            lineage = provenance.lineage(activities[1].id)
            table = provenance.search(activity="lstchain_*")._repr_html_()
            assert "<td>success (exit 0)</td>" in table and "<td>failed (exit 2)</td>" in table
            found.append(([a.to_dict() for a in activities], [a.to_dict() for a in failed],
                          _activities(lineage_document(lineage))))
    assert found[0] == found[1] == found[2] == found[3]
    expected = _activities(build_document(iter_records(str(log))))
    assert [statement.count("logprov:exitCode=") for statement in expected] == [1, 1]
    assert found[0][2] == expected
    for address in stores:
        engine = connect(address)
        try:
            document = build_document(stored_records(engine))
        finally:
            engine.close()
        assert _activities(document) == expected, address


def _activities(document) -> list:
    """The activity statements of ``document``, as PROV-N, sorted."""
    from prov.model import ProvActivity

    return sorted(str(record) for record in document.get_records(ProvActivity))


def test_a_version_2_store_migrates_keeps_its_activities_and_takes_exit_codes(store, tmp_path):
    from logprov.store.schema import SCHEMA_VERSION, ddl, prepare, stored_version

    log = _ctapipe_log(tmp_path / "ctapipe-process.provenance.log")
    engine = connect(store)
    try:
        with engine.transaction():
            engine.script(ddl(engine.dialect, 1))
            engine.script(ddl(engine.dialect, 2))
            engine.run("INSERT INTO store_meta (meta_key, meta_value) VALUES ('schema', '2')")
            engine.run("INSERT INTO activity (act_id, act_name, act_startTime, act_endTime, act_start_utc, "
                       "act_moment, act_ended, act_status) VALUES (?, ?, ?, ?, ?, ?, 1, 'failed')",
                       ("old", "before", "2026-11-01T10:00:00+00:00", "2026-11-01T10:00:01+00:00",
                        "2026-11-01T10:00:00.000000+00:00", "2026-11-01T10:00:00.000000+00:00"))
        with pytest.raises(StoreError, match="version 2"):
            prepare(engine, write=False)
    finally:
        engine.close()
    logprov.store.load(log, store)
    engine = connect(store)
    try:
        assert stored_version(engine) == SCHEMA_VERSION == 4
    finally:
        engine.close()
    with logprov.query.open(log, index=False) as memory, logprov.query.open(store=store) as stored:
        old, *loaded = stored.find_activities()
        assert (old.id, old.status, old.exit_code) == ("old", "failed", None)
        assert [a.to_dict() for a in loaded] == [a.to_dict() for a in memory.find_activities()]
        assert [a.exit_code for a in loaded] == [0, 2]


def damaged(path, number: int, calls: int, every: int):
    """A synthetic log with an unreadable line after every ``every`` of its lines."""
    lines = synthetic_log(path, number, calls=calls).read_text().splitlines(keepends=True)
    out = []
    for count, line in enumerate(lines, 1):
        out.append(line)
        if count % every == 0:
            out.append(f"INFO x _PROV_2026-11-22T10:00:00+00:00_PROV_{{\"activity_id\": \"cut {count}\n")
    path.write_text("".join(out))
    return path


def read_problems(log) -> tuple[int, list]:
    """What reading ``log`` skips: the count, and ``(line, reason)`` of the lines it warns about."""
    from logprov.reading.reader import ReadStats
    from logprov.store.loader import KEPT_PROBLEMS

    stats = ReadStats()
    with pytest.warns(LogReadWarning):
        for _ in iter_records(str(log), stats=stats):
            pass
    return stats.skipped, [(line, reason) for _, line, reason in stats.problems[:KEPT_PROBLEMS]]


def stored_problems(address: str, key: str) -> tuple[int, list]:
    """What the store at ``address`` keeps of the unreadable lines of source ``key``."""
    from logprov.store.loader import skipped_lines

    engine = connect(address)
    try:
        return skipped_lines(engine, key)
    finally:
        engine.close()


def key_of(log) -> str:
    from logprov.reading.sources import LogFile
    from logprov.store.loader import source_key

    return source_key(LogFile.stat(str(log)))


def test_a_version_3_store_migrates_and_keeps_the_unreadable_lines_of_the_logs_loaded_next(store, tmp_path):
    from logprov.store.schema import SCHEMA_VERSION, ddl, prepare, stored_version

    log = damaged(tmp_path / "prov.log", 1, calls=2, every=5)
    engine = connect(store)
    try:
        with engine.transaction():
            for version in (1, 2, 3):
                engine.script(ddl(engine.dialect, version))
            engine.run("INSERT INTO store_meta (meta_key, meta_value) VALUES ('schema', '3')")
            engine.run("INSERT INTO source (src_key, src_offset, src_records) VALUES ('old', 10, 1)")
        assert prepare(engine) == SCHEMA_VERSION == 4
        assert stored_version(engine) == 4
        assert engine.rows("SELECT src_key, src_offset, src_skipped FROM source") == [("old", 10, 0)]
    finally:
        engine.close()
    with pytest.warns(LogReadWarning, match="skipped"):
        logprov.store.load(log, store)
    expected = read_problems(log)
    assert expected[0] >= 2 and stored_problems(store, key_of(log)) == expected
    assert stored_problems(store, "old") == (0, [])


def test_a_store_keeps_the_unreadable_lines_of_a_log_as_it_grows(store, tmp_path):
    from logprov.store.loader import KEPT_PROBLEMS

    log = damaged(tmp_path / "prov.log", 1, calls=2, every=5)
    with pytest.warns(LogReadWarning, match="skipped"):
        logprov.store.load(log, store)
    first = stored_problems(store, key_of(log))
    assert first == read_problems(log) and 0 < first[0] < KEPT_PROBLEMS
    more = damaged(tmp_path / "more.log", 2, calls=12, every=3)
    with open(log, "a") as stream:
        stream.write(more.read_text())
    with pytest.warns(LogReadWarning, match="skipped"):
        logprov.store.load(log, store)
    grown = stored_problems(store, key_of(log))
    assert grown == read_problems(log)
    assert grown[0] > KEPT_PROBLEMS == len(grown[1]) and grown[1][:len(first[1])] == first[1]


def test_a_loader_waiting_while_another_migrates_finds_the_store_migrated(postgres_url):
    import threading
    import time

    from logprov.store.engines import lock_number
    from logprov.store.schema import SCHEMA_VERSION, ddl, prepare, stored_version

    holder, waiter = connect(postgres_url), connect(postgres_url)
    found: list = []

    def migrate() -> None:
        try:
            found.append(prepare(waiter))
        except Exception as exc:  # shown by the assertion below
            found.append(repr(exc))

    try:
        assert stored_version(waiter) == 0
        lock = lock_number("logprov store: schema")
        holder.run("SELECT pg_advisory_lock(?)", (lock,))
        thread = threading.Thread(target=migrate)
        thread.start()
        for _ in range(600):
            if holder.rows("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0][0]:
                break
            time.sleep(0.05)
        holder.script("\n".join(ddl("postgresql", version) for version in range(1, SCHEMA_VERSION + 1))
                      + f"\nINSERT INTO store_meta (meta_key, meta_value) VALUES ('schema', '{SCHEMA_VERSION}');")
        holder.run("SELECT pg_advisory_unlock(?)", (lock,))
        thread.join(60)
        assert found == [SCHEMA_VERSION]
        assert stored_version(holder) == SCHEMA_VERSION
    finally:
        waiter.close()
        holder.close()


def test_loading_twice_adds_nothing_and_a_grown_log_loads_its_new_lines(store, tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 1, calls=3)
    [first] = logprov.store.load(log, store)
    assert first.state == "loaded" and first.records > 0
    rows = stored_rows(store)
    assert rows == expected_rows([log])
    [again] = logprov.store.load(log, store)
    assert (again.state, again.records) == ("unchanged", 0)
    assert stored_rows(store) == rows
    more = synthetic_log(tmp_path / "more.log", 2, calls=2)
    with open(log, "a") as stream:
        stream.write(more.read_text())
    [grown] = logprov.store.load(log, store)
    assert grown.records == sum(1 for _ in iter_records(str(more)))
    assert stored_rows(store) == expected_rows([log])
    rotated = tmp_path / "prov.log.1"
    log.rename(rotated)
    [renamed] = logprov.store.load(rotated, store)
    assert renamed.records == 0 and stored_rows(store) == expected_rows([rotated])


def test_the_new_lines_of_a_grown_log_are_loaded_with_their_line_numbers(store, tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 1, calls=2)
    with open(log, "a", newline="") as stream:
        stream.write("INFO x a carriage return\rends a line\nINFO x and so does this\r\n")
    logprov.store.load(log, store)
    with open(log, "a") as stream:
        stream.write("INFO x _PROV_ garbled\n")
    with pytest.warns(LogReadWarning) as caught:
        logprov.store.load(log, store)
    with pytest.warns(LogReadWarning) as read:
        list(iter_records(str(log)))
    last = len(log.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n").splitlines())
    assert [str(w.message) for w in caught] == [str(w.message) for w in read] == [
        f"{log}:{last}: skipped: no timestamp between _PROV_ markers"]


def test_a_rewritten_log_is_detected_by_its_content(store, tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 1, calls=3)
    logprov.store.load(log, store)
    rows = stored_rows(store)
    text = log.read_text()
    lines = text.splitlines(keepends=True)
    lines[3] = lines[3].replace("seed", "SEED")
    log.write_text("".join(lines))
    with pytest.raises(SourceChanged, match="changed since it was loaded"):
        logprov.store.load(log, store)
    assert stored_rows(store) == rows


def test_a_log_in_batches_gives_the_rows_of_one_pass(store, tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 3, calls=12)
    engine = connect(store)
    try:
        logprov.store.schema.prepare(engine)
        from logprov.store.loader import load_files, ordered_files

        [loaded] = load_files(engine, ordered_files([log]), batch_bytes=1500)
    finally:
        engine.close()
    assert loaded.records == sum(1 for _ in iter_records(str(log)))
    assert stored_rows(store) == expected_rows([log])
    with logprov.query.open(log, index=False) as memory, logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)


LOADER = """
import sys
import logprov.store
logprov.store.load(sys.argv[2:], sys.argv[1])
"""


def test_concurrent_loaders_lose_and_duplicate_nothing(store, tmp_path):
    logs = [synthetic_log(tmp_path / f"job{number}.log", number, calls=40) for number in range(1, 5)]
    shared = logs[0]
    commands = [[sys.executable, "-c", LOADER, store, str(log)] for log in logs]
    commands += [[sys.executable, "-c", LOADER, store, str(shared)] for _ in range(2)]
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for command in commands]
    errors = [process.communicate(timeout=300)[1] for process in running]
    assert [process.returncode for process in running] == [0] * len(running), errors
    assert stored_rows(store) == expected_rows(logs)
    with logprov.query.open(logs, index=False) as memory, logprov.query.open(store=store) as stored:
        assert stored.counts() == memory.counts()
        assert [s.to_dict() for s in stored.sessions()] == [s.to_dict() for s in memory.sessions()]


KILLED = """
import os, signal, sys
from logprov.store import engines, schema
from logprov.store.loader import load_files, ordered_files

appended = 0
for kind in (engines.SQLiteEngine, engines.PostgresEngine):
    def dying(self, table, columns, rows, original=kind.append):
        global appended
        original(self, table, columns, rows)
        appended += 1
        if appended == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)
    kind.append = dying
engine = engines.connect(sys.argv[1])
schema.prepare(engine)
load_files(engine, ordered_files([sys.argv[2]]), batch_bytes=2000)
"""


def test_a_loader_killed_mid_batch_leaves_nothing_half_loaded(store, tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 5, calls=20)
    done = subprocess.run([sys.executable, "-c", KILLED, store, str(log), "13"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == -9, done.stderr
    partial = stored_rows(store)
    assert 0 < partial["used"] < expected_rows([log])["used"]
    engine = connect(store)
    try:
        [(offset, records)] = engine.rows("SELECT src_offset, src_records FROM source")
    finally:
        engine.close()
    head = log.read_bytes()[:offset]
    assert head.endswith(b"\n")
    cut = tmp_path / "head.log"
    cut.write_bytes(head)
    assert partial == expected_rows([cut])
    assert records == sum(1 for _ in iter_records(str(cut)))
    logprov.store.load(log, store)
    assert stored_rows(store) == expected_rows([log])
    with logprov.query.open(log, index=False) as memory, logprov.query.open(store=store) as stored:
        assert entity_answers(stored) == entity_answers(memory)


def test_a_read_only_role_can_query_and_cannot_write(postgres_cluster, postgres_url, tmp_path):
    import psycopg

    log = synthetic_log(tmp_path / "prov.log", 1, calls=3)
    logprov.store.load(log, postgres_url)
    database = postgres_url.split("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP ROLE IF EXISTS prov_reader")
        connection.execute("CREATE ROLE prov_reader LOGIN")
        connection.execute(f"GRANT CONNECT ON DATABASE {database} TO prov_reader")
        connection.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO prov_reader")
    reader = postgres_cluster.url(database, "prov_reader")
    try:
        with logprov.query.open(store=reader) as provenance, logprov.query.open(log, index=False) as memory:
            assert entity_answers(provenance) == entity_answers(memory)
        other = synthetic_log(tmp_path / "other.log", 2, calls=2)
        with pytest.raises(StoreError, match="permission denied"):
            logprov.store.load(other, reader)
        assert stored_rows(postgres_url) == expected_rows([log])
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute("DROP OWNED BY prov_reader")
            connection.execute("DROP ROLE prov_reader")


HOSTILE = ["x'); DROP TABLE activity; --", "' OR '1'='1", 'q"; DELETE FROM used; --', "50%_off\\", "[!a]*?",
           "Robert'); DROP TABLE entity;--", "é'ü\u2028;"]


def test_hostile_ids_roles_and_search_terms_are_only_data(store, tmp_path):
    log = SyntheticLog()
    session = log.session(7)
    previous = None
    for number, text in enumerate(HOSTILE):
        made = value_entity(session, text, number)
        made["entity_id"] = text
        used = [(previous, text)] if previous else []
        log.call(session, text, used=used, generated=[(made, text)], parameters={text: text})
        previous = made
    path = log.write(tmp_path / "hostile.log")
    logprov.store.load(path, store)
    assert stored_rows(store) == expected_rows([path])
    with logprov.query.open(path, index=False) as memory, logprov.query.open(store=store) as stored:
        for text in HOSTILE:
            for provenance in (memory, stored):
                assert provenance.search(activity=text) == memory.search(activity=text)
                assert provenance.search(role=text) == memory.search(role=text)
                assert provenance.search(entity=text) == memory.search(entity=text)
                assert provenance.find_activities(where={text: text}) == memory.find_activities(where={text: text})
            assert list(stored.lineage(text).to_dicts()) == list(memory.lineage(text).to_dicts())
        assert entity_answers(stored) == entity_answers(memory)
        assert len(stored.find_activities()) == len(HOSTILE)


@pytest.mark.parametrize("pattern, texts, expected", [
    ("run_*", ["run_1", "run_", "xrun_1", "run\n1"], [True, True, False, False]),
    ("a?c", ["abc", "ac", "a\nc"], [True, False, True]),
    ("[!a]b", ["bb", "ab"], [True, False]),
    ("[a-c]x", ["bx", "dx"], [True, False]),
    ("50%.txt", ["50%.txt", "50%xtxt"], [True, False]),
    ("(a|b)$", ["(a|b)$", "a"], [True, False]),
])
def test_globs_match_the_same_in_postgresql_and_sqlite(pattern, texts, expected):
    import fnmatch
    import re

    regex = re.compile(glob_posix(pattern), re.S)
    assert [bool(regex.search(text)) for text in texts] == expected
    assert [fnmatch.fnmatchcase(text, pattern) for text in texts if "\n" not in text] == \
           [value for text, value in zip(texts, expected) if "\n" not in text]


def test_addresses_and_messages_never_show_a_password(postgres_cluster):
    url = "postgresql://alice:s3cr%40t@db.example:5433/prov?sslmode=require&password=other"
    assert "s3cr" not in redact(url) and "other" not in redact(url)
    assert redact(url).startswith("postgresql://alice:***@db.example:5433/prov")
    assert parse_location("sqlite:///relative/prov.db").target.endswith("/relative/prov.db")
    assert parse_location("sqlite:////abs/prov.db").target == "/abs/prov.db"
    assert parse_location("prov.db").engine == "sqlite"
    with pytest.raises(ValueError, match="mysql"):
        parse_location("mysql://u@h/db")
    missing = postgres_cluster.url("no_such_database").replace("logprov_admin@", "logprov_admin:hunter2@")
    with pytest.raises(StoreError) as caught:
        logprov.query.open(store=missing)
    assert "hunter2" not in str(caught.value) and "no_such_database" in str(caught.value)


def test_an_empty_store_is_refused_with_the_command_to_fill_it(store):
    with pytest.raises(StoreError, match="logprov load"):
        logprov.query.open(store=store)


def test_the_schema_has_the_provtap_tables_and_views(store, tmp_path):
    log = synthetic_log(tmp_path / "prov.log", 1, calls=2)
    logprov.store.load(log, store)
    engine = connect(store)
    try:
        for table in (*TABLES, "agent", "wasAssociatedWith", "parameter", "activityDescription",
                      "entityDescription", "wasInformedBy", "note", "source", "store_meta"):
            engine.rows(f"SELECT * FROM {table} LIMIT 1")
        parameters = engine.rows("SELECT param_name, param_value FROM parameter p JOIN activity a "
                                 "ON a.act_id = p.param_act_id WHERE a.act_name = 'seed'")
        agents = engine.rows("SELECT agent_id FROM agent")
    finally:
        engine.close()
    assert parameters == [("n", "1")] and agents == [("jdoe",)]


def test_a_newer_schema_is_refused(tmp_path):
    address = str(tmp_path / "prov.db")
    logprov.store.load(synthetic_log(tmp_path / "prov.log", 1, calls=1), address)
    engine = connect(address)
    engine.run("UPDATE store_meta SET meta_value = '99' WHERE meta_key = 'schema'")
    engine.close()
    with pytest.raises(StoreError, match="upgrade logprov"):
        logprov.query.open(store=address)


def test_sessions_and_searches_by_job_on_every_engine(store, tmp_path):
    log = SyntheticLog()
    sessions = []
    for number, job in ((1, "123456"), (2, "123456"), (3, "777")):
        session = log.session(number, job={"system": "slurm", "id": job, "array_index": str(number)},
                              container={"runtime": "apptainer", "image": "pipeline.sif", "digest": "sha256:ab"})
        log.call(session, f"run_{number}", status="failed" if number != 2 else "success")
        sessions.append(session)
    path = log.write(tmp_path / "jobs.log")
    logprov.store.load(path, store)
    for provenance in (logprov.query.open(path, index=False), logprov.query.open(store=store)):
        with provenance:
            found = provenance.sessions(job="123456")
            assert [s.id for s in found] == sessions[:2]
            assert [(s.job, s.container) for s in found] == [
                ({"system": "slurm", "id": "123456", "array_index": str(number)},
                 {"runtime": "apptainer", "image": "pipeline.sif", "digest": "sha256:ab"}) for number in (1, 2)]
            failed = provenance.search(job="123456", status="failed")
            assert [m.activity.name for m in failed] == ["run_1"]
            assert provenance.search(job="no such job") == []


def _tables(address: str) -> dict:
    """Every row of the relation and description tables, in order."""
    engine = connect(address)
    try:
        return {table: sorted(engine.rows(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)
                for table, columns in (("used", ("used_act_id", "used_ent_id", "used_role")),
                                       ("wasGeneratedBy", ("wgb_act_id", "wgb_ent_id", "wgb_role")),
                                       ("hadMember", ("hm_collection_id", "hm_ent_id", "hm_session")),
                                       ("wasDerivedFrom", ("wdf_generatedEntity", "wdf_usedEntity", "wdf_activity")),
                                       ("entity_record", ("er_ent_id", "er_session", "er_moment", "er_location")))}
    finally:
        engine.close()


def test_records_reaching_the_store_from_several_sources_are_stored_once(store, tmp_path, make_capture):
    fits = pytest.importorskip("astropy.io.fits")
    log = synthetic_log(tmp_path / "prov.log", 1, calls=3)
    logprov.store.load(log, store)
    rows = _tables(store)
    assert all(rows.values())
    rotated = tmp_path / "prov.log.1.gz"
    with gzip.open(rotated, "wt") as stream:
        stream.write(log.read_text())
    [copy] = logprov.store.load(rotated, store)
    assert copy.records > 0
    assert _tables(store) == rows

    capture = make_capture(log_filename=str(tmp_path / "tool.log"))
    product = tmp_path / "made.fits"

    @capture.trace
    def make(output):
        fits.PrimaryHDU().writeto(output)
        capture.add_output_file(output, role="made")

    make(str(product))
    capture.embed(product)
    logprov.store.load(tmp_path / "tool.log", store)
    with_tool = _tables(store)
    assert len(with_tool["wasGeneratedBy"]) == len(rows["wasGeneratedBy"]) + 1
    [embedded] = logprov.store.load(product, store)
    assert embedded.records > 0
    assert _tables(store) == with_tool


def test_notes_come_back_from_the_store_as_the_logs_give_them(store, tmp_path):
    from logprov.notes import append_note

    log = synthetic_log(tmp_path / "prov.log", 1, calls=2)
    activity = next(r.data["activity_id"] for r in iter_records(str(log)) if "activity_id" in r.data)
    session = next(r.data["session_id"] for r in iter_records(str(log)) if "session_id" in r.data)
    append_note(str(log), activity, "checked by hand")
    append_note(str(log), session, "calibration v2 {\"author\": \"me\"}")
    logprov.store.load(log, store)
    engine = connect(store)
    try:
        document = build_document(stored_records(engine))
    finally:
        engine.close()
    expected = build_document(iter_records(str(log)))
    assert _without_sessions(document) == _without_sessions(expected)
    notes = {str(r) for r in expected.get_records() if "checked by hand" in str(r) or "calibration v2" in str(r)}
    assert len(notes) >= 2 and notes <= _without_sessions(document)


def test_integers_beyond_64_bits_in_any_value_are_stored_as_texts(store, tmp_path, cache):
    huge = 2**70
    log = SyntheticLog()
    session = log.session(8, git={"commit": huge, "dirty": False})
    log.lines[-1] = log.lines[-1].replace('"cwd":"/data/run"', f'"cwd":{huge}')
    made = {**value_entity(session, "x", 1), "value": huge, "type": -huge, "entity_description": huge}
    log.call(session, "make", generated=[(made, "x")])
    path = log.write(tmp_path / "huge.log")
    logprov.store.load(path, store)
    with logprov.query.open(path) as indexed, logprov.query.open(store=store) as stored:
        for provenance in (indexed, stored):
            [entity] = provenance.find_entities()
            assert (entity.value, entity.type, entity.entity_description) == (str(huge), str(-huge), str(huge))
            [found] = provenance.sessions()
            assert found.cwd == str(huge)
