"""A large provenance log written by real traced code, cached between runs.

Two processes run an analysis pipeline traced by `logprov.ProvCapture` and append to the same
log with the default handler, so every line is what the capture writes. The mix: many sessions,
activities with parameters, nested activities, Python-value and file entities, usage and
generation, has_members and has_progenitors lists, untraced changes (derivations) and failed
activities.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import sharedcache
from .isolation import progress, run_worker
from .settings import TEMP_CACHE_DIR

__all__ = ["LOG_DEFINITIONS", "Pipeline", "generate_worker", "ensure_log", "count_records"]

PROCESSES = 2
SESSION_CYCLES = 300
_INDEX_FILES = 100
_PRODUCT_FILES = 200
_OBSERVATIONS = 5_000

LOG_DEFINITIONS = {
    "activities": {
        "analyse": {
            "description": "Whole analysis of one target",
            "parameters": [{"name": "target", "value": "kwargs.target"}],
        },
        "select": {
            "description": "Select observations from an index file",
            "parameters": [{"name": "target", "value": "kwargs.target"},
                           {"name": "max_obs", "value": "kwargs.max_obs"}],
            "usage": [{"role": "index", "entityType": "IndexFile", "location": "kwargs.index"}],
            "generation": [{
                "role": "observations", "entityType": "Observations", "value": "observations",
                "has_members": {"entityType": "Observation", "list": "observations", "id": "obs_id",
                                "namespace": "obs"},
            }],
        },
        "reduce": {
            "description": "Reduce observations to datasets",
            "parameters": [{"name": "binning", "value": "settings.binning"}],
            "usage": [{"role": "observations", "entityType": "Observations", "value": "observations"}],
            "generation": [{
                "role": "datasets", "entityType": "Datasets", "value": "datasets",
                "has_progenitors": {"entityType": "Observation", "list": "observations", "id": "obs_id",
                                    "namespace": "obs"},
            }],
        },
        "fit": {
            "description": "Fit the model to the datasets",
            "parameters": [{"name": "method", "value": "kwargs.method"}],
            "usage": [{"role": "datasets", "entityType": "Datasets", "value": "datasets"},
                      {"role": "model", "entityType": "Model", "value": "model"}],
            "generation": [{"role": "result", "entityType": "FitResult", "value": "result"},
                           {"role": "model", "entityType": "Model", "value": "model"}],
        },
        "write": {
            "description": "Write the result to a file",
            "usage": [{"role": "result", "entityType": "FitResult", "value": "result"}],
            "generation": [{"role": "product", "entityType": "Product", "location": "kwargs.filename"}],
        },
    },
    "entities": {
        "IndexFile": {"type": "File", "contentType": "application/fits"},
        "Product": {"type": "File", "contentType": "text/plain"},
        "Observations": {"type": "PythonObject"},
        "Observation": {"type": "PythonObject"},
        "Datasets": {"type": "PythonObject"},
        "Model": {"type": "PythonObject"},
        "FitResult": {"type": "PythonObject"},
    },
}


class Observation:
    """An observation of the data store."""

    def __init__(self, obs_id: int) -> None:
        self.obs_id = obs_id
        self.livetime = 1800.0 + obs_id % 7


class Pipeline:
    """A small analysis: select observations, reduce them, fit a model, write a product."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.settings = {"binning": {"emin": 0.1, "emax": 100.0, "nbins": 20}}
        self.observations: list = []
        self.datasets: list = []
        self.model = {"index": 2.5, "amplitude": 1e-12}
        self.result: dict = {}
        self.fits = 0

    def analyse(self, target: str, index: str, filename: str) -> None:
        self.select(target=target, index=index, max_obs=self.rng.randint(3, 12))
        self.reduce()
        self.fit(method="migrad")
        self.write(filename=filename)

    def select(self, target: str, index: str, max_obs: int) -> None:
        first = self.rng.randrange(_OBSERVATIONS)
        self.observations = [Observation((first + k) % _OBSERVATIONS) for k in range(max_obs)]

    def reduce(self) -> None:
        self.datasets = [{"obs": obs.obs_id, "counts": obs.obs_id * 3 % 101} for obs in self.observations]

    def fit(self, method: str) -> None:
        self.fits += 1
        if self.fits % 40 == 0:
            raise RuntimeError("fit did not converge")
        self.model = dict(self.model, index=round(self.model["index"] + self.rng.uniform(-0.1, 0.1), 4))
        self.result = {"method": method, "statistic": round(self.rng.uniform(10, 100), 3), "model": self.model}

    def write(self, filename: str) -> None:
        with open(filename, "w") as stream:
            json.dump(self.result, stream)


class _Counter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if isinstance(message, str) and "_PROV_" in message:
            self.records += message.count("\n") + 1
        return True


def generate_worker(log: str, records: int, seed: int, folder: str) -> dict:
    """Append at least ``records`` records to ``log`` by running the traced pipeline."""
    from logprov import ProvCapture

    rng = random.Random(seed)
    data = Path(folder)
    index_files = [str(data / f"obs-index-{k}.fits") for k in range(_INDEX_FILES)]
    products = [str(data / f"product-{seed}-{k}.json") for k in range(_PRODUCT_FILES)]
    capture = ProvCapture(definitions=LOG_DEFINITIONS, config={"log_filename": log, "record_git": False})
    counter = _Counter()
    capture.logger.addFilter(counter)
    capture.trace_methods(Pipeline, include=["analyse", "select", "reduce", "fit", "write"])
    pipeline = Pipeline(rng)
    cycle = 0
    last_product: str | None = None
    while counter.records < records:
        cycle += 1
        if cycle % SESSION_CYCLES == 0:
            capture.new_session()
        if cycle % 7 == 0:
            pipeline.model["amplitude"] *= 1.01
        target = rng.choice(("Crab", "PKS 2155-304", "MSH 15-52", "RX J1713"))
        index = rng.choice(index_files)
        product = rng.choice(products)
        try:
            if cycle % 3 == 0:
                pipeline.analyse(target=target, index=index, filename=product)
            else:
                pipeline.select(target=target, index=index, max_obs=rng.randint(3, 12))
                pipeline.reduce()
                pipeline.fit(method=rng.choice(("migrad", "simplex")))
                pipeline.write(filename=product)
            last_product = product
        except RuntimeError:
            pass
        if cycle % 200 == 0:
            progress(records=counter.records)
    if last_product is None:
        raise RuntimeError(f"no cycle of the pipeline wrote a product in {cycle} cycles")
    probe = capture.entities.files.file(last_product).entity_id
    capture.end_session()
    return {"records": counter.records, "cycles": cycle, "probe": probe}


def _index_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(_INDEX_FILES):
        path = folder / f"obs-index-{k}.fits"
        if not path.exists():
            path.write_bytes(hashlib.sha256(b"index %d" % k).digest() * 64)


#: The parts of the package that write a log: what the traced pipeline runs, besides its own code.
_WRITING_PARTS = ("capture", "records", "settings")


def _source_key(records: int, package: Path | None = None) -> str:
    """Return the key of a log of ``records`` records: a digest of this generator and of the
    modules of ``package`` (default: the installed logprov) that write logs, its top-level
    modules and those of `_WRITING_PARTS`."""
    if package is None:
        import logprov

        package = Path(logprov.__file__).parent
    digest = hashlib.sha256(Path(__file__).read_bytes())
    sources = [*package.glob("*.py"), *(path for part in _WRITING_PARTS for path in (package / part).rglob("*.py"))]
    for path in sorted(sources):
        digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    digest.update(str(records).encode())
    return digest.hexdigest()[:16]


def count_records(log: str | os.PathLike) -> int:
    """Return the number of ``_PROV_`` records of a log written by logprov."""
    count = 0
    with open(log, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 24), b""):
            count += chunk.count(b"_PROV_")
    return count // 2


def size_label(records: int) -> str:
    """Return the size of a log as rows name it: ``1M``, ``100k``."""
    return f"{records // 1_000_000}M" if records >= 1_000_000 else f"{records // 1000:,}k"


def _cached(folder: Path) -> dict | None:
    try:
        info = json.loads((folder / "info.json").read_text())
    except (OSError, ValueError):
        return None
    return info if Path(info["path"]).exists() else None


def ensure_log(records: int, timeout: float = 900.0) -> dict:
    """Return ``{"path", "records", "probe", "seconds", "cached"}`` of a log of about ``records``
    records, generating it under the temporary cache directory when it is not there yet.

    The log's folder is held (`sharedcache.use`) until this process exits, and generated by
    one process at a time. Generating a log removes the stale logs of that size this checkout
    made (`sharedcache.remove_stale`): never those of other checkouts, nor one in use.

    Raises
    ------
    RuntimeError
        When a generating process fails.
    """
    folder = TEMP_CACHE_DIR / f"log-{records}-{_source_key(records)}"
    sharedcache.use(folder)
    info = _cached(folder)
    if info is not None:
        return {**info, "cached": True}
    with sharedcache.exclusively(folder):
        info = _cached(folder)
        if info is not None:
            return {**info, "cached": True}
        sharedcache.remove_stale(TEMP_CACHE_DIR.glob(f"log-{records}-*"), keep=folder)
        info = _generate(folder, records, timeout)
        (folder / "info.json").write_text(json.dumps(info))
    return {**info, "cached": False}


def _generate(folder: Path, records: int, timeout: float) -> dict:
    data = folder / "data"
    _index_files(data)
    log = folder / "prov.log"
    if log.exists():
        log.unlink()
    start = time.perf_counter()
    params = [{"log": str(log), "records": -(-records // PROCESSES), "seed": seed, "folder": str(data)}
              for seed in range(PROCESSES)]
    with ThreadPoolExecutor(PROCESSES) as pool:
        outcomes = list(pool.map(
            lambda p: run_worker("benchmarks.biglog:generate_worker", p, timeout=timeout), params))
    values = []
    for outcome in outcomes:
        if not outcome.ok or outcome.value is None:
            raise RuntimeError(f"log generation failed ({outcome.status}): {outcome.error[-500:]}")
        values.append(outcome.value)
    return {
        "path": str(log),
        "records": count_records(log),
        "bytes": log.stat().st_size,
        "probe": values[0]["probe"],
        "seconds": time.perf_counter() - start,
    }
