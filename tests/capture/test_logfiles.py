"""Log file names with placeholders: every process of a job array, and every child process
when ``{pid}`` is used, writes a file of its own."""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import logprov
from logprov.capture.children import ENV_VAR
from logprov.cli import main
from logprov.capture.logfiles import escape_braces, resolve_log_filename
from logprov.reading.reader import iter_records

from batchjobs import outside_batch_jobs


def sessions_of(path: Path) -> list[dict]:
    return [r.data for r in iter_records([str(path)]) if "agent_name" in r.data and "session_id" in r.data]


def environment(**variables: str) -> dict:
    found = outside_batch_jobs(**variables)
    found.pop(ENV_VAR, None)
    return found


@pytest.mark.parametrize("template", ["logs/{host}-{pid}.log", "{job}.log", "prov-{date}.log", "a{{b}}/{pid}{{.log"])
def test_placeholders_are_accepted(template):
    assert logprov.load_config({"log_filename": template}).log_filename == template


@pytest.mark.parametrize("template, message", [
    ("logs/{hots}.log", "unknown placeholder {hots} (did you mean 'host'?); use {host}, {pid}, {job}, {date}"),
    ("logs/{}.log", "unknown placeholder {}"),
    ("logs/{0}.log", "unknown placeholder {0}"),
    ("logs/{pid:06d}.log", "placeholder {pid} takes no format or conversion"),
    ("logs/{pid!r}.log", "placeholder {pid} takes no format or conversion"),
    ("logs/{pid.log", "a brace opens or closes no placeholder in 'logs/{pid.log'"),
    ("logs/pid}.log", "a brace opens or closes no placeholder in 'logs/pid}.log'"),
])
def test_unknown_placeholders_and_stray_braces_name_the_key(template, message):
    with pytest.raises(logprov.ConfigError) as caught:
        logprov.load_config({"log_filename": template})
    assert str(caught.value).startswith("log_filename: ")
    assert message in str(caught.value)


def test_a_bad_placeholder_in_a_configuration_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "logprov.yaml"
    path.write_text("record_git: false\nlog_filename: 'logs/{task}.log'\n")
    with pytest.raises(logprov.ConfigError, match=r":2: log_filename: unknown placeholder \{task\}"):
        logprov.load_config(path)


def test_placeholders_are_replaced_by_host_process_job_and_utc_date(monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: "node-17.cluster/a b")
    before = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    name = resolve_log_filename("logs/{host}/{job}-{pid}-{date}.log",
                                {"system": "slurm", "id": "123463", "array_job": "123456", "array_index": "7"})
    after = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    host, rest = name[len("logs/"):].split("/")
    assert host == "node-17.cluster_a_b"
    job, pid, date = rest[:-len(".log")].split("-", 2)
    assert (job, pid) == ("123456_7", str(os.getpid())) and date in (before, after)
    assert resolve_log_filename("logs/{job}prov.log") == "logs/prov.log"
    assert resolve_log_filename("a{{b}}.log") == "a{b}.log" == resolve_log_filename(escape_braces("a{b}.log"))


def test_a_capture_writes_to_the_file_its_placeholders_give(make_capture, tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "991")
    capture = make_capture(log_filename=str(tmp_path / "logs" / "prov-{job}-{pid}.log"))
    capture.trace(len)([1, 2])
    wanted = tmp_path / "logs" / f"prov-991-{os.getpid()}.log"
    assert capture.log_files() == [str(wanted)]
    assert [s["job"]["id"] for s in sessions_of(wanted)] == ["991"]
    assert capture.config.log_filename == str(tmp_path / "logs" / "prov-{job}-{pid}.log")


def test_set_log_filename_takes_placeholders_and_refuses_bad_ones(make_capture, tmp_path):
    capture = make_capture()
    capture.set_log_filename(tmp_path / "moved-{pid}.log")
    assert capture.log_files() == [str(tmp_path / f"moved-{os.getpid()}.log")]
    with pytest.raises(logprov.ConfigError, match="log_filename: unknown placeholder {user}"):
        capture.set_log_filename(tmp_path / "moved-{user}.log")
    assert capture.log_files() == [str(tmp_path / f"moved-{os.getpid()}.log")]


FORK_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import logprov

    capture = logprov.ProvCapture(config={"log_filename": sys.argv[1], "record_git": False, "record_packages": False})

    @capture.trace
    def step(x):
        return x + 1

    step(1)
    child = os.fork()
    if child == 0:
        step(2)
        os._exit(0)
    os.waitpid(child, 0)
    step(3)
    print(json.dumps({"parent": os.getpid(), "child": child}))
""")


def run(tmp_path: Path, script: str, *args: str, **variables: str) -> dict:
    path = tmp_path / "script.py"
    path.write_text(script)
    result = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, cwd=tmp_path,
                            env=environment(**variables), timeout=240)
    assert result.returncode == 0, result.stderr
    assert "logprov:" not in result.stderr, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def names_of_steps(path: Path) -> list:
    return sorted(r.data["parameters"]["x"] for r in iter_records([str(path)]) if "parameters" in r.data)


def test_a_forked_child_writes_its_own_file_when_the_name_has_the_pid(tmp_path):
    pids = run(tmp_path, FORK_SCRIPT, "logs/prov-{pid}.log")
    parent, child = (tmp_path / "logs" / f"prov-{pids[key]}.log" for key in ("parent", "child"))
    assert sorted(os.listdir(tmp_path / "logs")) == sorted([parent.name, child.name])
    assert names_of_steps(parent) == [1, 3] and names_of_steps(child) == [2]
    assert [s["system"]["pid"] for s in sessions_of(child)] == [pids["child"]]


def test_a_forked_child_shares_the_file_without_the_pid(tmp_path):
    run(tmp_path, FORK_SCRIPT, "logs/prov-{job}.log", SLURM_JOB_ID="5")
    assert os.listdir(tmp_path / "logs") == ["prov-5.log"]
    assert names_of_steps(tmp_path / "logs" / "prov-5.log") == [1, 2, 3]


SPAWN_SCRIPT = textwrap.dedent("""
    import json, multiprocessing, os, sys
    from concurrent.futures import ProcessPoolExecutor
    import logprov

    capture = logprov.ProvCapture(config={"log_filename": sys.argv[1], "record_git": False, "record_packages": False})
    logprov.follow_children(capture)


    @capture.trace
    def step(x):
        return os.getpid()


    if __name__ == "__main__":
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            child = pool.submit(step, 2).result()
        step(1)
        print(json.dumps({"parent": os.getpid(), "child": child}))
""")


def test_a_spawned_child_of_a_followed_capture_writes_its_own_file_when_the_name_has_the_pid(tmp_path):
    pids = run(tmp_path, SPAWN_SCRIPT, "logs/prov-{pid}.log")
    parent, child = (tmp_path / "logs" / f"prov-{pids[key]}.log" for key in ("parent", "child"))
    assert sorted(os.listdir(tmp_path / "logs")) == sorted([parent.name, child.name])
    assert names_of_steps(parent) == [1] and names_of_steps(child) == [2]


def test_a_followed_capture_writing_to_a_file_with_braces_hands_that_file_to_its_children(tmp_path):
    pids = run(tmp_path, SPAWN_SCRIPT, "logs/prov-{{x}}.log")
    assert os.listdir(tmp_path / "logs") == ["prov-{x}.log"]
    assert names_of_steps(tmp_path / "logs" / "prov-{x}.log") == [1, 2] and pids["child"] != pids["parent"]


ARRAY_SCRIPT = textwrap.dedent("""
    import json, sys
    import logprov

    capture = logprov.ProvCapture(config={"log_filename": "logs/prov-{job}.log", "record_git": False,
                                          "record_packages": False})

    @capture.trace
    def fit(task):
        return task * 2

    fit(int(sys.argv[1]))
    print(json.dumps({"files": capture.log_files()}))
""")


def test_every_task_of_a_job_array_writes_its_own_file(tmp_path, capsys):
    for task in range(3):
        found = run(tmp_path, ARRAY_SCRIPT, str(task), SLURM_JOB_ID=str(700 + task), SLURM_ARRAY_JOB_ID="700",
                    SLURM_ARRAY_TASK_ID=str(task))
        assert found["files"] == [str(tmp_path / "logs" / f"prov-700_{task}.log")]
    for task in range(3):
        (session,) = sessions_of(tmp_path / "logs" / f"prov-700_{task}.log")
        assert session["job"] == {"system": "slurm", "id": str(700 + task), "array_job": "700", "array_index": str(task)}
    sessions = logprov.query.open([str(tmp_path / "logs" / "*.log")], index=False).sessions()
    assert sorted(s.job["array_index"] for s in sessions) == ["0", "1", "2"]
    assert main(["sessions", "--no-index", str(tmp_path / "logs" / "*.log")]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[5] == "JOB"
    assert sorted(row.split()[7:9] for row in rows) == [["slurm", f"700_{task}"] for task in range(3)]
