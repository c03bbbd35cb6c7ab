"""Hostile definitions: the malformed files of test_definitions.py, and files meant to harm."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from logprov.definitions import load_definitions
from logprov.errors import DefinitionError
from test_definitions import BAD_FILES

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
    from logprov.definitions import load_definitions
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


def test_value_paths_cannot_run_commands(make_capture, records, tmp_path):
    marker = tmp_path / "marker"
    command = f"os.system('touch {marker}')"
    capture = make_capture({"activities": {"work": {"parameters": [{"name": "p", "value": command}]}}})

    @capture.trace
    def work(x):
        return x

    assert work.__wrapped__.__globals__["os"] is os
    with records(capture) as log:
        assert work(1) == 1
    assert not marker.exists()
    assert log.of_kind("parameters") == [{"activity_id": log.activities()[0]["activity_id"], "parameters": {"x": 1}}]
    assert len(log.warnings) == 1 and "os.system" in log.warnings[0]
