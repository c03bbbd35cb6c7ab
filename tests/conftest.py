"""Shared fixtures: isolated captures writing to temporary logs, traced analyses and their logs.

The helper modules beside this file (``logs``, ``analyses``, ``commands`` ...) are importable by
name from every test folder: ``pythonpath`` of the pytest configuration in pyproject.toml.
"""

from __future__ import annotations

import datetime
import importlib.util
import itertools
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

# Asserts in the helper modules report their values as asserts in the tests do.
pytest.register_assert_rewrite("commands", "onepass", "provconstraints", "readback")

import logprov  # noqa: E402
from logprov.testing import collect_records  # noqa: E402

from analyses import FILES, fit_spectrum, reduce_events  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Keep the indexes of every test in its own folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("LOGPROV_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("analysis_session_for_queries", ROOT / "examples" / "analysis_session.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def analysis(example, make_capture, tmp_path):
    """The gammapy-style analysis session of the example, traced into its own log."""
    log = tmp_path / "analysis.log"
    capture = make_capture(example.DEFINITIONS, log_filename=str(log), log_returned_result=False)
    output = example.run_session(tmp_path / "analysis", capture)
    capture.end_session()
    return SimpleNamespace(log=log, output=output, workdir=tmp_path / "analysis")


@pytest.fixture
def two_sessions(make_capture, tmp_path):
    """Session 1 writes a spectrum; session 2 reads it, writes a product, then fails a fit."""
    log = tmp_path / "sessions.log"
    capture = make_capture(FILES, log_filename=str(log), log_returned_result=False)
    reduce, fit = capture.trace(reduce_events), capture.trace(fit_spectrum)
    data = tmp_path / "data"
    data.mkdir()
    events = data / "events.json"
    events.write_text(json.dumps([0.4, 0.7, 1.1, 2.5, 3.0, 5.2, 8.8]))
    spectrum = data / "spectrum.json"
    reduce(str(events), [0.3, 1.0, 3.0, 10.0], str(spectrum))
    first = capture.session_id
    time.sleep(0.02)
    between = datetime.datetime.now(datetime.timezone.utc).isoformat()
    time.sleep(0.02)
    second = capture.new_session()
    product = data / "fit_result.json"
    fit(str(spectrum), str(product), method="lsq", options={"tolerance": 0.001, "steps": 20})
    with pytest.raises(ValueError):
        fit(str(spectrum), str(data / "failed.json"), method="simplex")
    capture.end_session()
    return SimpleNamespace(log=log, events=events, spectrum=spectrum, product=product, first=first,
                           second=second, between=between, data=data)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster for the whole run (see logprov.store.cluster), or a skip
    with the reason when none can be started; under ``CI=true`` that fails the run instead."""
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install 'logprov[postgres]')")
    from logprov.store.cluster import Cluster

    cluster = Cluster()
    try:
        cluster.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        cluster.stop()
        if os.environ.get("CI") == "true":
            pytest.fail(f"no PostgreSQL server for the store tests: {exc}")
        pytest.skip(f"no PostgreSQL server for the store tests: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    """The URL of a new, empty database of the cluster, dropped after the test."""
    import psycopg

    name = f"store_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield postgres_cluster.url(name)
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The address of an empty store of each engine."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "prov.db")
    return request.getfixturevalue("postgres_url")
