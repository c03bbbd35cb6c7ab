"""Hostile definitions: the malformed files of tests/data/bad_definitions, and files meant to harm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from logprov.settings.definitions import load_definitions
from logprov.errors import DefinitionError
from baddefinitions import BAD_FILES

REQUIRED = {
    "bad YAML": {"bad_yaml_syntax.yaml", "bad_yaml_indentation.yaml"},
    "wrong types": {"role_not_a_string.yaml", "entity_type_not_a_string.yaml", "parameters_not_a_list.yaml"},
    "unknown keys": {"unknown_top_level_key.yaml", "misspelt_parameters.yaml", "members_unknown_key.yaml"},
    "duplicate activities": {"duplicate_activity.yaml"},
    "usage without role": {"usage_without_role.yaml"},
    "bad value path syntax": {"bad_value_path_syntax.yaml"},
    "nonexistent entity description": {"unknown_entity_description.yaml", "unknown_member_entity.yaml"},
}


def test_bad_definition_files_cover_the_required_cases():
    names = {name for name, *_ in BAD_FILES}
    assert len(names) >= 15
    for case, files in REQUIRED.items():
        assert files <= names, case
    for name, line, key_path, words in BAD_FILES:
        assert line is not None and words, name
        if not name.startswith(("bad_yaml", "top_level")):
            assert key_path, name


def load_error(tmp_path: Path, text: str) -> tuple[Path, DefinitionError]:
    """Write ``text`` to a definitions file and return it with the error its loading raises."""
    path = tmp_path / "definitions.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(DefinitionError) as info:
        load_definitions(path)
    return path, info.value


# text, line, key path, words of the message
HARMFUL = {
    "python_object_tag": (
        "activities:\n  run:\n    description: !!python/object/apply:os.system ['touch {marker}']\n",
        3, None, "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    "python_name_tag": (
        "activities: !!python/name:os.system\n", 1, None, "could not determine a constructor",
    ),
    "lambda_value_path": (
        "activities:\n  run:\n    parameters:\n      - name: p\n        value: '(lambda: 1)()'\n",
        5, "activities.run.parameters[0].value", "a lambda",
    ),
    "dunder_value_path": (
        "activities:\n  run:\n    usage:\n      - role: r\n        value: self.__class__.__subclasses__()\n",
        5, "activities.run.usage[0].value", "the dunder name '__class__' is not allowed",
    ),
    "undecodable_bytes": ("activities:\n  run: \udcff\udcfe\n", None, None, "cannot read definitions file"),
}


@pytest.mark.parametrize("name", list(HARMFUL))
def test_harmful_definition_files_are_rejected(tmp_path, name):
    marker = tmp_path / "marker"
    text, line, key_path, words = HARMFUL[name]
    path, error = load_error(tmp_path, text.format(marker=marker))
    assert (error.source, error.line, error.path) == (str(path), line, key_path)
    assert str(error).startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert words in error.message
    assert not marker.exists()


UNREADABLE = {
    "nul_character": "activities:\n  run:\n    description: a\x00b\n",
    "recursive_alias": "activities: &top\n  run:\n    extra: *top\n",
    "deep_nesting": "activities:\n  run:\n    extra: " + "[" * 600 + "]" * 600 + "\n",
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_unreadable_definition_files_raise_a_located_definition_error(tmp_path, name):
    path = tmp_path / "definitions.yaml"
    path.write_text(UNREADABLE[name])
    try:
        load_definitions(path)
    except DefinitionError as error:
        assert error.source == str(path) and error.line is not None
        assert str(error).startswith(f"{path}:{error.line}: ")
    else:
        raise AssertionError("loaded")


ALIAS_BOMB = "activities:\n  run:\n    l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"    l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 8)
)

LOAD_IN_CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    from logprov.settings.definitions import load_definitions
    from logprov.errors import DefinitionError

    def too_slow(*_):
        raise SystemExit("still loading after 2 s")

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, 2)
    try:
        load_definitions(sys.argv[1])
    except DefinitionError as error:
        print("DefinitionError", error.line)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
def test_alias_bomb_is_rejected_quickly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    done = subprocess.run([sys.executable, "-c", LOAD_IN_CHILD, str(path)], capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("DefinitionError"), done.stderr[-500:]


def test_value_paths_cannot_run_commands(make_capture, tmp_path):
    marker = tmp_path / "marker"
    command = f"os.system('touch {marker}')"
    with pytest.raises(DefinitionError) as info:
        make_capture({"activities": {"work": {"parameters": [{"name": "p", "value": command}]}}})
    assert info.value.path == "activities.work.parameters[0].value"
    assert "'os' names a system module" in info.value.message
    assert not marker.exists()


# Names of this module that reach a module at call time, under names a definitions file
# cannot know: a global that is a module, a global holding the environment.
operating_system = os
environment_copy_source = os.environ
NOT_A_MODULE = {"threshold": 2.5}
SECRET_VALUE = "s3cr3t-environment-value"


class Backend:
    def __init__(self):
        self.engine = os
        self.name = "local"


@pytest.mark.parametrize("path", [
    "operating_system.environ.copy()",
    "operating_system.getcwd()",
    "operating_system",
    "environment_copy_source",
    "environment_copy_source.copy()",
    "args.holder.module.environ",
    "args.holder.module",
    "self.engine.environ",
    "engine",
    "engine.system('true')",
])
def test_value_paths_never_reach_a_module_at_call_time(make_capture, records, monkeypatch, path):
    monkeypatch.setenv("LOGPROV_PLANTED", SECRET_VALUE)
    definitions = {"activities": {"work": {
        "parameters": [{"name": "p", "value": path}, {"name": "limit", "value": "NOT_A_MODULE"}],
        "usage": [{"role": "u", "value": path}],
        "generation": [{"role": "g", "value": path}],
    }}}
    capture = make_capture(definitions)

    @capture.trace_methods
    class Worker(Backend):
        def work(self, holder):
            return "done"

    worker = Worker()
    holder = SimpleNamespace(module=os)
    with records(capture) as log:
        assert [worker.work(holder) for _ in range(3)] == ["done"] * 3
    assert len(log.activities("work")) == 3
    assert [r["parameters"] for r in log.of_kind("parameters")] == [{"limit": NOT_A_MODULE}] * 3
    assert [r for r in log.records if r.get("used_role") == "u" or r.get("generated_role") == "g"] == []
    assert len(log.warnings) == 3, log.warnings
    assert all("refused" in w and "never read modules" in w for w in log.warnings), log.warnings
    raw = Path(capture.config.log_filename).read_text()
    assert SECRET_VALUE not in raw and "LOGPROV_PLANTED" not in raw


def test_value_paths_still_read_module_globals_and_call_methods_of_plain_objects(make_capture, records):
    definitions = {"activities": {"work": {
        "parameters": [{"name": "limit", "value": "NOT_A_MODULE.threshold"},
                       {"name": "backend", "value": "self.name.upper()"},
                       {"name": "keys", "value": "NOT_A_MODULE.keys()"}],
    }}}
    capture = make_capture(definitions)

    @capture.trace_methods
    class Worker(Backend):
        def work(self):
            return None

    with records(capture) as log:
        Worker().work()
    assert log.of_kind("parameters")[0]["parameters"] == {"limit": 2.5, "backend": "LOCAL", "keys": "dict_keys(['threshold'])"}
    assert log.warnings == []


@pytest.mark.parametrize("path, words", [
    ("os.environ.copy()", "'os' names a system module"),
    ("os.environ", "'os' names a system module"),
    ("sys.modules", "'sys' names a system module"),
    ("subprocess.run(['id'])", "'subprocess' names a system module"),
    ("open('/etc/passwd').read()", "calling the built-in function 'open'"),
    ("getattr(x, 'y')", "not a literal"),
    ("args.x['__class__']", "the dunder key '__class__'"),
    ("args.x._secret", "the private name '_secret'"),
    ("self._cache.items()", "the private name '_cache'"),
    ("_private_global", "the private name '_private_global'"),
    ("args.x.get(_flag=1)", "the private name '_flag'"),
])
def test_value_paths_that_can_reach_code_are_refused_at_load_time(tmp_path, path, words):
    text = f"activities:\n  run:\n    parameters:\n      - name: p\n        value: {json.dumps(path)}\n"
    file, error = load_error(tmp_path, text)
    assert (error.source, error.line, error.path) == (str(file), 5, "activities.run.parameters[0].value")
    assert str(error).startswith(f"{file}:5: activities.run.parameters[0].value: ")
    assert words in error.message


def test_definition_files_above_the_size_bound_are_refused_unread(tmp_path):
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as stream:
        stream.truncate(100_000_000)
    started = time.perf_counter()
    with pytest.raises(DefinitionError) as info:
        load_definitions(huge)
    assert time.perf_counter() - started < 1
    assert str(info.value) == (
        f"{huge}: definitions file too large: 100,000,000 bytes, more than the limit of 1,000,000 "
        "(configuration option max_definition_bytes)"
    )


def test_the_definition_size_bound_is_configurable(tmp_path, make_capture):
    path = tmp_path / "definitions.yaml"
    path.write_text("activities:\n  run:\n    description: " + "x" * 2000 + "\n")
    with pytest.raises(DefinitionError, match="too large: 2,037 bytes, more than the limit of 1,000 "):
        make_capture(str(path), max_definition_bytes=1000)
    assert make_capture(str(path), max_definition_bytes=5000).definitions.activities["run"].description == "x" * 2000
    assert load_definitions(path).activities["run"].description == "x" * 2000
    with pytest.raises(DefinitionError, match="more than the limit of 100 "):
        load_definitions(path, max_bytes=100)


class LazyModule(type(os)):
    pass


class RaisingGetattribute:
    def __getattribute__(self, name):
        raise RuntimeError(name)


@pytest.mark.parametrize("value, allowed", [
    (os, False), (sys, False), (LazyModule("lazy"), False), (os.environ, False), (sys.modules, False),
    (getattr(os, "environb", os.environ), False), (dict(os.environ), True), ({}, True), (1, True), ("os", True),
    (None, True), (Backend(), True), (RaisingGetattribute(), True), (os.getcwd, True), (Backend, True),
], ids=["os", "sys", "module subclass", "os.environ", "sys.modules", "os.environb", "environment copy", "dict", "int",
        "str", "None", "object", "raising getattribute", "function", "class"])
def test_reachable_refuses_modules_and_the_environment_whatever_the_type(value, allowed):
    from logprov.settings.valuepath import PLAIN_TYPES, reachable

    assert reachable(value) is allowed
    assert reachable(value) is allowed  # once its type is remembered among PLAIN_TYPES too
    assert (type(value) in PLAIN_TYPES and value is not sys.modules) <= allowed
