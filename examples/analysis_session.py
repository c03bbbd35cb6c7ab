"""A gammapy-style analysis session whose provenance is captured by logprov.

The classes below are a small, dependency-free stand-in for gammapy's high-level interface
(``gammapy.analysis.Analysis``, with the attribute names of gammapy 2.1): a configuration with
nested sections, a data store of observation files, observations, datasets, a model read from
YAML, a fit and flux points written to a file. The class is traced with
``ProvCapture.trace_methods`` and ``definitions/gammapy.yaml``, exactly as gammapy's own class
is in ``examples/gammapy_analysis.py``::

    capture.trace_methods(gammapy.analysis.Analysis)

Run it with ``python examples/analysis_session.py [WORKDIR]``: it writes ``prov.log``, the
flux points, and the provenance as PROV-JSON, PROV-N and an SVG graph into WORKDIR (default:
``analysis-output``).
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import os
import random
import sys
from pathlib import Path

import yaml

import logprov

try:
    from astropy.table import Table
except ImportError:
    Table = None

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE.parent / "definitions" / "gammapy.yaml"

MODEL_YAML = """\
components:
  - name: crab
    type: SkyModel
    spectral:
      type: PowerLawSpectralModel
      parameters:
        index: 2.5
        amplitude: 1.0e-12
        reference: 1.0
"""


def plain(value):
    """Return ``value`` with its sections and lists as plain dicts and lists."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class Section(dict):
    """A configuration section whose keys also read as attributes; ``model_dump`` returns its
    plain values, as for gammapy's (pydantic) configuration models."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def model_dump(self, mode: str = "python") -> dict:
        """Return the section as plain values."""
        return plain(self)


class Values(list):
    """A list setting read like a section (the energy range and bins of gammapy are models)."""

    def model_dump(self, mode: str = "python") -> list:
        """Return the list as plain values."""
        return plain(self)


def sections(value):
    """Return ``value`` with its dicts as `Section`."""
    if isinstance(value, dict):
        return Section((key, sections(item)) for key, item in value.items())
    return value


class AnalysisConfig:
    """Nested analysis settings, as in gammapy's ``AnalysisConfig``: ``config.observations``,
    ``config.datasets``, ``config.fit`` and ``config.flux_points`` are sections of ``settings``."""

    def __init__(self, settings: dict) -> None:
        self.settings = sections(settings)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["settings"][name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_template(cls, template: str, datastore: Path) -> "AnalysisConfig":
        """Return the settings of a 1d (spectrum) or 3d (cube) analysis; environment variables in
        the data store path are expanded, as gammapy does."""
        return cls({
            "general": {"logging": {"level": "INFO"}},
            "observations": {
                "datastore": Path(os.path.expandvars(datastore)),
                "obs_ids": [23523, 23526, 23559, 23592],
                "obs_cone": {},
                "obs_time": {},
                "required_irf": ["aeff", "edisp"],
            },
            "datasets": {
                "type": template,
                "stack": True,
                "geom": {"energy_min": 0.5, "energy_max": 30.0, "nbins": 12},
                "on_region": {"frame": "icrs", "lon": 83.633, "lat": 22.014, "radius": 0.11},
                "background": {"method": "reflected"},
                "safe_mask": {"methods": ["aeff-default"]},
            },
            "fit": {"fit_range": Values([1.0, 30.0])},
            "flux_points": {"source": "crab", "energy": Values([1.0, 3.0, 10.0, 30.0]), "parameters": {}},
        })


class Observation:
    """One observation: an id and its event energies (TeV)."""

    def __init__(self, obs_id: int, target: str, energies: list) -> None:
        self.obs_id = obs_id
        self.target = target
        self.energies = energies

    def __repr__(self) -> str:
        return f"Observation(obs_id={self.obs_id}, target={self.target!r}, events={len(self.energies)})"


class Observations:
    """A list of observations (``.list`` as in gammapy)."""

    def __init__(self, observations: list) -> None:
        self.list = observations

    def __iter__(self):
        return iter(self.list)

    def __len__(self) -> int:
        return len(self.list)

    def __repr__(self) -> str:
        return f"Observations({[o.obs_id for o in self.list]})"


class DataStore:
    """A directory of observation files with an index file, as gammapy's ``DataStore``."""

    INDEX = "obs-index.fits.gz"
    HDU_INDEX = "hdu-index.fits.gz"

    def __init__(self, path: Path, index: list) -> None:
        self.path = path
        self.index = index

    @classmethod
    def from_dir(cls, path: str) -> "DataStore":
        """Open the data store in ``path`` (environment variables expanded)."""
        directory = Path(os.path.expandvars(path))
        with gzip.open(directory / cls.INDEX, "rt") as stream:
            return cls(directory, json.load(stream))

    def get_observations(self, obs_ids: list) -> Observations:
        """Return the observations of ``obs_ids`` (all when empty)."""
        selected = []
        for entry in self.index:
            if not obs_ids or entry["OBS_ID"] in obs_ids:
                with gzip.open(self.path / entry["FILE"], "rt") as stream:
                    data = json.load(stream)
                selected.append(Observation(entry["OBS_ID"], entry["TARGET_NAME"], data["energies"]))
        return Observations(selected)


def make_datastore(directory: Path, seed: int = 1) -> Path:
    """Write a small data store (index files and one event file per observation) into ``directory``."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    index = []
    for obs_id, target in ((23523, "Crab"), (23526, "Crab"), (23559, "Crab"), (23592, "Crab"), (33787, "PKS 2155-304")):
        name = f"run_{obs_id}.fits.gz"
        energies = [round(0.5 * math.exp(rng.expovariate(1.5)), 4) for _ in range(200)]
        with gzip.GzipFile(directory / name, "wb", mtime=0) as stream:
            stream.write(json.dumps({"obs_id": obs_id, "energies": energies}).encode())
        index.append({"OBS_ID": obs_id, "TARGET_NAME": target, "FILE": name})
    with gzip.GzipFile(directory / DataStore.INDEX, "wb", mtime=0) as stream:
        stream.write(json.dumps(index).encode())
    hdus = [{"OBS_ID": entry["OBS_ID"], "HDU_TYPE": "events", "FILE_NAME": entry["FILE"]} for entry in index]
    with gzip.GzipFile(directory / DataStore.HDU_INDEX, "wb", mtime=0) as stream:
        stream.write(json.dumps(hdus).encode())
    return directory


class Dataset:
    """Counts in energy bins."""

    def __init__(self, name: str, edges: list, counts: list) -> None:
        self.name = name
        self.edges = edges
        self.counts = counts
        self.models = None

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, counts={sum(self.counts)})"


class Datasets(list):
    """A list of datasets."""


class Models:
    """Sky models read from a dictionary."""

    def __init__(self, components: list) -> None:
        self.components = components

    def __repr__(self) -> str:
        return f"Models({[c['name'] for c in self.components]})"


class FitResult:
    """Outcome of a fit."""

    def __init__(self, success: bool, parameters: dict, total_stat: float) -> None:
        self.success = success
        self.parameters = parameters
        self.total_stat = total_stat

    def __repr__(self) -> str:
        return f"FitResult(success={self.success}, total_stat={self.total_stat:.2f})"


class FluxPointsDataset:
    """Flux points (``data``) with the model of their source."""

    def __init__(self, data: "FluxPoints", models: dict) -> None:
        self.data = data
        self.models = models

    def __repr__(self) -> str:
        return f"FluxPointsDataset({self.data.source!r})"


class FluxPoints:
    """Flux points of a source."""

    def __init__(self, source: str, rows: list) -> None:
        self.source = source
        self.rows = rows

    def write(self, filename: str) -> None:
        """Write the flux points as a FITS binary table (``pip install "logprov[fits]"``)."""
        if Table is None:
            raise SystemExit('writing the flux points as FITS needs astropy: pip install "logprov[fits]"')
        table = Table(rows=self.rows, names=("e_min", "e_max", "counts"))
        table.meta["EXTNAME"] = "FLUXPOINTS"
        table.meta["OBJECT"] = self.source
        table.write(filename, format="fits", overwrite=True)


class Analysis:
    """Config-driven high-level analysis interface following gammapy's structure."""

    def __init__(self, config: AnalysisConfig) -> None:
        self.config = config
        self.observations = None
        self.datasets = None
        self.models = None
        self.fit_result = None
        self.flux_points = None

    @property
    def models_loaded(self) -> bool:
        """True once a model is set (raises before, like some gammapy properties)."""
        if self.models is None:
            raise RuntimeError("no model set yet")
        return True

    def get_observations(self) -> None:
        """Select observations from the data store."""
        settings = self.config.observations
        datastore = DataStore.from_dir(settings["datastore"])
        self.observations = datastore.get_observations(settings["obs_ids"])

    def get_datasets(self) -> None:
        """Reduce the observations to (stacked) datasets."""
        geom = self.config.datasets["geom"]
        low, high, nbins = geom["energy_min"], geom["energy_max"], geom["nbins"]
        edges = [low * (high / low) ** (i / nbins) for i in range(nbins + 1)]
        counts = [0] * nbins
        for observation in self.observations:
            for energy in observation.energies:
                for i in range(nbins):
                    if edges[i] <= energy < edges[i + 1]:
                        counts[i] += 1
                        break
        self.datasets = Datasets([Dataset("stacked", edges, counts)])

    def set_models(self, models: dict | str, extend: bool = True) -> None:
        """Attach the models, given as a dictionary or a YAML string, to the datasets."""
        if isinstance(models, str):
            models = yaml.safe_load(models)
        components = copy.deepcopy(models["components"])
        if extend and self.models is not None:
            components = self.models.components + components
        self.models = Models(components)
        for dataset in self.datasets:
            dataset.models = self.models

    def run_fit(self) -> None:
        """Fit the power-law index to the stacked counts (least squares in log space)."""
        dataset = self.datasets[0]
        points = [
            (math.log(math.sqrt(dataset.edges[i] * dataset.edges[i + 1])), math.log(c))
            for i, c in enumerate(dataset.counts) if c > 0
        ]
        n = len(points)
        mean_x = sum(x for x, _ in points) / n
        mean_y = sum(y for _, y in points) / n
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
        index = round(1 - slope, 4)
        stat = sum((y - mean_y - slope * (x - mean_x)) ** 2 for x, y in points)
        self.models.components[0]["spectral"]["parameters"]["index"] = index
        self.fit_result = FitResult(True, {"index": index}, stat)

    def read_models(self, path: str, extend: bool = True) -> None:
        """Read the models from a YAML file and attach them to the datasets."""
        self.set_models(Path(path).read_text(), extend=extend)

    def get_flux_points(self) -> None:
        """Compute counts in the flux point energy bins."""
        settings = self.config.flux_points
        edges = settings["energy"]
        rows = []
        for low, high in zip(edges[:-1], edges[1:]):
            count = sum(1 for o in self.observations for e in o.energies if low <= e < high)
            rows.append((low, high, count))
        source = settings["source"]
        self.flux_points = FluxPointsDataset(FluxPoints(source, rows), self.models.components[0])


def run_session(workdir: Path, capture: logprov.ProvCapture) -> Path:
    """Run the talk's analysis session in ``workdir`` with ``Analysis`` traced by ``capture``."""
    capture.trace_methods(Analysis)
    datastore = make_datastore(workdir / "hess-dl3-dr1")
    os.environ["ANALYSIS_DATA"] = str(workdir)
    config = AnalysisConfig.from_template("1d", Path("$ANALYSIS_DATA/hess-dl3-dr1"))
    model_file = workdir / "model.yaml"
    model_file.write_text(MODEL_YAML)

    analysis = Analysis(config)
    analysis.get_observations()
    analysis.observations = copy.deepcopy(analysis.observations)  # untraced: same value, same entity
    analysis.get_datasets()
    with open(model_file) as stream:
        model = yaml.safe_load(stream)
    analysis.set_models(model)
    analysis.datasets[0].counts[0] += 1  # untraced change, detected when run_fit uses the datasets
    analysis.run_fit()
    analysis.get_flux_points()
    output = workdir / "flux_points.fits"
    with capture.activity("write_flux_points", parameters={"filename": str(output)}) as step:
        step.use(analysis.flux_points.data, role="flux points")
        analysis.flux_points.data.write(str(output))
        step.add_output_file(output, role="flux points file")
    assert datastore.exists()
    return output


def export_provenance(log: Path, workdir: Path) -> list[Path]:
    """Read ``log`` and write it as PROV-JSON, PROV-N and an SVG graph into ``workdir``."""
    from logprov.export import export
    from logprov.model import build_document
    from logprov.reading.reader import iter_records

    document = build_document(iter_records(log))
    written = []
    for fmt, name in (("json", "prov.json"), ("provn", "prov.provn"), ("svg", "prov.svg")):
        export(document, fmt, workdir / name)
        written.append(workdir / name)
    return written


def main(argv: list[str]) -> int:
    """Run the session and export its provenance."""
    workdir = Path(argv[1] if len(argv) > 1 else "analysis-output").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "prov.log"
    log.unlink(missing_ok=True)
    capture = logprov.ProvCapture(
        definitions=DEFINITIONS,
        config={"log_filename": str(log), "logger_name": "logprov.analysis", "log_returned_result": False},
    )
    output = run_session(workdir, capture)
    capture.end_session()
    print(f"flux points:     {output}")
    print(f"provenance log:  {log}")
    for path in export_provenance(log, workdir):
        print(f"provenance:      {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
