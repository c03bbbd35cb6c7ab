"""The build backend and the switches of the optional compiled build."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logprov.compiled import COMPILED_MODULES, use_sources

ROOT = Path(__file__).resolve().parents[1]
#: setuptools reads its settings in pyproject.toml, and says they are a beta feature.
SETUPTOOLS_BETA = "ignore:Support for `\\[tool.setuptools\\]`"


@pytest.fixture
def backend(monkeypatch):
    monkeypatch.chdir(ROOT)
    spec = importlib.util.spec_from_file_location("logprov_build", ROOT / "build_backend" / "logprov_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_compiled_module_has_its_source_in_the_package():
    for name in COMPILED_MODULES:
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file(), name
    assert len(set(COMPILED_MODULES)) == len(COMPILED_MODULES)


@pytest.mark.filterwarnings(SETUPTOOLS_BETA)
def test_a_plain_build_asks_for_no_compiler(backend, monkeypatch):
    monkeypatch.delenv("LOGPROV_COMPILE", raising=False)
    assert not any(requirement.startswith("mypy") for requirement in backend.get_requires_for_build_wheel())


@pytest.mark.filterwarnings(SETUPTOOLS_BETA)
def test_a_compiled_build_asks_for_mypyc_and_keeps_its_setting(backend, monkeypatch):
    monkeypatch.setenv("LOGPROV_COMPILE", "1")
    assert "mypy>=1.8" in backend.get_requires_for_build_wheel()
    assert os.environ["LOGPROV_COMPILE"] == "1"


@pytest.mark.filterwarnings(SETUPTOOLS_BETA)
def test_a_compiled_editable_install_is_refused(backend, monkeypatch):
    monkeypatch.setenv("LOGPROV_COMPILE", "1")
    with pytest.raises(RuntimeError, match="pip install .' \\(without -e\\)"):
        backend.get_requires_for_build_editable()


def test_sources_are_imported_with_the_switch():
    script = ("import logprov.export.onepass, logprov.model.recordstream, sys; from logprov.compiled import "
              "COMPILED_MODULES as names; print(sorted(sys.modules[n].__file__.rsplit('.', 1)[1] "
              "for n in names if n in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env=dict(os.environ, LOGPROV_PURE_PYTHON="1"))
    suffixes = eval(done.stdout)
    assert len(suffixes) >= 15 and set(suffixes) == {"py"}


def test_the_switch_comes_too_late_once_the_modules_are_imported():
    import logprov.reading.reader  # noqa: F401

    with pytest.raises(RuntimeError, match="logprov.reading.reader"):
        use_sources()
