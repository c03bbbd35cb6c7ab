"""The distributions a session record names: of the traced code, of what the process imported,
and of modules traced after the session began."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from logprov.capture import environment as session
from logprov.testing import parse_line


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_distribution_map_agrees_with_importlib(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path))
    session.distribution_map.cache_clear()
    found = session.distribution_map()
    oracle = metadata.packages_distributions()
    for top, names in oracle.items():
        if top.startswith("__editable__") or not top.isidentifier():
            continue
        assert sorted(found["modules"].get(top, ())) == sorted({canonical(n) for n in names}), top
    for key, (name, version, _) in found["distributions"].items():
        assert metadata.version(name) == version
    (cached,) = tmp_path.glob("distributions-*.json")
    assert json.loads(cached.read_text())["map"] == found
    session.distribution_map.cache_clear()
    assert session.distribution_map() == found


def test_distribution_map_is_read_from_the_cache_until_a_folder_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path))
    session.distribution_map.cache_clear()
    first = session.distribution_map()
    (cached,) = tmp_path.glob("distributions-*.json")
    content = json.loads(cached.read_text())
    content["map"]["distributions"]["marker-only-in-cache"] = ["marker", "1", []]
    cached.write_text(json.dumps(content))
    session.distribution_map.cache_clear()
    assert "marker-only-in-cache" in session.distribution_map()["distributions"]
    content["stamp"][0][1] = 0
    cached.write_text(json.dumps(content))
    session.distribution_map.cache_clear()
    assert session.distribution_map() == first
    session.distribution_map.cache_clear()


SCRIPT = textwrap.dedent("""
    import sys
    import logprov
    capture = logprov.ProvCapture(config={"log_filename": sys.argv[1], "record_git": False})

    @capture.trace
    def step(x):
        return x + 1

    step(1)
    import sklearn.utils
    capture.trace(sklearn.utils.resample)
    capture.trace(sklearn.utils.shuffle)
    step(2)
    capture.end_session()
""")


def read(path: Path) -> list:
    return [r for r in (parse_line(line) for line in path.read_text().splitlines()) if r is not None]


def test_traced_code_in_main_names_imported_distributions_and_later_traced_ones(tmp_path):
    pytest.importorskip("sklearn")
    log = tmp_path / "prov.log"
    env = {**os.environ, "LOGPROV_CACHE": str(tmp_path / "cache")}
    for path in (tmp_path / "cold.log", log):
        subprocess.run([sys.executable, "-c", SCRIPT, str(path)], check=True, env=env, cwd=tmp_path, timeout=60)
    records = read(log)
    start, update, end = [r for r in records if "session_id" in r]
    assert start["module"] == "__main__"
    assert {"logprov", "PyYAML"} <= set(start["packages"])
    assert "scikit-learn" not in start["packages"]
    assert update == {"session_id": start["session_id"], "packages": update["packages"]}
    assert update["packages"]["scikit-learn"] == metadata.version("scikit-learn")
    assert {"numpy", "scipy", "joblib"} <= set(update["packages"]) | set(start["packages"])
    assert not set(update["packages"]) & set(start["packages"])
    assert set(end) == {"session_id", "endTime"}

    import logprov.query
    from logprov.model import build_document
    from logprov.reading.reader import iter_records

    with logprov.query.open(log, index=False) as provenance:
        assert [s.id for s in provenance.sessions()] == [start["session_id"]]
    document = build_document(iter_records(log))
    text = document.get_provn()
    assert "scikit-learn=" in text and "PyYAML=" in text


def test_with_no_cached_map_the_packages_come_in_a_record_of_their_own(tmp_path):
    pytest.importorskip("sklearn")
    log = tmp_path / "prov.log"
    env = {**os.environ, "LOGPROV_CACHE": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-c", SCRIPT, str(log)], check=True, env=env, cwd=tmp_path, timeout=60)
    start, *later, end = [r for r in read(log) if "session_id" in r]
    assert "packages" not in start and set(end) == {"session_id", "endTime"}
    named = [name for record in later for name in record["packages"]]
    assert len(named) == len(set(named)), "each distribution is named once"
    assert {"logprov", "PyYAML", "scikit-learn", "numpy", "scipy", "joblib"} <= set(named)
    assert all(set(record) == {"session_id", "packages"} for record in later)


def test_a_name_is_looked_up_in_the_map_as_importlib_finds_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path))
    session.distribution_map.cache_clear()
    try:
        distributions = session.distribution_map()["distributions"]
        names = ["logprov", "PyYAML", "pyyaml", "py.yaml", "jsonschema", "typing_extensions", "benchmarks",
                 "no_such_distribution_here", "tests"]
        names += [name for name, _, _ in distributions.values()]
        for name in names:
            entry = session._distribution_entry(name, distributions)
            oracle = session._named_distribution(name)
            assert (None if entry is None else (entry[0], entry[1], tuple(entry[2]))) == oracle, name
    finally:
        session.distribution_map.cache_clear()


def test_a_distribution_added_to_the_import_path_later_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path / "cache"))
    session.distribution_map.cache_clear()
    folder = tmp_path / "extra"
    info = folder / "late_arrival-2.5.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: late-arrival\nVersion: 2.5\nRequires-Dist: PyYAML\n")
    try:
        distributions = session.distribution_map()["distributions"]
        assert session._distribution_entry("late_arrival", distributions) is None
        monkeypatch.syspath_prepend(str(folder))
        assert session._distribution_entry("late_arrival", distributions) == ("late-arrival", "2.5", ("pyyaml",))
        assert session.package_versions(["late_arrival.sub"]) == {
            "late-arrival": "2.5", "PyYAML": metadata.version("PyYAML")}
    finally:
        session._named_distribution.cache_clear()
        session.distribution_map.cache_clear()
