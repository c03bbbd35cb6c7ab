"""The benchmark cache shared by checkouts: a log is removed only when the checkout that made it
moved on (or is gone) and no process uses it; logs of other checkouts stay."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import biglog, sharedcache
from benchmarks.baseline import ROOT

RECORDS = 40


def fake_log(cache: Path, key: str, checkout: Path) -> Path:
    """A log folder as `biglog.ensure_log` leaves it, made by ``checkout``."""
    folder = cache / f"log-{RECORDS}-{key}"
    folder.mkdir(parents=True)
    (folder / "prov.log").write_text("_PROV_2026-11-22T00:00:00+00:00_PROV_{}\n")
    (folder / "info.json").write_text(json.dumps({"path": str(folder / "prov.log"), "records": 1, "probe": "x",
                                                  "seconds": 0.0}))
    (folder / "origin.json").write_text(json.dumps({"checkout": str(checkout)}))
    (folder / ".lock").touch()
    return folder


def old_version_log(cache: Path, key: str) -> Path:
    """A log folder as benchmark versions that took no lock left it: no maker, no lock file."""
    folder = fake_log(cache, key, cache)
    (folder / "origin.json").unlink()
    (folder / ".lock").unlink()
    return folder


def aged(folder: Path, days: float) -> float:
    """Set the access and modification times of ``folder`` and all it holds ``days`` back."""
    then = time.time() - days * 86400
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (then, then))
    return then


@pytest.fixture
def checkouts(tmp_path):
    made = [tmp_path / "checkout-a", tmp_path / "checkout-b"]
    for checkout in made:
        checkout.mkdir()
    return made


class Holder:
    """Another process using a log folder, as a benchmark run does from `ensure_log` on."""

    def __init__(self, folder: Path, checkout: Path) -> None:
        code = ("import sys; from benchmarks import sharedcache; "
                f"sharedcache.use({str(folder)!r}, {str(checkout)!r}); print('held', flush=True); sys.stdin.read()")
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline() == "held\n"

    def release(self) -> None:
        self.process.communicate(timeout=60)


def test_only_the_stale_logs_of_this_checkout_are_removed(tmp_path, checkouts):
    a, b = checkouts
    cache = tmp_path / "bench"
    old_a, old_b = fake_log(cache, "aaaa", a), fake_log(cache, "bbbb", b)
    new_a = cache / f"log-{RECORDS}-cccc"
    sharedcache.use(new_a, str(a))
    removed = sharedcache.remove_stale(cache.glob(f"log-{RECORDS}-*"), keep=new_a, checkout=str(a))
    assert removed == [old_a]
    assert not old_a.exists() and (old_b / "prov.log").exists() and new_a.exists()
    assert sharedcache.origin(new_a) == str(a) and sharedcache.origin(old_b) == str(b)


def test_a_log_in_use_by_another_process_is_kept_until_it_exits(tmp_path, checkouts):
    a, _ = checkouts
    cache = tmp_path / "bench"
    old = fake_log(cache, "aaaa", a)
    holder = Holder(old, a)
    try:
        assert sharedcache.remove_stale([old], keep=cache / "new", checkout=str(a)) == []
        assert (old / "prov.log").exists()
    finally:
        holder.release()
    assert sharedcache.remove_stale([old], keep=cache / "new", checkout=str(a)) == [old]
    assert not old.exists()


def test_logs_of_a_removed_checkout_go_and_recent_logs_naming_no_checkout_stay(tmp_path, checkouts):
    a, b = checkouts
    cache = tmp_path / "bench"
    gone = fake_log(cache, "gone", tmp_path / "removed-checkout")
    unnamed = fake_log(cache, "unnamed", b)
    (unnamed / "origin.json").unlink()
    assert sharedcache.remove_stale([gone, unnamed], keep=cache / "new", checkout=str(a)) == [gone]
    assert (unnamed / "prov.log").exists()


def test_logs_naming_no_checkout_go_once_unused_for_long_and_never_while_held_or_adopted(tmp_path, checkouts):
    a, b = checkouts
    cache = tmp_path / "bench"
    unused, read, held, adopted = (old_version_log(cache, key) for key in ("unused", "read", "held", "adopted"))
    lock = os.open(held / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    Holder(adopted, b).release()
    long_ago = time.time() - sharedcache.UNNAMED_STALE_SECONDS - 86400
    for folder in (unused, read, held, adopted):
        aged(folder, (time.time() - long_ago) / 86400)
    os.utime(read / "prov.log", (time.time(), long_ago))
    fcntl.flock(lock, fcntl.LOCK_SH)
    try:
        assert sharedcache.remove_stale([unused, read, held, adopted], keep=cache / "new", checkout=str(a)) == [unused]
        assert (read / "prov.log").exists() and (held / "prov.log").exists() and (adopted / "prov.log").exists()
        assert not unused.exists() and sharedcache.origin(adopted) == str(b)
    finally:
        os.close(lock)
    assert sharedcache.remove_stale([read, held, adopted], keep=cache / "new", checkout=str(a)) == [held]
    assert not held.exists() and (read / "prov.log").exists() and (adopted / "prov.log").exists()


def test_ensure_log_keeps_the_log_of_another_checkout_in_use(tmp_path, monkeypatch):
    cache = tmp_path / "bench"
    monkeypatch.setattr(biglog, "TEMP_CACHE_DIR", cache)
    other = tmp_path / "other-checkout"
    other.mkdir()
    theirs, ours = fake_log(cache, "theirs", other), fake_log(cache, "ours", Path(sharedcache.CHECKOUT))
    idle = fake_log(cache, "idle", other)
    holder = Holder(theirs, other)
    try:
        info = biglog.ensure_log(RECORDS, timeout=120)
        assert info["cached"] is False and info["records"] >= RECORDS
        assert (theirs / "prov.log").read_text() == "_PROV_2026-11-22T00:00:00+00:00_PROV_{}\n"
        assert (idle / "prov.log").exists() and not ours.exists()
        assert biglog.ensure_log(RECORDS, timeout=120) == {**info, "cached": True}
    finally:
        holder.release()


def test_the_key_of_a_log_follows_the_code_that_writes_logs(tmp_path):
    package = tmp_path / "logprov"
    for name in ("__init__.py", "capture/identity/values.py", "records/lines.py", "reading/reader.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(f"# {name}\n")
    key = biglog._source_key(RECORDS, package)
    assert biglog._source_key(RECORDS + 1, package) != key
    (package / "reading/reader.py").write_text("# read faster\n")
    assert biglog._source_key(RECORDS, package) == key
    for name in ("capture/identity/values.py", "records/lines.py", "__init__.py"):
        (package / name).write_text("# written otherwise\n")
        assert biglog._source_key(RECORDS, package) != key
        key = biglog._source_key(RECORDS, package)
