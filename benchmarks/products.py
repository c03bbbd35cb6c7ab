"""Embedding the lineage of a product: time and size for a lineage of 1,000 nodes."""

from __future__ import annotations

import os
import tempfile
import time

from .isolation import run_worker
from .rows import FAILED, Row
from .settings import Settings
from .stats import summarize

GROUP = "products"
STEPS = 500


def chain_log(folder: str, steps: int = STEPS) -> str:
    """Trace ``steps`` chained calls on arrays, the last writing a FITS file: its lineage has
    ``steps`` activities and ``steps + 1`` entities. Return the path of the FITS file."""
    import numpy as np
    from astropy.io import fits

    import logprov

    capture = logprov.ProvCapture(config={"log_filename": os.path.join(folder, "prov.log"),
                                          "logger_name": "logprov.bench.products", "record_git": False})

    @capture.trace
    def step(previous, scale=1.5):
        return previous * scale + 1.0

    @capture.trace
    def write(value, output):
        fits.HDUList([fits.PrimaryHDU(np.tile(value, (4, 1)))]).writeto(output)
        capture.add_output_file(output, role="image")

    value = np.ones(4)
    for _ in range(steps - 1):
        value = step(value)
    product = os.path.join(folder, "product.fits")
    write(value, product)
    for handler in capture.logger.handlers:
        handler.close()
    return product


def embed_worker(repeats: int) -> dict:
    """Time `logprov.embed` of the product of `chain_log` (as it was written, each time) and
    measure what it adds."""
    import logprov

    with tempfile.TemporaryDirectory(prefix="logprov-bench-") as folder:
        product = chain_log(folder)
        log = os.path.join(folder, "prov.log")
        with open(product, "rb") as stream:
            written = stream.read()
        times = []
        for _ in range(repeats):
            with open(product, "wb") as stream:
                stream.write(written)
            start = time.perf_counter()
            done = logprov.embed(product, [log])
            times.append(time.perf_counter() - start)
        added = os.path.getsize(product) - len(written)
        log_bytes = os.path.getsize(log)
    return {"seconds": times, "added_bytes": added, "activities": done.activities, "entities": done.entities,
            "log_bytes": log_bytes}


def rows(settings: Settings) -> list[Row]:
    """Run the product benchmarks and return their rows."""
    outcome = run_worker("benchmarks.products:embed_worker", {"repeats": settings.hash_repeats},
                         timeout=settings.worker_timeout)
    what = f"embed the lineage of a FITS product ({STEPS} activities, {STEPS + 1} entities)"
    if not outcome.ok:
        return [Row(GROUP, "embed_time", what, None, "ms", 100.0, status=FAILED, note=outcome.error[-300:])]
    value = outcome.value
    nodes = value["activities"] + value["entities"]
    note = (f"{nodes} nodes; a PROVENANCE extension of {value['added_bytes']:,} bytes "
            f"(PROV-JSON and records, gzip); read from a log of {value['log_bytes']:,} bytes")
    return [
        Row(GROUP, "embed_time", f"{what}: logprov.embed", summarize([s * 1e3 for s in value["seconds"]]), "ms",
            100.0, note=note, details=value),
        Row(GROUP, "embed_size", f"{what}: bytes added to the file", summarize([value["added_bytes"] / 1e3]),
            "kB", 200.0),
    ]
