"""Shared fixtures: isolated captures writing to temporary logs."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

import logprov
from logprov.testing import collect_records

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
_names = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def cache_folder(tmp_path_factory):
    """Keep logprov's caches (the map of installed distributions, indexes) out of the home folder."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("logprov-cache")
        patch.setenv("LOGPROV_CACHE", str(folder))
        yield folder


@pytest.fixture
def make_capture(tmp_path):
    """Return a factory of captures, each with its own logger and log file in ``tmp_path``."""
    made = []

    def factory(definitions=None, **config):
        name = f"logprov.test{next(_names)}"
        config.setdefault("log_filename", str(tmp_path / f"{name}.log"))
        config.setdefault("logger_name", name)
        config.setdefault("record_git", False)
        config.setdefault("record_packages", False)
        capture = logprov.ProvCapture(definitions=definitions, config=config)
        made.append(capture)
        return capture

    yield factory
    for capture in made:
        for handler in list(capture.logger.handlers):
            handler.close()
            capture.logger.removeHandler(handler)


@pytest.fixture
def records():
    """Return ``collect_records`` for use as ``with records(capture) as log: ...``."""
    return collect_records
