"""Session records, logging set-up, secrets, id functions, manual activities, robustness."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import logprov
from logprov.testing import parse_line

ROOT = Path(__file__).resolve().parents[2]


def read_log(path):
    return [r for r in (parse_line(line) for line in Path(path).read_text().splitlines()) if r is not None]


def test_default_handler_writes_greppable_lines(make_capture, tmp_path):
    capture = make_capture()
    traced = capture.trace(lambda x: x * 2)
    traced(21)
    text = Path(capture.config.log_filename).read_text()
    lines = [line for line in text.splitlines() if "_PROV_" in line]
    assert lines[0].startswith("INFO " + capture.logger.name + " _PROV_")
    for line in lines:
        marker = line.index("_PROV_")
        stamp, payload = line[marker + 6:].split("_PROV_", 1)
        assert stamp.endswith("+00:00") and len(stamp) == 32
        assert isinstance(json.loads(payload), dict)
    assert not capture.logger.propagate


def test_logging_dict_config_is_applied(tmp_path):
    log = tmp_path / "custom.log"
    config = {
        "logger_name": "logprov.dictconfig",
        "record_git": False,
        "logging": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log), "formatter": "plain"}},
            "loggers": {"logprov.dictconfig": {"level": "INFO", "handlers": ["file"], "propagate": False}},
        },
    }
    capture = logprov.ProvCapture(config=config)
    capture.trace(lambda: None)()
    for handler in capture.logger.handlers:
        handler.close()
    records = read_log(log)
    assert [r["name"] for r in records if "name" in r and "activity_id" in r] == ["<lambda>"]


def test_logger_above_info_writes_nothing_and_costs_nothing(make_capture, records):
    capture = make_capture()
    capture.logger.setLevel(logging.WARNING)
    traced = capture.trace(lambda x: x)
    with records(capture) as log:
        assert traced(3) == 3
    assert log.records == []


def test_session_record_describes_machine_code_and_redacts_secrets(make_capture, records, monkeypatch):
    monkeypatch.setenv("MY_API_TOKEN", "tok-123")
    monkeypatch.setenv("PLAIN_SETTING", "visible")
    capture = make_capture({"activities": {}}, env_vars=["MY_API_TOKEN", "PLAIN_SETTING"],
                           record_packages=True, system_dict={"site": "La Palma", "db_password": "pw"})
    with records(capture) as log:
        capture.trace(lambda: None)()
        capture.end_session()
    session = log.of_kind("session")[0]
    assert session["logprov_version"] == logprov.__version__
    system = session["system"]
    assert system["python"]["version"].startswith("3.")
    assert system["platform"]["num_cpus"] >= 1 and system["platform"]["memory_total"] > 0
    assert system["argv"] and system["cwd"] == os.getcwd() and system["pid"] == os.getpid()
    assert system["environment"]["MY_API_TOKEN"] == "***"
    assert system["environment"]["PLAIN_SETTING"] == "visible"
    assert system["site"] == "La Palma" and system["db_password"] == "***"
    assert session["agent_name"] and session["definitions"] == {"activities": {}}
    packages = {name: version for record in log.of_kind("session") + log.of_kind("session_facts")
                for name, version in record.get("packages", {}).items()}
    assert packages["logprov"] == logprov.__version__
    assert session["config"]["hash_type"] == "sha256"
    assert "tok-123" not in json.dumps(log.records)


def test_secret_parameters_never_reach_the_log(make_capture, records):
    capture = make_capture()

    @capture.trace
    def connect(host, password, api_key=None, options=None):
        return host

    with records(capture) as log:
        connect("db", "hunter2", api_key="k-999", options={"token": "tok-7Q9Z", "retries": 3})
    text = json.dumps(log.records)
    for secret in ("hunter2", "k-999", "tok-7Q9Z"):
        assert secret not in text
    params = log.of_kind("parameters")[0]["parameters"]
    assert params["password"] == "***" and params["api_key"] == "***" and params["host"] == "db"


def test_agent_name_from_config_and_never_getlogin(make_capture, records, monkeypatch):
    def broken():
        raise OSError("no controlling terminal")

    monkeypatch.setattr(os, "getlogin", broken)
    capture = make_capture()
    named = make_capture(agent_name="jdoe")
    with records(capture) as log, records(named) as log2:
        capture.trace(lambda: 1)()
        named.trace(lambda: 1)()
    assert log.activities()[0]["agent_name"]
    assert log2.activities()[0]["agent_name"] == "jdoe"


def test_id_functions_and_id_paths(make_capture, records):
    definitions = {
        "activities": {
            "load": {"generation": [{"role": "table", "entityType": "Table", "value": "table"}]},
            "tag": {"generation": [{"role": "tagged", "value": "table", "id": "table.name", "namespace": "cat"}]},
        },
        "entities": {"Table": {"type": "PythonObject"}},
    }
    capture = logprov.ProvCapture(
        definitions,
        {"logger_name": "logprov.idfunc", "log_filename": os.devnull, "record_git": False},
        id_functions={"Table": lambda table: f"table-{table['name']}"},
    )

    class Loader:
        def load(self):
            self.table = {"name": "crab", "rows": [1, 2]}

        def tag(self):
            self.table = dict(self.table, tagged=True)

    capture.trace_methods(Loader)
    with records(capture) as log:
        loader = Loader()
        loader.load()
        loader.tag()
    ids = [r["generated_id"] for r in log.of_kind("generated") if r["generated_role"] != "result"]
    assert ids == ["table-crab", "cat:crab"]
    schemes = {r["entity_id"]: r.get("id_scheme") for r in log.of_kind("entity")}
    assert schemes["table-crab"] == "custom" and schemes["cat:crab"] == "path"


class Hostile:
    def __repr__(self):
        raise RuntimeError("repr exploded")

    def __eq__(self, other):
        raise RuntimeError("eq exploded")

    __hash__ = None

    def __getstate__(self):
        raise RuntimeError("state exploded")


def test_hostile_values_never_break_the_call(make_capture, records):
    capture = make_capture()

    @capture.trace
    def consume(thing, size=0):
        return Hostile()

    with records(capture) as log:
        result = consume(Hostile(), size=2)
    assert isinstance(result, Hostile)
    assert [e["status"] for e in log.of_kind("end")] == ["success"]
    values = [r.get("value", "") for r in log.of_kind("entity")]
    assert values and all("repr failed" in v for v in values)
    assert all(r.get("id_scheme") == "fallback" for r in log.of_kind("entity"))


def test_internal_error_warns_once_and_keeps_the_result(make_capture, records):
    def broken_id(value):
        raise RuntimeError("id function failed")

    capture = logprov.ProvCapture(
        {"activities": {"make": {"generation": [{"role": "out", "entityType": "Thing", "value": "out"}]}},
         "entities": {"Thing": {"type": "PythonObject"}}},
        {"logger_name": "logprov.broken", "log_filename": os.devnull, "record_git": False},
        id_functions={"Thing": broken_id},
    )

    class Maker:
        def make(self, n):
            self.out = list(range(n))
            return n

    capture.trace_methods(Maker)
    with records(capture) as log:
        maker = Maker()
        assert [maker.make(i) for i in range(5)] == list(range(5))
    assert len(log.warnings) == 1 and "id function failed" in log.warnings[0]
    assert len(log.activities()) == 5 and len(log.of_kind("end")) == 5


def test_unresolved_value_path_warns_once_and_skips_the_entity(make_capture, records):
    capture = make_capture({"activities": {"run": {"usage": [{"role": "missing", "value": "nowhere.to.be.found"}]}}})

    class Job:
        def run(self):
            return None

    capture.trace_methods(Job)
    with records(capture) as log:
        for _ in range(3):
            Job().run()
    assert len(log.warnings) == 1
    assert "nowhere.to.be.found" in log.warnings[0] and "'run'" in log.warnings[0]
    assert log.of_kind("used") == []
    assert len(log.activities()) == 3


def test_manual_activity_records_files_values_and_failure(make_capture, records, tmp_path):
    capture = make_capture()
    source = tmp_path / "raw.txt"
    source.write_text("raw")
    target = tmp_path / "out.txt"
    with records(capture) as log:
        with capture.activity("calibrate", parameters={"gain": 1.5}) as step:
            step.add_input_file(source, role="raw")
            step.use({"gain": 1.5}, role="settings")
            target.write_text("calibrated")
            step.add_output_file(target, role="calibrated")
            step.generate([1, 2], role="summary")
        with pytest.raises(KeyError):
            with capture.activity("broken"):
                raise KeyError("missing")
    calibrate, broken = log.activities()
    assert log.find(activity_id=calibrate["activity_id"], parameters={"gain": 1.5})
    assert {r["used_role"] for r in log.find(activity_id=calibrate["activity_id"]) if "used_role" in r} == {"raw", "settings"}
    assert {r["generated_role"] for r in log.find(activity_id=calibrate["activity_id"]) if "generated_role" in r} == {"calibrated", "summary"}
    ends = {e["activity_id"]: e for e in log.of_kind("end")}
    assert ends[calibrate["activity_id"]]["status"] == "success"
    assert ends[broken["activity_id"]]["status"] == "failed"
    assert ends[broken["activity_id"]]["exception_type"] == "KeyError"


def test_traced_calls_inside_a_manual_activity_are_nested(make_capture, records):
    capture = make_capture()
    inner = capture.trace(lambda: 1)
    with records(capture) as log:
        with capture.activity("outer"):
            inner()
    outer, nested = log.activities()
    assert nested["parent_activity_id"] == outer["activity_id"]
    assert log.records.index(outer) < log.records.index(nested)


def test_long_activity_start_is_written_before_it_ends(make_capture, tmp_path):
    capture = make_capture(flush_interval=0.05)
    seen = {}

    @capture.trace
    def slow():
        time.sleep(0.4)
        seen["log"] = read_log(capture.config.log_filename)

    slow()
    starts = [r for r in seen["log"] if r.get("name") == "slow"]
    ends = [r for r in seen["log"] if "endTime" in r and "activity_id" in r]
    assert len(starts) == 1 and ends == []
    final = read_log(capture.config.log_filename)
    assert sum(1 for r in final if r.get("name") == "slow") == 1


def test_flush_interval_zero_writes_start_before_the_call(make_capture):
    capture = make_capture(flush_interval=0)
    seen = {}

    @capture.trace
    def quick():
        seen["log"] = read_log(capture.config.log_filename)

    quick()
    assert [r["name"] for r in seen["log"] if "name" in r and "activity_id" in r] == ["quick"]


def test_described_only_config_leaves_helpers_untraced(make_capture):
    capture = make_capture({"activities": {"fit": {}}}, described_only=True)

    class Model:
        def fit(self):
            return 1

        def helper(self):
            return 2

    capture.trace_methods(Model)
    assert hasattr(Model.fit, "__logprov_capture__") and not hasattr(Model.helper, "__logprov_capture__")


FORK_SCRIPT = textwrap.dedent(
    """
    import json, multiprocessing, sys
    import logprov
    capture = logprov.ProvCapture(config={{"log_filename": {log!r}, "record_git": False, "record_packages": False}})

    @capture.trace
    def work(i):
        return i * 2

    if __name__ == "__main__":
        work(0)
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            print(pool.map(work, range(6)))
    """
)


def test_forked_workers_get_sessions_of_their_own(tmp_path):
    log = tmp_path / "fork.log"
    script = tmp_path / "fork_script.py"
    script.write_text(FORK_SCRIPT.format(log=str(log)))
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=tmp_path)
    records = read_log(log)
    sessions = {r["session_id"]: r["system"]["pid"] for r in records if "system" in r}
    starts = [r for r in records if r.get("name") == "work"]
    assert len(starts) == 7
    assert {r["in_session"] for r in starts} <= set(sessions)
    assert len(sessions) >= 2 and len(set(sessions.values())) == len(sessions)
    assert len({r["activity_id"] for r in starts}) == 7


HASHSEED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    import logprov
    from logprov.testing import collect_records
    from scenarios import legacy
    capture = logprov.ProvCapture(legacy.LEGACY_DEFINITIONS, {{"log_filename": "p.log", "record_git": False}})
    with collect_records(capture) as log:
        legacy.run(capture, Path("."))
    print(json.dumps(sorted(r["entity_id"] for r in log.of_kind("entity"))))
    """
)


def test_same_script_under_different_hash_seeds_gives_identical_entity_ids(tmp_path):
    outputs = []
    for seed in ("0", "4242"):
        workdir = tmp_path / seed
        workdir.mkdir()
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", HASHSEED_SCRIPT.format(tests=str(ROOT / "tests"))],
            cwd=workdir, env=env, capture_output=True, text=True, check=True,
        )
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) >= 6 and any(i.startswith("file:") for i in outputs[0])


def test_threads_get_their_own_current_activity(make_capture, records):
    capture = make_capture()
    barrier = threading.Barrier(2)

    @capture.trace
    def child(tag):
        return tag

    @capture.trace
    def parent(tag):
        barrier.wait()
        return child(tag)

    with records(capture) as log:
        threads = [threading.Thread(target=parent, args=(t,)) for t in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    params = {r["activity_id"]: r["parameters"]["tag"] for r in log.of_kind("parameters")}
    children = list(log.activities("child"))
    assert sorted(params[start["activity_id"]] for start in children) == ["a", "b"]
    for start in children:
        assert params[start["parent_activity_id"]] == params[start["activity_id"]]


def test_value_paths_calling_traced_methods_do_not_log_activities(make_capture, records):
    capture = make_capture({"activities": {"run": {"generation": [{"role": "out", "value": "output_name()"}]}}})

    class Job:
        def output_name(self):
            return "result.txt"

        def run(self):
            return None

    capture.trace_methods(Job)
    with records(capture) as log:
        Job().run()
    assert [a["name"] for a in log.activities()] == ["run"]
    assert len(log.find(generated_role="out")) == 1


def test_members_of_used_entities_and_element_values(make_capture, records):
    definitions = {
        "activities": {
            "stack": {
                "usage": [{
                    "role": "runs", "value": "runs", "type": "RunList", "contentType": "application/x-runs",
                    "has_members": {"entityType": "Run", "list": "runs", "value": "events"},
                }],
            },
        },
        "entities": {"Run": {"type": "PythonObject"}},
    }
    capture = make_capture(definitions)

    class Stacker:
        def __init__(self):
            self.runs = [{"events": [1, 2]}, {"events": [3]}]

        def stack(self):
            return None

    capture.trace_methods(Stacker)
    with records(capture) as log:
        Stacker().stack()
    runs = log.find(used_role="runs")[0]["used_id"]
    entity = log.find(entity_id=runs)[0]
    assert entity["type"] == "RunList" and entity["contentType"] == "application/x-runs"
    members = [m["member_id"] for m in log.of_kind("member") if m["entity_id"] == runs]
    from logprov.capture.identity import ValueDigester
    digester = ValueDigester()
    assert members == [digester.digest([1, 2])[0], digester.digest([3])[0]]


def test_argument_named_in_a_plain_value_path_is_logged_once(make_capture, records):
    capture = make_capture({"activities": {"select": {"usage": [{"role": "events", "value": "events"}]}}})

    @capture.trace
    def select(events, threshold=1.0):
        return [e for e in events if e > threshold]

    with records(capture) as log:
        select([0.5, 2.0], threshold=1.0)
    assert [u["used_role"] for u in log.of_kind("used")] == ["events"]
    assert log.of_kind("parameters")[0]["parameters"] == {"threshold": 1.0}


def test_secret_command_line_options_are_redacted(monkeypatch):
    from logprov.settings.config import DEFAULT_REDACT
    from logprov.capture.secrecy import SecrecyPolicy

    argv = ["run.py", "--password", "hunter2", "--api-key=abc", "--author", "me", "PWD"]
    assert SecrecyPolicy(DEFAULT_REDACT).redact_arguments(argv) == [
        "run.py", "--password", "***", "--api-key=***", "--author", "me", "PWD",
    ]


def test_url_passwords_are_hidden_in_parameters_and_environment(make_capture, records, monkeypatch):
    monkeypatch.setenv("ARCHIVE_URL", "https://jdoe:s3cr3t@archive.example.org/tap")
    capture = make_capture(env_vars=["ARCHIVE_URL"])

    @capture.trace
    def query(url, limit=10):
        return limit

    with records(capture) as log:
        query("postgres://reader:hunter2@db.example.org:5432/obs")
    text = json.dumps(log.records)
    assert "s3cr3t" not in text and "hunter2" not in text
    assert log.of_kind("parameters")[0]["parameters"]["url"] == "postgres://reader:***@db.example.org:5432/obs"
    assert log.of_kind("session")[0]["system"]["environment"]["ARCHIVE_URL"] == "https://jdoe:***@archive.example.org/tap"


def test_set_log_filename_moves_the_default_handler(make_capture, tmp_path):
    capture = make_capture()
    traced = capture.trace(lambda: None, name="step")
    traced()
    moved = tmp_path / "elsewhere" / "moved.log"
    capture.set_log_filename(moved)
    traced()
    first = [r for r in read_log(capture.logger.name and tmp_path / f"{capture.logger.name}.log") if r.get("name") == "step"]
    second = [r for r in read_log(moved) if r.get("name") == "step"]
    assert len(first) == 1 and len(second) == 1
    assert capture.config.log_filename == str(moved)


def test_warnings_never_look_like_records(make_capture, records):
    capture = make_capture({"activities": {"run": {"usage": [{"role": "x", "location": "path"}]}}})

    @capture.trace
    def run(path):
        return None

    with records(capture) as log:
        run("/no/such/_PROV_file")
    assert len(log.warnings) == 1 and "_PROV_" not in log.warnings[0]
