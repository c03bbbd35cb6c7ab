"""The compiled build against the Python sources it is compiled from."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import logprov
from logprov.compiled import COMPILED_MODULES, compiled_modules
from logprov.export import export_records
from logprov.reading.reader import iter_records

from logs import SyntheticLog, file_entity, two_session_log, value_entity

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "tests" / "data" / "legacy" / "prov_test.log"
FORMATS = ("json", "provn", "xml", "nt", "ttl")

#: Exports a log in every streamed format with the logprov this interpreter imports.
EXPORT = """
import io, json, sys
from logprov.compiled import compiled_modules
from logprov.export import export_records
from logprov.reading.reader import iter_records
texts = {}
for fmt in sys.argv[2:]:
    stream = io.BytesIO()
    export_records(iter_records(sys.argv[1]), fmt, stream)
    texts[fmt] = stream.getvalue().decode("utf-8", "surrogatepass")
print(json.dumps({"compiled": compiled_modules(), "texts": texts}))
"""


def _hostile_log(path: Path) -> Path:
    """A session whose names and values hold what the writers must escape or clean."""
    log = SyntheticLog()
    first = log.session(1)
    odd = value_entity(first, 'x"<&>\\\x01\U0001f600', "a]]>b\x00\ud800", size=2**70)
    data = file_entity(first, "/data/ü ñ/table.fits", "e" * 64)
    log.call(first, "make-2", parameters={"k\x1b": "v\ufffe", "n": float("nan"), "big": 2**80},
             used=[(data, "in put")], generated=[(odd, "out\nput")],
             status="failed", exception=("ValueError", "bad \x00 input \"quoted\"\nline"))
    log.end_session(first)
    return log.write(path)


def _analysis_log(folder: Path) -> Path:
    source = ROOT / "examples" / "analysis_session.py"
    spec = importlib.util.spec_from_file_location("analysis_session_compiled", source)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    log = folder / "prov.log"
    capture = logprov.ProvCapture(
        definitions=example.DEFINITIONS,
        config={"log_filename": str(log), "logger_name": "logprov.test_compiled", "record_git": False,
                "record_packages": False, "flush_interval": 0},
    )
    try:
        example.run_session(folder, capture)
        capture.end_session()
    finally:
        for handler in list(capture.logger.handlers):
            handler.close()
            capture.logger.removeHandler(handler)
    return log


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("compiled")
    two_session_log(folder / "two.log")
    return {
        "legacy": LEGACY,
        "two sessions": folder / "two.log",
        "hostile": _hostile_log(folder / "hostile.log"),
        "analysis": _analysis_log(folder / "analysis"),
    }


def test_every_listed_module_is_compiled():
    assert compiled_modules() == list(COMPILED_MODULES)
    for name in COMPILED_MODULES:
        assert Path(importlib.import_module(name).__file__).suffix == ".so", name


def _exported_by_sources(log: Path) -> dict:
    environment = dict(os.environ, LOGPROV_PURE_PYTHON="1")
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, str(log), *FORMATS],
        capture_output=True, text=True, env=environment, cwd=log.parent, check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", ["legacy", "two sessions", "hostile", "analysis"])
def test_compiled_modules_write_what_their_sources_write(logs, name):
    from_sources = _exported_by_sources(logs[name])
    assert from_sources["compiled"] == []
    for fmt in FORMATS:
        stream = io.BytesIO()
        export_records(iter_records(logs[name]), fmt, stream)
        compiled = stream.getvalue().decode("utf-8", "surrogatepass")
        assert compiled.count("\n") > 10, fmt
        assert compiled == from_sources["texts"][fmt], fmt


def test_records_read_by_compiled_modules_equal_those_read_by_their_sources(logs):
    script = ("import json, sys; from logprov.reading.reader import iter_records; print(json.dumps("
              "[[r.timestamp, r.data, r.line, r.session, r.legacy] for r in iter_records(sys.argv[1])]))")
    for name, log in logs.items():
        done = subprocess.run([sys.executable, "-c", script, str(log)], capture_output=True, text=True,
                              env=dict(os.environ, LOGPROV_PURE_PYTHON="1"), check=True)
        compiled = [[r.timestamp, r.data, r.line, r.session, r.legacy] for r in iter_records(log)]
        assert len(compiled) > 3, name
        assert json.dumps(compiled) + "\n" == done.stdout, name
