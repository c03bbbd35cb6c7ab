"""File entities: hashing on first use, and the cost of a file used again unchanged."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time

from .isolation import run_worker
from .rows import FAILED, INFO, Row
from .settings import TEMP_CACHE_DIR, Settings
from .stats import Summary, block_overheads, loop_time, summarize
from .workload import make_capture

__all__ = ["FILE_DEFINITIONS", "first_use_worker", "cached_worker", "rows"]

GROUP = "files"
_CHUNK = 16 << 20
_BLOCK = 1 << 20

FILE_DEFINITIONS = {
    "activities": {
        "read_data": {
            "parameters": [{"name": "scale", "value": "kwargs.scale"}],
            "usage": [{"role": "data", "entityType": "DataFile", "location": "kwargs.path"}],
        },
        "skip_data": {
            "parameters": [{"name": "scale", "value": "kwargs.scale"}],
        },
    },
    "entities": {"DataFile": {"type": "File", "contentType": "application/octet-stream"}},
}


def read_data(path: str, scale: int = 1) -> None:
    """Stand-in for a function reading ``path`` (the tracing does the reading)."""


def skip_data(path: str, scale: int = 1) -> None:
    """The same function, whose definitions declare no file usage."""


def _big_file(size_mb: int) -> str:
    path = TEMP_CACHE_DIR / f"hash-input-{size_mb}mb.bin"
    if not path.exists() or path.stat().st_size != size_mb << 20:
        path.parent.mkdir(parents=True, exist_ok=True)
        chunk = os.urandom(_CHUNK)
        partial = path.with_suffix(".part")
        with open(partial, "wb") as stream:
            for offset in range(0, size_mb << 20, _CHUNK):
                stream.write(chunk[: min(_CHUNK, (size_mb << 20) - offset)])
        os.replace(partial, path)
    return str(path)


def _raw_hash(path: str, hash_type: str) -> str:
    digest = hashlib.new(hash_type)
    view = memoryview(bytearray(_BLOCK))
    with open(path, "rb", buffering=0) as stream:
        while True:
            count = stream.readinto(view)
            if not count:
                break
            digest.update(view[:count])
    return digest.hexdigest()


def _touch(path: str) -> None:
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))


def first_use_worker(size_mb: int, repeats: int, hash_type: str) -> dict:
    """Time a raw hashlib loop, `FileHasher.file` and a traced call with a File usage on the
    same file (in the page cache); return seconds per run of each."""
    from logprov.capture.identity import FileHasher

    path = _big_file(size_mb)
    _raw_hash(path, hash_type)
    clock = time.perf_counter
    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        capture = make_capture(folder, FILE_DEFINITIONS, hash_type=hash_type)
        traced = capture.trace(read_data)
        traced(path=path)
        runs = {
            "raw": lambda: _raw_hash(path, hash_type),
            "hasher": lambda: FileHasher(hash_type).file(path),
            "traced": lambda: traced(path=path),
        }
        times = {name: [] for name in runs}
        names = list(runs)
        for repeat in range(repeats):
            for name in names[repeat % 3:] + names[: repeat % 3]:
                _touch(path)
                start = clock()
                runs[name]()
                times[name].append(clock() - start)
        expected = _raw_hash(path, hash_type)
        same = FileHasher(hash_type).file(path).digest == expected
    return {"seconds": times, "bytes": size_mb << 20, "same_digest": same}


def cached_worker(calls: int, repeats: int, warmup: int) -> dict:
    """Time `FileHasher.file` on an unchanged file, and a traced call with a usage of it vs the
    same traced call without; return microseconds per call."""
    from logprov.capture.identity import FileHasher

    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        path = os.path.join(folder, "input.dat")
        with open(path, "wb") as stream:
            stream.write(os.urandom(4096))
        hasher = FileHasher()
        hasher.file(path)
        lookup = summarize([loop_time(lambda i: hasher.file(path), calls) for _ in range(repeats)])
        capture = make_capture(folder, FILE_DEFINITIONS)
        with_file, without_file = capture.trace(read_data), capture.trace(skip_data)
        measured = {"with_file": lambda i: with_file(path=path, scale=i)}
        difference, traced, baseline = block_overheads(
            measured, lambda i: without_file(path=path, scale=i), calls, repeats, warmup
        )["with_file"]
    return {
        "lookup_us": lookup.scaled(1e6).to_dict(),
        "difference_us": difference.scaled(1e6).to_dict(),
        "with_file_us": traced.scaled(1e6).to_dict(),
        "without_file_us": baseline.scaled(1e6).to_dict(),
    }


def _first_use_rows(settings: Settings) -> list[Row]:
    size = settings.hash_file_mb
    params = {"size_mb": size, "repeats": settings.hash_repeats, "hash_type": "sha256"}
    outcome = run_worker("benchmarks.files:first_use_worker", params, timeout=settings.worker_timeout)
    what = f"file entity, first use, sha256, {size} MB in page cache"
    if not outcome.ok:
        return [Row(GROUP, "first_use_hasher", what, None, "%", 70.0, True, FAILED, outcome.error[-300:])]
    seconds = outcome.value["seconds"]
    megabytes = outcome.value["bytes"] / 1e6
    rate = {name: summarize([megabytes / value for value in values]) for name, values in seconds.items()}

    def share(name: str) -> Summary:
        return summarize([base / value * 100 for base, value in zip(seconds["raw"], seconds[name])])

    mismatch = "" if outcome.value["same_digest"] else "FileHasher's digest differs from hashlib's! "
    note = (f"{mismatch}throughput MB/s: raw hashlib loop {rate['raw'].median:,.0f}, "
            f"FileHasher {rate['hasher'].median:,.0f}, traced call {rate['traced'].median:,.0f}; "
            f"% = raw time / time, per repetition (runs of one repetition are adjacent, in rotating order)")
    details = {"seconds": seconds, "megabytes": megabytes, "same_digest": outcome.value["same_digest"]}
    return [
        Row(GROUP, "first_use_raw", f"raw hashlib sha256 loop, {size} MB", rate["raw"], "MB/s", status=INFO),
        Row(GROUP, "first_use_hasher", f"{what}: FileHasher().file vs raw", share("hasher"), "%", 70.0, True,
            note=note, details=details),
        Row(GROUP, "first_use_traced", f"{what}: traced call with a File usage vs raw", share("traced"), "%", 70.0,
            True),
    ]


def _cached_rows(settings: Settings) -> list[Row]:
    outcome = run_worker("benchmarks.files:cached_worker", settings.cached_file, timeout=settings.worker_timeout)
    what = "file entity, unchanged file used again"
    if not outcome.ok:
        return [Row(GROUP, "cached_hasher", what, None, "µs", 20.0, status=FAILED, note=outcome.error[-300:])]
    value = outcome.value
    with_file, without_file = Summary(**value["with_file_us"]), Summary(**value["without_file_us"])
    return [
        Row(GROUP, "cached_hasher", f"{what}: FileHasher().file (cache hit)", Summary(**value["lookup_us"]), "µs",
            20.0),
        Row(GROUP, "cached_traced", f"{what}: traced call with vs without the File usage",
            Summary(**value["difference_us"]), "µs", 20.0,
            note=f"traced call {with_file.median:.1f} µs with the usage, {without_file.median:.1f} µs without",
            details={"with_file_us": value["with_file_us"], "without_file_us": value["without_file_us"]}),
    ]


def rows(settings: Settings) -> list[Row]:
    """Run the file benchmarks and return their rows."""
    return _first_use_rows(settings) + _cached_rows(settings)
