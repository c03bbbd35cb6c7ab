"""Value digests: buffers (arrays, bytes) and containers, in MB/s."""

from __future__ import annotations

import math
import pickle
import time

from .isolation import run_worker
from .rows import FAILED, INFO, Row
from .settings import Settings
from .stats import summarize

__all__ = ["digest_worker", "rows"]

GROUP = "values"
BUFFER_TARGET = 5_000.0
CONTAINER_TARGET = 50.0


class _Source:
    """A catalogue entry: an object with a few attributes, one of them bytes (not JSON data)."""

    def __init__(self, index: int) -> None:
        self.obs_id = index
        self.position = (index * 0.1, -index * 0.2)
        self.name = f"src{index}"
        self.flags = b"ok"


def _containers() -> dict:
    return {
        "json": [{"obs_id": i, "ra": i * 0.1, "dec": -i * 0.2, "name": f"src{i}", "tags": ["a", "b"], "note": None}
                 for i in range(100_000)],
        "objects": [_Source(i) for i in range(50_000)],
        "dict": {f"key{i}": i for i in range(2_000_000)},
    }


def _seconds(function, repeats: int) -> list[float]:
    clock = time.perf_counter
    function()
    times = []
    for _ in range(repeats):
        start = clock()
        function()
        times.append(clock() - start)
    return times


def digest_worker(buffer_mb: int, repeats: int) -> dict:
    """Time `ValueDigester.digest` on buffers and containers; return seconds per digest and the
    sizes (bytes of the buffer, of the pickle of each container)."""
    import numpy

    from logprov.capture.identity import ValueDigester

    size = buffer_mb << 20
    array = numpy.random.default_rng(0).random(size // 8)
    data = array.tobytes()
    frozen = array.copy()
    frozen.flags.writeable = False
    digester = ValueDigester()
    seconds = {
        "array": _seconds(lambda: ValueDigester().digest(array), repeats),
        "bytes": _seconds(lambda: ValueDigester().digest(data), repeats),
        "memoryview": _seconds(lambda: ValueDigester().digest(memoryview(data)), repeats),
    }
    digester.digest(frozen)
    seconds["frozen"] = _seconds(lambda: digester.digest(frozen), repeats)
    sizes = {"array": size, "bytes": size, "memoryview": size}
    unbounded = ValueDigester(time_budget=math.inf)
    schemes = {}
    for name, value in _containers().items():
        sizes[name] = sizes[f"{name}_default"] = len(pickle.dumps(value, protocol=5))
        seconds[name] = _seconds(lambda: unbounded.digest(value), max(repeats // 2, 1))
        seconds[f"{name}_default"] = _seconds(lambda: ValueDigester().digest(value), max(repeats // 2, 1))
        schemes[name] = ValueDigester().digest(value)[1]
    return {"seconds": seconds, "sizes": sizes, "schemes": schemes}


def rows(settings: Settings) -> list[Row]:
    """Run the value digest benchmarks and return their rows."""
    params = {"buffer_mb": settings.digest_buffer_mb, "repeats": settings.digest_repeats}
    outcome = run_worker("benchmarks.values:digest_worker", params, timeout=settings.worker_timeout)
    size = settings.digest_buffer_mb
    if not outcome.ok:
        return [Row(GROUP, "digest_array", f"value digest, float64 array, {size} MB", None, "MB/s",
                    BUFFER_TARGET, True, FAILED, outcome.error[-300:])]
    seconds, sizes, schemes = outcome.value["seconds"], outcome.value["sizes"], outcome.value["schemes"]

    def rate(name: str):
        return summarize([sizes[name] / 1e6 / value for value in seconds[name]])

    container_note = "MB of the value's pickle (protocol 5) per second, without a time budget"
    return [
        Row(GROUP, "digest_array", f"value digest, float64 array, {size} MB", rate("array"), "MB/s",
            BUFFER_TARGET, True, note="XXH3-128 of the data, in full"),
        Row(GROUP, "digest_bytes", f"value digest, bytes, {size} MB", rate("bytes"), "MB/s", BUFFER_TARGET, True),
        Row(GROUP, "digest_memoryview", f"value digest, memoryview, {size} MB", rate("memoryview"), "MB/s",
            BUFFER_TARGET, True),
        Row(GROUP, "digest_frozen_array", f"value digest, read-only array used again, {size} MB",
            summarize([value * 1e6 for value in seconds["frozen"]]), "µs", status=INFO,
            note="the remembered digest, checked against samples of the data"),
        Row(GROUP, "digest_json_rows", "value digest, 100,000 dicts of JSON data", rate("json"), "MB/s",
            CONTAINER_TARGET, True, note=container_note),
        Row(GROUP, "digest_objects", "value digest, 50,000 objects with attributes", rate("objects"), "MB/s",
            CONTAINER_TARGET, True, note=container_note),
        Row(GROUP, "digest_objects_default", "value digest, 50,000 objects with attributes, default time budget",
            rate("objects_default"), "MB/s", CONTAINER_TARGET, True,
            note=f"digest: {schemes['objects'] or 'full'}"),
        Row(GROUP, "digest_big_dict", "value digest, dict of 2,000,000 str keys", rate("dict"), "MB/s",
            CONTAINER_TARGET, True, note=f"with the default time budget: {schemes['dict'] or 'full'}"),
    ]
