"""The record keys and the ``_PROV_`` marker are spelled in logprov.records only.

Every module of the package outside ``logprov/records/`` is read with `ast`: a string equal to
a record key (`logprov.records.keys.KNOWN_KEYS`) may not be used as a key there (a key of a
dict display that builds a record, a subscript, the first argument of ``get``/``pop``/
``setdefault``, the left side of ``in``, an item of a set of keys), and no string or bytes constant may hold
``_PROV_``. Docstrings, comments and messages are not looked at.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest

from logprov.records.keys import ID_KEYS, KNOWN_KEYS
from logprov.records.lines import PROV_PREFIX

PACKAGE = Path(__file__).resolve().parent.parent / "logprov"
CONTRACT = PACKAGE / "records"
_KEY_METHODS = frozenset({"get", "pop", "setdefault"})


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if CONTRACT not in path.parents)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _key(node: ast.AST | None) -> str | None:
    """Return the record key that ``node`` spells, if it is one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in KNOWN_KEYS:
        return node.value
    return None


def _constant_name(node: ast.AST) -> bool:
    """Return True for a name in capitals (``LOGPROV``, ``K.TABLE``): a namespace or a table of
    the module, not a record."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name.isupper()


def _key_method(func: ast.AST) -> str | None:
    """Return how a call looks a key up: ``.get()``, ``.pop()``, ``.setdefault()`` of a mapping
    (not of a table in capitals), or ``get()``, the usual local name of a record's ``get``."""
    if isinstance(func, ast.Attribute) and func.attr in _KEY_METHODS and not _constant_name(func.value):
        return f".{func.attr}()"
    if isinstance(func, ast.Name) and func.id == "get":
        return "get()"
    return None


def _record_display(node: ast.Dict) -> bool:
    """Return True when a dict display builds a record: it holds an id key, or only record keys
    (two at least)."""
    keys = [_key(item) for item in node.keys]
    return any(key in ID_KEYS for key in keys) or (len(keys) > 1 and all(keys))


def key_uses(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """Yield ``(line, key, how)`` for every record key spelled as a key in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and _record_display(node):
            for item in node.keys:
                key = _key(item)
                if item is not None and key is not None:
                    yield item.lineno, key, "dict key"
        elif isinstance(node, ast.Subscript) and _key(node.slice) and not _constant_name(node.value):
            yield node.lineno, _key(node.slice), "subscript"
        elif isinstance(node, ast.Call) and node.args and _key(node.args[0]) and _key_method(node.func):
            yield node.lineno, _key(node.args[0]), _key_method(node.func)
        elif (isinstance(node, ast.Compare) and _key(node.left) and not any(map(_constant_name, node.comparators))
              and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)):
            yield node.lineno, _key(node.left), "in"
        elif isinstance(node, ast.Set) and len(node.elts) > 1 and all(_key(item) for item in node.elts):
            for item in node.elts:
                yield item.lineno, _key(item), "set of keys"


def marker_uses(tree: ast.AST) -> Iterator[int]:
    """Yield the line of every string or bytes constant holding ``_PROV_`` (docstrings aside)."""
    skipped = _docstrings(tree)
    marker = PROV_PREFIX.encode("ascii")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in skipped:
            if (isinstance(node.value, str) and PROV_PREFIX in node.value) or (
                isinstance(node.value, bytes) and marker in node.value
            ):
                yield node.lineno


#: Modules still spelling record keys, with how many places each may have at most; a module
#: leaves the list once it imports the keys from `logprov.records.keys`, and its number only
#: goes down. Modules whose definitions or configuration keys are spelled like record keys
#: (``type``, ``description``, ``name``) name them as constants of their own vocabulary instead.
PENDING: dict[str, int] = {
    # The same words, not record keys: keys of definition items (settings, descriptions), the
    # digest of a function's code identity, the class of a Graphviz node, the facts inside the
    # job, container and platform of a session (its batch system, image name and digest), the
    # attributes the session entity is given, the keys of the state file a child process reads,
    # and the environment variable ``container``.
    "logprov/capture/children.py": 7,
    "logprov/model/sessions.py": 5,
    "logprov/settings/definitions.py": 10,
    "logprov/model/descriptions.py": 7,
    "logprov/capture/code.py": 1,
    "logprov/capture/containers.py": 9,
    "logprov/capture/jobs.py": 1,
    "logprov/query/render.py": 2,
}


def findings() -> dict[str, list[str]]:
    """Return, by module, the places that spell a record key or the marker."""
    found: dict[str, list[str]] = {}
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        name = path.relative_to(PACKAGE.parent).as_posix()
        places = {f"{name}:{line}: record key {key!r} as {how}" for line, key, how in key_uses(tree)}
        places.update(f"{name}:{line}: {PROV_PREFIX} in a string" for line in marker_uses(tree))
        if places:
            found[name] = sorted(places)
    return found


def test_record_keys_and_markers_are_spelled_only_in_records():
    found = findings()
    new = [place for name, places in found.items() if len(places) > PENDING.get(name, 0) for place in places]
    assert not new, "use logprov.records (keys, lines) instead of literals:\n" + "\n".join(new)


def test_the_pending_modules_only_get_fewer():
    found = findings()
    fewer = {name: len(found.get(name, ())) for name, most in PENDING.items() if len(found.get(name, ())) < most}
    assert not fewer, f"lower PENDING to what is left (remove the modules at 0): {fewer}"


@pytest.mark.parametrize(
    "source, expected",
    [
        ('data["startTime"]', [(1, "startTime", "subscript")]),
        ('{"activity_id": a}', [(1, "activity_id", "dict key")]),
        ('data.get("used_id")', [(1, "used_id", ".get()")]),
        ('record.pop("entity_id", None)', [(1, "entity_id", ".pop()")]),
        ('get = data.get\nget("endTime")', [(2, "endTime", "get()")]),
        ('TABLE.get("endTime")', []),
        ('"note_id" not in data', [(1, "note_id", "in")]),
        ('frozenset({"entity_id", "in_session"})', [(1, "entity_id", "set of keys"), (1, "in_session", "set of keys")]),
        ('print("the name of the activity")', []),
        ('data[K.START_TIME]', []),
        ('{"name", "other"}', []),
        ('{"name": n, "start": s}', []),
        ('{"name": n, "startTime": s}', [(1, "name", "dict key"), (1, "startTime", "dict key")]),
        ('LOGPROV["status"]', []),
        ('x = "name"', []),
    ],
)
def test_key_uses_are_found_where_a_key_is_used(source, expected):
    assert sorted(key_uses(ast.parse(source))) == sorted(expected)


def test_markers_are_found_in_strings_bytes_and_formatted_strings_but_not_docstrings():
    tree = ast.parse('"""A _PROV_ line."""\nhead = "_PROV_"\nmagic = b"_PROV_"\ntext = f"{a}_PROV_{b}"\n')
    assert list(sorted(marker_uses(tree))) == [2, 3, 4]
