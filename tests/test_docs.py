"""The documentation runs: its code blocks, its links and the generated API reference.

Conventions in ``docs/*.md``:

* a fenced block whose info string is ``python run`` is executed. The blocks of one file run
  in order, in one namespace, in a fresh process whose working directory is an empty
  temporary directory;
* a fenced block whose info string holds ``file=NAME`` (for instance ``yaml file=definition.yaml``)
  is written to ``NAME`` in that directory when the blocks before it have run, so the code
  that follows can read it;
* a block whose info string holds ``output`` (``text output``, ``json output``) shows what the
  runnable block before it prints: the test compares them, line by line, where ``…`` in the
  shown text stands for any characters (an id, a time, a path) within one line;
* any other block (``python``, ``bash``, ``yaml``, ``json``, ``pycon``, …) is only shown.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
# Pages linked from these docs that are written separately and may not exist yet.
WRITTEN_ELSEWHERE = {"guarantees.md", "prov-mapping.md", "store.md"}

DRIVER = r'''
import contextlib, io, json, sys, traceback
from pathlib import Path

steps = json.loads(Path(sys.argv[1]).read_text())
printed = {}
namespace = {"__name__": "__main__"}
for step in steps:
    if step["kind"] == "file":
        Path(step["name"]).parent.mkdir(parents=True, exist_ok=True)
        Path(step["name"]).write_text(step["body"])
        continue
    if step["kind"] != "code":
        continue
    label = f"{step['doc']} block {step['number']} (line {step['line']})"
    buffer = io.StringIO()
    try:
        code = compile(step["body"], label, "exec")
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
    except BaseException:
        print(buffer.getvalue())
        print(f"FAILED: {label}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    printed[step["number"]] = buffer.getvalue()
Path(sys.argv[2]).write_text(json.dumps(printed))
'''


def blocks(path: Path) -> list[dict]:
    """Return the runnable blocks and files of a Markdown page, in order."""
    text = path.read_text(encoding="utf-8")
    steps = []
    number = 0
    for match in FENCE.finditer(text):
        info = match["info"].strip().split()
        line = text.count("\n", 0, match.start()) + 1
        files = [word.split("=", 1)[1] for word in info if word.startswith("file=")]
        if files:
            steps.append({"kind": "file", "name": files[0], "body": match["body"]})
        elif "output" in info[1:]:
            steps.append({"kind": "output", "number": number, "line": line, "body": match["body"]})
        elif info[:2] == ["python", "run"]:
            number += 1
            steps.append({"kind": "code", "doc": f"docs/{path.name}", "number": number, "line": line,
                          "body": match["body"]})
    return steps


PAGES = sorted(DOCS.glob("*.md"))
RUNNABLE = [page for page in PAGES if any(step["kind"] == "code" for step in blocks(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=[page.name for page in RUNNABLE])
def test_runnable_blocks_run(page, tmp_path):
    steps = tmp_path / "steps.json"
    steps.write_text(json.dumps(blocks(page)))
    workdir = tmp_path / "work"
    workdir.mkdir()
    printed = tmp_path / "printed.json"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(steps), str(printed)],
        cwd=workdir, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"{page.name}:\n{done.stderr}\n{done.stdout}"
    outputs = json.loads(printed.read_text())
    for step in blocks(page):
        if step["kind"] == "output":
            actual = outputs[str(step["number"])]
            assert shown_matches(step["body"], actual), (
                f"{page.name} line {step['line']}: the block shows\n{step['body']}\nthe code printed\n{actual}")


def shown_matches(shown: str, actual: str) -> bool:
    """Whether the text a page shows is what the code printed (``…`` stands for any characters)."""
    expected = [line.rstrip() for line in shown.strip("\n").splitlines()]
    lines = [line.rstrip() for line in actual.strip("\n").splitlines()]
    if len(expected) != len(lines):
        return False
    patterns = ("[^\n]*?".join(map(re.escape, line.split("\u2026"))) for line in expected)
    return all(re.fullmatch(pattern, line) for pattern, line in zip(patterns, lines))


def test_shown_output_is_compared_with_wildcards():
    assert shown_matches("a \u2026 c\nd", "a bbb c\nd\n")
    assert not shown_matches("a \u2026 c", "a b d")
    assert not shown_matches("a", "a\nb")


def test_quickstart_shows_the_output_of_its_blocks():
    kinds = [step["kind"] for step in blocks(DOCS / "quickstart.md")]
    assert kinds.count("output") >= 5


def test_the_pages_that_promise_examples_have_runnable_blocks():
    names = {page.name for page in RUNNABLE}
    assert {"index.md", "quickstart.md", "concepts.md", "definitions.md", "configuration.md",
            "maintainers.md"} <= names


def test_fences_are_balanced():
    for page in PAGES:
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        assert "```" not in text, f"{page.name}: unclosed code fence"


def test_relative_links_point_to_existing_files():
    link = re.compile(r"\]\((?!https?://|mailto:|#)([^)#\s]+)(?:#[^)]*)?\)")
    for page in PAGES:
        for target in link.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
            resolved = (page.parent / target).resolve()
            if resolved.name in WRITTEN_ELSEWHERE and resolved.parent == DOCS:
                continue
            assert resolved.exists(), f"{page.name}: broken link {target}"


def test_api_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_api", DOCS / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (DOCS / "api.md").read_text(encoding="utf-8")
    assert current == module.generate(), "docs/api.md is out of date: run python docs/gen_api.py"


def schema_keys() -> set:
    """Every key a definitions file may hold, from the JSON schema."""
    schema = json.loads((ROOT / "logprov" / "settings" / "schema" / "definitions.schema.json").read_text())
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys.update(definition.get("properties", {}))
    return keys


def test_definitions_reference_covers_every_schema_key():
    text = (DOCS / "definitions.md").read_text(encoding="utf-8")
    missing = sorted(key for key in schema_keys() if f"`{key}`" not in text)
    assert not missing, f"docs/definitions.md does not document {missing}"


def test_configuration_reference_covers_every_option():
    import dataclasses

    from logprov import Config

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`") for line in text.splitlines() if line.startswith("| `")}
    options = {field.name for field in dataclasses.fields(Config)}
    assert options <= rows, f"docs/configuration.md has no row for {sorted(options - rows)}"
