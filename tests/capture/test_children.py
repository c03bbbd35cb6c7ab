"""Child processes: worker interpreters re-create a followed capture through the start-up hook."""

from __future__ import annotations

import ast
import importlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from logprov.capture import children
from logprov.capture.children import ENV_VAR, PTH_FILE, InParent, hook_installed, when_imported
from logprov.capture.process import INHERITED
from logprov.reading.reader import iter_records
from logprov.records.kinds import kind_of
from readback import read_whole_log

ROOT = Path(__file__).resolve().parents[2]
CONFIG = '{"log_filename": LOG, "record_git": False, "record_packages": False}'

HELPERS = textwrap.dedent(
    """
    import os


    class Model:
        def __init__(self, scale=1):
            self.scale = scale

        def fit(self, x):
            self.fitted_ = x * self.scale
            return self

        def predict(self, x):
            return self.fitted_ + x

        def fit_predict(self, x):
            return self.fit(x).predict(x)

        def helper(self):
            return 1


    class Later:
        def run(self, x):
            return x + 1


    def fit_one(i):
        model = Model(i).fit(i)
        model.predict(i)
        model.helper()
        return os.getpid()


    def run_later(i):
        return Later().run(i), os.getpid()


    def fit_data(data):
        Model().fit(data)
        return os.getpid()


    class Loader:
        def load(self, name):
            self.table = {"name": name, "rows": [1, 2]}


    def table_id(table):
        return f"table-{table['name']}"


    def load_one(name):
        Loader().load(name)
        return os.getpid()


    def many_calls(worker, calls):
        model = Model(worker)
        for i in range(calls):
            model.fit(i)
        return os.getpid()
    """
)


def hook_line() -> str:
    """Return the line of the start-up hook as setup.py writes it."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PTH_LINE":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py defines no PTH_LINE")


def run_script(tmp_path: Path, body: str, *args: str, env: dict | None = None) -> dict:
    """Run ``body`` as a script next to the helpers module; return the JSON it prints last."""
    (tmp_path / "helpers_children.py").write_text(HELPERS)
    script = tmp_path / "main_script.py"
    script.write_text(textwrap.dedent(body))
    environment = {key: value for key, value in os.environ.items() if key != ENV_VAR}
    environment.update(env or {})
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, cwd=tmp_path,
                            env=environment, timeout=240)
    assert result.returncode == 0, result.stderr
    assert "logprov:" not in result.stderr, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def starts(records, name: str) -> list[dict]:
    return [r.data for r in records if kind_of(r.data) == "start" and r.data["name"] == name]


def session_records(records) -> list[dict]:
    return [r.data for r in records if kind_of(r.data) == "session"]


# The hook


def test_the_installed_environment_has_the_start_up_hook():
    assert hook_installed()
    found = [Path(d, PTH_FILE) for d in sys.path if Path(d, PTH_FILE).is_file()]
    assert found and found[0].read_text() == hook_line()


def test_a_wheel_has_the_hook_at_its_top(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("logprov-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(PTH_FILE).decode() == hook_line()
        record = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))).decode()
    assert any(line.startswith(PTH_FILE + ",") for line in record.splitlines())


def test_the_hook_is_inert_without_the_variable():
    code = "import sys; print(sorted(m for m in sys.modules if m.startswith('logprov')))"
    environment = {key: value for key, value in os.environ.items() if key != ENV_VAR}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment)
    assert result.returncode == 0 and result.stdout.strip() == "[]" and result.stderr == ""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(environment, **{ENV_VAR: ""}))
    assert result.stdout.strip() == "[]"


def test_the_hook_costs_little_without_the_variable():
    """Reading and running the hook at start-up (what `site` does with it) imports nothing and
    takes well under a millisecond (about 0.1 ms on a loaded 2-core machine)."""
    directory = next(d for d in sys.path if Path(d, PTH_FILE).is_file())
    code = textwrap.dedent(f"""
        import site, sys, time
        before = set(sys.modules)
        times = []
        for _ in range(200):
            start = time.perf_counter()
            site.addpackage({directory!r}, {PTH_FILE!r}, set())
            times.append(time.perf_counter() - start)
        times.sort()
        print(times[100], sorted(set(sys.modules) - before))
    """)
    environment = {key: value for key, value in os.environ.items() if key != ENV_VAR}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment)
    median, imported = result.stdout.split(" ", 1)
    assert imported.strip() == "[]"
    assert float(median) < 0.002


def test_the_hook_runs_the_child_start_when_the_variable_is_set(tmp_path):
    """With the variable set, the hook line (executed by the interpreter at start-up) starts
    the child's capture before any user code."""
    state = tmp_path / "state.json"
    log = tmp_path / "child.log"
    state.write_text(json.dumps({"version": 1, "captures": [{
        "key": 0, "definitions": None, "default": True, "classes": [],
        "config": {"log_filename": str(log), "record_git": False, "record_packages": False},
    }]}))
    code = "import logprov; from logprov.capture import default; print(default._default.config.log_filename)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, **{ENV_VAR: str(state)}))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.strip() == str(log)


def test_a_bad_state_file_is_reported_and_the_child_runs_on(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    result = subprocess.run([sys.executable, "-c", "print('ran')"], capture_output=True, text=True,
                            env=dict(os.environ, **{ENV_VAR: str(state)}))
    assert result.returncode == 0 and result.stdout.strip() == "ran"
    assert f"logprov: child process not captured: state file {state}: JSONDecodeError" in result.stderr
    missing = tmp_path / "missing.json"
    result = subprocess.run([sys.executable, "-c", "print('ran')"], capture_output=True, text=True,
                            env=dict(os.environ, **{ENV_VAR: str(missing)}))
    assert result.stdout.strip() == "ran" and f"state file {missing}: FileNotFoundError" in result.stderr


# Pieces


def test_a_function_waits_for_its_module_to_be_executed(tmp_path, monkeypatch):
    (tmp_path / "waited_for_module.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    when_imported("waited_for_module", lambda module: seen.append(module.VALUE))
    assert seen == []
    try:
        module = importlib.import_module("waited_for_module")
        assert seen == [42] and module.__spec__.name == "waited_for_module"
        when_imported("waited_for_module", lambda module: seen.append(-module.VALUE))
        assert seen == [42, -42]
        importlib.reload(module)
        assert seen == [42, -42]
    finally:
        sys.modules.pop("waited_for_module", None)


def test_a_task_runs_as_part_of_its_parent_activity_and_pickles(monkeypatch):
    def inherited():
        return INHERITED.get()

    assert InParent(inherited, ("s", "a"))() is None
    monkeypatch.setattr(children, "_in_child", [True])
    monkeypatch.setattr(children, "_armed", [False])

    task = InParent(os.getpid, ("session", "activity"))
    copy = pickle.loads(pickle.dumps(task))
    assert copy.function is os.getpid and copy.context == ("session", "activity")
    assert InParent(inherited, ("s", None))() == ("s", None)
    assert INHERITED.get() is None
    with pytest.raises(ZeroDivisionError):
        InParent(lambda: 1 / 0, ("s", "a"))()
    assert INHERITED.get() is None


# Workers


POOL_SCRIPT = f"""
import json, multiprocessing, os, sys
from concurrent.futures import ProcessPoolExecutor
import logprov
from logprov.capture.children import follow_children
import helpers_children as h

LOG = "pool.log"
capture = logprov.ProvCapture(config={CONFIG})
if sys.argv[1] == "follow":
    follow_children(capture)
capture.trace_methods(h.Model, exclude=["helper"])


@capture.trace
def make_data(n):
    return [list(range(n)), "data"]


@capture.trace
def run_pool(n):
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(sys.argv[2])) as pool:
        pids = list(pool.map(h.fit_one, range(n)))
        capture.trace_methods(h.Later)
        later = [pid for _, pid in pool.map(h.run_later, range(2))]
        pids.append(pool.submit(h.fit_data, make_data(5)).result())
        pool.submit(h.Model(2).fit_predict, 3).result()
    return pids + later


if __name__ == "__main__":
    pids = run_pool(4)
    print(json.dumps({{"parent": os.getpid(), "children": pids, "session": capture.session_id}}))
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_process_pool_executor_workers_log_in_the_parent_activity(tmp_path, method):
    out = run_script(tmp_path, POOL_SCRIPT, "follow", method)
    assert out["parent"] not in out["children"]
    records, _ = read_whole_log(tmp_path / "pool.log")
    (parent,) = starts(records, "run_pool")
    fits, predicts, runs = starts(records, "fit"), starts(records, "predict"), starts(records, "run")
    (outer_call,) = starts(records, "fit_predict")
    nested = [s for s in fits + predicts if s["parent_activity_id"] == outer_call["activity_id"]]
    assert len(fits) == 6 and len(predicts) == 5 and len(runs) == 2 and len(nested) == 2
    assert starts(records, "helper") == []
    for start in [outer_call] + runs + [s for s in fits + predicts if s not in nested]:
        assert start["parent_activity_id"] == parent["activity_id"]
    for start in [outer_call] + runs + fits + predicts:
        assert start["in_session"] == parent["in_session"] == out["session"]
    assert [s["session_id"] for s in session_records(records)] == [out["session"]]
    assert {s["function"] for s in runs} == {"helpers_children.Later.run"}
    # The value made in the parent and used in a worker is one entity of the session.
    (make,) = starts(records, "make_data")
    (made,) = [r.data["generated_id"] for r in records if r.data.get("activity_id") == make["activity_id"]
               and r.data.get("generated_role") == "result"]
    used = {r.data["used_id"] for r in records if "used_id" in r.data and r.data.get("used_role") == "x"}
    assert made in used


def test_without_following_workers_know_neither_the_parent_nor_classes_traced_at_run_time(tmp_path):
    """The script's top level, run again by ``spawn``, traces `Model` in the workers; `Later`,
    traced inside a function of the parent, is not traced there, and nothing links to the parent."""
    out = run_script(tmp_path, POOL_SCRIPT, "no", "spawn")
    records, _ = read_whole_log(tmp_path / "pool.log")
    fits = starts(records, "fit")
    assert len(starts(records, "run_pool")) == 1 and len(fits) == 6 and starts(records, "run") == []
    (in_worker,) = starts(records, "fit_predict")
    assert all(f.get("parent_activity_id") in (None, in_worker["activity_id"]) for f in fits)
    assert all(f["in_session"] != out["session"] for f in fits + [in_worker])


PROCESS_SCRIPT = f"""
import json, multiprocessing, os, sys
import logprov
from logprov.capture.children import follow_children
import helpers_children as h

LOG = "process.log"


def work(queue):
    queue.put(h.fit_one(3))


if __name__ == "__main__":
    capture = logprov.configure(config={CONFIG})
    follow_children()
    logprov.trace_methods(h.Model, include=["fit"])
    context = multiprocessing.get_context(sys.argv[1])
    queue = context.Queue()
    process = context.Process(target=work, args=(queue,))
    process.start()
    queue.get(timeout=120)
    process.join()
    with logprov.activity("outer"):
        process = context.Process(target=work, args=(queue,))
        process.start()
        child = queue.get(timeout=120)
        process.join()
    process = context.Process(target=work, args=(queue,))
    process.start()
    queue.get(timeout=120)
    process.join()
    with logprov.activity("pooled"):
        with context.Pool(1) as pool:
            pool.map(h.fit_one, range(2))
    print(json.dumps({{"parent": os.getpid(), "child": child, "session": capture.session_id}}))
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_started_process_logs_in_the_activity_that_started_it(tmp_path, method):
    out = run_script(tmp_path, PROCESS_SCRIPT, method)
    assert out["child"] != out["parent"]
    records, _ = read_whole_log(tmp_path / "process.log")
    (outer,) = starts(records, "outer")
    (pooled,) = starts(records, "pooled")
    first, inside, after, *in_pool = starts(records, "fit")
    assert "parent_activity_id" not in first and first["in_session"] != out["session"]
    assert inside["parent_activity_id"] == outer["activity_id"]
    assert inside["in_session"] == after["in_session"] == out["session"]
    assert "parent_activity_id" not in after
    assert len(in_pool) == 2
    assert all(f["parent_activity_id"] == pooled["activity_id"] and f["in_session"] == out["session"] for f in in_pool)
    assert starts(records, "predict") == []
    assert [s["session_id"] for s in session_records(records)] == [first["in_session"], out["session"]]


TWO_CAPTURES_SCRIPT = """
import json, multiprocessing, os
from concurrent.futures import ProcessPoolExecutor
import logprov
import helpers_children as h

settings = {"record_git": False, "record_packages": False, "system_dict": {"run": {"id": 7}},
            "logging": None, "redact_extra": ["pin"]}
first = logprov.configure(config=dict(settings, log_filename="first.log"))
second = logprov.ProvCapture(config=dict(settings, log_filename="second.log", logger_name="logprov.second"))
second.trace_methods(h.Later)
logprov.follow_children(second)
logprov.follow_children()
first.trace_methods(h.Model, include=["fit"])


def both(i):
    return h.fit_one(i), h.run_later(i)


if __name__ == "__main__":
    with first.activity("outer"):
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(both, range(3)))
    print(json.dumps({"parent": os.getpid(), "pids": [pid for pid, _ in results], "session": first.session_id}))
"""


ID_SCRIPT = f"""
import json, multiprocessing, os
from concurrent.futures import ProcessPoolExecutor
import logprov
import helpers_children as h

LOG = "ids.log"
DEFINITIONS = {{
    "activities": {{"load": {{"generation": [{{"role": "table", "entityType": "Table", "value": "table"}}]}}}},
    "entities": {{"Table": {{"type": "PythonObject"}}}},
}}


def local_id(table):
    return "local-" + table["name"]


if __name__ == "__main__":
    capture = logprov.ProvCapture(DEFINITIONS, {CONFIG}, id_functions={{"Table": h.table_id}},
                                  get_file_id_func=lambda path: "no")
    logprov.follow_children(capture)
    capture.trace_methods(h.Loader)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pids = list(pool.map(h.load_one, ["crab", "vela"]))
    print(json.dumps({{"pids": pids, "parent": os.getpid()}}))
"""


def test_id_functions_found_by_name_are_used_in_children(tmp_path):
    out = run_script(tmp_path, ID_SCRIPT)
    assert out["parent"] not in out["pids"]
    records = list(iter_records(tmp_path / "ids.log"))
    generated = sorted(r.data["generated_id"] for r in records if r.data.get("generated_role") == "table")
    assert generated == ["table-crab", "table-vela"]
    warnings = [line for line in (tmp_path / "ids.log").read_text().splitlines() if "_PROV_" not in line]
    assert len(warnings) == 1 and "the file id function cannot be found by name in a child process" in warnings[0]


def test_each_followed_capture_is_re_created_with_its_classes_and_log(tmp_path):
    out = run_script(tmp_path, TWO_CAPTURES_SCRIPT)
    assert out["parent"] not in out["pids"]
    first, _ = read_whole_log(tmp_path / "first.log")
    second, _ = read_whole_log(tmp_path / "second.log")
    (outer,) = starts(first, "outer")
    assert len(starts(first, "fit")) == 3 and starts(first, "run") == []
    assert len(starts(second, "run")) == 3 and starts(second, "fit") == []
    for start in starts(first, "fit") + starts(second, "run"):
        assert start["parent_activity_id"] == outer["activity_id"] and start["in_session"] == out["session"]


WARN_SCRIPT = f"""
import site
import logprov

LOG = "warn.log"
site.getsitepackages = lambda: []
site.ENABLE_USER_SITE = False
capture = logprov.configure(config={CONFIG})
logprov.follow_children()
print("{{}}")
"""


def test_following_without_the_hook_installed_warns(tmp_path):
    run_script(tmp_path, WARN_SCRIPT)
    assert f"the start-up hook {PTH_FILE} is not installed" in (tmp_path / "warn.log").read_text()


GRID_SCRIPT = f"""
import json, sys
import logprov
from logprov.capture.children import follow_children
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

LOG = "grid.log"
capture = logprov.configure(config={CONFIG})
if sys.argv[1] == "follow":
    follow_children(capture)
capture.trace_methods(DecisionTreeClassifier, include=["fit"])


@capture.trace
def search(X, y):
    grid = GridSearchCV(DecisionTreeClassifier(random_state=0), {{"max_depth": [1, 2, 3]}}, cv=2, n_jobs=2)
    grid.fit(X, y)
    return grid.best_params_


if __name__ == "__main__":
    X, y = load_iris(return_X_y=True)
    print(json.dumps({{"best": search(X, y), "session": capture.session_id}}))
"""


def test_grid_search_with_two_jobs_logs_every_fit(tmp_path):
    pytest.importorskip("sklearn")
    out = run_script(tmp_path, GRID_SCRIPT, "follow")
    records, _ = read_whole_log(tmp_path / "grid.log")
    (search,) = starts(records, "search")
    fits = starts(records, "fit")
    assert len(fits) == 3 * 2 + 1
    assert {f["function"] for f in fits} == {"sklearn.tree._classes.DecisionTreeClassifier.fit"}
    assert all(f["parent_activity_id"] == search["activity_id"] for f in fits)
    assert {f["in_session"] for f in fits} == {out["session"]}
    assert len(session_records(records)) == 1
    ends = {r.data["activity_id"]: r.data for r in records if kind_of(r.data) == "end"}
    assert all(ends[f["activity_id"]]["status"] == "success" for f in fits)
    from logprov.model import build_document

    document = build_document([r.data for r in records])
    informed = [r for r in document.get_records() if r.get_type().localpart == "Communication"]
    assert len(informed) == 7


DASK_SCRIPT = f"""
import json, os
import dask
import logprov
from logprov.capture.children import follow_children
import helpers_children as h

LOG = "dask.log"
capture = logprov.configure(config={CONFIG})


@capture.trace
def run(n):
    return dask.compute(*[dask.delayed(h.fit_one)(i) for i in range(n)], scheduler="processes", num_workers=2)


if __name__ == "__main__":
    follow_children()
    capture.trace_methods(h.Model, include=["fit"])
    print(json.dumps({{"pids": run(4), "parent": os.getpid(), "session": capture.session_id}}))
"""


def test_dask_process_scheduler_workers_log_in_the_parent_activity(tmp_path):
    pytest.importorskip("dask")
    out = run_script(tmp_path, DASK_SCRIPT)
    assert out["parent"] not in out["pids"]
    records, _ = read_whole_log(tmp_path / "dask.log")
    (run,) = starts(records, "run")
    fits = starts(records, "fit")
    assert len(fits) == 4
    assert all(f["parent_activity_id"] == run["activity_id"] and f["in_session"] == out["session"] for f in fits)


LINES_SCRIPT = f"""
import json, multiprocessing, os
from concurrent.futures import ProcessPoolExecutor
import logprov
from logprov.capture.children import follow_children
import helpers_children as h

LOG = "lines.log"
capture = logprov.ProvCapture(config={CONFIG})
follow_children(capture)
capture.trace_methods(h.Model, include=["fit"])


@capture.trace
def run_all(workers, calls):
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(h.many_calls, range(workers), [calls] * workers))


if __name__ == "__main__":
    print(json.dumps({{"pids": run_all(4, 1000), "parent": os.getpid()}}))
"""


def test_workers_appending_to_one_log_write_whole_lines(tmp_path):
    out = run_script(tmp_path, LINES_SCRIPT)
    records, stats = read_whole_log(tmp_path / "lines.log")
    fits = starts(records, "fit")
    assert len(fits) == 4 * 1000
    (parent,) = starts(records, "run_all")
    assert {f["parent_activity_id"] for f in fits} == {parent["activity_id"]}
    ended = {r.data["activity_id"] for r in records if kind_of(r.data) == "end"}
    assert {f["activity_id"] for f in fits} <= ended
    assert out["parent"] not in out["pids"]


FORK_SCRIPT = f"""
import json, multiprocessing, os, sys
from concurrent.futures import ProcessPoolExecutor
import logprov

LOG = "fork.log"
capture = logprov.ProvCapture(config={CONFIG})
if sys.argv[1] == "follow":
    logprov.follow_children(capture)


@capture.trace
def work(i):
    return os.getpid()


@capture.trace
def task(i):
    return os.getpid()


if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(2, mp_context=context) as executor:
        executor.submit(os.getpid).result()
        with capture.activity("outer"):
            with context.Pool(2) as pool:
                pids = pool.map(work, range(4))
            pids += list(executor.map(task, range(4)))
    print(json.dumps({{"pids": pids, "session": capture.session_id}}))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("follow", ["follow", "no"])
def test_forked_workers_have_sessions_of_their_own_and_the_parent_activity(tmp_path, follow):
    """A forked worker logs in a session of its own, with the activity it was forked in (if any)
    as parent, whether the capture is followed into child processes or not."""
    out = run_script(tmp_path, FORK_SCRIPT, follow)
    records, _ = read_whole_log(tmp_path / "fork.log")
    (outer,) = starts(records, "outer")
    works, tasks = starts(records, "work"), starts(records, "task")
    assert len(works) == len(tasks) == 4
    assert all(w["parent_activity_id"] == outer["activity_id"] for w in works)
    assert all("parent_activity_id" not in t for t in tasks)
    sessions = {s["session_id"]: s["system"]["pid"] for s in session_records(records)}
    assert out["session"] in sessions and len(sessions) == 1 + len(set(out["pids"]))
    assert all(w["in_session"] != out["session"] and w["in_session"] in sessions for w in works + tasks)
