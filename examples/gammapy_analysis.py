"""A real gammapy analysis whose provenance is captured by logprov.

gammapy's high-level interface, ``gammapy.analysis.Analysis``, is traced with
``ProvCapture.trace_methods`` and ``definitions/gammapy.yaml``, as is ``FluxPoints.write``. The
analysis runs on a small data store that the script simulates first with gammapy's own tools
(instrument responses built from arrays, events drawn by ``MapDatasetEventSampler``), so
nothing is downloaded: two 30-minute observations of a point source, a 1d spectral analysis
with reflected background regions, a power-law fit and flux points written to a FITS file.
The script then embeds the lineage into the flux-points file (a ``PROVENANCE`` extension) and
prints it, back to the index and event files of the data store: from the log, and from the
file alone.

Needs the ``gammapy`` extra (``pip install -e ".[gammapy]"``). Run it with
``python examples/gammapy_analysis.py [WORKDIR]`` (default: ``gammapy-output``); it writes
``prov.log``, the data store (``datastore/``), ``model.yaml`` and ``flux_points.fits`` there.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.time import Time
from gammapy.analysis import Analysis, AnalysisConfig
from gammapy.data import DataStore, FixedPointingInfo, Observation
from gammapy.datasets import MapDataset, MapDatasetEventSampler
from gammapy.estimators import FluxPoints
from gammapy.irf import PSF3D, Background3D, EffectiveAreaTable2D, EnergyDispersion2D
from gammapy.makers import MapDatasetMaker
from gammapy.maps import MapAxis, WcsGeom
from gammapy.modeling.models import FoVBackgroundModel, Models, PointSpatialModel, PowerLawSpectralModel, SkyModel

import logprov

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE.parent / "definitions" / "gammapy.yaml"

SOURCE = SkyCoord(83.633, 22.014, unit="deg", frame="icrs")
#: Observation id and pointing offset in right ascension (deg) of each simulated observation.
OBSERVATIONS = ((20001, 0.5), (20002, -0.5))

MODEL_YAML = """\
components:
- name: crab
  type: SkyModel
  spectral:
    type: PowerLawSpectralModel
    parameters:
    - {name: index, value: 2.0}
    - {name: amplitude, value: 1.0e-11, unit: cm-2 s-1 TeV-1}
    - {name: reference, value: 1.0, unit: TeV, frozen: true}
"""


def instrument_responses() -> dict:
    """Return simple IRFs (effective area, energy dispersion, PSF, background) built from arrays."""
    energy_true = MapAxis.from_energy_bounds("0.1 TeV", "100 TeV", nbin=4, per_decade=True, name="energy_true")
    energy = MapAxis.from_energy_bounds("0.1 TeV", "100 TeV", nbin=4, per_decade=True, name="energy")
    offset = MapAxis.from_bounds(0, 3, nbin=6, unit="deg", name="offset")
    migra = MapAxis.from_bounds(0.2, 5, nbin=60, node_type="edges", name="migra")
    rad = MapAxis.from_bounds(0, 1, nbin=50, unit="deg", name="rad")
    fov_lon = MapAxis.from_bounds(-3, 3, nbin=12, unit="deg", name="fov_lon")
    fov_lat = MapAxis.from_bounds(-3, 3, nbin=12, unit="deg", name="fov_lat")

    area = 1e5 * (1 - np.exp(-energy_true.center.to_value("TeV") / 0.3))
    vignetting = np.exp(-0.5 * (offset.center.to_value("deg") / 1.5) ** 2)
    aeff = EffectiveAreaTable2D(axes=[energy_true, offset], data=np.outer(area, vignetting), unit="m2")
    edisp = EnergyDispersion2D.from_gauss(
        energy_axis_true=energy_true, migra_axis=migra, offset_axis=offset, bias=0, sigma=0.1,
    )
    width = np.deg2rad(0.1)
    profile = np.exp(-0.5 * (rad.center.to_value("rad") / width) ** 2) / (2 * np.pi * width**2)
    psf = PSF3D(axes=[energy_true, offset, rad], unit="sr-1",
                data=np.broadcast_to(profile, (energy_true.nbin, offset.nbin, rad.nbin)).copy())
    lon, lat = np.meshgrid(fov_lon.center.to_value("deg"), fov_lat.center.to_value("deg"), indexing="ij")
    rate = 2e-6 * energy.center.to_value("TeV") ** -2.7
    bkg = Background3D(axes=[energy, fov_lon, fov_lat], unit="s-1 MeV-1 sr-1",
                       data=rate[:, None, None] * np.exp(-0.5 * (lon**2 + lat**2) / 2.0**2)[None])
    irfs = {"aeff": aeff, "edisp": edisp, "psf": psf, "bkg": bkg}
    for irf in irfs.values():
        irf.meta.update(TELESCOP="CTA", INSTRUME="Southern Array")
    return irfs, energy, energy_true, migra


def simulate_datastore(directory: Path) -> Path:
    """Simulate the observations and write them as a data store (events, IRFs, index files)."""
    directory.mkdir(parents=True, exist_ok=True)
    irfs, energy, energy_true, migra = instrument_responses()
    source = SkyModel(
        spectral_model=PowerLawSpectralModel(index=2.6, amplitude="4e-11 cm-2 s-1 TeV-1", reference="1 TeV"),
        spatial_model=PointSpatialModel.from_position(SOURCE),
        name="crab",
    )
    paths = []
    for number, (obs_id, offset) in enumerate(OBSERVATIONS):
        pointing = SkyCoord(SOURCE.ra + offset * u.deg, SOURCE.dec, frame="icrs")
        observation = Observation.create(
            pointing=FixedPointingInfo(fixed_icrs=pointing), irfs=irfs, livetime=0.5 * u.h, obs_id=obs_id,
            tstart=Time("2026-01-01T20:00:00") + number * u.h,
        )
        geom = WcsGeom.create(skydir=pointing, width=(4, 4), binsz=0.04, frame="icrs", axes=[energy])
        empty = MapDataset.create(geom, energy_axis_true=energy_true, migra_axis=migra, binsz_irf=0.5,
                                  name=f"obs-{obs_id}")
        dataset = MapDatasetMaker(selection=["exposure", "background", "psf", "edisp"]).run(empty, observation)
        dataset.models = Models([source.copy(name="crab"), FoVBackgroundModel(dataset_name=dataset.name)])
        observation._events = MapDatasetEventSampler(random_state=obs_id).run(dataset, observation)
        path = directory / f"events_{obs_id}.fits.gz"
        observation.write(path, include_irfs=True, overwrite=True)
        paths.append(path)
    store = DataStore.from_events_files(paths)
    store.hdu_table.write(directory / "hdu-index.fits.gz", overwrite=True)
    store.obs_table.write(directory / "obs-index.fits.gz", overwrite=True)
    return directory


def analysis_config(datastore: Path) -> AnalysisConfig:
    """Return the configuration of a 1d analysis of the simulated source."""
    config = AnalysisConfig()
    config.general.log = {"level": "warning"}
    config.observations.datastore = datastore
    config.observations.obs_cone = {"frame": "icrs", "lon": "83.633 deg", "lat": "22.014 deg", "radius": "2 deg"}
    config.datasets.type = "1d"
    config.datasets.stack = True
    config.datasets.on_region = {"frame": "icrs", "lon": "83.633 deg", "lat": "22.014 deg", "radius": "0.15 deg"}
    config.datasets.containment_correction = False
    config.datasets.geom.axes.energy = {"min": "0.5 TeV", "max": "30 TeV", "nbins": 10}
    config.datasets.geom.axes.energy_true = {"min": "0.3 TeV", "max": "50 TeV", "nbins": 20}
    config.datasets.background.method = "reflected"
    config.datasets.safe_mask.methods = ["offset-max"]
    config.datasets.safe_mask.parameters = {"offset_max": "2.5 deg"}
    config.fit.fit_range = {"min": "0.7 TeV", "max": "30 TeV"}
    config.flux_points.energy = {"min": "0.7 TeV", "max": "30 TeV", "nbins": 4}
    config.flux_points.source = "crab"
    config.flux_points.parameters = {"selection_optional": ["ul"]}
    return config


def run_analysis(workdir: Path, capture: logprov.ProvCapture) -> Path:
    """Simulate the data store in ``workdir``, run the traced analysis and write the flux points."""
    datastore = simulate_datastore(workdir / "datastore")
    model_file = workdir / "model.yaml"
    model_file.write_text(MODEL_YAML)
    capture.trace_methods(Analysis)
    capture.trace_methods(FluxPoints, include=["write"])

    analysis = Analysis(analysis_config(datastore))
    analysis.get_observations()
    analysis.get_datasets()
    analysis.read_models(model_file)
    analysis.run_fit()
    analysis.get_flux_points()
    output = workdir / "flux_points.fits"
    analysis.flux_points.data.write(output, sed_type="dnde", overwrite=True)
    return output


def show_lineage(log: Path, output: Path, datastore: Path) -> None:
    """Print the lineage of ``output`` and the data store files it comes from."""
    import logprov.query
    from logprov.cli import main as logprov_command

    print(f"$ logprov lineage {log} {output} --no-index")
    logprov_command(["lineage", str(log), str(output), "--no-index"])
    with logprov.query.open(log, index=False) as provenance:
        lineage = provenance.lineage(output)
    found = sorted(
        (location, entity.entity_description)
        for entity in lineage.entities.values() for location in entity.locations
        if Path(location) == datastore or datastore in Path(location).parents
    )
    print()
    print("data store files in the lineage of the flux points:")
    for location, description in found:
        print(f"  {location}  ({description})")


def main(argv: list[str]) -> int:
    """Run the analysis, embed the lineage of its flux points into them, and print it."""
    from logprov.cli import main as logprov_command

    workdir = Path(argv[1] if len(argv) > 1 else "gammapy-output").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "prov.log"
    log.unlink(missing_ok=True)
    logging.getLogger("gammapy").setLevel(logging.WARNING)
    capture = logprov.ProvCapture(
        definitions=DEFINITIONS,
        config={"log_filename": str(log), "logger_name": "logprov.gammapy", "log_returned_result": False},
    )
    output = run_analysis(workdir, capture)
    capture.end_session()
    embedding = capture.embed(output)
    print(f"flux points:     {output}")
    print(f"provenance log:  {log}")
    print(f"embedded:        {embedding.activities} activities, {embedding.entities} entities, "
          f"{embedding.size:,} bytes in HDU PROVENANCE")
    print()
    show_lineage(log, output, workdir / "datastore")
    print()
    print(f"$ logprov lineage {output} --no-index      # the file alone")
    logprov_command(["lineage", str(output), "--no-index"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
